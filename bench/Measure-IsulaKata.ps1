#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Prints IsulaKata's performance figures, each measured side by side with its reference in one run.
.DESCRIPTION
    Run after ./build.ps1 (it uses output/IsulaKata/<version>/). Figures, not pass/fail: docs/performance.md
    records them with the machine they came from.

    Sections:
    - ColdStart: a new pwsh that imports the module and runs one cmdlet, against bare pwsh and PSResourceGet.
    - Procedure: the external processes and files the whole procedure costs on a fresh fake host (the fake programs
      of tests/Pester/Fakes/bin, as the Pester tests use them), then on an identical second run. Needs root for the
      loop device New-IsulaThinPool works on (as Storage.Tests.ps1 does); without it that step is left out and said so.
    - Warm: the latency of one cmdlet call in a pwsh that has already imported the module, in a silent runspace.
    Everything is made under one temporary folder, removed at the end; no file outside it is written.
.EXAMPLE
    dotnet tool run pwsh -NoProfile -File bench/Measure-IsulaKata.ps1 -Runs 7
.EXAMPLE
    dotnet tool run pwsh -NoProfile -File bench/Measure-IsulaKata.ps1 -Section Procedure,Warm
#>
[CmdletBinding()]
param(
    # How many times each cold start is measured (the median is reported).
    [ValidateRange(1, 50)] [int] $Runs = 5,

    # Which figures to measure: ColdStart, Procedure, Warm (all by default). With pwsh -File, separate them by commas
    # without spaces: -Section Procedure,Warm.
    [string[]] $Section = @('ColdStart', 'Procedure', 'Warm')
)
$ErrorActionPreference = 'Stop'
$Section = @($Section -split ',' | ForEach-Object Trim | Where-Object { $_ })
foreach ($s in $Section) { if ($s -notin 'ColdStart', 'Procedure', 'Warm') { throw "Unknown -Section '$s': use ColdStart, Procedure or Warm." } }
$repo = Split-Path $PSScriptRoot
$version = (Import-PowerShellDataFile (Join-Path $repo 'IsulaKata.psd1')).ModuleVersion
$moduleRoot = Join-Path $repo "output/IsulaKata/$version"
if (-not (Test-Path $moduleRoot)) { throw "Build the module first: ./build.ps1 (missing $moduleRoot)." }
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
$pwsh = @([Environment]::ProcessPath) + @(if ((Split-Path -Leaf ([Environment]::ProcessPath)) -eq 'dotnet') { $pwshDll })
$fakeBin = Join-Path $repo 'tests/Pester/Fakes/bin'
$fixtures = Join-Path $repo 'tests/Pester/Fixtures'
$kataDefaults = '/usr/share/defaults/kata-containers/configuration.toml'

$fixtureRoot = Join-Path ([IO.Path]::GetTempPath()) "isulakata-bench-$PID"
# The change journal of this host (-Root /) stays in the temporary folder too.
$env:ISULAKATA_JOURNAL = Join-Path $fixtureRoot 'journal.jsonl'
New-Item -ItemType Directory (Join-Path $fixtureRoot 'etc/isulad') -Force | Out-Null
Copy-Item (Join-Path $fixtures 'daemon.shipped.json') (Join-Path $fixtureRoot 'etc/isulad/daemon.json')

$median = { param($values) ($values | Sort-Object)[[int][Math]::Floor(@($values).Count / 2)] }

function Invoke-ColdStart {
    param([string] $Command)
    $env:PSModulePath = "$(Split-Path $moduleRoot -Parent | Split-Path -Parent)$([IO.Path]::PathSeparator)$env:PSModulePath"
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $Command | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "pwsh -c '$Command' failed." }
}

function Get-FileSnapshot {
    # Every file under the folders, as "length|last write|SHA-256" by full path: what a step wrote shows as a difference.
    param([string[]] $Folder)
    $snapshot = @{}
    foreach ($f in $Folder) {
        if (-not (Test-Path -LiteralPath $f)) { continue }
        foreach ($file in Get-ChildItem -LiteralPath $f -Recurse -File -Force) {
            $snapshot[$file.FullName] = '{0}|{1}|{2}' -f $file.Length, $file.LastWriteTimeUtc.Ticks, (Get-FileHash -LiteralPath $file.FullName -Algorithm SHA256).Hash
        }
    }
    $snapshot
}

