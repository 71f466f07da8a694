BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'Storage.Helpers.ps1')
    $script:RpmQuery = 'rpm -q --queryformat %{NAME} %{VERSION}-%{RELEASE}\n -- iSulad kata-containers lib-shim-v2'
    $script:AllInstalled = "iSulad 2.1.5-8.oe2203sp3`nkata-containers 2.1.0-25.oe2203sp3`nlib-shim-v2 0.0.1-15.oe2203sp3`n"

    function Get-Row {
        param([object[]] $Checks, [string] $Name)
        $Checks | Where-Object Name -EQ $Name
    }

    function Add-ShimToPath {
        # An executable containerd-shim-kata-v2 first on PATH; returns its path.
        $bin = Join-Path $TestDrive 'shim-bin'
        New-Item -ItemType Directory -Path $bin -Force | Out-Null
        $shim = Join-Path $bin 'containerd-shim-kata-v2'
        Set-Content -LiteralPath $shim -Value "#!/bin/sh`nexit 0`n" -NoNewline
        chmod 755 $shim
        $env:PATH = "${bin}:$env:PATH"
        $shim
    }

    function New-RootFile {
        param([string] $Root, [string] $Path, [string] $Content, [string] $Mode = '644')
        $file = Join-Path $Root $Path.TrimStart('/')
        New-Item -ItemType Directory -Path (Split-Path $file) -Force | Out-Null
        Set-Content -LiteralPath $file -Value $Content -NoNewline
        chmod $Mode $file
    }

    function Get-TreeHash {
        param([string] $Root)
        Get-ChildItem -LiteralPath $Root -Recurse -File | Sort-Object FullName | ForEach-Object { "$($_.FullName) $(Get-Sha256 $_.FullName)" }
    }
}

Describe 'Test-IsulaKataHost on this machine, with no fake program on PATH' {
    It 'reports every area with no error, and the rows for what this host lacks' {
        Remove-FakeHost
        $checks = @(Test-IsulaKataHost -ErrorVariable problems)
        $problems | Should -BeNullOrEmpty

        $checks | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'IsulaKata.Doctor.IsulaKataCheck' }
        @($checks.Area | Select-Object -Unique) | Should -Be @('Packages', 'Virtualization', 'Modules', 'Storage', 'Isulad', 'Kata')
        ($checks | Where-Object Area -EQ Packages).Name | Should -Be @('iSulad', 'kata-containers', 'lib-shim-v2', 'containerd-shim-kata-v2 on PATH')
        ($checks | Where-Object Area -EQ Virtualization).Name | Should -Be @('CPU virtualisation', '/dev/kvm')
        ($checks | Where-Object Area -EQ Modules).Name | Should -Be @('vhost', 'vhost_net', 'vhost_vsock', '/dev/vhost-vsock', 'vhost_vsock at boot')
        $isulad = @(($checks | Where-Object Area -EQ Isulad).Name)
        $isulad[0] | Should -Be 'daemon.json'
        $isulad[-3..-1] | Should -Be @('Service flags', 'isulad running', 'isula info agrees')
        foreach ($check in $checks) {
            $check.Detail | Should -Not -BeNullOrEmpty
            $check.Root | Should -Be '/'
            if ($check.Status -in 'Warn', 'Fail') { $check.Remedy | Should -Not -BeNullOrEmpty -Because "$($check.Name) is $($check.Status)" }
        }

        if (-not (Get-Command rpm -CommandType Application -ErrorAction Ignore)) {
            foreach ($package in 'iSulad', 'kata-containers', 'lib-shim-v2') {
                $row = Get-Row $checks $package
                $row.Status | Should -Be 'Skip'
                $row.Detail | Should -Be 'rpm was not found: this is not an rpm-based host, so the package cannot be checked.'
            }
        }
        if (-not (Get-Command isula -CommandType Application -ErrorAction Ignore)) {
            (Get-Row $checks 'isulad running').Status | Should -Be 'Fail'
            (Get-Row $checks 'isulad running').Detail | Should -Be "'isula' is not on PATH: iSulad is not installed."
            (Get-Row $checks 'isula info agrees').Status | Should -Be 'Skip'
        }
        if (-not (Get-Command containerd-shim-kata-v2 -CommandType Application -ErrorAction Ignore)) {
            (Get-Row $checks 'containerd-shim-kata-v2 on PATH').Status | Should -Be 'Fail'
        }
        if (-not (Test-Path /etc/isulad/daemon.json)) {
            (Get-Row $checks 'daemon.json').Status | Should -Be 'Warn'
            $storage = @($checks | Where-Object Area -EQ Storage)
            $storage.Name | Should -Be @('Thin pool')
            $storage.Status | Should -Be @('Skip')
            $storage.Detail | Should -Be "'/etc/isulad/daemon.json' does not put iSulad on a thin pool (devicemapper with dm.thinpooldev), so there is no pool to check."
        }
        if (-not (Test-Path /etc/kata-containers/configuration.toml) -and -not (Test-Path /usr/share/defaults/kata-containers/configuration.toml)) {
            $kata = @($checks | Where-Object Area -EQ Kata)
            $kata.Name | Should -Be @('Configuration')
            $kata.Status | Should -Be @('Fail')
            $kata.Detail | Should -Be 'No kata configuration was found: neither /etc/kata-containers/configuration.toml nor /usr/share/defaults/kata-containers/configuration.toml exists.'
            $kata.Remedy | Should -Be 'Install kata-containers (Install-IsulaKataPackage -Name kata-containers), which ships the configuration, or name the file with -KataConfigPath.'
        }
        Test-IsulaKataHost -Quiet | Should -Be (-not ($checks.Status -contains 'Fail'))
    }

    It 'shows the checks grouped by area in a table that fits 120 columns' {
        $text = Test-IsulaKataHost -Area Packages, Isulad | Out-String -Width 120
        $text | Should -Match 'Area: Packages'
        $text | Should -Match 'Area: Isulad'
        $text | Should -Match 'Status Name +Detail \(and remedy\)'
        ($text -split "`n" | ForEach-Object { ($_ -replace '\e\[[0-9;]*m').TrimEnd().Length } | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 120
    }
}

