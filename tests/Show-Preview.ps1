<#
.SYNOPSIS
    The README's "main job" on a machine that is not (yet) an iSulad host: imports the built module, inspects this
    machine read-only, and shows what the module would change, using a scratch copy of a shipped daemon.json.
    Nothing on this host is changed.
#>
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

$scratch = Join-Path ([System.IO.Path]::GetTempPath()) "isulakata-preview-$PID"
$daemon = Join-Path $scratch 'etc/isulad/daemon.json'
New-Item -ItemType Directory -Path (Split-Path $daemon) -Force | Out-Null
Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'Pester/Fixtures/daemon.shipped.json') -Destination $daemon
try {
    Write-Host "`n== iSulad on this host (read-only)" -ForegroundColor Cyan
    Get-IsulaRuntime -WarningAction Continue | Format-List Runtime, StorageDriver, ThinPoolDevice, DaemonRunning, ConfigPath

    Write-Host "== What Set-IsulaRuntime would do to a shipped daemon.json (scratch root $scratch)" -ForegroundColor Cyan
    Set-IsulaRuntime -Root $scratch -ThinPoolDevice /dev/mapper/isula-thinpool -WhatIf -WarningAction SilentlyContinue | Out-Null
    $before = Get-Content -LiteralPath $daemon
    $result = Set-IsulaRuntime -Root $scratch -ThinPoolDevice /dev/mapper/isula-thinpool
    Write-Host "`n-- the resulting change to daemon.json:" -ForegroundColor Cyan
    Compare-Object $before (Get-Content -LiteralPath $daemon) | ForEach-Object {
        $sign = if ($_.SideIndicator -eq '=>') { '+' } else { '-' }
        Write-Host "$sign $($_.InputObject)" -ForegroundColor $(if ($sign -eq '+') { 'Green' } else { 'Red' })
    }
    $result | Format-Table
}
finally {
    Remove-Item -LiteralPath $scratch -Recurse -Force
}
