BeforeDiscovery {
    $isRoot = (id -u) -eq '0'
    $CanMakeDeviceNodes = $isRoot -and [bool](Get-Command mknod -ErrorAction SilentlyContinue)
    $CanUseLoopDevices = $isRoot -and [bool](Get-Command losetup -ErrorAction SilentlyContinue) -and (Test-Path /dev/loop-control)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'Storage.Helpers.ps1')
}

Describe 'Thin pool sizing follows lvm''s rules' {
    It 'gives the guide''s arguments for a 4 GiB disk: 95%VG data, 1%VG metadata, 64 KiB chunks' {
        $vg = [IsulaKata.Storage.ThinPoolSizing]::EstimateVolumeGroupBytes([long[]]@(4GB))
        $vg | Should -Be (1023 * 4MB)
        $s = [IsulaKata.Storage.ThinPoolSizing]::Compute($vg, 95, 1, 64KB)
        $s.DataArguments | Should -Be @('-l', '95%VG')
        $s.MetadataArguments | Should -Be @('-l', '1%VG')
        $s.DataBytes | Should -Be (971 * 4MB)
        $s.MetadataBytes | Should -Be (10 * 4MB)
        $s.ChunkSizeBytes | Should -Be 64KB
        $s.Warnings | Should -BeNullOrEmpty
    }

    It 'clamps 1% metadata of a 2 TiB group to the 15.88 GiB a pool can use, and says so' {
        $s = [IsulaKata.Storage.ThinPoolSizing]::Compute(2TB, 95, 1, 64KB)
        $s.MetadataArguments | Should -Be @('-L', '16256m')
        $s.MetadataBytes | Should -Be 16256MB
        $s.ChunkSizeBytes | Should -Be 64KB
        $s.Warnings | Should -Be @('1% of the volume group would be 20.48 GiB of pool metadata, more than the 15.88 GiB a thin pool can use; the metadata volume is 15.88 GiB instead.')
    }

    It 'scales the chunk size when 64 KiB chunks cannot address the pool' {
        $s = [IsulaKata.Storage.ThinPoolSizing]::Compute(20TB, 95, 1, 64KB)
        $s.MetadataBytes | Should -Be 16256MB
        $s.ChunkSizeBytes | Should -Be 128KB
        [IsulaKata.Storage.ThinPoolSizing]::MaxAddressableBytes(16256MB, 64KB) | Should -BeLessThan $s.DataBytes
        [IsulaKata.Storage.ThinPoolSizing]::MaxAddressableBytes(16256MB, 128KB) | Should -BeGreaterOrEqual $s.DataBytes
        $s.Warnings[1] | Should -BeExactly 'A chunk size of 64 KiB can address at most 15.88 TiB with 15.88 GiB of metadata, less than the 19 TiB pool; the chunk size is 128 KiB instead (addresses 31.75 TiB).'
        [IsulaKata.Storage.ThinPoolSizing]::Compute(100TB, 95, 1, 64KB).ChunkSizeBytes | Should -Be 512KB
    }

    It 'keeps a chunk size that already addresses the pool' {
        [IsulaKata.Storage.ThinPoolSizing]::Compute(20TB, 95, 1, 512KB).ChunkSizeBytes | Should -Be 512KB
    }

    It 'raises metadata below lvm''s 2 MiB minimum to one extent' {
        $s = [IsulaKata.Storage.ThinPoolSizing]::Compute(100MB, 95, 1, 64KB)
        $s.MetadataArguments | Should -Be @('-L', '2m')
        $s.MetadataBytes | Should -Be 4MB
        $s.Warnings | Should -Be @('1% of the volume group would be 0 B of pool metadata, less than lvm''s minimum of 2 MiB; the metadata volume is 4 MiB instead.')
    }

    It 'refuses percentages that leave no room for lvm''s spare metadata volume' {
        $e = Get-EngineError { [IsulaKata.Storage.ThinPoolSizing]::Compute(4GB, 90, 6, 64KB) }
        $e.ErrorId | Should -Be 'ThinPoolDoesNotFit'
        $e.RecommendedAction | Should -Match 'DataPercent \+ 2 × MetadataPercent'
        [IsulaKata.Storage.ThinPoolSizing]::Compute(4GB, 90, 5, 64KB).DataArguments | Should -Be @('-l', '90%VG')
    }

    It 'refuses a pool smaller than one chunk' {
        (Get-EngineError { [IsulaKata.Storage.ThinPoolSizing]::Compute(8MB, 10, 1, 1MB) }).ErrorId | Should -Be 'ThinPoolTooSmall'
    }

    It 'reads chunk sizes as lvm does: <Text> is <Bytes> bytes' -ForEach @(
        @{ Text = '64K'; Bytes = 65536 }, @{ Text = '512k'; Bytes = 524288 }, @{ Text = '1M'; Bytes = 1048576 }
        @{ Text = '1MiB'; Bytes = 1048576 }, @{ Text = '65536'; Bytes = 65536 }, @{ Text = '192K'; Bytes = 196608 }
        @{ Text = '1G'; Bytes = 1073741824 }, @{ Text = '128KB'; Bytes = 131072 }, @{ Text = '64Ki'; Bytes = 65536 }
    ) {
        [IsulaKata.Storage.ThinPoolSizing]::ParseChunkSize($Text) | Should -Be $Bytes
    }

    It 'refuses the chunk size <Text>' -ForEach @(
        @{ Text = '32K' }, @{ Text = '100K' }, @{ Text = '2G' }, @{ Text = 'big' }, @{ Text = '' }, @{ Text = '64KiX' }, @{ Text = '-64K' }, @{ Text = '1.5M' }
    ) {
        $e = Get-EngineError { [IsulaKata.Storage.ThinPoolSizing]::ParseChunkSize($Text) }
        $e.ErrorId | Should -Be 'InvalidChunkSize'
    }

    It 'formats sizes for people and for lvm' {
        [IsulaKata.Storage.ThinPoolSizing]::FormatSize(64KB) | Should -Be '64 KiB'
        [IsulaKata.Storage.ThinPoolSizing]::FormatSize(4072669184) | Should -Be '3.79 GiB'
        [IsulaKata.Storage.ThinPoolSizing]::LvmSizeArgument(64KB) | Should -Be '64k'
        [IsulaKata.Storage.ThinPoolSizing]::LvmSizeArgument(1MB) | Should -Be '1m'
        [IsulaKata.Storage.ThinPoolSizing]::LvmSizeArgument(1000) | Should -Be '1000b'
    }
}

