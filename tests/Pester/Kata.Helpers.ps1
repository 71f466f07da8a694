# Dot-sourced by the kata tests: target roots laid out as each kata generation installs itself.

function New-KataKernelFile {
    # A file with the first bytes of a kernel format: bzImage, Elf, Arm64Image.
    param([Parameter(Mandatory)] [string] $Path, [ValidateSet('bzImage', 'Elf', 'Arm64Image')] [string] $Format = 'bzImage')
    $bytes = [byte[]]::new(0x240)
    switch ($Format) {
        'bzImage' { $bytes[0] = 0x4D; $bytes[1] = 0x5A; [Text.Encoding]::ASCII.GetBytes('HdrS').CopyTo($bytes, 0x202) }
        'Elf' { ([byte[]](0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0)).CopyTo($bytes, 0) }
        'Arm64Image' { $bytes[0] = 0x4D; $bytes[1] = 0x5A; ([byte[]](0x41, 0x52, 0x4D, 0x64)).CopyTo($bytes, 0x38) }
    }
    New-Item -ItemType Directory -Path (Split-Path $Path) -Force | Out-Null
    [IO.File]::WriteAllBytes($Path, $bytes)
}

function New-KataGenerationRoot {
    <#
    .SYNOPSIS
        A scratch root as a kata generation installs itself: its configuration files where its package puts them,
        and the kernel, initrd, hypervisor binaries and helpers its files name (small stand-ins).
        eu1: openEuler 22.03 LTS, kata 1.11.1 (one QEMU configuration.toml).
        eu2: openEuler 22.03 SP1+, kata 2.1.0 (QEMU configuration.toml + configuration-stratovirt.toml).
        eu2-aarch64: the same on aarch64 (virt machine, arm64 Image kernel).
        kata3: upstream kata 3.x (configuration.toml linking to configuration-qemu.toml, configuration-stratovirt.toml).
        runtime-rs: kata 3.x's Rust runtime (runtime-rs/configuration.toml).
    #>
    param([Parameter(Mandatory)] [ValidateSet('eu1', 'eu2', 'eu2-aarch64', 'kata3', 'runtime-rs')] [string] $Generation,
        [switch] $NoNetmon, [switch] $NoKernel)
    $defaults = '/usr/share/defaults/kata-containers'
    $files = switch ($Generation) {
        'eu1' { @{ "$defaults/configuration.toml" = 'Kata/kata1-qemu.toml' } }
        'eu2' { @{ "$defaults/configuration.toml" = 'Kata/kata2-qemu.toml'; "$defaults/configuration-stratovirt.toml" = 'Kata/kata2-stratovirt.toml' } }
        'eu2-aarch64' { @{ "$defaults/configuration.toml" = 'Kata/kata2-qemu-aarch64.toml'; "$defaults/configuration-stratovirt.toml" = 'Kata/kata2-stratovirt.toml' } }
        'kata3' { @{ "$defaults/configuration-qemu.toml" = 'Kata/kata3-qemu-long.toml'; "$defaults/configuration-stratovirt.toml" = 'Kata/kata3-stratovirt.toml' } }
        'runtime-rs' { @{ "$defaults/runtime-rs/configuration.toml" = 'Kata/runtime-rs-qemu.toml' } }
    }
    $root = New-TestRoot $files
    function Touch([string] $Target, [string] $Content = "stand-in`n") {
        $path = Join-Path $root $Target.TrimStart('/')
        New-Item -ItemType Directory -Path (Split-Path $path) -Force | Out-Null
        [IO.File]::WriteAllText($path, $Content)
        chmod 755 $path
    }
    switch -Wildcard ($Generation) {
        'eu*' {
            if (-not $NoKernel) { New-KataKernelFile (Join-Path $root 'var/lib/kata/kernel') $(if ($Generation -eq 'eu2-aarch64') { 'Arm64Image' } else { 'bzImage' }) }
            Touch '/var/lib/kata/kata-containers-initrd.img'
            Touch '/usr/bin/stratovirt'
            if (-not $NoNetmon) { Touch '/usr/bin/kata-netmon' }
        }
        'eu1' { Touch '/usr/bin/qemu-kvm'; Touch '/usr/libexec/kata-containers/kata-proxy'; Touch '/usr/libexec/kata-containers/kata-shim' }
        'eu2' { Touch '/usr/bin/qemu-system-x86_64'; Touch '/usr/libexec/kata-qemu/virtiofsd'; Touch '/usr/bin/vhost_user_fs' }
        'eu2-aarch64' { Touch '/usr/bin/qemu-system-aarch64'; Touch '/usr/libexec/kata-qemu/virtiofsd'; Touch '/usr/bin/vhost_user_fs' }
        'kata3' {
            New-Item -ItemType SymbolicLink -Path (Join-Path $root "$defaults/configuration.toml".TrimStart('/')) -Target 'configuration-qemu.toml' | Out-Null
            New-KataKernelFile (Join-Path $root 'usr/share/kata-containers/vmlinux.container') Elf
            New-KataKernelFile (Join-Path $root 'usr/share/kata-containers/vmlinuz.container') bzImage
            Touch '/usr/share/kata-containers/kata-containers.img'
            Touch '/usr/share/kata-containers/kata-containers-initrd.img'
            Touch '/usr/bin/qemu-system-x86_64'
            Touch '/usr/bin/stratovirt'
            Touch '/usr/libexec/virtiofsd'
        }
        'runtime-rs' {
            New-KataKernelFile (Join-Path $root 'opt/kata/share/kata-containers/vmlinux.container') Elf
            Touch '/opt/kata/share/kata-containers/kata-containers.img'
            Touch '/opt/kata/bin/qemu-system-x86_64'
        }
    }
    return $root
}
