#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Proves that each defect class of issue 12 has a test that failed before the fix: builds an old commit and the
    current one, runs the tests named in DefectClasses.psd1 against each, and prints (and writes to docs/trust.md)
    per defect class the tests that cover it, PASS or FAIL on each commit.
.DESCRIPTION
    Each commit is checked out in a git worktree of its own in a temporary folder and built with its own build.ps1
    (-Task Build, with -NoReadyToRun when that build has the switch). The tests are always the ones of this working
    tree (tests/Pester, copied when the run starts, so editing them meanwhile changes nothing), run against the module
    each commit built (ISULAKATA_MODULE).

    Every Describe block that holds a listed test runs in a child pwsh of its own (tests/Invoke-PesterSuite.ps1 with
    -Line) with a hard wall-clock limit. A child that runs past it is killed with its process tree (a thread blocked
    in open() on a FIFO cannot be stopped in any other way), and then each listed test of that block runs alone, again
    bounded, so the one that hangs is named (HANG) and the others still get their verdict.

    Run by hand, not by CI: it builds twice and runs the old module into its hangs (about 20-40 minutes). Exits 0 when
    every class has a test that fails on the old commit and every listed test passes now.
.EXAMPLE
    dotnet tool run pwsh -NoProfile -File tests/Baseline/Invoke-Baseline.ps1 -OutFile docs/trust.md
.EXAMPLE
    # Against a module already built from the working tree (no second build), one class only:
    dotnet tool run pwsh -NoProfile -File tests/Baseline/Invoke-Baseline.ps1 -NowModulePath output/IsulaKata/0.1.0/IsulaKata.psd1 -Class 'Hangs*'
#>
[CmdletBinding()]
param(
    # The commit before the fixes: the main that issue 12 measured.
    [string] $OldCommit = '82eb2ea',
    # The commit with the fixes (built the same way), unless -NowModulePath names a module already built.
    [string] $NowCommit = 'HEAD',
    [string] $NowModulePath,
    # Wall-clock limit of one Describe block, and of one test run alone, in seconds.
    [int] $BlockSeconds = 900,
    [int] $TestSeconds = 600,
    # Only the defect classes whose name is like one of these (several: comma-separated, or an array).
    [string[]] $Class = '*',
    # Where to write the table as Markdown (e.g. docs/trust.md); nothing is written without it.
    [string] $OutFile,
    # Keep the worktrees, builds and logs (the folder is printed).
    [switch] $KeepWork,
    # Write the table from the results a run left (its results.json) instead of running: to change the notes of
    # DefectClasses.psd1 without building and running again.
    [string] $FromResults
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$work = Join-Path ([IO.Path]::GetTempPath()) "isulakata-baseline-$PID"
New-Item -ItemType Directory -Path $work -Force | Out-Null
# The tests as they are now (tracked and new files of the working tree), copied once: the run takes long, and an edit
# meanwhile must not shift the lines it selects blocks by.
$snapshot = Join-Path $work 'tree'
foreach ($file in git -C $repo ls-files --cached --others --exclude-standard -- tests docs src) {
    if (-not (Test-Path -LiteralPath (Join-Path $repo $file) -PathType Leaf)) { continue }
    $copy = Join-Path $snapshot $file
    New-Item -ItemType Directory -Path (Split-Path $copy) -Force | Out-Null
    Copy-Item -LiteralPath (Join-Path $repo $file) -Destination $copy
}
$testRoot = Join-Path $snapshot 'tests/Pester'

function Get-ChildPwsh {
    # This pwsh, started fresh (dotnet <PSHOME>/pwsh.dll when it runs as the dotnet tool).
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    if ((Split-Path -Leaf ([Environment]::ProcessPath)) -eq 'dotnet' -and (Test-Path $pwshDll)) { return @([Environment]::ProcessPath, $pwshDll) }
    @([Environment]::ProcessPath)
}

function Invoke-Native {
    $program, $arguments = $args
    & $program @arguments
    if ($LASTEXITCODE -ne 0) { throw "'$program $($arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Build-Commit {
    # Checks the commit out in a worktree of its own and builds it with its own build.ps1; returns the module's psd1.
    param([string] $Commit, [string] $Name)
    $full = (git -C $repo rev-parse --verify "$Commit^{commit}").Trim()
    if ($LASTEXITCODE -ne 0) { throw "No such commit: $Commit" }
    $tree = Join-Path $work $Name
    Invoke-Native git -C $repo worktree add --detach --force $tree $full | Out-Null
    $build = Join-Path $tree 'build.ps1'
    $parameters = [System.Management.Automation.Language.Parser]::ParseFile($build, [ref] $null, [ref] $null).ParamBlock.Parameters.Name.VariablePath.UserPath
    $arguments = @('-NoProfile', '-NonInteractive', '-File', $build, '-Task', 'Build')
    if ($parameters -contains 'NoReadyToRun') { $arguments += '-NoReadyToRun' }
    Write-Host "Building $Name ($($full.Substring(0, 10))) in $tree"
    $child = Get-ChildPwsh
    Push-Location $tree
    try {
        & dotnet tool restore *> (Join-Path $work "$Name-restore.log")
        & $child[0] @($child | Select-Object -Skip 1) @arguments *> (Join-Path $work "$Name-build.log")
        if ($LASTEXITCODE -ne 0) { throw "The build of $Commit failed; see $(Join-Path $work "$Name-build.log")." }
    }
    finally { Pop-Location }
    $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $tree 'IsulaKata.psd1')).ModuleVersion
    [pscustomobject]@{ Name = $Name; Commit = $full; Module = Join-Path $tree "output/IsulaKata/$version/IsulaKata.psd1" }
}

