# The one writer and the one translation: special files, bad paths, full disks, no root, Ctrl+C and the pipeline.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'Adversarial.Helpers.ps1')
    $script:Daemon = '/etc/isulad/daemon.json'
    $script:Pool = '/dev/mapper/isula-thinpool'
    $script:KnownIds = Get-ProjectErrorId
}

Describe 'HostFiles opens only regular files, never waits on one and never replaces one' {
    It 'refuses a <Kind> at daemon.json in Get-IsulaRuntime and Set-IsulaRuntime, at once, leaving it in place' -TestCases @(
        @{ Kind = 'FIFO'; Make = { param($p) mkfifo $p }; Type = 'fifo' }
        @{ Kind = 'character device'; Make = { param($p) mknod $p c 1 3 }; Type = 'character special file' }
        @{ Kind = 'folder'; Make = { param($p) New-Item -ItemType Directory -Path $p | Out-Null }; Type = 'directory' }
    ) {
        $root = New-TestRoot
        $file = Join-Path $root 'etc/isulad/daemon.json'
        New-Item -ItemType Directory -Path (Split-Path $file) | Out-Null
        & $Make $file
        foreach ($call in { param($Root) Get-IsulaRuntime -Root $Root }, { param($Root) Set-IsulaRuntime -Root $Root -ThinPoolDevice '/dev/mapper/isula-thinpool' }) {
            $run = Invoke-Bounded -Script $call -Arguments @{ Root = $root } -Seconds 30
            $run.Finished | Should -BeTrue -Because 'a special file must never be waited on'
            $run.Errors.Count | Should -Be 1
            $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'NotARegularFile,*'
            $run.Errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $run.Errors[0].TargetObject | Should -Be $Daemon
        }
        (stat -c '%F' $file) | Should -Be $Type
        @(Get-ChildItem -LiteralPath (Split-Path $file) -Force).Name | Should -Be @('daemon.json')
    }

    It 'refuses a FIFO where Install-KataGuestKernel expects -Path, at once' {
        $root = New-TestRoot
        $fifo = Join-Path $TestDrive "kernel-$([guid]::NewGuid().ToString('N').Substring(0, 6)).fifo"
        mkfifo $fifo
        $run = Invoke-Bounded -Script { param($Root, $Path) Install-KataGuestKernel -Root $Root -Path $Path } -Arguments @{ Root = $root; Path = $fifo } -Seconds 30
        $run.Finished | Should -BeTrue
        $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'NotARegularFile,*'
        @(Get-ChildItem -LiteralPath $root -Recurse -Force) | Should -BeNullOrEmpty
    }
}

