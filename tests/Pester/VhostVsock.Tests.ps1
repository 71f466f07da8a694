BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Conf = '/etc/modules-load.d/isulakata.conf'
    $script:Header = '# Kernel modules IsulaKata needs at boot, loaded by systemd-modules-load.service.'

    function New-FakeKernel {
        # A running kernel's /proc, /dev and /sys as the engine reads them; the fake modprobe loads into it.
        param([string[]] $Modules = @('kvm_intel 380928 0 - Live 0x0000000000000000', 'kvm 1142784 1 kvm_intel, Live 0x0000000000000000'),
            [switch] $NoModuleSupport, [switch] $Device)
        $kernel = Join-Path $TestDrive ('kernel-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory -Path "$kernel/proc", "$kernel/dev", "$kernel/sys/module" -Force | Out-Null
        if (-not $NoModuleSupport) {
            Set-Content -LiteralPath "$kernel/proc/modules" -Value (($Modules | ForEach-Object { "$_`n" }) -join '') -NoNewline
        }
        if ($Device) { New-Item -ItemType File -Path "$kernel/dev/vhost-vsock" | Out-Null }
        Set-FakeState kernel-root $kernel
        return $kernel
    }

    function New-ModuleEngine {
        # The engine as the cmdlet builds it on a live host (target '/', modprobe from PATH), but reading the
        # running kernel from a fake tree. Nothing is persisted by these tests: only Probe and Load are called.
        param([string] $Kernel)
        $log = [Action[string]] { param($message) }
        $none = [Threading.CancellationToken]::None
        $context = [IsulaKata.Core.HostContext]::Create('/', $log, $none, $null)
        [IsulaKata.Modules.KernelModules]::new($context, [IsulaKata.Core.HostFiles]::new($Kernel, $log, $none, $null))
    }

    function Get-EngineError {
        # The IsulaKataException an engine call threw (PowerShell wraps it in a MethodInvocationException).
        param([scriptblock] $Call)
        try { & $Call; return $null } catch { return $_.Exception.InnerException }
    }
}