Describe 'lvm names, reports and settings' {
    It 'doubles dashes in device-mapper names as lvm does' {
        [IsulaKata.Storage.Lvm]::DeviceMapperName('isula', 'thinpool') | Should -BeExactly 'isula-thinpool'
        [IsulaKata.Storage.Lvm]::DeviceMapperName('my-vg', 'thin-pool') | Should -BeExactly 'my--vg-thin--pool'
        [IsulaKata.Storage.Lvm]::DeviceMapperPath('a--b', 'c-') | Should -BeExactly '/dev/mapper/a----b-c--'
    }

    It 'parses a real lvs report, including the empty percentages of an inactive pool' {
        $json = Get-Content -Raw (Join-Path $Fixtures 'lvs.thinpool.json')
        $rows = [IsulaKata.Storage.Lvm]::ParseReport($json, 'lv', 'lvs')
        $rows.Count | Should -Be 3
        $rows[0]['lv_attr'] | Should -Be 'twi-a-t---'
        $rows[0].Long('chunk_size') | Should -Be 65536
        $rows[0].Percent('metadata_percent') | Should -Be 10.12
        $rows[1].Percent('data_percent') | Should -BeNullOrEmpty
        $rows[1]['seg_monitor'] | Should -BeExactly ''
        [IsulaKata.Storage.Lvm]::IsThinPool($rows[2]) | Should -BeFalse
    }

    It 'names a report it cannot read' {
        (Get-EngineError { [IsulaKata.Storage.Lvm]::ParseReport('  WARNING: locking failed', 'lv', 'lvs -o x') }).ErrorId | Should -Be 'LvmReportUnreadable'
    }

    It 'reads lvmconfig''s name=value lines and falls back to lvm''s defaults' {
        $s = [IsulaKata.Storage.Lvm]::ParseSettings("profile_dir=`"/etc/lvm/profile.d/`"`nphysical_extent_size=8192`nthin_pool_autoextend_threshold=70`n")
        $s.ProfileDirectory | Should -Be '/etc/lvm/profile.d'
        $s.ExtentBytes | Should -Be 8MB
        $s.AutoExtendThreshold | Should -Be 70
        $s.AutoExtendPercent | Should -Be 20
        [IsulaKata.Storage.Lvm]::ParseSettings('').ProfileDirectory | Should -Be '/etc/lvm/profile'
    }

    It 'reads lvm.conf then lvmlocal.conf as lvm does: sections met twice, section/key, the last value, arrays and comments' {
        $dir = Join-Path $TestDrive "lvm-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -LiteralPath "$dir/lvm.conf" -NoNewline -Value (@(
                '# a comment with { a brace and "a quote'
                'config {'
                '    profile_dir = "/srv/lvm profiles/#1/"   # quoted: the # is part of it'
                '}'
                'allocation/physical_extent_size = 8192'
                'activation {'
                '    thin_pool_autoextend_threshold = 90'
                '    volume_list = [ "vg0", "@tag", 3 ]'
                '}'
                'activation {'
                '    thin_pool_autoextend_threshold = 75'
                '}') -join "`n")
        Set-Content -LiteralPath "$dir/lvmlocal.conf" -Value "activation {`n`tthin_pool_autoextend_percent=15`n}`n" -NoNewline
        $files = [IsulaKata.Core.HostFiles]::new('/', [Action[string]] { param($m) }, [Threading.CancellationToken]::None, $null)
        $s = [IsulaKata.Storage.LvmConfigFiles]::Read($files, $dir)
        $s.ProfileDirectory | Should -Be '/srv/lvm profiles/#1'
        $s.ExtentBytes | Should -Be 8MB
        $s.AutoExtendThreshold | Should -Be 75
        $s.AutoExtendPercent | Should -Be 15
        # Nothing set: lvm's defaults, the profile folder inside lvm's system folder (LVM_SYSTEM_DIR).
        Set-Content -LiteralPath "$dir/lvm.conf" -Value "# all commented out`n#config {`n#`tprofile_dir = `"/x`"`n#}`n" -NoNewline
        Remove-Item -LiteralPath "$dir/lvmlocal.conf"
        $s = [IsulaKata.Storage.LvmConfigFiles]::Read($files, $dir)
        $s.ProfileDirectory | Should -Be "$dir/profile"
        $s.ExtentBytes | Should -Be 4MB
        $s.AutoExtendThreshold | Should -Be 100
        $s.AutoExtendPercent | Should -Be 20
    }

    It 'leaves to lvmconfig what it does not model or cannot read: <Case>' -TestCases @(
        @{ Case = 'tag configuration'; Text = "tags {`n    hosttags = 1`n}`n" }
        @{ Case = 'tags/ written as a path'; Text = "tags/hosttags = 1`n" }
        @{ Case = 'an unclosed section'; Text = "activation {`n    thin_pool_autoextend_threshold = 70`n" }
        @{ Case = 'an unterminated string'; Text = "config {`n    profile_dir = `"/etc/lvm/profile`n}`n" }
        @{ Case = 'a key without a value'; Text = "activation {`n    thin_pool_autoextend_threshold =`n}`n" }
        @{ Case = 'no lvm.conf'; Text = $null }
    ) {
        $state = New-FakeHost
        try {
            if ($null -eq $Text) { Remove-Item -LiteralPath "$state/etc/lvm/lvm.conf" }
            else { Set-Content -LiteralPath "$state/etc/lvm/lvm.conf" -Value $Text -NoNewline }
            $context = [IsulaKata.Core.HostContext]::Create('/', [Action[string]] { param($m) }, [Threading.CancellationToken]::None, $null)
            $s = [IsulaKata.Storage.Lvm]::new($context).Settings()
            Get-FakeCommand | Should -Be @($LvmConfig)
            $s.ProfileDirectory | Should -Be "$state/etc/lvm/profile"
        }
        finally { Remove-FakeHost }
    }

    It 'asks no lvmconfig when lvm.conf can be read' {
        $state = New-FakeHost
        try {
            Set-Content -LiteralPath "$state/etc/lvm/lvm.conf" -Value "activation/thin_pool_autoextend_threshold = 70`n" -NoNewline
            $context = [IsulaKata.Core.HostContext]::Create('/', [Action[string]] { param($m) }, [Threading.CancellationToken]::None, $null)
            $s = [IsulaKata.Storage.Lvm]::new($context).Settings()
            $s.AutoExtendThreshold | Should -Be 70
            $s.ProfileDirectory | Should -Be "$state/etc/lvm/profile"
            Get-FakeCommand | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }

    It 'refuses names lvm would refuse: <Name>' -ForEach @(
        @{ Kind = 'VolumeGroup'; Name = '-isula'; Id = 'InvalidVolumeGroupName' }
        @{ Kind = 'VolumeGroup'; Name = 'is ula'; Id = 'InvalidVolumeGroupName' }
        @{ Kind = 'VolumeGroup'; Name = '..'; Id = 'InvalidVolumeGroupName' }
        @{ Kind = 'LogicalVolume'; Name = 'snapshot1'; Id = 'InvalidThinPoolName' }
        @{ Kind = 'LogicalVolume'; Name = 'pool_tdata'; Id = 'InvalidThinPoolName' }
        @{ Kind = 'LogicalVolume'; Name = 'a/b'; Id = 'InvalidThinPoolName' }
    ) {
        $e = Get-EngineError { [IsulaKata.Storage.Lvm]::"Validate$($Kind)Name"($Name) }
        $e.ErrorId | Should -Be $Id
    }

    It 'reads the autoextend settings of a profile, ignoring comments' {
        $text = [IsulaKata.Storage.ThinPoolReader]::ProfileText('isula', 'thinpool', 80, 20)
        $text | Should -BeExactly (@(
            '# lvm metadata profile of the thin pool isula/thinpool, written by IsulaKata (New-IsulaThinPool).'
            '# dmeventd grows the pool by thin_pool_autoextend_percent once it is thin_pool_autoextend_threshold percent full.'
            'activation {'
            "`tthin_pool_autoextend_threshold=80"
            "`tthin_pool_autoextend_percent=20"
            '}'
            '') -join "`n")
        $parsed = [IsulaKata.Storage.ThinPoolReader]::ParseProfile("activation {`n # thin_pool_autoextend_threshold=10`n thin_pool_autoextend_threshold = 75 # ok`n}")
        $parsed.Item1 | Should -Be 75
        $parsed.Item2 | Should -BeNullOrEmpty
    }
}

Describe 'New-IsulaThinPool checks and plans on a fake machine' -Skip:(-not $CanMakeDeviceNodes) {
    BeforeEach {
        $state = New-FakeHost
        $live = New-LiveTree
        Add-FakeDisk -Live $live -Name vdb -Minor 16 -ById 'virtio-isula-data'
        $creator = New-ThinPoolCreator -Live $live
    }
    AfterEach { Remove-FakeHost }

    It 'plans the guide''s steps with the exact command lines' {
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/disk/by-id/virtio-isula-data'))
        $plan.Devices | Should -Be @('/dev/vdb')
        ($plan.Steps | ForEach-Object { "$($_.Action) $($_.Target)" }) | Should -Be @(
            'Run pvcreate /dev/vdb'
            'Run vgcreate isula /dev/vdb'
            "Write $state/etc/lvm/profile/isula-thinpool.profile"
            'Run lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula')
        Get-FakeCommand | Should -Be @($Pvs, 'wipefs --json --no-act /dev/vdb')
    }

    It 'refuses a device that does not exist' {
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdz')) }
        $e.ErrorId | Should -Be 'DeviceNotFound'
        $e.Target | Should -Be '/dev/vdz'
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'refuses a relative device path' {
        (Get-EngineError { $creator.Plan((New-PoolRequest -Devices 'vdb')) }).ErrorId | Should -Be 'DeviceNotFound'
    }

    It 'refuses a file that is not a block device' {
        Set-Content -LiteralPath (Join-Path $live 'dev/notadisk') -Value 'x'
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/notadisk')) }
        $e.ErrorId | Should -Be 'DeviceNotBlockDevice'
        $e.Message | Should -Match "'/dev/notadisk' is not a block device"
    }

    It 'refuses a partition and names its disk' {
        Add-FakeDisk -Live $live -Name vdc -Minor 32 -Partitions 1
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdc1')) }
        $e.ErrorId | Should -Be 'DeviceIsPartition'
        $e.Message | Should -BeExactly "'/dev/vdc1' is a partition of /dev/vdc; a thin pool takes whole disks."
        $e.RecommendedAction | Should -Match '/dev/vdc'
    }

    It 'refuses a read-only device' {
        Add-FakeDisk -Live $live -Name vdc -Minor 32 -ReadOnly
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdc')) }
        $e.ErrorId | Should -Be 'DeviceReadOnly'
        $e.RecommendedAction | Should -Match 'blockdev --setrw /dev/vdc'
    }

    It 'refuses an empty or tiny device' {
        Add-FakeDisk -Live $live -Name loop3 -Major 7 -Minor 3 -SizeBytes 0
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/loop3')) }
        $e.ErrorId | Should -Be 'DeviceTooSmall'
        $e.Message | Should -Match "'/dev/loop3' holds 0 B"
    }

    It 'refuses a disk whose partition is mounted, even with -Force, and runs nothing that writes' {
        Add-FakeDisk -Live $live -Name vdc -Minor 32 -Partitions 1
        Add-Content -LiteralPath (Join-Path $live 'proc/self/mountinfo') -Value '41 22 254:33 / /mnt/data rw,relatime shared:30 - ext4 /dev/vdc1 rw'
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdc' -Force)) }
        $e.ErrorId | Should -Be 'DeviceMounted'
        $e.Message | Should -BeExactly "'/dev/vdc' is mounted: /dev/vdc1 on /mnt/data (ext4). Nothing was changed."
        $e.RecommendedAction | Should -Match '^If nothing on it is needed, unmount it \(umount /mnt/data\)'
        Get-FakeCommand | Should -Be @($Pvs)
    }

    It 'finds a mount by its source when the device number does not tell (btrfs), with escaped spaces' {
        Add-Content -LiteralPath (Join-Path $live 'proc/self/mountinfo') -Value '42 22 0:45 / /srv/with\040space rw - btrfs /dev/disk/by-id/virtio-isula-data rw'
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb')) }
        $e.ErrorId | Should -Be 'DeviceMounted'
        $e.Message | Should -Match '/srv/with space \(btrfs\)'
        $e.RecommendedAction | Should -Match "umount '/srv/with space'"
    }

    It 'refuses a disk with a swap partition' {
        Add-FakeDisk -Live $live -Name vdc -Minor 32 -Partitions 1, 2
        Add-Content -LiteralPath (Join-Path $live 'proc/swaps') -Value "/dev/vdc2                               partition`t1048572`t`t0`t`t-2"
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdc' -Force)) }
        $e.ErrorId | Should -Be 'DeviceIsSwap'
        $e.RecommendedAction | Should -Match 'swapoff /dev/vdc2'
    }

    It 'refuses a physical volume of another volume group, even with -Force' {
        Invoke-FakeLvm pvcreate /dev/vdb | Out-Null
        Invoke-FakeLvm vgcreate data /dev/vdb | Out-Null
        Clear-FakeCommand
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb' -Force)) }
        $e.ErrorId | Should -Be 'DeviceInOtherVolumeGroup'
        $e.Message | Should -Match "physical volume of the volume group 'data'"
        $e.RecommendedAction | Should -Match 'vgreduce data /dev/vdb'
        Get-FakeCommand | Should -Be @($Pvs)
    }

    It 'refuses a disk held by a device-mapper device and names it' {
        Add-FakeDisk -Live $live -Name vdc -Minor 32 -Holders 'dm-3'
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdc' -Force)) }
        $e.ErrorId | Should -Be 'DeviceHasHolders'
        $e.Message | Should -BeExactly "'/dev/vdc' is in use by dm-3 (fake-dm-3). Nothing was changed."
    }

    It 'refuses a disk with partitions unless -Force' {
        Add-FakeDisk -Live $live -Name vdc -Minor 32 -Partitions 1, 2
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdc')) }
        $e.ErrorId | Should -Be 'DeviceHasPartitions'
        $e.Message | Should -Match 'partitions vdc1, vdc2'
        $e.RecommendedAction | Should -Match '-Force'
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdc' -Force))
        $plan.Steps[0].Target | Should -Be 'wipefs --all --backup /dev/vdc'
    }

    It 'refuses a disk carrying a filesystem unless -Force, and then erases it first' {
        Set-FakeState signatures-vdb "0x438 ext4 5c5b2a5e-09a4-4d7b-a5f4-4f8e3c1b7a10 data`n"
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb')) }
        $e.ErrorId | Should -Be 'DeviceHasSignature'
        $e.Message | Should -BeExactly "'/dev/vdb' is not blank: it holds a ext4 filesystem or signature (at offset 0x438, UUID 5c5b2a5e-09a4-4d7b-a5f4-4f8e3c1b7a10, label 'data'). Nothing was changed."
        $e.RecommendedAction | Should -Match 'run the command again with -Force'
        Get-FakeCommand | Should -Be @($Pvs, 'wipefs --json --no-act /dev/vdb')

        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb' -Force))
        $plan.Steps[0].Target | Should -Be 'wipefs --all --backup /dev/vdb'
        $plan.Steps[1].Target | Should -Be 'pvcreate /dev/vdb'
        $plan.Warnings | Should -Contain '-Force: erasing a ext4 filesystem or signature (at offset 0x438, UUID 5c5b2a5e-09a4-4d7b-a5f4-4f8e3c1b7a10, label ''data'') on /dev/vdb; wipefs keeps a copy of each signature in $HOME/wipefs-vdb-*.bak.'
    }

    It 'describes a partition table and an LVM label' {
        Set-FakeState signatures-vdb "0x200 gpt - -`n0x1fe PMBR - -`n0x218 LVM2_member Zx3YOd-4V5e - `n"
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb')) }
        $e.Message | Should -Match 'a gpt partition table \(at offset 0x200\); a PMBR partition table \(at offset 0x1fe\); an LVM physical volume label'
    }

    It 'refuses the same disk given twice' {
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb', '/dev/disk/by-id/virtio-isula-data')) }
        $e.ErrorId | Should -Be 'DuplicateDevice'
        $e.Message | Should -Match '\(/dev/vdb\)'
    }

    It 'builds one volume group on several disks' {
        Add-FakeDisk -Live $live -Name vdc -Minor 32 -SizeBytes 8GB
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb', '/dev/vdc'))
        $plan.Steps[0].Target | Should -Be 'pvcreate /dev/vdb /dev/vdc'
        $plan.Steps[1].Target | Should -Be 'vgcreate isula /dev/vdb /dev/vdc'
        $plan.Sizing.VolumeGroupBytes | Should -Be ((1023 + 2047) * 4MB)
    }

    It 'warns about thresholds lvm does not honour' {
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb' -Threshold 30))
        $plan.Warnings | Should -Contain '-AutoExtendThreshold 30 is below 50; lvm treats it as 50.'
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb' -Threshold 100))
        $plan.Warnings | Should -Contain '-AutoExtendThreshold 100 turns autoextend off: the pool will never grow by itself.'
    }

    It 'checks names and the chunk size before probing anything' {
        (Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb' -VolumeGroup 'bad name')) }).ErrorId | Should -Be 'InvalidVolumeGroupName'
        (Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb' -ChunkSize '100K')) }).ErrorId | Should -Be 'InvalidChunkSize'
        Get-FakeCommand | Should -BeNullOrEmpty
    }
}

Describe 'New-IsulaThinPool builds, rolls back and reconciles on a fake machine' -Skip:(-not $CanMakeDeviceNodes) {
    BeforeEach {
        $state = New-FakeHost
        $live = New-LiveTree
        Add-FakeDisk -Live $live -Name vdb -Minor 16
        $creator = New-ThinPoolCreator -Live $live
        $profile = "$state/etc/lvm/profile/isula-thinpool.profile"
    }
    AfterEach { Remove-FakeHost }

    It 'creates the pool with one lvcreate and returns it as one lvs reports it' {
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb'))
        Clear-FakeCommand
        $pool = $creator.Apply($plan)

        Get-FakeCommand | Should -Be @(
            $Pvs, 'wipefs --json --no-act /dev/vdb'
            'pvcreate /dev/vdb'
            'vgcreate isula /dev/vdb'
            'lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula'
            "$LvsWithGroup isula")
        Get-Content -Raw $profile | Should -BeExactly ([IsulaKata.Storage.ThinPoolReader]::ProfileText('isula', 'thinpool', 80, 20))
        (Get-Item $profile).UnixMode | Should -Be '-rw-r--r--'

        $pool.VolumeGroup | Should -Be 'isula'
        $pool.Name | Should -Be 'thinpool'
        $pool.DevicePath | Should -Be '/dev/mapper/isula-thinpool'
        $pool.Devices | Should -Be @('/dev/vdb')
        $pool.SizeBytes | Should -Be 4072669184
        $pool.MetadataSizeBytes | Should -Be 41943040
        $pool.ChunkSizeBytes | Should -Be 65536
        $pool.DataPercent | Should -Be 0
        $pool.MetadataPercent | Should -Be 10.12
        $pool.Profile | Should -Be $profile
        $pool.AutoExtendThreshold | Should -Be 80
        $pool.AutoExtendPercent | Should -Be 20
        $pool.Monitored | Should -BeTrue
        $pool.Changed | Should -BeTrue
        $pool.Warnings | Should -Be @('isula/thinpool cannot autoextend: growing it by 20% needs 776.80 MiB but ''isula'' has 128 MiB free. Add a disk (''vgextend isula DEVICE'') before the pool reaches 80%.')
    }

    It 'probes the host again only when asked to (a plan that waited at a prompt)' {
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb'))
        Clear-FakeCommand
        $pool = $creator.Apply($plan, $false)
        Get-FakeCommand | Should -Be @(
            'pvcreate /dev/vdb'
            'vgcreate isula /dev/vdb'
            'lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula'
            "$LvsWithGroup isula")
        $pool.Devices | Should -Be @('/dev/vdb')
        $pool.SizeBytes | Should -Be 4072669184
    }

    It 'doubles dashes in the device path and names the profile after the volume group' {
        $pool = $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb' -VolumeGroup 'my-vg' -Name 'thin-pool')))
        $pool.DevicePath | Should -BeExactly '/dev/mapper/my--vg-thin--pool'
        $pool.Profile | Should -BeExactly "$state/etc/lvm/profile/my-vg-thinpool.profile"
        Get-FakeCommand | Should -Contain 'lvcreate --yes --type thin-pool -n thin-pool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile my-vg-thinpool my-vg'
    }

    It 'rolls back everything when lvcreate fails, and quotes lvm' {
        Set-FakeState fail-lvcreate '  thin-pool: Required device-mapper target(s) not detected in your kernel.'
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb'))
        Clear-FakeCommand
        $e = Get-EngineError { $creator.Apply($plan) }

        $e.ErrorId | Should -Be 'ThinPoolCreateFailed'
        $e.Target | Should -Be 'lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula'
        $e.Message | Should -BeExactly (@(
            "'lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula' failed with exit code 5:"
            'thin-pool: Required device-mapper target(s) not detected in your kernel.'
            "Rolled back: removed '$profile'; removed the volume group 'isula'; removed the PV label from /dev/vdb. /dev/vdb is as before.") -join [Environment]::NewLine)
        (Get-FakeCommand | Select-Object -Skip 5) | Should -Be @(
            $Pvs, "$Lvs isula", 'vgremove isula', $Pvs, 'pvremove /dev/vdb')
        Get-Content (Join-Path $state 'lvm/pvs') | Should -BeNullOrEmpty
        Get-Content (Join-Path $state 'lvm/lvs') | Should -BeNullOrEmpty
        Test-Path $profile | Should -BeFalse
    }

    It 'removes the profile it wrote when the pool cannot be made' {
        Set-FakeState fail-lvcreate '  Failed to load profile isula-thinpool.'
        $e = Get-EngineError { $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb'))) }
        $e.ErrorId | Should -Be 'ThinPoolCreateFailed'
        $e.Message | Should -Match "Rolled back: removed '$([regex]::Escape($profile))'; removed the volume group 'isula'; removed the PV label from /dev/vdb"
        Test-Path $profile | Should -BeFalse
        Get-ChildItem (Split-Path $profile) | Should -BeNullOrEmpty
        Get-Content (Join-Path $state 'lvm/pvs') | Should -BeNullOrEmpty
    }

    It 'removes only the PV labels when vgcreate fails' {
        Set-FakeState fail-vgcreate '  A volume group called isula already exists.'
        $e = Get-EngineError { $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb'))) }
        $e.Message | Should -Match 'Rolled back: removed the PV label from /dev/vdb\. /dev/vdb is as before\.$'
        Get-FakeCommand | Select-Object -Last 2 | Should -Be @($Pvs, 'pvremove /dev/vdb')
    }

    It 'says what is left when the rollback itself fails' {
        Set-FakeState fail-lvcreate '  thin-pool: Required device-mapper target(s) not detected in your kernel.'
        Set-FakeState fail-vgremove '  Volume group "isula" not found'
        $e = Get-EngineError { $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb'))) }
        $e.ErrorId | Should -Be 'ThinPoolRollbackIncomplete'
        $e.Message | Should -Match "Still there: the volume group 'isula' \('vgremove isula' failed: Volume group `"isula`" not found\)"
    }

    It 'refuses to apply a plan the host no longer matches' {
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb'))
        Set-FakeState signatures-vdb "0x438 ext4 - -`n"
        $e = Get-EngineError { $creator.Apply($plan) }
        $e.ErrorId | Should -Be 'DeviceHasSignature'
        Get-FakeCommand | Where-Object { $_ -notmatch '^(pvs|lvmconfig|wipefs --json)' } | Should -BeNullOrEmpty
    }

    It 'returns the existing pool unchanged on a second run, running only probes' {
        $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb'))) | Out-Null
        Clear-FakeCommand
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb'))
        $plan.Steps | Should -BeNullOrEmpty
        $pool = [IsulaKata.Storage.ThinPoolCreator]::Unchanged($plan)
        $pool.Changed | Should -BeFalse
        $pool.DevicePath | Should -Be '/dev/mapper/isula-thinpool'
        $pool.Warnings[0] | Should -Be 'isula/thinpool already exists on /dev/vdb; it was kept as it is (New-IsulaThinPool never rebuilds a pool).'
        Get-FakeCommand | Should -Be @($Pvs, "$Lvs isula")
    }

    It 'reconciles only the profile of an existing pool, keeping a backup' {
        $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb'))) | Out-Null
        Clear-FakeCommand
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb' -Threshold 70 -Percent 10 -ChunkSize '512K'))
        ($plan.Steps | ForEach-Object { "$($_.Action) $($_.Target)" }) | Should -Be @("Write $profile")
        $plan.Warnings | Should -Contain 'The existing pool''s chunk size is 64 KiB, not the 512 KiB asked for; a chunk size is fixed when a pool is made.'
        $pool = $creator.Apply($plan)
        $pool.Changed | Should -BeTrue
        $pool.AutoExtendThreshold | Should -Be 70
        $pool.AutoExtendPercent | Should -Be 10
        Get-Content -Raw $profile | Should -BeExactly ([IsulaKata.Storage.ThinPoolReader]::ProfileText('isula', 'thinpool', 70, 10))
        (Get-ChildItem "$profile.isulakata-*.bak").Count | Should -Be 1
        Get-FakeCommand | Where-Object { $_ -notmatch '^(pvs|lvs|vgs|lvmconfig) ' } | Should -BeNullOrEmpty
    }

    It 'attaches the profile again when it was detached' {
        $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb'))) | Out-Null
        Invoke-FakeLvm lvchange --metadataprofile '-' isula/thinpool | Out-Null
        $plan = $creator.Plan((New-PoolRequest -Devices '/dev/vdb'))
        ($plan.Steps | ForEach-Object Target) | Should -Be @('lvchange --metadataprofile isula-thinpool isula/thinpool')
    }

    It 'refuses an existing pool on other disks' {
        Add-FakeDisk -Live $live -Name vdc -Minor 32
        $creator.Apply($creator.Plan((New-PoolRequest -Devices '/dev/vdb'))) | Out-Null
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdc')) }
        $e.ErrorId | Should -Be 'VolumeGroupDeviceMismatch'
        $e.Message | Should -Be 'The thin pool isula/thinpool exists on /dev/vdb, not on /dev/vdc. Nothing was changed.'
    }

    It 'refuses a volume group that exists without the pool' {
        Invoke-FakeLvm pvcreate /dev/vdb | Out-Null
        Invoke-FakeLvm vgcreate isula /dev/vdb | Out-Null
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb')) }
        $e.ErrorId | Should -Be 'VolumeGroupExists'
        $e.RecommendedAction | Should -Match "vgremove isula' then 'pvremove /dev/vdb'"
    }

    It 'refuses a logical volume of that name that is not a thin pool' {
        Invoke-FakeLvm pvcreate /dev/vdb | Out-Null
        Invoke-FakeLvm vgcreate isula /dev/vdb | Out-Null
        Invoke-FakeLvm lvcreate -n thinpool -l 50%VG isula | Out-Null
        $e = Get-EngineError { $creator.Plan((New-PoolRequest -Devices '/dev/vdb')) }
        $e.ErrorId | Should -Be 'LogicalVolumeNotThinPool'
        $e.Message | Should -Match 'lv_attr -wi-a-----'
    }
}

Describe 'New-IsulaThinPool (cmdlet)' {
    BeforeEach { $state = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'refuses another -Root: a pool needs this host''s lvm' {
        $root = New-TestRoot
        { New-IsulaThinPool -Device /dev/vdb -Root $root -Confirm:$false } | Should -Throw -ErrorId 'ThinPoolNeedsLiveHost,IsulaKata.Commands.NewIsulaThinPoolCommand'
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'refuses a missing device, a file and a bad chunk size with their own ids' {
        { New-IsulaThinPool -Device /dev/isulakata-no-such-disk -Confirm:$false } | Should -Throw -ErrorId 'DeviceNotFound,IsulaKata.Commands.NewIsulaThinPoolCommand'
        $file = Join-Path $TestDrive 'disk.img'
        Set-Content -LiteralPath $file -Value 'x'
        { New-IsulaThinPool -Device $file -Confirm:$false } | Should -Throw -ErrorId 'DeviceNotBlockDevice,IsulaKata.Commands.NewIsulaThinPoolCommand'
        { New-IsulaThinPool -Device /dev/null -ChunkSize 96K -Confirm:$false } | Should -Throw -ErrorId 'InvalidChunkSize,IsulaKata.Commands.NewIsulaThinPoolCommand'
    }

    It 'says lvm2 is missing' {
        $env:PATH = (New-Item -ItemType Directory (Join-Path $TestDrive 'empty-path') -Force).FullName
        { New-IsulaThinPool -Device /dev/null -Confirm:$false } | Should -Throw -ErrorId 'LvmNotInstalled,IsulaKata.Commands.NewIsulaThinPoolCommand'
    }

    It 'returns the existing pool with Changed = $false and pipes into Set-IsulaRuntime' {
        New-FakePool -Device /dev/null
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $pool = New-IsulaThinPool -Device /dev/null -Confirm:$false -WarningAction SilentlyContinue
        $pool.Changed | Should -BeFalse
        $pool.PSObject.Properties.Name | Should -Be @('VolumeGroup', 'Name', 'DevicePath', 'Devices', 'SizeBytes', 'DataPercent', 'MetadataPercent',
            'MetadataSizeBytes', 'ChunkSizeBytes', 'Profile', 'AutoExtendThreshold', 'AutoExtendPercent', 'Monitored', 'Changed', 'Warnings')
        $config = $pool | Set-IsulaRuntime -Root $root -WarningAction SilentlyContinue
        $config.ThinPoolDevice | Should -Be '/dev/mapper/isula-thinpool'
        (Get-Content -Raw (Join-Path $root 'etc/isulad/daemon.json') | ConvertFrom-Json).'storage-opts' | Should -Contain 'dm.thinpooldev=/dev/mapper/isula-thinpool'
    }

    It '-WhatIf shows each change as its own "What if:" line and runs only probes' {
        New-FakePool -Device /dev/null -NoProfile
        $profile = "$state/etc/lvm/profile/isula-thinpool.profile"
        Get-WhatIfLine { New-IsulaThinPool -Device /dev/null -AutoExtendThreshold 90 -WhatIf -WarningAction SilentlyContinue } | Should -Be @(
            "What if: Performing the operation `"Write`" on target `"$profile`"."
            'What if: Performing the operation "Run" on target "lvchange --metadataprofile isula-thinpool isula/thinpool".')
        Get-FakeCommand | Should -Be @($Pvs, "$Lvs isula")
        Test-Path $profile | Should -BeFalse
    }
}

Describe 'New-IsulaThinPool on a real loop device with fake lvm' -Skip:(-not $CanUseLoopDevices) {
    BeforeAll {
        $image = Join-Path $TestDrive 'loop.img'
        $loop = New-LoopDevice -Image $image -SizeBytes 4GB
    }
    AfterAll { if ($loop) { losetup -d $loop } }
    BeforeEach { $state = New-FakeHost; Set-FakeState "size-$(Split-Path -Leaf $loop)" 4294967296 }
    AfterEach { Remove-FakeHost }

    It '-WhatIf prints every command line it would run, in order, and runs only probes' {
        Get-WhatIfLine { New-IsulaThinPool -Device $loop -WhatIf -WarningAction SilentlyContinue } | Should -Be @(
            "What if: Performing the operation `"Run`" on target `"pvcreate $loop`"."
            "What if: Performing the operation `"Run`" on target `"vgcreate isula $loop`"."
            "What if: Performing the operation `"Write`" on target `"$state/etc/lvm/profile/isula-thinpool.profile`"."
            'What if: Performing the operation "Run" on target "lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula".')
        Get-FakeCommand | Should -Be @($Pvs, "wipefs --json --no-act $loop")
    }

    It '-WhatIf with -Force shows the wipefs step first and warns what it would erase' {
        Set-FakeState "signatures-$(Split-Path -Leaf $loop)" "0x438 ext4 5c5b2a5e-09a4-4d7b-a5f4-4f8e3c1b7a10 -`n"
        $lines = Get-WhatIfLine { New-IsulaThinPool -Device $loop -Force -WhatIf -WarningVariable script:w -WarningAction SilentlyContinue }
        $lines[0] | Should -Be "What if: Performing the operation `"Run`" on target `"wipefs --all --backup $loop`"."
        $lines[1] | Should -Be "What if: Performing the operation `"Run`" on target `"pvcreate $loop`"."
        $script:w.Message | Should -Be @("-Force: erasing a ext4 filesystem or signature (at offset 0x438, UUID 5c5b2a5e-09a4-4d7b-a5f4-4f8e3c1b7a10) on $loop; wipefs keeps a copy of each signature in `$HOME/wipefs-$(Split-Path -Leaf $loop)-*.bak.")
        Get-FakeCommand | Should -Be @($Pvs, "wipefs --json --no-act $loop")
    }

    It 'creates the pool, pipes it to Set-IsulaRuntime, and reports a failure with its own error id' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $config = New-IsulaThinPool -Device $loop -Confirm:$false -WarningAction SilentlyContinue | Set-IsulaRuntime -Root $root -WarningAction SilentlyContinue
        $config.ThinPoolDevice | Should -Be '/dev/mapper/isula-thinpool'
        # No prompt (-Confirm:$false): plan and apply back to back, so the probes run once.
        Get-FakeCommand | Should -Be @($Pvs, "wipefs --json --no-act $loop", "pvcreate $loop", "vgcreate isula $loop",
            'lvcreate --yes --type thin-pool -n thinpool -l 95%VG --poolmetadatasize 40m --chunksize 64k --zero n --metadataprofile isula-thinpool isula', "$LvsWithGroup isula")

        Remove-FakeHost
        $state = New-FakeHost
        Set-FakeState fail-lvcreate '  Volume group "isula" has insufficient free space (10 extents): 20 required.'
        Set-FakeState fail-lvcreate-when 'thin-pool'
        { New-IsulaThinPool -Device $loop -Confirm:$false -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'ThinPoolCreateFailed,IsulaKata.Commands.NewIsulaThinPoolCommand'
        Get-FakeCommand | Select-Object -Last 3 | Should -Be @('vgremove isula', $Pvs, "pvremove $loop")
    }
}

Describe 'Get-IsulaThinPool' {
    BeforeEach {
        $state = New-FakeHost
        New-FakePool -Device /dev/vdb
        New-FakePool -Device /dev/vdc, /dev/vdd -VolumeGroup 'my-vg' -Name 'thin-pool' -Threshold 95 -Percent 10
        Invoke-FakeLvm lvcreate -n plain -L 64m my-vg | Out-Null
        Clear-FakeCommand
    }
    AfterEach { Remove-FakeHost }

    It 'lists every pool with one lvs and one vgs call' {
        $pools = Get-IsulaThinPool -WarningAction SilentlyContinue
        Get-FakeCommand | Should -Be @($Lvs, $Vgs)
        $pools.Count | Should -Be 2
        $pools[1].VolumeGroup | Should -Be 'my-vg'
        $pools[1].DevicePath | Should -Be '/dev/mapper/my--vg-thin--pool'
        $pools[1].Devices | Should -Be @('/dev/vdc', '/dev/vdd')
        $pools[1].AutoExtendThreshold | Should -Be 95
        $pools[1].AutoExtendPercent | Should -Be 10
        $pools[1].Changed | Should -BeFalse
    }

    It 'filters with wildcards and reports a name that matches nothing' {
        (Get-IsulaThinPool -VolumeGroup 'my-*' -WarningAction SilentlyContinue).Name | Should -Be 'thin-pool'
        (Get-IsulaThinPool -Name 'thin*' -WarningAction SilentlyContinue).Count | Should -Be 2
        Get-IsulaThinPool -VolumeGroup isula -Name nosuch -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'ThinPoolNotFound,IsulaKata.Commands.GetIsulaThinPoolCommand'
        $err[0].TargetObject | Should -Be 'isula/nosuch'
    }

    It 'reports an inactive pool without usage and says how to activate it' {
        Set-FakeState inactive
        $pool = Get-IsulaThinPool -VolumeGroup isula -WarningVariable w -WarningAction SilentlyContinue
        $pool.DataPercent | Should -BeNullOrEmpty
        $pool.MetadataPercent | Should -BeNullOrEmpty
        $pool.Monitored | Should -BeFalse
        $w.Message | Should -Contain 'isula/thinpool is not active, so lvm reports no usage. Activate it with ''lvchange -ay isula/thinpool''.'
    }

    It 'warns when the pool is not monitored, since it then never grows' {
        Set-FakeState not-monitored
        Get-IsulaThinPool -VolumeGroup isula -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Contain ('isula/thinpool is not monitored (seg_monitor ''not monitored''), so it never grows by itself: autoextend runs in dmeventd. ' +
            'Start monitoring with ''lvchange --monitor y isula/thinpool'' and enable it at boot (''systemctl enable --now lvm2-monitor'').')
    }

    It 'shows usage bars and flags in its table' {
        Set-FakeState not-monitored
        $text = Get-IsulaThinPool -WarningAction SilentlyContinue | Format-Table | Out-String -Width 120
        $text | Should -Match 'isula\s+thinpool\s+3\.79 GiB \[\.\.\.\.\.\.\.\.\.\.\]\s+0% \[#\.\.\.\.\.\.\.\.\.\]\s+10\.1% UNMONITORED\s+/dev/mapper/isula-thinpool'
        ($text -split "`n" | Measure-Object -Maximum Length).Maximum | Should -BeLessOrEqual 120
    }

    It 'refuses another -Root' {
        { Get-IsulaThinPool -Root (New-TestRoot) } | Should -Throw -ErrorId 'ThinPoolNeedsLiveHost,IsulaKata.Commands.GetIsulaThinPoolCommand'
    }
}

Describe 'Remove-IsulaThinPool' {
    BeforeEach {
        $state = New-FakeHost
        New-FakePool -Device /dev/vdb
        $profile = "$state/etc/lvm/profile/isula-thinpool.profile"
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $config = Join-Path $root 'etc/isulad/daemon.json'
        Clear-FakeCommand
    }
    AfterEach { Remove-FakeHost }

    It 'removes a piped pool, its volume group, labels and profile' {
        $removed = Get-IsulaThinPool -WarningAction SilentlyContinue | Remove-IsulaThinPool -ConfigPath $config -Confirm:$false -PassThru
        $removed.DevicePath | Should -Be '/dev/mapper/isula-thinpool'
        $removed.Devices | Should -Be @('/dev/vdb')
        Get-FakeCommand | Where-Object { $_ -notmatch '^(lvs|vgs|lvmconfig|isula) ' } | Should -Be @(
            'lvremove -y isula/thinpool', 'vgremove isula', 'pvremove /dev/vdb')
        Get-Content (Join-Path $state 'lvm/pvs') | Should -BeNullOrEmpty
        Test-Path $profile | Should -BeFalse
        (Get-ChildItem "$profile.isulakata-*.bak").Count | Should -Be 1
    }

    It 'refuses while daemon.json points at the pool, unless -Force' {
        Set-IsulaRuntime -Root $root -ThinPoolDevice /dev/mapper/isula-thinpool -WarningAction SilentlyContinue | Out-Null
        Clear-FakeCommand
        Remove-IsulaThinPool isula -ConfigPath $config -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ThinPoolInUse,IsulaKata.Commands.RemoveIsulaThinPoolCommand'
        $err[0].Exception.Message | Should -Match "sets dm.thinpooldev=/dev/mapper/isula-thinpool"
        Get-FakeCommand | Where-Object { $_ -match 'remove' } | Should -BeNullOrEmpty

        Remove-IsulaThinPool isula -ConfigPath $config -Force -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
        Get-FakeCommand | Should -Contain 'lvremove -y isula/thinpool'
        $w.Message | Should -Match '^-Force: iSulad''s configuration was not checked'
    }

    It 'refuses while the running isulad uses the pool' {
        Set-FakeState isulad-running "devicemapper`nisula-thinpool"
        Remove-IsulaThinPool isula -ConfigPath $config -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -Match 'the running isulad uses it'
    }

    It 'refuses a volume group that holds other volumes' {
        Invoke-FakeLvm lvcreate -n other -L 8m isula | Out-Null
        Remove-IsulaThinPool isula -ConfigPath $config -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VolumeGroupNotEmpty,IsulaKata.Commands.RemoveIsulaThinPoolCommand'
        $err[0].Exception.Message | Should -Match 'also holds other'
    }

    It 'reports a pool that does not exist and goes on with the next one' {
        $err = $null
        [pscustomobject]@{ VolumeGroup = 'nosuch'; Name = 'thinpool' }, [pscustomobject]@{ VolumeGroup = 'isula'; Name = 'thinpool' } |
            Remove-IsulaThinPool -ConfigPath $config -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ThinPoolNotFound,IsulaKata.Commands.RemoveIsulaThinPoolCommand'
        $err[0].Exception.Message | Should -Be 'There is no thin pool nosuch/thinpool.'
        Get-FakeCommand | Should -Contain 'pvremove /dev/vdb'
    }

    It 'quotes lvm and lists what is left when a step fails' {
        Set-FakeState fail-vgremove '  Volume group "isula" is exported'
        Remove-IsulaThinPool isula -ConfigPath $config -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ThinPoolRemoveFailed,IsulaKata.Commands.RemoveIsulaThinPoolCommand'
        $err[0].Exception.Message | Should -Match "'vgremove isula' failed with exit code 5:\s+Volume group `"isula`" is exported\s+Already done: lvremove -y isula/thinpool\."
        $err[0].ErrorDetails.RecommendedAction | Should -Match 'finish by hand: vgremove isula; pvremove /dev/vdb; '
    }

    It 'refuses another -Root and removes nothing' {
        Remove-IsulaThinPool isula -Root (New-TestRoot) -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ThinPoolNeedsLiveHost,IsulaKata.Commands.RemoveIsulaThinPoolCommand'
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It '-WhatIf shows each step and removes nothing' {
        Get-WhatIfLine { Remove-IsulaThinPool isula -ConfigPath $config -WhatIf } | Should -Be @(
            'What if: Performing the operation "Run" on target "lvremove -y isula/thinpool".'
            'What if: Performing the operation "Run" on target "vgremove isula".'
            'What if: Performing the operation "Run" on target "pvremove /dev/vdb".'
            "What if: Performing the operation `"Remove`" on target `"$profile`".")
        Get-FakeCommand | Where-Object { $_ -match 'remove' } | Should -BeNullOrEmpty
        Test-Path $profile | Should -BeTrue
    }
}

Describe 'Tab completion of storage parameters' {
    BeforeEach {
        $state = New-FakeHost
        New-FakePool -Device /dev/vdb
        New-FakePool -Device /dev/vdc -VolumeGroup 'data-vg' -Name 'pool2'
    }
    AfterEach { Remove-FakeHost }

    It 'completes -VolumeGroup from vgs and -Name from the thin pools of that group' {
        $line = 'Get-IsulaThinPool -VolumeGroup '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('isula', 'data-vg')
        $line = 'Remove-IsulaThinPool -VolumeGroup data-vg -Name '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('pool2')
        $line = 'New-IsulaThinPool -VolumeGroup d'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('data-vg')
    }

    It 'completes -Device with this machine''s block devices, whole disks first' {
        $line = 'New-IsulaThinPool -Device '
        $offered = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $expected = Get-ChildItem /sys/class/block | ForEach-Object {
            $sys = $_.ResolveLinkTarget($true).FullName
            $size = [long](Get-Content "$sys/size") * 512
            $partition = Test-Path "$sys/partition"
            if ($size -gt 0 -or $_.Name -notlike 'loop*') {
                [pscustomobject]@{
                    Path = "/dev/$($_.Name)"
                    Rank = if ($partition) { 2 } elseif ($_.Name -match '^(loop|ram|zram|dm-|md|sr|nbd|fd)') { 1 } else { 0 }
                }
            }
        } | Sort-Object Rank, { $_.Path.Substring(5) } -CaseSensitive
        $offered.CompletionText | Should -Be @($expected.Path)
        if ($offered) { $offered[0].ToolTip | Should -Match '^(whole device|partition of)' }
    }
}