function Find-Test {
    # The It blocks of a test file whose name is like -Name, with the line of the It and of its Describe.
    param([string] $File, [string] $Name)
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($File, [ref] $null, [ref] $null)
    $calls = $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] -and $a.GetCommandName() -in 'It', 'Describe' }, $true)
    foreach ($it in $calls | Where-Object { $_.GetCommandName() -eq 'It' }) {
        $title = $it.CommandElements[1].SafeGetValue()
        if ($title -notlike $Name) { continue }
        $describe = $calls | Where-Object { $_.GetCommandName() -eq 'Describe' -and $_.Extent.StartOffset -lt $it.Extent.StartOffset -and $_.Extent.EndOffset -gt $it.Extent.EndOffset } |
            Sort-Object { $_.Extent.StartOffset } | Select-Object -First 1
        [pscustomobject]@{ File = $File; Name = $title; Line = $it.Extent.StartLineNumber; DescribeLine = $describe.Extent.StartLineNumber; Describe = $describe.CommandElements[1].SafeGetValue() }
    }
}

function Invoke-Unit {
    <#
    .SYNOPSIS
        Runs the block at -Line of a test file against a module in a child pwsh, killed with its process tree after
        -Seconds. Returns its tests (Name, ExpandedName, Line, Result, Message) and whether it timed out.
    #>
    param([string] $Module, [string] $File, [int] $Line, [int] $Seconds, [string] $Log)
    $resultPath = "$Log.json"
    $start = [System.Diagnostics.ProcessStartInfo]::new((Get-ChildPwsh)[0])
    foreach ($argument in @((Get-ChildPwsh) | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $snapshot 'tests/Invoke-PesterSuite.ps1'),
            '-PesterPath', $script:Pester, '-ModulePath', $Module, '-TestPath', $File, '-Line', "$($File):$Line", '-ResultPath', $resultPath)) { $start.ArgumentList.Add([string] $argument) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $start.WorkingDirectory = $snapshot
    $process = [System.Diagnostics.Process]::Start($start)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $timedOut = -not $process.WaitForExit($Seconds * 1000)
    if ($timedOut) { $process.Kill($true); $process.WaitForExit() }
    Set-Content -LiteralPath $Log -Value ($stdout.Result + $stderr.Result)
    $process.Dispose()
    $tests = if (-not $timedOut -and (Test-Path -LiteralPath $resultPath)) { @(Get-Content -Raw -LiteralPath $resultPath | ConvertFrom-Json) } else { @() }
    [pscustomobject]@{ TimedOut = $timedOut; Tests = $tests }
}

