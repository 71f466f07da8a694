using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>
/// What a kata configuration makes kata start (Get-KataHypervisor, the doctor, Test-SecureContainer's expected
/// hypervisor, and Set-KataHypervisor's output): the hypervisor, its binary (through a wrapper), kernel, initrd or
/// image, netmon, the generation, and warnings about anything kata would not run with.
/// </summary>
public sealed class KataHypervisorDescriber
{
    private const long MaxWrapperSize = 64 * 1024;
    private readonly HostContext _host;

    /// <summary>What packaged files say (the hypervisor tables they activate, the architecture), read once per call.</summary>
    private readonly Dictionary<string, PackagedFacts?> _packaged = new(StringComparer.Ordinal);

    public KataHypervisorDescriber(HostContext host) => _host = host;

    /// <summary>The facts a configuration file gives for choosing a shipped file: its text, its active hypervisor
    /// tables and the architecture it is for.</summary>
    internal sealed record PackagedFacts(string Text, IReadOnlyList<string> Active, string Architecture)
    {
        public static PackagedFacts Of(string text, TomlEditor editor)
            => new(text, KataHypervisorTables.Active(editor), KataGeneration.Architecture(editor));
    }

    /// <summary>The facts of a configuration file, read and parsed once for this describer's call; null when the file does
    /// not exist.</summary>
    internal PackagedFacts? Packaged(string path)
    {
        if (!_packaged.TryGetValue(path, out PackagedFacts? facts))
        {
            string? text = KataConfigText.Read(_host.Files, path);
            facts = text is null ? null : PackagedFacts.Of(text, TomlEditor.Parse(KataConfigText.WithoutBom(text), path));
            _packaged[path] = facts;
        }
        return facts;
    }

    /// <summary>Records the facts of a file already parsed (before any edit), so that it is not parsed again.</summary>
    internal void Remember(string path, string text, TomlEditor unedited) => _packaged[path] = PackagedFacts.Of(text, unedited);

    /// <summary>Get-KataHypervisor: the configuration kata reads (or the one given), described.</summary>
    public KataHypervisorConfig Read(string? configPath, string runtime)
    {
        KataConfigLocation location = new KataConfigLocator(_host).Locate(configPath);
        string text = KataConfigText.Read(_host.Files, location.Path) ?? throw NotFound(location);
        TomlEditor editor = TomlEditor.Parse(KataConfigText.WithoutBom(text), location.Path);
        Remember(location.Path, text, editor);
        var warnings = new List<string>();
        KataHypervisorConfig config = Describe(editor, location, KataGeneration.Detect(_host, location, editor), runtime, warnings);
        return config with { Warnings = warnings };
    }

