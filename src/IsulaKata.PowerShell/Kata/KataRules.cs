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
    public const string DefaultRuntime = "io.containerd.kata.v2";
    public const string DefaultWrapperPath = "/usr/local/libexec/isulakata/stratovirt.sh";
    public const string DefaultStratoVirtPath = "/usr/bin/stratovirt";
    public const string DefaultQemuPath = "/usr/bin/qemu-kvm";

    /// <summary>The guide's kernel: used only when no kernel is configured or shipped (Install-KataGuestKernel places it).</summary>
    public const string GuideKernel = "/var/lib/kata/vmlinux.bin";

    /// <summary>The kernel every openEuler kata RPM ships (bzImage on x86_64, arm64 Image on aarch64).</summary>
    public const string PackageKernel = "/var/lib/kata/kernel";

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

    /// <summary>Refuses a path that is not absolute, names a folder (a trailing '/'), or holds a control character
    /// (a newline would start a new line of the wrapper script or the configuration).</summary>
    public static void ValidateTargetPath(string parameter, string path)
    {
        if (!path.StartsWith('/'))
        {
            throw new IsulaKataException("PathNotAbsolute", FailureKind.InvalidArgument,
                $"{parameter} '{path}' is not an absolute path of the target system.",
                $"Give {parameter} as the target system sees it, starting with '/' (for example {Example(parameter)}).", path);
        }
        if (path.Any(char.IsControl) || path.Any(c => char.IsSurrogate(c)) && !IsWellFormed(path))
        {
            throw new IsulaKataException("PathNotValid", FailureKind.InvalidArgument,
                $"{parameter} holds a control character (a newline, a tab, NUL...): it cannot name a file in kata's configuration or the wrapper script.",
                $"Give {parameter} as a plain path (for example {Example(parameter)}).", path);
        }
        if (path.Length > 1 && path.EndsWith('/'))
        {
            throw new IsulaKataException("PathIsFolder", FailureKind.InvalidArgument,
                $"{parameter} '{path}' ends with '/': it names a folder, and kata needs a file.",
                $"Give {parameter} as the path of a file (for example {Example(parameter)}).", path);
        }
    }

    /// <summary>A path with '//' and '.' removed and '..' applied, as the kernel resolves it (without following links).</summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    private static bool IsWellFormed(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static string Example(string parameter) => parameter switch
    {
        "-Kernel" => PackageKernel,
        "-Initrd" => DefaultInitrd,
        "-WrapperPath" => DefaultWrapperPath,
        "-HypervisorPath" => DefaultStratoVirtPath,
        _ => "/usr/bin/ozone",
    };
}
