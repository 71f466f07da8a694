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
    [string] $SummaryPath,
    # Only the blocks at these lines ("<file>:<line>", Pester's Filter.Line); tests/Baseline runs one Describe at a time.
    [string[]] $Line,
    # Where to write each test that ran as JSON (Name, ExpandedName, Line, Result, Message), for tests/Baseline.
    [string] $ResultPath
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
if ($Line) { $configuration.Filter.Line = @($Line | ForEach-Object { $_ -split "," }) }

$result = Invoke-Pester -Configuration $configuration
if ($ResultPath) {
    $tests = foreach ($test in $result.Tests | Where-Object { $_.ShouldRun }) {
        # The first line of the first error, and Pester's "Expected:" and "But was:" lines when it has them.
        $lines = if ($test.ErrorRecord) { @(@($test.ErrorRecord)[0].ToString() -split "`n" | ForEach-Object Trim) } else { @() }
        $message = @($lines | Select-Object -First 1) + @($lines | Select-Object -Skip 1 | Where-Object { $_ -match '^(Expected:|But was:)' }) -join ' '
        [pscustomobject]@{ Name = $test.Name; ExpandedName = $test.ExpandedName; Line = $test.StartLine; Result = "$($test.Result)"; Message = $message }
    }
    ConvertTo-Json -InputObject @($tests) -Depth 3 | Set-Content -LiteralPath $ResultPath
}
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Host ''
Write-Host "$($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
if ($SummaryPath) { Set-Content -LiteralPath $SummaryPath -Value "$($result.PassedCount) $failed $($result.SkippedCount)" }
if ($result.PassedCount + $failed + $result.SkippedCount -eq 0) { Write-Host 'No test ran.'; [Environment]::Exit(1) }
# Environment.Exit, not exit: a test that failed because a call hung may have left a thread blocked for good (in open()
# on a FIFO, say), and a plain exit waits for it forever; the result is known, so the process ends here.
[Environment]::Exit([Math]::Min($failed, 125))