function Invoke-Side {
    # Runs every listed test against one module: each Describe in its own bounded child, each test alone when the
    # Describe ran past its time. Returns, per listed test (file|It name), the results of its cases.
    param([pscustomobject] $Side, [object[]] $Tests)
    $results = @{}
    foreach ($block in $Tests | Group-Object { "$($_.File)|$($_.DescribeLine)" }) {
        $first = $block.Group[0]
        $leaf = Split-Path -Leaf $first.File
        Write-Host "  [$($Side.Name)] $leaf, Describe '$($first.Describe)'"
        $run = Invoke-Unit -Module $Side.Module -File $first.File -Line $first.DescribeLine -Seconds $BlockSeconds -Log (Join-Path $work "$($Side.Name)-$leaf-$($first.DescribeLine).log")
        $units = if (-not $run.TimedOut) { , @{ Run = $run; Tests = $block.Group } } else {
            Write-Host "    ran past $BlockSeconds s and was killed; each listed test runs alone"
            foreach ($test in $block.Group | Sort-Object Line -Unique) {
                $alone = Invoke-Unit -Module $Side.Module -File $test.File -Line $test.Line -Seconds $TestSeconds -Log (Join-Path $work "$($Side.Name)-$leaf-$($test.Line).log")
                if ($alone.TimedOut) { Write-Host "    HANG: '$($test.Name)' (killed after $TestSeconds s)" }
                @{ Run = $alone; Tests = @($block.Group | Where-Object Line -EQ $test.Line) }
            }
        }
        foreach ($unit in $units) {
            foreach ($test in $unit.Tests) {
                $key = "$($test.File)|$($test.Name)"
                $cases = @($unit.Run.Tests | Where-Object { $_.Line -eq $test.Line })
                $results[$key] = if ($unit.Run.TimedOut) { @([pscustomobject]@{ ExpandedName = $test.Name; Result = 'Hang'; Message = "killed after $TestSeconds s" }) }
                                 elseif ($cases) { $cases } else { @([pscustomobject]@{ ExpandedName = $test.Name; Result = 'NotRun'; Message = 'the block did not run (its BeforeAll failed?)' }) }
            }
        }
    }
    $results
}

function Get-Verdict {
    # One word for the cases of a test (filtered by -Case): PASS, SKIP, or FAIL/HANG with how many cases.
    param([object[]] $Cases, [string] $Case)
    $selected = @($Cases | Where-Object { -not $Case -or $_.ExpandedName -like $Case })
    if (-not $selected) { return 'NO CASE' }
    $bad = @($selected | Where-Object Result -NotIn 'Passed', 'Skipped')
    $hung = @($selected | Where-Object Result -EQ 'Hang')
    $of = if ($selected.Count -gt 1) { " ($($bad.Count) of $($selected.Count) cases)" } else { '' }
    if ($hung) { return "HANG$of" }
    if ($bad) { return "FAIL$of" }
    if (@($selected | Where-Object Result -EQ 'Skipped').Count -eq $selected.Count) { return 'SKIP' }
    'PASS'
}

function Get-FirstFailure {
    # The first line of the first failing case's message, shortened: what the old commit did.
    param([object[]] $Cases, [string] $Case)
    $bad = @($Cases | Where-Object { (-not $Case -or $_.ExpandedName -like $Case) -and $_.Result -notin 'Passed', 'Skipped' }) | Select-Object -First 1
    if (-not $bad) { return '' }
    # Pester's TestDrive (a GUID-named temporary folder) is named as such: no path of the machine that ran it.
    $text = ("$($bad.ExpandedName): $($bad.Message)" -replace '\s+', ' ' -replace '/tmp/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}', '$TestDrive').Trim()
    if ($text.Length -gt 220) { $text = $text.Substring(0, 217) + '...' }
    $text
}

