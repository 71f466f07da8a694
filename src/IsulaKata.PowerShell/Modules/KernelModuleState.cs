using System;
using System.Collections.Generic;

namespace IsulaKata.Modules;

/// <summary>A kernel module kata needs: loaded now, loaded at every boot, and the device it provides.</summary>
public sealed class KernelModuleState
{
    public string Name { get; internal init; } = string.Empty;

    /// <summary>Whether the running kernel has it (listed in /proc/modules, or built in); null under another -Root.</summary>
    public bool? Loaded { get; internal init; }

    /// <summary>True when the kernel has it built in (no module to load).</summary>
    public bool? BuiltIn { get; internal init; }

    /// <summary>Whether <see cref="PersistPath"/> lists it, so systemd-modules-load loads it at boot.</summary>
    public bool Persistent { get; internal init; }

    /// <summary>The modules-load.d file, as the target system sees it.</summary>
    public string PersistPath { get; internal init; } = string.Empty;

    public string DevicePath { get; internal init; } = string.Empty;

    /// <summary>Whether the device exists on the running host; null under another -Root.</summary>
    public bool? DeviceExists { get; internal init; }

    public bool Changed { get; internal init; }

    /// <summary>Backup of the previous modules-load.d file, as the target system sees it.</summary>
    public string? BackupPath { get; internal init; }

    /// <summary>The root the target system lives in ('/' for this host).</summary>
    public string Root { get; internal init; } = "/";
}
