#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Prints IsulaKata's performance figures, each measured side by side with its reference in one run.
.DESCRIPTION
    Run after ./build.ps1 (it uses output/IsulaKata/<version>/). Figures, not pass/fail: docs/performance.md
    records them with the machine they came from.
.EXAMPLE
    dotnet tool run pwsh -NoProfile -File bench/Measure-IsulaKata.ps1 -Runs 7
#>
[CmdletBinding()]
param(
    # How many times each cold start is measured (the median is reported).
    [ValidateRange(1, 50)] [int] $Runs = 5
)
$ErrorActionPreference = 'Stop'
$repo = Split-Path $PSScriptRoot
$version = (Import-PowerShellDataFile (Join-Path $repo 'IsulaKata.psd1')).ModuleVersion
$moduleRoot = Join-Path $repo "output/IsulaKata/$version"
if (-not (Test-Path $moduleRoot)) { throw "Build the module first: ./build.ps1 (missing $moduleRoot)." }
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
$pwsh = @([Environment]::ProcessPath) + @(if ((Split-Path -Leaf ([Environment]::ProcessPath)) -eq 'dotnet') { $pwshDll })

$fixtureRoot = Join-Path ([IO.Path]::GetTempPath()) "isulakata-bench-$PID"
New-Item -ItemType Directory (Join-Path $fixtureRoot 'etc/isulad') -Force | Out-Null
Copy-Item (Join-Path $repo 'tests/Pester/Fixtures/daemon.shipped.json') (Join-Path $fixtureRoot 'etc/isulad/daemon.json')

function Invoke-ColdStart {
    param([string] $Command)
    $env:PSModulePath = "$(Split-Path $moduleRoot -Parent | Split-Path -Parent)$([IO.Path]::PathSeparator)$env:PSModulePath"
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $Command | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "pwsh -c '$Command' failed." }
}

try {
    Write-Host "Machine: $(nproc) cores, $([Math]::Round((Get-Content /proc/meminfo -TotalCount 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB)) GiB, $((Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1).Line.Split(':')[1].Trim()), pwsh $($PSVersionTable.PSVersion)"
    Write-Host ''
    Write-Host "== Cold start (median of $Runs, each a new pwsh -NoProfile)"
    $bare = $ours = $psrg = @()
    foreach ($i in 1..$Runs) {
        # Interleaved, so that a slow moment of the machine hits all three alike.
        $bare += (Measure-Command { Invoke-ColdStart '1' }).TotalMilliseconds
        $ours += (Measure-Command { Invoke-ColdStart "Import-Module IsulaKata; Get-IsulaRuntime -Root '$fixtureRoot'" }).TotalMilliseconds
        $psrg += (Measure-Command { Invoke-ColdStart 'Import-Module Microsoft.PowerShell.PSResourceGet; Get-PSResourceRepository' }).TotalMilliseconds
    }
    $median = { param($values) ($values | Sort-Object)[[int][Math]::Floor($values.Count / 2)] }
    $b = & $median $bare; $o = & $median $ours; $p = & $median $psrg
    '{0,-58} {1,8:N0} ms' -f 'pwsh -c 1', $b
    '{0,-58} {1,8:N0} ms  overhead {2,6:N0} ms' -f 'Import-Module IsulaKata; Get-IsulaRuntime -Root <fixture>', $o, ($o - $b)
    '{0,-58} {1,8:N0} ms  overhead {2,6:N0} ms' -f 'Import-Module PSResourceGet; Get-PSResourceRepository', $p, ($p - $b)
    'IsulaKata overhead minus PSResourceGet overhead: {0:N0} ms   target: <= 0 (noise on this machine: about +-50 ms)' -f (($o - $b) - ($p - $b))

    Write-Host ''
    Write-Host '== Warm latency (in one pwsh, after one warm-up call; median of 50)'
    Import-Module (Join-Path $moduleRoot 'IsulaKata.psd1') -Force
    $kataRoot = Join-Path $fixtureRoot 'kata'
    $kataConfig = Join-Path $kataRoot 'usr/share/defaults/kata-containers/configuration.toml'
    New-Item -ItemType Directory (Split-Path $kataConfig) -Force | Out-Null
    Copy-Item (Join-Path $repo 'tests/Pester/Fixtures/Kata/kata3-qemu-long.toml') $kataConfig
    $lines = (Get-Content $kataConfig).Count
    # Measured in a runspace of its own, whose host prints nothing: the figure is the cmdlet's, not the console's.
    $runspace = [powershell]::Create()
    $null = $runspace.AddCommand('Import-Module').AddParameter('Name', (Join-Path $moduleRoot 'IsulaKata.psd1')).Invoke()
    $warm = {
        param([string] $Command, [hashtable] $Parameters)
        $call = { $runspace.Commands.Clear(); $null = $runspace.AddCommand($Command).AddParameters($Parameters).Invoke() }
        & $call
        $times = foreach ($i in 1..50) { (Measure-Command $call).TotalMilliseconds }
        ($times | Sort-Object)[25]
    }
    $whatIf = & $warm 'Set-KataHypervisor' @{ Hypervisor = 'StratoVirt'; Root = $kataRoot; WhatIf = $true; WarningAction = 'SilentlyContinue' }
    '{0,-58} {1,8:N2} ms  target: < 10 ms' -f "Set-KataHypervisor -WhatIf ($lines-line config)", $whatIf
}
finally {
    if ($runspace) { $runspace.Dispose() }
    Remove-Item -LiteralPath $fixtureRoot -Recurse -Force
}
