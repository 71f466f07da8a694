# Enable-VhostVsock against a real kernel (Debian 12, 6.1) with real modprobe, inside the throwaway guest of
# tests/vm/testvm.sh (the VM suite runs every file here with tag VM). It loads and unloads vhost_vsock, hides
# the kernel's module folder and writes /etc/modules-load.d, so it refuses to run anywhere else. The It blocks build on
# each other and run in order.

BeforeAll {
    if ($env:ISULAKATA_TESTVM -ne '1' -or -not (Test-Path -LiteralPath '/proc/modules')) {
        throw 'These tests load and unload kernel modules and change /etc: they run only inside the testvm guest (tests/vm/testvm.sh, ISULAKATA_TESTVM=1).'
    }
    . (Join-Path $PSScriptRoot '../Pester/Common.ps1')
    $script:Conf = '/etc/modules-load.d/isulakata.conf'

    function Test-ModuleListed { [bool](Select-String -LiteralPath /proc/modules -Pattern '^vhost_vsock ' -Quiet) }
}

Describe 'vhost_vsock on a real kernel' -Tag 'VM' {
    It 'starts without vhost_vsock' {
        if (Test-ModuleListed) { modprobe -r vhost_vsock }
        Remove-Item -LiteralPath $Conf -ErrorAction SilentlyContinue
        Test-ModuleListed | Should -BeFalse
        Test-Path -LiteralPath /dev/vhost-vsock | Should -BeFalse
    }

    It '-WhatIf loads nothing and writes nothing' {
        $result = Enable-VhostVsock -WhatIf
        $result.Loaded | Should -BeFalse
        $result.Changed | Should -BeFalse
        Test-ModuleListed | Should -BeFalse
        Test-Path -LiteralPath $Conf | Should -BeFalse
    }

    It 'loads the module, finds the character device, and makes it load at boot' {
        $result = Enable-VhostVsock
        $result.Loaded | Should -BeTrue
        $result.BuiltIn | Should -BeFalse
        $result.DeviceExists | Should -BeTrue
        $result.Persistent | Should -BeTrue
        $result.Changed | Should -BeTrue
        Test-ModuleListed | Should -BeTrue
        stat -c '%F' /dev/vhost-vsock | Should -Be 'character special file'
        Get-Content -Raw -LiteralPath $Conf | Should -BeExactly "# Kernel modules IsulaKata needs at boot, loaded by systemd-modules-load.service.`nvhost_vsock`n"
    }

    It 'does nothing the second time' {
        $stamp = (Get-Item -LiteralPath $Conf).LastWriteTimeUtc
        $result = Enable-VhostVsock
        $result.Changed | Should -BeFalse
        $result.Loaded | Should -BeTrue
        (Get-Item -LiteralPath $Conf).LastWriteTimeUtc | Should -Be $stamp
    }

    It 'loads it again after it was unloaded (as after a reboot), leaving the boot file as it is' {
        modprobe -r vhost_vsock
        Test-ModuleListed | Should -BeFalse
        $stamp = (Get-Item -LiteralPath $Conf).LastWriteTimeUtc
        $result = Enable-VhostVsock
        $result.Changed | Should -BeTrue
        $result.DeviceExists | Should -BeTrue
        (Get-Item -LiteralPath $Conf).LastWriteTimeUtc | Should -Be $stamp
    }

    It 'says the module file is missing when the kernel has none, quoting modprobe' {
        modprobe -r vhost_vsock
        # A kernel whose modules are not installed: an empty folder over this kernel's module folder.
        $modules = "/lib/modules/$(uname -r)"
        mount -t tmpfs none $modules
        try {
            $err = $null
            try { Enable-VhostVsock -NoPersist } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'KernelModuleNotFound,IsulaKata.Commands.EnableVhostVsockCommand'
            $err.Exception.Message | Should -Match "modprobe: FATAL: Module vhost_vsock not found in directory /lib/modules/$([regex]::Escape((uname -r)))"
            Test-ModuleListed | Should -BeFalse
        }
        finally { umount $modules }
    }

    It 'reports a load that modprobe refuses, with its message' {
        Set-Content -LiteralPath /etc/modprobe.d/isulakata-test-no-vsock.conf -Value 'install vhost_vsock /bin/false'
        try {
            $err = $null
            try { Enable-VhostVsock -NoPersist } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'KernelModuleLoadFailed,IsulaKata.Commands.EnableVhostVsockCommand'
            $err.Exception.Message | Should -BeLike "'modprobe vhost_vsock' failed with exit code 1*"
        }
        finally { Remove-Item -LiteralPath /etc/modprobe.d/isulakata-test-no-vsock.conf }
        (Enable-VhostVsock).Loaded | Should -BeTrue
    }
}