Describe 'Test-IsulaKataHost on a fake openEuler host' {
    BeforeEach {
        $state = New-FakeHost
        $config = Join-Path $TestDrive "daemon-$([guid]::NewGuid().ToString('N').Substring(0, 6)).json"
        Copy-Item -LiteralPath (Join-Path $Fixtures 'daemon.kata-devicemapper.json') -Destination $config
        Set-FakeState config-path $config
    }
    AfterEach { Remove-FakeHost }

    It 'passes the packages rpm knows (one rpm call) and the shim on PATH' {
        Set-FakeState rpm-installed $AllInstalled
        $shim = Add-ShimToPath
        $checks = Test-IsulaKataHost -Area Packages
        $checks.Name | Should -Be @('iSulad', 'kata-containers', 'lib-shim-v2', 'containerd-shim-kata-v2 on PATH')
        $checks.Status | Should -Be @('Pass', 'Pass', 'Pass', 'Pass')
        $checks[0].Detail | Should -Be 'iSulad 2.1.5-8.oe2203sp3 is installed.'
        $checks[2].Detail | Should -Be 'lib-shim-v2 0.0.1-15.oe2203sp3 is installed.'
        $checks[3].Detail | Should -Be "containerd-shim-kata-v2 is '$shim'."
        Get-FakeCommand | Should -Be @($RpmQuery)
    }

    It 'fails every missing package (not just the first) with the command that installs it' {
        Set-FakeState rpm-installed "iSulad 2.1.5-8.oe2203sp3`n"
        $checks = Test-IsulaKataHost -Area Packages
        $checks.Status | Should -Be @('Pass', 'Fail', 'Fail', 'Fail')
        (Get-Row $checks 'kata-containers').Detail | Should -Be 'kata-containers is not installed.'
        (Get-Row $checks 'lib-shim-v2').Remedy | Should -Be 'Install-IsulaKataPackage -Name lib-shim-v2   (runs: dnf install -y lib-shim-v2)'
        (Get-Row $checks 'containerd-shim-kata-v2 on PATH').Detail | Should -Be 'containerd-shim-kata-v2 is not on PATH, so iSulad cannot start containers with io.containerd.kata.v2.'
        Test-IsulaKataHost -Area Packages -Quiet | Should -BeFalse
    }

    It 'finds nothing wrong with a kata + devicemapper isulad that runs as configured, asking isulad once' {
        Invoke-Fake systemctl restart isulad
        Clear-Content -LiteralPath (Join-Path $state 'commands.log')
        $all = Test-IsulaKataHost -Area Isulad -IsuladConfigPath $config
        $all.Name | Should -Be @('daemon.json', 'Default runtime', 'Storage driver', 'Storage options', 'Shim v2 support', 'Service flags', 'isulad running', 'isula info agrees')
        # Shim v2 support reads this machine's /usr/bin/isulad (absent, or a real one): not part of the fake host.
        $checks = $all | Where-Object Name -NE 'Shim v2 support'
        $checks.Status | Should -Be @('Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass')
        (Get-Row $checks 'daemon.json').Detail | Should -Be "'$config' is valid JSON."
        (Get-Row $checks 'Storage options').Detail | Should -Be "dm.thinpooldev=/dev/mapper/isula-thinpool, dm.fs=ext4, dm.min_free_space=10% (checked with iSulad's rules; option names spelt exactly as iSulad's table spells them, valid for every iSulad version)."
        (Get-Row $checks 'Service flags').Detail | Should -Be 'isulad gets no storage or runtime flag on its command line; nothing there overrides daemon.json.'
        (Get-Row $checks 'isula info agrees').Detail | Should -Be "isulad runs with devicemapper on 'isula-thinpool', as configured."
        Get-FakeCommand | Should -Be @('isula info')
        Test-IsulaKataHost -Area Isulad -IsuladConfigPath $config -Quiet | Should -Be ((Get-Row $all 'Shim v2 support').Status -ne 'Fail')
    }

    It 'fails when isulad was not restarted after daemon.json changed' {
        Copy-Item -LiteralPath (Join-Path $Fixtures 'daemon.shipped.json') -Destination $config -Force
        Invoke-Fake systemctl restart isulad
        Copy-Item -LiteralPath (Join-Path $Fixtures 'daemon.kata-devicemapper.json') -Destination $config -Force
        $row = Get-Row (Test-IsulaKataHost -Area Isulad -IsuladConfigPath $config -WarningAction SilentlyContinue) 'isula info agrees'
        $row.Status | Should -Be 'Fail'
        $row.Detail | Should -Be "isulad runs with storage driver 'overlay2' but '$config' says 'devicemapper': it was not restarted after the change."
        $row.Remedy | Should -Be 'Restart isulad: Set-IsulaRuntime -Restart (or systemctl restart isulad).'
    }

    It 'fails when isulad does not answer, and has nothing to compare' {
        $checks = Test-IsulaKataHost -Area Isulad -IsuladConfigPath $config
        (Get-Row $checks 'isulad running').Status | Should -Be 'Fail'
        (Get-Row $checks 'isulad running').Detail | Should -Be "isulad does not answer 'isula info'."
        (Get-Row $checks 'isula info agrees').Status | Should -Be 'Skip'
        Get-FakeCommand | Should -Be @('isula info')
    }

    It 'judges default-runtime kata-runtime by the kata the installed package is (<Version>), asking rpm once' -TestCases @(
        @{ Version = '2.1.0'; Status = 'Fail' }, @{ Version = '1.11.1'; Status = 'Warn' }
    ) {
        Set-FakeState rpm-installed "kata-containers $Version-25.oe2203sp3`n"
        [IO.File]::WriteAllText($config, (Get-Content -Raw (Join-Path $Fixtures 'daemon.kata-devicemapper.json')).Replace('"io.containerd.kata.v2"', '"kata-runtime"'))
        $row = Get-Row (Test-IsulaKataHost -Area Isulad -IsuladConfigPath $config -WarningAction SilentlyContinue) 'Default runtime'
        $row.Status | Should -Be $Status
        @(Get-FakeCommand | Where-Object { $_ -like 'rpm *' }) | Should -Be @('rpm -q --qf %{VERSION}\n kata-containers')
    }

    It 'makes no change to the host: only read-only commands run' {
        Set-FakeState rpm-installed $AllInstalled
        Invoke-Fake systemctl restart isulad
        Clear-Content -LiteralPath (Join-Path $state 'commands.log')
        $before = Get-Sha256 $config
        Test-IsulaKataHost -IsuladConfigPath $config | Out-Null
        Get-FakeCommand | Should -Be @($RpmQuery, 'isula info', $LvsWithGroup)
        Get-Sha256 $config | Should -Be $before
        @(Get-ChildItem (Split-Path $config) -Filter '*.bak').Count | Should -Be 0
    }
}