function Compare-FileSnapshot {
    # The files created, changed or removed between two snapshots, each as "+ path", "~ path" or "- path".
    param([hashtable] $Before, [hashtable] $After)
    foreach ($path in $After.Keys | Sort-Object) {
        if (-not $Before.ContainsKey($path)) { "+ $path" } elseif ($Before[$path] -ne $After[$path]) { "~ $path" }
    }
    foreach ($path in $Before.Keys | Sort-Object) { if (-not $After.ContainsKey($path)) { "- $path" } }
}

function Test-ReadOnlyCommand {
    # True for the commands that only look (lvm reports, probes, isula info/inspect, rpm -q, systemctl status);
    # anything not listed here counts as a change.
    param([string] $Line)
    $Line -match '^(pvs|vgs|lvs|lvmconfig|rpm -q|journalctl) ' -or $Line -match '^wipefs .*--no-act' -or
        $Line -match '^isula (info|inspect|ps|version)\b' -or $Line -match '^systemctl (status|is-active|is-enabled|show) ' -or $Line -eq 'lsmod'
}

try {
    $procs = Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1
    Write-Host "Machine: $(nproc) cores, $([Math]::Round((Get-Content /proc/meminfo -TotalCount 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB)) GiB, $(if ($procs) { $procs.Line.Split(':')[1].Trim() }), pwsh $($PSVersionTable.PSVersion), IsulaKata $version"
    Write-Host "Load average at start: $((Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ') (1, 5, 15 min)"

    if ('ColdStart' -in $Section) {
        Write-Host ''
        Write-Host "== Cold start (median of $Runs, each a new pwsh -NoProfile)"
        $commands = [ordered]@{
            'pwsh -c 1'                                                = '1'
            # The first object pwsh prints loads its formatting and type data: a cost every command below pays too.
            "pwsh -c 'Get-Item /'"                                     = 'Get-Item /'
            'Import-Module IsulaKata; Get-IsulaRuntime -Root <fixture>' = "Import-Module IsulaKata; Get-IsulaRuntime -Root '$fixtureRoot'"
            'Import-Module PSResourceGet; Get-PSResourceRepository'     = 'Import-Module Microsoft.PowerShell.PSResourceGet; Get-PSResourceRepository'
        }
        $times = @{}
        foreach ($name in $commands.Keys) { $times[$name] = [Collections.Generic.List[double]]::new() }
        foreach ($i in 1..$Runs) {
            # Interleaved, so that a slow moment of the machine hits all alike.
            foreach ($name in $commands.Keys) { $times[$name].Add((Measure-Command { Invoke-ColdStart $commands[$name] }).TotalMilliseconds) }
        }
        # Peak working set and the methods .NET had to JIT-compile, from one more start of each, printed by the
        # process itself at its end (the same two lines end every command, so they cost all alike).
        $footer = '; "{0} {1}" -f (Get-Process -Id $PID).PeakWorkingSet64, [System.Runtime.JitInfo]::GetCompiledMethodCount()'
        $bare = & $median $times['pwsh -c 1']
        '{0,-58} {1,8} {2,7} {3,9} {4,9}' -f 'Command', 'ms', 'ratio', 'peak MiB', 'JIT count'
        foreach ($name in $commands.Keys) {
            $env:PSModulePath = "$(Split-Path $moduleRoot -Parent | Split-Path -Parent)$([IO.Path]::PathSeparator)$env:PSModulePath"
            $facts = (& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command ($commands[$name] + ' | Out-Null' + $footer) | Select-Object -Last 1) -split ' '
            $ms = & $median $times[$name]
            '{0,-58} {1,8:N0} {2,7:N2} {3,9:N1} {4,9}' -f $name, $ms, ($ms / $bare), ([double]$facts[0] / 1MB), $facts[1]
        }
        $o = & $median $times['Import-Module IsulaKata; Get-IsulaRuntime -Root <fixture>']
        $p = & $median $times['Import-Module PSResourceGet; Get-PSResourceRepository']
        'IsulaKata {0:N2}x bare pwsh, PSResourceGet {1:N2}x   target: IsulaKata <= 1.15x (noise on this machine: about +-50 ms)' -f ($o / $bare), ($p / $bare)
        'IsulaKata.dll loaded from <module>/{0}' -f (& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command "Import-Module IsulaKata; ([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ IsulaKata).Assemblies | Where-Object { `$_.GetName().Name -eq 'IsulaKata' } | ForEach-Object { [IO.Path]::GetRelativePath('$moduleRoot', (Split-Path `$_.Location)) }" | Select-Object -Last 1)

        Write-Host ''
        Write-Host '== First calls in a fresh session: Set-KataHypervisor -WhatIf on the 800-line kata 3.x QEMU configuration'
        $kataFresh = Join-Path $fixtureRoot 'kata-fresh'
        $freshConfig = Join-Path $kataFresh $kataDefaults.TrimStart('/')
        New-Item -ItemType Directory (Split-Path $freshConfig) -Force | Out-Null
        Copy-Item (Join-Path $fixtures 'Kata/kata3-qemu-long.toml') $freshConfig
        $script = "Import-Module IsulaKata; `$p = @{ Hypervisor = 'StratoVirt'; Root = '$kataFresh'; WhatIf = `$true; WarningAction = 'SilentlyContinue'; InformationAction = 'SilentlyContinue' }; " +
            '$t = foreach ($i in 1..21) { $w = [Diagnostics.Stopwatch]::StartNew(); Set-KataHypervisor @p 6>$null | Out-Null; $w.Elapsed.TotalMilliseconds }; ' +
            '"{0} {1}" -f $t[0], (($t[1..20] | Sort-Object)[10])'
        $firsts = [Collections.Generic.List[double]]::new(); $laters = [Collections.Generic.List[double]]::new()
        foreach ($i in 1..$Runs) {
            $first, $later = (& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script | Select-Object -Last 1) -split ' '
            $firsts.Add([double]$first); $laters.Add([double]$later)
        }
        '{0,-58} {1,8:N1} ms  target: <= 50 ms  (median over {2} sessions)' -f 'first call', (& $median $firsts), $Runs
        '{0,-58} {1,8:N2} ms  target: < 5 ms' -f 'calls 2-21, median', (& $median $laters)
    }

    Import-Module (Join-Path $moduleRoot 'IsulaKata.psd1') -Force
    $originalPath = $env:PATH
    $originalState = $env:ISULAKATA_FAKE_STATE

    if ('Procedure' -in $Section -or 'Warm' -in $Section) {
        # The fake host: the fake programs first on PATH, their state folder, and a target root for the files.
        # isulad is installed and runs with the shipped daemon.json (overlay2), the three packages are installed,
        # the shim is on PATH, kata has openEuler's kata 1.x QEMU configuration.
        $state = Join-Path $fixtureRoot 'fake-state'
        $target = Join-Path $fixtureRoot 'target'
        $shimBin = Join-Path $fixtureRoot 'shim-bin'
        New-Item -ItemType Directory -Path $state, $shimBin, (Join-Path $target 'etc/isulad') -Force | Out-Null
        New-Item -ItemType File -Path (Join-Path $state 'commands.log') -Force | Out-Null
        $env:ISULAKATA_FAKE_STATE = $state
        # lvm's configuration folder of the fake host (LVM_SYSTEM_DIR): lvm's defaults, the profiles in etc/lvm/profile.
        New-Item -ItemType Directory -Path (Join-Path $state 'etc/lvm') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $state 'etc/lvm/lvm.conf') -Value "# lvm.conf of the fake host: lvm's defaults`n" -NoNewline
        $env:LVM_SYSTEM_DIR = Join-Path $state 'etc/lvm'
        $env:PATH = "${fakeBin}:${shimBin}:$originalPath"
        Set-Content -LiteralPath (Join-Path $shimBin 'containerd-shim-kata-v2') -Value "#!/bin/sh`nexit 0`n" -NoNewline
        chmod 755 (Join-Path $shimBin 'containerd-shim-kata-v2')
        $daemonJson = Join-Path $target 'etc/isulad/daemon.json'
        Copy-Item (Join-Path $fixtures 'daemon.shipped.json') $daemonJson
        $kataConfig = Join-Path $target $kataDefaults.TrimStart('/')
        New-Item -ItemType Directory -Path (Split-Path $kataConfig) -Force | Out-Null
        Copy-Item (Join-Path $fixtures 'Kata/kata1-qemu.toml') $kataConfig
        Set-Content -LiteralPath (Join-Path $state 'config-path') -Value $daemonJson -NoNewline
        Set-Content -LiteralPath (Join-Path $state 'rpm-installed') -NoNewline -Value "iSulad 2.1.5-8.oe2203sp3`nkata-containers 2.1.0-25.oe2203sp3`nlib-shim-v2 0.0.1-15.oe2203sp3`n"
        & (Join-Path $fakeBin 'systemctl') restart isulad
        # A running kernel for the vhost_vsock step (see below): kvm loaded, vhost_vsock not yet.
        $kernel = Join-Path $fixtureRoot 'kernel'
        New-Item -ItemType Directory -Path "$kernel/proc", "$kernel/dev", "$kernel/sys/module" -Force | Out-Null
        Set-Content -LiteralPath "$kernel/proc/modules" -NoNewline -Value "kvm_intel 380928 0 - Live 0x0000000000000000`nkvm 1142784 1 kvm_intel, Live 0x0000000000000000`n"
        Set-Content -LiteralPath (Join-Path $state 'kernel-root') -Value $kernel -NoNewline
        # The guest kernel to install: an ELF stand-in of 300 000 bytes.
        $kernelFile = Join-Path $fixtureRoot 'vmlinux.bin'
        $bytes = [byte[]]::new(300000); [Random]::new(1).NextBytes($bytes); $bytes[0] = 0x7F; $bytes[1] = 0x45; $bytes[2] = 0x4C; $bytes[3] = 0x46
        [IO.File]::WriteAllBytes($kernelFile, $bytes)
        $loop = $null
        $canLoop = (id -u) -eq '0' -and [bool](Get-Command losetup -ErrorAction Ignore) -and (Test-Path /dev/loop-control)
        if ($canLoop) {
            # A real block device for New-IsulaThinPool's checks (/dev, /sys, mounts, holders); the fake lvm and
            # wipefs never touch it.
            $image = Join-Path $fixtureRoot 'loop.img'
            truncate -s 4G $image
            $loop = (losetup --find --show $image).Trim()
            Set-Content -LiteralPath (Join-Path $state "size-$(Split-Path -Leaf $loop)") -Value 4294967296 -NoNewline
        }
        Set-Content -LiteralPath (Join-Path $state 'commands.log') -Value $null
    }

    if ('Procedure' -in $Section) {
        Write-Host ''
        Write-Host '== External processes and files written by the whole procedure (fresh fake host, then an identical second run)'
        $logFile = Join-Path $state 'commands.log'
        # What the procedure writes: the target root (daemon.json, kata's configuration, the wrapper, the kernel,
        # modules-load.d) and the lvm profile directory of the fake host's lvm.conf ($state/etc/lvm/profile). The rest of
        # the state folder is the fake daemons' own (lvm metadata, containers, the command log), changed by commands.
        $watched = @($target, (Join-Path $state 'etc'))
        $quiet = @{ WarningAction = 'SilentlyContinue'; Confirm = $false }
        $steps = [ordered]@{
            'New-IsulaThinPool -Device <loop> | Set-IsulaRuntime -Restart' = {
                if ($loop) { New-IsulaThinPool -Device $loop @quiet | Set-IsulaRuntime -Restart -ConfigPath $daemonJson @quiet }
                else { Set-IsulaRuntime -ThinPoolDevice /dev/mapper/isula-thinpool -Restart -ConfigPath $daemonJson @quiet }
            }
            'Set-KataHypervisor -Hypervisor StratoVirt' = { Set-KataHypervisor -Hypervisor StratoVirt -Root $target @quiet }
            'Enable-VhostVsock' = {
                # The cmdlet on '/' reads the running kernel (/proc/modules, /dev/vhost-vsock) and writes the real
                # /etc/modules-load.d: its two halves are measured apart. Loading: the cmdlet's engine, as
                # VhostVsock.Tests.ps1 builds it (target '/', modprobe from PATH), reading the fake kernel tree.
                $log = [Action[string]] { param($message) $script:engineLog.Add($message) }
                $none = [Threading.CancellationToken]::None
                $context = [IsulaKata.Core.HostContext]::Create('/', $log, $none, $null)
                $modules = [IsulaKata.Modules.KernelModules]::new($context, [IsulaKata.Core.HostFiles]::new($kernel, $log, $none, $null))
                $probe = $modules.Probe('vhost_vsock', '/dev/vhost-vsock')
                [IsulaKata.Modules.KernelModules]::EnsureLoadable($probe, 'vhost_vsock')
                if (-not $probe.Loaded -or -not $probe.DeviceExists) { $null = $modules.Load('vhost_vsock', '/dev/vhost-vsock') }
                # Persisting: the cmdlet under -Root, which writes the boot-time file there and runs nothing.
                Enable-VhostVsock -Root $target @quiet
            }
            'Install-KataGuestKernel -Path <file>' = { Install-KataGuestKernel -Path $kernelFile -Root $target @quiet }
            'Test-SecureContainer -Hypervisor StratoVirt' = { Test-SecureContainer -Hypervisor StratoVirt @quiet }
        }
        $rows = [ordered]@{}
        $details = [Collections.Generic.List[string]]::new()
        foreach ($run in 1, 2) {
            foreach ($name in $steps.Keys) {
                $before = Get-FileSnapshot $watched
                $script:engineLog = [Collections.Generic.List[string]]::new()
                Set-Content -LiteralPath $logFile -Value $null
                $output = & { $VerbosePreference = 'Continue'; & $steps[$name] } 4>&1
                $commands = @(Get-Content -LiteralPath $logFile | Where-Object { $_ })
                $written = @(Compare-FileSnapshot $before (Get-FileSnapshot $watched))
                # Every process the module starts goes through its runner, which logs "Running: <command line>":
                # the fakes' log must hold exactly as many lines, else a program ran that has no fake.
                $running = @($output | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -like 'Running: *' }) + @($script:engineLog | Where-Object { $_ -like 'Running: *' })
                if ($running.Count -ne $commands.Count) {
                    throw "$name (run $run): the runner started $($running.Count) processes but the fakes recorded $($commands.Count): $($running.Message -join '; ')"
                }
                $failed = @($output | Where-Object { $_.PSObject.Properties['Passed'] -and -not $_.Passed })
                if ($failed) { throw "$name (run $run) did not pass: $($failed.Failures | Out-String)" }
                if (-not $rows.Contains($name)) { $rows[$name] = @{} }
                $rows[$name]["P$run"] = $commands.Count
                $rows[$name]["W$run"] = $written.Count
                $rows[$name]["M$run"] = @($commands | Where-Object { -not (Test-ReadOnlyCommand $_) }).Count
                $details.Add("  run $run, ${name}:")
                foreach ($c in $commands) { $details.Add("      $(if (Test-ReadOnlyCommand $c) { '   ' } else { 'ch ' })$c") }
                foreach ($w in $written) { $details.Add("      file $($w.Replace($fixtureRoot, '<tmp>'))") }
            }
        }
        '{0,-60} {1,9} {2,9} {3,7} {4,7}' -f 'Step', 'Processes', '2nd run', 'Files', '2nd run'
        '{0,-60} {1,9} {2,9} {3,7} {4,7}' -f ('-' * 4), ('-' * 9), ('-' * 7), ('-' * 5), ('-' * 7)
        foreach ($name in $rows.Keys) {
            $r = $rows[$name]
            '{0,-60} {1,9} {2,9} {3,7} {4,7}' -f $name, $r.P1, $r.P2, $r.W1, $r.W2
        }
        $sum = { param($key, [switch] $NoProof) ($rows.Keys | Where-Object { -not $NoProof -or $_ -notlike 'Test-SecureContainer*' } | ForEach-Object { $rows[$_][$key] } | Measure-Object -Sum).Sum }
        '{0,-60} {1,9} {2,9} {3,7} {4,7}' -f 'Whole procedure', (& $sum P1), (& $sum P2), (& $sum W1), (& $sum W2)
        '{0,-60} {1,9} {2,9} {3,7} {4,7}' -f 'Whole procedure without Test-SecureContainer', (& $sum P1 -NoProof), (& $sum P2 -NoProof), (& $sum W1 -NoProof), (& $sum W2 -NoProof)
        ''
        'First run: {0} processes   target: fewer than the 14 commands the guide has a person type' -f (& $sum P1)
        'Second run without the proof: {0} processes, {1} of them changing something, {2} files written   target: no writes, at most 4 read-only commands' -f (& $sum P2 -NoProof), (& $sum M2 -NoProof), (& $sum W2 -NoProof)
        'Second run with Test-SecureContainer (the proof starts a container each time): {0} processes ({1} changing something: isula run and isula rm start and remove the test container)' -f (& $sum P2), (& $sum M2)
        if (-not $loop) { 'New-IsulaThinPool was NOT measured (it needs root and losetup for a loop device): the row is Set-IsulaRuntime -ThinPoolDevice alone.' }
        'Not counted: Enable-VhostVsock on ''/'' would write the real /etc/modules-load.d/isulakata.conf and read the running kernel; its'
        '  modprobe is counted through its engine on a fake kernel tree, its boot-time file through the cmdlet under -Root <tmp>/target.'
        '  Set-KataHypervisor and Install-KataGuestKernel run no process on any root, so they run under -Root <tmp>/target.'
        '  The stand-in VM and shim processes the fake isula starts are the daemon''s, not the module''s.'
        ''
        'Commands (ch = changes something) and files (+ created, ~ changed, - removed):'
        $details
    }

    if ('Warm' -in $Section) {
        Write-Host ''
        Write-Host '== Warm latency (in one pwsh that has imported the module, in a silent runspace)'
        $kataRoot = Join-Path $fixtureRoot 'kata'
        $longConfig = Join-Path $kataRoot $kataDefaults.TrimStart('/')
        New-Item -ItemType Directory (Split-Path $longConfig) -Force | Out-Null
        Copy-Item (Join-Path $fixtures 'Kata/kata3-qemu-long.toml') $longConfig
        $lines = (Get-Content $longConfig).Count
        # Measured in a runspace of its own, whose host prints nothing: the figure is the cmdlet's, not the console's.
        $runspace = [powershell]::Create()
        $null = $runspace.AddCommand('Import-Module').AddParameter('Name', (Join-Path $moduleRoot 'IsulaKata.psd1')).Invoke()
        $warm = {
            # The median of $Count calls after $Skip calls (the first loads and compiles the code path).
            param([string] $Command, [hashtable] $Parameters, [int] $Skip = 1, [int] $Count = 50)
            $call = { $runspace.Commands.Clear(); $null = $runspace.AddCommand($Command).AddParameters($Parameters).Invoke() }
            foreach ($i in 1..$Skip) { & $call }
            if ($runspace.HadErrors) { throw "$Command failed in the runspace: $($runspace.Streams.Error | Out-String)" }
            $times = foreach ($i in 1..$Count) { (Measure-Command $call).TotalMilliseconds }
            & $median $times
        }
        $whatIfParameters = @{ Hypervisor = 'StratoVirt'; Root = $kataRoot; WhatIf = $true; WarningAction = 'SilentlyContinue' }
        $whatIf = & $warm 'Set-KataHypervisor' $whatIfParameters -Count 100
        # .NET compiles a method quickly first (tier 0) and recompiles it optimised after 30 calls, in the background:
        # the calls a person makes in a session run the first code, a long-lived session the second.
        $steady = & $warm 'Set-KataHypervisor' $whatIfParameters -Skip 200 -Count 100
        '{0,-58} {1,8:N2} ms  target: < 10 ms  (median of calls 2-101)' -f "Set-KataHypervisor -WhatIf ($lines-line config)", $whatIf
        '{0,-58} {1,8:N2} ms  (median of calls 302-401, once .NET has optimised the code)' -f '  the same, steady state', $steady

        # The fake host as the procedure leaves it: the pool, isulad on devicemapper, kata on StratoVirt.
        if ('Procedure' -notin $Section) {
            if ($loop) { New-IsulaThinPool -Device $loop -WarningAction SilentlyContinue -Confirm:$false | Set-IsulaRuntime -Restart -ConfigPath $daemonJson -WarningAction SilentlyContinue | Out-Null }
            Set-KataHypervisor -Hypervisor StratoVirt -Root $target -WarningAction SilentlyContinue | Out-Null
        }
        $logFile = Join-Path $state 'commands.log'
        Set-Content -LiteralPath $logFile -Value $null
        $doctor = @{ IsuladConfigPath = $daemonJson; KataConfigPath = $kataConfig; WarningAction = 'SilentlyContinue' }
        $output = & { $VerbosePreference = 'Continue'; Test-IsulaKataHost @doctor } 4>&1
        $checks = @($output | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] })
        $perCall = @(Get-Content -LiteralPath $logFile | Where-Object { $_ })
        # With -Verbose the runner says how long each process took ("Exit code 0 after N ms: prog"): the rest of a
        # call is the module's own work (reading files, parsing reports, PowerShell's binding and output).
        $doctor.Verbose = $true
        $call = { $runspace.Commands.Clear(); $runspace.Streams.Verbose.Clear(); $null = $runspace.AddCommand('Test-IsulaKataHost').AddParameters($doctor).Invoke() }
        & $call
        if ($runspace.HadErrors) { throw "Test-IsulaKataHost failed in the runspace: $($runspace.Streams.Error | Out-String)" }
        $totals = [Collections.Generic.List[double]]::new(); $own = [Collections.Generic.List[double]]::new()
        foreach ($i in 1..50) {
            $elapsed = (Measure-Command $call).TotalMilliseconds
            $children = ($runspace.Streams.Verbose | ForEach-Object { if ($_.Message -match '^Exit code -?\d+ after (\d+) ms') { [double] $Matches[1] } } | Measure-Object -Sum).Sum
            $totals.Add($elapsed); $own.Add($elapsed - $children)
        }
        '{0,-58} {1,8:N2} ms  ({2} checks, {3} processes per call: {4})' -f 'Test-IsulaKataHost (fake host, all areas)', (& $median $totals), $checks.Count, $perCall.Count, (($perCall | ForEach-Object { ($_ -split ' ')[0] }) -join ', ')
        '{0,-58} {1,8:N2} ms  (the call minus the time its processes ran, as the runner logs it; median of 50)' -f '  the module''s own share', (& $median $own)
    }
    Write-Host ''
    Write-Host "Load average at end: $((Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ')"
}
finally {
    if ($runspace) { $runspace.Dispose() }
    if ($state -and (Test-Path (Join-Path $state 'standins.log'))) {
        # Whatever stand-in VM or shim a failed run left behind (each runs in its own process group), when that
        # process is still the stand-in: its command line holds the container id.
        foreach ($line in Get-Content (Join-Path $state 'standins.log')) {
            $id, $role, $standIn = $line -split ' '
            $commandLine = Get-Content -LiteralPath "/proc/$standIn/cmdline" -Raw -ErrorAction Ignore
            if ($commandLine -and $commandLine.Contains($id)) { & /bin/kill -KILL -- "-$standIn" 2>$null }
        }
    }
    if ($loop) { losetup -d $loop }
    if ($null -ne $originalPath) { $env:PATH = $originalPath }
    if ($originalState) { $env:ISULAKATA_FAKE_STATE = $originalState } else { Remove-Item Env:ISULAKATA_FAKE_STATE -ErrorAction Ignore }
    Remove-Item Env:LVM_SYSTEM_DIR -ErrorAction Ignore
    Remove-Item -LiteralPath $fixtureRoot -Recurse -Force
}
