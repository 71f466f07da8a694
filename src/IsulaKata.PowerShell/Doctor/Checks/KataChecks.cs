using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;
using IsulaKata.Isulad;
using IsulaKata.Kata;

namespace IsulaKata.Doctor.Checks;

/// <summary>
/// kata's configuration, read with Get-KataHypervisor's engine (<see cref="KataHypervisorDescriber"/>): which file
/// kata reads, exactly one active hypervisor table, every key in the table kata reads it from, and the hypervisor
/// binary, wrapper, kernel and initrd (or image) there, executable where they must be.
/// </summary>
public sealed class KataChecks : HostCheckArea
{
    private const string ConfigName = "Configuration";
    private const string TablesName = "Hypervisor table";
    private const string KeysName = "Keys in their tables";
    private const string BinaryName = "Hypervisor binary";
    private const string WrapperName = "StratoVirt wrapper";
    private const string KernelName = "Guest kernel";
    private const string InitrdName = "Guest initrd or image";
    private const string GenerationName = "Kata generation";
    private const string NetmonName = "Netmon";
    private const string DropInsName = "Drop-ins";

    public KataChecks(HostCheckContext context) : base(context) { }

    public override string Name => HostAreas.Kata;

    public override IEnumerable<IsulaKataCheck> Run()
    {
        (KataHypervisorConfig? config, TomlEditor? editor, IsulaKataCheck? broken) = Read();
        if (config is null || editor is null)
        {
            yield return broken!;
            yield break;
        }
        yield return Configuration(config);
        yield return Generation(config);
        yield return Tables(config);
        if (config.DropIns.Count > 0)
        {
            yield return DropIns(config);
        }
        foreach (IsulaKataCheck check in Keys(config, editor))
        {
            yield return check;
        }
        if (config.Hypervisor is null)
        {
            yield break;
        }
        yield return Binary(config);
        if (config.Hypervisor == HypervisorProcesses.StratoVirt)
        {
            yield return Wrapper(config);
        }
        yield return Kernel(config);
        yield return Initrd(config);
        if (config.NetmonPath is not null)
        {
            yield return Netmon(config);
        }
    }

    private IsulaKataCheck Generation(KataHypervisorConfig config)
    {
        string version = config.KataVersion is null ? string.Empty : $" {config.KataVersion}";
        string drops = config.DropIns.Count == 0 ? string.Empty : $"; config.d drop-ins: {string.Join(", ", config.DropIns)}";
        return Pass(GenerationName, $"kata{version}, generation {config.KataGeneration} (told by {config.GenerationSource}){drops}.");
    }

    private IsulaKataCheck Netmon(KataHypervisorConfig config)
    {
        const string remedy = "Set-KataHypervisor -Hypervisor StratoVirt   (points [netmon] path at /usr/bin/kata-netmon when that exists, else leaves netmon off)";
        if (config.EnableNetmon != true)
        {
            return Pass(NetmonName, $"netmon is off ([netmon] path '{config.NetmonPath}').");
        }
        return config.NetmonPathExists switch
        {
            true => Pass(NetmonName, $"netmon is on and '{config.NetmonPath}' exists."),
            false => Fail(NetmonName, $"[netmon] enable_netmon = true, but '{config.NetmonPath}' does not exist: kata {config.KataGeneration}.x fails every sandbox whose netmon cannot start.", remedy),
            _ => Warn(NetmonName, $"Whether '{config.NetmonPath}' exists cannot be told (it is a link that leaves the root).", "Check it on the running system."),
        };
    }

    private (KataHypervisorConfig?, TomlEditor?, IsulaKataCheck?) Read()
    {
        try
        {
            KataHypervisorConfig config = new KataHypervisorDescriber(Host).Read(Context.KataConfigPath, IsuladRules.KataShimV2);
            // The keys' places need the syntax tree, which the configuration object does not carry.
            TomlEditor editor = TomlEditor.Parse(KataConfigText.WithoutBom(KataConfigText.Read(Host.Files, config.ConfigPath) ?? string.Empty), config.ConfigPath);
            return (config, editor, null);
        }
        catch (IsulaKataException error)
        {
            string remedy = error.ErrorId == "KataConfigNotFound"
                ? "Install kata-containers (Install-IsulaKataPackage -Name kata-containers), which ships the configuration, or name the file with -KataConfigPath."
                : error.RecommendedAction;
            return (null, null, Fail(ConfigName, error.Message, remedy));
        }
        catch (UnauthorizedAccessException)
        {
            return (null, null, SkipNeedsRoot(ConfigName, "Reading kata's configuration"));
        }
    }

