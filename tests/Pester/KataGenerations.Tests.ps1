# Set-/Get-KataHypervisor on kata as each generation ships it (issue 9), and the kata-config items of issue 12.
# Every expected file here was judged by kata's own configuration loader of its generation (see the commit log).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'Kata.Helpers.ps1')
    $script:Defaults = '/usr/share/defaults/kata-containers/configuration.toml'
    $script:Etc = '/etc/kata-containers/configuration.toml'
    $script:Wrapper = '/usr/local/libexec/isulakata/stratovirt.sh'
    function Get-Expected { param([string] $Name) [IO.File]::ReadAllText((Join-Path $Fixtures "Kata/$Name")) }
    function Get-TargetText { param([string] $Root, [string] $Path) [IO.File]::ReadAllText((Join-Path $Root $Path.TrimStart('/'))) }
    function Get-Tree {
        # Every file under the root with its hash and write time: a call that writes nothing leaves this unchanged.
        param([string] $Root)
        Get-ChildItem -Recurse -File $Root | ForEach-Object { "$($_.FullName) $((Get-FileHash $_.FullName).Hash) $($_.LastWriteTimeUtc.Ticks)" }
    }
    function New-ConfigRoot {
        # A root holding only the given text at the packaged path.
        param([string] $Text, [string] $Target = $Defaults)
        $root = New-TestRoot
        $file = Join-Path $root $Target.TrimStart('/')
        New-Item -ItemType Directory (Split-Path $file) -Force | Out-Null
        [IO.File]::WriteAllText($file, $Text)
        return $root
    }
}

Describe 'Set-KataHypervisor on kata as <Generation> ships it' -ForEach @(
    @{ Generation = 'eu2'; Expected = 'kata2.stratovirt.expected.toml'; Version = '2'; Start = 'Kata/kata2-qemu.toml' }
    @{ Generation = 'eu2-aarch64'; Expected = 'kata2.stratovirt.expected.toml'; Version = '2'; Start = 'Kata/kata2-qemu-aarch64.toml' }
    @{ Generation = 'kata3'; Expected = 'kata3.stratovirt.expected.toml'; Version = '3'; Start = 'Kata/kata3-qemu-long.toml' }
) {
    BeforeEach {
        $root = New-KataGenerationRoot $Generation
        $packaged = Get-TargetText $root $Defaults
    }

    It 'makes /etc/kata-containers/configuration.toml from the shipped StratoVirt file, exactly' {
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue
        Get-TargetText $root $Etc | Should -BeExactly (Get-Expected $Expected)
        $result.ConfigPath | Should -Be $Etc
        $result.ShippedConfig | Should -Be '/usr/share/defaults/kata-containers/configuration-stratovirt.toml'
        $result.KataGeneration | Should -Be $Version
        $result.KataVersion | Should -BeNullOrEmpty
        $result.GenerationSource | Should -BeLike 'the configuration*'
        $result.Hypervisor | Should -Be 'StratoVirt'
        $result.MachineType | Should -Be 'microvm'
        $result.WrapperPath | Should -Be $Wrapper
        $result.Changes[0] | Should -Be "'$Etc' made from '/usr/share/defaults/kata-containers/configuration-stratovirt.toml', the package's own StratoVirt configuration (kata reads '$Etc' before the packaged file)"
        $w | Should -BeNullOrEmpty
        Get-TargetText $root $Defaults | Should -BeExactly $packaged
    }

    It 'writes nothing on a second identical call' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $tree = Get-Tree $root
        $again = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $again.Changed | Should -BeFalse
        $again.Changes | Should -BeNullOrEmpty
        Get-Tree $root | Should -Be $tree
    }

    It 'switching back to Qemu removes the file it made: kata reads the packaged file, byte for byte as at the start' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $qemu = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        Test-Path (Join-Path $root $Etc.TrimStart('/')) | Should -BeFalse
        Get-TargetText $root $Defaults | Should -BeExactly (Get-Expected ($Start -replace '^Kata/'))
        $qemu.Changed | Should -BeTrue
        $qemu.Hypervisor | Should -Be 'Qemu'
        $qemu.ConfigPath | Should -Be $Defaults
        $qemu.Changes | Should -Be @("'$Etc' removed (IsulaKata made it from a shipped file): kata reads the packaged '$Defaults' for Qemu again, as before")
        (Get-KataHypervisor -Root $root -WarningAction SilentlyContinue).ConfigSource | Should -Be 'Defaults'
    }
}