Describe 'Test-IsulaKataHost -Root (a mounted system: files only)' {
    BeforeEach {
        $state = New-FakeHost
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.guide.json' }
    }
    AfterEach { Remove-FakeHost }

    It 'checks the files, skips what needs the running host, and runs no command' {
        New-RootFile $root '/etc/sysconfig/iSulad' "# options for isulad`nOPTIONS='--storage-driver=overlay2 --storage-opt overlay2.override_kernel_check=true'`n"
        New-RootFile $root '/etc/modules-load.d/isulakata.conf' "# vsock for kata`nvhost_vsock`n"
        New-RootFile $root '/usr/bin/containerd-shim-kata-v2' "#!/bin/sh`n" -Mode 755
        $tree = Get-TreeHash $root

        $checks = Test-IsulaKataHost -Root $root
        Get-FakeCommand | Should -BeNullOrEmpty
        Get-TreeHash $root | Should -Be $tree
        $checks.Root | Select-Object -Unique | Should -Be $root

        foreach ($package in 'iSulad', 'kata-containers', 'lib-shim-v2') {
            (Get-Row $checks $package).Status | Should -Be 'Skip'
            (Get-Row $checks $package).Detail | Should -Be "rpm is not run under -Root '$root': it would report this host's packages, not the root's."
        }
        (Get-Row $checks 'containerd-shim-kata-v2 on PATH').Detail | Should -Be "containerd-shim-kata-v2 is '/usr/bin/containerd-shim-kata-v2'."
        foreach ($name in 'CPU virtualisation', '/dev/kvm', 'vhost', 'vhost_net', 'vhost_vsock', '/dev/vhost-vsock', 'isulad running', 'isula info agrees',
            'Thin pool', 'Active', 'Health', 'Monitored', 'Data space', 'Metadata space', 'Autoextend profile') {
            (Get-Row $checks $name).Status | Should -Be 'Skip'
            (Get-Row $checks $name).Detail | Should -Be "Needs the running host; under -Root '$root' only files are checked."
        }
        (Get-Row $checks 'vhost_vsock at boot').Status | Should -Be 'Pass'
        (Get-Row $checks 'vhost_vsock at boot').Detail | Should -Be "vhost_vsock is loaded at boot (listed in '/etc/modules-load.d/isulakata.conf')."

        $file = Get-Row $checks 'daemon.json'
        $file.Status | Should -Be 'Fail'
        $file.Detail | Should -Match "^'/etc/isulad/daemon.json' is not strict JSON: removed a trailing comma at line 8, column 6 would be needed\. iSulad refuses to start with it\.$"
        (Get-Row $checks 'Default runtime').Status | Should -Be 'Pass'
        (Get-Row $checks 'Storage driver').Status | Should -Be 'Pass'
        (Get-Row $checks 'Storage options').Status | Should -Be 'Pass'
        $flags = @(Get-Row $checks 'Service flags')
        # --storage-driver overrides daemon.json; the overlay2 option then suits the driver isulad really runs.
        $flags.Status | Should -Be @('Fail')
        $flags[0].Detail | Should -Be "isulad's command line (OPTIONS in /etc/sysconfig/iSulad) passes --storage-driver overlay2, which overrides storage-driver `"devicemapper`" in daemon.json: isulad runs with overlay2. Remove the flag there."
    }

    It 'reports every invalid storage option, each with its reason' {
        New-RootFile $root '/etc/isulad/daemon.json' (@'
{
    "default-runtime": "runc",
    "storage-driver": "devicemapper",
    "storage-opts": [
        "overlay2.override_kernel_check=true",
        "dm.fs=xfs",
        "dm.min_free_space=150%",
        "dm.fs=ext4"
    ]
}
'@)
        $checks = Test-IsulaKataHost -Root $root -Area Isulad
        $checks.Name | Should -Be @('daemon.json', 'Default runtime', 'Storage driver',
            "Storage option 'overlay2.override_kernel_check=true'", "Storage option 'dm.fs=xfs'", "Storage option 'dm.min_free_space=150%'",
            'Storage options', 'Shim v2 support', 'Service flags', 'isulad running', 'isula info agrees')
        $checks.Status | Should -Be @('Pass', 'Warn', 'Pass', 'Fail', 'Fail', 'Fail', 'Fail', 'Skip', 'Pass', 'Skip', 'Skip')
        (Get-Row $checks 'Default runtime').Detail | Should -Be 'default-runtime is runc: containers run without a VM unless started with --runtime io.containerd.kata.v2.'
        (Get-Row $checks "Storage option 'dm.fs=xfs'").Detail | Should -Be "'dm.fs=xfs' is not valid: isulad says `"Invalid filesystem: 'xfs': not supported`": only dm.fs=ext4; isulad does not start with it (checked with iSulad's rules; option names spelt exactly as iSulad's table spells them, valid for every iSulad version)."
        (Get-Row $checks 'Storage options').Detail | Should -Be 'devicemapper needs dm.thinpooldev (the thin pool), and storage-opts has none.'
    }

    It 'reports a daemon.json that is not JSON, and still checks the rest' {
        New-RootFile $root '/etc/isulad/daemon.json' "default-runtime: runc`n"
        $checks = Test-IsulaKataHost -Root $root -Area Isulad, Modules
        $file = Get-Row $checks 'daemon.json'
        $file.Status | Should -Be 'Fail'
        $file.Detail | Should -Match "^'/etc/isulad/daemon.json' is not valid JSON at line 1, column 1"
        $file.Remedy | Should -Match 'the file was not changed'
        $checks.Area | Select-Object -Unique | Should -Be @('Modules', 'Isulad')
        (Get-Row $checks 'vhost_vsock at boot').Status | Should -Be 'Warn'
        (Get-Row $checks 'vhost_vsock at boot').Remedy | Should -Be 'Enable-VhostVsock   (adds it to /etc/modules-load.d/isulakata.conf)'
        (Get-Row $checks 'Service flags').Status | Should -Be 'Pass'
    }

    It 'finds the shim missing, and a shim that is not executable' {
        $checks = Test-IsulaKataHost -Root $root -Area Packages
        (Get-Row $checks 'containerd-shim-kata-v2 on PATH').Status | Should -Be 'Fail'
        (Get-Row $checks 'containerd-shim-kata-v2 on PATH').Detail | Should -Be "containerd-shim-kata-v2 is in none of /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin under '$root'."
        New-RootFile $root '/usr/local/bin/containerd-shim-kata-v2' "#!/bin/sh`n" -Mode 644
        $row = Get-Row (Test-IsulaKataHost -Root $root -Area Packages) 'containerd-shim-kata-v2 on PATH'
        $row.Status | Should -Be 'Fail'
        $row.Remedy | Should -Be 'chmod 0755 /usr/local/bin/containerd-shim-kata-v2'
    }
}