    private IsulaKataCheck Configuration(KataHypervisorConfig config)
    {
        string? shadow = config.Warnings.FirstOrDefault(w => w.StartsWith("kata reads '", StringComparison.Ordinal));
        return shadow is null
            ? Pass(ConfigName, $"kata reads '{config.ConfigPath}': {config.ConfigReason}.")
            : Warn(ConfigName, shadow, "Check the file kata reads (leave -KataConfigPath out), or remove the one that shadows it.");
    }

    private IsulaKataCheck Tables(KataHypervisorConfig config)
    {
        IReadOnlyList<string> active = config.ActiveHypervisors;
        string list = string.Join(", ", active.Select(t => "[" + t + "]"));
        if (active.Count == 0)
        {
            return Fail(TablesName, $"'{config.ConfigPath}' has no active [hypervisor.*] table: kata cannot start a VM.",
                "Set-KataHypervisor -Hypervisor StratoVirt   (or -Hypervisor Qemu)");
        }
        if (config.RuntimeRs)
        {
            string? selected = config.Warnings.FirstOrDefault(w => w.Contains("hypervisor_name", StringComparison.Ordinal));
            return selected is null
                ? Pass(TablesName, $"[runtime] hypervisor_name selects {config.Hypervisor} (runtime-rs); active tables: {list}.")
                : Fail(TablesName, selected, $"Set-KataHypervisor -Hypervisor {config.Hypervisor}");
        }
        if (active.Count > 1)
        {
            return Fail(TablesName, $"'{config.ConfigPath}' has {active.Count} active hypervisor tables ({list}): kata picks one of them at random.",
                $"Set-KataHypervisor -Hypervisor {config.Hypervisor}   (keeps [{active[0]}]; the others are commented out, restorable)");
        }
        return Pass(TablesName, $"[{active[0]}] is the only active hypervisor table ({config.Hypervisor}).");
    }

    /// <summary>kata 3.x's config.d drop-ins: one that defines another hypervisor makes two active (kata picks one at random).</summary>
    private IsulaKataCheck DropIns(KataHypervisorConfig config)
    {
        string? table = config.Hypervisor is null ? null : config.ActiveHypervisors.FirstOrDefault();
        if (!config.RuntimeRs && table is not null
            && new KataHypervisorDescriber(Host).DropInHypervisors(config.DropIns, table).FirstOrDefault() is { DropIn: not null } added)
        {
            IsulaKataException problem = KataHypervisorDescriber.DropInAddsHypervisor(added.DropIn, added.Table, table, config.ConfigPath);
            return Fail(DropInsName, problem.Message.Replace(" Nothing was changed.", string.Empty, StringComparison.Ordinal), problem.RecommendedAction);
        }
        return Pass(DropInsName, $"No config.d drop-in defines another hypervisor ({string.Join(", ", config.DropIns)}).");
    }

    private IEnumerable<IsulaKataCheck> Keys(KataHypervisorConfig config, TomlEditor editor)
    {
        if (config.ActiveHypervisors.Count == 0)
        {
            yield return Skip(KeysName, "There is no active hypervisor table to check the keys against.");
            yield break;
        }
        // With several active tables kata may read any of them: a key misplaced against one is misplaced against all.
        List<MisplacedKey> misplaced = config.ActiveHypervisors
            .SelectMany(table => KataHypervisorTables.Misplaced(editor, table))
            .GroupBy(m => (m.Place, m.Key)).Select(g => g.First()).ToList();
        foreach (MisplacedKey key in misplaced)
        {
            string where = key.Place.Length == 0 ? "before the first table" : $"in [{key.Place}]";
            yield return Warn(key.Key, $"'{key.Key} = {key.Value.Text}' {where} of '{config.ConfigPath}' has no effect: kata reads {key.Key} only from [{key.Owner}].",
                $"Set-KataHypervisor -Hypervisor {config.Hypervisor ?? HypervisorProcesses.StratoVirt}   (comments it out and sets the keys the procedure needs in [{key.Owner}]), or move the line into [{key.Owner}].");
        }
        if (misplaced.Count == 0)
        {
            yield return Pass(KeysName, "Every key the procedure sets is in the table kata reads it from.");
        }
    }

    private IsulaKataCheck Binary(KataHypervisorConfig config)
    {
        string package = config.Hypervisor == HypervisorProcesses.StratoVirt ? "stratovirt" : "qemu";
        return Executable(BinaryName, config.HypervisorPath, config.HypervisorPathExists,
            config.WrapperPath is null ? $"the program kata starts as {config.Hypervisor}" : $"the {config.Hypervisor} binary its wrapper runs", $"Install-IsulaKataPackage -Name {package}, or point kata at the binary: Set-KataHypervisor -Hypervisor {config.Hypervisor} -HypervisorPath <path>");
    }

