# The way back: the journal of every change, Get-IsulaKataChange, Undo-IsulaKataChange and Reset-IsulaKataHost on a fake
# host tree (daemon.json, kata files of the 1.x and 2.x shapes, sysconfig, modules-load.d) and the fake lvm.
BeforeDiscovery {
    $isRoot = (id -u) -eq '0'
    $CanMakeDeviceNodes = $isRoot -and [bool](Get-Command mknod -ErrorAction SilentlyContinue)
    $Shapes = @(
        @{ Shape = 'kata 1.x'; Kata = @{ '/usr/share/defaults/kata-containers/configuration.toml' = 'Kata/kata1-qemu.toml' }; Link = $false }
        @{ Shape = 'kata 2.x'; Kata = @{ '/usr/share/defaults/kata-containers/configuration-stratovirt.toml' = 'Kata/kata2-stratovirt.toml' }; Link = $true }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'Storage.Helpers.ps1')
    $script:KataConfig = '/usr/share/defaults/kata-containers/configuration.toml'
    $script:Quiet = @{ WarningAction = 'SilentlyContinue'; Confirm = $false }

    function New-JournalHost {
        # The fake host: daemon.json (mode 600, owner 1234:1234 when root), kata's files, sysconfig, modules-load.d, /var/lib.
        param([hashtable] $Kata, [bool] $Link)
        $files = @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' } + $Kata
        $root = New-TestRoot $files
        if ($Link) {
            New-Item -ItemType SymbolicLink -Path (Join-Path $root $KataConfig.TrimStart('/')) -Target 'configuration-stratovirt.toml' | Out-Null
        }
        New-Item -ItemType Directory -Path "$root/etc/sysconfig", "$root/etc/modules-load.d", "$root/var/lib" -Force | Out-Null
        Set-Content -LiteralPath "$root/etc/sysconfig/iSulad" -Value "OPTIONS='-H unix:///var/run/isulad.sock'" -NoNewline
        Set-Content -LiteralPath "$root/etc/modules-load.d/br_netfilter.conf" -Value "br_netfilter`n" -NoNewline
        chmod 600 "$root/etc/isulad/daemon.json"
        if ((id -u) -eq '0') { chown 1234:1234 "$root/etc/isulad/daemon.json" }
        return $root
    }

    function Get-TreeSnapshot {
        # Every entry under the root except the journal's folder: type, bytes (SHA-256) or link target, mode, owner.
        param([Parameter(Mandatory)] [string] $Root)
        Get-ChildItem -LiteralPath $Root -Recurse -Force | Where-Object { $_.FullName -notlike "$Root/var/lib/isulakata*" } | ForEach-Object {
            $relative = $_.FullName.Substring($Root.Length)
            $stat = (stat -c '%a %u:%g' $_.FullName)
            if ($_.LinkType) { "l $relative -> $($_.LinkTarget) $stat" }
            elseif ($_.PSIsContainer) { "d $relative $stat" }
            else { "f $relative $(Get-Sha256 $_.FullName) $stat" }
        } | Sort-Object
    }

    function Invoke-Procedure {
        # The README pipeline as far as it runs under -Root (the pool is built by this host's lvm, see the storage tests).
        param([Parameter(Mandatory)] [string] $Root)
        $script:KernelFile = Join-Path $TestDrive ('vmlinux-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.bin')
        $bytes = [byte[]]::new(4096); [Random]::new(7).NextBytes($bytes); $bytes[0] = 0x7F; $bytes[1] = 0x45; $bytes[2] = 0x4C; $bytes[3] = 0x46
        [IO.File]::WriteAllBytes($KernelFile, $bytes)
        $null = Set-IsulaRuntime -Root $Root -ThinPoolDevice /dev/mapper/isula-thinpool @Quiet
        $null = Enable-VhostVsock -Root $Root @Quiet
        $null = Install-KataGuestKernel -Path $KernelFile -Root $Root @Quiet
        $null = Get-IsulaRuntime -Root $Root | Set-KataHypervisor -Hypervisor StratoVirt -Root $Root @Quiet
    }

    function Get-Line {
        # One "Cmdlet Action Path" string per change.
        param($Changes) @($Changes | ForEach-Object { "$($_.Cmdlet) $($_.Action) $($_.Path)" })
    }

    function Get-JournalRecord {
        param([Parameter(Mandatory)] [string] $Path) @(Get-Content -LiteralPath $Path | ForEach-Object { $_ | ConvertFrom-Json })
    }
}

