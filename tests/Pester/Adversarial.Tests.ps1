# The suite that attacks: mutated daemon.json and kata configuration files (fixed seed), special files at every path
# the module reads, full and read-only file systems, a user who is not root, Ctrl+C in the middle, 50 concurrent runs.
# Every call ends in a valid result or a project error id with the files as they were; never a raw .NET error, never
# a hang, never a stray file.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'Adversarial.Helpers.ps1')
    $script:KnownIds = Get-ProjectErrorId
    $script:Daemon = '/etc/isulad/daemon.json'
    $script:KataConfig = '/usr/share/defaults/kata-containers/configuration.toml'
    $script:Wrapper = '/usr/local/libexec/isulakata/stratovirt.sh'
    # The change journal under the root: every change is recorded there by design (Get-IsulaKataChange), so it is the
    # one file a change may add besides the file, its backup and the wrapper.
    $script:Journal = '/var/lib/isulakata/journal.jsonl'
    $script:Seed = 20261206

    function New-MutatedInput {
        <#
        .SYNOPSIS
            The inputs: each mutation class applied with a fixed seed to each realistic file. Returns objects with Kind
            (json or toml), Class, Fixture and Bytes.
        #>
        param([int] $PerClass)
        $random = [Random]::new($Seed)
        $utf8 = [Text.UTF8Encoding]::new($false)
        $sources = @(
            foreach ($name in 'daemon.shipped.json', 'daemon.guide.json', 'daemon.kata-devicemapper.json') {
                [pscustomobject]@{ Kind = 'json'; Fixture = $name; Text = [IO.File]::ReadAllText((Join-Path $Fixtures $name)) }
            }
            foreach ($name in 'kata1-qemu.toml', 'kata2-stratovirt.toml', 'kata1-guide-snippet.toml', 'runtime-rs-qemu.toml') {
                [pscustomobject]@{ Kind = 'toml'; Fixture = $name; Text = [IO.File]::ReadAllText((Join-Path $Fixtures "Kata/$name")) }
            }
        )
        # The keys the module reads, and values of every type to put in their place.
        $jsonKeys = 'default-runtime', 'storage-driver', 'storage-opts', 'runtimes', 'log-level', 'hosts', 'registry-mirrors'
        $tomlKeys = 'path', 'kernel', 'initrd', 'image', 'block_device_driver', 'use_vsock', 'enable_template', 'sandbox_cgroup_with_emulator',
                    'disable_new_netns', 'enable_netmon', 'machine_type', 'default_vcpus', 'shared_fs', 'valid_hypervisor_paths'
        $jsonValues = '42', '-1', '1e999', 'true', 'null', '[]', '{}', '"x"', '[1, "a", null]', '{"a": {"b": 1}}', '"\u0000"', '""'
        $tomlValues = '42', 'true', '"x"', '[]', '[1, "a"]', '{ a = 1 }', '1979-05-27T07:32:00Z', "'''multi'''", '""', 'inf', '-0x10'

        $classes = [ordered]@{
            ByteFlip       = { param($b, $t, $s) $b = [byte[]]$b.Clone(); if ($b.Length) { for ($i = 0; $i -lt 1 + $random.Next(3); $i++) { $b[$random.Next($b.Length)] = [byte]$random.Next(256) } }; $b }
            Truncate       = { param($b, $t, $s) if ($b.Length) { [byte[]]$b[0..($random.Next($b.Length) - 1)] } else { $b } }
            DeleteLine     = { param($b, $t, $s) $l = [Collections.Generic.List[string]]$t.Split("`n"); $l.RemoveAt($random.Next($l.Count)); $utf8.GetBytes($l -join "`n") }
            DuplicateLine  = { param($b, $t, $s) $l = [Collections.Generic.List[string]]$t.Split("`n"); $i = $random.Next($l.Count); $l.Insert($i, $l[$i]); $utf8.GetBytes($l -join "`n") }
            DuplicateKey   = {
                param($b, $t, $s)
                if ($s.Kind -eq 'json') { $k = $jsonKeys[$random.Next($jsonKeys.Count)]; $utf8.GetBytes(([regex]'\{').Replace($t, "{`n    `"$k`": $($jsonValues[$random.Next($jsonValues.Count)]),", 1)) }
                else { $l = [Collections.Generic.List[string]]$t.Split("`n"); $keys = @(0..($l.Count - 1) | Where-Object { $l[$_] -match '^\s*[A-Za-z_]+\s*=' }); if ($keys) { $i = $keys[$random.Next($keys.Count)]; $l.Insert($i + 1, $l[$i]) }; $utf8.GetBytes($l -join "`n") }
            }
            WrongType      = {
                param($b, $t, $s)
                if ($s.Kind -eq 'json') {
                    $k = $jsonKeys[$random.Next($jsonKeys.Count)]; $v = $jsonValues[$random.Next($jsonValues.Count)]
                    $new = [regex]::Replace($t, "(`"$k`"\s*:\s*)(`"[^`"]*`"|\[[^\]]*\]|\{[^{}]*\}|[^,\s}]+)", { param($m) $m.Groups[1].Value + $v })
                    if ($new -eq $t) { $new = ([regex]'\{').Replace($t, "{`n    `"$k`": $v,", 1) }
                    $utf8.GetBytes($new)
                }
                else {
                    $k = $tomlKeys[$random.Next($tomlKeys.Count)]; $v = $tomlValues[$random.Next($tomlValues.Count)]
                    $utf8.GetBytes([regex]::Replace($t, "(?m)^(\s*#?\s*$k\s*=\s*).*$", { param($m) $m.Groups[1].Value.Replace('#', '') + $v }))
                }
            }
            DeepNesting    = {
                param($b, $t, $s)
                $depth = 30 + $random.Next(2000)
                if ($s.Kind -eq 'json') { $utf8.GetBytes(([regex]'\{').Replace($t, "{`n    `"deep`": $('[' * $depth)$(']' * $depth),", 1)) }
                else { $utf8.GetBytes("deep = $('[' * $depth)$(']' * $depth)`n" + $t) }
            }
            Nul            = { param($b, $t, $s) $l = [Collections.Generic.List[byte]]$b; $l.Insert($random.Next($l.Count + 1), 0); $l.ToArray() }
            InvalidUtf8    = { param($b, $t, $s) $l = [Collections.Generic.List[byte]]$b; $bad = @(@(0xFF), @(0xC3, 0x28), @(0xE2, 0x82), @(0xED, 0xA0, 0x80), @(0xF8, 0x88, 0x80, 0x80, 0x80))[$random.Next(5)]; $l.InsertRange($random.Next($l.Count + 1), [byte[]]$bad); $l.ToArray() }
            Bom            = { param($b, $t, $s) [byte[]](0xEF, 0xBB, 0xBF) + $b }
            Crlf           = { param($b, $t, $s) $utf8.GetBytes($t.Replace("`n", "`r`n")) }
            BomCrlf        = { param($b, $t, $s) [byte[]](0xEF, 0xBB, 0xBF) + $utf8.GetBytes($t.Replace("`n", "`r`n")) }
            Empty          = { param($b, $t, $s) [byte[]]@() }
            CommentsOnly   = { param($b, $t, $s) $utf8.GetBytes((($t.Split("`n") | Select-Object -First (1 + $random.Next(20)) | ForEach-Object { "# $_" }) -join "`n") + "`n") }
            Whitespace     = { param($b, $t, $s) $utf8.GetBytes((' ', "`t", "`n", "`r`n", "`f", "`v")[$random.Next(6)] * (1 + $random.Next(50))) }
        }
        foreach ($class in $classes.Keys) {
            for ($n = 0; $n -lt $PerClass; $n++) {
                $source = $sources[$random.Next($sources.Count)]
                $bytes = $utf8.GetBytes($source.Text)
                [pscustomobject]@{ Kind = $source.Kind; Class = $class; Fixture = $source.Fixture; Number = $n; Bytes = [byte[]]@(& $classes[$class] $bytes $source.Text $source) }
            }
        }
    }
}