    /// <summary>The output's fields for the configuration as the editor holds it; adds the warnings about it.</summary>
    public KataHypervisorConfig Describe(TomlEditor editor, KataConfigLocation location, KataGeneration generation, string runtime, List<string> warnings,
        string? plannedWrapper = null, string? plannedWrapperText = null, string? shipped = null)
    {
        string path = location.Path;
        IReadOnlyList<string> active = KataHypervisorTables.Active(editor);
        bool runtimeRs = generation.Generation == KataGeneration.RuntimeRs;
        string? table = null;
        if (runtimeRs && editor.GetString(KataRules.Runtime, "hypervisor_name") is string name)
        {
            table = KataRules.HypervisorPrefix + name;
            if (!active.Contains(table))
            {
                warnings.Add($"[runtime] hypervisor_name = \"{name}\" in '{path}', but the file has no active [{table}] table: kata cannot start a VM.");
            }
        }
        else if (active.Count > 0)
        {
            table = active[0];
        }
        if (active.Count == 0)
        {
            warnings.Add($"'{path}' has no active [hypervisor.*] table: kata cannot start a VM. Run Set-KataHypervisor.");
        }
        else if (active.Count > 1 && !runtimeRs)
        {
            warnings.Add($"'{path}' has {active.Count} active hypervisor tables ({string.Join(", ", active.Select(t => "[" + t + "]"))}): "
                + "kata picks one of them at random. Run Set-KataHypervisor to keep exactly one.");
        }
        if (location.ShadowedBy is string shadow)
        {
            warnings.Add($"kata reads '{shadow}', not '{path}': changes to '{path}' take no effect while '{shadow}' exists.");
        }
        DropInWarnings(location, table, warnings);

        KataHypervisorConfig config = new()
        {
            ConfigPath = path,
            ConfigSource = location.Source,
            ConfigReason = location.Reason,
            KataVersion = generation.Version,
            KataGeneration = generation.Generation,
            GenerationSource = generation.Evidence,
            ShippedConfig = shipped,
            DropIns = location.DropIns,
            SandboxCgroupWithEmulator = editor.GetBool(KataRules.Runtime, "sandbox_cgroup_with_emulator"),
            EnableTemplate = editor.GetBool(KataRules.Factory, "enable_template"),
            ActiveHypervisors = active,
            RuntimeRs = runtimeRs,
            Runtime = runtime,
            Root = _host.Root,
        };
        if (generation.HasNetmon && editor.HasTable(KataRules.Netmon))
        {
            string netmon = editor.GetString(KataRules.Netmon, "path") ?? KataGeneration.ShippedNetmonPath;
            bool? netmonExists = Exists(netmon);
            bool? enabled = editor.GetBool(KataRules.Netmon, "enable_netmon");
            if (enabled == true && netmonExists == false)
            {
                warnings.Add($"[netmon] enable_netmon = true, but '{netmon}' ([netmon] path) does not exist on the target: kata {generation.Generation}.x fails every sandbox when netmon cannot start. Run Set-KataHypervisor, which points path at {KataGeneration.PackageNetmonPath} when that exists or leaves netmon off.");
            }
            config = config with { EnableNetmon = enabled, NetmonPath = netmon, NetmonPathExists = netmonExists };
        }
        if (table is null || !editor.HasTable(table))
        {
            return config;
        }

        string? configuredPath = editor.GetString(table, "path");
        string? hypervisorPath = configuredPath;
        string? wrapperPath = null;
        string? logLevel = null;
        string? wrapperText = configuredPath is not null && configuredPath == plannedWrapper ? plannedWrapperText : configuredPath is null ? null : ReadSmallText(configuredPath);
        if (wrapperText is not null && StratoVirtWrapper.Parse(wrapperText) is { } wrapper)
        {
            wrapperPath = configuredPath;
            hypervisorPath = wrapper.Binary;
            logLevel = wrapper.LogLevel;
        }
        string? kernel = editor.GetString(table, "kernel");
        string? initrd = editor.GetString(table, "initrd");
        string? image = editor.GetString(table, "image");
        bool? kernelExists = Exists(kernel);
        bool? initrdExists = Exists(initrd ?? image);
        bool? binaryExists = Exists(hypervisorPath);
        Missing("kernel", kernel, kernelExists, "Install-KataGuestKernel places one");
        Missing(initrd is not null ? "initrd" : "image", initrd ?? image, initrdExists, "install kata-containers, which ships it, or build one with kata's osbuilder");
        Missing("hypervisor binary", hypervisorPath, binaryExists, table switch
        {
            "hypervisor.stratovirt" => "install the stratovirt package, or pass its path with -HypervisorPath",
            "hypervisor.qemu" => "install qemu (the qemu-kvm binary), or pass its path with -HypervisorPath",
            _ => "install that hypervisor",
        });
        if (kernel is not null && kernelExists == true && KnownKind(table) is KataHypervisorKind kind
            && KataKernelFormat.Of(_host.Files.ToHostPath(kernel)) is string format
            && KataKernelFormat.Problem(format, kind, Architecture(editor)) is string problem)
        {
            warnings.Add($"The kernel '{kernel}' named in [{table}] may not boot: {problem}. Pass a kernel built for it with -Kernel (Install-KataGuestKernel places one).");
        }
        long memory = editor.GetInteger(table, "default_memory") ?? 2048;
        if (initrd is not null && initrdExists == true && memory > 0 && InitrdSize(initrd) is long size && size >= memory * 1024 * 1024)
        {
            warnings.Add($"The initrd '{initrd}' ({size / 1048576} MiB) is not smaller than the VM's memory (default_memory = {memory} MiB in [{table}]): the guest cannot unpack it. Raise default_memory or use a smaller initrd.");
        }
        if (editor.GetString(table, "ozone_path") is string ozone && Exists(ozone) == false)
        {
            warnings.Add($"ozone_path '{ozone}' does not exist on the target: StratoVirt will not start in the Ozone sandbox. Install ozone (the stratovirt package ships it).");
        }
        if (initrd is not null && image is not null)
        {
            warnings.Add($"[{table}] in '{path}' sets both initrd and image; kata takes only one of them. Run Set-KataHypervisor with -Initrd or -Image.");
        }
        return config with
        {
            Hypervisor = KataRules.DisplayName(table),
            HypervisorPath = hypervisorPath,
            WrapperPath = wrapperPath,
            LogLevel = logLevel,
            Kernel = kernel,
            Initrd = initrd,
            Image = image,
            BlockDeviceDriver = editor.GetString(table, "block_device_driver"),
            MachineType = editor.GetString(table, "machine_type"),
            UseVsock = editor.GetBool(table, "use_vsock"),
            OzonePath = editor.GetString(table, "ozone_path"),
            KernelExists = kernelExists,
            InitrdExists = initrdExists,
            HypervisorPathExists = binaryExists,
        };

        void Missing(string what, string? file, bool? exists, string fix)
        {
            if (file is not null && exists == false)
            {
                warnings.Add($"The {what} '{file}' named in [{table}] does not exist on the target: kata cannot start the VM until it does ({fix}).");
            }
        }
    }