Describe 'The journal of the whole procedure (<Shape>)' -ForEach $Shapes {
    BeforeEach {
        $null = New-FakeHost
        $script:Root = New-JournalHost -Kata $Kata -Link $Link
        $script:Before = Get-TreeSnapshot $Root
        $script:Original = @{}
        foreach ($file in Get-ChildItem -LiteralPath $Root -Recurse -File) { $Original[$file.FullName] = Get-Sha256 $file.FullName }
        Invoke-Procedure -Root $Root
        $script:Changed = Get-TreeSnapshot $Root
    }
    AfterEach { Remove-FakeHost }

    It 'lists one entry per change, newest first, each done and undoable, with the hashes of the file before and after' {
        $changes = @(Get-IsulaKataChange -Root $Root)
        [array]::Reverse($changes)
        Get-Line $changes | Should -Be @(
            'Set-IsulaRuntime FileWritten /etc/isulad/daemon.json'
            'Enable-VhostVsock ModulePersisted /etc/modules-load.d/isulakata.conf'
            'Install-KataGuestKernel FolderCreated /var/lib/kata'
            'Install-KataGuestKernel KernelPlaced /var/lib/kata/vmlinux.bin'
            'Set-KataHypervisor FolderCreated /usr/local'
            'Set-KataHypervisor FolderCreated /usr/local/libexec'
            'Set-KataHypervisor FolderCreated /usr/local/libexec/isulakata'
            'Set-KataHypervisor WrapperWritten /usr/local/libexec/isulakata/stratovirt.sh'
            "Set-KataHypervisor FileWritten $KataConfig")
        $changes.Outcome | Sort-Object -Unique | Should -Be 'Done'
        ($changes | Where-Object Action -ne 'FolderCreated').CanUndo | Sort-Object -Unique | Should -Be $true
        # A folder can go once the files in it are undone.
        $folder = $changes | Where-Object Path -eq '/var/lib/kata'
        $folder.CanUndo | Should -BeFalse
        $folder.Reason | Should -Be 'The folder ''/var/lib/kata'' that Install-KataGuestKernel created is not empty any more; it was kept.'
        $changes.Root | Sort-Object -Unique | Should -Be $Root
        $daemon = $changes[0]
        $daemon.GetType().FullName | Should -Be 'IsulaKata.Journal.IsulaKataChange'
        $daemon.BeforeSha256 | Should -Be $Original["$Root/etc/isulad/daemon.json"]
        $daemon.AfterSha256 | Should -Be (Get-Sha256 "$Root/etc/isulad/daemon.json")
        $daemon.BackupPath | Should -BeLike '/etc/isulad/daemon.json.isulakata-*.bak'
        Get-Sha256 (Join-Path $Root $daemon.BackupPath) | Should -Be $daemon.BeforeSha256
        $changes[1].BeforeSha256 | Should -BeNullOrEmpty
        $changes[3].AfterSha256 | Should -Be (Get-Sha256 $KernelFile)
        @(Get-IsulaKataChange -Root $Root -Cmdlet 'Set-Kata*').Count | Should -Be 5
        @(Get-IsulaKataChange -Root $Root -Since ([datetime]::Now.AddMinutes(1))).Count | Should -Be 0
    }

    It 'writes the journal as one whole JSON object a line: an intent, then its completion' {
        $records = Get-JournalRecord "$Root/var/lib/isulakata/journal.jsonl"
        $records.Count | Should -Be 18
        $first = $records[0]
        $first.state | Should -Be 'intent'
        $first.cmdlet | Should -Be 'Set-IsulaRuntime'
        $first.action | Should -Be 'FileWritten'
        $first.pid | Should -BeGreaterThan 0
        $records[1].id | Should -Be $first.id
        $records[1].state | Should -Be 'done'
        (Get-Item "$Root/var/lib/isulakata/journal.jsonl").UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
    }

    It 'undoes one change: that file''s original bytes, mode and owner back, the others untouched, the undo journaled' {
        $daemon = Get-IsulaKataChange -Root $Root | Where-Object Path -eq '/etc/isulad/daemon.json'
        $configSha = Get-Sha256 "$Root$KataConfig"
        $undo = $daemon | Undo-IsulaKataChange -Confirm:$false
        Get-Sha256 "$Root/etc/isulad/daemon.json" | Should -Be $Original["$Root/etc/isulad/daemon.json"]
        (stat -c '%a %u:%g' "$Root/etc/isulad/daemon.json") | Should -Be ($Before | Where-Object { $_ -like 'f /etc/isulad/daemon.json *' }).Split(' ', 4)[3]
        Test-Path (Join-Path $Root $daemon.BackupPath) | Should -BeFalse
        Get-Sha256 "$Root$KataConfig" | Should -Be $configSha
        Test-Path "$Root/etc/modules-load.d/isulakata.conf" | Should -BeTrue
        $undo.Action | Should -Be 'FileRestored'
        $undo.Undoes | Should -Be $daemon.Id
        $undo.Outcome | Should -Be 'Done'
        $undo.CanUndo | Should -BeFalse
        $now = Get-IsulaKataChange -Root $Root
        $now[0].Id | Should -Be $undo.Id
        ($now | Where-Object Id -eq $daemon.Id).Outcome | Should -Be 'Undone'
        ($now | Where-Object Id -eq $daemon.Id).CanUndo | Should -BeFalse
        $daemon | Undo-IsulaKataChange -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'ChangeAlreadyUndone,IsulaKata.Commands.UndoIsulaKataChangeCommand'
    }

    It 'refuses to undo a file someone edited after us and keeps the edit; -Force keeps that edit as a backup first' {
        $config = Get-IsulaKataChange -Root $Root | Where-Object Path -eq $KataConfig
        $file = Join-Path $Root $config.Path.TrimStart('/')
        Add-Content -LiteralPath $file -Value '# an operator''s note'
        $edited = Get-Sha256 $file
        (Get-IsulaKataChange -Root $Root | Where-Object Id -eq $config.Id).CanUndo | Should -BeFalse
        $config | Undo-IsulaKataChange -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'ChangedSinceWritten,IsulaKata.Commands.UndoIsulaKataChangeCommand'
        $err[0].ErrorDetails.RecommendedAction | Should -Match '-Force'
        Get-Sha256 $file | Should -Be $edited
        $folder = Split-Path (Resolve-Path $file).Path
        $backups = @(Get-ChildItem -LiteralPath $folder -Filter '*.isulakata-*.bak').FullName

        $undo = $config | Undo-IsulaKataChange -Force -Confirm:$false
        Get-Sha256 $file | Should -Be $config.BeforeSha256
        $kept = @(Get-ChildItem -LiteralPath $folder -Filter '*.isulakata-*.bak' | Where-Object FullName -notin $backups)
        $kept.Count | Should -Be 1
        Get-Sha256 $kept[0].FullName | Should -Be $edited
        $step = Get-IsulaKataChange -Root $Root | Where-Object PartOf -eq $undo.Id
        $step.Action | Should -Be 'FileRemoved'
        $step.BeforeSha256 | Should -Be $edited
    }

    It 'resets the host: every file byte-identical with its mode and owner, created files and folders gone' {
        $Changed | Should -Not -Be $Before
        $undone = @(Reset-IsulaKataHost -Root $Root -Confirm:$false)
        $undone.Count | Should -Be 9
        Get-Line $undone | Should -Be @(
            "Reset-IsulaKataHost FileRestored $KataConfig"
            'Reset-IsulaKataHost FileDeleted /usr/local/libexec/isulakata/stratovirt.sh'
            'Reset-IsulaKataHost FolderRemoved /usr/local/libexec/isulakata'
            'Reset-IsulaKataHost FolderRemoved /usr/local/libexec'
            'Reset-IsulaKataHost FolderRemoved /usr/local'
            'Reset-IsulaKataHost FileDeleted /var/lib/kata/vmlinux.bin'
            'Reset-IsulaKataHost FolderRemoved /var/lib/kata'
            'Reset-IsulaKataHost FileDeleted /etc/modules-load.d/isulakata.conf'
            'Reset-IsulaKataHost FileRestored /etc/isulad/daemon.json')
        Get-TreeSnapshot $Root | Should -Be $Before
        @(Get-IsulaKataChange -Root $Root | Where-Object { -not $_.Undoes } | Where-Object Outcome -ne 'Undone').Count | Should -Be 0
        # A second reset finds nothing left to undo.
        @(Reset-IsulaKataHost -Root $Root -Confirm:$false).Count | Should -Be 0
    }

    It '-WhatIf on Undo and Reset prints a line per change and changes nothing, the journal included' {
        $journal = Get-Sha256 "$Root/var/lib/isulakata/journal.jsonl"
        $daemon = Get-IsulaKataChange -Root $Root | Where-Object Path -eq '/etc/isulad/daemon.json'
        Get-WhatIfLine { $daemon | Undo-IsulaKataChange -WhatIf } | Should -Be @(
            "What if: Performing the operation `"Restore from '$($daemon.BackupPath)'`" on target `"/etc/isulad/daemon.json`".")
        $lines = Get-WhatIfLine { Reset-IsulaKataHost -Root $Root -WhatIf }
        $lines.Count | Should -Be 9
        # The 2.x configuration.toml is a link: the backup is made beside the file it leads to.
        $lines[0] | Should -BeLike "What if: Performing the operation `"Restore from '/usr/share/defaults/kata-containers/configuration*.toml.isulakata-*.bak'`" on target `"$KataConfig`"."
        $lines[1] | Should -Be 'What if: Performing the operation "Remove (created by Set-KataHypervisor)" on target "/usr/local/libexec/isulakata/stratovirt.sh".'
        $lines[2] | Should -Be 'What if: Performing the operation "Remove the empty folder (created by Set-KataHypervisor)" on target "/usr/local/libexec/isulakata".'
        $null = Reset-IsulaKataHost -Root $Root -WhatIf -InformationVariable plan
        @($plan | Where-Object { $_.Tags -contains 'IsulaKata.WhatIf' }).Count | Should -Be 9
        Get-TreeSnapshot $Root | Should -Be $Changed
        Get-Sha256 "$Root/var/lib/isulakata/journal.jsonl" | Should -Be $journal
    }
}

Describe 'The way back after switching kata 2.x back to its packaged hypervisor' {
    It 'keeps the removed /etc file as a backup: the removal undoes, and Reset leaves the host as it started, without an error' {
        $root = New-TestRoot @{
            '/usr/share/defaults/kata-containers/configuration.toml'            = 'Kata/kata2-qemu.toml'
            '/usr/share/defaults/kata-containers/configuration-stratovirt.toml' = 'Kata/kata2-stratovirt.toml'
        }
        New-Item -ItemType Directory -Path "$root/var/lib" -Force | Out-Null # where the journal lives
        $start = Get-TreeSnapshot $root
        $etc = "$root/etc/kata-containers/configuration.toml"
        Set-KataHypervisor -Root $root -Hypervisor StratoVirt @Quiet | Out-Null
        $made = Get-Sha256 $etc
        Set-KataHypervisor -Root $root -Hypervisor Qemu @Quiet | Out-Null
        Test-Path $etc | Should -BeFalse
        $removal = @(Get-IsulaKataChange -Root $root | Where-Object { $_.Path -eq '/etc/kata-containers/configuration.toml' })[0]
        $removal.Action | Should -Be 'FileRemoved'
        $removal.CanUndo | Should -BeTrue
        $removal.BackupPath | Should -BeLike '/etc/kata-containers/configuration.toml.isulakata-*.bak'
        $removal | Undo-IsulaKataChange -Confirm:$false | Out-Null
        Get-Sha256 $etc | Should -Be $made
        Reset-IsulaKataHost -Root $root -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue | Out-Null
        $failed | Should -BeNullOrEmpty
        Get-TreeSnapshot $root | Should -Be $start
    }
}

Describe 'The journal file' {
    BeforeEach { $null = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'stays whole under 20 concurrent writers: every line one JSON record, every change an intent and a completion' {
        $root = New-TestRoot
        New-Item -ItemType Directory -Path "$root/etc" | Out-Null
        $module = (Get-Module IsulaKata).Path
        $jobs = foreach ($n in 1..20) {
            Start-ThreadJob -ArgumentList $root, $n, $module -ScriptBlock {
                param($root, $n, $module)
                Import-Module $module
                $log = [Action[string]] { param($m) }
                $context = [IsulaKata.Core.HostContext]::Create($root, $log, [Threading.CancellationToken]::None, $null, "Writer-$n", $log)
                foreach ($i in 1..5) { $null = $context.Files.Write("/etc/writer$n/file$i.conf", ('x' * (100 * $n)) + "`n") }
            }
        }
        $jobs | Wait-Job -Timeout 120 | Receive-Job -ErrorAction Stop
        $jobs | Remove-Job
        $lines = Get-Content -LiteralPath "$root/var/lib/isulakata/journal.jsonl"
        $lines.Count | Should -Be (20 * 6 * 2)
        $records = @($lines | ForEach-Object { $_ | ConvertFrom-Json -ErrorAction Stop })
        $records.Count | Should -Be 240
        foreach ($group in $records | Group-Object id) {
            @($group.Group.state) | Should -Be @('intent', 'done')
        }
        $changes = @(Get-IsulaKataChange -Root $root)
        $changes.Count | Should -Be 120
        @($changes | Where-Object Outcome -ne 'Done').Count | Should -Be 0
    }

    It 'skips a torn last line with a warning and reads every whole line' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $null = Set-IsulaRuntime -Root $root -ThinPoolDevice /dev/mapper/isula-thinpool @Quiet
        $journal = "$root/var/lib/isulakata/journal.jsonl"
        [IO.File]::AppendAllText($journal, '{"id":"0123456789ab","state":"intent","time":"2026-')
        $changes = @(Get-IsulaKataChange -Root $root -WarningVariable w -WarningAction SilentlyContinue)
        $changes.Count | Should -Be 1
        $changes[0].Outcome | Should -Be 'Done'
        $w.Count | Should -Be 1
        $w[0].Message | Should -BeLike "The journal '*journal.jsonl' ends in a torn line (line 3*"
        # The next change still appends whole lines after the torn one.
        $null = Set-IsulaRuntime -Root $root -Runtime runc @Quiet
        @(Get-IsulaKataChange -Root $root -WarningAction SilentlyContinue).Count | Should -Be 2
    }

    It 'completes -Id with the changes still in effect and -Cmdlet with the cmdlets the journal names' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $null = Set-IsulaRuntime -Root $root -ThinPoolDevice /dev/mapper/isula-thinpool @Quiet
        $change = Get-IsulaKataChange -Root $root
        $line = "Undo-IsulaKataChange -Root '$root' -Id "
        $ids = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $ids.CompletionText | Should -Be @($change.Id)
        $ids[0].ToolTip | Should -BeLike '* Set-IsulaRuntime FileWritten /etc/isulad/daemon.json (Done)'
        $line = "Get-IsulaKataChange -Root '$root' -Cmdlet Set"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('Set-IsulaRuntime')
    }

    It 'refuses to write through a journal folder that leads outside the root, and then changes nothing' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $outside = Join-Path $TestDrive ('outside-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory -Path $outside, "$root/var/lib" -Force | Out-Null
        New-Item -ItemType SymbolicLink -Path "$root/var/lib/isulakata" -Target $outside | Out-Null
        $before = Get-Sha256 "$root/etc/isulad/daemon.json"
        { Set-IsulaRuntime -Root $root -ThinPoolDevice /dev/mapper/isula-thinpool @Quiet } | Should -Throw -ErrorId 'PathEscapesRoot,IsulaKata.Commands.SetIsulaRuntimeCommand'
        Get-Sha256 "$root/etc/isulad/daemon.json" | Should -Be $before
        @(Get-ChildItem -LiteralPath "$root/etc/isulad").Count | Should -Be 1
        @(Get-ChildItem -LiteralPath $outside).Count | Should -Be 0
    }

    It 'shows an intent without completion as Interrupted; the next cmdlet on that file warns, Undo brings the file back' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $original = Get-Sha256 "$root/etc/isulad/daemon.json"
        $null = Set-IsulaRuntime -Root $root -ThinPoolDevice /dev/mapper/isula-thinpool @Quiet
        # Drop the completion line: the journal as a process killed right after the rename leaves it.
        $journal = "$root/var/lib/isulakata/journal.jsonl"
        $lines = @(Get-Content -LiteralPath $journal)
        Set-Content -LiteralPath $journal -Value $lines[0]
        $change = Get-IsulaKataChange -Root $root
        $change.Outcome | Should -Be 'Interrupted'
        $change.CanUndo | Should -BeTrue
        $null = Set-IsulaRuntime -Root $root -ThinPoolDevice /dev/mapper/isula-thinpool -WarningVariable w -WarningAction SilentlyContinue
        $w.Message | Should -Contain "The journal shows an interrupted change to '/etc/isulad/daemon.json': Set-IsulaRuntime (FileWritten) began at $($change.Time.ToString('yyyy-MM-dd HH:mm:ss')) and never finished (the process ended in the middle, e.g. a crash or kill -9). To go back to the content from before it, run 'Get-IsulaKataChange -Root '$root' | Where-Object Id -eq $($change.Id) | Undo-IsulaKataChange'; to finish it, run Set-IsulaRuntime again."
        $change | Undo-IsulaKataChange -Confirm:$false | Out-Null
        Get-Sha256 "$root/etc/isulad/daemon.json" | Should -Be $original
        (Get-IsulaKataChange -Root $root | Where-Object Id -eq $change.Id).Outcome | Should -Be 'Undone'
    }
}

