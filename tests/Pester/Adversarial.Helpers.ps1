# Dot-sourced (after Common.ps1) by the tests that attack the module: bounded calls, the list of project error ids,
# and a snapshot of a root's files to prove that a refused call left nothing behind.

function Get-ProjectErrorId {
    <#
    .SYNOPSIS
        Every error id the module can report: the ids written in src/ (new IsulaKataException("Id", ...), and the ids
        the base cmdlet translates to), read from the source so a new id needs no change here.
    #>
    $src = Join-Path $PSScriptRoot '../../src/IsulaKata.PowerShell'
    $ids = foreach ($file in Get-ChildItem -LiteralPath $src -Recurse -Filter *.cs) {
        $text = [IO.File]::ReadAllText($file.FullName)
        foreach ($pattern in '"([A-Z][A-Za-z0-9]+)",\s*FailureKind', '(?:CommandFailed|RunChecked)\([^;]*?"([A-Z][A-Za-z0-9]+)"',
                              'errorId(?: =|:) "([A-Z][A-Za-z0-9]+)"', 'IsulaKataException\("([A-Z][A-Za-z0-9]+)"', 'ParseChecked\([^;]*?"([A-Z][A-Za-z0-9]+)"', 'ErrorRecord\([^;]*?"([A-Z][A-Za-z0-9]+)"') {
            foreach ($m in [regex]::Matches($text, $pattern)) { $m.Groups[1].Value }
        }
    }
    @($ids | Sort-Object -Unique)
}