Describe 'Test-IsulaKataHost -Area Storage (the thin pool daemon.json names, read by Get-IsulaThinPool''s engine)' {
    BeforeEach {
        $state = New-FakeHost
        $config = Join-Path $state 'daemon.json'
        Copy-Item -LiteralPath (Join-Path $Fixtures 'daemon.kata-devicemapper.json') -Destination $config
    }
    AfterEach { Remove-FakeHost }

    BeforeAll {
        function Set-PoolUse {
            # Sets the fake pool's data and metadata use (columns 5 and 6 of the fake lvm's lvs state).
            param([string] $Data, [string] $Metadata)
            $file = Join-Path $env:ISULAKATA_FAKE_STATE 'lvm/lvs'
            $lines = Get-Content -LiteralPath $file | ForEach-Object {
                $f = $_ -split ' '
                if ($f[9] -eq 'pool') { $f[4] = $Data; $f[5] = $Metadata }
                $f -join ' '
            }
            Set-Content -LiteralPath $file -Value $lines
        }
    }

    It 'passes a pool that New-IsulaThinPool built, with one lvs (the group''s free space included) and no lvmconfig (lvm.conf is read as a file)' {
        New-FakePool -Device /dev/vdb
        # A second disk in the group (vgextend), so the pool has room to grow by its 20%.
        Add-Content -LiteralPath (Join-Path $state 'lvm/pvs') -Value '/dev/vdc isula 4294967296'
        $checks = Test-IsulaKataHost -Area Storage -IsuladConfigPath $config
        Get-FakeCommand | Should -Be @('isula info', $LvsWithGroup)
        $checks.Name | Should -Be @('Thin pool', 'Active', 'Health', 'Monitored', 'Data space', 'Metadata space', 'Autoextend profile')
        $checks.Status | Should -Be @('Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass')
        (Get-Row $checks 'Thin pool').Detail | Should -Be 'isula/thinpool (/dev/mapper/isula-thinpool) holds 3.79 GiB of data space.'
        (Get-Row $checks 'Metadata space').Detail | Should -Be '10.12% used (attention from 80%).'
        (Get-Row $checks 'Autoextend profile').Detail | Should -Be "'$state/etc/lvm/profile/isula-thinpool.profile': grows by 20% when 80% full."
        Test-IsulaKataHost -Area Storage -IsuladConfigPath $config -Quiet | Should -BeTrue
    }

    It 'fails when dm.thinpooldev names a pool lvm does not have' {
        New-FakePool -Device /dev/vdb -VolumeGroup other
        $checks = @(Test-IsulaKataHost -Area Storage -IsuladConfigPath $config)
        $checks.Name | Should -Be @('Thin pool')
        $checks.Status | Should -Be @('Fail')
        $checks.Detail | Should -Be "dm.thinpooldev is '/dev/mapper/isula-thinpool', but lvm's thin pools are /dev/mapper/other-thinpool: isulad does not start without its pool."
        $checks.Remedy | Should -BeLike 'New-IsulaThinPool -Device <disk>*'
    }

    It 'fails an inactive pool and warns about one that is not monitored' {
        New-FakePool -Device /dev/vdb
        Set-FakeState inactive
        $checks = Test-IsulaKataHost -Area Storage -IsuladConfigPath $config
        (Get-Row $checks 'Active').Status | Should -Be 'Fail'
        (Get-Row $checks 'Active').Remedy | Should -Be 'lvchange -ay isula/thinpool'
        (Get-Row $checks 'Data space').Status | Should -Be 'Skip'
        Remove-Item -LiteralPath (Join-Path $state 'inactive')
        Set-FakeState not-monitored
        $monitored = Get-Row (Test-IsulaKataHost -Area Storage -IsuladConfigPath $config) 'Monitored'
        $monitored.Status | Should -Be 'Warn'
        $monitored.Detail | Should -Be 'isula/thinpool is not monitored, so it never grows by itself: autoextend runs in dmeventd.'
        $monitored.Remedy | Should -Be 'lvchange --monitor y isula/thinpool; systemctl enable --now lvm2-monitor'
    }

    It 'warns above the autoextend threshold and fails a pool that is nearly full' {
        New-FakePool -Device /dev/vdb
        Set-PoolUse -Data 85.00 -Metadata 97.50
        $checks = Test-IsulaKataHost -Area Storage -IsuladConfigPath $config
        $data = Get-Row $checks 'Data space'
        $data.Status | Should -Be 'Warn'
        $data.Detail | Should -Be "The pool's data space is 85% used, at or above the autoextend threshold (80%), so lvm should have grown the pool: is it monitored, and has the volume group free space?"
        $data.Remedy | Should -Be 'lvextend -L +<size> isula/thinpool'
        $metadata = Get-Row $checks 'Metadata space'
        $metadata.Status | Should -Be 'Fail'
        $metadata.Detail | Should -Be "The pool's metadata space is 97.5% used: it is about to run out, and then containers cannot write."
        $metadata.Remedy | Should -BeLike 'lvextend --poolmetadatasize +<size> isula/thinpool*'
    }

    It 'warns when the volume group has no room for the pool to grow into (the guide''s 95%VG leaves none)' {
        New-FakePool -Device /dev/vdb
        $profile = Get-Row (Test-IsulaKataHost -Area Storage -IsuladConfigPath $config) 'Autoextend profile'
        $profile.Status | Should -Be 'Warn'
        $profile.Detail | Should -BeLike 'isula/thinpool cannot autoextend: growing it by 20% needs *'
        $profile.Remedy | Should -Be 'vgextend isula <disk>'
    }

    It 'warns about a pool with no autoextend profile, with the command that attaches one' {
        New-FakePool -Device /dev/vdb -NoProfile
        $profile = Get-Row (Test-IsulaKataHost -Area Storage -IsuladConfigPath $config) 'Autoextend profile'
        $profile.Status | Should -Be 'Warn'
        $profile.Detail | Should -Be "isula/thinpool has no lvm profile attached, so lvm.conf's settings apply (grow at 100%, that is never)."
        $profile.Remedy | Should -Be 'New-IsulaThinPool -Device /dev/vdb -VolumeGroup isula -Name thinpool   (writes and attaches the profile)'
    }

    It 'fails a pool lvm reports out of data space' {
        New-FakePool -Device /dev/vdb
        $file = Join-Path $state 'lvm/lvs'
        Set-Content -LiteralPath $file -Value ((Get-Content -LiteralPath $file) -replace 'twi-a-t---', 'twi-a-t-D-')
        $health = Get-Row (Test-IsulaKataHost -Area Storage -IsuladConfigPath $config) 'Health'
        $health.Status | Should -Be 'Fail'
        $health.Detail | Should -BeLike 'isula/thinpool is OUT OF DATA SPACE (lv_attr twi-a-t-D-)*'
    }

    It 'skips the pool when iSulad is not on devicemapper, and runs no lvm command' {
        Copy-Item -LiteralPath (Join-Path $Fixtures 'daemon.shipped.json') -Destination $config -Force
        $checks = @(Test-IsulaKataHost -Area Storage -IsuladConfigPath $config)
        $checks.Status | Should -Be @('Skip')
        $checks.Remedy | Should -Be 'New-IsulaThinPool -Device <disk> | Set-IsulaRuntime -Restart'
        Get-FakeCommand | Should -Be @('isula info')
    }
}

