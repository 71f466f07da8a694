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
        Runs a script block in its own runspace (the module imported there) and waits at most -Seconds. Returns what it
        wrote, the errors (terminating or not) and whether it finished; a call that did not finish is stopped.
    #>
    param([Parameter(Mandatory)] [scriptblock] $Script, [hashtable] $Arguments = @{}, [int] $Seconds = 30)
    $ps = [powershell]::Create()
    $finished = $false
    try {
        [void] $ps.AddScript("Import-Module '$script:ModulePath'; `$env:PATH = '$env:PATH'; `$env:ISULAKATA_FAKE_STATE = '$env:ISULAKATA_FAKE_STATE'").AddStatement()
        [void] $ps.AddScript($Script.ToString())
        foreach ($name in $Arguments.Keys) { [void] $ps.AddParameter($name, $Arguments[$name]) }
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
        $finished = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds))
        $terminating = $null
        if ($finished) {
            try { [void] $ps.EndInvoke($async) } catch { $terminating = $_.Exception }
        }
        else {
            # A call stuck in a blocking read cannot be stopped; ask, and leave its runspace behind rather than wait.
            [void] $ps.BeginStop($null, $null)
        }
        $errors = @($ps.Streams.Error)
        if ($terminating) {
            $record = if ($terminating.InnerException -is [System.Management.Automation.IContainsErrorRecord]) { $terminating.InnerException.ErrorRecord }
                      elseif ($terminating -is [System.Management.Automation.IContainsErrorRecord]) { $terminating.ErrorRecord }
            if ($record) { $errors += $record }
        }
        [pscustomobject]@{ Finished = $finished; Output = @($output); Errors = $errors; Exception = $terminating }
    }
    finally { if ($finished) { $ps.Dispose() } }
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
