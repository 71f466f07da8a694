#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Prints the fleet figures: Test/Set-IsulaKataConfiguration over SSH against Invoke-Command of the same pipeline.
.DESCRIPTION
    Run as root after ./build.ps1 (it uses output/IsulaKata/<version>/). Makes four test hosts with
    tests/Fleet/testhosts.sh (network + mount namespaces, Debian's sshd, the fakes of tests/Pester/Fakes/bin) and
    removes them at the end. Each figure is the median of -Runs runs, in seconds:
    - Session: New-PSSession -HostName to one host (the remote pwsh start) and Import-Module IsulaKata there.
    - Test cold: Test-IsulaKataConfiguration -HostName on 1, 2, 4 hosts (opens and closes the sessions);
      baseline: New-PSSession + Invoke-Command of the same cmdlets with -WhatIf + Remove-PSSession.
    - Test warm: the same on sessions opened before (-Session); baseline Invoke-Command -Session.
    - Converge 4: Set-IsulaKataConfiguration -HostName on four fresh hosts; baseline New-PSSession + Invoke-Command of
      Install-IsulaKataPackage; Set-IsulaRuntime -Restart on four fresh hosts.
    docs/performance.md records the figures with the machine they came from.
.EXAMPLE
    dotnet tool run pwsh -NoProfile -File bench/Measure-Fleet.ps1 -Runs 3
#>
[CmdletBinding()]
param([ValidateRange(1, 20)] [int] $Runs = 3)
$ErrorActionPreference = 'Stop'
$repo = Split-Path -Parent $PSScriptRoot
$version = (Import-PowerShellDataFile (Join-Path $repo 'IsulaKata.psd1')).ModuleVersion
$module = Join-Path $repo "output/IsulaKata/$version"
$testhosts = Join-Path $repo 'tests/Fleet/testhosts.sh'
$dir = Join-Path ([IO.Path]::GetTempPath()) "isulakata-fleet-bench-$PID"
Import-Module (Join-Path $module 'IsulaKata.psd1')
$shipped = Join-Path $repo 'tests/Pester/Fixtures/daemon.shipped.json'
$document = @{ Packages = @{}; Runtime = @{ ThinPoolDevice = '/dev/mapper/isula-thinpool'; Restart = $true } }
$names = 1..4 | ForEach-Object { "10.213.$_.2" }
$ssh = @{ UserName = 'root'; KeyFilePath = "$dir/client_key"; SSHOption = @{ UserKnownHostsFile = "$dir/known_hosts" } }
$open = @{ UserName = 'root'; KeyFilePath = "$dir/client_key"; Options = @{ UserKnownHostsFile = "$dir/known_hosts" } }
$pipelineWhatIf = {
    Import-Module IsulaKata
    $null = Install-IsulaKataPackage -WhatIf
    $null = Set-IsulaRuntime -ThinPoolDevice /dev/mapper/isula-thinpool -Restart -WhatIf
}
$pipeline = {
    Import-Module IsulaKata
    $null = Install-IsulaKataPackage
    $null = Set-IsulaRuntime -ThinPoolDevice /dev/mapper/isula-thinpool -Restart
}

function Reset-Host {
    foreach ($n in 1..4) {
        Get-ChildItem "$dir/h$n/etc-isulad" | Remove-Item -Force
        Copy-Item $shipped "$dir/h$n/etc-isulad/daemon.json"
        Set-Content "$dir/h$n/state/rpm-installed" "iSulad 2.1.5-1`nkata-containers 3.2.0-1`nlib-shim-v2 0.0.1-1"
        Remove-Item "$dir/h$n/state/isulad-running" -ErrorAction SilentlyContinue
    }
}
function Measure-Median([scriptblock] $Before, [scriptblock] $Action) {
    $times = foreach ($run in 1..$Runs) {
        if ($Before) { & $Before }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $null = & $Action
        $clock.Elapsed.TotalSeconds
    }
    $sorted = @($times | Sort-Object)
    [math]::Round($sorted[[int][math]::Floor(($sorted.Count - 1) / 2)], 2)
}

$rows = [System.Collections.Generic.List[object]]::new()
try {
    & $testhosts up $dir 4 (Join-Path $PSHOME 'pwsh.dll')
    if ($LASTEXITCODE -ne 0) { throw 'testhosts.sh up failed' }
    foreach ($n in 1..4) {
        New-Item -ItemType Directory "$dir/h$n/modules/IsulaKata" -Force | Out-Null
        Copy-Item -Recurse $module "$dir/h$n/modules/IsulaKata/$version"
    }
    Reset-Host

    $rows.Add([pscustomobject]@{ Figure = 'New-PSSession -HostName, 1 host (remote pwsh start)'; Fleet = $null
        Baseline = Measure-Median $null { $s = New-PSSession -HostName $names[0] @open; Remove-PSSession $s } })
    $rows.Add([pscustomobject]@{ Figure = 'Import-Module IsulaKata on an open session'; Fleet = $null
        Baseline = Measure-Median $null { $s = New-PSSession -HostName $names[0] @open; try { $c = [Diagnostics.Stopwatch]::StartNew(); Invoke-Command $s { Import-Module IsulaKata }; $script:import = $c.Elapsed.TotalSeconds } finally { Remove-PSSession $s } } })
    $rows[-1].Baseline = [math]::Round($script:import, 2)

    foreach ($count in 1, 2, 4) {
        $hosts = $names[0..($count - 1)]
        $rows.Add([pscustomobject]@{ Figure = "Test cold, $count host(s)"
            Fleet = Measure-Median $null { Test-IsulaKataConfiguration -Configuration $document -HostName $hosts @ssh }
            Baseline = Measure-Median $null { $s = New-PSSession -HostName $hosts @open; try { Invoke-Command -Session $s $pipelineWhatIf } finally { Remove-PSSession $s } } })
    }
    $sessions = New-PSSession -HostName $names @open
    $null = Test-IsulaKataConfiguration -Configuration $document -Session $sessions
    Invoke-Command -Session $sessions { Import-Module IsulaKata }
    foreach ($count in 1, 2, 4) {
        $some = $sessions[0..($count - 1)]
        $rows.Add([pscustomobject]@{ Figure = "Test warm (open sessions), $count host(s)"
            Fleet = Measure-Median $null { Test-IsulaKataConfiguration -Configuration $document -Session $some }
            Baseline = Measure-Median $null { Invoke-Command -Session $some $pipelineWhatIf } })
    }
    Remove-PSSession $sessions
    $rows.Add([pscustomobject]@{ Figure = 'Converge 4 fresh hosts, cold'
        Fleet = Measure-Median { Reset-Host } { Set-IsulaKataConfiguration -Configuration $document -HostName $names @ssh }
        Baseline = Measure-Median { Reset-Host } { $s = New-PSSession -HostName $names @open; try { Invoke-Command -Session $s $pipeline } finally { Remove-PSSession $s } } })
    $rows.Add([pscustomobject]@{ Figure = 'Converge 4 converged hosts (nothing to do), cold'
        Fleet = Measure-Median $null { Set-IsulaKataConfiguration -Configuration $document -HostName $names @ssh }
        Baseline = Measure-Median $null { $s = New-PSSession -HostName $names @open; try { Invoke-Command -Session $s $pipeline } finally { Remove-PSSession $s } } })
}
finally {
    Get-PSSession | Remove-PSSession -ErrorAction SilentlyContinue
    & $testhosts down $dir
    Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
}
"Median of $Runs runs, seconds. Machine: $([Environment]::ProcessorCount) cores, $((Get-Content /proc/loadavg).Split(' ')[0]) load at the end."
$rows | Format-Table -AutoSize | Out-String -Width 150