Describe 'Test-IsulaKataHost -Area Kata (kata''s configuration, read by Get-KataHypervisor''s engine)' {
    BeforeAll {
        $script:Defaults = '/usr/share/defaults/kata-containers/configuration.toml'

        function New-KataHostRoot {
            # A root with a kata fixture as the packaged configuration, and the files its hypervisor table names.
            param([string] $Fixture, [string[]] $Present = @())
            $root = New-TestRoot @{ $Defaults = "Kata/$Fixture" }
            foreach ($path in $Present) { New-RootFile $root $path "#!/bin/sh`n" -Mode 755 }
            $root
        }
    }

    It 'passes a configuration that Set-KataHypervisor wrote, once its files are in place' {
        $root = New-KataHostRoot 'kata1-qemu.toml' -Present '/usr/bin/stratovirt', '/var/lib/kata/vmlinux.bin', '/var/lib/kata/kata-containers-initrd.img'
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $checks = Test-IsulaKataHost -Root $root -Area Kata
        $checks.Name | Should -Be @('Configuration', 'Kata generation', 'Hypervisor table', 'Keys in their tables', 'Hypervisor binary', 'StratoVirt wrapper', 'Guest kernel', 'Guest initrd or image', 'Netmon')
        $checks.Status | Should -Be @('Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass')
        (Get-Row $checks 'Kata generation').Detail | Should -Be 'kata, generation 1 (told by the configuration ([proxy]/[shim] tables or sandbox_cgroup_with_emulator: kata 1.x)).'
        (Get-Row $checks 'Netmon').Detail | Should -Be "netmon is off ([netmon] path '/usr/libexec/kata-containers/kata-netmon')." 
        (Get-Row $checks 'Hypervisor binary').Detail | Should -Be "'/usr/bin/stratovirt' (the StratoVirt binary its wrapper runs) is there and executable."
        (Get-Row $checks 'Configuration').Detail | Should -Be "kata reads '$Defaults': /etc/kata-containers/configuration.toml does not exist, so kata reads the packaged $Defaults."
        (Get-Row $checks 'Hypervisor table').Detail | Should -Be '[hypervisor.stratovirt] is the only active hypervisor table (StratoVirt).'
        (Get-Row $checks 'StratoVirt wrapper').Detail | Should -Be "'/usr/local/libexec/isulakata/stratovirt.sh' runs '/usr/bin/stratovirt' with STRATOVIRT_LOG_LEVEL=info."
        (Get-Row $checks 'Guest kernel').Detail | Should -Be "'/var/lib/kata/vmlinux.bin' exists."
        Test-IsulaKataHost -Root $root -Area Kata -Quiet | Should -BeTrue
    }

    It 'finds every mistake of the guide''s snippet: two active tables, keys kata ignores, its wrapper, missing files' {
        $root = New-KataHostRoot 'kata1-guide-snippet.toml'
        New-RootFile $root '/home/stratovirt.sh' "#!/bin/bash`nexport STRATOVIRT_LOG_LEVEL=info`n/usr/bin/stratovirt `$@`n" -Mode 755
        $tree = Get-TreeHash $root
        $checks = Test-IsulaKataHost -Root $root -Area Kata
        Get-TreeHash $root | Should -Be $tree

        $tables = Get-Row $checks 'Hypervisor table'
        $tables.Status | Should -Be 'Fail'
        $tables.Detail | Should -Be "'$Defaults' has 2 active hypervisor tables ([hypervisor.stratovirt], [hypervisor.qemu]): kata picks one of them at random."
        $tables.Remedy | Should -Be 'Set-KataHypervisor -Hypervisor StratoVirt   (keeps [hypervisor.stratovirt]; the others are commented out, restorable)'
        $misplaced = @($checks | Where-Object Name -In 'disable_new_netns', 'enable_netmon', 'internetworking_model', 'sandbox_cgroup_with_emulator')
        $misplaced.Count | Should -Be 4
        $misplaced.Status | Select-Object -Unique | Should -Be 'Warn'
        (Get-Row $checks 'enable_netmon').Remedy | Should -Be 'Set-KataHypervisor -Hypervisor StratoVirt   (comments it out and sets the keys the procedure needs in [netmon]), or move the line into [netmon].'
        (Get-Row $checks 'sandbox_cgroup_with_emulator').Detail |
            Should -Be "'sandbox_cgroup_with_emulator = false' in [hypervisor.stratovirt] of '$Defaults' has no effect: kata reads sandbox_cgroup_with_emulator only from [runtime]."
        Get-Row $checks 'Keys in their tables' | Should -BeNullOrEmpty
        $wrapper = Get-Row $checks 'StratoVirt wrapper'
        $wrapper.Status | Should -Be 'Warn'
        $wrapper.Detail | Should -Be "'/home/stratovirt.sh' passes kata's arguments as unquoted `$@ (the guide's wrapper): an argument with a space is split in two."
        (Get-Row $checks 'Hypervisor binary').Status | Should -Be 'Fail'
        (Get-Row $checks 'Hypervisor binary').Detail | Should -Be "'/usr/bin/stratovirt', the StratoVirt binary its wrapper runs, does not exist."
        (Get-Row $checks 'Guest kernel').Status | Should -Be 'Fail'
        (Get-Row $checks 'Guest kernel').Remedy | Should -Be 'Install-KataGuestKernel -Path <vmlinux.bin>   (or -Uri)'
        (Get-Row $checks 'Guest initrd or image').Detail | Should -Be "The guest initrd '/var/lib/kata/kata-containers-initrd.img' does not exist."
    }

    It 'fails a table that sets both initrd and image, and a binary that is not executable' {
        $root = New-KataHostRoot 'kata1-qemu.toml' -Present '/var/lib/kata/kernel', '/var/lib/kata/kata-containers-initrd.img'
        New-RootFile $root '/usr/bin/qemu-kvm' "ELF" -Mode 644
        $file = Join-Path $root $Defaults.TrimStart('/')
        [IO.File]::WriteAllText($file, (Get-Content -Raw $file).Replace("initrd = `"/var/lib/kata/kata-containers-initrd.img`"`n", "initrd = `"/var/lib/kata/kata-containers-initrd.img`"`nimage = `"/var/lib/kata/kata-containers.img`"`n"))
        $checks = Test-IsulaKataHost -Root $root -Area Kata
        $both = Get-Row $checks 'Guest initrd or image'
        $both.Status | Should -Be 'Fail'
        $both.Detail | Should -Be "The hypervisor table sets both initrd ('/var/lib/kata/kata-containers-initrd.img') and image ('/var/lib/kata/kata-containers.img'); kata takes only one of them."
        $both.Remedy | Should -Be 'Set-KataHypervisor -Hypervisor Qemu -Initrd /var/lib/kata/kata-containers-initrd.img   (comments image out; -Image does the reverse)'
        $binary = Get-Row $checks 'Hypervisor binary'
        $binary.Status | Should -Be 'Fail'
        $binary.Detail | Should -Be "'/usr/bin/qemu-kvm', the program kata starts as Qemu, is not executable."
        $binary.Remedy | Should -Be 'chmod 0755 /usr/bin/qemu-kvm'
        Get-Row $checks 'StratoVirt wrapper' | Should -BeNullOrEmpty
        (Get-Row $checks 'Guest kernel').Status | Should -Be 'Pass'
    }

    It 'says which file kata reads when -KataConfigPath names one it does not' {
        $root = New-TestRoot @{ '/etc/kata-containers/configuration.toml' = 'Kata/kata2-stratovirt.toml'; $Defaults = 'Kata/kata1-qemu.toml' }
        $row = Get-Row (Test-IsulaKataHost -Root $root -Area Kata -KataConfigPath $Defaults) 'Configuration'
        $row.Status | Should -Be 'Warn'
        $row.Detail | Should -Be "kata reads '/etc/kata-containers/configuration.toml', not '$Defaults': changes to '$Defaults' take no effect while '/etc/kata-containers/configuration.toml' exists."
        $default = Get-Row (Test-IsulaKataHost -Root $root -Area Kata) 'Configuration'
        $default.Status | Should -Be 'Pass'
        $default.Detail | Should -BeLike "kata reads '/etc/kata-containers/configuration.toml': *"
    }

    It 'fails devicemapper-less storage when kata is configured for StratoVirt (and only warns for QEMU)' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json'; $Defaults = 'Kata/kata2-stratovirt.toml' }
        $driver = Get-Row (Test-IsulaKataHost -Root $root -Area Isulad) 'Storage driver'
        $driver.Status | Should -Be 'Fail'
        $driver.Detail | Should -Be 'storage-driver is overlay2, but kata uses StratoVirt, which supports only devicemapper.'
        $qemu = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json'; $Defaults = 'Kata/kata1-qemu.toml' }
        (Get-Row (Test-IsulaKataHost -Root $qemu -Area Isulad) 'Storage driver').Status | Should -Be 'Warn'
    }

    It 'reports a configuration that is not TOML as a failed row' {
        $root = New-TestRoot
        New-RootFile $root $Defaults "[hypervisor.qemu`npath = `"/usr/bin/qemu-kvm`"`n"
        $checks = @(Test-IsulaKataHost -Root $root -Area Kata)
        $checks.Name | Should -Be @('Configuration')
        $checks.Status | Should -Be @('Fail')
        $checks.Detail | Should -Match ([regex]::Escape("'$Defaults'"))
    }
}

Describe 'Test-IsulaKataHost judges iSulad as the installed iSulad would' {
    BeforeEach {
        $state = New-FakeHost
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.kata-devicemapper.json' }
        $daemon = Join-Path $root 'etc/isulad/daemon.json'
    }
    AfterEach { Remove-FakeHost }

    It 'fails kata-runtime when kata 2.x is installed (it has no create/start) and only warns on kata 1.x' {
        [System.IO.File]::WriteAllText($daemon, (Get-Content -Raw $daemon).Replace('"io.containerd.kata.v2"', '"kata-runtime"'))
        New-RootFile $root '/usr/bin/containerd-shim-kata-v2' "#!/bin/sh`n" -Mode 755
        $row = Get-Row (Test-IsulaKataHost -Root $root -Area Isulad) 'Default runtime'
        $row.Status | Should -Be 'Fail'
        $row.Detail | Should -Be 'default-runtime is kata-runtime, but kata 2.x is installed, whose kata-runtime has no create or start command: every container fails to start.'
        $row.Remedy | Should -Be 'Set-IsulaRuntime   (sets io.containerd.kata.v2)'
        New-RootFile $root '/usr/libexec/kata-containers/kata-shim' "#!/bin/sh`n" -Mode 755
        $row = Get-Row (Test-IsulaKataHost -Root $root -Area Isulad) 'Default runtime'
        $row.Status | Should -Be 'Warn'
        $row.Detail | Should -BeLike 'default-runtime is kata-runtime: kata 1.x starts VMs with it*'
    }

    It 'fails shim v2 support when isulad lacks it and daemon.json asks for io.containerd.kata.v2' {
        New-RootFile $root '/usr/bin/isulad' "ELF liblcr.so"
        $row = Get-Row (Test-IsulaKataHost -Root $root -Area Isulad) 'Shim v2 support'
        $row.Status | Should -Be 'Fail'
        $row.Detail | Should -BeLike "iSulad cannot run shim v2 runtimes (io.containerd.kata.v2): '/usr/bin/isulad' was built without shim v2 support*; libshim_v2.so (package lib-shim-v2) is in none of*"
        New-RootFile $root '/usr/bin/isulad' "ELF libshim_v2.so"
        New-RootFile $root '/usr/lib64/libshim_v2.so.0' 'lib'
        $row = Get-Row (Test-IsulaKataHost -Root $root -Area Isulad) 'Shim v2 support'
        $row.Status | Should -Be 'Pass'
    }

    It 'names the rule it applied to an option name iSulad <Version> reads <How>' -TestCases @(
        @{ Version = '2.0.14'; How = 'without case'; Status = 'Pass' }
        @{ Version = '2.1.5'; How = 'exactly'; Status = 'Fail' }
    ) {
        Set-FakeState rpm-installed "iSulad $Version-1.oe1"
        $config = Join-Path $TestDrive "rule-$Version.json"
        Set-Content $config '{ "storage-driver": "devicemapper", "storage-opts": ["dm.thinpooldev=/dev/mapper/isula-thinpool", "DM.fs=ext4"] }'
        $checks = Test-IsulaKataHost -Area Isulad -IsuladConfigPath $config
        if ($Status -eq 'Fail') {
            $row = Get-Row $checks "Storage option 'DM.fs=ext4'"
            $row.Status | Should -Be 'Fail'
            $row.Detail | Should -BeLike "*unknown option: 'DM.fs'*(checked with iSulad's rules; option names compared case-sensitively, as iSulad 2.1.5-1.oe1 does)."
        }
        else {
            Get-Row $checks "Storage option 'DM.fs=ext4'" | Should -BeNullOrEmpty
            (Get-Row $checks 'Storage options').Status | Should -Be 'Pass'
        }
    }

    It 'warns about a runtime key with capitals that iSulad can never match' {
        [System.IO.File]::WriteAllText($daemon, (Get-Content -Raw $daemon).Replace('"default-runtime"', "`"runtimes`": { `"Kata`": {} },`n    `"default-runtime`""))
        $row = Get-Row (Test-IsulaKataHost -Root $root -Area Isulad) "Runtime 'Kata'"
        $row.Status | Should -Be 'Warn'
        $row.Detail | Should -BeLike '*a key with capitals never matches.'
        $row.Remedy | Should -Be "Rename the key to 'kata' in '/etc/isulad/daemon.json'."
        (Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue).Warnings | Should -Contain "The runtime 'Kata' under `"runtimes`" in '/etc/isulad/daemon.json' can never be used: iSulad lower-cases every requested runtime name and compares it exactly, so a key with capitals never matches. Rename it to 'kata'."
    }
}

Describe 'Test-IsulaKataHost and Test-SecureContainer run by a user who is not root' {
    # A child pwsh as uid 65534 with only CAP_DAC_READ_SEARCH (so it can read the module and pwsh under /root, but is
    # not root for anything else: /dev/kvm stays closed to it, and the fake isula refuses it like isulad's socket would).
    It 'says what needs root instead of failing' -Skip:((id -u) -ne '0' -or -not (Get-Command setpriv -ErrorAction Ignore)) {
        $state = New-FakeHost
        try {
            $config = Join-Path $state 'daemon.json'
            Copy-Item -LiteralPath (Join-Path $Fixtures 'daemon.kata-devicemapper.json') -Destination $config
            Set-FakeState config-path $config
            Invoke-Fake systemctl restart isulad
            Clear-Content -LiteralPath (Join-Path $state 'commands.log')
            chmod -R a+rwX $state
            $script = @"
Import-Module '$ModulePath'
`$rows = Test-IsulaKataHost -Area Virtualization, Isulad -IsuladConfigPath '$config' | Select-Object Name, @{ n = 'Status'; e = { "`$(`$_.Status)" } }, Detail, Remedy
try { Test-SecureContainer | Out-Null; `$err = 'no error' } catch { `$err = `$_.FullyQualifiedErrorId }
[pscustomobject]@{ User = (id -u); Rows = `$rows; Error = `$err } | ConvertTo-Json -Depth 4
"@
            $json = Invoke-AsNobody $script
            $answer = ($json -join "`n") | ConvertFrom-Json
            $answer.User | Should -Be '65534'
            $running = $answer.Rows | Where-Object Name -EQ 'isulad running'
            $running.Status | Should -Be 'Skip'
            $running.Detail | Should -Be 'Asking isulad (its socket belongs to root) needs root; running as uid 65534.'
            $running.Remedy | Should -Be 'Run Test-IsulaKataHost as root (sudo pwsh) to check this.'
            ($answer.Rows | Where-Object Name -EQ 'daemon.json').Status | Should -Be 'Pass'
            if ((Test-Path /dev/kvm) -and (Get-Item /dev/kvm).UnixMode -notmatch 'rw.$') {
                $kvm = $answer.Rows | Where-Object Name -EQ '/dev/kvm'
                $kvm.Status | Should -Be 'Skip'
                $kvm.Detail | Should -Be 'Opening /dev/kvm (root or group kvm) needs root; running as uid 65534.'
            }
            $answer.Error | Should -Be 'IsuladAccessDenied,IsulaKata.Commands.TestSecureContainerCommand'
            $commands = @(Get-FakeCommand)
            $commands.Count | Should -Be 2
            $commands[0] | Should -Be 'isula info'
            $commands[1] | Should -Match '^isula run -tid --runtime io\.containerd\.kata\.v2 --name isulakata-proof-[0-9a-f]{8}-1 busybox sh$'
        }
        finally { Remove-FakeHost }
    }
}
