using System;
using System.Collections.Generic;

namespace IsulaKata.Kata;

/// <summary>The hypervisor kata is configured to start, as Set-KataHypervisor left it or Get-KataHypervisor found it.</summary>
public sealed record KataHypervisorConfig
{
    /// <summary>The kata configuration.toml, as the target system sees it.</summary>
    public string ConfigPath { get; internal init; } = string.Empty;

    /// <summary>Why this file: <c>Parameter</c> (-ConfigPath), <c>Environment</c> (KATA_CONF_FILE from isulad's environment),
    /// <c>Etc</c> (the override kata reads first) or <c>Defaults</c>.</summary>
    public string ConfigSource { get; internal init; } = string.Empty;

    /// <summary>The reason in words, e.g. "/etc/kata-containers/configuration.toml does not exist, so kata reads the packaged defaults".</summary>
    public string ConfigReason { get; internal init; } = string.Empty;

    /// <summary>The installed kata's version when a program told it (rpm, kata-runtime, the shim), else null.</summary>
    public string? KataVersion { get; internal init; }

    /// <summary><c>1</c> (kata 1.x), <c>2</c> (openEuler's 2.1.0), <c>3</c> (upstream's Go runtime) or <c>runtime-rs</c>.</summary>
    public string KataGeneration { get; internal init; } = string.Empty;

    /// <summary>How the generation was told: the program asked, or the configuration's tables and keys.</summary>
    public string GenerationSource { get; internal init; } = string.Empty;

    /// <summary>The package's own per-hypervisor file the configuration was made from (e.g.
    /// /usr/share/defaults/kata-containers/configuration-stratovirt.toml); null when the file was edited in place.</summary>
    public string? ShippedConfig { get; internal init; }

    /// <summary>kata 3.x's config.d drop-ins beside the configuration; their keys win over the file's.</summary>
    public IReadOnlyList<string> DropIns { get; internal init; } = Array.Empty<string>();

    /// <summary>StratoVirt, Qemu, or the table name of another hypervisor (clh, firecracker, dragonball); null when none is active.</summary>
    public string? Hypervisor { get; internal init; }

    /// <summary>The hypervisor binary: the wrapper's exec target for StratoVirt, else <c>path</c>.</summary>
    public string? HypervisorPath { get; internal init; }

    /// <summary>The wrapper script <c>path</c> points at (StratoVirt), or null.</summary>
    public string? WrapperPath { get; internal init; }

    /// <summary>STRATOVIRT_LOG_LEVEL set by the wrapper.</summary>
    public string? LogLevel { get; internal init; }

    public string? Kernel { get; internal init; }
    public string? Initrd { get; internal init; }

    /// <summary>The guest rootfs image (kata uses either <c>initrd</c> or <c>image</c>).</summary>
    public string? Image { get; internal init; }

    public string? BlockDeviceDriver { get; internal init; }

    /// <summary><c>machine_type</c> of the hypervisor table (microvm for StratoVirt; q35 or virt for QEMU).</summary>
    public string? MachineType { get; internal init; }

    /// <summary><c>[netmon] enable_netmon</c> (kata 1.x and 2.x).</summary>
    public bool? EnableNetmon { get; internal init; }

    /// <summary><c>[netmon] path</c>, and whether that binary exists on the target.</summary>
    public string? NetmonPath { get; internal init; }
    public bool? NetmonPathExists { get; internal init; }
    public bool? UseVsock { get; internal init; }

    /// <summary><c>[runtime] sandbox_cgroup_with_emulator</c>; null when this kata has no such key (kata 2.x and later).</summary>
    public bool? SandboxCgroupWithEmulator { get; internal init; }

    public string? OzonePath { get; internal init; }

    /// <summary><c>[factory] enable_template</c>.</summary>
    public bool? EnableTemplate { get; internal init; }

    /// <summary>Whether the kernel, initrd (or image) and hypervisor binary exist on the target (null when not configured).</summary>
    public bool? KernelExists { get; internal init; }
    public bool? InitrdExists { get; internal init; }
    public bool? HypervisorPathExists { get; internal init; }

    /// <summary>Every active [hypervisor.*] table; more than one means kata picks one at random (kata 1.x).</summary>
    public IReadOnlyList<string> ActiveHypervisors { get; internal init; } = Array.Empty<string>();

    /// <summary>True for a kata 3 runtime-rs configuration, which chooses the hypervisor with [runtime] hypervisor_name.</summary>
    public bool RuntimeRs { get; internal init; }

    /// <summary>The iSulad runtime name, passed through the pipeline (e.g. from Set-IsulaRuntime).</summary>
    public string Runtime { get; internal init; } = KataRules.DefaultRuntime;

    public bool Changed { get; internal init; }

    /// <summary>Backup of the previous configuration, as the target system sees it.</summary>
    public string? BackupPath { get; internal init; }

    /// <summary>One line per change made (or, with -WhatIf, that would be made).</summary>
    public IReadOnlyList<string> Changes { get; internal init; } = Array.Empty<string>();

    public IReadOnlyList<string> Warnings { get; internal init; } = Array.Empty<string>();

    /// <summary>The root the target system lives in ('/' for this host).</summary>
    public string Root { get; internal init; } = "/";
}
