using System;
using System.Collections.Generic;
using System.Linq;

namespace IsulaKata.Kata;

/// <summary>The hypervisors kata runs VMs with, and how their processes are recognised by name.</summary>
public static class HypervisorProcesses
{
    public const string StratoVirt = "StratoVirt";
    public const string Qemu = "Qemu";

    /// <summary>The hypervisors the module knows, as -Hypervisor spells them.</summary>
    public static readonly IReadOnlyList<string> Known = new[] { StratoVirt, Qemu };

    /// <summary>The canonical spelling of a hypervisor name (any case), or null when it is not one the module knows.</summary>
    public static string? Normalize(string? name)
        => name is null ? null : Known.FirstOrDefault(k => string.Equals(k, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Which hypervisor a process name (executable or argv[0] base name) belongs to: stratovirt, or qemu*
    /// (qemu-kvm, qemu-system-x86_64, qemu-system-aarch64).</summary>
    public static string? Identify(string processName)
    {
        if (processName == "stratovirt")
        {
            return StratoVirt;
        }
        return processName.StartsWith("qemu", StringComparison.Ordinal) ? Qemu : null;
    }

    /// <summary>What a process of <paramref name="hypervisor"/> is called, for messages.</summary>
    public static string ProcessNames(string? hypervisor) => hypervisor switch
    {
        StratoVirt => "stratovirt",
        Qemu => "qemu*",
        _ => "stratovirt or qemu*",
    };
}
