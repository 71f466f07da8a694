<#
.SYNOPSIS
    Runs the Pester suite against the built module in this (child) pwsh and ends with a summary line.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TestPath,
    [string] $Tag,
    # Where to leave the counts ("passed failed skipped") for the build's closing total.
    [string] $SummaryPath
)
$ErrorActionPreference = 'Stop'
Import-Module -Name $PesterPath -Force
$env:ISULAKATA_MODULE = $ModulePath

$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestPath
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Should.ErrorAction = 'Continue'
if ($Tag) { $configuration.Filter.Tag = $Tag -split ',' }

$result = Invoke-Pester -Configuration $configuration
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Host ''
Write-Host "$($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
if ($SummaryPath) { Set-Content -LiteralPath $SummaryPath -Value "$($result.PassedCount) $failed $($result.SkippedCount)" }
if ($result.PassedCount + $failed + $result.SkippedCount -eq 0) { Write-Host 'No test ran.'; exit 1 }
exit ([Math]::Min($failed, 125))