Describe 'Adversarial: mutated configuration files' {
    It 'ends every call on every mutated input in a valid result or a project error, files untouched, within bounds' {
        $inputs = @(New-MutatedInput -PerClass 70)
        $inputs.Count | Should -BeGreaterOrEqual 1000
        $work = Join-Path $TestDrive 'mutations'
        New-Item -ItemType Directory -Path $work | Out-Null

        # One child runspace runs every call; this thread watches it, so a call that hangs is named and stopped.
        $sync = [hashtable]::Synchronized(@{ Current = ''; Tick = [DateTime]::UtcNow; Results = [Collections.ArrayList]::new() })
        $runner = {
            param($Inputs, $Work, $Sync, $Known, $Daemon, $KataConfig, $Wrapper, $Journal)
            $ErrorActionPreference = 'Stop'
            function Snapshot([string] $root) {
                @(foreach ($f in [IO.Directory]::EnumerateFiles($root, '*', [IO.SearchOption]::AllDirectories)) {
                    $f.Substring($root.Length) + ' ' + [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([IO.File]::ReadAllBytes($f)))
                }) | Sort-Object
            }
            function Judge($call, [string] $root, [byte[]] $original, [string] $file, [scriptblock] $check) {
                $before = Snapshot $root
                $verdict = $null
                try {
                    $out = & $call
                    $verdict = & $check $out
                }
                catch {
                    $record = $_
                    $id = "$($record.FullyQualifiedErrorId)".Split(',')[0]
                    if ($record.Exception -is [System.Management.Automation.PipelineStoppedException]) { $verdict = "stopped" }
                    elseif ($id -notin $Known -or $id -eq 'UnexpectedError') { $verdict = "unexpected error '$($record.FullyQualifiedErrorId)' ($($record.Exception.GetType().FullName)): $($record.Exception.Message)" }
                    elseif (((Snapshot $root) -join "`n") -ne ($before -join "`n")) { $verdict = "refused with $id but the files changed" }
                    else { $verdict = "refused:$id" }
                }
                $verdict
            }
            foreach ($item in $Inputs) {
                $root = Join-Path $Work "r$($item.Kind)"
                $path = if ($item.Kind -eq 'json') { $Daemon } else { $KataConfig }
                $calls = if ($item.Kind -eq 'json') {
                    [ordered]@{
                        'Get-IsulaRuntime' = @({ Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue }, { param($o) if ($o.ConfigPath -eq $Daemon) { 'accepted' } else { 'no result' } })
                        'Set-IsulaRuntime' = @({ Set-IsulaRuntime -Root $root -ThinPoolDevice '/dev/mapper/isula-thinpool' -WarningAction SilentlyContinue }, {
                            param($o)
                            $again = Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue
                            if ($again.Runtime -ne 'io.containerd.kata.v2' -or $again.StorageDriver -ne 'devicemapper') { return "the written file does not say what was asked: $($again.Runtime) $($again.StorageDriver)" }
                            $allowed = @($Daemon) + @($o.BackupPath | Where-Object { $_ })
                            $stray = @((Snapshot $root) | ForEach-Object { $_.Split(' ')[0] } | Where-Object { $_ -notin $allowed -and $_ -ne $Journal })
                            if ($stray) { return "stray files: $($stray -join ', ')" }
                            if ($o.BackupPath -and -not [Linq.Enumerable]::SequenceEqual([IO.File]::ReadAllBytes($root + $o.BackupPath), $item.Bytes)) { return 'the backup differs from the original' }
                            'accepted'
                        })
                        'Test-IsulaKataHost' = @({ Test-IsulaKataHost -Root $root -Area Isulad -WarningAction SilentlyContinue }, { param($o) if (@($o).Count -gt 0) { 'accepted' } else { 'no rows' } })
                    }
                }
                else {
                    [ordered]@{
                        'Get-KataHypervisor' = @({ Get-KataHypervisor -Root $root -WarningAction SilentlyContinue }, { param($o) if ($o.ConfigPath) { 'accepted' } else { 'no result' } })
                        'Set-KataHypervisor' = @({ Set-KataHypervisor -Root $root -Hypervisor StratoVirt -WarningAction SilentlyContinue }, {
                            param($o)
                            $again = Get-KataHypervisor -Root $root -WarningAction SilentlyContinue
                            if ($again.Hypervisor -ne 'stratovirt') { return "the written file does not select StratoVirt: $($again.Hypervisor)" }
                            $allowed = @($KataConfig, $Wrapper) + @($o.BackupPath | Where-Object { $_ }) + @($o.WrapperBackupPath | Where-Object { $_ })
                            $stray = @((Snapshot $root) | ForEach-Object { $_.Split(' ')[0] } | Where-Object { $_ -notin $allowed -and $_ -ne $Journal })
                            if ($stray) { return "stray files: $($stray -join ', ')" }
                            if ($o.BackupPath -and -not [Linq.Enumerable]::SequenceEqual([IO.File]::ReadAllBytes($root + $o.BackupPath), $item.Bytes)) { return 'the backup differs from the original' }
                            'accepted'
                        })
                        'Test-IsulaKataHost' = @({ Test-IsulaKataHost -Root $root -Area Kata -WarningAction SilentlyContinue }, { param($o) if (@($o).Count -gt 0) { 'accepted' } else { 'no rows' } })
                    }
                }
                foreach ($name in $calls.Keys) {
                    if (Test-Path -LiteralPath $root) { [IO.Directory]::Delete($root, $true) }
                    $file = $root + $path
                    [void] [IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($file))
                    [IO.File]::WriteAllBytes($file, $item.Bytes)
                    $Sync.Current = "$name on $($item.Class) #$($item.Number) of $($item.Fixture)"
                    $Sync.Tick = [DateTime]::UtcNow
                    $verdict = Judge $calls[$name][0] $root $item.Bytes $file $calls[$name][1]
                    [void] $Sync.Results.Add([pscustomobject]@{ Input = $Sync.Current; Class = $item.Class; Kind = $item.Kind; Call = $name; Verdict = "$verdict"; Bytes = $item.Bytes })
                }
            }
        }
        $ps = [powershell]::Create()
        [void] $ps.AddScript("Import-Module '$ModulePath'").AddStatement().AddScript($runner.ToString())
        foreach ($pair in @{ Inputs = $inputs; Work = $work; Sync = $sync; Known = $KnownIds; Daemon = $Daemon; KataConfig = $KataConfig; Wrapper = $Wrapper; Journal = $Journal }.GetEnumerator()) { [void] $ps.AddParameter($pair.Key, $pair.Value) }
        $async = $ps.BeginInvoke()
        $hang = $null
        while (-not $async.AsyncWaitHandle.WaitOne(500)) {
            if (([DateTime]::UtcNow - $sync.Tick).TotalSeconds -gt 60) { $hang = $sync.Current; break }
        }
        # Read the error stream by index: enumerating a stream still open (a hung runner) would wait for it forever.
        $stream = $ps.Streams.Error
        $runnerErrors = @(for ($i = 0; $i -lt $stream.Count; $i++) { $stream[$i] })
        if ($hang) { [void] (Stop-Bounded -PowerShell $ps -Async $async -Seconds 10) }
        else { $ps.EndInvoke($async) | Out-Null; $ps.Dispose() }
        $hang | Should -BeNullOrEmpty -Because 'no call may hang (bounded at 60 seconds)'
        $runnerErrors | Should -BeNullOrEmpty

        $results = @($sync.Results)
        $accepted = @($results | Where-Object Verdict -EQ 'accepted')
        $refused = @($results | Where-Object Verdict -Like 'refused:*')
        $defects = @($results | Where-Object { $_.Verdict -ne 'accepted' -and $_.Verdict -notlike 'refused:*' })
        $inputCount = $inputs.Count
        Write-Host ("Adversarial: $inputCount inputs ($($results.Count) calls), $($accepted.Count) accepted, $($refused.Count) refused cleanly, $($defects.Count) defects")
        Write-Host ('  refusals by id: ' + (($refused | Group-Object { $_.Verdict.Substring(8) } | Sort-Object Count -Descending | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '))
        foreach ($defect in $defects | Select-Object -First 15) {
            Write-Host "  DEFECT $($defect.Input) [$($defect.Call)]: $($defect.Verdict)"
        }
        $results.Count | Should -Be ($inputCount * 3)
        $defects.Count | Should -Be 0
    }
}

Describe 'Adversarial: special files where a file belongs' {
    It 'refuses a <Kind> at <Target> in <Command>, at once, and leaves it there' -TestCases @(
        foreach ($special in @(
                @{ Kind = 'FIFO'; Letter = 'p'; Type = 'fifo' }
                @{ Kind = 'character device'; Letter = 'c'; Type = 'character special file' }
                @{ Kind = 'folder'; Letter = 'd'; Type = 'directory' })) {
            @{ Target = '/etc/isulad/daemon.json'; Command = 'Get-IsulaRuntime'; Call = { param($Root) Get-IsulaRuntime -Root $Root } } + $special
            @{ Target = '/etc/isulad/daemon.json'; Command = 'Set-IsulaRuntime'; Call = { param($Root) Set-IsulaRuntime -Root $Root -ThinPoolDevice /dev/mapper/isula-thinpool } } + $special
            @{ Target = '/usr/share/defaults/kata-containers/configuration.toml'; Command = 'Get-KataHypervisor'; Call = { param($Root) Get-KataHypervisor -Root $Root } } + $special
            @{ Target = '/usr/share/defaults/kata-containers/configuration.toml'; Command = 'Set-KataHypervisor'; Call = { param($Root) Set-KataHypervisor -Root $Root -Hypervisor StratoVirt } } + $special
            @{ Target = '/etc/modules-load.d/isulakata.conf'; Command = 'Enable-VhostVsock'; Call = { param($Root) Enable-VhostVsock -Root $Root } } + $special
            @{ Target = '/var/lib/kata/vmlinux.bin'; Command = 'Install-KataGuestKernel'; Call = { param($Root, $Kernel) Install-KataGuestKernel -Root $Root -Path $Kernel } } + $special
        }
    ) {
        $root = New-TestRoot
        $host_ = Join-Path $root $Target.TrimStart('/')
        New-Item -ItemType Directory -Path (Split-Path $host_) -Force | Out-Null
        switch ($Letter) { 'p' { mkfifo $host_ } 'c' { mknod $host_ c 1 3 } 'd' { New-Item -ItemType Directory -Path $host_ | Out-Null } }
        $kernel = Join-Path $TestDrive 'vmlinux-ok.bin'
        [IO.File]::WriteAllBytes($kernel, [byte[]](0x7F, 0x45, 0x4C, 0x46) + [byte[]]::new(4096))
        $arguments = @{ Root = $root }
        if ($Command -eq 'Install-KataGuestKernel') { $arguments.Kernel = $kernel }
        $before = Get-RootSnapshot $root
        $run = Invoke-Bounded -Script $Call -Arguments $arguments -Seconds 30
        $run.Finished | Should -BeTrue -Because 'a special file is never waited on'
        $run.Errors.Count | Should -BeGreaterThan 0
        "$($run.Errors[0].FullyQualifiedErrorId)".Split(',')[0] | Should -BeIn @('NotARegularFile')
        $run.Errors[0].TargetObject | Should -Be $Target
        (stat -c '%F' $host_) | Should -Be $Type
        Get-RootSnapshot $root | Should -Be $before
    }

    It 'refuses a <Kind> as Install-KataGuestKernel -Path, at once' -TestCases @(
        @{ Kind = 'FIFO' }, @{ Kind = 'character device' }, @{ Kind = 'folder' }
    ) {
        $root = New-TestRoot
        $source = Join-Path $TestDrive "source-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        switch ($Kind) { 'FIFO' { mkfifo $source } 'character device' { mknod $source c 1 3 } 'folder' { New-Item -ItemType Directory -Path $source | Out-Null } }
        $run = Invoke-Bounded -Script { param($Root, $Kernel) Install-KataGuestKernel -Root $Root -Path $Kernel } -Arguments @{ Root = $root; Kernel = $source } -Seconds 30
        $run.Finished | Should -BeTrue
        "$($run.Errors[0].FullyQualifiedErrorId)".Split(',')[0] | Should -Be 'NotARegularFile'
        @(Get-ChildItem -LiteralPath $root -Recurse -Force) | Should -BeNullOrEmpty
    }

    It 'refuses a FIFO at <Target>, which <Command> reads, at once (<Expect>)' -TestCases @(
        @{ Target = '/etc/sysconfig/iSulad'; Command = 'Set-IsulaRuntime'; Expect = 'NotARegularFile'; Call = { param($Root) Set-IsulaRuntime -Root $Root -ThinPoolDevice /dev/mapper/isula-thinpool } }
        @{ Target = '/etc/sysconfig/iSulad'; Command = 'Get-IsulaRuntime'; Expect = 'NotARegularFile'; Call = { param($Root) Get-IsulaRuntime -Root $Root } }
        @{ Target = '/etc/isulad/daemon.json'; Command = 'Test-IsulaKataHost -Area Isulad'; Expect = 'rows'; Call = { param($Root) Test-IsulaKataHost -Root $Root -Area Isulad } }
        @{ Target = '/usr/share/defaults/kata-containers/configuration.toml'; Command = 'Test-IsulaKataHost -Area Kata'; Expect = 'rows'; Call = { param($Root) Test-IsulaKataHost -Root $Root -Area Kata } }
        @{ Target = '/usr/local/libexec/isulakata/stratovirt.sh'; Command = 'Set-KataHypervisor'; Expect = 'WrapperPathInUse'; Call = { param($Root) Set-KataHypervisor -Root $Root -Hypervisor StratoVirt } }
        @{ Target = '/usr/local/libexec/isulakata/stratovirt.sh'; Command = 'Get-KataHypervisor'; Expect = 'a result'; Call = { param($Root) Get-KataHypervisor -Root $Root } }
        @{ Target = '/usr/local/libexec/isulakata/stratovirt.sh'; Command = 'Test-IsulaKataHost -Area Kata'; Expect = 'rows'; Call = { param($Root) Test-IsulaKataHost -Root $Root -Area Kata } }
    ) {
        # The files a host has (daemon.json, kata's QEMU configuration; for the wrapper cases the configuration
        # Set-KataHypervisor wrote, naming the wrapper), then the FIFO in place of the target.
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json'; '/usr/share/defaults/kata-containers/configuration.toml' = 'Kata/kata1-qemu.toml' }
        if ($Target -like '*stratovirt.sh' -and $Command -ne 'Set-KataHypervisor') { Set-KataHypervisor -Root $root -Hypervisor StratoVirt -WarningAction SilentlyContinue | Out-Null }
        $host_ = Join-Path $root $Target.TrimStart('/')
        New-Item -ItemType Directory -Path (Split-Path $host_) -Force | Out-Null
        Remove-Item -LiteralPath $host_ -Force -ErrorAction Ignore
        mkfifo $host_
        $journaled = { param($entries) @($entries | Where-Object { $_ -notmatch '^var(/| )' }) }
        $before = & $journaled (Get-RootSnapshot $root)
        $run = Invoke-Bounded -Script $Call -Arguments @{ Root = $root } -Seconds 30
        $run.Finished | Should -BeTrue -Because 'a FIFO is never waited on'
        foreach ($e in $run.Errors) {
            "$($e.FullyQualifiedErrorId)".Split(',')[0] | Should -BeIn $KnownIds -Because "$($e.ExceptionType): $($e.Message)"
            "$($e.FullyQualifiedErrorId)".Split(',')[0] | Should -Not -Be 'UnexpectedError'
        }
        switch ($Expect) {
            'rows' { $run.OutputCount | Should -BeGreaterThan 0 -Because 'the doctor reports the FIFO as a failed row and goes on'; $run.Errors | Should -BeNullOrEmpty }
            'a result' { ($run.OutputCount + $run.Errors.Count) | Should -BeGreaterThan 0 }
            default {
                "$($run.Errors[0].FullyQualifiedErrorId)".Split(',')[0] | Should -BeIn @($Expect, 'NotARegularFile')
                $run.Errors[0].TargetObject | Should -Be $Target
            }
        }
        (stat -c '%F' $host_) | Should -Be 'fifo'
        & $journaled (Get-RootSnapshot $root) | Should -Be $before
    }
}

Describe 'Adversarial: a full file system' {
    BeforeAll {
        $script:Mount = Join-Path ([IO.Path]::GetTempPath()) "isulakata-adv-$PID"
        New-Item -ItemType Directory -Path $Mount -Force | Out-Null
        $script:Mounted = $false
        if ((id -u) -eq '0') { mount -t tmpfs -o size=1m tmpfs $Mount 2>$null; $script:Mounted = $LASTEXITCODE -eq 0 }
        if (-not $Mounted) { Write-Host "SKIPPED: cannot mount a tmpfs at $Mount (needs root and mount rights)" }
    }
    AfterAll {
        if ($Mounted) { umount $Mount }
        Remove-Item -LiteralPath $Mount -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'leaves every file as it was (or writes it whole) with <Free> bytes free, in every file-editing cmdlet' -TestCases @(
        @{ Free = 0 }, @{ Free = 512 }, @{ Free = 3000 }, @{ Free = 9000 }, @{ Free = 30000 }
    ) {
        if (-not $Mounted) { Set-ItResult -Skipped -Because "SKIPPED: no tmpfs could be mounted (needs root and mount rights)"; return }
        $calls = [ordered]@{
            'Set-IsulaRuntime'  = { Set-IsulaRuntime -Root $Mount -ThinPoolDevice /dev/mapper/isula-thinpool -WarningAction SilentlyContinue }
            'Set-KataHypervisor' = { Set-KataHypervisor -Root $Mount -Hypervisor StratoVirt -WarningAction SilentlyContinue }
            'Enable-VhostVsock' = { Enable-VhostVsock -Root $Mount }
            'Install-KataGuestKernel' = { Install-KataGuestKernel -Root $Mount -Path $kernel }
        }
        $kernel = Join-Path $TestDrive 'vmlinux-full.bin'
        [IO.File]::WriteAllBytes($kernel, [byte[]](0x7F, 0x45, 0x4C, 0x46) + [byte[]]::new(20000))
        foreach ($name in $calls.Keys) {
            Get-ChildItem -LiteralPath $Mount -Force | Remove-Item -Recurse -Force
            New-Item -ItemType Directory -Path "$Mount/etc/isulad", "$Mount/usr/share/defaults/kata-containers", "$Mount/etc/modules-load.d", "$Mount/var/lib/kata", "$Mount/usr/local/libexec/isulakata" -Force | Out-Null
            Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') "$Mount/etc/isulad/daemon.json"
            Copy-Item (Join-Path $Fixtures 'Kata/kata1-qemu.toml') "$Mount/usr/share/defaults/kata-containers/configuration.toml"
            Set-Content -LiteralPath "$Mount/etc/modules-load.d/isulakata.conf" -Value 'loop'
            [IO.File]::WriteAllBytes("$Mount/var/lib/kata/vmlinux.bin", [byte[]](0x7F, 0x45, 0x4C, 0x46) + [byte[]]::new(100))
            # Fill the file system, then give back $Free bytes.
            $fill = [IO.File]::Open("$Mount/fill", 'Create', 'Write')
            try { $chunk = [byte[]]::new(4096); while ($true) { $fill.Write($chunk, 0, $chunk.Length); $fill.Flush() } } catch { } finally { try { $fill.Dispose() } catch { } }
            $length = (Get-Item "$Mount/fill").Length
            [IO.File]::Open("$Mount/fill", 'Open', 'Write').Dispose()
            $stream = [IO.File]::Open("$Mount/fill", 'Open', 'Write'); $stream.SetLength([Math]::Max(0, $length - $Free)); $stream.Dispose()
            # The change journal (var/lib/isulakata) records a failed change as rolled back, by design: it is left out.
            $journaled = { param($entries) @($entries | Where-Object { $_ -notmatch '^var(/| )' }) }
            $before = & $journaled (Get-RootSnapshot $Mount)
            try {
                $result = & $calls[$name]
                # Accepted: the change is whole and its backup holds the original.
                $result | Should -Not -BeNullOrEmpty
                if ($result.BackupPath) { Test-Path -LiteralPath (Join-Path $Mount $result.BackupPath) | Should -BeTrue }
                @(Get-ChildItem -LiteralPath $Mount -Recurse -Force -Filter '*.tmp') | Should -BeNullOrEmpty
            }
            catch {
                "$($_.FullyQualifiedErrorId)".Split(',')[0] | Should -BeIn $KnownIds -Because "$name with $Free bytes free: $($_.Exception.Message)"
                "$($_.FullyQualifiedErrorId)".Split(',')[0] | Should -Not -Be 'UnexpectedError'
                & $journaled (Get-RootSnapshot $Mount) | Should -Be $before -Because "$name failed with $Free bytes free and must leave nothing behind"
            }
        }
    }
}

Describe 'Adversarial: Ctrl+C in the middle' {
    It 'leaves daemon.json as it was or as asked when Set-IsulaRuntime -Restart is stopped while systemctl runs' {
        $state = New-FakeHost
        try {
            $root = '/'
            $config = Join-Path $state 'daemon.json'
            Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') $config
            $original = [IO.File]::ReadAllBytes($config)
            Set-FakeState config-path $config
            $stopped = Stop-WhileBlocked -Program systemctl -Command "Set-IsulaRuntime -ConfigPath '$config' -ThinPoolDevice /dev/mapper/isula-thinpool -Restart -Verbose -WarningAction SilentlyContinue"
            $stopped | Should -BeTrue -Because 'Ctrl+C ends the call while systemctl still runs'
            $backups = @(Get-ChildItem -LiteralPath $state -Filter 'daemon.json.isulakata-*.bak')
            $now = [IO.File]::ReadAllBytes($config)
            if ([Linq.Enumerable]::SequenceEqual($now, $original)) {
                $backups | Should -BeNullOrEmpty -Because 'a call that was undone leaves no backup'
            }
            else {
                $backups.Count | Should -Be 1
                [IO.File]::ReadAllBytes($backups[0].FullName) | Should -Be $original
            }
            @(Get-ChildItem -LiteralPath $state -Force -Filter '*.tmp') | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }

    It 'stops New-IsulaThinPool while <Program> runs and rolls back to a host without the pool' -TestCases @(
        @{ Program = 'pvcreate' }, @{ Program = 'vgcreate' }, @{ Program = 'lvcreate' }
    ) {
        # The engine as the cmdlet runs it, on the fake machine of Storage.Tests.ps1, with the token Ctrl+C cancels.
        . (Join-Path $PSScriptRoot 'Storage.Helpers.ps1')
        $state = New-FakeHost
        try {
            $live = New-LiveTree
            Add-FakeDisk -Live $live -Name vdb -Minor 16
            Set-FakeState "block-$Program"
            $stop = [Threading.CancellationTokenSource]::new()
            $ps = [powershell]::Create()
            [void] $ps.AddScript({
                param($ModulePath, $Helpers, $Common, $Live, $Token, $Path, $State)
                Import-Module $ModulePath
                $env:PATH = $Path; $env:ISULAKATA_FAKE_STATE = $State
                . $Helpers
                $log = [Action[string]] { param($m) }
                $context = [IsulaKata.Core.HostContext]::Create('/', $log, $Token, $null)
                $system = [IsulaKata.Storage.LiveSystem]::new([IsulaKata.Core.HostFiles]::new($Live, $log, $Token, $null))
                $creator = [IsulaKata.Storage.ThinPoolCreator]::new($context, $system)
                try { $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb'))) | Out-Null; 'finished' }
                catch { $e = $_.Exception; while ($e.InnerException -and $e -isnot [IsulaKata.Core.IsulaKataException]) { $e = $e.InnerException }; "$($e.ErrorId)|$($e.Message)" }
            }.ToString())
            foreach ($pair in @{ ModulePath = $ModulePath; Helpers = (Join-Path $PSScriptRoot 'Storage.Helpers.ps1'); Live = $live; Token = $stop.Token; Path = $env:PATH; State = $state }.GetEnumerator()) { [void] $ps.AddParameter($pair.Key, $pair.Value) }
            $async = $ps.BeginInvoke()
            for ($i = 0; $i -lt 300 -and -not (Test-Path (Join-Path $state "blocked-$Program")); $i++) { Start-Sleep -Milliseconds 100 }
            Test-Path (Join-Path $state "blocked-$Program") | Should -BeTrue -Because "New-IsulaThinPool reached $Program"
            $stop.Cancel()
            Start-Sleep -Milliseconds 300
            Set-FakeState release
            $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(120)) | Should -BeTrue
            $answer = @($ps.EndInvoke($async))
            $ps.Dispose()
            $answer[-1] | Should -BeLike 'ThinPoolCreateFailed|*'
            # The rollback ran to its end although the token was cancelled: nothing of the pool is left.
            Get-Content (Join-Path $state 'lvm/pvs') -ErrorAction Ignore | Should -BeNullOrEmpty
            Get-Content (Join-Path $state 'lvm/lvs') -ErrorAction Ignore | Should -BeNullOrEmpty
            Test-Path "$state/etc/lvm/profile/isula-thinpool.profile" | Should -BeFalse
        }
        finally { Remove-FakeHost }
    }
}

Describe 'Adversarial: Ctrl+C inside Set-KataHypervisor and Enable-VhostVsock' {
    BeforeAll {
        $script:Wrapper = '/usr/local/libexec/isulakata/stratovirt.sh'
        $script:Conf = '/etc/modules-load.d/isulakata.conf'

        # The log sink of the engine as the test drives it: records each line and, at the line asked for, presses
        # Ctrl+C (cancels the token) and optionally throws as WriteVerbose does while a pipeline stops. In C#: the
        # engine may log from any thread, where a PowerShell script block cannot run.
        if (-not ('IsulaKataTests.StopAtLine' -as [type])) {
            Add-Type -TypeDefinition @'
namespace IsulaKataTests
{
    public sealed class StopAtLine
    {
        private readonly object _gate = new object();
        private readonly System.Collections.Generic.List<string> _lines = new System.Collections.Generic.List<string>();
        public StopAtLine(int at, bool throwOnStop) { At = at; ThrowOnStop = throwOnStop; }
        public int At { get; }
        public bool ThrowOnStop { get; }
        public System.Threading.CancellationTokenSource Stop { get; } = new System.Threading.CancellationTokenSource();
        public string[] Lines { get { lock (_gate) { return _lines.ToArray(); } } }
        public void Log(string message)
        {
            int count;
            lock (_gate) { _lines.Add(message); count = _lines.Count; }
            if (At > 0 && count == At)
            {
                Stop.Cancel();
                if (ThrowOnStop) { throw new System.Management.Automation.PipelineStoppedException(); }
            }
        }
    }
}
'@
        }

        function Invoke-StoppedEngine {
            <#
            .SYNOPSIS
                Runs an engine call in its own runspace with a cancellation token, as the cmdlet does, and presses Ctrl+C
                (cancels the token) at the -At'th line the engine logs, or while the fake -Blocked program runs; with
                -Throw the log line then also throws. -Call gets the root, the log and the token. Returns the lines
                logged and how the call ended ('finished', or the error id or exception type).
            #>
            param([Parameter(Mandatory)] [string] $Root, [Parameter(Mandatory)] [scriptblock] $Call, [int] $At = 0, [string] $Blocked, [switch] $Throw)
            $sink = [IsulaKataTests.StopAtLine]::new($At, [bool] $Throw)
            $ps = [powershell]::Create()
            [void] $ps.AddScript({
                param($ModulePath, $Root, $Call, $Sink, $Path, $State)
                Import-Module $ModulePath
                $env:PATH = $Path; $env:ISULAKATA_FAKE_STATE = $State
                $log = [Action[string]] $Sink.Log
                try { & ([scriptblock]::Create($Call)) $Root $log $Sink.Stop.Token | Out-Null; 'finished' }
                catch {
                    $e = $_.Exception
                    while ($e.InnerException -and $e -isnot [IsulaKata.Core.IsulaKataException]) { $e = $e.InnerException }
                    if ($e -is [IsulaKata.Core.IsulaKataException]) { $e.ErrorId } else { $e.GetType().Name }
                }
            }.ToString())
            foreach ($pair in @{ ModulePath = $ModulePath; Root = $Root; Call = $Call.ToString(); Sink = $sink; Path = $env:PATH; State = $env:ISULAKATA_FAKE_STATE }.GetEnumerator()) {
                [void] $ps.AddParameter($pair.Key, $pair.Value)
            }
            $async = $ps.BeginInvoke()
            if ($Blocked) {
                for ($i = 0; $i -lt 300 -and -not (Test-Path (Join-Path $env:ISULAKATA_FAKE_STATE "blocked-$Blocked")); $i++) { Start-Sleep -Milliseconds 100 }
                Test-Path (Join-Path $env:ISULAKATA_FAKE_STATE "blocked-$Blocked") | Should -BeTrue -Because "the call reached $Blocked"
                $sink.Stop.Cancel()
                Start-Sleep -Milliseconds 300
                Set-FakeState release
            }
            $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60)) | Should -BeTrue -Because 'a stopped call ends'
            # A PipelineStoppedException (the log line that threw) ends the runspace's script past its catch.
            $answer = @(try { $ps.EndInvoke($async) } catch { $e = $_.Exception; while ($e.InnerException) { $e = $e.InnerException }; $e.GetType().Name })
            $ps.Dispose()
            [pscustomobject]@{ Lines = $sink.Lines; Ended = "$($answer[-1])" }
        }

        function Assert-JournalConsistent {
            # No change left Interrupted, and the newest entry of each file says what the file holds now. (The old
            # module tests/Baseline runs these tests against had no journal; the current one always has.)
            param([string] $Root)
            if (-not (Get-Command Get-IsulaKataChange -ErrorAction Ignore)) { return }
            $changes = @(Get-IsulaKataChange -Root $Root -WarningAction SilentlyContinue)
            @($changes | Where-Object Outcome -EQ 'Interrupted') | Should -BeNullOrEmpty -Because 'a stopped call completes or rolls back each change it began'
            foreach ($newest in $changes | Where-Object Action -NE 'FolderCreated' | Group-Object Path | ForEach-Object { $_.Group | Sort-Object Time -Descending | Select-Object -First 1 }) {
                $file = Join-Path $Root $newest.Path.TrimStart('/')
                $now = if (Test-Path -LiteralPath $file) { Get-Sha256 $file } else { $null }
                $expected = if ($newest.Outcome -eq 'Done') { $newest.AfterSha256 } else { $newest.BeforeSha256 }
                "$now" | Should -Be "$expected" -Because "the journal's newest entry for $($newest.Path) is $($newest.Outcome)"
            }
            foreach ($folder in $changes | Where-Object { $_.Action -eq 'FolderCreated' -and $_.Outcome -eq 'Done' }) {
                Test-Path -LiteralPath (Join-Path $Root $folder.Path.TrimStart('/')) | Should -BeTrue -Because "the journal says $($folder.Path) was created"
            }
        }

        $script:KataCall = {
            param($Root, $Log, $Token)
            $context = [IsulaKata.Core.HostContext]::Create($Root, $Log, $Token, $null)
            $request = [IsulaKata.Kata.KataHypervisorRequest]@{ Hypervisor = [IsulaKata.Kata.KataHypervisorKind]::StratoVirt }
            [IsulaKata.Kata.KataHypervisorConfigurator]::new($context).Apply($request)
        }
        $script:VsockCall = {
            param($Root, $Log, $Token)
            $context = [IsulaKata.Core.HostContext]::Create($Root, $Log, $Token, $null)
            $kernel = [IsulaKata.Core.HostFiles]::new((Get-Content -Raw (Join-Path $env:ISULAKATA_FAKE_STATE 'kernel-root')), $Log, $Token, $null)
            # The engine of main at 82eb2ea (tests/Baseline) lived in IsulaKata.Host and left the decisions to the
            # cmdlet: load, then persist, as its cmdlet did.
            $type = if ('IsulaKata.Modules.KernelModules' -as [type]) { [type] 'IsulaKata.Modules.KernelModules' } else { [type] 'IsulaKata.Host.KernelModules' }
            $engine = $type::new($context, $kernel)
            if ($engine.PSObject.Methods['Enable']) { $engine.Enable('vhost_vsock', '/dev/vhost-vsock', $true, [Func[string, string, bool]] { param($t, $a) $true }) }
            else { $engine.Load('vhost_vsock', '/dev/vhost-vsock'); $engine.Persist('vhost_vsock') }
        }

        function New-KataStopRoot {
            New-TestRoot @{ '/usr/share/defaults/kata-containers/configuration.toml' = 'Kata/kata1-qemu.toml' }
        }

        function Assert-KataAsWasOrAsAsked {
            # configuration.toml byte for byte as it was (and no wrapper, no backup) or as an undisturbed run writes it
            # (with the wrapper it names and one backup of the original); never a .tmp; the journal consistent.
            param([string] $Root, [byte[]] $Original, [byte[]] $Asked, [byte[]] $AskedWrapper, [string] $Because)
            $config = Join-Path $Root 'usr/share/defaults/kata-containers/configuration.toml'
            $wrapper = Join-Path $Root $Wrapper.TrimStart('/')
            $now = [IO.File]::ReadAllBytes($config)
            $backups = @(Get-ChildItem -LiteralPath (Split-Path $config) -Filter 'configuration.toml.isulakata-*.bak')
            if ([Linq.Enumerable]::SequenceEqual($now, $Original)) {
                Test-Path -LiteralPath $wrapper | Should -BeFalse -Because "the configuration is as it was, so no wrapper may stay ($Because)"
                $backups | Should -BeNullOrEmpty -Because "nothing was changed ($Because)"
                Test-Path -LiteralPath (Join-Path $Root 'usr/local') | Should -BeFalse -Because "the folders made for the wrapper go with it ($Because)"
            }
            else {
                [Text.Encoding]::UTF8.GetString($now) | Should -BeExactly ([Text.Encoding]::UTF8.GetString($Asked)) -Because "the configuration is as it was or as asked ($Because)"
                [IO.File]::ReadAllBytes($wrapper) | Should -Be $AskedWrapper -Because "the configuration names the wrapper ($Because)"
                $backups.Count | Should -Be 1
                [IO.File]::ReadAllBytes($backups[0].FullName) | Should -Be $Original
            }
            @(Get-ChildItem -LiteralPath $Root -Recurse -Force | Where-Object { $_.Name -like '*.tmp' -or $_.Name -like '.isulakata*' }) | Should -BeNullOrEmpty -Because $Because
            Assert-JournalConsistent $Root
        }
    }
    BeforeEach { $null = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'stops Set-KataHypervisor <When>, leaving the configuration and its wrapper as they were or as asked, never in between' -TestCases @(
        @{ When = 'at each line it logs (from before the wrapper to after the configuration)'; Throw = $false }
        @{ When = 'at each line it logs, the log line throwing as WriteVerbose does while the pipeline stops'; Throw = $true }
    ) {
        # An undisturbed run: what "as asked" is, and how many lines the engine logs on the way.
        $clean = New-KataStopRoot
        $config = 'usr/share/defaults/kata-containers/configuration.toml'
        $original = [IO.File]::ReadAllBytes((Join-Path $clean $config))
        $run = Invoke-StoppedEngine -Root $clean -Call $KataCall
        $run.Ended | Should -Be 'finished'
        $asked = [IO.File]::ReadAllBytes((Join-Path $clean $config))
        $askedWrapper = [IO.File]::ReadAllBytes((Join-Path $clean $Wrapper.TrimStart('/')))
        [Text.Encoding]::UTF8.GetString($asked) | Should -Match ([regex]::Escape("path = `"$Wrapper`""))
        $run.Lines.Count | Should -BeGreaterOrEqual 3 -Because 'the wrapper, its folders and the configuration are each logged'
        $wrapperAt = [Array]::FindIndex([string[]] $run.Lines, [Predicate[string]] { param($l) $l -like "Wrote '$Wrapper'*" }) + 1
        $wrapperAt | Should -BeGreaterThan 0 -Because 'the wrapper is written before the configuration'
        foreach ($at in 1..$run.Lines.Count) {
            $root = New-KataStopRoot
            $stopped = Invoke-StoppedEngine -Root $root -Call $KataCall -At $at -Throw:$Throw
            $because = "Ctrl+C at line $at of $($run.Lines.Count) ('$($run.Lines[$at - 1])'), ended with $($stopped.Ended)"
            $stopped.Ended | Should -BeIn @('finished', 'OperationCanceled', 'OperationCanceledException', 'PipelineStoppedException') -Because $because
            # Line $wrapperAt is the point between the wrapper and the configuration: the configuration is then written
            # whole, or the wrapper goes again.
            Assert-KataAsWasOrAsAsked -Root $root -Original $original -Asked $asked -AskedWrapper $askedWrapper -Because $because
        }
    }

    It 'stops Set-KataHypervisor <When> on a live host, writing nothing' -TestCases @(
        @{ When = 'while rpm tells the kata generation'; Program = 'rpm' }
    ) {
        $state = $env:ISULAKATA_FAKE_STATE
        $config = Join-Path $state 'configuration.toml'
        Copy-Item (Join-Path $Fixtures 'Kata/kata1-qemu.toml') $config
        $original = [IO.File]::ReadAllBytes($config)
        $wrapper = Join-Path $state 'wrapper/stratovirt.sh'
        $stopped = Stop-WhileBlocked -Program $Program -Command "Set-KataHypervisor -Hypervisor StratoVirt -ConfigPath '$config' -WrapperPath '$wrapper' -Verbose -WarningAction SilentlyContinue"
        $stopped | Should -BeTrue -Because "Ctrl+C ends the call while $Program still runs"
        [IO.File]::ReadAllBytes($config) | Should -Be $original
        Test-Path -LiteralPath (Split-Path $wrapper) | Should -BeFalse
        @(Get-ChildItem -LiteralPath $state -Force | Where-Object Name -Like '*configuration.toml?*') | Should -BeNullOrEmpty
    }

    It 'stops Enable-VhostVsock <When>, leaving the boot-time file as it was or as asked' -TestCases @(
        @{ When = 'while modprobe runs'; Blocked = 'modprobe'; Throw = $false }
        @{ When = 'at each line it logs'; Blocked = ''; Throw = $false }
        @{ When = 'at each line it logs, the log line throwing as WriteVerbose does while the pipeline stops'; Blocked = ''; Throw = $true }
    ) {
        $newRoot = {
            $root = New-TestRoot
            New-Item -ItemType Directory -Path (Join-Path $root 'etc/modules-load.d') | Out-Null
            [IO.File]::WriteAllText((Join-Path $root $Conf.TrimStart('/')), "# mine`nloop`n")
            $kernel = Join-Path $TestDrive ('kernel-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
            New-Item -ItemType Directory -Path "$kernel/proc", "$kernel/dev" -Force | Out-Null
            Set-Content -LiteralPath "$kernel/proc/modules" -Value "kvm 1142784 0 - Live 0x0000000000000000`n" -NoNewline
            Set-FakeState kernel-root $kernel
            $root
        }
        $original = [Text.Encoding]::UTF8.GetBytes("# mine`nloop`n")
        $asked = "# mine`nloop`nvhost_vsock`n"
        $clean = & $newRoot
        $run = Invoke-StoppedEngine -Root $clean -Call $VsockCall
        $run.Ended | Should -Be 'finished'
        [IO.File]::ReadAllText((Join-Path $clean $Conf.TrimStart('/'))) | Should -BeExactly $asked
        $points = if ($Blocked) { @(0) } else { 1..$run.Lines.Count }
        foreach ($at in $points) {
            $null = New-FakeHost
            $root = & $newRoot
            if ($Blocked) { Set-FakeState "block-$Blocked" }
            $stopped = Invoke-StoppedEngine -Root $root -Call $VsockCall -At $at -Blocked $Blocked -Throw:$Throw
            $because = if ($Blocked) { "Ctrl+C while $Blocked ran, ended with $($stopped.Ended)" } else { "Ctrl+C at line $at of $($run.Lines.Count) ('$($run.Lines[$at - 1])'), ended with $($stopped.Ended)" }
            $stopped.Ended | Should -BeIn @('finished', 'OperationCanceled', 'OperationCanceledException', 'PipelineStoppedException') -Because $because
            if ($Blocked) { $stopped.Ended | Should -Not -Be 'finished' -Because 'Ctrl+C while modprobe runs stops the call' }
            $file = Join-Path $root $Conf.TrimStart('/')
            $now = [IO.File]::ReadAllBytes($file)
            $backups = @(Get-ChildItem -LiteralPath (Split-Path $file) -Filter 'isulakata.conf.isulakata-*.bak')
            if ([Linq.Enumerable]::SequenceEqual($now, $original)) { $backups | Should -BeNullOrEmpty -Because $because }
            else {
                [Text.Encoding]::UTF8.GetString($now) | Should -BeExactly $asked -Because $because
                $backups.Count | Should -Be 1
                [IO.File]::ReadAllBytes($backups[0].FullName) | Should -Be $original
            }
            @(Get-ChildItem -LiteralPath $root -Recurse -Force | Where-Object { $_.Name -like '*.tmp' -or $_.Name -like '.isulakata*' }) | Should -BeNullOrEmpty -Because $because
            Assert-JournalConsistent $root
        }
    }
}

Describe 'Adversarial: 50 concurrent runs on one file' {
    It 'serialises 50 Set-IsulaRuntime runs on one daemon.json: every run ends cleanly and the file is whole' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $pool = [runspacefactory]::CreateRunspacePool(1, 50)
        $pool.Open()
        try {
            $runs = foreach ($n in 1..50) {
                $ps = [powershell]::Create()
                $ps.RunspacePool = $pool
                $runtime = if ($n % 2) { 'io.containerd.kata.v2' } else { 'runc' }
                [void] $ps.AddScript("Import-Module '$ModulePath'; Set-IsulaRuntime -Root '$root' -Runtime '$runtime' -ThinPoolDevice /dev/mapper/pool$($n % 5) -WarningAction SilentlyContinue")
                [pscustomobject]@{ PowerShell = $ps; Async = $ps.BeginInvoke() }
            }
            $failures = foreach ($run in $runs) {
                if (-not $run.Async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(120))) { 'a run hung'; [void] $run.PowerShell.BeginStop($null, $null); continue }
                try { [void] $run.PowerShell.EndInvoke($run.Async) } catch { $id = "$($_.Exception.InnerException.ErrorRecord.FullyQualifiedErrorId)"; if ($id.Split(',')[0] -notin $KnownIds) { "unexpected: $($_.Exception.Message)" } }
                foreach ($e in $run.PowerShell.Streams.Error) { if ("$($e.FullyQualifiedErrorId)".Split(',')[0] -notin $KnownIds) { "unexpected: $e" } }
                $run.PowerShell.Dispose()
            }
            $failures | Should -BeNullOrEmpty
        }
        finally { $pool.Dispose() }
        $final = Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue
        $final.Runtime | Should -BeIn @('io.containerd.kata.v2', 'runc')
        $final.StorageDriver | Should -Be 'devicemapper'
        @(Get-ChildItem -LiteralPath (Join-Path $root 'etc/isulad') -Force -Filter '*.tmp') | Should -BeNullOrEmpty
        # Every backup is a whole daemon.json that some run replaced.
        foreach ($backup in Get-ChildItem -LiteralPath (Join-Path $root 'etc/isulad') -Filter 'daemon.json.isulakata-*.bak') {
            { Get-Content -Raw $backup.FullName | ConvertFrom-Json } | Should -Not -Throw
        }
    }
}
