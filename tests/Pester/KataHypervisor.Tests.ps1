BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Defaults = '/usr/share/defaults/kata-containers/configuration.toml'
    $script:Etc = '/etc/kata-containers/configuration.toml'
    $script:Wrapper = '/usr/local/libexec/isulakata/stratovirt.sh'

    function New-KataRoot {
        # A scratch root with a kata fixture as the packaged configuration (or at another target path).
        param([string] $Fixture, [string] $Target = $Defaults)
        New-TestRoot @{ $Target = "Kata/$Fixture" }
    }

    function Get-Expected { param([string] $Name) Get-Content -Raw -LiteralPath (Join-Path $Fixtures "Kata/$Name") }

    function Get-ActiveHypervisorTable {
        # The [hypervisor.*] table headers kata would read (lines that are not comments).
        param([string] $Path)
        @(Get-Content -LiteralPath $Path | Where-Object { $_ -match '^\s*\[hypervisor\.[^\]]+\]' } | ForEach-Object { $_.Trim() })
    }

    $script:StratoVirtWrapper = @(
        '#!/bin/sh'
        '# StratoVirt for kata-containers, written by IsulaKata (Set-KataHypervisor).'
        "# kata starts this script as its hypervisor: it sets StratoVirt's log level, then runs the binary"
        "# with kata's arguments unchanged. Change the level with Set-KataHypervisor -LogLevel; edits here are replaced."
        'export STRATOVIRT_LOG_LEVEL=info'
        'exec /usr/bin/stratovirt "$@"'
        '') -join "`n"
}

