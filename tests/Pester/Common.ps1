# Dot-sourced by every test file (in BeforeAll): imports the built module and offers the fake host.

$script:ModulePath = if ($env:ISULAKATA_MODULE) { $env:ISULAKATA_MODULE } else {
    Get-ChildItem (Join-Path $PSScriptRoot '../../output/IsulaKata/*/IsulaKata.psd1') | Select-Object -Last 1 -ExpandProperty FullName
}
Import-Module $script:ModulePath -Force
$script:Fixtures = Join-Path $PSScriptRoot 'Fixtures'
$script:FakeBin = Join-Path $PSScriptRoot 'Fakes/bin'
# The change journal of this host (-Root /) goes to the test drive, never to this machine's /var/lib/isulakata.
if ($TestDrive) { $env:ISULAKATA_JOURNAL = Join-Path $TestDrive 'host-journal.jsonl' }

function New-FakeHost {
    <#
    .SYNOPSIS
        Puts the fake programs first on PATH with a fresh state folder; returns that folder.
        Each fake appends one line per call, "<program> <args...>", to <state>/commands.log.
    #>
    param([string] $Path = (Join-Path $TestDrive ('fake-' + [guid]::NewGuid().ToString('N').Substring(0, 6))))
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    New-Item -ItemType File -Path (Join-Path $Path 'commands.log') -Force | Out-Null
    $env:ISULAKATA_FAKE_STATE = $Path
    # lvm's configuration folder of the fake host, as lvm itself takes it from LVM_SYSTEM_DIR: an lvm.conf that sets
    # nothing, so the profile folder is lvm's default there (<state>/etc/lvm/profile) and no lvmconfig is needed.
    New-Item -ItemType Directory -Path (Join-Path $Path 'etc/lvm') -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $Path 'etc/lvm/lvm.conf') -Value "# lvm.conf of the fake host: lvm's defaults`n" -NoNewline
    $env:LVM_SYSTEM_DIR = Join-Path $Path 'etc/lvm'
    if (-not $script:OriginalPath) { $script:OriginalPath = $env:PATH }
    $env:PATH = "$($script:FakeBin):$($script:OriginalPath)"
    return $Path
}

function Remove-FakeHost {
    if ($script:OriginalPath) { $env:PATH = $script:OriginalPath }
    Remove-Item Env:ISULAKATA_FAKE_STATE, Env:LVM_SYSTEM_DIR -ErrorAction SilentlyContinue
}

function Get-FakeCommand {
    # The commands the fakes ran, one "<program> <args...>" string each, in order.
    param([string] $State = $env:ISULAKATA_FAKE_STATE)
    @(Get-Content -LiteralPath (Join-Path $State 'commands.log'))
}

function New-TestRoot {
    # A scratch root holding a copy of a fixture at a target path, e.g. New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }.
    param([hashtable] $Files = @{})
    $root = Join-Path $TestDrive ('root-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
    New-Item -ItemType Directory -Path $root | Out-Null
    foreach ($target in $Files.Keys) {
        $hostPath = Join-Path $root $target.TrimStart('/')
        New-Item -ItemType Directory -Path (Split-Path $hostPath) -Force | Out-Null
        Copy-Item -LiteralPath (Join-Path $script:Fixtures $Files[$target]) -Destination $hostPath
    }
    return $root
}

function Get-Sha256 { param([string] $Path) (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash }

function Set-FakeState {
    # Tells the fakes how to behave: writes <state>/<Name> (e.g. config-path, fail-if-config-contains, never-answers).
    param([Parameter(Mandatory)] [string] $Name, [string] $Value = '', [string] $State = $env:ISULAKATA_FAKE_STATE)
    Set-Content -LiteralPath (Join-Path $State $Name) -Value $Value -NoNewline
}

function Invoke-Fake {
    # Runs one of the fake programs directly (e.g. to start the fake isulad before a test).
    param([Parameter(Mandatory)] [string] $Name, [Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    & (Join-Path $script:FakeBin $Name) @Arguments
}

function Invoke-ChildPwsh {
    <#
    .SYNOPSIS
        Runs a script in a fresh pwsh (this pwsh's version, no profile, plain-text output) and returns its standard
        output; throws with the child's stderr when it exits non-zero. -Environment sets variables for the child
        only ($null removes one, e.g. PSModulePath so the child computes its own).
    #>
    param([Parameter(Mandatory)] [string] $Script, [hashtable] $Environment = @{})
    $start = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ((Split-Path -Leaf ([Environment]::ProcessPath)) -eq 'dotnet') { $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes("`$PSStyle.OutputRendering = 'PlainText'`n" + $Script))
    foreach ($argument in '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded) { $start.ArgumentList.Add($argument) }
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { [void] $start.Environment.Remove($name) } else { $start.Environment[$name] = [string] $Environment[$name] }
    }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    $stderr = $process.StandardError.ReadToEndAsync()
    $stdout = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    if ($process.ExitCode -ne 0) { throw "The child pwsh failed (exit code $($process.ExitCode)):`n$($stderr.Result)`n$stdout" }
    return $stdout
}

function Invoke-AsNobody {
    <#
    .SYNOPSIS
        Runs a script in a child pwsh as uid/gid 65534 with only CAP_DAC_READ_SEARCH (so it can read the module and pwsh
        under /root but is not root for anything else) and returns its output lines. Needs root and setpriv.
    #>
    param([Parameter(Mandatory)] [string] $Script)
    $nobodyHome = Join-Path $TestDrive 'nobody-home'
    New-Item -ItemType Directory -Path $nobodyHome -Force | Out-Null
    chmod 777 $nobodyHome $TestDrive
    $savedHome = $env:HOME
    try {
        $env:HOME = $nobodyHome
        & setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+dac_read_search --ambient-caps=+dac_read_search -- `
            (Get-Process -Id $PID).Path (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $Script
    }
    finally { $env:HOME = $savedHome }
}
