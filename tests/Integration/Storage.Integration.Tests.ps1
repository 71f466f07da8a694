# The thin pool cmdlets against a real kernel, real lvm2 and device-mapper, inside the throwaway guest of
# tests/vm/testvm.sh (run by tests/Integration/Invoke-VmSuite.ps1 with three blank 4 GiB disks: /dev/vdb, /dev/vdc,
# /dev/vdd). These tests erase those disks, so they refuse to run anywhere else. The It blocks build on each other
# and run in order: one boot, one pwsh.

BeforeAll {
    $inGuest = $env:ISULAKATA_TESTVM -eq '1' -and (Test-Path -LiteralPath '/dev/disk/by-id/virtio-testvm-disk1') -and (Test-Path -LiteralPath '/dev/disk/by-id/virtio-testvm-disk3')
    if (-not $inGuest) {
        throw 'These tests erase /dev/vdb, /dev/vdc and /dev/vdd: they run only inside the testvm guest (tests/Integration/Invoke-VmSuite.ps1).'
    }
    . (Join-Path $PSScriptRoot '../Pester/Common.ps1')

    function Get-WhatIfLine {
        param([Parameter(Mandatory)] [scriptblock] $Script)
        $file = Join-Path $TestDrive ('whatif-' + [guid]::NewGuid().ToString('N') + '.txt')
        Start-Transcript -LiteralPath $file -UseMinimalHeader | Out-Null
        try { & $Script | Out-Null } finally { Stop-Transcript | Out-Null }
        @(Get-Content -LiteralPath $file | Where-Object { $_ -like 'What if:*' })
    }

    function Get-LvmReport {
        # Rows of a real lvm JSON report, as PowerShell objects (-All: hidden volumes too, lvs -a).
        param([string] $Program, [string] $Section, [string] $Fields, [string] $Target, [switch] $All)
        $arguments = @('--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', $Fields)
        if ($All) { $arguments += '-a' }
        if ($Target) { $arguments += $Target }
        $json = & $Program @arguments 2>$null
        @((($json -join "`n") | ConvertFrom-Json).report[0].$Section)
    }

    function Get-Signature {
        param([string] $Device)
        @(((wipefs --json --no-act $Device) -join "`n" | ConvertFrom-Json).signatures)
    }

    $script:BlockThin = '/etc/modprobe.d/isulakata-test-no-thin.conf'
    $script:Profile = '/etc/lvm/profile/isula-thinpool.profile'
    $script:Disk1 = '/dev/disk/by-id/virtio-testvm-disk1'
}