Describe 'Set-KataHypervisor on kata 1.11.1 as openEuler 22.03 LTS ships it' {
    BeforeEach { $root = New-KataGenerationRoot eu1 }

    It 'builds a StratoVirt table with every key the 1.x loader checks, the package kernel and netmon' {
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue
        Get-TargetText $root $Defaults | Should -BeExactly (Get-Expected 'kata1-qemu.packaged-root.stratovirt.expected.toml')
        $result.KataGeneration | Should -Be '1'
        $result.Kernel | Should -Be '/var/lib/kata/kernel'
        $result.EnableNetmon | Should -BeTrue
        $result.NetmonPath | Should -Be '/usr/bin/kata-netmon'
        $result.Changes | Should -Contain '[hypervisor.stratovirt] default_vcpus = 1 (added)'
        $result.Changes | Should -Contain '[hypervisor.stratovirt] machine_type = "microvm" (added)'
        $w | Should -BeNullOrEmpty
        $tree = Get-Tree $root
        (Set-KataHypervisor -Hypervisor StratoVirt -Root $root).Changed | Should -BeFalse
        Get-Tree $root | Should -Be $tree
    }

    It 'remembers in the file what it replaced outside the StratoVirt table, and marks the table it built' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $lines = (Get-TargetText $root $Defaults) -split "`n"
        $lines[21..22] | Should -Be @('#isulakata-built# Set-KataHypervisor added the table below; choosing another hypervisor removes it again.', '[hypervisor.stratovirt]')
        $lines | Should -Contain '#isulakata-was# sandbox_cgroup_with_emulator = true'
        $lines[([array]::IndexOf($lines, '#isulakata-was# sandbox_cgroup_with_emulator = true') + 1)] | Should -BeExactly 'sandbox_cgroup_with_emulator = false'
        $lines[([array]::IndexOf($lines, '#isulakata-was# #enable_netmon = true') + 1)] | Should -BeExactly 'enable_netmon = true'
        $lines[([array]::IndexOf($lines, '#isulakata-was# path = "/usr/libexec/kata-containers/kata-netmon"') + 1)] | Should -BeExactly 'path = "/usr/bin/kata-netmon"'
    }

    It 'switching back to Qemu gives the starting file back byte for byte; a second Qemu call writes nothing' {
        $folder = Join-Path $root 'usr/share/defaults/kata-containers'
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $qemu = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        [IO.File]::ReadAllBytes((Join-Path $root $Defaults.TrimStart('/'))) | Should -Be ([IO.File]::ReadAllBytes((Join-Path $Fixtures 'Kata/kata1-qemu.toml')))
        $qemu.Changed | Should -BeTrue
        $qemu.Hypervisor | Should -Be 'Qemu'
        $qemu.SandboxCgroupWithEmulator | Should -BeTrue
        $qemu.EnableNetmon | Should -Not -BeTrue
        $qemu.Changes | Should -Be @(
            "line 329: 'enable_netmon = true' -> '#enable_netmon = true', as it was before Set-KataHypervisor -Hypervisor StratoVirt"
            "line 335: 'path = `"/usr/bin/kata-netmon`"' -> 'path = `"/usr/libexec/kata-containers/kata-netmon`"', as it was before Set-KataHypervisor -Hypervisor StratoVirt"
            "line 396: 'sandbox_cgroup_with_emulator = false' -> 'sandbox_cgroup_with_emulator = true', as it was before Set-KataHypervisor -Hypervisor StratoVirt"
            "[hypervisor.qemu] restored (it was commented out with '#isulakata-disabled#')"
            "[hypervisor.stratovirt] removed (Set-KataHypervisor had added it; -Hypervisor StratoVirt adds it again)")
        $tree = Get-Tree $root
        $again = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        $again.Changed | Should -BeFalse
        $again.Changes | Should -BeNullOrEmpty
        Get-Tree $root | Should -Be $tree
        # StratoVirt again writes the same file as the first time.
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        Get-TargetText $root $Defaults | Should -BeExactly (Get-Expected 'kata1-qemu.packaged-root.stratovirt.expected.toml')
    }

    It 'leaves a remembered line whose key was edited away, and says so' {
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $file = Join-Path $root $Defaults.TrimStart('/')
        [IO.File]::WriteAllText($file, [IO.File]::ReadAllText($file).Replace("#isulakata-was# sandbox_cgroup_with_emulator = true`nsandbox_cgroup_with_emulator = false`n", "#isulakata-was# sandbox_cgroup_with_emulator = true`n# mine`n"))
        Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Contain "Line 396 of '$Defaults' remembers 'sandbox_cgroup_with_emulator = true', but the line below it is not that key any more: it was left as it is. Put the line back by hand if you want it."
        (Get-TargetText $root $Defaults) | Should -Match '(?m)^#isulakata-was# sandbox_cgroup_with_emulator = true\n# mine$'
    }
}

Describe 'Set-KataHypervisor on runtime-rs' {
    It 'knows the generation from the runtime-rs paths, changes nothing for Qemu, refuses StratoVirt' {
        $root = New-KataGenerationRoot runtime-rs
        $tree = Get-Tree $root
        $result = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        $result.KataGeneration | Should -Be 'runtime-rs'
        $result.ConfigPath | Should -Be '/usr/share/defaults/kata-containers/runtime-rs/configuration.toml'
        $result.Changed | Should -BeFalse
        { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } | Should -Throw -ErrorId 'HypervisorNotSupportedByRuntime,IsulaKata.Commands.SetKataHypervisorCommand'
        Get-Tree $root | Should -Be $tree
    }
}