try {
    $map = Import-PowerShellDataFile -LiteralPath (Join-Path $PSScriptRoot 'DefectClasses.psd1')
    # Patterns may also come comma-separated in one string (pwsh -File passes 'a','b' as one argument).
    $patterns = @($Class | ForEach-Object { $_ -split ',' } | ForEach-Object Trim | Where-Object { $_ })
    $classes = @($map.Classes | Where-Object { $name = $_.Class; @($patterns | Where-Object { $name -like $_ }).Count -gt 0 })
    $listed = foreach ($entry in $classes) {
        foreach ($ref in $entry.Tests) {
            $found = @(Find-Test -File (Join-Path $testRoot $ref.File) -Name $ref.It)
            if ($found.Count -ne 1) { throw "DefectClasses.psd1: '$($ref.File)' has $($found.Count) tests named like '$($ref.It)' (class '$($entry.Class)'); name exactly one." }
            $found[0]
        }
    }
    $listed = @($listed | Sort-Object File, Line -Unique)

    Invoke-Native dotnet restore (Join-Path $repo 'tests/TestDependencies.csproj') --nologo -v quiet | Out-Null
    $pesterVersion = ([xml](Get-Content -Raw (Join-Path $repo 'tests/TestDependencies.csproj'))).Project.PropertyGroup.PesterVersion
    $nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $script:Pester = Join-Path $nugetRoot "pester/$pesterVersion/tools/Pester.psd1"

    if ($FromResults) {
        $saved = Get-Content -Raw -LiteralPath $FromResults | ConvertFrom-Json -AsHashtable
        $old = [pscustomobject] $saved.Old; $now = [pscustomobject] $saved.Now
        $oldResults = @{}; $nowResults = @{}
        foreach ($key in $saved.OldResults.Keys) { $oldResults[$key -replace '^.*?/tests/Pester/', "$testRoot/"] = @($saved.OldResults[$key] | ForEach-Object { [pscustomobject] $_ }) }
        foreach ($key in $saved.NowResults.Keys) { $nowResults[$key -replace '^.*?/tests/Pester/', "$testRoot/"] = @($saved.NowResults[$key] | ForEach-Object { [pscustomobject] $_ }) }
    }
    else {
        $old = Build-Commit -Commit $OldCommit -Name 'old'
        $now = if ($NowModulePath) {
            [pscustomobject]@{ Name = 'now'; Commit = "$((git -C $repo rev-parse HEAD).Trim()) + working tree"; Module = (Resolve-Path $NowModulePath).Path }
        } else { Build-Commit -Commit $NowCommit -Name 'now' }

        Write-Host "Running $($listed.Count) tests in $(@($listed | Group-Object File, DescribeLine).Count) Describe blocks against each build (work folder: $work)"
        $oldResults = Invoke-Side -Side $old -Tests $listed
        $nowResults = Invoke-Side -Side $now -Tests $listed
        $resultsPath = Join-Path ([IO.Path]::GetTempPath()) "isulakata-baseline-results-$PID.json"
        @{ Old = $old; Now = $now; OldResults = $oldResults; NowResults = $nowResults } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $resultsPath
        Write-Host "Results kept in $resultsPath (-FromResults writes the table again from them)"
    }

    $rows = foreach ($entry in $classes) {
        foreach ($ref in $entry.Tests) {
            $test = Find-Test -File (Join-Path $testRoot $ref.File) -Name $ref.It
            $key = "$($test.File)|$($test.Name)"
            $case = if ($ref.ContainsKey('Case')) { $ref.Case } else { $null }
            [pscustomobject]@{
                Class = $entry.Class
                Test  = "$($ref.File): $($test.Name)$(if ($case) { " [$case]" })"
                Old   = Get-Verdict -Cases $oldResults[$key] -Case $case
                Now   = Get-Verdict -Cases $nowResults[$key] -Case $case
                Note  = if ($ref.ContainsKey('Note')) { $ref.Note } else { Get-FirstFailure -Cases $oldResults[$key] -Case $case }
            }
        }
    }
    foreach ($entry in $classes) {
        Write-Host $entry.Class
        foreach ($row in $rows | Where-Object Class -EQ $entry.Class) { Write-Host ("    {0,-26} {1,-8} {2}" -f $row.Old, $row.Now, $row.Test) }
    }

    $proved = @($classes | Where-Object { $c = $_.Class; @($rows | Where-Object { $_.Class -eq $c -and $_.Old -match '^(FAIL|HANG)' -and $_.Now -eq 'PASS' }).Count -gt 0 })
    $summary = "$($proved.Count) of $($classes.Count) defect classes have a test that fails (or hangs) on $($OldCommit) and passes now."
    Write-Host $summary
    foreach ($missing in $classes | Where-Object { $_ -notin $proved }) { Write-Host "  NOT PROVED: $($missing.Class)" }

    if ($OutFile) {
        $escape = { param($t) "$t".Replace('|', '\|').Replace('<', '&lt;').Replace("`n", ' ') }
        $lines = @(
            '# Trust: each defect class of issue 12 and the test that proves it fixed'
            ''
            'Issue 12 measured these classes of defect on main at 82eb2ea. Each has at least one test of the host suite'
            'that fails (or hangs) on that commit and passes now. The table is written by the tool that shows it:'
            ''
            '```'
            "dotnet tool run pwsh -NoProfile -File tests/Baseline/Invoke-Baseline.ps1 -OldCommit $OldCommit -OutFile docs/trust.md"
            '```'
            ''
            'It builds both commits, each in a git worktree of its own with its own build.ps1, and runs the tests of this'
            'tree against each module, every Describe block in a child pwsh killed after a time limit (HANG). A call of the'
            'old module that blocks in open() on a FIFO is a failed test, not a hang: the suite runs such calls in a child'
            'pwsh of their own (Invoke-Bounded) and kills it after 30 seconds. It is run by hand, not by CI.'
            ''
            "Old: $($old.Commit.Substring(0, 10)). Now: $($now.Commit.Substring(0, [Math]::Min(10, $now.Commit.Length)))$(if ($now.Commit -like '*working tree') { ' and the working tree' })."
            ''
            $summary
            ''
            '| Defect class (issue 12, section 1) | Test | Old | Now | How it fails on the old commit (first failing case) |'
            '| --- | --- | --- | --- | --- |'
            $previous = $null
            foreach ($row in $rows) {
                # The class once, on its first row.
                $class = if ($row.Class -ne $previous) { & $escape $row.Class } else { '' }
                $previous = $row.Class
                "| $class | $(& $escape $row.Test) | $($row.Old) | $($row.Now) | $(& $escape $row.Note) |"
            }
        )
        $target = if ([IO.Path]::IsPathRooted($OutFile)) { $OutFile } else { Join-Path (Get-Location) $OutFile }
        Set-Content -LiteralPath $target -Value $lines
        Write-Host "Wrote $target"
    }
    if ($proved.Count -ne $classes.Count -or @($rows | Where-Object Now -NE 'PASS').Count) { $global:LASTEXITCODE = 1 } else { $global:LASTEXITCODE = 0 }
}
finally {
    if ($KeepWork) { Write-Host "Kept $work" }
    else {
        foreach ($tree in 'old', 'now') { if (Test-Path (Join-Path $work $tree)) { git -C $repo worktree remove --force (Join-Path $work $tree) 2>$null | Out-Null } }
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
        git -C $repo worktree prune
    }
}
exit $LASTEXITCODE