function Invoke-Bounded {
    <#
    .SYNOPSIS
        Runs a script block in a child pwsh (the module imported there, this environment inherited) and waits at most
        -Seconds. Returns the number of objects it wrote, its errors (terminating or not; each with
        FullyQualifiedErrorId, CategoryInfo.Category, TargetObject and Message) and whether it finished. A call that
        did not finish is killed with its child processes: a thread blocked in open() on a FIFO cannot be stopped, so
        only a process of its own makes such a hang a failed test instead of a run that never ends.
    #>
    param([Parameter(Mandatory)] [scriptblock] $Script, [hashtable] $Arguments = @{}, [int] $Seconds = 30)
    $child = @"
`$ErrorActionPreference = 'Continue'
Import-Module '$($script:ModulePath.Replace("'", "''"))'
`$arguments = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('$([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes((ConvertTo-Json -InputObject $Arguments -Compress))))')) | ConvertFrom-Json -AsHashtable
`$call = { $($Script.ToString()) }
`$failed = @()
`$count = 0
try { foreach (`$item in (& `$call @arguments 2>&1)) { if (`$item -is [System.Management.Automation.ErrorRecord]) { `$failed += `$item } else { `$count++ } } }
catch { `$failed += `$_ }
`$errors = @(foreach (`$e in `$failed) {
    `$record = if (`$e -is [System.Management.Automation.ErrorRecord]) { `$e } elseif (`$e.ErrorRecord) { `$e.ErrorRecord } else { `$null }
    if (`$record) { @{ FullyQualifiedErrorId = "`$(`$record.FullyQualifiedErrorId)"; Category = "`$(`$record.CategoryInfo.Category)"; TargetObject = "`$(`$record.TargetObject)"; Message = "`$(`$record.Exception.Message)"; Type = `$record.Exception.GetType().FullName } }
})
'BOUNDED-RESULT ' + (ConvertTo-Json -InputObject @{ Count = `$count; Errors = `$errors } -Depth 4 -Compress)
"@
    $start = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ((Split-Path -Leaf ([Environment]::ProcessPath)) -eq 'dotnet') { $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
    foreach ($argument in '-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($child))) { $start.ArgumentList.Add($argument) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        $finished = $process.WaitForExit($Seconds * 1000)
        if (-not $finished) { $process.Kill($true); $process.WaitForExit() }
        $line = @("$($stdout.Result)" -split "`n" | Where-Object { $_.StartsWith('BOUNDED-RESULT ') }) | Select-Object -Last 1
        if ($finished -and -not $line) { throw "The bounded call's pwsh ended without a result (exit code $($process.ExitCode)):`n$($stderr.Result)" }
        $answer = if ($line) { $line.Substring(15) | ConvertFrom-Json } else { [pscustomobject]@{ Count = 0; Errors = @() } }
        $errors = @(foreach ($e in @($answer.Errors)) {
            if ($null -eq $e) { continue }
            [pscustomobject]@{ FullyQualifiedErrorId = $e.FullyQualifiedErrorId; CategoryInfo = [pscustomobject]@{ Category = $e.Category }
                               TargetObject = $e.TargetObject; Message = $e.Message; ExceptionType = $e.Type }
        })
        [pscustomobject]@{ Finished = $finished; OutputCount = [int] $answer.Count; Errors = $errors }
    }
    finally { $process.Dispose() }
}

function Stop-Bounded {
    <#
    .SYNOPSIS
        Ctrl+C for a [powershell] started with BeginInvoke: asks it to stop and waits at most -Seconds. Returns whether
        it ended. PowerShell.Stop() waits without limit (a call that ignores the stop would hang the suite); this never
        does, and a call that did not end is left behind, not disposed (Dispose would wait for it too).
    #>
    param([Parameter(Mandatory)] [powershell] $PowerShell, [Parameter(Mandatory)] [IAsyncResult] $Async, [int] $Seconds = 30)
    [void] $PowerShell.BeginStop($null, $null)
    $ended = $Async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds))
    if ($ended) { $PowerShell.Dispose() }
    $ended
}

function Stop-WhileBlocked {
    <#
    .SYNOPSIS
        Ctrl+C while a fake program runs: starts -Command (a line of PowerShell) in a runspace with the fakes on PATH,
        waits until the fake -Program blocks (see Fakes/bin/_record), stops the call (Stop-Bounded), then releases
        the fake. Returns whether the call ended within -Seconds of the stop.
    #>
    param([Parameter(Mandatory)] [string] $Command, [Parameter(Mandatory)] [string] $Program, [int] $Seconds = 30)
    $state = $env:ISULAKATA_FAKE_STATE
    Set-FakeState "block-$Program"
    $ps = [powershell]::Create()
    [void] $ps.AddScript("Import-Module '$script:ModulePath'; `$env:PATH = '$env:PATH'; `$env:ISULAKATA_FAKE_STATE = '$state'; $Command")
    $async = $ps.BeginInvoke()
    for ($i = 0; $i -lt 300 -and -not (Test-Path (Join-Path $state "blocked-$Program")); $i++) { Start-Sleep -Milliseconds 100 }
    Test-Path (Join-Path $state "blocked-$Program") | Should -BeTrue -Because "the call reached $Program"
    $stopped = Stop-Bounded -PowerShell $ps -Async $async -Seconds $Seconds
    Set-FakeState release
    $stopped
}

function Start-LockWaiter {
    <#
    .SYNOPSIS
        Starts -Command (a line of PowerShell, the module imported) in a runspace of this process and waits until it
        holds -Folder open, waiting for the lock another writer holds there. Returns the runspace, its async result and
        that descriptor (a /proc/self/fd entry), or no descriptor when none appeared within 10 seconds.
    #>
    param([Parameter(Mandatory)] [string] $Folder, [Parameter(Mandatory)] [string] $Command)
    $ps = [powershell]::Create()
    [void] $ps.AddScript("Import-Module '$script:ModulePath'; $Command")
    $async = $ps.BeginInvoke()
    $fd = $null
    for ($i = 0; $i -lt 100 -and -not $fd; $i++) {
        Start-Sleep -Milliseconds 100
        $fd = Get-ChildItem /proc/self/fd -ErrorAction SilentlyContinue | Where-Object { $_.Target -eq $Folder } | Select-Object -First 1
    }
    [pscustomobject]@{ PowerShell = $ps; Async = $async; Descriptor = $fd }
}

function Get-RootSnapshot {
    # Every entry under a root (path relative to it, its type and, for regular files, the SHA-256), one string each,
    # sorted. find tells the type without opening anything, so a FIFO or device is listed, never read.
    param([Parameter(Mandatory)] [string] $Root)
    @(find $Root -mindepth 1 -printf '%y %P\n' | Sort-Object | ForEach-Object {
        $type, $relative = $_ -split ' ', 2
        if ($type -eq 'f') { "$relative $((Get-FileHash -LiteralPath (Join-Path $Root $relative) -Algorithm SHA256).Hash)" } else { "$relative ($type)" }
    })
}