Describe 'HostFiles turns a bad path into a project error and writes nothing' {
    BeforeEach {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $before = Get-RootSnapshot $root
    }

    It 'refuses -ConfigPath / without writing anything in the root or beside it' {
        $parent = Split-Path $root
        $around = @(Get-ChildItem -LiteralPath $parent -Force).Name
        { Set-IsulaRuntime -Root $root -ConfigPath / } | Should -Throw -ErrorId 'InvalidFilePath,IsulaKata.Commands.SetIsulaRuntimeCommand'
        @(Get-ChildItem -LiteralPath $parent -Force).Name | Should -Be $around
        Get-RootSnapshot $root | Should -Be $before
    }

    It 'refuses a path holding NUL, and one ending in a slash' {
        { Set-IsulaRuntime -Root $root -ConfigPath "/etc/isulad/daemon.json`0x" } | Should -Throw -ErrorId 'InvalidFilePath,IsulaKata.Commands.SetIsulaRuntimeCommand'
        { Set-IsulaRuntime -Root $root -ConfigPath '/etc/isulad/' } | Should -Throw -ErrorId 'InvalidFilePath,IsulaKata.Commands.SetIsulaRuntimeCommand'
        Get-RootSnapshot $root | Should -Be $before
    }

    It 'refuses a parent that is a file, removing no folder and creating none' {
        Set-Content -LiteralPath (Join-Path $root 'etc/kata') -Value 'a file'
        $before = Get-RootSnapshot $root
        $e = { Set-IsulaRuntime -Root $root -ConfigPath /etc/kata/sub/daemon.json } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'ParentNotAFolder,*'
        $e.TargetObject | Should -Be '/etc/kata/sub/daemon.json'
        Get-RootSnapshot $root | Should -Be $before
    }

    It 'refuses to write through a dangling symbolic link' {
        New-Item -ItemType SymbolicLink -Path (Join-Path $root 'etc/isulad/other.json') -Target 'missing/daemon.json' | Out-Null
        $before = Get-RootSnapshot $root
        { Set-IsulaRuntime -Root $root -ConfigPath /etc/isulad/other.json } | Should -Throw -ErrorId 'DanglingSymlink,IsulaKata.Commands.SetIsulaRuntimeCommand'
        Get-RootSnapshot $root | Should -Be $before
    }

    It 'creates missing folders only when the write completes, and removes them when it fails' {
        Set-Content -LiteralPath (Join-Path $root 'etc/isulad/daemon.json') -Value '{ "default-runtime": 5 }' -NoNewline
        $before = Get-RootSnapshot $root
        { Set-IsulaRuntime -Root $root -ConfigPath /etc/new/deeper/daemon.json -Runtime 'bad name!' } | Should -Throw
        Get-RootSnapshot $root | Should -Be $before
        Set-IsulaRuntime -Root $root -ConfigPath /etc/new/deeper/daemon.json | Out-Null
        Test-Path -LiteralPath (Join-Path $root 'etc/new/deeper/daemon.json') | Should -BeTrue
    }
}

Describe 'HostFiles keeps bytes: invalid UTF-8 refused, a byte order mark kept' {
    It 'refuses a daemon.json holding bytes that are not UTF-8 and leaves it byte for byte' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $file = Join-Path $root 'etc/isulad/daemon.json'
        $bytes = [IO.File]::ReadAllBytes($file)
        $bytes[10] = 0xFF
        [IO.File]::WriteAllBytes($file, $bytes)
        $before = Get-RootSnapshot $root
        $e = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidUtf8,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        $e.Exception.Message | Should -Match 'at byte 10'
        Get-RootSnapshot $root | Should -Be $before
    }

    It 'keeps a byte order mark, and the backup holds the original bytes' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $file = Join-Path $root 'etc/isulad/daemon.json'
        $original = [byte[]] (0xEF, 0xBB, 0xBF) + [IO.File]::ReadAllBytes($file)
        [IO.File]::WriteAllBytes($file, $original)
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $after = [IO.File]::ReadAllBytes($file)
        $after[0..2] | Should -Be @(0xEF, 0xBB, 0xBF)
        [Text.Encoding]::UTF8.GetString($after, 3, $after.Length - 3) | Should -BeExactly (Get-Content -Raw (Join-Path $Fixtures 'daemon.kata-devicemapper.json'))
        [IO.File]::ReadAllBytes((Join-Path $root $result.BackupPath)) | Should -Be $original
    }

    It 'keeps CRLF line ends of /etc/modules-load.d/isulakata.conf' {
        $root = New-TestRoot
        $conf = Join-Path $root 'etc/modules-load.d/isulakata.conf'
        New-Item -ItemType Directory -Path (Split-Path $conf) | Out-Null
        [IO.File]::WriteAllText($conf, "# mine`r`nloop`r`n")
        Enable-VhostVsock -Root $root | Out-Null
        [IO.File]::ReadAllText($conf) | Should -BeExactly "# mine`r`nloop`r`nvhost_vsock`r`n"
    }
}

