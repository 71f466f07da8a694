<#
.SYNOPSIS
    The README's "main job" on a machine that is not (yet) an iSulad host: imports the built module, diagnoses this
    machine read-only, and shows what the module would change, on scratch copies of a shipped daemon.json and kata
    configuration.toml. Nothing on this host is changed.
#>
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$fixtures = Join-Path $PSScriptRoot 'Pester/Fixtures'

function Write-Section([string] $Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }

function Show-Diff([string] $Backup, [string] $Path) {
    # diff -u between the backup the cmdlet kept and the file it wrote.
    diff -u --label before --label after $Backup $Path | Select-Object -Skip 2 | ForEach-Object {
        $color = switch -Wildcard ($_) { '+*' { 'Green' } '-*' { 'Red' } '@@*' { 'DarkCyan' } default { 'Gray' } }
        Write-Host $_ -ForegroundColor $color
    }
}

$scratch = Join-Path ([System.IO.Path]::GetTempPath()) "isulakata-preview-$PID"
$daemon = Join-Path $scratch 'etc/isulad/daemon.json'
$kata = Join-Path $scratch 'usr/share/defaults/kata-containers/configuration.toml'
New-Item -ItemType Directory -Path (Split-Path $daemon), (Split-Path $kata) -Force | Out-Null
Copy-Item -LiteralPath (Join-Path $fixtures 'daemon.shipped.json') -Destination $daemon
Copy-Item -LiteralPath (Join-Path $fixtures 'Kata/kata1-qemu.toml') -Destination $kata
try {
    Write-Section 'This host, diagnosed read-only (Test-IsulaKataHost)'
    Test-IsulaKataHost | Out-String -Width 120 | Write-Host

    Write-Section 'Thin pools on this host (Get-IsulaThinPool)'
    try { Get-IsulaThinPool | Out-String -Width 120 | Write-Host }
    catch { Write-Host "$($_.Exception.Message)`n  Fix: $($_.ErrorDetails.RecommendedAction)" -ForegroundColor Yellow }

    Write-Section "What Set-IsulaRuntime would do to a shipped daemon.json (scratch root $scratch)"
    Set-IsulaRuntime -Root $scratch -ThinPoolDevice /dev/mapper/isula-thinpool -WhatIf -WarningAction SilentlyContinue | Out-Null
    $runtime = Set-IsulaRuntime -Root $scratch -ThinPoolDevice /dev/mapper/isula-thinpool -WarningAction Continue
    Write-Host "`n-- the resulting change to daemon.json (every other line kept byte for byte):" -ForegroundColor Cyan
    Show-Diff (Join-Path $scratch $runtime.BackupPath.TrimStart('/')) $daemon

    Write-Section 'What Set-KataHypervisor -Hypervisor StratoVirt would do to a kata 1.x configuration.toml (same scratch root)'
    $lines = (Get-Content -LiteralPath $kata).Count
    $hypervisor = $runtime | Set-KataHypervisor -Hypervisor StratoVirt -Root $scratch -WarningAction SilentlyContinue
    Write-Host "-- the changes to configuration.toml ($lines lines; every comment kept, the QEMU table commented out restorably):" -ForegroundColor Cyan
    $hypervisor.Changes | ForEach-Object { Write-Host "  $_" }
    Write-Host "  ($(@(diff (Join-Path $scratch $hypervisor.BackupPath.TrimStart('/')) $kata | Where-Object { $_ -match '^[<>]' }).Count) lines differ; see them with diff -u)" -ForegroundColor DarkGray
    Write-Host "`n-- the StratoVirt wrapper it wrote ($($hypervisor.WrapperPath)):" -ForegroundColor Cyan
    Get-Content -LiteralPath (Join-Path $scratch $hypervisor.WrapperPath.TrimStart('/')) | ForEach-Object { Write-Host "  $_" }
    $runtime, $hypervisor | Format-List ConfigPath, Runtime, StorageDriver, ThinPoolDevice, Hypervisor, HypervisorPath, Kernel, Initrd, Changed, BackupPath | Out-String -Width 120 | Write-Host

    Write-Section 'On an openEuler host, the whole procedure is'
    Write-Host @'
  Install-IsulaKataPackage
  New-IsulaThinPool -Device /dev/vdb | Set-IsulaRuntime -Restart
  Enable-VhostVsock
  Install-KataGuestKernel -Path ./vmlinux.bin
  Get-IsulaRuntime | Set-KataHypervisor -Hypervisor StratoVirt | Test-SecureContainer
  Test-IsulaKataHost
(add -WhatIf to any of them to see the commands and changes first)
'@
}
finally {
    Remove-Item -LiteralPath $scratch -Recurse -Force
}