Describe 'Set-KataHypervisor -Hypervisor StratoVirt on the kata 1.x QEMU configuration' {
    BeforeEach {
        $root = New-KataRoot 'kata1-qemu.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
    }

    It 'writes exactly the expected file: a StratoVirt table, the QEMU table commented out, keys in their tables' {
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue

        Get-Content -Raw $file | Should -BeExactly (Get-Expected 'kata1-qemu.stratovirt.expected.toml')
        Get-ActiveHypervisorTable $file | Should -Be @('[hypervisor.stratovirt]')
        $result.Changed | Should -BeTrue
        $result.Hypervisor | Should -Be 'StratoVirt'
        $result.HypervisorPath | Should -Be '/usr/bin/stratovirt'
        $result.WrapperPath | Should -Be $Wrapper
        $result.LogLevel | Should -Be 'info'
        $result.Kernel | Should -Be '/var/lib/kata/vmlinux.bin'
        $result.Initrd | Should -Be '/var/lib/kata/kata-containers-initrd.img'
        $result.Image | Should -BeNullOrEmpty
        $result.BlockDeviceDriver | Should -Be 'virtio-mmio'
        $result.UseVsock | Should -BeTrue
        $result.SandboxCgroupWithEmulator | Should -BeFalse
        $result.SandboxCgroupWithEmulator | Should -Not -BeNullOrEmpty
        $result.Runtime | Should -Be 'io.containerd.kata.v2'
        $result.ConfigPath | Should -Be $Defaults
        $result.ConfigSource | Should -Be 'Defaults'
        $result.ConfigReason | Should -Be '/etc/kata-containers/configuration.toml does not exist, so kata reads the packaged /usr/share/defaults/kata-containers/configuration.toml'
        $result.BackupPath | Should -Match '^/usr/share/defaults/kata-containers/configuration\.toml\.isulakata-\d{14}\.bak$'
        $result.Root | Should -Be $root
        $result.ActiveHypervisors | Should -Be @('hypervisor.stratovirt')
    }

    It 'reports every change, the QEMU table it commented out among them' {
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.Changes | Should -Be @(
            '[hypervisor.stratovirt] added'
            "[hypervisor.qemu] commented out with '#isulakata-disabled#' so that only [hypervisor.stratovirt] is active (-Hypervisor Qemu restores it)"
            '[hypervisor.stratovirt] path = "/usr/local/libexec/isulakata/stratovirt.sh" (added)'
            '[hypervisor.stratovirt] kernel = "/var/lib/kata/vmlinux.bin" (added)'
            '[hypervisor.stratovirt] initrd = "/var/lib/kata/kata-containers-initrd.img" (added)'
            '[hypervisor.stratovirt] machine_type = "microvm" (added)'
            '[hypervisor.stratovirt] default_vcpus = 1 (added)'
            '[hypervisor.stratovirt] default_memory = 2048 (added)'
            '[hypervisor.stratovirt] block_device_driver = "virtio-mmio" (added)'
            '[hypervisor.stratovirt] use_vsock = true (added)'
            '[hypervisor.stratovirt] disable_block_device_use = false (added)'
            '[hypervisor.stratovirt] disable_vhost_net = true (added)'
            '[runtime] sandbox_cgroup_with_emulator: true -> false')
    }

    It 'keeps every comment and blank line: the original lines all survive, in order, the QEMU table behind the marker' {
        $before = Get-Content $file
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $after = Get-Content $file | ForEach-Object { $_ -replace '^#isulakata-disabled# ?', '' }
        $comments = $before | Where-Object { $_ -match '^\s*#' }
        $kept = $after | Where-Object { $_ -match '^\s*#' }
        $missing = Compare-Object $comments $kept | Where-Object SideIndicator -EQ '<='
        $missing | Should -BeNullOrEmpty
        ($after | Where-Object { $_ -eq '' }).Count | Should -Be (($before | Where-Object { $_ -eq '' }).Count + 1)
    }

    It 'warns that the kernel, initrd and binary are missing on the target, and not when they exist' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Be @(
            "No guest kernel was found (/var/lib/kata/kernel, which the kata-containers package ships): [hypervisor.stratovirt] names the guide's /var/lib/kata/vmlinux.bin, which must be placed (Install-KataGuestKernel), or pass -Kernel."
            "netmon was left off: neither '/usr/libexec/kata-containers/kata-netmon' ([netmon] path) nor /usr/bin/kata-netmon exists on the target, and a sandbox whose netmon cannot start fails. Install kata-containers (it ships kata-netmon), then run Set-KataHypervisor again."
            "The kernel '/var/lib/kata/vmlinux.bin' named in [hypervisor.stratovirt] does not exist on the target: kata cannot start the VM until it does (Install-KataGuestKernel places one)."
            "The initrd '/var/lib/kata/kata-containers-initrd.img' named in [hypervisor.stratovirt] does not exist on the target: kata cannot start the VM until it does (install kata-containers, which ships it, or build one with kata's osbuilder)."
            "The hypervisor binary '/usr/bin/stratovirt' named in [hypervisor.stratovirt] does not exist on the target: kata cannot start the VM until it does (install the stratovirt package, or pass its path with -HypervisorPath).")

        foreach ($present in 'var/lib/kata/vmlinux.bin', 'var/lib/kata/kata-containers-initrd.img', 'usr/bin/stratovirt', 'usr/bin/kata-netmon') {
            New-Item -ItemType File -Path (Join-Path $root $present) -Force | Out-Null
        }
        [IO.File]::WriteAllBytes((Join-Path $root 'var/lib/kata/vmlinux.bin'), [byte[]](0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0))
        $again = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w2
        $w2 | Should -BeNullOrEmpty
        $again.KernelExists | Should -BeTrue
        $again.InitrdExists | Should -BeTrue
        $again.HypervisorPathExists | Should -BeTrue
    }

    It 'writes the wrapper script: /bin/sh, the log level, exec with "$@", mode 0755, owned by root' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $script = Join-Path $root $Wrapper.TrimStart('/')
        Get-Content -Raw $script | Should -BeExactly $StratoVirtWrapper
        (Get-Item $script).UnixMode | Should -Be '-rwxr-xr-x'
        if ((id -u) -eq '0') { stat -c '%u:%g' $script | Should -Be '0:0' }
        (sh -n $script 2>&1) | Should -BeNullOrEmpty
    }

    It 'quotes a binary path with a space, and writes -LogLevel in lower case' {
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -LogLevel DEBUG -HypervisorPath '/opt/strato virt/stratovirt' -WarningAction SilentlyContinue
        $lines = Get-Content (Join-Path $root $Wrapper.TrimStart('/'))
        $lines[-2] | Should -BeExactly 'export STRATOVIRT_LOG_LEVEL=debug'
        $lines[-1] | Should -BeExactly "exec '/opt/strato virt/stratovirt' `"`$@`""
        $result.HypervisorPath | Should -Be '/opt/strato virt/stratovirt'
        $result.LogLevel | Should -Be 'debug'
    }

    It 'passes arguments with spaces through the wrapper intact' {
        $bin = Join-Path $TestDrive 'show-args'
        Set-Content -LiteralPath $bin -Value "#!/bin/sh`necho `"`$STRATOVIRT_LOG_LEVEL`"`nfor a in `"`$@`"; do echo `"[`$a]`"; done" -NoNewline
        chmod 755 $bin
        Set-KataHypervisor -Hypervisor StratoVirt -HypervisorPath $bin -LogLevel warn -Root $root -WarningAction SilentlyContinue | Out-Null
        $output = & (Join-Path $root $Wrapper.TrimStart('/')) -name 'sandbox one' -kernel /var/lib/kata/vmlinux.bin
        $output | Should -Be @('warn', '[-name]', '[sandbox one]', '[-kernel]', '[/var/lib/kata/vmlinux.bin]')
    }

    It 'changes nothing, writes nothing and makes no backup on a second identical call' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $hash = Get-Sha256 $file
        $stamp = (Get-Item $file).LastWriteTimeUtc
        $script = Join-Path $root $Wrapper.TrimStart('/')
        $scriptStamp = (Get-Item $script).LastWriteTimeUtc
        $files = (Get-ChildItem -Recurse -File $root).FullName

        $second = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $second.Changed | Should -BeFalse
        $second.BackupPath | Should -BeNullOrEmpty
        $second.Changes | Should -BeNullOrEmpty
        Get-Sha256 $file | Should -Be $hash
        (Get-Item $file).LastWriteTimeUtc | Should -Be $stamp
        (Get-Item $script).LastWriteTimeUtc | Should -Be $scriptStamp
        (Get-ChildItem -Recurse -File $root).FullName | Should -Be $files
    }

    It 'puts back a wrapper whose mode was changed, and says so' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $script = Join-Path $root $Wrapper.TrimStart('/')
        chmod 600 $script
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.Changed | Should -BeTrue
        $result.Changes | Should -BeNullOrEmpty
        (Get-Item $script).UnixMode | Should -Be '-rwxr-xr-x'
    }

    It '-WhatIf shows the change and writes nothing: no configuration change, no wrapper, no command' {
        $state = New-FakeHost
        try {
            $hash = Get-Sha256 $file
            $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WhatIf -WarningAction SilentlyContinue -InformationVariable plan
            Get-Sha256 $file | Should -Be $hash
            Test-Path (Join-Path $root $Wrapper.TrimStart('/')) | Should -BeFalse
            (Get-ChildItem (Split-Path $file)).Name | Should -Be @('configuration.toml')
            $result | Should -BeNullOrEmpty -Because '-WhatIf returns no object'
            $planned = @($plan | Where-Object { $_.Tags -contains 'IsulaKata.WhatIf' } | ForEach-Object MessageData)
            $planned.Count | Should -Be 2
            $planned[0].Action | Should -BeLike 'Write the StratoVirt wrapper script (mode 0755): *'
            $planned[1].Action | Should -BeLike 'Update: *'
            Get-FakeCommand | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }

    It 'switching to Qemu and back restores each table exactly as it was' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $afterStratoVirt = Get-Content -Raw $file

        $qemu = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        $qemu.Changes | Should -Be @(
            "line 394: 'sandbox_cgroup_with_emulator = false' -> 'sandbox_cgroup_with_emulator = true', as it was before Set-KataHypervisor -Hypervisor StratoVirt"
            "[hypervisor.qemu] restored (it was commented out with '#isulakata-disabled#')"
            "[hypervisor.stratovirt] removed (Set-KataHypervisor had added it; -Hypervisor StratoVirt adds it again)")
        Get-ActiveHypervisorTable $file | Should -Be @('[hypervisor.qemu]')
        # The whole file is back byte for byte: the QEMU table restored, the table built for StratoVirt removed, the
        # [runtime] value it replaced put back.
        Get-Content -Raw $file | Should -BeExactly (Get-Expected 'kata1-qemu.toml')
        $qemu.HypervisorPath | Should -Be '/usr/bin/qemu-kvm'
        $qemu.Kernel | Should -Be '/var/lib/kata/kernel'
        $qemu.WrapperPath | Should -BeNullOrEmpty

        $back = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        Get-Content -Raw $file | Should -BeExactly $afterStratoVirt
        $back.Changes[0..1] | Should -Be @(
            '[hypervisor.stratovirt] added'
            "[hypervisor.qemu] commented out with '#isulakata-disabled#' so that only [hypervisor.stratovirt] is active (-Hypervisor Qemu restores it)")
    }

    It 'accepts the hypervisor name in any case' {
        (Set-KataHypervisor -Hypervisor stratovirt -Root $root -WarningAction SilentlyContinue).Hypervisor | Should -BeExactly 'StratoVirt'
        (Set-KataHypervisor -Hypervisor QEMU -Root $root -WarningAction SilentlyContinue).Hypervisor | Should -BeExactly 'Qemu'
    }
}