Describe 'Storage in the journal: New-IsulaThinPool''s pool, Reset-IsulaKataHost -IncludeStorage' -Skip:(-not $CanMakeDeviceNodes) {
    BeforeAll {
        function New-JournaledCreator {
            # The thin pool engine as New-IsulaThinPool builds it (this host, its journal), reading /dev and /sys from a fake tree.
            param([Parameter(Mandatory)] [string] $Live, [System.Collections.Generic.List[string]] $Warnings)
            $none = [Threading.CancellationToken]::None
            $log = [Action[string]] { param($m) }
            $warn = if ($null -ne $Warnings) { [Action[string]] { param($m) $Warnings.Add($m) }.GetNewClosure() } else { $log }
            $context = [IsulaKata.Core.HostContext]::Create('/', $log, $none, $null, 'New-IsulaThinPool', $warn)
            $system = [IsulaKata.Storage.LiveSystem]::new([IsulaKata.Core.HostFiles]::new($Live, $log, $none, $null))
            [IsulaKata.Storage.ThinPoolCreator]::new($context, $system)
        }
    }
    BeforeEach {
        $script:State = New-FakeHost
        # This host's journal for these tests: a fresh file each time.
        $env:ISULAKATA_JOURNAL = Join-Path $State 'journal.jsonl'
        $script:Live = New-LiveTree
        Add-FakeDisk -Live $Live -Name vdb -Minor 16
        $script:Profile = Join-Path $State 'etc/lvm/profile/isula-thinpool.profile'
        New-Item -ItemType Directory -Path (Split-Path $Profile) -Force | Out-Null
        # iSulad's running storage, as the fake isula reports it: overlay2 (the pool is not in use).
        $script:DaemonJson = Join-Path $State 'daemon.json'
    }
    AfterEach { Remove-FakeHost }

    It 'records the pool with its profile as a step; Reset without -IncludeStorage leaves both, with it removes them with the exact lvm commands' {
        $creator = New-JournaledCreator -Live $Live
        $null = $creator.Apply($creator.Plan((New-PoolRequest -Devices /dev/vdb)))
        $changes = @(Get-IsulaKataChange)
        Get-Line $changes | Should -Be @(
            "New-IsulaThinPool FileCreated $Profile"
            'New-IsulaThinPool ThinPoolCreated /dev/mapper/isula-thinpool')
        $changes[0].PartOf | Should -Be $changes[1].Id
        $changes[1].CanUndo | Should -BeFalse
        $changes[1].Reason | Should -BeLike 'The thin pool isula/thinpool holds iSulad''s images and containers*'

        Clear-FakeCommand
        @(Reset-IsulaKataHost -Confirm:$false).Count | Should -Be 0
        Get-FakeCommand | Should -BeNullOrEmpty
        Test-Path $Profile | Should -BeTrue

        $undone = @(Reset-IsulaKataHost -IncludeStorage -Confirm:$false -WarningAction SilentlyContinue)
        Get-Line $undone | Should -Be @(
            "Reset-IsulaKataHost FileDeleted $Profile"
            'Reset-IsulaKataHost ThinPoolRemoved /dev/mapper/isula-thinpool')
        Test-Path $Profile | Should -BeFalse
        @(Get-FakeCommand | Where-Object { $_ -notmatch '^(pvs|vgs|lvs|lvmconfig|isula) ' }) | Should -Be @(
            'lvremove -y isula/thinpool'
            'vgremove isula'
            'pvremove /dev/vdb')
        Get-Content (Join-Path $State 'lvm/pvs') | Should -BeNullOrEmpty
        Get-Content (Join-Path $State 'lvm/lvs') | Should -BeNullOrEmpty
    }

    It 'Reset -IncludeStorage -WhatIf shows each lvm command and changes nothing' {
        $creator = New-JournaledCreator -Live $Live
        $null = $creator.Apply($creator.Plan((New-PoolRequest -Devices /dev/vdb)))
        $lvs = Get-Content -Raw (Join-Path $State 'lvm/lvs')
        Clear-FakeCommand
        Get-WhatIfLine { Reset-IsulaKataHost -IncludeStorage -WhatIf -WarningAction SilentlyContinue } | Should -Be @(
            "What if: Performing the operation `"Remove (created by New-IsulaThinPool)`" on target `"$Profile`"."
            'What if: Performing the operation "Run" on target "lvremove -y isula/thinpool".'
            'What if: Performing the operation "Run" on target "vgremove isula".'
            'What if: Performing the operation "Run" on target "pvremove /dev/vdb".'
            "What if: Performing the operation `"Remove`" on target `"$Profile`".")
        @(Get-FakeCommand | Where-Object { $_ -notmatch '^(pvs|vgs|lvs|lvmconfig|isula) ' }) | Should -BeNullOrEmpty
        Get-Content -Raw (Join-Path $State 'lvm/lvs') | Should -Be $lvs
        Test-Path $Profile | Should -BeTrue
    }

    It 'a kill -9 between two steps leaves the pool Interrupted; the next run warns; Undo removes its file, Reset its volumes' {
        # The child is killed while lvcreate (the pool's last step) runs; lvcreate itself then completes, so lvm holds
        # the pool while the journal never heard that the step ended.
        Set-FakeState 'block-lvcreate'
        $module = (Get-Module IsulaKata).Path
        $script = @"
Import-Module '$module'
`$log = [Action[string]] { param(`$m) }
`$none = [Threading.CancellationToken]::None
`$context = [IsulaKata.Core.HostContext]::Create('/', `$log, `$none, `$null, 'New-IsulaThinPool', `$log)
`$system = [IsulaKata.Storage.LiveSystem]::new([IsulaKata.Core.HostFiles]::new('$Live', `$log, `$none, `$null))
`$creator = [IsulaKata.Storage.ThinPoolCreator]::new(`$context, `$system)
`$request = [IsulaKata.Storage.ThinPoolRequest]@{ Devices = [string[]]@('/dev/vdb') }
`$null = `$creator.Apply(`$creator.Plan(`$request))
"@
        $start = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        if ((Split-Path -Leaf ([Environment]::ProcessPath)) -eq 'dotnet') { $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))) { $start.ArgumentList.Add($a) }
        $start.UseShellExecute = $false
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $child = [Diagnostics.Process]::Start($start)
        $blocked = Join-Path $State 'blocked-lvcreate'
        $deadline = [datetime]::UtcNow.AddSeconds(90)
        while (-not (Test-Path $blocked) -and -not $child.HasExited -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Test-Path $blocked | Should -BeTrue -Because "the child should reach lvcreate: $(if ($child.HasExited) { $child.StandardError.ReadToEnd() })"
        kill -9 $child.Id
        $child.WaitForExit()
        $fake = [int](Get-Content $blocked)
        $fake | Should -BeGreaterThan 1
        Remove-Item (Join-Path $State 'block-lvcreate')
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        while ((Test-Path "/proc/$fake") -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        Get-Content (Join-Path $State 'lvm/lvs') | Should -Match '^isula thinpool twi'

        $changes = @(Get-IsulaKataChange)
        Get-Line $changes | Should -Be @(
            "New-IsulaThinPool FileCreated $Profile"
            'New-IsulaThinPool ThinPoolCreated /dev/mapper/isula-thinpool')
        $changes.Outcome | Should -Be @('Done', 'Interrupted')

        $warnings = [System.Collections.Generic.List[string]]::new()
        $null = (New-JournaledCreator -Live $Live -Warnings $warnings).Plan((New-PoolRequest -Devices /dev/vdb))
        $warnings | Should -HaveCount 1
        $warnings[0] | Should -BeLike "The journal shows an interrupted change to '/dev/mapper/isula-thinpool': New-IsulaThinPool (ThinPoolCreated) began at * and never finished*To remove what it built, run 'Reset-IsulaKataHost -IncludeStorage' (or Remove-IsulaThinPool isula thinpool); to finish it, run New-IsulaThinPool again."

        $changes[0] | Undo-IsulaKataChange -Confirm:$false | Out-Null
        Test-Path $Profile | Should -BeFalse
        Clear-FakeCommand
        $undone = @(Reset-IsulaKataHost -IncludeStorage -Confirm:$false -WarningAction SilentlyContinue)
        Get-Line $undone | Should -Be @('Reset-IsulaKataHost ThinPoolRemoved /dev/mapper/isula-thinpool')
        @(Get-FakeCommand | Where-Object { $_ -notmatch '^(pvs|vgs|lvs|lvmconfig|isula) ' }) | Should -Be @(
            'lvremove -y isula/thinpool'
            'vgremove isula'
            'pvremove /dev/vdb')
        Get-Content (Join-Path $State 'lvm/pvs') | Should -BeNullOrEmpty
        (Get-IsulaKataChange | Where-Object Action -eq 'ThinPoolCreated').Outcome | Should -Be 'Undone'
    }
}
