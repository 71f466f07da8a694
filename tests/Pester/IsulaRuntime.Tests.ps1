BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Daemon = '/etc/isulad/daemon.json'
    $script:Pool = '/dev/mapper/isula-thinpool'
}

Describe 'Set-IsulaRuntime edits daemon.json' {
    BeforeEach {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $file = Join-Path $root 'etc/isulad/daemon.json'
    }

    It 'turns the shipped file into kata + devicemapper, changing only the lines that must change' {
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningVariable warnings -WarningAction SilentlyContinue

        Get-Content -Raw $file | Should -BeExactly (Get-Content -Raw (Join-Path $Fixtures 'daemon.kata-devicemapper.json'))
        $result.Changed | Should -BeTrue
        $result.Runtime | Should -Be 'io.containerd.kata.v2'
        $result.StorageDriver | Should -Be 'devicemapper'
        $result.StorageOptions | Should -Be @("dm.thinpooldev=$Pool", 'dm.fs=ext4', 'dm.min_free_space=10%')
        $result.ThinPoolDevice | Should -Be $Pool
        $result.ConfigPath | Should -Be $Daemon
        $result.Root | Should -Be $root
        $result.Restarted | Should -BeFalse
        $result.BackupPath | Should -Match '^/etc/isulad/daemon\.json\.isulakata-\d{14}\.bak$'
        $warnings.Message | Should -Contain "Removed storage option 'overlay2.override_kernel_check=true': it belongs to another storage driver and devicemapper would refuse to start with it."
    }

    It 'keeps every line it does not own byte for byte' {
        $before = Get-Content $file
        Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue | Out-Null
        $after = Get-Content $file
        $changed = Compare-Object $before $after | Where-Object SideIndicator -EQ '=>' | ForEach-Object InputObject
        $changed | Should -Be @(
            '    "default-runtime": "io.containerd.kata.v2",'
            '    "storage-driver": "devicemapper",'
            "        `"dm.thinpooldev=$Pool`","
            '        "dm.fs=ext4",'
            '        "dm.min_free_space=10%"')
    }

    It 'keeps a backup holding the previous content, with its mode' {
        chmod 600 $file
        $original = Get-Sha256 $file
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $backup = Join-Path $root $result.BackupPath.TrimStart('/')
        Get-Sha256 $backup | Should -Be $original
        (Get-Item $file).UnixMode | Should -Be '-rw-------'
        (Get-Item $backup).UnixMode | Should -Be '-rw-------'
    }

    It 'keeps the owner of the file it replaces' -Skip:((id -u) -ne '0') {
        chown 65534:65534 $file
        Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue | Out-Null
        (stat -c '%u:%g' $file) | Should -Be '65534:65534'
    }

    It 'changes nothing, writes nothing and makes no backup on a second identical call' {
        Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue | Out-Null
        $hash = Get-Sha256 $file
        $stamp = (Get-Item $file).LastWriteTimeUtc
        $files = (Get-ChildItem (Split-Path $file)).Name

        $second = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool
        $second.Changed | Should -BeFalse
        $second.BackupPath | Should -BeNullOrEmpty
        Get-Sha256 $file | Should -Be $hash
        (Get-Item $file).LastWriteTimeUtc | Should -Be $stamp
        (Get-ChildItem (Split-Path $file)).Name | Should -Be $files
    }

    It 'sets only the runtime when no thin pool is given' {
        $result = Set-IsulaRuntime -Root $root -Runtime runc
        $result.Changed | Should -BeFalse
        $result = Set-IsulaRuntime -Root $root
        $result.Changed | Should -BeTrue
        $result.StorageDriver | Should -Be 'overlay2'
        $result.StorageOptions | Should -Be @('overlay2.override_kernel_check=true')
        (Get-Content $file)[2] | Should -Be '    "default-runtime": "io.containerd.kata.v2",'
    }

    It 'adds -BaseSize and -StorageOption, and keeps devicemapper options it does not set' {
        Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -BaseSize 20G -StorageOption 'dm.mkfsarg=-E lazy_itable_init=1' -WarningAction SilentlyContinue | Out-Null
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -MinFreeSpace 5%
        $result.StorageOptions | Should -Be @("dm.thinpooldev=$Pool", 'dm.fs=ext4', 'dm.min_free_space=5%', 'dm.basesize=20G', 'dm.mkfsarg=-E lazy_itable_init=1')
        (Get-Content -Raw $file | ConvertFrom-Json).'storage-opts' | Should -Be $result.StorageOptions
    }

    It 'writes dm.thinpooldev exactly as given' {
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice 'my--vg-thinpool' -WarningAction SilentlyContinue
        (Get-Content -Raw $file | ConvertFrom-Json).'storage-opts'[0] | Should -BeExactly 'dm.thinpooldev=my--vg-thinpool'
        $result.ThinPoolDevice | Should -BeExactly 'my--vg-thinpool'
    }

    It 'accepts a runtime declared under "runtimes" and lower-cases shim v2 names as iSulad does' {
        $json = Get-Content -Raw $file
        $declared = $json.Replace('"cri-runtimes"', "`"runtimes`": {`n        `"myrt`": {`"path`": `"/usr/bin/myrt`", `"runtime-args`": []}`n    },`n    `"cri-runtimes`"")
        [System.IO.File]::WriteAllText($file, $declared)
        (Set-IsulaRuntime -Root $root -Runtime myrt).Runtime | Should -Be 'myrt'
        $upper = Set-IsulaRuntime -Root $root -Runtime IO.Containerd.Kata.V2 -WarningVariable w -WarningAction SilentlyContinue
        $upper.Runtime | Should -BeExactly 'io.containerd.kata.v2'
        $w.Message | Should -Match 'lower-cases'
    }

    It 'creates a missing file with only the keys it sets' {
        $empty = New-TestRoot
        $result = Set-IsulaRuntime -Root $empty -ThinPoolDevice $Pool
        $result.Changed | Should -BeTrue
        $result.BackupPath | Should -BeNullOrEmpty
        Get-Content -Raw (Join-Path $empty 'etc/isulad/daemon.json') | Should -BeExactly (@(
            '{'
            '    "default-runtime": "io.containerd.kata.v2",'
            '    "storage-driver": "devicemapper",'
            '    "storage-opts": ['
            "        `"dm.thinpooldev=$Pool`","
            '        "dm.fs=ext4",'
            '        "dm.min_free_space=10%"'
            '    ]'
            '}'
            '') -join "`n")
        (Get-Item (Join-Path $empty 'etc/isulad/daemon.json')).UnixMode | Should -Be '-rw-r--r--'
    }

    It 'repairs the guide sample''s trailing comma and says so' {
        $guide = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.guide.json' }
        $path = Join-Path $guide 'etc/isulad/daemon.json'
        $result = Set-IsulaRuntime -Root $guide -ThinPoolDevice $Pool -WarningVariable w -WarningAction SilentlyContinue
        $result.Changed | Should -BeTrue
        $w.Message | Should -Contain "Repaired '/etc/isulad/daemon.json': removed a trailing comma at line 8, column 6 (iSulad rejects trailing commas)."
        { Get-Content -Raw $path | ConvertFrom-Json } | Should -Not -Throw
        (Get-Content $path)[7] | Should -BeExactly '    ]'
        (Set-IsulaRuntime -Root $guide -ThinPoolDevice $Pool).Changed | Should -BeFalse
    }

    It 'works on a mounted image through a symlink that stays inside the root' {
        $image = New-TestRoot @{ '/opt/isulad-conf/daemon.json' = 'daemon.shipped.json' }
        New-Item -ItemType Directory (Join-Path $image 'etc') | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $image 'etc/isulad') -Target '../opt/isulad-conf' | Out-Null
        $result = Set-IsulaRuntime -Root $image -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $result.BackupPath | Should -Match '^/opt/isulad-conf/daemon\.json\.isulakata-'
        (Get-Item (Join-Path $image 'etc/isulad')).LinkTarget | Should -Be '../opt/isulad-conf'
        Get-Content -Raw (Join-Path $image 'opt/isulad-conf/daemon.json') | Should -BeExactly (Get-Content -Raw (Join-Path $Fixtures 'daemon.kata-devicemapper.json'))
    }
}

Describe 'Set-IsulaRuntime refuses bad input before writing anything' {
    BeforeEach {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $file = Join-Path $root 'etc/isulad/daemon.json'
        $hash = Get-Sha256 $file
    }
    AfterEach {
        Get-Sha256 $file | Should -Be $hash
        @(Get-ChildItem (Split-Path $file) -Force).Count | Should -Be 1
    }

    It 'refuses <Runtime>' -TestCases @(
        @{ Runtime = 'io.containerd.kata' }
        @{ Runtime = 'io.containerd.kata.v2.extra' }
        @{ Runtime = 'org.containerd.kata.v2' }
        @{ Runtime = 'kata' }
    ) {
        $err = { Set-IsulaRuntime -Root $root -Runtime $Runtime -ThinPoolDevice $Pool } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidRuntimeName,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be $Runtime
        $err.ErrorDetails.RecommendedAction | Should -Match 'io.containerd.kata.v2'
    }

    It 'refuses the storage option <Option>' -TestCases @(
        @{ Option = 'dm.bogus=1' }
        @{ Option = 'dm.fs=xfs' }
        @{ Option = 'DM.fs=ext4' }
        @{ Option = 'overlay2.override_kernel_check=true' }
        @{ Option = 'dm.mountopt' }
    ) {
        $err = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -StorageOption $Option } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidStorageOption,*'
        $err.TargetObject | Should -Be $Option
    }

    It 'refuses -MinFreeSpace <Value> and -BaseSize <Size>' -TestCases @(
        @{ Value = '100%'; Size = '10G' }
        @{ Value = 'ten'; Size = '10G' }
        @{ Value = '10%'; Size = '0' }
        @{ Value = '10%'; Size = 'big' }
    ) {
        { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -MinFreeSpace $Value -BaseSize $Size } |
            Should -Throw -ErrorId 'InvalidStorageOption,IsulaKata.Commands.SetIsulaRuntimeCommand'
    }

    It 'refuses a -StorageOption that a parameter sets' {
        { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -StorageOption 'dm.min_free_space=5%' } |
            Should -Throw -ErrorId 'ConflictingStorageOption,IsulaKata.Commands.SetIsulaRuntimeCommand'
    }
}

Describe 'Set-IsulaRuntime on a file that is not a JSON object' {
    It 'leaves <Name> untouched and names the problem' -TestCases @(
        @{ Name = 'broken JSON'; Content = "{`n    `"default-runtime`": `"runc`"`n    `"storage-driver`": `"overlay2`"`n}`n"; Id = 'DaemonJsonInvalid'; Message = 'line 3, column 5' }
        @{ Name = 'an empty file'; Content = ''; Id = 'DaemonJsonEmpty'; Message = 'is empty' }
        @{ Name = 'a top-level array'; Content = "[`"runc`"]`n"; Id = 'DaemonJsonNotObject'; Message = 'startarray at the top level' }
        @{ Name = 'YAML'; Content = "default-runtime: runc`n"; Id = 'DaemonJsonInvalid'; Message = 'line 1, column 1' }
    ) {
        $root = New-TestRoot
        $file = Join-Path $root 'etc/isulad/daemon.json'
        New-Item -ItemType Directory (Split-Path $file) | Out-Null
        Set-Content -NoNewline -LiteralPath $file -Value $Content
        $err = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,IsulaKata.Commands.SetIsulaRuntimeCommand"
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match ([regex]::Escape($Message))
        $err.ErrorDetails.RecommendedAction | Should -Match 'not changed|backup|delete'
        Get-Content -Raw -LiteralPath $file | Should -BeExactly $(if ($Content) { $Content } else { $null })
        @(Get-ChildItem (Split-Path $file)).Count | Should -Be 1
    }
}

Describe 'Set-IsulaRuntime -WhatIf' {
    It 'writes nothing and runs nothing, even with -Restart' {
        $state = New-FakeHost
        try {
            $dir = Join-Path $TestDrive 'whatif'
            New-Item -ItemType Directory $dir -Force | Out-Null
            Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') "$dir/daemon.json"
            $hash = Get-Sha256 "$dir/daemon.json"
            # -WhatIf returns no object (the module's convention): it announces each change instead.
            $result = Set-IsulaRuntime -ConfigPath "$dir/daemon.json" -ThinPoolDevice $Pool -Restart -WhatIf -WarningAction SilentlyContinue -InformationVariable plan
            $result | Should -BeNullOrEmpty
            $plan.MessageData.Target | Should -Be @("$dir/daemon.json", 'isulad')
            $plan.MessageData[1].Action | Should -Be 'Restart the service (systemctl daemon-reload; systemctl restart isulad)'
            Get-Sha256 "$dir/daemon.json" | Should -Be $hash
            @(Get-ChildItem $dir).Name | Should -Be @('daemon.json')
            Get-FakeCommand | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }

    It 'describes the change it would make' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $out = & (Get-Process -Id $PID).Path (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; Set-IsulaRuntime -Root '$root' -ThinPoolDevice $Pool -WhatIf -WarningAction SilentlyContinue | Out-Null" 2>&1
        ($out -join "`n") | Should -Match ([regex]::Escape('What if: Performing the operation "Update: default-runtime: "runc" -> "io.containerd.kata.v2"; storage-driver: "overlay2" -> "devicemapper"; storage-opts: ["overlay2.override_kernel_check=true"] -> ["dm.thinpooldev=/dev/mapper/isula-thinpool", "dm.fs=ext4", "dm.min_free_space=10%"]" on target "/etc/isulad/daemon.json".'))
    }
}

Describe 'Set-IsulaRuntime -Restart on a live host (fake systemctl and isula)' {
    BeforeEach {
        $state = New-FakeHost
        $dir = Join-Path $TestDrive ('live-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory $dir | Out-Null
        $config = Join-Path $dir 'daemon.json'
        Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') $config
        Set-FakeState config-path $config
    }
    AfterEach { Remove-FakeHost }

    It 'restarts isulad, waits for it and verifies the storage driver and pool' {
        $result = Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart -WarningAction SilentlyContinue
        Get-FakeCommand | Should -Be @('systemctl daemon-reload', 'systemctl restart isulad', 'isula info')
        $result.Restarted | Should -BeTrue
        $result.Verified | Should -BeTrue
        $result.DaemonRunning | Should -BeTrue
        $result.ActiveStorageDriver | Should -Be 'devicemapper'
        $result.ActivePoolName | Should -Be 'isula-thinpool'
        $result.DataSpaceTotalBytes | Should -Be 30600000000
    }

    It 'does not restart again when isulad already runs with the configuration' {
        Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart -WarningAction SilentlyContinue | Out-Null
        Clear-Content (Join-Path $state 'commands.log')
        $again = Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart
        $again.Changed | Should -BeFalse
        $again.Restarted | Should -BeFalse
        $again.Verified | Should -BeTrue
        Get-FakeCommand | Should -Be @('isula info')
    }

    It 'rolls back the file and restarts isulad again when isulad does not come back' {
        $original = Get-Sha256 $config
        Set-FakeState fail-if-config-contains devicemapper
        $err = { Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart -WarningAction SilentlyContinue } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'IsuladRestartFailed,IsulaKata.Commands.SetIsulaRuntimeCommand'
        $err.Exception.Message | Should -Match 'systemctl restart isulad'' failed with exit code 1'
        $err.Exception.Message | Should -Match 'was restored from'
        $err.Exception.Message | Should -Match 'Failed to init storage driver'
        $err.Exception.Message | Should -Match 'Active: active \(running\)'
        Get-Sha256 $config | Should -Be $original
        @(Get-ChildItem $dir).Name | Should -Be @('daemon.json')
        Get-FakeCommand | Should -Be @(
            'systemctl daemon-reload', 'systemctl restart isulad',
            'systemctl daemon-reload', 'systemctl restart isulad',
            'systemctl status isulad --no-pager --full --lines=20', 'journalctl --unit=isulad --lines=20 --no-pager')
    }

    It 'rolls back when isulad never answers within -TimeoutSeconds' {
        Set-FakeState never-answers
        $original = Get-Sha256 $config
        { Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart -TimeoutSeconds 2 -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'IsuladRestartFailed,IsulaKata.Commands.SetIsulaRuntimeCommand'
        Get-Sha256 $config | Should -Be $original
        (Get-FakeCommand | Where-Object { $_ -eq 'isula info' }).Count | Should -BeGreaterThan 1
    }
}

Describe 'The file writer' {
    It 'refuses a symlink that leads outside the root and touches nothing there' {
        $outside = Join-Path $TestDrive 'outside'
        New-Item -ItemType Directory $outside -Force | Out-Null
        Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') "$outside/daemon.json"
        $hash = Get-Sha256 "$outside/daemon.json"
        foreach ($target in @($outside, '../../outside')) {
            $root = New-TestRoot
            New-Item -ItemType Directory (Join-Path $root 'etc') | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $root 'etc/isulad') -Target $target | Out-Null
            $err = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be 'PathEscapesRoot,IsulaKata.Commands.SetIsulaRuntimeCommand'
            $err.TargetObject | Should -Be '/etc/isulad/daemon.json'
        }
        Get-Sha256 "$outside/daemon.json" | Should -Be $hash
        @(Get-ChildItem $outside).Name | Should -Be @('daemon.json')
    }

    It 'runs no host command under -Root, even with -Restart' {
        $state = New-FakeHost
        try {
            $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
            $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -Restart -WarningVariable w -WarningAction SilentlyContinue
            $result.Changed | Should -BeTrue
            $result.Restarted | Should -BeFalse
            $w.Message | Should -Contain "-Restart is ignored under -Root '$root': isulad runs on this host, not in the root."
            Get-FakeCommand | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }

    It 'waits for another writer holding the folder lock, then writes' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $folder = Join-Path $root 'etc/isulad'
        $holder = Start-Process -PassThru -FilePath flock -ArgumentList $folder, 'sleep', '2'
        try {
            Start-Sleep -Milliseconds 300
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -Verbose -WarningAction SilentlyContinue 4>&1 |
                Tee-Object -Variable all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
            $watch.Elapsed.TotalSeconds | Should -BeGreaterThan 1
            ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message |
                Should -Contain "Waiting for another writer to release '/etc/isulad'."
            $result.Changed | Should -BeTrue
        }
        finally { $holder | Wait-Process }
    }

    It 'keeps two concurrent runs from losing each other''s change' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $jobs = @(
            Start-ThreadJob { Import-Module $using:ModulePath; Set-IsulaRuntime -Root $using:root -Runtime runc -ThinPoolDevice $using:Pool -WarningAction SilentlyContinue }
            Start-ThreadJob { Import-Module $using:ModulePath; Set-IsulaRuntime -Root $using:root -Runtime runc -ThinPoolDevice $using:Pool -WarningAction SilentlyContinue }
        )
        $results = $jobs | Receive-Job -Wait -AutoRemoveJob
        @($results | Where-Object Changed).Count | Should -Be 1
        @(Get-ChildItem (Join-Path $root 'etc/isulad') -Filter '*.bak').Count | Should -Be 1
        (Get-Content -Raw (Join-Path $root 'etc/isulad/daemon.json') | ConvertFrom-Json).'storage-driver' | Should -Be 'devicemapper'
    }
}

Describe 'Set-IsulaRuntime warnings about the service''s flags' {
    BeforeEach {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        New-Item -ItemType Directory (Join-Path $root 'etc/sysconfig') | Out-Null
        $sysconfig = Join-Path $root 'etc/sysconfig/iSulad'
    }

    It 'warns, before writing, that --storage-driver in /etc/sysconfig/iSulad overrides daemon.json' {
        Set-Content $sysconfig "# options for isulad`nOPTIONS='--storage-driver=overlay2 --storage-opt overlay2.override_kernel_check=true'"
        $null = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WhatIf -WarningVariable planned -WarningAction SilentlyContinue
        $expected = "isulad's command line (OPTIONS in /etc/sysconfig/iSulad) passes --storage-driver overlay2, which overrides storage-driver `"devicemapper`" in daemon.json: isulad runs with overlay2. Remove the flag there."
        $planned.Message | Should -Contain $expected
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $result.Warnings | Should -Contain $expected
    }

    It 'reads -s <Form> as --storage-opt and warns that isulad refuses the value' -TestCases @(
        @{ Form = 'separate'; Options = '-s dm.fs=xfs' }
        @{ Form = 'joined'; Options = '-sdm.fs=xfs' }
        @{ Form = 'long'; Options = '--storage-opt dm.fs=xfs' }
        @{ Form = 'long with ='; Options = '--storage-opt=dm.fs=xfs' }
    ) {
        Set-Content $sysconfig "OPTIONS='$Options'"
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $result.Warnings | Should -Contain ("isulad's command line (OPTIONS in /etc/sysconfig/iSulad) passes --storage-opt dm.fs=xfs, which iSulad adds after storage-opts of daemon.json " +
            "and refuses: isulad says `"Invalid filesystem: 'xfs': not supported`": only dm.fs=ext4; isulad does not start. Remove the flag there.")
    }

    It 'warns that a dm.thinpooldev flag replaces the file''s pool' {
        Set-Content $sysconfig "OPTIONS=`"-s dm.thinpooldev=/dev/mapper/other`""
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $result.Warnings | Where-Object { $_ -like '*passes --storage-opt dm.thinpooldev=/dev/mapper/other*replaces the file''s dm.thinpooldev*' } | Should -HaveCount 1
    }

    It 'warns that --default-runtime overrides the runtime it writes' {
        Set-Content $sysconfig "OPTIONS='--default-runtime runc'"
        $result = Set-IsulaRuntime -Root $root -WarningAction SilentlyContinue
        $result.Warnings | Should -Contain "isulad's command line (OPTIONS in /etc/sysconfig/iSulad) passes --default-runtime runc, which overrides default-runtime `"io.containerd.kata.v2`" in daemon.json: containers start with runc. Remove the flag there."
    }

    It 'reads the unit''s ExecStart, its EnvironmentFile and drop-ins (the last ExecStart wins)' {
        $unit = Join-Path $root 'usr/lib/systemd/system/isulad.service'
        New-Item -ItemType Directory (Split-Path $unit) -Force | Out-Null
        Set-Content $unit "[Service]`nEnvironmentFile=-/etc/sysconfig/iSulad`nExecStart=/usr/bin/isulad `$OPTIONS"
        Set-Content $sysconfig "OPTIONS='--storage-driver overlay2'`nOTHER='--default-runtime runc'"
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $result.Warnings -like "isulad's command line (OPTIONS in /etc/sysconfig/iSulad) passes --storage-driver overlay2, *" | Should -HaveCount 1
        $result.Warnings -like '*--default-runtime*' | Should -BeNullOrEmpty

        $dropIn = Join-Path $root 'etc/systemd/system/isulad.service.d/override.conf'
        New-Item -ItemType Directory (Split-Path $dropIn) -Force | Out-Null
        Set-Content $dropIn "[Service]`nExecStart=`nExecStart=/usr/bin/isulad \`n    --default-runtime lcr"
        $again = Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue
        $again.ServiceFlags.Flag | Should -Be @('--default-runtime')
        $again.ServiceFlags.Source | Should -Be @('ExecStart in /etc/systemd/system/isulad.service.d/override.conf')
        $again.Warnings | Should -Contain "isulad's command line (ExecStart in /etc/systemd/system/isulad.service.d/override.conf) passes --default-runtime lcr, which overrides default-runtime `"io.containerd.kata.v2`" in daemon.json: containers start with lcr. Remove the flag there."
    }

    It 'reads only the unit systemd uses: /etc/systemd/system over the package''s' {
        $packaged = Join-Path $root 'usr/lib/systemd/system/isulad.service'
        $local = Join-Path $root 'etc/systemd/system/isulad.service'
        New-Item -ItemType Directory (Split-Path $packaged), (Split-Path $local) -Force | Out-Null
        Set-Content $packaged "[Service]`nEnvironmentFile=-/etc/sysconfig/iSulad`nExecStart=/usr/bin/isulad `$OPTIONS"
        Set-Content $local "[Service]`nExecStart=/usr/bin/isulad --storage-driver=devicemapper"
        Set-Content $sysconfig "OPTIONS='--default-runtime runc'"
        $result = Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue
        $result.ServiceFlags.Flag | Should -Be @('--storage-driver')
        $result.ServiceFlags.Value | Should -Be @('devicemapper')
        $result.ServiceFlags.Source | Should -Be @('ExecStart in /etc/systemd/system/isulad.service')
    }

    It 'says nothing when the flags agree with daemon.json' {
        Set-Content $sysconfig "OPTIONS='--storage-driver devicemapper -s dm.mountopt=nodiscard'"
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $result.Warnings -like '*command line*' | Should -BeNullOrEmpty
    }
}

Describe 'Pipeline binding' {
    It 'takes Runtime and DevicePath by property name' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $result = [pscustomobject]@{ Runtime = 'runc'; DevicePath = '/dev/mapper/vg-pool' } | Set-IsulaRuntime -Root $root -WarningAction SilentlyContinue
        $result.Runtime | Should -Be 'runc'
        $result.ThinPoolDevice | Should -Be '/dev/mapper/vg-pool'
        $result.PSObject.TypeNames[0] | Should -Be 'IsulaKata.Isulad.IsulaRuntimeConfig'
    }

    It 'does not read kata''s configuration.toml as daemon.json (Get-KataHypervisor | Get-IsulaRuntime)' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.kata-devicemapper.json'; '/usr/share/defaults/kata-containers/configuration.toml' = 'Kata/kata1-qemu.toml' }
        $kata = Get-KataHypervisor -Root $root -WarningAction SilentlyContinue
        $kata.ConfigPath | Should -BeLike '*.toml'
        $result = $kata | Get-IsulaRuntime -WarningAction SilentlyContinue
        $result.ConfigPath | Should -Be '/etc/isulad/daemon.json'
        $result.Root | Should -Be $root
        $result.Runtime | Should -Be 'io.containerd.kata.v2'
    }

    It 'reads a Get-IsulaRuntime result again from the pipeline' {
        $root = New-TestRoot @{ '/opt/d.json' = 'daemon.kata-devicemapper.json' }
        $again = Get-IsulaRuntime -Root $root -ConfigPath /opt/d.json | Get-IsulaRuntime
        $again.ConfigPath | Should -Be '/opt/d.json'
        $again.StorageDriver | Should -Be 'devicemapper'
    }
}

Describe 'Get-IsulaRuntime' {
    It 'reads the file under a root without asking isulad' {
        $state = New-FakeHost
        try {
            $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.kata-devicemapper.json' }
            $result = Get-IsulaRuntime -Root $root
            $result.Runtime | Should -Be 'io.containerd.kata.v2'
            $result.StorageDriver | Should -Be 'devicemapper'
            $result.ThinPoolDevice | Should -Be $Pool
            $result.DaemonRunning | Should -BeNullOrEmpty
            $result.Changed | Should -BeFalse
            Get-FakeCommand | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }

    It 'reports the running storage driver and pool usage on a live host' {
        $state = New-FakeHost
        try {
            $config = Join-Path $TestDrive 'get-live.json'
            Copy-Item (Join-Path $Fixtures 'daemon.kata-devicemapper.json') $config
            Set-FakeState config-path $config
            Invoke-Fake systemctl restart isulad
            Clear-Content (Join-Path $state 'commands.log')

            $result = Get-IsulaRuntime -ConfigPath $config
            Get-FakeCommand | Should -Be @('isula info')
            $result.DaemonRunning | Should -BeTrue
            $result.ActiveStorageDriver | Should -Be 'devicemapper'
            $result.ActivePoolName | Should -Be 'isula-thinpool'
            $result.DataSpaceUsedBytes | Should -Be 536300000
            $result.DataSpaceTotalBytes | Should -Be 30600000000
            $result.MetadataSpaceUsedBytes | Should -Be 1580000
            $result.MetadataSpaceTotalBytes | Should -Be 322100000
        }
        finally { Remove-FakeHost }
    }

    It 'says when isulad runs with another driver than the file names' {
        $state = New-FakeHost
        try {
            $config = Join-Path $TestDrive 'get-stale.json'
            Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') $config
            Set-FakeState config-path $config
            Invoke-Fake systemctl restart isulad
            Copy-Item -Force (Join-Path $Fixtures 'daemon.kata-devicemapper.json') $config
            $result = Get-IsulaRuntime -ConfigPath $config -WarningAction SilentlyContinue
            $result.Warnings | Should -Contain "isulad runs with storage driver 'overlay2' but '$config' says 'devicemapper': restart isulad (Set-IsulaRuntime -Restart)."
        }
        finally { Remove-FakeHost }
    }
}

Describe 'Tab completion of -Runtime' {
    It 'offers the shim v2 name, the built-ins and the runtimes declared in daemon.json' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $file = Join-Path $root 'etc/isulad/daemon.json'
        [System.IO.File]::WriteAllText($file, (Get-Content -Raw $file).Replace('"cri-runtimes"', "`"runtimes`": { `"rund`": { `"path`": `"/usr/bin/rund`" } },`n    `"cri-runtimes`""))
        $line = "Set-IsulaRuntime -Root '$root' -Runtime "
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Be @('io.containerd.kata.v2', 'lcr', 'runc', 'kata-runtime', 'rund')
        $line = "Set-IsulaRuntime -Runtime ru"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('runc')
    }
}