Describe 'The kernel rule' {
    It 'keeps the kernel the shipped table names when it exists' {
        $root = New-KataGenerationRoot eu2
        (Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue).Kernel | Should -Be '/var/lib/kata/kernel'
    }

    It 'falls back to the guide''s vmlinux.bin with a warning when no kernel exists' {
        $root = New-KataGenerationRoot eu2 -NoKernel
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $result.Kernel | Should -Be '/var/lib/kata/vmlinux.bin'
        $result.Changes | Should -Contain '[hypervisor.stratovirt] kernel: "/var/lib/kata/kernel" -> "/var/lib/kata/vmlinux.bin"'
        $w.Message | Should -Contain "No guest kernel was found ('/var/lib/kata/kernel', which [hypervisor.stratovirt] named, nor /var/lib/kata/kernel, which the kata-containers package ships): [hypervisor.stratovirt] names the guide's /var/lib/kata/vmlinux.bin, which must be placed (Install-KataGuestKernel), or pass -Kernel."
    }

    It 'takes -Kernel as given' {
        $root = New-KataGenerationRoot eu2
        New-KataKernelFile (Join-Path $root 'var/lib/kata/vmlinux.bin') Elf
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Kernel /var/lib/kata/vmlinux.bin -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $result.Kernel | Should -Be '/var/lib/kata/vmlinux.bin'
        $w | Should -BeNullOrEmpty
    }

    It 'warns when the kernel''s format does not fit the architecture' {
        $root = New-KataGenerationRoot eu2
        New-KataKernelFile (Join-Path $root 'var/lib/kata/kernel') Arm64Image
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Contain "The kernel '/var/lib/kata/kernel' named in [hypervisor.stratovirt] may not boot: it is an arm64 Image, and this is an x86_64 host. Pass a kernel built for it with -Kernel (Install-KataGuestKernel places one)."
        $arm = New-KataGenerationRoot eu2-aarch64
        Set-KataHypervisor -Hypervisor StratoVirt -Root $arm -WarningVariable w2 -WarningAction SilentlyContinue | Out-Null
        $w2 | Should -BeNullOrEmpty
        New-KataKernelFile (Join-Path $arm 'var/lib/kata/kernel') bzImage
        (Get-KataHypervisor -Root $arm -WarningVariable w3 -WarningAction SilentlyContinue).Kernel | Should -Be '/var/lib/kata/kernel'
        $w3.Message | Should -Contain "The kernel '/var/lib/kata/kernel' named in [hypervisor.stratovirt] may not boot: it is an x86 kernel (bzImage), and this is an aarch64 host, where StratoVirt boots an arm64 Image. Pass a kernel built for it with -Kernel (Install-KataGuestKernel places one)."
    }

    It 'gives a new QEMU table the aarch64 machine type and binary' {
        $root = New-KataGenerationRoot eu2-aarch64
        $own = Join-Path $root 'etc/kata-containers/mine.toml'
        New-Item -ItemType Directory (Split-Path $own) -Force | Out-Null
        [IO.File]::WriteAllText($own, "[hypervisor.stratovirt]`npath = `"/usr/bin/stratovirt`"`nkernel = `"/var/lib/kata/kernel`"`ninitrd = `"/var/lib/kata/kata-containers-initrd.img`"`nmachine_type = `"microvm`"`n`n[netmon]`npath = `"/usr/bin/kata-netmon`"`n")
        $result = Set-KataHypervisor -Hypervisor Qemu -ConfigPath /etc/kata-containers/mine.toml -Root $root -WarningAction SilentlyContinue
        $result.MachineType | Should -Be 'virt'
        $result.HypervisorPath | Should -Be '/usr/bin/qemu-system-aarch64'
    }
}

Describe 'The initrd' {
    It 'warns when the initrd is not smaller than the VM''s memory' {
        $root = New-ConfigRoot "[hypervisor.qemu]`npath = `"/usr/bin/qemu-kvm`"`nkernel = `"/var/lib/kata/kernel`"`ninitrd = `"/var/lib/kata/kata-containers-initrd.img`"`nmachine_type = `"q35`"`ndefault_memory = 1`n"
        $initrd = Join-Path $root 'var/lib/kata/kata-containers-initrd.img'
        New-Item -ItemType Directory (Split-Path $initrd) -Force | Out-Null
        [IO.File]::WriteAllBytes($initrd, [byte[]]::new(2MB))
        Get-KataHypervisor -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Contain "The initrd '/var/lib/kata/kata-containers-initrd.img' (2 MiB) is not smaller than the VM's memory (default_memory = 1 MiB in [hypervisor.qemu]): the guest cannot unpack it. Raise default_memory or use a smaller initrd."
    }
}

Describe 'The netmon rule' {
    It 'points [netmon] path at the package''s binary when the configured one is missing, and says so' {
        $root = New-KataGenerationRoot eu2
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.Changes | Should -Contain '[netmon] path: "/usr/libexec/kata-containers/kata-netmon" -> "/usr/bin/kata-netmon" (where the kata-containers package installs kata-netmon; the configured one does not exist)'
        $result.EnableNetmon | Should -BeTrue
        $result.NetmonPathExists | Should -BeTrue
    }

    It 'leaves the configured path when it exists' {
        $root = New-KataGenerationRoot eu2 -NoNetmon
        New-Item -ItemType File (Join-Path $root 'usr/libexec/kata-containers/kata-netmon') -Force | Out-Null
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.NetmonPath | Should -Be '/usr/libexec/kata-containers/kata-netmon'
        $result.EnableNetmon | Should -BeTrue
    }

    It 'leaves netmon off and warns when no netmon binary exists; the doctor fails an enabled one' {
        $root = New-KataGenerationRoot eu2 -NoNetmon
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $result.EnableNetmon | Should -Not -BeTrue
        Get-TargetText $root $Etc | Should -Match '(?m)^#enable_netmon = true$'
        $w.Message | Should -Contain "netmon was left off: neither '/usr/libexec/kata-containers/kata-netmon' ([netmon] path) nor /usr/bin/kata-netmon exists on the target, and a sandbox whose netmon cannot start fails. Install kata-containers (it ships kata-netmon), then run Set-KataHypervisor again."
        $file = Join-Path $root $Etc.TrimStart('/')
        [IO.File]::WriteAllText($file, [IO.File]::ReadAllText($file).Replace("#enable_netmon = true", "enable_netmon = true"))
        $check = Test-IsulaKataHost -Root $root -Area Kata | Where-Object Name -EQ 'Netmon'
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -BeLike "*'/usr/libexec/kata-containers/kata-netmon' does not exist*"
    }
}

Describe 'KATA_CONF_FILE and config.d' {
    It 'reads KATA_CONF_FILE from /etc/sysconfig/iSulad and edits that file' {
        $root = New-KataGenerationRoot eu2
        Copy-Item (Join-Path $Fixtures 'Kata/kata2-stratovirt.toml') (New-Item -ItemType File (Join-Path $root 'etc/kata-containers/strato.toml') -Force)
        New-Item -ItemType File (Join-Path $root 'etc/sysconfig/iSulad') -Force -Value "OPTIONS=`"`"`nKATA_CONF_FILE=`"/etc/kata-containers/strato.toml`"`n" | Out-Null
        $config = Get-KataHypervisor -Root $root -WarningAction SilentlyContinue
        $config.ConfigPath | Should -Be '/etc/kata-containers/strato.toml'
        $config.ConfigSource | Should -Be 'Environment'
        $config.ConfigReason | Should -Be 'isulad passes KATA_CONF_FILE=/etc/kata-containers/strato.toml to the kata shim (set in /etc/sysconfig/iSulad), and kata reads that file'
        $config.Hypervisor | Should -Be 'StratoVirt'
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.ConfigPath | Should -Be '/etc/kata-containers/strato.toml'
        Test-Path (Join-Path $root $Etc.TrimStart('/')) | Should -BeFalse
    }

    It 'reads KATA_CONF_FILE from isulad''s unit, whose EnvironmentFile= wins over Environment=' {
        $root = New-KataGenerationRoot eu2
        $unit = New-Item -ItemType File (Join-Path $root 'usr/lib/systemd/system/isulad.service') -Force -Value "[Service]`nEnvironment=`"KATA_CONF_FILE=/etc/kata-containers/from-unit.toml`" OTHER=1`nExecStart=/usr/bin/isulad`n"
        try { Get-KataHypervisor -Root $root } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KataConfigFileMissing,IsulaKata.Commands.GetKataHypervisorCommand'
        $err.Exception.Message | Should -BeLike "isulad gives the kata shim KATA_CONF_FILE=/etc/kata-containers/from-unit.toml (Environment= in /usr/lib/systemd/system/isulad.service), and*"
        Add-Content $unit 'EnvironmentFile=-/etc/sysconfig/iSulad'
        New-Item -ItemType File (Join-Path $root 'etc/sysconfig/iSulad') -Force -Value "KATA_CONF_FILE=/usr/share/defaults/kata-containers/configuration-stratovirt.toml`n" | Out-Null
        $config = Get-KataHypervisor -Root $root -WarningAction SilentlyContinue
        $config.ConfigPath | Should -Be '/usr/share/defaults/kata-containers/configuration-stratovirt.toml'
        $config.ConfigReason | Should -BeLike '*(set in /etc/sysconfig/iSulad)*'
    }

    It 'KATA_CONF_FILE naming a missing file (<Where>): Get-, Set-KataHypervisor and the doctor say which variable, where, and what is missing' -ForEach @(
        @{ Where = 'EnvironmentFile'; File = 'etc/sysconfig/iSulad'; Text = "OPTIONS=`"`"`nKATA_CONF_FILE=/etc/kata-containers/gone.toml`n"; From = 'set in /etc/sysconfig/iSulad' }
        @{ Where = 'unit Environment='; File = 'etc/systemd/system/isulad.service'; Text = "[Service]`nEnvironment=KATA_CONF_FILE=/etc/kata-containers/gone.toml`nExecStart=/usr/bin/isulad`n"; From = 'Environment= in /etc/systemd/system/isulad.service' }
    ) {
        $root = New-KataGenerationRoot eu2
        New-Item -ItemType File (Join-Path $root $File) -Force -Value $Text | Out-Null
        $message = "isulad gives the kata shim KATA_CONF_FILE=/etc/kata-containers/gone.toml ($From), and '/etc/kata-containers/gone.toml' does not exist: kata reads only that file, and every kata container fails to start (`"Cannot find usable config file`"). Nothing was read or changed."
        $action = "Create '/etc/kata-containers/gone.toml' (e.g. a copy of the package's /usr/share/defaults/kata-containers/configuration.toml), or remove KATA_CONF_FILE ($From) and restart isulad (systemctl daemon-reload; systemctl restart isulad), so that kata reads /etc/kata-containers/configuration.toml or the packaged file."
        $tree = Get-Tree $root
        foreach ($command in 'Get-KataHypervisor', 'Set-KataHypervisor') {
            $err = $null
            $arguments = @{ Root = $root }
            if ($command -eq 'Set-KataHypervisor') { $arguments.Hypervisor = 'StratoVirt' }
            try { & $command @arguments } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be "KataConfigFileMissing,IsulaKata.Commands.$($command -replace '-')Command"
            $err.Exception.Message | Should -BeExactly $message
            $err.ErrorDetails.RecommendedAction | Should -BeExactly $action
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.TargetObject | Should -Be '/etc/kata-containers/gone.toml'
        }
        Get-Tree $root | Should -Be $tree
        $check = @(Test-IsulaKataHost -Root $root -Area Kata)
        $check.Count | Should -Be 1
        $check[0].Name | Should -Be 'Configuration'
        $check[0].Status | Should -Be 'Fail'
        $check[0].Detail | Should -BeExactly $message
        $check[0].Remedy | Should -BeExactly $action
        # -ConfigPath names the file to edit: the missing one does not stop it.
        $given = Set-KataHypervisor -Hypervisor StratoVirt -ConfigPath /usr/share/defaults/kata-containers/configuration-stratovirt.toml -Root $root -WarningAction SilentlyContinue
        $given.ConfigPath | Should -Be '/usr/share/defaults/kata-containers/configuration-stratovirt.toml'
        $given.Changed | Should -BeTrue
    }

    It 'warns about a kata 3.x drop-in that overrides the configuration' {
        $root = New-KataGenerationRoot kata3
        Copy-Item (Join-Path $Fixtures 'Kata/kata3-dropin-debug.toml') (New-Item -ItemType File (Join-Path $root 'etc/kata-containers/config.d/50-debug.toml') -Force)
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue
        Get-TargetText $root $Etc | Should -BeExactly (Get-Expected 'kata3.stratovirt.expected.toml')
        $result.DropIns | Should -Be @('/etc/kata-containers/config.d/50-debug.toml')
        $w.Message | Should -Be @(
            "The drop-in '/etc/kata-containers/config.d/50-debug.toml' sets [hypervisor.stratovirt] enable_debug = true: it wins over '$Etc'."
            "The drop-in '/etc/kata-containers/config.d/50-debug.toml' sets [runtime] enable_debug = true: it wins over '$Etc'.")
    }
}

Describe 'config.d drop-ins that add a hypervisor (kata 3.x)' {
    It 'Set-KataHypervisor refuses a drop-in that defines another hypervisor, before writing anything' {
        $root = New-KataGenerationRoot kata3
        New-Item -ItemType File (Join-Path $root 'etc/kata-containers/config.d/10-qemu.toml') -Force -Value "[hypervisor.qemu]`npath = `"/usr/bin/qemu-system-x86_64`"`n" | Out-Null
        $tree = Get-Tree $root
        try { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KataDropInAddsHypervisor,IsulaKata.Commands.SetKataHypervisorCommand'
        $err.TargetObject | Should -Be '/etc/kata-containers/config.d/10-qemu.toml'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err.Exception.Message | Should -BeExactly "The drop-in '/etc/kata-containers/config.d/10-qemu.toml' defines [hypervisor.qemu]: kata merges it into '$Etc', so [hypervisor.qemu] and [hypervisor.stratovirt] are both active and kata picks one of them at random on every start. Nothing was changed."
        $err.ErrorDetails.RecommendedAction | Should -BeExactly "Remove '/etc/kata-containers/config.d/10-qemu.toml', or edit it so that it defines no [hypervisor.qemu] (keys of [hypervisor.stratovirt] there are fine), then run the command again."
        Get-Tree $root | Should -Be $tree
        Test-Path (Join-Path $root $Wrapper.TrimStart('/')) | Should -BeFalse
        { Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WhatIf } | Should -Throw -ErrorId 'KataDropInAddsHypervisor,IsulaKata.Commands.SetKataHypervisorCommand'
    }

    It 'the doctor fails a drop-in beside the file kata reads that defines another hypervisor, and passes one that does not' {
        $root = New-KataGenerationRoot kata3
        $dropIn = New-Item -ItemType File (Join-Path $root 'usr/share/defaults/kata-containers/config.d/20-strato.toml') -Force -Value "[hypervisor.stratovirt]`npath = `"/usr/bin/stratovirt`"`n"
        $check = Test-IsulaKataHost -Root $root -Area Kata | Where-Object Name -EQ 'Drop-ins'
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -BeExactly "The drop-in '/usr/share/defaults/kata-containers/config.d/20-strato.toml' defines [hypervisor.stratovirt]: kata merges it into '$Defaults', so [hypervisor.stratovirt] and [hypervisor.qemu] are both active and kata picks one of them at random on every start."
        $check.Remedy | Should -BeExactly "Remove '/usr/share/defaults/kata-containers/config.d/20-strato.toml', or edit it so that it defines no [hypervisor.stratovirt] (keys of [hypervisor.qemu] there are fine), then run the command again."
        [IO.File]::WriteAllText($dropIn.FullName, "[hypervisor.qemu]`nenable_debug = true`n")
        $check = Test-IsulaKataHost -Root $root -Area Kata | Where-Object Name -EQ 'Drop-ins'
        $check.Status | Should -Be 'Pass'
        $check.Detail | Should -BeExactly 'No config.d drop-in defines another hypervisor (/usr/share/defaults/kata-containers/config.d/20-strato.toml).'
    }

    It 'a drop-in that sets a key Set-KataHypervisor sets stays a warning naming the drop-in and the key' {
        $root = New-KataGenerationRoot kata3
        New-Item -ItemType File (Join-Path $root 'etc/kata-containers/config.d/30-path.toml') -Force -Value "[hypervisor.stratovirt]`npath = `"/opt/sv/stratovirt`"`n" | Out-Null
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $result.Changed | Should -BeTrue
        Get-TargetText $root $Etc | Should -BeExactly (Get-Expected 'kata3.stratovirt.expected.toml')
        $w.Message | Should -Contain "The drop-in '/etc/kata-containers/config.d/30-path.toml' sets [hypervisor.stratovirt] path = `"/opt/sv/stratovirt`": it wins over '$Etc'."
    }
}

Describe '-OzonePath' {
    It 'on kata 2.x names the StratoVirt binary itself in path (Ozone copies it into its chroot) and writes no wrapper' {
        $root = New-KataGenerationRoot eu2
        $result = Set-KataHypervisor -Hypervisor StratoVirt -OzonePath /usr/bin/ozone -Root $root -WarningAction SilentlyContinue
        $result.HypervisorPath | Should -Be '/usr/bin/stratovirt'
        $result.WrapperPath | Should -BeNullOrEmpty
        $result.OzonePath | Should -Be '/usr/bin/ozone'
        $text = Get-TargetText $root $Etc
        $text | Should -Match '(?m)^path = "/usr/bin/stratovirt"$'
        $text | Should -Match '(?m)^ozone_path = "/usr/bin/ozone"$'
        Test-Path (Join-Path $root $Wrapper.TrimStart('/')) | Should -BeFalse
    }

    It 'refuses -LogLevel and -WrapperPath with it, and generations without Ozone, writing nothing' {
        $root = New-KataGenerationRoot eu2
        $tree = Get-Tree $root
        { Set-KataHypervisor -Hypervisor StratoVirt -OzonePath /usr/bin/ozone -LogLevel debug -Root $root } | Should -Throw -ErrorId 'OzoneWithWrapper,IsulaKata.Commands.SetKataHypervisorCommand'
        { Set-KataHypervisor -Hypervisor StratoVirt -OzonePath /usr/bin/ozone -WrapperPath /usr/local/bin/sv.sh -Root $root } | Should -Throw -ErrorId 'OzoneWithWrapper,IsulaKata.Commands.SetKataHypervisorCommand'
        Get-Tree $root | Should -Be $tree
        $three = New-KataGenerationRoot kata3
        { Set-KataHypervisor -Hypervisor StratoVirt -OzonePath /usr/bin/ozone -Root $three } | Should -Throw -ErrorId 'OzoneNotSupported,IsulaKata.Commands.SetKataHypervisorCommand'
    }
}

Describe 'Exactly one hypervisor in every TOML shape' {
    It 'comments out a sub-table <Shape> of the other hypervisor too' -ForEach @(
        @{ Shape = 'sub-table'; Text = "[hypervisor.qemu]`npath = `"/usr/bin/qemu-kvm`"`n`n[hypervisor.qemu.extra]`nfoo = 1`n`n[hypervisor.stratovirt]`npath = `"/usr/bin/stratovirt`"`n" }
        @{ Shape = 'dotted keys before the first table'; Text = "hypervisor.qemu.path = `"/usr/bin/qemu-kvm`"`n`n[hypervisor.stratovirt]`npath = `"/usr/bin/stratovirt`"`n" }
        @{ Shape = 'dotted keys in [hypervisor]'; Text = "[hypervisor]`nqemu.path = `"/usr/bin/qemu-kvm`"`n`n[hypervisor.stratovirt]`npath = `"/usr/bin/stratovirt`"`n" }
    ) {
        $root = New-ConfigRoot $Text
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $result.ActiveHypervisors | Should -Be @('hypervisor.stratovirt')
        (Get-KataHypervisor -Root $root -WarningAction SilentlyContinue).ActiveHypervisors | Should -Be @('hypervisor.stratovirt')
        Get-TargetText $root $Defaults | Should -Match '(?m)^#isulakata-disabled# .*qemu'
        # No line kata reads (not a comment) names qemu any more: the sub-table and dotted keys are commented out too.
        @((Get-TargetText $root $Defaults) -split "`n" | Where-Object { $_ -notmatch '^\s*#' -and $_ -match 'qemu' }) | Should -BeNullOrEmpty
        if ($Shape -eq 'sub-table') { (Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue).ActiveHypervisors | Should -Be @('hypervisor.qemu') }
        else { { Set-KataHypervisor -Hypervisor Qemu -Root $root } | Should -Throw -ErrorId 'KataConfigShapeNotSupported,IsulaKata.Commands.SetKataHypervisorCommand' }
    }

    It 'Get-KataHypervisor counts a hypervisor defined by a sub-table or dotted keys' {
        $root = New-ConfigRoot "hypervisor.clh.path = `"/usr/bin/cloud-hypervisor`"`n`n[hypervisor.stratovirt]`npath = `"/usr/bin/stratovirt`"`n`n[hypervisor.qemu.factory]`nx = 1`n"
        (Get-KataHypervisor -Root $root -WarningAction SilentlyContinue).ActiveHypervisors | Should -Be @('hypervisor.stratovirt', 'hypervisor.qemu', 'hypervisor.clh')
    }
}

Describe 'The wrapper path' {
    BeforeEach {
        $root = New-KataGenerationRoot eu2
        $binary = Join-Path $root 'usr/bin/stratovirt'
        $hash = Get-Sha256 $binary
    }

    It 'refuses <Path>, which is the StratoVirt binary itself, installed or not yet' -ForEach @(
        @{ Path = '/usr/bin//stratovirt' }, @{ Path = '/usr/bin/./stratovirt' }, @{ Path = '/usr/../usr/bin/stratovirt' }
    ) {
        { Set-KataHypervisor -Hypervisor StratoVirt -WrapperPath $Path -Root $root } | Should -Throw -ErrorId 'WrapperPathInUse,IsulaKata.Commands.SetKataHypervisorCommand'
        Get-Sha256 $binary | Should -Be $hash
        # Before the stratovirt package is installed, a wrapper there would exec itself.
        Remove-Item $binary
        { Set-KataHypervisor -Hypervisor StratoVirt -WrapperPath $Path -Root $root } | Should -Throw -ErrorId 'WrapperPathInUse,IsulaKata.Commands.SetKataHypervisorCommand'
        Test-Path $binary | Should -BeFalse
        Test-Path (Join-Path $root $Etc.TrimStart('/')) | Should -BeFalse
    }

    It 'refuses a path ending in a slash' {
        { Set-KataHypervisor -Hypervisor StratoVirt -WrapperPath /usr/local/bin/ -Root $root } | Should -Throw -ErrorId 'PathIsFolder,IsulaKata.Commands.SetKataHypervisorCommand'
        Test-Path (Join-Path $root 'usr/local/bin') | Should -BeFalse
    }

    It 'writes a normalised path into the configuration' {
        $result = Set-KataHypervisor -Hypervisor StratoVirt -WrapperPath /usr/local//libexec/./sv.sh -Root $root -WarningAction SilentlyContinue
        $result.WrapperPath | Should -Be '/usr/local/libexec/sv.sh'
        Get-TargetText $root $Etc | Should -Match '(?m)^path = "/usr/local/libexec/sv.sh"$'
    }

    It 'does not replace a script that only looks like a wrapper (a launcher ending in "$@")' {
        $launcher = Join-Path $root 'usr/local/bin/java-launcher'
        $text = "#!/bin/sh`nexport JAVA_OPTS=-Xmx1g`nexec /usr/lib/jvm/bin/java `"`$@`"`n"
        New-Item -ItemType File $launcher -Force -Value $text | Out-Null
        { Set-KataHypervisor -Hypervisor StratoVirt -WrapperPath /usr/local/bin/java-launcher -Root $root } | Should -Throw -ErrorId 'WrapperPathInUse,IsulaKata.Commands.SetKataHypervisorCommand'
        [IO.File]::ReadAllText($launcher) | Should -BeExactly $text
    }
}

Describe 'Hostile values cannot inject into the wrapper or the configuration' {
    BeforeEach { $root = New-KataGenerationRoot eu2 }

    It 'quotes a binary path holding <Name> in the wrapper, which then runs exactly that path' -ForEach @(
        @{ Name = 'a command substitution'; Value = '/opt/sv$(touch INJECTED)/stratovirt' }
        @{ Name = 'backticks'; Value = '/opt/sv`touch INJECTED`/stratovirt' }
        @{ Name = 'quotes and a semicolon'; Value = "/opt/s'v`";touch INJECTED;/stratovirt" }
    ) {
        $binary = Join-Path $TestDrive ("bin-" + [guid]::NewGuid().ToString('N').Substring(0, 6))
        $target = $binary + $Value
        New-Item -ItemType Directory (Split-Path $target) -Force | Out-Null
        [IO.File]::WriteAllText($target, "#!/bin/sh`necho ran `"`$STRATOVIRT_LOG_LEVEL`" `"`$@`"`n")
        chmod 755 $target
        Set-KataHypervisor -Hypervisor StratoVirt -HypervisorPath $target -Root $root -WarningAction SilentlyContinue | Out-Null
        Push-Location $TestDrive
        try { $out = & (Join-Path $root $Wrapper.TrimStart('/')) one 'two words' } finally { Pop-Location }
        $out | Should -Be 'ran info one two words'
        Test-Path (Join-Path $TestDrive 'INJECTED') | Should -BeFalse
        (Get-KataHypervisor -Root $root -WarningAction SilentlyContinue).HypervisorPath | Should -Be $target
    }

    It 'refuses a newline in <Parameter>' -ForEach @(
        @{ Parameter = 'HypervisorPath' }, @{ Parameter = 'WrapperPath' }, @{ Parameter = 'Kernel' }, @{ Parameter = 'Initrd' }
    ) {
        $arguments = @{ Hypervisor = 'StratoVirt'; Root = $root; $Parameter = "/usr/bin/x`nexec /bin/evil" }
        { Set-KataHypervisor @arguments } | Should -Throw -ErrorId 'PathNotValid,IsulaKata.Commands.SetKataHypervisorCommand'
        Test-Path (Join-Path $root $Etc.TrimStart('/')) | Should -BeFalse
    }

    It 'refuses a log level that is not one of StratoVirt''s' {
        { Set-KataHypervisor -Hypervisor StratoVirt -LogLevel 'info;touch /x' -Root $root } | Should -Throw -ErrorId 'InvalidLogLevel,IsulaKata.Commands.SetKataHypervisorCommand'
        { Set-KataHypervisor -Hypervisor StratoVirt -LogLevel "info`nexec sh" -Root $root } | Should -Throw -ErrorId 'InvalidLogLevel,IsulaKata.Commands.SetKataHypervisorCommand'
    }

    It 'escapes quotes and backslashes in a kernel path written into TOML' {
        $kernel = '/var/lib/kata/k"ern\el = 1'
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Kernel $kernel -Root $root -WarningAction SilentlyContinue
        Get-TargetText $root $Etc | Should -Match ([regex]::Escape('kernel = "/var/lib/kata/k\"ern\\el = 1"'))
        (Get-KataHypervisor -Root $root -WarningAction SilentlyContinue).Kernel | Should -BeExactly $kernel
        $result.Kernel | Should -BeExactly $kernel
    }
}

Describe 'Files kata''s loader reads but Tomlyn alone would not' {
    It 'refuses TOML nested deeper than 64 as a project error, and the doctor goes on' {
        $deep = "x = " + ('[' * 80) + (']' * 80) + "`n[hypervisor.qemu]`npath = `"/usr/bin/qemu-kvm`"`n"
        $root = New-ConfigRoot $deep
        $hash = Get-Sha256 (Join-Path $root $Defaults.TrimStart('/'))
        try { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KataConfigInvalid,IsulaKata.Commands.SetKataHypervisorCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        { Get-KataHypervisor -Root $root } | Should -Throw -ErrorId 'KataConfigInvalid,IsulaKata.Commands.GetKataHypervisorCommand'
        Get-Sha256 (Join-Path $root $Defaults.TrimStart('/')) | Should -Be $hash
        $checks = @(Test-IsulaKataHost -Root $root -Area Storage, Kata -ErrorAction SilentlyContinue)
        ($checks | Where-Object Area -EQ Kata).Status | Should -Be @('Fail')
        ($checks | Where-Object Area -EQ Storage).Count | Should -BeGreaterThan 0
    }

    It 'accepts valid TOML holding U+FFFD and keeps it' {
        $text = "# r`u{E9}sum`u{E9} `u{FFFD}`n[hypervisor.qemu]`npath = `"/usr/bin/qemu-kvm`"`nkernel = `"/var/lib/kata/kernel`"`ninitrd = `"/var/lib/kata/kata-containers-initrd.img`"`nmachine_type = `"q35`"`nshared_fs = `"virtio-9p`"`nkernel_params = `"x`u{FFFD}y`"`n"
        $root = New-ConfigRoot $text
        $result = Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue
        $result.Changed | Should -BeFalse
        $strato = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        $strato.Hypervisor | Should -Be 'StratoVirt'
        $after = Get-TargetText $root $Defaults
        $after | Should -Match "kernel_params = `"x`u{FFFD}y`""
        $after | Should -Match "# r`u{E9}sum`u{E9} `u{FFFD}"
    }

    It 'refuses to edit a file that is not UTF-8, leaving it byte for byte' {
        $root = New-ConfigRoot ''
        $file = Join-Path $root $Defaults.TrimStart('/')
        [IO.File]::WriteAllBytes($file, [byte[]](@([Text.Encoding]::ASCII.GetBytes("# caf")) + @(0xE9) + @([Text.Encoding]::ASCII.GetBytes("`n[hypervisor.qemu]`npath = `"/usr/bin/qemu-kvm`"`n"))))
        $hash = Get-Sha256 $file
        try { Set-KataHypervisor -Hypervisor StratoVirt -Root $root } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KataConfigNotUtf8,IsulaKata.Commands.SetKataHypervisorCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -BeLike "*near line 1*"
        Get-Sha256 $file | Should -Be $hash
        Test-Path (Join-Path $root 'usr/local') | Should -BeFalse
    }

    It 'keeps a byte order mark and CRLF line ends' {
        $text = "[hypervisor.qemu]`r`npath = `"/usr/bin/qemu-kvm`"`r`nkernel = `"/var/lib/kata/kernel`"`r`ninitrd = `"/var/lib/kata/kata-containers-initrd.img`"`r`n"
        $root = New-ConfigRoot ''
        $file = Join-Path $root $Defaults.TrimStart('/')
        [IO.File]::WriteAllBytes($file, [byte[]](@(0xEF, 0xBB, 0xBF) + @([Text.Encoding]::UTF8.GetBytes($text))))
        Set-KataHypervisor -Hypervisor Qemu -Root $root -WarningAction SilentlyContinue | Out-Null
        $bytes = [IO.File]::ReadAllBytes($file)
        $bytes[0..2] | Should -Be @(0xEF, 0xBB, 0xBF)
        $after = [Text.Encoding]::UTF8.GetString($bytes, 3, $bytes.Length - 3)
        $after | Should -BeExactly ($text + "machine_type = `"q35`"`r`nvirtio_fs_daemon = `"/usr/libexec/virtiofsd`"`r`n")
    }
}

Describe 'The generation on the live host, from what the installed programs say' {
    BeforeAll {
        # Only the programs a test names are on PATH (this machine has none of them).
        function Use-Programs {
            param([string[]] $Name)
            $bin = Join-Path $TestDrive ('bin-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
            New-Item -ItemType Directory $bin | Out-Null
            # kata's programs live apart from the other fakes (Fakes/kata): on PATH they would tell every other test that kata is installed.
            foreach ($program in @('_record') + $Name) {
                $folder = if ($program -in 'kata-runtime', 'containerd-shim-kata-v2') { Join-Path $PSScriptRoot 'Fakes/kata' } else { $FakeBin }
                New-Item -ItemType SymbolicLink -Path (Join-Path $bin $program) -Target (Join-Path $folder $program) | Out-Null
            }
            $env:PATH = "$($bin):$($script:OriginalPath)"
        }
        function Get-FakeArguments {
            # Each call the fakes recorded, as its words with their boundaries.
            @(Get-Content -LiteralPath (Join-Path $env:ISULAKATA_FAKE_STATE 'arguments.log') | ForEach-Object { , @($_ -split "`u{1f}") })
        }
    }

    BeforeEach {
        $state = New-FakeHost
        $config = Join-Path $TestDrive ('kata-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.toml')
        Copy-Item (Join-Path $Fixtures 'Kata/kata2-qemu.toml') $config
    }

    AfterEach { Remove-FakeHost }

    It 'takes the package''s version from rpm first, and asks nothing else' {
        Use-Programs rpm, kata-runtime, containerd-shim-kata-v2
        Set-FakeState rpm-installed "kata-containers 1.11.1-24`n"
        Set-FakeState kata-runtime-version '2.1.0'
        $result = Get-KataHypervisor -ConfigPath $config -WarningAction SilentlyContinue
        $result.KataVersion | Should -Be '1.11.1'
        $result.KataGeneration | Should -Be '1'
        $result.GenerationSource | Should -Be "rpm -q --qf '%{VERSION}\n' kata-containers"
        Get-FakeCommand | Should -Be @('rpm -q --qf %{VERSION}\n kata-containers')
        # Argument boundaries: the query format is one argument holding a backslash and an n, as rpm expects it.
        Get-FakeArguments | Should -Be @(, @('rpm', '-q', '--qf', '%{VERSION}\n', 'kata-containers'))
    }

    It 'asks kata-runtime when rpm is absent, and reads its "kata-runtime  : VERSION" line' {
        Use-Programs kata-runtime, containerd-shim-kata-v2
        Set-FakeState kata-runtime-version '2.1.0'
        Set-FakeState shim-version '3.5.0'
        $result = Get-KataHypervisor -ConfigPath $config -WarningAction SilentlyContinue
        $result.KataVersion | Should -Be '2.1.0'
        $result.KataGeneration | Should -Be '2'
        $result.GenerationSource | Should -Be 'kata-runtime --version'
        Get-FakeCommand | Should -Be @('kata-runtime --version')
        Get-FakeArguments | Should -Be @(, @('kata-runtime', '--version'))
    }

    It 'asks kata-runtime when rpm knows no kata-containers package' {
        Use-Programs rpm, kata-runtime
        Set-FakeState rpm-installed "iSulad 2.1.5-1`n"
        Set-FakeState kata-runtime-version '3.5.0'
        $result = Get-KataHypervisor -ConfigPath $config -WarningAction SilentlyContinue
        $result.KataVersion | Should -Be '3.5.0'
        $result.KataGeneration | Should -Be '3'
        Get-FakeCommand | Should -Be @('rpm -q --qf %{VERSION}\n kata-containers', 'kata-runtime --version')
    }

    It 'asks the shim when kata-runtime fails: <Language> shim <Version> is generation <Generation>' -ForEach @(
        @{ Version = '2.1.0'; Language = ''; Generation = '2' }
        @{ Version = '3.5.0'; Language = 'Golang'; Generation = '3' }
        @{ Version = '3.5.0'; Language = 'Rust'; Generation = 'runtime-rs' }
    ) {
        Use-Programs kata-runtime, containerd-shim-kata-v2
        Set-FakeState shim-version $Version
        if ($Language) { Set-FakeState shim-language $Language }
        $result = Get-KataHypervisor -ConfigPath $config -WarningAction SilentlyContinue
        $result.KataVersion | Should -Be $Version
        $result.KataGeneration | Should -Be $Generation
        $result.GenerationSource | Should -Be 'containerd-shim-kata-v2 --version'
        Get-FakeCommand | Should -Be @('kata-runtime --version', 'containerd-shim-kata-v2 --version')
        Get-FakeArguments | Should -Be @(@('kata-runtime', '--version'), @('containerd-shim-kata-v2', '--version'))
    }

    It 'falls through to the files when no program tells (kata 1.x''s shim has no --version)' {
        Use-Programs kata-runtime, containerd-shim-kata-v2
        Set-FakeState shim-version '1.11.1'
        $result = Get-KataHypervisor -ConfigPath $config -WarningAction SilentlyContinue
        $result.KataVersion | Should -BeNullOrEmpty
        $result.KataGeneration | Should -Be '2'
        $result.GenerationSource | Should -Be 'the configuration ([netmon] without [proxy]/[shim]: kata 2.x)'
        Get-FakeCommand | Should -Be @('kata-runtime --version', 'containerd-shim-kata-v2 --version')
    }

    It 'asks no program under -Root' {
        Use-Programs rpm, kata-runtime, containerd-shim-kata-v2
        Set-FakeState rpm-installed "kata-containers 2.1.0-12`n"
        $root = New-KataGenerationRoot eu1
        (Get-KataHypervisor -Root $root -WarningAction SilentlyContinue).KataGeneration | Should -Be '1'
        Get-FakeCommand | Should -BeNullOrEmpty
    }
}

Describe 'The doctor applies openEuler''s kata rules to openEuler''s kata only' {
    It 'overlay2 with StratoVirt: <Status> on <Generation>' -ForEach @(
        @{ Generation = 'eu1'; Status = 'Fail' }
        @{ Generation = 'eu2'; Status = 'Fail' }
        @{ Generation = 'kata3'; Status = 'Pass' }
    ) {
        $root = New-KataGenerationRoot $Generation
        Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') (New-Item -ItemType File (Join-Path $root 'etc/isulad/daemon.json') -Force)
        Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue | Out-Null
        $check = Test-IsulaKataHost -Root $root -Area Isulad | Where-Object Name -EQ 'Storage driver'
        $check.Status | Should -Be $Status
        if ($Status -eq 'Fail') {
            $check.Detail | Should -BeExactly 'storage-driver is overlay2, but kata uses StratoVirt, which supports only devicemapper.'
        }
        else {
            $check.Detail | Should -BeExactly "storage-driver is overlay2: kata 3.x shares the container's root filesystem with the guest over its shared file system, so StratoVirt works with it (devicemapper is needed by openEuler's kata 1.x and 2.x only)."
        }
    }

    It 'makes StratoVirt use block devices on openEuler''s kata only: <Generation>' -ForEach @(
        @{ Generation = 'eu2'; Expected = 'false' }
        @{ Generation = 'kata3'; Expected = 'true' }
    ) {
        $root = New-KataGenerationRoot $Generation
        $shipped = Join-Path $root 'usr/share/defaults/kata-containers/configuration-stratovirt.toml'
        $text = [IO.File]::ReadAllText($shipped)
        $text = if ($text -match '(?m)^disable_block_device_use = \w+$') { $text -replace '(?m)^disable_block_device_use = \w+$', 'disable_block_device_use = true' } else { $text.Replace("[hypervisor.stratovirt]`n", "[hypervisor.stratovirt]`ndisable_block_device_use = true`n") }
        [IO.File]::WriteAllText($shipped, $text)
        $result = Set-KataHypervisor -Hypervisor StratoVirt -Root $root -WarningAction SilentlyContinue
        Get-TargetText $root $result.ConfigPath | Should -Match "(?m)^disable_block_device_use = $Expected$"
    }
}