Describe 'Thin pools on a real kernel' -Tag 'VM' {
    It 'starts from three blank disks' {
        foreach ($disk in '/dev/vdb', '/dev/vdc', '/dev/vdd') {
            Get-Signature $disk | Should -BeNullOrEmpty
            Get-ChildItem "/sys/class/block/$(Split-Path -Leaf $disk)/holders" | Should -BeNullOrEmpty
        }
        Get-LvmReport pvs pv pv_name | Should -BeNullOrEmpty
    }

    It 'builds the same pool as the guide''s commands, and says how long each way took' {
        # The same blank 4 GiB disk twice over: New-IsulaThinPool on /dev/vdc, the guide's six commands (and its
        # profile) on /dev/vdd, in the same boot; then every lvs field that describes a pool, hidden volumes included.
        $module = [System.Diagnostics.Stopwatch]::StartNew()
        $null = New-IsulaThinPool -Device /dev/vdc -VolumeGroup viamodule -Confirm:$false -WarningAction SilentlyContinue
        $module.Stop()
        $guide = [System.Diagnostics.Stopwatch]::StartNew()
        pvcreate /dev/vdd | Out-Null
        vgcreate viaguide /dev/vdd | Out-Null
        lvcreate --wipesignatures y -n thinpool viaguide -l 95%VG | Out-Null
        lvcreate --wipesignatures y -n thinpoolmeta viaguide -l 1%VG | Out-Null
        lvconvert -y --zero n -c 64K --thinpool viaguide/thinpool --poolmetadata viaguide/thinpoolmeta 2>&1 | Out-Null
        Set-Content -LiteralPath /etc/lvm/profile/viaguide-thinpool.profile -Value "activation {`n`tthin_pool_autoextend_threshold=80`n`tthin_pool_autoextend_percent=20`n}"
        lvchange --metadataprofile viaguide-thinpool viaguide/thinpool | Out-Null
        $guide.Stop()
        Write-Host ('New-IsulaThinPool {0:0.00}s, guide {1:0.00}s, ratio {2:0.00}' -f $module.Elapsed.TotalSeconds, $guide.Elapsed.TotalSeconds, ($module.Elapsed.TotalSeconds / $guide.Elapsed.TotalSeconds))

        $fields = 'lv_name,lv_attr,lv_size,lv_metadata_size,chunk_size,zero,discards,seg_monitor,lv_profile'
        $describe = { param($vg) @(Get-LvmReport lvs lv $fields "$vg" -All | Sort-Object lv_name | ForEach-Object { ($_.PSObject.Properties | ForEach-Object { "$($_.Name)=$($_.Value)" }) -join ' ' }) -replace "$vg-thinpool", 'PROFILE' }
        $ours = & $describe viamodule
        $theirs = & $describe viaguide
        # One difference, on purpose: lvcreate --metadataprofile attaches the profile to the pool's hidden volumes too,
        # lvchange on the pool only to the pool. dmeventd reads the pool's own profile, so autoextend is the same.
        ($ours -replace '^(lv_name=\[.*) lv_profile=PROFILE$', '$1 lv_profile=') | Should -Be $theirs
        ($ours -join "`n") | Should -Match 'lv_name=\[lvol0_pmspare\]' -Because 'both keep lvm''s spare metadata volume'
        ($ours -join "`n") | Should -Match 'lv_name=thinpool lv_attr=twi-a-t--- .*chunk_size=65536 zero=.* lv_profile=PROFILE'

        vgremove -y viamodule viaguide 2>&1 | Out-Null
        pvremove /dev/vdc /dev/vdd | Out-Null
        Remove-Item -LiteralPath /etc/lvm/profile/viamodule-thinpool.profile, /etc/lvm/profile/viaguide-thinpool.profile
        wipefs --all /dev/vdc /dev/vdd | Out-Null
        foreach ($disk in '/dev/vdc', '/dev/vdd') { Get-Signature $disk | Should -BeNullOrEmpty }
        Get-LvmReport pvs pv pv_name | Should -BeNullOrEmpty
    }

    It 'rolls back everything when lvcreate fails (the kernel cannot load dm_thin_pool)' {
        if (Test-Path /sys/module/dm_thin_pool) { modprobe -r dm_thin_pool }
        Test-Path /sys/module/dm_thin_pool | Should -BeFalse -Because 'the failure is injected by keeping the thin-pool target out of the kernel'
        Set-Content -LiteralPath $BlockThin -Value 'install dm_thin_pool /bin/false'
        try {
            $err = $null
            try { New-IsulaThinPool -Device $Disk1 -Confirm:$false -WarningAction SilentlyContinue } catch { $err = $_ }
        }
        finally { Remove-Item -LiteralPath $BlockThin }

        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'ThinPoolCreateFailed,IsulaKata.Commands.NewIsulaThinPoolCommand'
        $err.TargetObject | Should -Be 'lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula'
        $err.Exception.Message | Should -Match 'failed with exit code [35]:'
        $err.Exception.Message | Should -Match 'thin-pool: Required device-mapper target\(s\) not detected in your kernel'
        $err.Exception.Message | Should -Match "Rolled back: removed '/etc/lvm/profile/isula-thinpool\.profile'; removed the volume group 'isula'; removed the PV label from /dev/vdb\. /dev/vdb is as before\."
        Get-LvmReport pvs pv pv_name | Should -BeNullOrEmpty
        Get-LvmReport lvs lv lv_name | Should -BeNullOrEmpty
        Get-Signature /dev/vdb | Should -BeNullOrEmpty
        Test-Path -LiteralPath $Profile | Should -BeFalse
    }

    It 'refuses a disk carrying ext4 and leaves it as it was' {
        mkfs.ext4 -q -L keepme /dev/vdc
        $uuid = (blkid -s UUID -o value /dev/vdc)
        { New-IsulaThinPool -Device /dev/vdc -Confirm:$false } | Should -Throw -ErrorId 'DeviceHasSignature,IsulaKata.Commands.NewIsulaThinPoolCommand'
        blkid -s UUID -o value /dev/vdc | Should -Be $uuid
        blkid -s LABEL -o value /dev/vdc | Should -Be 'keepme'
        Get-LvmReport pvs pv pv_name | Should -BeNullOrEmpty
    }

    It 'refuses a mounted disk even with -Force, and its files are intact' {
        New-Item -ItemType Directory -Path /mnt/keep -Force | Out-Null
        mount /dev/vdc /mnt/keep
        try {
            Set-Content -LiteralPath /mnt/keep/precious.txt -Value 'do not lose me' -NoNewline
            sync
            { New-IsulaThinPool -Device /dev/vdc -Force -Confirm:$false } | Should -Throw -ErrorId 'DeviceMounted,IsulaKata.Commands.NewIsulaThinPoolCommand'
            Get-Content -Raw -LiteralPath /mnt/keep/precious.txt | Should -BeExactly 'do not lose me'
        }
        finally { umount /mnt/keep }
        e2fsck -n /dev/vdc | Out-Null
        $LASTEXITCODE | Should -Be 0 -Because 'the filesystem is untouched'
        mount -o ro /dev/vdc /mnt/keep
        try { Get-Content -Raw -LiteralPath /mnt/keep/precious.txt | Should -BeExactly 'do not lose me' }
        finally { umount /mnt/keep }
    }

    It '-WhatIf on a real disk prints the exact plan and changes nothing' {
        $lines = Get-WhatIfLine { New-IsulaThinPool -Device $Disk1 -WhatIf -WarningAction SilentlyContinue }
        $lines | Should -Be @(
            'What if: Performing the operation "Run" on target "pvcreate /dev/vdb".'
            'What if: Performing the operation "Run" on target "vgcreate isula /dev/vdb".'
            'What if: Performing the operation "Write" on target "/etc/lvm/profile/isula-thinpool.profile".'
            'What if: Performing the operation "Run" on target "lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula".')
        Get-LvmReport pvs pv pv_name | Should -BeNullOrEmpty
        Get-Signature /dev/vdb | Should -BeNullOrEmpty
    }

    It 'creates the pool the guide describes, monitored and with its profile attached' {
        $script:pool = New-IsulaThinPool -Device $Disk1 -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        $pool.VolumeGroup | Should -Be 'isula'
        $pool.Name | Should -Be 'thinpool'
        $pool.DevicePath | Should -Be '/dev/mapper/isula-thinpool'
        $pool.Devices | Should -Be @('/dev/vdb')
        $pool.ChunkSizeBytes | Should -Be 65536
        $pool.Profile | Should -Be $Profile
        $pool.AutoExtendThreshold | Should -Be 80
        $pool.AutoExtendPercent | Should -Be 20
        $pool.Monitored | Should -BeTrue
        $pool.Changed | Should -BeTrue
        $pool.DataPercent | Should -Be 0
        $pool.MetadataPercent | Should -BeGreaterThan 0
        $warnings.Message | Should -Match 'cannot autoextend: growing it by 20% needs'

        $row = Get-LvmReport lvs lv 'lv_attr,lv_size,chunk_size,lv_profile,seg_monitor,lv_metadata_size' isula/thinpool
        $row.lv_attr | Should -Be 'twi-a-t---'
        $row.chunk_size | Should -Be '65536'
        $row.lv_profile | Should -Be 'isula-thinpool'
        $row.seg_monitor | Should -Be 'monitored'
        [long]$row.lv_size | Should -Be $pool.SizeBytes
        [long]$row.lv_metadata_size | Should -Be $pool.MetadataSizeBytes
        $pool.SizeBytes | Should -Be (971 * 4MB) -Because '95% of the 1023 extents of a 4 GiB disk, as lvcreate -l 95%VG rounds'
        Test-Path -LiteralPath /dev/mapper/isula-thinpool | Should -BeTrue
        (dmsetup status isula-thinpool) -join ' ' | Should -Match ' thin-pool '
        Get-Content -Raw -LiteralPath $Profile | Should -BeExactly ([IsulaKata.Storage.ThinPoolReader]::ProfileText('isula', 'thinpool', 80, 20))
        (lvmconfig --metadataprofile isula-thinpool --typeconfig full activation/thin_pool_autoextend_threshold) | Should -Be 'thin_pool_autoextend_threshold=80'
    }

    It 'returns the same pool unchanged when run again' {
        $again = New-IsulaThinPool -Device /dev/vdb -Confirm:$false -WarningAction SilentlyContinue
        $again.Changed | Should -BeFalse
        $again.SizeBytes | Should -Be $pool.SizeBytes
        $again.DevicePath | Should -Be $pool.DevicePath
        (Get-LvmReport lvs lv lv_name isula).lv_name | Should -Be @('thinpool')
    }

    It 'reconciles only the profile when the autoextend settings change' {
        $changed = New-IsulaThinPool -Device /dev/vdb -AutoExtendThreshold 70 -AutoExtendPercent 10 -Confirm:$false -WarningAction SilentlyContinue
        $changed.Changed | Should -BeTrue
        $changed.AutoExtendThreshold | Should -Be 70
        (lvmconfig --metadataprofile isula-thinpool --typeconfig full activation/thin_pool_autoextend_percent) | Should -Be 'thin_pool_autoextend_percent=10'
        @(Get-ChildItem -Path "$Profile.isulakata-*.bak").Count | Should -Be 1
        $changed.SizeBytes | Should -Be $pool.SizeBytes
    }

    It 'reads live usage with Get-IsulaThinPool and pipes into Set-IsulaRuntime' {
        $got = Get-IsulaThinPool -WarningAction SilentlyContinue
        $got.Count | Should -Be 1
        $got.DevicePath | Should -Be '/dev/mapper/isula-thinpool'
        $got.Monitored | Should -BeTrue
        $script:Root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $config = $got | Set-IsulaRuntime -Root $Root -WarningAction SilentlyContinue
        $config.ThinPoolDevice | Should -Be '/dev/mapper/isula-thinpool'
    }

    It 'refuses the disk of a pool for another pool: it belongs to a volume group now' {
        { New-IsulaThinPool -Device /dev/vdb -VolumeGroup other -Force -Confirm:$false } | Should -Throw -ErrorId 'DeviceInOtherVolumeGroup,IsulaKata.Commands.NewIsulaThinPoolCommand'
    }

    It 'builds a pool on two disks with -Force, erasing the ext4 on one, and doubles dashes in its device path' {
        $multi = New-IsulaThinPool -Device /dev/vdc, /dev/vdd -VolumeGroup multi-vg -Name thin-pool -ChunkSize 128K -Force -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        $multi.Devices | Should -Be @('/dev/vdc', '/dev/vdd')
        $multi.DevicePath | Should -BeExactly '/dev/mapper/multi--vg-thin--pool'
        Test-Path -LiteralPath $multi.DevicePath | Should -BeTrue
        $multi.ChunkSizeBytes | Should -Be 131072
        $multi.SizeBytes | Should -Be ([math]::Floor(2046 * 95 / 100) * 4MB)
        ($warnings.Message | Where-Object { $_ -like '-Force: erasing a ext4 filesystem*on /dev/vdc*' }).Count | Should -Be 1
        Test-Path -Path '/root/wipefs-vdc-0x00000438.bak' | Should -BeTrue
        (Get-LvmReport vgs vg 'vg_name,pv_name' multi-vg).pv_name | Should -Be @('/dev/vdc', '/dev/vdd')
        (Get-LvmReport lvs lv 'lv_attr,seg_monitor,lv_profile' multi-vg/thin-pool).lv_profile | Should -Be 'multi-vg-thinpool'
    }

    It 'refuses to remove the pool daemon.json points at' {
        $config = Join-Path $Root 'etc/isulad/daemon.json'
        Remove-IsulaThinPool -VolumeGroup isula -ConfigPath $config -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ThinPoolInUse,IsulaKata.Commands.RemoveIsulaThinPoolCommand'
        (Get-LvmReport lvs lv lv_name isula).lv_name | Should -Be @('thinpool')
    }

    It 'removes both pools, their groups, labels and profiles, leaving blank disks' {
        Get-IsulaThinPool -WarningAction SilentlyContinue | Remove-IsulaThinPool -Force -Confirm:$false -WarningAction SilentlyContinue
        Get-LvmReport lvs lv lv_name | Should -BeNullOrEmpty
        Get-LvmReport pvs pv pv_name | Should -BeNullOrEmpty
        foreach ($disk in '/dev/vdb', '/dev/vdc', '/dev/vdd') {
            Get-Signature $disk | Should -BeNullOrEmpty
            Get-ChildItem "/sys/class/block/$(Split-Path -Leaf $disk)/holders" | Should -BeNullOrEmpty
        }
        Test-Path -LiteralPath /dev/mapper/isula-thinpool | Should -BeFalse
        Test-Path -LiteralPath $Profile | Should -BeFalse
        Test-Path -LiteralPath /etc/lvm/profile/multi-vg-thinpool.profile | Should -BeFalse
    }

    It 'Reset-IsulaKataHost -IncludeStorage after New-IsulaThinPool leaves blank disks' {
        # A journal of its own, so the reset undoes exactly this pool.
        $env:ISULAKATA_JOURNAL = Join-Path $TestDrive 'reset-journal.jsonl'
        $profiles = @(Get-ChildItem -LiteralPath (Split-Path $Profile) -Force | ForEach-Object Name)
        $null = New-IsulaThinPool -Device $Disk1 -Confirm:$false -WarningAction SilentlyContinue
        Test-Path -LiteralPath /dev/mapper/isula-thinpool | Should -BeTrue
        $changes = @(Get-IsulaKataChange)
        @($changes | ForEach-Object { "$($_.Action) $($_.Path) $($_.Outcome)" }) | Should -Be @(
            "FileCreated $Profile Done"
            'ThinPoolCreated /dev/mapper/isula-thinpool Done')

        $undone = @(Reset-IsulaKataHost -IncludeStorage -Confirm:$false -WarningAction SilentlyContinue)
        @($undone | ForEach-Object { "$($_.Action) $($_.Path)" }) | Should -Be @(
            "FileDeleted $Profile"
            'ThinPoolRemoved /dev/mapper/isula-thinpool')
        Get-LvmReport lvs lv lv_name | Should -BeNullOrEmpty
        Get-LvmReport pvs pv pv_name | Should -BeNullOrEmpty
        Get-Signature /dev/vdb | Should -BeNullOrEmpty
        $probe = blkid -p /dev/vdb
        $LASTEXITCODE | Should -Be 2 -Because "blkid finds nothing on a blank disk (it printed: $probe)"
        Get-ChildItem '/sys/class/block/vdb/holders' | Should -BeNullOrEmpty
        Test-Path -LiteralPath /dev/mapper/isula-thinpool | Should -BeFalse
        Test-Path -LiteralPath $Profile | Should -BeFalse
        @(Get-ChildItem -LiteralPath (Split-Path $Profile) -Force | ForEach-Object Name) | Should -Be $profiles -Because 'the reset leaves no backup of the profile behind'
        (Get-IsulaKataChange | Where-Object Action -eq 'ThinPoolCreated').Outcome | Should -Be 'Undone'
    }
}
