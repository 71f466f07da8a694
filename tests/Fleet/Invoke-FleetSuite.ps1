<#
.SYNOPSIS
    Runs the fleet tests (tests/Fleet/Fleet.Tests.ps1): real sshd, real PowerShell remoting over SSH, four test hosts.
.DESCRIPTION
    As root on Debian it installs openssh-server with apt-get when sshd is missing. tests/Fleet/testhosts.sh then says
    whether network and mount namespaces can be made here; if not (or sshd cannot be had) it prints a loud
    "SKIPPED: <reason>" and succeeds without counting a pass. The hosts are made by the tests and always removed
    (every sshd stopped by its pid, namespaces and veths deleted), also when a test fails. Counts go to -SummaryPath
    ("passed failed skipped") for the build's closing total.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $PesterPath,
    [string] $SummaryPath
)
$ErrorActionPreference = 'Stop'
$testhosts = Join-Path $PSScriptRoot 'testhosts.sh'
if ($SummaryPath) { Remove-Item -LiteralPath $SummaryPath -ErrorAction SilentlyContinue }

function Skip([string] $Reason) {
    Write-Host ('=' * 60) -ForegroundColor Yellow
    Write-Host "  SKIPPED: fleet tests (real sshd): $Reason" -ForegroundColor Yellow
    Write-Host ('=' * 60) -ForegroundColor Yellow
    exit 0
}

if ((id -u) -ne '0') { Skip 'not root (network and mount namespaces and sshd need root)' }
if (-not (Test-Path /usr/sbin/sshd)) {
    if (-not (Get-Command apt-get -ErrorAction SilentlyContinue)) { Skip 'no /usr/sbin/sshd and no apt-get to install openssh-server' }
    Write-Host 'Installing openssh-server for the fleet tests (apt-get).'
    $env:DEBIAN_FRONTEND = 'noninteractive'
    apt-get update -qq | Out-Null
    apt-get install -y -qq --no-install-recommends openssh-server openssh-client | Out-Null
    if ($LASTEXITCODE -ne 0 -or -not (Test-Path /usr/sbin/sshd)) { Skip 'apt-get could not install openssh-server' }
}
$why = & $testhosts check
if ($LASTEXITCODE -ne 0) { Skip ($why -join ' ') }

Import-Module -Name $PesterPath -Force
$env:ISULAKATA_MODULE = $ModulePath
$configuration = New-PesterConfiguration
$configuration.Run.Path = Join-Path $PSScriptRoot 'Fleet.Tests.ps1'
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Should.ErrorAction = 'Continue'
$result = Invoke-Pester -Configuration $configuration
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Host "fleet: $($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
if ($SummaryPath) { Set-Content -LiteralPath $SummaryPath -Value "$($result.PassedCount) $failed $($result.SkippedCount)" }
if ($result.PassedCount + $failed -eq 0) { Write-Host 'No fleet test ran.'; exit 1 }
exit ([Math]::Min($failed, 125))