Describe 'Enable-VhostVsock under -Root: the boot-time file only' {
    BeforeEach {
        $state = New-FakeHost
        $root = New-TestRoot
        $file = Join-Path $root $Conf.TrimStart('/')
    }
    AfterEach { Remove-FakeHost }

    It 'writes /etc/modules-load.d/isulakata.conf, loads nothing and runs no command' {
        $result = Enable-VhostVsock -Root $root
        Get-Content -Raw $file | Should -BeExactly "$Header`nvhost_vsock`n"
        (Get-Item $file).UnixMode | Should -Be '-rw-r--r--'
        $result.Name | Should -Be 'vhost_vsock'
        $result.Loaded | Should -BeNullOrEmpty
        $result.DeviceExists | Should -BeNullOrEmpty
        $result.Persistent | Should -BeTrue
        $result.PersistPath | Should -Be $Conf
        $result.DevicePath | Should -Be '/dev/vhost-vsock'
        $result.Changed | Should -BeTrue
        $result.BackupPath | Should -BeNullOrEmpty
        $result.Root | Should -Be $root
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'writes nothing on a second call' {
        Enable-VhostVsock -Root $root | Out-Null
        $stamp = (Get-Item $file).LastWriteTimeUtc
        $second = Enable-VhostVsock -Root $root
        $second.Changed | Should -BeFalse
        $second.Persistent | Should -BeTrue
        (Get-Item $file).LastWriteTimeUtc | Should -Be $stamp
        (Get-ChildItem (Split-Path $file)).Name | Should -Be @('isulakata.conf')
    }

    It 'keeps the modules another feature listed there, and adds vhost_vsock after them' {
        New-Item -ItemType Directory (Split-Path $file) -Force | Out-Null
        Set-Content -LiteralPath $file -Value "# storage`ndm_thin_pool" -NoNewline
        $result = Enable-VhostVsock -Root $root
        Get-Content -Raw $file | Should -BeExactly "# storage`ndm_thin_pool`nvhost_vsock`n"
        $result.BackupPath | Should -Match '^/etc/modules-load\.d/isulakata\.conf\.isulakata-\d{14}\.bak$'
    }

    It 'takes vhost-vsock (the dash form modprobe accepts) as already listed' {
        New-Item -ItemType Directory (Split-Path $file) -Force | Out-Null
        Set-Content -LiteralPath $file -Value "vhost-vsock # kata`n" -NoNewline
        $result = Enable-VhostVsock -Root $root
        $result.Changed | Should -BeFalse
        $result.Persistent | Should -BeTrue
        Get-Content -Raw $file | Should -BeExactly "vhost-vsock # kata`n"
    }

    It '-NoPersist writes nothing' {
        $result = Enable-VhostVsock -Root $root -NoPersist
        $result.Changed | Should -BeFalse
        $result.Persistent | Should -BeFalse
        Test-Path $file | Should -BeFalse
    }

    It '-WhatIf writes nothing and runs nothing' {
        $result = Enable-VhostVsock -Root $root -WhatIf
        $result.Changed | Should -BeFalse
        $result.Persistent | Should -BeFalse
        Test-Path (Join-Path $root 'etc') | Should -BeFalse
        Get-FakeCommand | Should -BeNullOrEmpty
    }
}

Describe 'Loading vhost_vsock: the engine with a fake running kernel and a fake modprobe' {
    BeforeEach { $state = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'runs modprobe vhost_vsock, then finds the module in /proc/modules and /dev/vhost-vsock' {
        $kernel = New-FakeKernel
        $engine = New-ModuleEngine $kernel
        $engine.Probe('vhost_vsock', '/dev/vhost-vsock').Loaded | Should -BeFalse
        $probe = $engine.Load('vhost_vsock', '/dev/vhost-vsock')
        $probe.Loaded | Should -BeTrue
        $probe.BuiltIn | Should -BeFalse
        $probe.DeviceExists | Should -BeTrue
        Get-FakeCommand | Should -Be @('modprobe vhost_vsock')
        (Get-Content "$kernel/proc/modules")[0] | Should -Be 'vhost_vsock 24576 0 - Live 0x0000000000000000'
    }

    It 'runs no modprobe when the module is already loaded' {
        $kernel = New-FakeKernel -Modules 'vhost_vsock 24576 0 - Live 0x0000000000000000', 'vhost 57344 1 vhost_vsock, Live 0x0000000000000000' -Device
        $probe = (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock')
        $probe.Loaded | Should -BeTrue
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'sees a built-in vhost_vsock (no /proc/modules entry, but the device) and runs no modprobe' {
        $kernel = New-FakeKernel -NoModuleSupport -Device
        $probe = (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock')
        $probe.Loaded | Should -BeTrue
        $probe.BuiltIn | Should -BeTrue
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'still loads the module when only a static device node exists (kmod static nodes precede the module)' {
        $kernel = New-FakeKernel -Device
        $probe = (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock')
        $probe.BuiltIn | Should -BeFalse
        $probe.Loaded | Should -BeTrue
        Get-FakeCommand | Should -Be @('modprobe vhost_vsock')
    }

    It 'sees a module the kernel lists in modules.builtin and runs no modprobe' {
        $kernel = New-FakeKernel -Device
        New-Item -ItemType Directory -Path "$kernel/proc/sys/kernel", "$kernel/lib/modules/6.1.0-18-amd64" -Force | Out-Null
        Set-Content -LiteralPath "$kernel/proc/sys/kernel/osrelease" -Value '6.1.0-18-amd64'
        Set-Content -LiteralPath "$kernel/lib/modules/6.1.0-18-amd64/modules.builtin" -Value "kernel/drivers/vhost/vhost.ko`nkernel/drivers/vhost/vhost_vsock.ko"
        $probe = (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock')
        $probe.BuiltIn | Should -BeTrue
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'says the kernel cannot load modules when it has no /proc/modules, without running modprobe' {
        $kernel = New-FakeKernel -NoModuleSupport
        $err = Get-EngineError { (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock') }
        $err.ErrorId | Should -Be 'KernelModulesUnsupported'
        $err.Message | Should -Be "The running kernel cannot load modules (it has no /proc/modules) and has no 'vhost_vsock' built in."
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'says the module file is missing, quoting modprobe' {
        $kernel = New-FakeKernel
        Set-FakeState modprobe-missing
        $err = Get-EngineError { (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock') }
        $err.ErrorId | Should -Be 'KernelModuleNotFound'
        $err.Kind | Should -Be 'NotInstalled'
        $err.Message | Should -BeLike "*'modprobe vhost_vsock' failed: modprobe: FATAL: Module vhost_vsock not found in directory /lib/modules/6.1.0-18-amd64"
        $err.RecommendedAction | Should -BeLike 'Install the kernel modules package of the running kernel*'
    }

    It 'reports any other modprobe failure with its message' {
        $kernel = New-FakeKernel
        Set-FakeState modprobe-denied
        $err = Get-EngineError { (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock') }
        $err.ErrorId | Should -Be 'KernelModuleLoadFailed'
        $err.Message | Should -BeLike "*'modprobe vhost_vsock' failed with exit code 1:*could not insert 'vhost_vsock': Operation not permitted"
    }

    It 'says so when modprobe succeeds but the kernel does not list the module' {
        $kernel = New-FakeKernel
        Set-FakeState modprobe-silent
        (Get-EngineError { (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock') }).ErrorId | Should -Be 'KernelModuleNotLoaded'
    }

    It 'says so when the module loads but /dev/vhost-vsock never appears' {
        $kernel = New-FakeKernel
        Set-FakeState no-device
        $err = Get-EngineError { (New-ModuleEngine $kernel).Load('vhost_vsock', '/dev/vhost-vsock') }
        $err.ErrorId | Should -Be 'ModuleDeviceMissing'
        $err.Target | Should -Be '/dev/vhost-vsock'
    }
}

Describe 'Enable-VhostVsock on this host' {
    It 'answers for the real kernel without changing anything (-WhatIf -NoPersist, fake modprobe first on PATH)' {
        $state = New-FakeHost
        try {
            $listed = (Test-Path /proc/modules) -and [bool](Select-String -LiteralPath /proc/modules -Pattern '^vhost_vsock ' -Quiet)
            $device = Test-Path /dev/vhost-vsock
            if (-not (Test-Path /proc/modules) -and -not $device) {
                { Enable-VhostVsock -WhatIf -NoPersist } | Should -Throw -ErrorId 'KernelModulesUnsupported,IsulaKata.Commands.EnableVhostVsockCommand'
            }
            else {
                $result = Enable-VhostVsock -WhatIf -NoPersist
                $result.Loaded | Should -Be ($listed -or $device)
                $result.Changed | Should -BeFalse
                $result.Root | Should -Be '/'
            }
            Get-FakeCommand | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }
}
