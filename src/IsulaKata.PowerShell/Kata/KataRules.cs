using System;
using System.Collections.Generic;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>The hypervisors Set-KataHypervisor configures.</summary>
public enum KataHypervisorKind
{
    StratoVirt,
    Qemu,
}

/// <summary>What kata reads, where, and which table owns which key (see DOMAIN.md).</summary>
public static class KataRules
{
    /// <summary>The file kata reads first when it exists.</summary>
    public const string EtcConfigPath = "/etc/kata-containers/configuration.toml";

    /// <summary>The file the package ships; read when <see cref="EtcConfigPath"/> does not exist.</summary>
    public const string DefaultsConfigPath = "/usr/share/defaults/kata-containers/configuration.toml";

    public const string DefaultRuntime = "io.containerd.kata.v2";
    public const string DefaultWrapperPath = "/usr/local/libexec/isulakata/stratovirt.sh";
    public const string DefaultStratoVirtPath = "/usr/bin/stratovirt";
    public const string DefaultQemuPath = "/usr/bin/qemu-kvm";
    public const string DefaultStratoVirtKernel = "/var/lib/kata/vmlinux.bin";

    /// <summary>The kernel openEuler's kata 1.x QEMU configuration names; used only when a new QEMU table needs one.</summary>
    public const string DefaultQemuKernel = "/var/lib/kata/kernel";

    public const string DefaultInitrd = "/var/lib/kata/kata-containers-initrd.img";
    public const string DefaultLogLevel = "info";

    public const string Runtime = "runtime";
    public const string Netmon = "netmon";
    public const string Factory = "factory";
    public const string HypervisorPrefix = "hypervisor.";

    /// <summary>STRATOVIRT_LOG_LEVEL values StratoVirt understands.</summary>
    public static readonly IReadOnlyList<string> LogLevels = new[] { "trace", "debug", "info", "warn", "error" };

    /// <summary>Keys this module writes outside the hypervisor table, with the table that owns each.</summary>
    public static readonly IReadOnlyDictionary<string, string> NonHypervisorKeys = new Dictionary<string, string>
    {
        ["sandbox_cgroup_with_emulator"] = Runtime,
        ["internetworking_model"] = Runtime,
        ["disable_new_netns"] = Runtime,
        ["hypervisor_name"] = Runtime,
        ["enable_netmon"] = Netmon,
        ["enable_template"] = Factory,
    };

    /// <summary>Keys only a hypervisor table owns (<c>path</c> is left out: [netmon], [proxy.*] and [shim.*] have one too).</summary>
    public static readonly IReadOnlyList<string> HypervisorOnlyKeys = new[]
    {
        "kernel", "initrd", "image", "block_device_driver", "use_vsock", "disable_block_device_use", "disable_vhost_net", "ozone_path",
    };

    public static string TableOf(KataHypervisorKind kind) => HypervisorPrefix + TableSuffix(kind);

    public static string TableSuffix(KataHypervisorKind kind) => kind == KataHypervisorKind.StratoVirt ? "stratovirt" : "qemu";

    /// <summary>The value runtime-rs expects in <c>[runtime] hypervisor_name</c>.</summary>
    public static string RuntimeRsName(KataHypervisorKind kind) => TableSuffix(kind);

    /// <summary>"StratoVirt" and "Qemu" for the tables this module knows, the table's own suffix otherwise ("clh", "dragonball").</summary>
    public static string DisplayName(string tableOrSuffix)
    {
        string suffix = tableOrSuffix.StartsWith(HypervisorPrefix, StringComparison.Ordinal) ? tableOrSuffix.Substring(HypervisorPrefix.Length) : tableOrSuffix;
        return suffix switch
        {
            "stratovirt" => nameof(KataHypervisorKind.StratoVirt),
            "qemu" => nameof(KataHypervisorKind.Qemu),
            _ => suffix,
        };
    }

    /// <summary>Parses -Hypervisor: StratoVirt or Qemu, in any case.</summary>
    public static KataHypervisorKind ParseHypervisor(string name)
    {
        foreach (KataHypervisorKind kind in Enum.GetValues<KataHypervisorKind>())
        {
            if (string.Equals(kind.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }
        throw new IsulaKataException("UnknownHypervisor", FailureKind.InvalidArgument,
            $"'{name}' is not a hypervisor this module configures.", "Use -Hypervisor StratoVirt or -Hypervisor Qemu.", name);
    }

    /// <summary>The log level in the form StratoVirt reads (lower case); refuses anything else.</summary>
    public static string NormalizeLogLevel(string level)
    {
        string lower = level.Trim().ToLowerInvariant();
        if (!LogLevels.Contains(lower))
        {
            throw new IsulaKataException("InvalidLogLevel", FailureKind.InvalidArgument,
                $"'{level}' is not a StratoVirt log level.", $"Use one of: {string.Join(", ", LogLevels)}.", level);
        }
        return lower;
    }

    /// <summary>Refuses a path that is not absolute or that cannot be written into a config or a shell script.</summary>
    public static void ValidateTargetPath(string parameter, string path)
    {
        if (!path.StartsWith('/') || path.Any(c => char.IsControl(c)))
        {
            throw new IsulaKataException("PathNotAbsolute", FailureKind.InvalidArgument,
                $"{parameter} '{path}' is not an absolute path of the target system.",
                $"Give {parameter} as the target system sees it, starting with '/' (for example {Example(parameter)}).", path);
        }
    }

    private static string Example(string parameter) => parameter switch
    {
        "-Kernel" => DefaultStratoVirtKernel,
        "-Initrd" => DefaultInitrd,
        "-WrapperPath" => DefaultWrapperPath,
        "-HypervisorPath" => DefaultStratoVirtPath,
        _ => "/usr/bin/ozone",
    };
}