    private IsulaKataCheck Wrapper(KataHypervisorConfig config)
    {
        if (config.WrapperPath is null && config.HypervisorPathExists != true)
        {
            return Skip(WrapperName, $"'{config.HypervisorPath}' is not there, so whether it is a wrapper cannot be told.");
        }
        if (config.WrapperPath is null)
        {
            return Pass(WrapperName, $"kata starts '{config.HypervisorPath}' directly (no wrapper, so StratoVirt logs at its default level).");
        }
        IsulaKataCheck runs = Executable(WrapperName, config.WrapperPath, true, "the wrapper kata starts as StratoVirt",
            $"Set-KataHypervisor -Hypervisor StratoVirt   (rewrites '{config.WrapperPath}' with mode 0755)");
        if (runs.Status != CheckStatus.Pass)
        {
            return runs;
        }
        string? text = ReadQuietly(config.WrapperPath);
        if (text is not null && !text.Contains("\"$@\"", StringComparison.Ordinal))
        {
            return Warn(WrapperName, $"'{config.WrapperPath}' passes kata's arguments as unquoted $@ (the guide's wrapper): an argument with a space is split in two.",
                "Set-KataHypervisor -Hypervisor StratoVirt   (writes a wrapper that runs exec <binary> \"$@\")");
        }
        return Pass(WrapperName, $"'{config.WrapperPath}' runs '{config.HypervisorPath}' with STRATOVIRT_LOG_LEVEL={config.LogLevel ?? "(unset)"}.");
    }

    private IsulaKataCheck Kernel(KataHypervisorConfig config)
    {
        const string remedy = "Install-KataGuestKernel -Path <vmlinux.bin>   (or -Uri)";
        if (config.Kernel is null)
        {
            return Fail(KernelName, "The hypervisor table names no kernel, so kata cannot boot a VM.", remedy);
        }
        return config.KernelExists switch
        {
            true => Pass(KernelName, $"'{config.Kernel}' exists."),
            false => Fail(KernelName, $"The guest kernel '{config.Kernel}' does not exist.", remedy),
            _ => Warn(KernelName, $"Whether '{config.Kernel}' exists cannot be told (it is a link that leaves the root).", "Check it on the running system."),
        };
    }

    private IsulaKataCheck Initrd(KataHypervisorConfig config)
    {
        if (config.Initrd is not null && config.Image is not null)
        {
            return Fail(InitrdName, $"The hypervisor table sets both initrd ('{config.Initrd}') and image ('{config.Image}'); kata takes only one of them.",
                $"Set-KataHypervisor -Hypervisor {config.Hypervisor} -Initrd {config.Initrd}   (comments image out; -Image does the reverse)");
        }
        string? file = config.Initrd ?? config.Image;
        string what = config.Initrd is not null ? "initrd" : "image";
        if (file is null)
        {
            return Fail(InitrdName, "The hypervisor table names neither initrd nor image, so the VM has no root filesystem.",
                $"Set-KataHypervisor -Hypervisor {config.Hypervisor} -Initrd {KataRules.DefaultInitrd}");
        }
        return config.InitrdExists switch
        {
            true => Pass(InitrdName, $"The {what} '{file}' exists."),
            false => Fail(InitrdName, $"The guest {what} '{file}' does not exist.", "Install kata-containers (Install-IsulaKataPackage -Name kata-containers), which ships it, or build one with kata's osbuilder."),
            _ => Warn(InitrdName, $"Whether '{file}' exists cannot be told (it is a link that leaves the root).", "Check it on the running system."),
        };
    }

    private IsulaKataCheck Executable(string name, string? path, bool? exists, string what, string remedy)
    {
        if (path is null)
        {
            return Fail(name, $"The hypervisor table names no path for {what}.", remedy);
        }
        if (exists == false)
        {
            return Fail(name, $"'{path}', {what}, does not exist.", remedy);
        }
        try
        {
            string host = Host.Files.ToHostPath(path);
            const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return (File.GetUnixFileMode(host) & anyExecute) != 0
                ? Pass(name, $"'{path}' ({what}) is there and executable.")
                : Fail(name, $"'{path}', {what}, is not executable.", $"chmod 0755 {path}");
        }
        catch (Exception error) when (error is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            return Warn(name, $"Whether '{path}' is executable cannot be told: {error.Message}", "Check it on the running system.");
        }
    }

    private string? ReadQuietly(string path)
    {
        try
        {
            return Host.Files.ReadText(path);
        }
        catch (Exception error) when (error is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
