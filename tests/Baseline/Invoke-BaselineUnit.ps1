<#
.SYNOPSIS
    Runs one block of a Pester test file (the Describe or It at -Line) against one built module, in this (child)
    pwsh, and writes one JSON object per test to -ResultPath. Started by Invoke-Baseline.ps1, which kills this
    process when it runs past its time.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TestFile,
    [Parameter(Mandatory)] [int] $Line,
    [Parameter(Mandatory)] [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
Import-Module -Name $PesterPath -Force
$env:ISULAKATA_MODULE = $ModulePath

$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestFile
$configuration.Run.PassThru = $true
$configuration.Filter.Line = "$($TestFile):$Line"
$configuration.Output.Verbosity = 'Detailed'
$configuration.Should.ErrorAction = 'Continue'
$result = Invoke-Pester -Configuration $configuration

$tests = foreach ($test in $result.Tests) {
    $message = if ($test.ErrorRecord) { (@($test.ErrorRecord)[0].ToString() -split "`n")[0] } else { '' }
    [pscustomobject]@{ Name = $test.Name; ExpandedName = $test.ExpandedName; Line = $test.StartLine; Result = "$($test.Result)"; Message = $message }
}
ConvertTo-Json -InputObject @($tests) -Depth 3 | Set-Content -LiteralPath $ResultPath