Describe 'HostFiles holds its ground against a folder swapped for a symbolic link' {
    It 'writes into the folder it opened, never through the link swapped in while it held the lock' {
        $root = New-TestRoot
        $outside = Join-Path $TestDrive "outside-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        New-Item -ItemType Directory -Path (Join-Path $root 'etc/isulad'), $outside | Out-Null
        Set-Content -LiteralPath (Join-Path $root 'etc/isulad/daemon.json') -Value '{}' -NoNewline
        $files = [IsulaKata.Core.HostFiles]::new($root, [Action[string]] {}, [Threading.CancellationToken]::None, $null)
        $swap = [Func[string, string]] {
            param($text)
            Rename-Item -LiteralPath (Join-Path $root 'etc/isulad') -NewName 'isulad.real'
            New-Item -ItemType SymbolicLink -Path (Join-Path $root 'etc/isulad') -Target $outside | Out-Null
            '{"swapped": true}'
        }
        $files.Update('/etc/isulad/daemon.json', $swap, $null) | Out-Null
        @(Get-ChildItem -LiteralPath $outside -Force) | Should -BeNullOrEmpty
        Get-Content -Raw (Join-Path $root 'etc/isulad.real/daemon.json') | Should -Be '{"swapped": true}'
    }
}

Describe 'HostFiles on a full or read-only file system' {
    BeforeAll {
        $script:Mount = Join-Path ([IO.Path]::GetTempPath()) "isulakata-full-$PID"
        New-Item -ItemType Directory -Path $Mount -Force | Out-Null
        $script:Mounted = $false
        if ((id -u) -eq '0') {
            mount -t tmpfs -o size=256k tmpfs $Mount 2>$null
            $script:Mounted = $LASTEXITCODE -eq 0
        }
        if (-not $Mounted) { Write-Host "SKIPPED: cannot mount a tmpfs at $Mount (needs root and mount rights)" }
    }
    AfterAll {
        if ($Mounted) { umount $Mount }
        Remove-Item -LiteralPath $Mount -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'fails with DiskFull and leaves no backup, no temp file and the file as it was' {
        if (-not $Mounted) { Set-ItResult -Skipped -Because "SKIPPED: no tmpfs could be mounted (needs root and mount rights)"; return }
        Get-ChildItem -LiteralPath $Mount -Force | Remove-Item -Recurse -Force
        New-Item -ItemType Directory -Path (Join-Path $Mount 'etc/isulad') | Out-Null
        Copy-Item -LiteralPath (Join-Path $Fixtures 'daemon.shipped.json') -Destination (Join-Path $Mount 'etc/isulad/daemon.json')
        # Fill what is left, so the temp file cannot be written.
        $fill = [IO.File]::OpenWrite((Join-Path $Mount 'fill'))
        try { $chunk = [byte[]]::new(4096); while ($true) { $fill.Write($chunk, 0, $chunk.Length); $fill.Flush() } } catch { } finally { try { $fill.Dispose() } catch { } }
        $before = Get-RootSnapshot $Mount
        $e = { Set-IsulaRuntime -Root $Mount -ThinPoolDevice $Pool -WarningAction SilentlyContinue } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'DiskFull,*'
        $e.CategoryInfo.Category | Should -Be 'WriteError'
        $e.ErrorDetails.RecommendedAction | Should -Match 'Free space'
        Get-RootSnapshot $Mount | Should -Be $before
    }

    It 'fails with ReadOnlyFileSystem on a read-only mount' {
        if (-not $Mounted) { Set-ItResult -Skipped -Because "SKIPPED: no tmpfs could be mounted (needs root and mount rights)"; return }
        Get-ChildItem -LiteralPath $Mount -Force | Remove-Item -Recurse -Force
        New-Item -ItemType Directory -Path (Join-Path $Mount 'etc/isulad') | Out-Null
        Copy-Item -LiteralPath (Join-Path $Fixtures 'daemon.shipped.json') -Destination (Join-Path $Mount 'etc/isulad/daemon.json')
        mount -o remount,ro $Mount
        try {
            $before = Get-RootSnapshot $Mount
            { Set-IsulaRuntime -Root $Mount -ThinPoolDevice $Pool -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'ReadOnlyFileSystem,IsulaKata.Commands.SetIsulaRuntimeCommand'
            Get-RootSnapshot $Mount | Should -Be $before
        }
        finally { mount -o remount,rw $Mount }
    }
}

Describe 'The folder lock' {
    It 'is held on a close-on-exec descriptor, and a stopped wait leaves the file as it was' -Skip:(-not (Get-Command flock -ErrorAction Ignore)) {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $folder = Join-Path $root 'etc/isulad'
        $before = Get-RootSnapshot $root
        $holder = Start-Process -FilePath flock -ArgumentList $folder, 'sleep', '60' -PassThru
        try {
            Start-Sleep -Milliseconds 300
            $waiter = Start-LockWaiter -Folder $folder -Command "Set-IsulaRuntime -Root '$root' -ThinPoolDevice '$Pool' -WarningAction SilentlyContinue"
            $ps = $waiter.PowerShell; $async = $waiter.Async; $fd = $waiter.Descriptor
            $fd | Should -Not -BeNullOrEmpty -Because 'the cmdlet waits for the lock on the folder it holds open'
            $flags = (Get-Content "/proc/self/fdinfo/$($fd.Name)" | Where-Object { $_ -like 'flags:*' }) -replace '^flags:\s*', ''
            ([Convert]::ToInt32($flags, 8) -band 0x80000) | Should -Be 0x80000 -Because 'O_CLOEXEC keeps the lock out of every program the module starts'
            Stop-Bounded -PowerShell $ps -Async $async -Seconds 30 | Should -BeTrue -Because 'Ctrl+C ends a wait for the lock'
            Get-RootSnapshot $root | Should -Be $before
        }
        finally { Stop-Process -Id $holder.Id -ErrorAction SilentlyContinue }
    }
}

Describe 'One translation: pipeline inputs, typed parameters and .NET exceptions' {
    It 'writes an error for the one bad -Root from the pipeline and goes on with the next' {
        $good = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $bad = New-TestRoot
        New-Item -ItemType Directory -Path (Join-Path $bad 'etc/isulad/daemon.json') -Force | Out-Null
        $results = @([pscustomobject]@{ Root = $bad }, [pscustomobject]@{ Root = $good } | Get-IsulaRuntime -ErrorVariable failed -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 1
        $results[0].Root | Should -Be $good
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'NotARegularFile,IsulaKata.Commands.GetIsulaRuntimeCommand'
    }

    It 'stays terminating for a bad value typed on the command line' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        { [pscustomobject]@{ Root = $root } | Get-IsulaRuntime -ConfigPath 'relative/daemon.json' } | Should -Throw -ErrorId 'PathNotAbsolute,IsulaKata.Commands.GetIsulaRuntimeCommand'
    }

    It 'reports permission denied to a user who is not root as AccessDenied or FileAccessDenied, with the fix' -Skip:((id -u) -ne '0' -or -not (Get-Command setpriv -ErrorAction Ignore)) {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        chmod 755 $TestDrive $root
        $before = Get-RootSnapshot $root
        $script = @"
Import-Module '$ModulePath'
foreach (`$call in { Set-IsulaRuntime -Root '$root' -ThinPoolDevice '$Pool' -WarningAction SilentlyContinue }, { Enable-VhostVsock -Root '$root' }) {
    try { & `$call | Out-Null; 'no error' } catch { "`$(`$_.FullyQualifiedErrorId)|`$(`$_.CategoryInfo.Category)|`$(`$_.ErrorDetails.RecommendedAction)" }
}
"@
        $lines = Invoke-AsNobody $script
        $lines.Count | Should -Be 2
        foreach ($line in $lines) {
            $id, $category, $action = $line -split '\|'
            $id | Should -BeIn @('FileAccessDenied,IsulaKata.Commands.SetIsulaRuntimeCommand', 'FileAccessDenied,IsulaKata.Commands.EnableVhostVsockCommand')
            $category | Should -Be 'PermissionDenied'
            $action | Should -Match 'sudo pwsh'
        }
        Get-RootSnapshot $root | Should -Be $before
    }

    It 'replaces a 0444 file of the user who runs it, or refuses it, and leaves no backup behind a failure' -Skip:((id -u) -ne '0' -or -not (Get-Command setpriv -ErrorAction Ignore)) {
        # The file and its folder belong to the (non-root) caller; the file is read-only (0444). Renaming over it is
        # allowed; main made the backup, then failed to reopen that 0444 copy read-write to fsync it, and left it.
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $file = Join-Path $root 'etc/isulad/daemon.json'
        chown -R 65534:65534 $root
        chmod 0444 $file
        chmod 755 $TestDrive
        $original = [IO.File]::ReadAllBytes($file)
        $journaled = { param($entries) @($entries | Where-Object { $_ -notmatch '^var(/| )' }) }
        $before = & $journaled (Get-RootSnapshot $root)
        $script = @"
Import-Module '$ModulePath'
try { `$r = Set-IsulaRuntime -Root '$root' -ThinPoolDevice '$Pool' -WarningAction SilentlyContinue; "ok|`$(`$r.BackupPath)" }
catch { "error|`$(`$_.FullyQualifiedErrorId)|`$(`$_.Exception.GetType().FullName)|`$(`$_.Exception.Message)" }
"@
        $line = @(Invoke-AsNobody $script)[-1]
        $outcome, $detail = $line -split '\|', 2
        if ($outcome -eq 'ok') {
            (Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue).StorageDriver | Should -Be 'devicemapper'
            $backups = @(Get-ChildItem -LiteralPath (Split-Path $file) -Filter 'daemon.json.isulakata-*.bak')
            $backups.Count | Should -Be 1
            [IO.File]::ReadAllBytes($backups[0].FullName) | Should -Be $original
            @(Get-ChildItem -LiteralPath $root -Recurse -Force -Filter '*.tmp') | Should -BeNullOrEmpty
        }
        else {
            $outcome | Should -Be 'error'
            "$detail".Split(',')[0] | Should -BeIn $KnownIds -Because $detail
            "$detail".Split(',')[0] | Should -Not -Be 'UnexpectedError'
            & $journaled (Get-RootSnapshot $root) | Should -Be $before -Because "a refused write leaves nothing behind ($detail)"
        }
    }

    It 'refuses -BaseSize <Value> (<Why>) with a project error, never a .NET one' -TestCases @(
        @{ Value = '99999999999999999999G'; Why = 'beyond any number type once multiplied' }
        @{ Value = '99999999999999999999999999999'; Why = 'beyond any number type' }
        @{ Value = "$([char]0x0661)$([char]0x0660)G"; Why = 'Arabic-Indic digits, which \d matches' }
    ) {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $before = Get-RootSnapshot $root
        $e = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -BaseSize $Value } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -Be 'InvalidStorageOption,IsulaKata.Commands.SetIsulaRuntimeCommand'
        $e.Exception | Should -BeOfType ([IsulaKata.Core.IsulaKataException])
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-RootSnapshot $root | Should -Be $before
    }

    It 'lists every error id it can report in about_IsulaKata' {
        $about = Get-Content -Raw (Join-Path $PSScriptRoot '../../docs/en-US/about_IsulaKata.md')
        $missing = $KnownIds | Where-Object { $about -notmatch "\| ``$_`` \|" }
        $missing | Should -BeNullOrEmpty -Because 'each error id a user can meet has a row in the table of about_IsulaKata'
    }
}

Describe 'Every cmdlet points at its page and is found by its name on the Gallery' {
    It 'has a HelpUri on docs/en-US/<name>.md (a page that exists) and a PSCommand_<name> tag' {
        $manifest = Import-PowerShellDataFile -LiteralPath $ModulePath
        $commands = @(Get-Command -Module IsulaKata -CommandType Cmdlet)
        $commands.Count | Should -BeGreaterThan 0
        foreach ($command in $commands) {
            $command.HelpUri | Should -Be "https://github.com/isulakata/IsulaKata/blob/main/docs/en-US/$($command.Name).md"
            Test-Path -LiteralPath (Join-Path $PSScriptRoot "../../docs/en-US/$($command.Name).md") | Should -BeTrue
            $manifest.PrivateData.PSData.Tags | Should -Contain "PSCommand_$($command.Name)" -Because 'PSResourceGet does not add command tags itself'
        }
    }
}

Describe 'Packages: names are checked and follow --' {
    It 'refuses <Name> before running anything' -TestCases @(
        @{ Name = '--installroot=/tmp/evil' }, @{ Name = "iSulad`nkata" }, @{ Name = 'a b' }, @{ Name = '-y' }
    ) {
        $state = New-FakeHost
        try {
            Set-FakeState rpm-installed ''
            { Install-IsulaKataPackage -Name $Name } | Should -Throw -ErrorId 'InvalidPackageName,IsulaKata.Commands.InstallIsulaKataPackageCommand'
            Get-FakeCommand | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }
}

Describe 'Install-KataGuestKernel: short downloads, Ctrl+C and a folder as -Destination' {
    BeforeAll {
        # A raw HTTP server on loopback: /short promises 100000 bytes and closes after 1000; /stall sends 1000 and waits.
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start()
        $script:Port = $probe.LocalEndpoint.Port
        $probe.Stop()
        $ready = Join-Path $TestDrive 'raw-ready'
        $script:RawServer = Start-ThreadJob -ArgumentList $Port, $ready -ScriptBlock {
            param($port, $ready)
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
            $listener.Start()
            Set-Content -LiteralPath $ready -Value ''
            $deadline = [DateTime]::UtcNow.AddMinutes(3)
            try {
                while ([DateTime]::UtcNow -lt $deadline) {
                    $accept = $listener.AcceptTcpClientAsync()
                    while (-not $accept.Wait(100)) { if ([DateTime]::UtcNow -ge $deadline) { return } }
                    $client = $accept.Result
                    $stream = $client.GetStream()
                    $reader = [IO.StreamReader]::new($stream)
                    $request = $reader.ReadLine()
                    while ($reader.ReadLine()) { }
                    $head = [Text.Encoding]::ASCII.GetBytes("HTTP/1.1 200 OK`r`nContent-Length: 100000`r`nConnection: close`r`n`r`n")
                    $stream.Write($head, 0, $head.Length)
                    $stream.Write([byte[]]::new(1000), 0, 1000)
                    $stream.Flush()
                    if ($request -like 'GET /stall*') { Start-Sleep -Seconds 20 }
                    $client.Close()
                }
            }
            finally { $listener.Stop() }
        }
        $wait = [DateTime]::UtcNow.AddSeconds(20)
        while (-not (Test-Path $ready) -and [DateTime]::UtcNow -lt $wait) { Start-Sleep -Milliseconds 50 }
    }
    AfterAll { $RawServer | Stop-Job -PassThru | Remove-Job -Force }

    It 'reports a download shorter than its Content-Length as KernelDownloadFailed and writes nothing' {
        $root = New-TestRoot
        $e = { Install-KataGuestKernel -Uri "http://127.0.0.1:$Port/short" -Root $root -ProgressAction SilentlyContinue } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -Be 'KernelDownloadFailed,IsulaKata.Commands.InstallKataGuestKernelCommand'
        $e.Exception.Message | Should -Match 'ended after 1000 of 100000 bytes'
        @(Get-ChildItem -LiteralPath $root -Recurse -Force) | Should -BeNullOrEmpty
    }

    It 'writes nothing when stopped during the download' {
        $root = New-TestRoot
        $ps = [powershell]::Create()
        [void] $ps.AddScript("Import-Module '$ModulePath'; Install-KataGuestKernel -Uri 'http://127.0.0.1:$Port/stall' -Root '$root' -ProgressAction SilentlyContinue")
        $async = $ps.BeginInvoke()
        Start-Sleep -Seconds 2
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Stop-Bounded -PowerShell $ps -Async $async -Seconds 30 | Should -BeTrue
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
        @(Get-ChildItem -LiteralPath $root -Recurse -Force) | Should -BeNullOrEmpty
    }

    It 'places exactly the bytes -Sha256 names, though the source changes while it waits for the folder lock (read once)' -Skip:(-not (Get-Command flock -ErrorAction Ignore)) {
        # Another writer holds the lock on /var/lib/kata; while the cmdlet waits for it, the source gets other bytes.
        # Main hashed the source, waited, then read it again to place it: the placed kernel was never verified.
        $root = New-TestRoot
        $folder = Join-Path $root 'var/lib/kata'
        New-Item -ItemType Directory -Path $folder | Out-Null
        $source = Join-Path $TestDrive "kernel-$([guid]::NewGuid().ToString('N').Substring(0, 6)).bin"
        [IO.File]::WriteAllBytes($source, [byte[]](0x7F, 0x45, 0x4C, 0x46) + [byte[]]::new(8192))
        $sha = Get-Sha256 $source
        # flock -o: the lock stays with flock itself (not its sleep), so stopping flock releases it.
        $holder = Start-Process -FilePath flock -ArgumentList '-o', $folder, 'sleep', '120' -PassThru
        $release = {
            $sleeper = @((Get-Content -LiteralPath "/proc/$($holder.Id)/task/$($holder.Id)/children" -ErrorAction Ignore) -split ' ' | Where-Object { $_ })
            Stop-Process -Id $holder.Id -ErrorAction SilentlyContinue
            foreach ($id in $sleeper) { Stop-Process -Id $id -ErrorAction SilentlyContinue }
        }
        try {
            Start-Sleep -Milliseconds 300
            $waiter = Start-LockWaiter -Folder $folder -Command "Install-KataGuestKernel -Root '$root' -Path '$source' -Sha256 '$sha' -WarningAction SilentlyContinue"
            $ps = $waiter.PowerShell; $async = $waiter.Async
            $waiter.Descriptor | Should -Not -BeNullOrEmpty -Because 'the cmdlet waits for the lock on /var/lib/kata'
            [IO.File]::WriteAllBytes($source, [byte[]](0x7F, 0x45, 0x4C, 0x46) + [byte[]]::new(4096) + [byte[]](1, 2, 3))
            & $release
            $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60)) | Should -BeTrue
            $placed = Join-Path $folder 'vmlinux.bin'
            try {
                $result = @($ps.EndInvoke($async))
                $result[-1].Sha256 | Should -Be $sha
                Get-Sha256 $placed | Should -Be $sha -Because 'the bytes placed are the bytes whose SHA-256 was checked'
            }
            catch [System.Management.Automation.MethodInvocationException] {
                # Refusing the changed source is the other valid answer: a project error, nothing placed.
                "$($_.Exception.InnerException.ErrorRecord.FullyQualifiedErrorId)".Split(',')[0] | Should -BeIn $KnownIds
                Test-Path -LiteralPath $placed | Should -BeFalse
            }
            $ps.Dispose()
        }
        finally { & $release }
    }

    It 'refuses a folder as -Destination with NotARegularFile' {
        $root = New-TestRoot
        New-Item -ItemType Directory -Path (Join-Path $root 'var/lib/kata/vmlinux.bin') -Force | Out-Null
        $kernel = Join-Path $TestDrive 'dest-kernel.bin'
        [IO.File]::WriteAllBytes($kernel, [byte[]](0x7F, 0x45, 0x4C, 0x46) + [byte[]]::new(100))
        $before = Get-RootSnapshot $root
        $e = { Install-KataGuestKernel -Path $kernel -Root $root } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -Be 'NotARegularFile,IsulaKata.Commands.InstallKataGuestKernelCommand'
        $e.TargetObject | Should -Be '/var/lib/kata/vmlinux.bin'
        Get-RootSnapshot $root | Should -Be $before
    }
}