Describe 'Set-KataHypervisor -Hypervisor Qemu' {
    It 'on the kata 1.x QEMU configuration changes nothing (QEMU keeps the shipped emulator cgroup), and writes no wrapper' {
        $root = New-KataRoot 'kata1-qemu.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
        $result = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        Get-Content -Raw $file | Should -BeExactly (Get-Expected 'kata1-qemu.toml')
        $result.Changed | Should -BeFalse
        $result.Changes | Should -BeNullOrEmpty
        $result.BackupPath | Should -BeNullOrEmpty
        $result.SandboxCgroupWithEmulator | Should -BeTrue
        $result.HypervisorPath | Should -Be '/usr/bin/qemu-kvm'
        $result.Initrd | Should -Be '/var/lib/kata/kata-containers-initrd.img'
        $result.UseVsock | Should -BeNullOrEmpty
        Test-Path (Join-Path $root 'usr/local/libexec') | Should -BeFalse
    }

    It 'sets the binary, kernel and initrd given' {
        $root = New-KataRoot 'kata1-qemu.toml'
        $result = Set-KataHypervisor -Hypervisor Qemu -HypervisorPath /usr/libexec/qemu-kvm -Kernel /var/lib/kata/vmlinuz -Initrd /var/lib/kata/initrd.img -Root $root -WarningAction SilentlyContinue
        $result.Changes | Should -Be @(
            '[hypervisor.qemu] path: "/usr/bin/qemu-kvm" -> "/usr/libexec/qemu-kvm"'
            '[hypervisor.qemu] kernel: "/var/lib/kata/kernel" -> "/var/lib/kata/vmlinuz"'
            '[hypervisor.qemu] initrd: "/var/lib/kata/kata-containers-initrd.img" -> "/var/lib/kata/initrd.img"')
        $lines = Get-Content (Join-Path $root $Defaults.TrimStart('/'))
        $header = [array]::IndexOf($lines, '[hypervisor.qemu]')
        $lines[($header + 1)..($header + 4)] | Should -Be @('path = "/usr/libexec/qemu-kvm"', 'kernel = "/var/lib/kata/vmlinuz"', 'initrd = "/var/lib/kata/initrd.img"', 'machine_type = "pc"')
    }

    It 'warns when initrd and image are both set, and -Initrd comments image out' {
        $root = New-KataRoot 'kata1-qemu.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
        [IO.File]::WriteAllText($file, (Get-Content -Raw $file).Replace("initrd = `"/var/lib/kata/kata-containers-initrd.img`"`n", "initrd = `"/var/lib/kata/kata-containers-initrd.img`"`nimage = `"/var/lib/kata/kata-containers.img`"`n"))
        $both = "[hypervisor.qemu] in '$Defaults' sets both initrd and image; kata takes only one of them. Run Set-KataHypervisor with -Initrd or -Image."
        Get-KataHypervisor -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Contain $both
        Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Contain $both
        $result = Set-KataHypervisor -Hypervisor Qemu -Initrd /var/lib/kata/kata-containers-initrd.img -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $w.Message | Should -Not -Contain $both
        $result.Changes | Should -Be @('[hypervisor.qemu] image = "/var/lib/kata/kata-containers.img" (line 26) commented out: kata takes either initrd or image, and initrd is set')
        $result.Image | Should -BeNullOrEmpty
        (Get-Content $file)[25] | Should -BeExactly '#isulakata-disabled# image = "/var/lib/kata/kata-containers.img"'
    }

    It 'refuses the StratoVirt-only parameters' {
        $root = New-KataRoot 'kata1-qemu.toml'
        { Set-KataHypervisor -Hypervisor Qemu -LogLevel debug -Root $root } | Should -Throw -ErrorId 'ParameterNotForHypervisor,IsulaKata.Commands.SetKataHypervisorCommand'
        { Set-KataHypervisor -Hypervisor Qemu -WrapperPath /usr/local/bin/q.sh -Root $root } | Should -Throw -ErrorId 'ParameterNotForHypervisor,IsulaKata.Commands.SetKataHypervisorCommand'
        { Set-KataHypervisor -Hypervisor Qemu -OzonePath /usr/bin/ozone -Root $root } | Should -Throw -ErrorId 'ParameterNotForHypervisor,IsulaKata.Commands.SetKataHypervisorCommand'
    }
}

Describe 'Set-KataHypervisor on the guide''s snippet' {
    BeforeEach {
        $root = New-KataRoot 'kata1-guide-snippet.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
    }

    It 'leaves one hypervisor table, moves each key to the table kata reads it from, and says what it commented out' {
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue

        Get-Content -Raw $file | Should -BeExactly (Get-Expected 'kata1-guide-snippet.stratovirt.expected.toml')
        Get-ActiveHypervisorTable $file | Should -Be @('[hypervisor.stratovirt]')
        $w.Message | Should -Contain "'enable_netmon' in [hypervisor.stratovirt] at line 28 of '$Defaults' had no effect (kata reads it only from [netmon]); it was commented out."
        $w.Message | Should -Contain "'internetworking_model' in [hypervisor.stratovirt] at line 29 of '$Defaults' had no effect (kata reads it only from [runtime]); it was commented out; it is set in [runtime] instead."
        $w.Message | Should -Contain "'sandbox_cgroup_with_emulator' in [hypervisor.stratovirt] at line 30 of '$Defaults' had no effect (kata reads it only from [runtime]); it was commented out; it is set in [runtime] instead."
        $w.Message | Should -Contain "'disable_new_netns' in [hypervisor.stratovirt] at line 31 of '$Defaults' had no effect (kata reads it only from [runtime]); it was commented out."
        $result.Changes[0] | Should -Match '^\[hypervisor\.qemu\] commented out'
        $result.Changes[1] | Should -Be 'enable_netmon = true in [hypervisor.stratovirt] (line 28) commented out: kata reads it only from [netmon]'
        $result.Changes | Should -Contain '[hypervisor.stratovirt] path: "/home/stratovirt.sh" -> "/usr/local/libexec/isulakata/stratovirt.sh"'
    }

    It 'Get-KataHypervisor warns that kata picks one of the two active tables at random' {
        $config = Get-KataHypervisor -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $config.ActiveHypervisors | Should -Be @('hypervisor.stratovirt', 'hypervisor.qemu')
        $w.Message | Should -Contain "'$Defaults' has 2 active hypervisor tables ([hypervisor.stratovirt], [hypervisor.qemu]): kata picks one of them at random. Run Set-KataHypervisor to keep exactly one."
        $config.Hypervisor | Should -Be 'StratoVirt'
        $config.HypervisorPath | Should -Be '/home/stratovirt.sh'
    }

    It 'reads the guide''s wrapper: its binary and log level' {
        $guide = Join-Path $root 'home/stratovirt.sh'
        New-Item -ItemType Directory (Split-Path $guide) -Force | Out-Null
        Set-Content -LiteralPath $guide -Value "#!/bin/bash`nexport STRATOVIRT_LOG_LEVEL=info  # trace, debug, info, warn or error`n/usr/bin/stratovirt `$@`n" -NoNewline
        $config = Get-KataHypervisor -Root $root -WarningAction SilentlyContinue
        $config.WrapperPath | Should -Be '/home/stratovirt.sh'
        $config.HypervisorPath | Should -Be '/usr/bin/stratovirt'
        $config.LogLevel | Should -Be 'info'
    }
}

Describe 'Set-KataHypervisor on the kata 2.x StratoVirt configuration' {
    It 'points path at the wrapper, adds the keys this kata lacks, and leaves [runtime] without sandbox_cgroup_with_emulator' {
        $root = New-KataRoot 'kata2-stratovirt.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        Get-Content -Raw $file | Should -BeExactly (Get-Expected 'kata2-stratovirt.expected.toml')
        $result.SandboxCgroupWithEmulator | Should -BeNullOrEmpty
        Get-Content $file | Should -Not -Contain 'sandbox_cgroup_with_emulator = false'
        $result.Changes | Should -Be @(
            '[hypervisor.stratovirt] path: "/usr/bin/stratovirt" -> "/usr/local/libexec/isulakata/stratovirt.sh"'
            '[hypervisor.stratovirt] kernel: "/var/lib/kata/kernel" -> "/var/lib/kata/vmlinux.bin"')
    }

    It 'keeps Windows line endings in a CRLF file' {
        $root = New-TestRoot
        $file = Join-Path $root $Defaults.TrimStart('/')
        New-Item -ItemType Directory (Split-Path $file) -Force | Out-Null
        [IO.File]::WriteAllText($file, (Get-Content -Raw (Join-Path $Fixtures 'Kata/kata2-stratovirt.toml')).Replace("`n", "`r`n"))
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        [IO.File]::ReadAllText($file) | Should -BeExactly (Get-Expected 'kata2-stratovirt.expected.toml').Replace("`n", "`r`n")
    }

    It '-OzonePath enables the commented ozone_path line in place' {
        $root = New-KataRoot 'kata2-stratovirt.toml'
        $result = Set-KataHypervisor -Hypervisor StratoVirt -OzonePath /usr/bin/ozone -Root $root -WarningAction SilentlyContinue
        $result.OzonePath | Should -Be '/usr/bin/ozone'
        $result.Changes | Should -Contain '[hypervisor.stratovirt] ozone_path = "/usr/bin/ozone" (the commented line 27 enabled)'
        (Get-Content (Join-Path $root $Defaults.TrimStart('/')))[26] | Should -BeExactly 'ozone_path = "/usr/bin/ozone"'
    }

    It '-EnableTemplate enables [factory] enable_template in place' {
        $root = New-KataRoot 'kata2-stratovirt.toml'
        $result = Set-KataHypervisor -Hypervisor StratoVirt -EnableTemplate -Root $root -WarningAction SilentlyContinue
        $result.EnableTemplate | Should -BeTrue
        $lines = Get-Content (Join-Path $root $Defaults.TrimStart('/'))
        $lines | Should -Contain 'enable_template = true'
        $lines | Should -Not -Contain '#enable_template = true'
    }

    It '-Image comments out initrd and sets image in place of its commented line; -Initrd swaps them back' {
        $root = New-KataRoot 'kata2-stratovirt.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Image /var/lib/kata/kata-containers-rootfs.img -Root $root -WarningAction SilentlyContinue
        $result.Image | Should -Be '/var/lib/kata/kata-containers-rootfs.img'
        $result.Initrd | Should -BeNullOrEmpty
        $result.Changes | Should -Contain '[hypervisor.stratovirt] initrd = "/var/lib/kata/kata-containers-initrd.img" (line 11) commented out: kata takes either initrd or image, and image is set'
        (Get-Content $file)[10..11] | Should -Be @('#isulakata-disabled# initrd = "/var/lib/kata/kata-containers-initrd.img"', 'image = "/var/lib/kata/kata-containers-rootfs.img"')

        $back = Set-KataHypervisor -Hypervisor StratoVirt -Initrd /var/lib/kata/kata-containers-initrd.img -Root $root -WarningAction SilentlyContinue
        $back.Initrd | Should -Be '/var/lib/kata/kata-containers-initrd.img'
        $back.Image | Should -BeNullOrEmpty
        (Get-Content $file)[10..11] | Should -Be @('initrd = "/var/lib/kata/kata-containers-initrd.img"', '#isulakata-disabled# image = "/var/lib/kata/kata-containers-rootfs.img"')
    }

    It 'refuses -EnableTemplate with -Image, and with a table that boots from an image, writing nothing' {
        $root = New-KataRoot 'runtime-rs-qemu.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
        $hash = Get-Sha256 $file
        { Set-KataHypervisor -Hypervisor StratoVirt -Image /var/lib/kata/rootfs.img -EnableTemplate -Root $root } | Should -Throw -ErrorId 'TemplateNeedsInitrd,IsulaKata.Commands.SetKataHypervisorCommand'
        { Set-KataHypervisor -Hypervisor Qemu -EnableTemplate -Root $root } | Should -Throw -ErrorId 'TemplateNeedsInitrd,IsulaKata.Commands.SetKataHypervisorCommand'
        Get-Sha256 $file | Should -Be $hash
    }
}

Describe 'Set-KataHypervisor on a runtime-rs (kata 3) configuration' {
    BeforeEach {
        $root = New-KataRoot 'runtime-rs-qemu.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
        $hash = Get-Sha256 $file
    }

    It 'refuses StratoVirt, which runtime-rs cannot start, and leaves the file as it was' {
        { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } | Should -Throw -ErrorId 'HypervisorNotSupportedByRuntime,IsulaKata.Commands.SetKataHypervisorCommand'
        Get-Sha256 $file | Should -Be $hash
        Test-Path (Join-Path $root 'usr/local') | Should -BeFalse
        try { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } catch { $err = $_ }
        $err.Exception.Message | Should -BeLike "*is a kata runtime-rs configuration*has no ``[hypervisor.stratovirt``] table*"
        $err.ErrorDetails.RecommendedAction | Should -BeLike 'Use -Hypervisor Qemu*'
    }

    It 'leaves a runtime-rs QEMU configuration as it is' {
        $result = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        $result.Changed | Should -BeFalse
        $result.RuntimeRs | Should -BeTrue
        $result.Image | Should -Be '/opt/kata/share/kata-containers/kata-containers.img'
        $result.SandboxCgroupWithEmulator | Should -BeNullOrEmpty
        Get-Sha256 $file | Should -Be $hash
    }

    It 'sets [runtime] hypervisor_name, the mechanism runtime-rs uses' {
        [IO.File]::WriteAllText($file, (Get-Content -Raw $file).Replace('hypervisor_name="qemu"', 'hypervisor_name="dragonball"'))
        Get-KataHypervisor -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Contain "[runtime] hypervisor_name = `"dragonball`" in '$Defaults', but the file has no active [hypervisor.dragonball] table: kata cannot start a VM."
        $result = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        $result.Changes | Should -Be @('[runtime] hypervisor_name: "dragonball" -> "qemu"')
        Get-Sha256 $file | Should -Be $hash
    }
}

Describe 'Set-KataHypervisor finds the file kata reads' {
    It 'edits /etc/kata-containers/configuration.toml when it exists, and leaves the packaged file alone' {
        $root = New-TestRoot @{ $Etc = 'Kata/kata1-qemu.toml'; $Defaults = 'Kata/kata2-stratovirt.toml' }
        $packaged = Get-Sha256 (Join-Path $root $Defaults.TrimStart('/'))
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.ConfigPath | Should -Be $Etc
        $result.ConfigSource | Should -Be 'Etc'
        $result.ConfigReason | Should -Be '/etc/kata-containers/configuration.toml exists, and kata reads it instead of the packaged /usr/share/defaults/kata-containers/configuration.toml'
        Get-Content -Raw (Join-Path $root $Etc.TrimStart('/')) | Should -BeExactly (Get-Expected 'kata1-qemu.stratovirt.expected.toml')
        Get-Sha256 (Join-Path $root $Defaults.TrimStart('/')) | Should -Be $packaged
    }

    It 'warns when -ConfigPath names a file that kata does not read' {
        $root = New-TestRoot @{ $Etc = 'Kata/kata1-qemu.toml'; $Defaults = 'Kata/kata2-stratovirt.toml' }
        $result = Set-KataHypervisor -Hypervisor StratoVirt -ConfigPath $Defaults -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $result.ConfigSource | Should -Be 'Parameter'
        $w.Message | Should -Contain "kata reads '$Etc', not '$Defaults': changes to '$Defaults' take no effect while '$Etc' exists."
        Get-Content -Raw (Join-Path $root $Defaults.TrimStart('/')) | Should -BeExactly (Get-Expected 'kata2-stratovirt.expected.toml')
    }

    It 'edits the file a packaged symlink points at, keeps the link, and says so' {
        $root = New-TestRoot @{ '/usr/share/defaults/kata-containers/configuration-stratovirt.toml' = 'Kata/kata2-stratovirt.toml' }
        New-Item -ItemType SymbolicLink -Path (Join-Path $root $Defaults.TrimStart('/')) -Target 'configuration-stratovirt.toml' | Out-Null
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.ConfigReason | Should -BeLike '*(a symbolic link to /usr/share/defaults/kata-containers/configuration-stratovirt.toml, which is the file edited)'
        (Get-Item (Join-Path $root $Defaults.TrimStart('/'))).LinkTarget | Should -Be 'configuration-stratovirt.toml'
        Get-Content -Raw (Join-Path $root 'usr/share/defaults/kata-containers/configuration-stratovirt.toml') | Should -BeExactly (Get-Expected 'kata2-stratovirt.expected.toml')
    }

    It 'says so when no configuration exists' {
        $root = New-TestRoot
        { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } | Should -Throw -ErrorId 'KataConfigNotFound,IsulaKata.Commands.SetKataHypervisorCommand'
        { Get-KataHypervisor -Root $root } | Should -Throw -ErrorId 'KataConfigNotFound,IsulaKata.Commands.GetKataHypervisorCommand'
        Test-Path (Join-Path $root 'usr') | Should -BeFalse
    }
}

Describe 'Set-KataHypervisor refuses bad input before writing anything' {
    BeforeEach {
        $root = New-KataRoot 'kata1-qemu.toml'
        $file = Join-Path $root $Defaults.TrimStart('/')
        $hash = Get-Sha256 $file
    }
    AfterEach {
        Get-Sha256 $file | Should -Be $hash
    }

    It 'names the line and column of invalid TOML and leaves the file and the wrapper untouched' {
        $broken = (Get-Content -Raw $file).Replace('default_memory = 2048', 'default_memory = ')
        [IO.File]::WriteAllText($file, $broken)
        $hash = Get-Sha256 $file
        try { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KataConfigInvalid,IsulaKata.Commands.SetKataHypervisorCommand'
        $err.Exception.Message | Should -BeLike "'$Defaults' is not valid TOML: line 76, column 18: Unexpected token end-of-line found while expecting a value. The file was not changed."
        $err.ErrorDetails.RecommendedAction | Should -BeLike 'Fix line 76 of *'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        Test-Path (Join-Path $root 'usr/local') | Should -BeFalse
        { Get-KataHypervisor -Root $root } | Should -Throw -ErrorId 'KataConfigInvalid,IsulaKata.Commands.GetKataHypervisorCommand'
    }

    It 'refuses a second table of the same name' {
        [IO.File]::WriteAllText($file, (Get-Content -Raw $file) + "`n[hypervisor.qemu]`npath = `"/usr/bin/qemu-kvm`"`n")
        $hash = Get-Sha256 $file
        { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } | Should -Throw -ErrorId 'KataConfigInvalid,IsulaKata.Commands.SetKataHypervisorCommand'
    }

    It 'refuses a relative path' {
        { Set-KataHypervisor -Hypervisor StratoVirt -Kernel vmlinux.bin -Root $root } | Should -Throw -ErrorId 'PathNotAbsolute,IsulaKata.Commands.SetKataHypervisorCommand'
    }

    It 'refuses an unknown hypervisor or log level' {
        try { Set-KataHypervisor -Hypervisor Firecracker -Root $root } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'UnknownHypervisor,IsulaKata.Commands.SetKataHypervisorCommand'
        $err.ErrorDetails.RecommendedAction | Should -Be 'Use -Hypervisor StratoVirt or -Hypervisor Qemu.'
        try { Set-KataHypervisor -Hypervisor StratoVirt -LogLevel verbose -Root $root } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidLogLevel,IsulaKata.Commands.SetKataHypervisorCommand'
        $err.ErrorDetails.RecommendedAction | Should -Be 'Use one of: trace, debug, info, warn, error.'
        Test-Path (Join-Path $root 'usr/local') | Should -BeFalse
    }

    It 'refuses to write the wrapper over a file that is not a wrapper, or over the binary' {
        $binary = Join-Path $root 'usr/bin/stratovirt'
        New-Item -ItemType Directory (Split-Path $binary) -Force | Out-Null
        [IO.File]::WriteAllBytes($binary, [byte[]](0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0))
        { Set-KataHypervisor -Hypervisor StratoVirt -WrapperPath /usr/bin/stratovirt -Root $root } | Should -Throw -ErrorId 'WrapperPathInUse,IsulaKata.Commands.SetKataHypervisorCommand'
        { Set-KataHypervisor -Hypervisor StratoVirt -WrapperPath /usr/bin/strato -HypervisorPath /usr/bin/strato -Root $root } | Should -Throw -ErrorId 'WrapperPathInUse,IsulaKata.Commands.SetKataHypervisorCommand'
        $other = Join-Path $root 'usr/local/bin/tool'
        New-Item -ItemType File $other -Force -Value "#!/bin/sh`necho hello`n" | Out-Null
        { Set-KataHypervisor -Hypervisor StratoVirt -WrapperPath /usr/local/bin/tool -Root $root } | Should -Throw -ErrorId 'WrapperPathInUse,IsulaKata.Commands.SetKataHypervisorCommand'
        Get-Content -Raw $other | Should -BeExactly "#!/bin/sh`necho hello`n"
        [IO.File]::ReadAllBytes($binary).Length | Should -Be 8
    }
}

Describe 'The TOML editor' {
    It 'keeps a comment after a value it changes, and the value''s spacing' {
        $root = New-TestRoot
        $file = Join-Path $root $Defaults.TrimStart('/')
        New-Item -ItemType Directory (Split-Path $file) -Force | Out-Null
        $text = "[hypervisor.qemu]`npath   =   'https://gh.072103.xyz/usr/bin/qemu-kvm'   # the distribution's QEMU`nkernel = `"/boot/k`"`n`n[runtime]`nsandbox_cgroup_with_emulator=true# openEuler`n"
        [IO.File]::WriteAllText($file, $text)
        Set-KataHypervisor -Hypervisor Qemu -HypervisorPath /usr/libexec/qemu-kvm -Root $root -WarningAction SilentlyContinue | Out-Null
        [IO.File]::ReadAllText($file) | Should -BeExactly "[hypervisor.qemu]`npath   =   `"/usr/libexec/qemu-kvm`"   # the distribution's QEMU`nkernel = `"/boot/k`"`ninitrd = `"/var/lib/kata/kata-containers-initrd.img`"`nmachine_type = `"q35`"`ndefault_vcpus = 1`ndefault_memory = 2048`n`n[runtime]`nsandbox_cgroup_with_emulator=true# openEuler`n"
    }

    It 'does not take a commented line inside a multi-line array for a commented key' {
        $root = New-TestRoot
        $file = Join-Path $root $Defaults.TrimStart('/')
        New-Item -ItemType Directory (Split-Path $file) -Force | Out-Null
        $text = "[hypervisor.stratovirt]`npath = `"/usr/bin/stratovirt`"`nvalid_entropy_sources = [`n    `"/dev/urandom`",`n    #use_vsock = true`n]`n`n[proxy.kata]`npath = `"/usr/libexec/kata-containers/kata-proxy`"`n"
        [IO.File]::WriteAllText($file, $text)
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.Changes | Should -Contain '[hypervisor.stratovirt] use_vsock = true (added)'
        $lines = Get-Content $file
        $lines[4] | Should -BeExactly '    #use_vsock = true'
        $lines | Should -Contain 'use_vsock = true'
    }

    It 'adds a table kata needs when the file has none, and ends the file with a newline' {
        $root = New-TestRoot
        $file = Join-Path $root $Defaults.TrimStart('/')
        New-Item -ItemType Directory (Split-Path $file) -Force | Out-Null
        [IO.File]::WriteAllText($file, "[hypervisor.qemu]`npath = `"/usr/bin/qemu-kvm`"")
        Set-KataHypervisor -Hypervisor StratoVirt -EnableTemplate -Root $root -WarningAction SilentlyContinue | Out-Null
        [IO.File]::ReadAllText($file) | Should -BeExactly (@(
                '#isulakata-built# Set-KataHypervisor added the table below; choosing another hypervisor removes it again.'
                '[hypervisor.stratovirt]'
                'path = "/usr/local/libexec/isulakata/stratovirt.sh"'
                'kernel = "/var/lib/kata/vmlinux.bin"'
                'initrd = "/var/lib/kata/kata-containers-initrd.img"'
                'machine_type = "microvm"'
                'block_device_driver = "virtio-mmio"'
                'disable_vhost_net = true'
                'shared_fs = "virtio-fs"'
                'virtio_fs_daemon = "/usr/libexec/virtiofsd"'
                ''
                '#isulakata-disabled# [hypervisor.qemu]'
                '#isulakata-disabled# path = "/usr/bin/qemu-kvm"'
                ''
                '[runtime]'
                '#isulakata-was# (not set)'
                'internetworking_model = "tcfilter"'
                ''
                '[factory]'
                'enable_template = true'
                '') -join "`n")
    }

    It 'comments out keys the guide put before the first table' {
        $root = New-TestRoot
        $file = Join-Path $root $Defaults.TrimStart('/')
        New-Item -ItemType Directory (Split-Path $file) -Force | Out-Null
        [IO.File]::WriteAllText($file, "enable_netmon = true`n`n[hypervisor.qemu]`npath = `"/usr/bin/qemu-kvm`"`n`n[netmon]`n#enable_netmon = true`npath = `"/usr/bin/kata-netmon`"`n")
        New-Item -ItemType File (Join-Path $root 'usr/bin/kata-netmon') -Force | Out-Null
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.Changes | Should -Contain 'enable_netmon = true before the first table (line 1) commented out: kata reads it only from [netmon]; it is set in [netmon] instead'
        $lines = Get-Content $file
        $lines[0] | Should -BeExactly '#isulakata-disabled# enable_netmon = true'
        $lines | Should -Contain 'enable_netmon = true'
    }
}

Describe 'Get-KataHypervisor' {
    It 'reads the hypervisor kata will start, its paths and whether they exist, without writing' {
        $root = New-KataRoot 'kata1-qemu.toml'
        New-Item -ItemType File -Path (Join-Path $root 'usr/bin/qemu-kvm') -Force | Out-Null
        $files = (Get-ChildItem -Recurse -File $root).FullName
        $config = Get-KataHypervisor -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $config.Hypervisor | Should -Be 'Qemu'
        $config.HypervisorPath | Should -Be '/usr/bin/qemu-kvm'
        $config.HypervisorPathExists | Should -BeTrue
        $config.Kernel | Should -Be '/var/lib/kata/kernel'
        $config.KernelExists | Should -BeFalse
        $config.Initrd | Should -Be '/var/lib/kata/kata-containers-initrd.img'
        $config.BlockDeviceDriver | Should -Be 'virtio-scsi'
        $config.UseVsock | Should -BeNullOrEmpty
        $config.SandboxCgroupWithEmulator | Should -BeTrue
        $config.Changed | Should -BeFalse
        $config.ActiveHypervisors | Should -Be @('hypervisor.qemu')
        $w.Message | Should -Be @(
            "The kernel '/var/lib/kata/kernel' named in [hypervisor.qemu] does not exist on the target: kata cannot start the VM until it does (Install-KataGuestKernel places one)."
            "The initrd '/var/lib/kata/kata-containers-initrd.img' named in [hypervisor.qemu] does not exist on the target: kata cannot start the VM until it does (install kata-containers, which ships it, or build one with kata's osbuilder).")
        (Get-ChildItem -Recurse -File $root).FullName | Should -Be $files
    }

    It 'shows the hypervisor, whether its files are ready, the binary, kernel and file in its table view' {
        $root = New-KataRoot 'kata1-qemu.toml'
        $table = Get-KataHypervisor -Root $root -WarningAction SilentlyContinue | Format-Table | Out-String -Width 120
        $row = ($table -split "`n" | Where-Object { $_ -match '^Qemu' })
        $row | Should -Match '^Qemu\s+False\s+no\s+/usr/bin/qemu-kvm\s+/var/lib/kata/kernel\s+/usr/share/defaults/kata-containers/configurati'
    }
}

Describe 'Pipeline binding' {
    It 'Set-IsulaRuntime | Set-KataHypervisor passes Runtime and Root, and does not take daemon.json for the kata file' {
        # daemon.json already names the kata runtime, so Set-IsulaRuntime returns its object without changing the file
        # (-WhatIf returns no object: the module's convention).
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.kata-devicemapper.json'; $Defaults = 'Kata/kata1-qemu.toml' }
        $daemon = Get-Sha256 (Join-Path $root 'etc/isulad/daemon.json')
        $result = Set-IsulaRuntime -Root $root | Set-KataHypervisor -Hypervisor StratoVirt -WarningAction SilentlyContinue
        $result.Runtime | Should -Be 'io.containerd.kata.v2'
        $result.Root | Should -Be $root
        $result.ConfigPath | Should -Be $Defaults
        $result.Changed | Should -BeTrue
        Get-Sha256 (Join-Path $root 'etc/isulad/daemon.json') | Should -Be $daemon
        Get-Content -Raw (Join-Path $root $Defaults.TrimStart('/')) | Should -BeExactly (Get-Expected 'kata1-qemu.stratovirt.expected.toml')
    }

    It 'passes any runtime name through' {
        $root = New-KataRoot 'kata1-qemu.toml'
        $result = [pscustomobject]@{ Runtime = 'kata-runtime'; Root = $root } | Set-KataHypervisor -Hypervisor Qemu -WarningAction SilentlyContinue
        $result.Runtime | Should -Be 'kata-runtime'
    }
}

Describe 'Tab completion' {
    It 'completes -Hypervisor in any case' {
        (TabExpansion2 -inputScript 'Set-KataHypervisor -Hypervisor s' -cursorColumn 32).CompletionMatches.CompletionText | Should -Be @('StratoVirt')
        (TabExpansion2 -inputScript 'Set-KataHypervisor -Hypervisor Q' -cursorColumn 32).CompletionMatches.CompletionText | Should -Be @('Qemu')
        $all = (TabExpansion2 -inputScript 'Set-KataHypervisor -Hypervisor ' -cursorColumn 31).CompletionMatches
        $all.CompletionText | Sort-Object | Should -Be @('Qemu', 'StratoVirt')
        ($all | Where-Object CompletionText -EQ 'StratoVirt').ToolTip | Should -BeLike 'StratoVirt microVM*'
    }

    It 'completes -LogLevel' {
        $all = (TabExpansion2 -inputScript 'Set-KataHypervisor StratoVirt -LogLevel ' -cursorColumn 40).CompletionMatches
        $all.CompletionText | Sort-Object | Should -Be @('debug', 'error', 'info', 'trace', 'warn')
        ($all | Where-Object CompletionText -EQ 'info').ToolTip | Should -Be 'STRATOVIRT_LOG_LEVEL=info (the default)'
        (TabExpansion2 -inputScript 'Set-KataHypervisor StratoVirt -LogLevel W' -cursorColumn 41).CompletionMatches.CompletionText | Should -Be @('warn')
    }
}
