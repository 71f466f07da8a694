<#
.SYNOPSIS
    Runs the real-kernel integration tests (tests/Integration, tag VM) in a throwaway Debian 12 guest.
.DESCRIPTION
    On the host: installs qemu and debootstrap with apt-get when they are missing (as root on Debian), asks
    tests/vm/testvm.sh whether qemu can run here at all (if not, prints a loud "SKIPPED: <reason>" and succeeds),
    builds the guest or reuses the cached one, then boots it once with three blank 4 GiB disks and runs one pwsh
    there: Invoke-GuestSuite.ps1, which runs every integration test against the built module. The NUnit result
    comes back in output/vm-results/. Exits non-zero when a test fails or the guest cannot run the suite.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $PesterPath
)
$ErrorActionPreference = 'Stop'
$repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$testvm = Join-Path $repo 'tests/vm/testvm.sh'
$results = Join-Path $repo 'output/vm-results'
# The guest writes into a share of its own (a temporary folder), copied into output/vm-results afterwards.
$share = Join-Path ([System.IO.Path]::GetTempPath()) "isulakata-vm-results-$PID"
$resultFile = Join-Path $results 'integration.xml'
# A result left by an earlier run must not count for this one (the build's closing total reads it).
Remove-Item -LiteralPath $resultFile -ErrorAction SilentlyContinue

function Write-Banner([string] $Text, [string] $Color) {
    $line = '=' * [Math]::Min(100, $Text.Length + 4)
    Write-Host $line -ForegroundColor $Color
    Write-Host "  $Text" -ForegroundColor $Color
    Write-Host $line -ForegroundColor $Color
}

# qemu, debootstrap and the image tools, from Debian's registry (testvm.sh would also install them; doing it here
# first, after an apt-get update, keeps a stale package index from failing the build).
$needed = [ordered]@{ 'qemu-system-x86_64' = 'qemu-system-x86'; debootstrap = 'debootstrap'; 'mkfs.ext4' = 'e2fsprogs'; cpio = 'cpio'; xz = 'xz-utils'; zstd = 'zstd' }
$missing = @($needed.Keys | Where-Object { -not (Get-Command $_ -ErrorAction SilentlyContinue) } | ForEach-Object { $needed[$_] })
if ($missing -and (id -u) -eq '0' -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
    Write-Host "Installing $($missing -join ', ') for the VM tests (apt-get)."
    $env:DEBIAN_FRONTEND = 'noninteractive'
    apt-get update -qq | Out-Null
    apt-get install -y -qq --no-install-recommends @missing | Out-Null
    if ($LASTEXITCODE -ne 0) { Write-Host "apt-get install $($missing -join ' ') failed (exit code $LASTEXITCODE)." -ForegroundColor Red }
}

$check = & bash $testvm check 2>&1
if ($LASTEXITCODE -eq 3) {
    $reason = ($check | Where-Object { "$_" -like 'SKIPPED:*' } | Select-Object -First 1) ?? 'SKIPPED: qemu cannot run on this machine'
    Write-Banner "$reason  (the real-kernel thin pool tests in tests/Integration did not run)" Yellow
    exit 0
}
if ($LASTEXITCODE -ne 0) {
    $check | ForEach-Object { Write-Host "$_" }
    Write-Host "tests/vm/testvm.sh check failed (exit code $LASTEXITCODE)." -ForegroundColor Red
    exit 1
}

$watch = [System.Diagnostics.Stopwatch]::StartNew()
& bash $testvm build
if ($LASTEXITCODE -ne 0) { Write-Host "Building the test guest failed (exit code $LASTEXITCODE)." -ForegroundColor Red; exit 1 }
$built = $watch.Elapsed

New-Item -ItemType Directory -Path $results, $share -Force | Out-Null
Remove-Item -LiteralPath $resultFile -ErrorAction SilentlyContinue
$watch.Restart()
try {
    & bash $testvm run --disks 3 --disk-size 4G --timeout 1500 `
        --share "isulakata=$($repo):ro" --share "vmresults=$share" --env ISULAKATA_TESTVM=1 `
        -- pwsh -NoProfile -NonInteractive -File (Join-Path $repo 'tests/Integration/Invoke-GuestSuite.ps1') `
        -PesterPath $PesterPath -ModulePath $ModulePath -TestPath (Join-Path $repo 'tests/Integration') -ResultPath (Join-Path $share 'integration.xml')
    $code = $LASTEXITCODE
    Copy-Item -Path (Join-Path $share '*') -Destination $results -Force -ErrorAction SilentlyContinue
}
finally {
    Remove-Item -LiteralPath $share -Recurse -Force -ErrorAction SilentlyContinue
}
$ran = $watch.Elapsed
Write-Host ("VM suite: guest ready in {0:0.0} s, boot + tests in {1:0.0} s, exit code {2}." -f $built.TotalSeconds, $ran.TotalSeconds, $code)

if (-not (Test-Path -LiteralPath $resultFile)) {
    Write-Host "The guest wrote no test result ($resultFile); exit code $code." -ForegroundColor Red
    exit 1
}
[xml] $xml = Get-Content -Raw -LiteralPath $resultFile
$summary = $xml.'test-results'
Write-Host "VM tests: $($summary.total) run, $($summary.failures) failed, $($summary.errors) errors; results in $resultFile"
if ($code -ne 0 -or [int]$summary.failures -gt 0 -or [int]$summary.errors -gt 0) {
    Write-Host 'VM tests failed.' -ForegroundColor Red
    exit 1
}