    /// <summary>The target's architecture, from this configuration and the packaged one (a QEMU table for the virt machine, qemu-system-aarch64).</summary>
    public string Architecture(TomlEditor? editor)
    {
        string arch = editor is null ? KataGeneration.HostArchitecture : KataGeneration.Architecture(editor);
        if (arch == KataGeneration.Aarch64)
        {
            return arch;
        }
        foreach (string packaged in new[] { KataConfigLocator.DefaultsConfigPath, KataConfigLocator.DefaultsFolder + "/configuration-qemu.toml" })
        {
            try
            {
                if (Exists(packaged) == true && Packaged(packaged)?.Architecture == KataGeneration.Aarch64)
                {
                    return KataGeneration.Aarch64;
                }
            }
            catch (IsulaKataException)
            {
                // An unreadable packaged file tells nothing about the architecture.
            }
        }
        return arch;
    }

    /// <summary>Warns about config.d drop-ins (kata 3.x): a key they set in the hypervisor table or [runtime] wins over the file's,
    /// and a hypervisor table they add is one more kata may pick.</summary>
    private void DropInWarnings(KataConfigLocation location, string? table, List<string> warnings)
    {
        foreach (string dropIn in location.DropIns)
        {
            TomlEditor editor;
            try
            {
                editor = TomlEditor.Parse(KataConfigText.WithoutBom(KataConfigText.Read(_host.Files, dropIn) ?? string.Empty), dropIn);
            }
            catch (IsulaKataException error)
            {
                warnings.Add($"The drop-in '{dropIn}' cannot be read ({error.Message}): kata refuses to start while it is broken.");
                continue;
            }
            foreach (string other in KataHypervisorTables.Active(editor).Where(t => t != table))
            {
                warnings.Add($"The drop-in '{dropIn}' defines [{other}]: kata merges it into '{location.Path}', so it is one more hypervisor kata may pick. Remove it from the drop-in.");
            }
            foreach (string place in new[] { table, KataRules.Runtime, KataRules.Factory }.OfType<string>().Where(editor.HasTable))
            {
                foreach (string key in editor.Keys(place))
                {
                    warnings.Add($"The drop-in '{dropIn}' sets [{place}] {key} = {editor.Get(place, key)?.Text}: it wins over '{location.Path}'.");
                }
            }
        }
    }

    /// <summary>The hypervisor tables other than <paramref name="table"/> that config.d drop-ins define: kata merges them
    /// into the file, so each is one more active hypervisor (kata then picks one at random). Unreadable drop-ins are left
    /// to <see cref="DropInWarnings"/>.</summary>
    public IReadOnlyList<(string DropIn, string Table)> DropInHypervisors(IReadOnlyList<string> dropIns, string table)
    {
        var found = new List<(string, string)>();
        foreach (string dropIn in dropIns)
        {
            try
            {
                TomlEditor editor = TomlEditor.Parse(KataConfigText.WithoutBom(KataConfigText.Read(_host.Files, dropIn) ?? string.Empty), dropIn);
                found.AddRange(KataHypervisorTables.Active(editor).Where(t => t != table).Select(t => (dropIn, t)));
            }
            catch (IsulaKataException)
            {
                // Reported by DropInWarnings.
            }
        }
        return found;
    }

    /// <summary>The refusal (Set-KataHypervisor) and the failure (the doctor) for a drop-in that adds a hypervisor.</summary>
    public static IsulaKataException DropInAddsHypervisor(string dropIn, string other, string table, string path)
        => new("KataDropInAddsHypervisor", FailureKind.InvalidOperation,
            $"The drop-in '{dropIn}' defines [{other}]: kata merges it into '{path}', so [{other}] and [{table}] are both active and kata picks one of them at random on every start. Nothing was changed.",
            $"Remove '{dropIn}', or edit it so that it defines no [{other}] (keys of [{table}] there are fine), then run the command again.", dropIn);

    private static KataHypervisorKind? KnownKind(string table) => table switch
    {
        "hypervisor.stratovirt" => KataHypervisorKind.StratoVirt,
        "hypervisor.qemu" => KataHypervisorKind.Qemu,
        _ => null,
    };

    /// <summary>Whether a target path exists; null when it cannot be told (a link that leaves the root).</summary>
    public bool? Exists(string? path)
    {
        if (path is null)
        {
            return null;
        }
        try
        {
            return _host.Files.FileExists(path);
        }
        catch (IsulaKataException)
        {
            return null;
        }
    }

    private long? InitrdSize(string path)
    {
        try
        {
            return new FileInfo(_host.Files.ToHostPath(path)).Length;
        }
        catch (Exception e) when (e is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string? ReadSmallText(string path)
    {
        try
        {
            string host = _host.Files.ToHostPath(path);
            var info = new FileInfo(host);
            if (!info.Exists || info.Length > MaxWrapperSize || !KataConfigText.IsRegularFile(host))
            {
                return null;
            }
            return _host.Files.ReadText(path);
        }
        catch (Exception e) when (e is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static IsulaKataException NotFound(KataConfigLocation location)
        => new("KataConfigNotFound", FailureKind.ObjectNotFound,
            location.Source switch
            {
                "Parameter" => $"The kata configuration '{location.Path}' does not exist.",
                _ => $"No kata configuration was found: neither {KataConfigLocator.EtcConfigPath} nor {KataConfigLocator.DefaultsConfigPath} exists.",
            },
            "Install kata-containers (it ships the configuration), or pass the file with -ConfigPath.", location.Path);
}
