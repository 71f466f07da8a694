using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>What Set-KataHypervisor asks for. Null paths mean "the default" (StratoVirt) or "keep what is there" (QEMU).</summary>
public sealed class KataHypervisorRequest
{
    public KataHypervisorKind Hypervisor { get; init; }

    /// <summary>The configuration to edit; null for the file kata reads.</summary>
    public string? ConfigPath { get; init; }

    public string? Kernel { get; init; }
    public string? Initrd { get; init; }
    public string? Image { get; init; }
    public string? HypervisorPath { get; init; }

    /// <summary>StratoVirt only.</summary>
    public string? LogLevel { get; init; }

    /// <summary>StratoVirt only.</summary>
    public string? WrapperPath { get; init; }

    /// <summary>StratoVirt only.</summary>
    public string? OzonePath { get; init; }

    public bool EnableTemplate { get; init; }
    public string Runtime { get; init; } = KataRules.DefaultRuntime;
}

/// <summary>Which configuration file is meant, and why.</summary>
public sealed record KataConfigLocation(string Path, string Source, string Reason, string? ShadowedBy);

/// <summary>The computed change: the new configuration text, the wrapper script, and what changes.</summary>
public sealed class KataHypervisorPlan
{
    internal KataHypervisorPlan(KataConfigLocation location, string newText, bool configChanged, IReadOnlyList<string> changes,
        IReadOnlyList<string> warnings, string? wrapperPath, string? wrapperText, bool wrapperChanged, KataHypervisorConfig described)
    {
        Location = location;
        NewText = newText;
        ConfigChanged = configChanged;
        Changes = changes;
        Warnings = warnings;
        WrapperPath = wrapperPath;
        WrapperText = wrapperText;
        WrapperChanged = wrapperChanged;
        Described = described;
    }

    public KataConfigLocation Location { get; }
    public string ConfigPath => Location.Path;
    public string NewText { get; }
    public bool ConfigChanged { get; }

    /// <summary>One line per change to the configuration, e.g. <c>[hypervisor.stratovirt] use_vsock = true (added)</c>.</summary>
    public IReadOnlyList<string> Changes { get; }

    public IReadOnlyList<string> Warnings { get; }

    /// <summary>StratoVirt only: the wrapper script, its content, and whether writing it changes anything.</summary>
    public string? WrapperPath { get; }
    public string? WrapperText { get; }
    public bool WrapperChanged { get; }

    public bool Changed => ConfigChanged || WrapperChanged;

    internal KataHypervisorConfig Described { get; }

    /// <summary>The output object: the configuration as the plan leaves it, with what the writes did.</summary>
    public KataHypervisorConfig ToConfig(bool changed, string? backupPath) => new()
    {
        ConfigPath = Described.ConfigPath,
        ConfigSource = Described.ConfigSource,
        ConfigReason = Described.ConfigReason,
        Hypervisor = Described.Hypervisor,
        HypervisorPath = Described.HypervisorPath,
        WrapperPath = Described.WrapperPath,
        LogLevel = Described.LogLevel,
        Kernel = Described.Kernel,
        Initrd = Described.Initrd,
        Image = Described.Image,
        BlockDeviceDriver = Described.BlockDeviceDriver,
        UseVsock = Described.UseVsock,
        SandboxCgroupWithEmulator = Described.SandboxCgroupWithEmulator,
        OzonePath = Described.OzonePath,
        EnableTemplate = Described.EnableTemplate,
        KernelExists = Described.KernelExists,
        InitrdExists = Described.InitrdExists,
        HypervisorPathExists = Described.HypervisorPathExists,
        ActiveHypervisors = Described.ActiveHypervisors,
        RuntimeRs = Described.RuntimeRs,
        Runtime = Described.Runtime,
        Changed = changed,
        BackupPath = backupPath,
        Changes = Changes,
        Warnings = Warnings,
        Root = Described.Root,
    };
}

/// <summary>What Apply wrote.</summary>
public sealed record KataHypervisorWrites(KataHypervisorPlan Plan, FileUpdateResult? Config, FileUpdateResult? Wrapper)
{
    public bool Changed => (Config?.Changed ?? false) || (Wrapper?.Changed ?? false);
}

/// <summary>
/// Reads and changes kata's configuration.toml so that exactly one hypervisor table is active, every key is in the
/// table kata reads it from, and StratoVirt runs through a wrapper that sets its log level.
/// </summary>
public sealed class KataHypervisorConfigurator
{
    private const long MaxWrapperSize = 64 * 1024;
    private readonly HostContext _host;

    public KataHypervisorConfigurator(HostContext host) => _host = host;

    /// <summary>The configuration kata reads (or the one given), why, and which file shadows a given one.</summary>
    public KataConfigLocation Locate(string? configPath)
    {
        bool etcExists = _host.Files.FileExists(KataRules.EtcConfigPath);
        string effective = etcExists ? KataRules.EtcConfigPath : KataRules.DefaultsConfigPath;
        if (configPath is null)
        {
            string reason = etcExists
                ? $"{KataRules.EtcConfigPath} exists, and kata reads it instead of the packaged {KataRules.DefaultsConfigPath}"
                : $"{KataRules.EtcConfigPath} does not exist, so kata reads the packaged {KataRules.DefaultsConfigPath}";
            return new KataConfigLocation(effective, etcExists ? "Etc" : "Defaults", reason + LinkNote(effective), null);
        }
        KataRules.ValidateTargetPath("-ConfigPath", configPath);
        string? shadowedBy = null;
        if (_host.Files.FileExists(effective) && !SameFile(configPath, effective))
        {
            shadowedBy = effective;
        }
        return new KataConfigLocation(configPath, "Parameter", "given with -ConfigPath" + LinkNote(configPath), shadowedBy);
    }

    /// <summary>Computes the change without writing anything (-WhatIf, and the text of -Confirm).</summary>
    public KataHypervisorPlan Plan(KataHypervisorRequest request)
    {
        KataConfigLocation location = Locate(request.ConfigPath);
        return Compute(_host.Files.ReadText(location.Path), location, request);
    }

    /// <summary>
    /// Writes the wrapper (StratoVirt), then the configuration under its lock (re-read there, so a concurrent change is
    /// not lost). A wrapper this call created or changed is put back when the configuration cannot be written.
    /// </summary>
    public KataHypervisorWrites Apply(KataHypervisorRequest request)
    {
        KataConfigLocation location = Locate(request.ConfigPath);
        KataHypervisorPlan plan = Compute(_host.Files.ReadText(location.Path), location, request);
        FileUpdateResult? wrapper = null;
        if (plan.WrapperText is not null)
        {
            wrapper = _host.Files.Write(plan.WrapperPath!, plan.WrapperText, WrapperOptions());
        }
        try
        {
            FileUpdateResult config = _host.Files.Update(location.Path, current =>
            {
                plan = Compute(current, location, request);
                if (!plan.ConfigChanged)
                {
                    return null;
                }
                TomlEditor.Verify(plan.NewText, location.Path);
                return plan.NewText;
            });
            return new KataHypervisorWrites(plan, config, wrapper);
        }
        catch (Exception) when (wrapper is { Changed: true })
        {
            _host.Files.Restore(wrapper);
            throw;
        }
    }

    /// <summary>Get-KataHypervisor: the hypervisor the configuration makes kata start.</summary>
    public KataHypervisorConfig Read(string? configPath, string runtime)
    {
        KataConfigLocation location = Locate(configPath);
        string text = _host.Files.ReadText(location.Path) ?? throw NotFound(location);
        var warnings = new List<string>();
        KataHypervisorConfig described = Describe(TomlEditor.Parse(text, location.Path), location, runtime, warnings);
        return new KataHypervisorPlan(location, text, false, Array.Empty<string>(), warnings, null, null, false, described).ToConfig(false, null);
    }

    /// <summary>The pure edit: configuration text in (null when missing), plan out. Throws on anything kata would not run with.</summary>
    public KataHypervisorPlan Compute(string? text, KataConfigLocation location, KataHypervisorRequest request)
    {
        if (text is null)
        {
            throw NotFound(location);
        }
        string path = location.Path;
        Validate(request);
        TomlEditor editor = TomlEditor.Parse(text, path);
        var changes = new List<string>();
        var warnings = new List<string>();
        KataHypervisorKind kind = request.Hypervisor;
        string target = KataRules.TableOf(kind);
        bool runtimeRs = IsRuntimeRs(editor);

        // 1. Tables: the requested hypervisor table active (restored, or added), every other one disabled.
        IReadOnlyList<string> active = HypervisorTables(editor.TableNames);
        IReadOnlyList<string> disabled = HypervisorTables(editor.DisabledTableNames);
        if (!active.Contains(target))
        {
            if (disabled.Contains(target))
            {
                editor.RestoreTable(target);
                changes.Add($"[{target}] restored (it was commented out with '{TomlEditor.DisabledMarker}')");
            }
            else if (runtimeRs)
            {
                throw new IsulaKataException("HypervisorNotSupportedByRuntime", FailureKind.NotImplemented,
                    $"'{path}' is a kata runtime-rs configuration (it chooses the hypervisor with [runtime] hypervisor_name) and has no [{target}] table: "
                    + $"this kata cannot start {kind}. The file was not changed.",
                    kind == KataHypervisorKind.StratoVirt
                        ? "Use -Hypervisor Qemu, or install a kata whose Go runtime supports StratoVirt (openEuler's kata-containers package) and pass its configuration with -ConfigPath."
                        : $"Pass the runtime-rs configuration written for {kind} with -ConfigPath.",
                    path);
            }
            else
            {
                int? before = active.Concat(disabled).Select(t => editor.HeaderLine(t)).Where(l => l is not null).Min();
                editor.InsertTable(target, before);
                changes.Add($"[{target}] added");
            }
        }
        foreach (string other in active.Where(t => t != target))
        {
            editor.DisableTable(other);
            changes.Add($"[{other}] commented out with '{TomlEditor.DisabledMarker}' so that only [{target}] is active (-Hypervisor {KataRules.DisplayName(other)} restores it)");
        }
        foreach (string table in new[] { KataRules.Runtime, KataRules.Factory })
        {
            bool needed = table == KataRules.Runtime ? kind == KataHypervisorKind.StratoVirt || runtimeRs : request.EnableTemplate;
            if (needed && !editor.TableNames.Contains(table))
            {
                editor.InsertTable(table, null);
                changes.Add($"[{table}] added");
            }
        }

        // 2. Keys: what belongs elsewhere is commented out, then every wanted key is set in its own table. All reads
        //    come first, so the edits form one batch (one parse).
        List<(string Table, string Key, object Value)> wanted = WantedKeys(editor, request, target, runtimeRs);
        var misplaced = new List<(string Place, string Key, string Owner, TomlValue Value)>();
        string[] places = new[] { target, KataRules.Runtime, KataRules.Netmon, KataRules.Factory, string.Empty };
        IEnumerable<(string Key, string Owner)> known = KataRules.NonHypervisorKeys.Select(k => (k.Key, k.Value))
            .Concat(KataRules.HypervisorOnlyKeys.Select(k => (k, target)));
        foreach ((string key, string owner) in known)
        {
            foreach (string place in places.Where(p => p != owner && (p.Length == 0 || editor.HasTable(p))))
            {
                if (editor.Get(place, key) is { } value)
                {
                    misplaced.Add((place, key, owner, value));
                }
            }
        }
        bool useImage = request.Image is not null;
        string dropped = useImage ? "initrd" : "image";
        TomlValue? exclusive = useImage || wanted.Any(w => w.Key == "initrd") ? editor.Get(target, dropped) : null;

        var commentedOut = misplaced.Select(m => (m.Place, m.Key, m.Owner, m.Value, Line: editor.CommentOut(m.Place, m.Key)!.Value)).OrderBy(m => m.Line).ToList();
        foreach ((string place, string key, string owner, TomlValue value, int line) in commentedOut)
        {
            string where = place.Length == 0 ? "before the first table" : $"in [{place}]";
            string fix = wanted.Any(w => w.Table == owner && w.Key == key) ? $"; it is set in [{owner}] instead" : string.Empty;
            changes.Add($"{key} = {value.Text} {where} (line {line}) commented out: kata reads it only from [{owner}]{fix}");
            warnings.Add($"'{key}' {where} at line {line} of '{path}' had no effect (kata reads it only from [{owner}]); it was commented out{fix}.");
        }
        if (exclusive is not null)
        {
            int line = editor.CommentOut(target, dropped)!.Value;
            changes.Add($"[{target}] {dropped} = {exclusive.Text} (line {line}) commented out: kata takes either initrd or image, and {(useImage ? "image" : "initrd")} is set");
        }
        foreach ((string table, string key, object value) in wanted)
        {
            TomlEditor.SetOutcome outcome = editor.Set(table, key, value);
            string shown = TomlValue.Of(value).Text;
            switch (outcome.Action)
            {
                case TomlEditor.SetAction.Replaced:
                    changes.Add($"[{table}] {key}: {outcome.Previous!.Text} -> {shown}");
                    break;
                case TomlEditor.SetAction.Uncommented:
                    changes.Add($"[{table}] {key} = {shown} (the commented line {outcome.Line} enabled)");
                    break;
                case TomlEditor.SetAction.Added:
                    changes.Add($"[{table}] {key} = {shown} (added)");
                    break;
            }
        }
        string newText = editor.Text;

        if (request.EnableTemplate && editor.Get(target, "image") is not null && editor.Get(target, "initrd") is null)
        {
            throw new IsulaKataException("TemplateNeedsInitrd", FailureKind.InvalidArgument,
                $"VM templating ([factory] enable_template) needs an initrd, but [{target}] in '{path}' boots from an image. The file was not changed.",
                "Leave out -EnableTemplate, or pass -Initrd with an initrd built for kata.", path);
        }

        // 3. The wrapper, and what the result looks like.
        string? wrapperPath = null;
        string? wrapperText = null;
        bool wrapperChanged = false;
        if (kind == KataHypervisorKind.StratoVirt)
        {
            wrapperPath = request.WrapperPath ?? KataRules.DefaultWrapperPath;
            wrapperText = StratoVirtWrapper.Render(request.HypervisorPath ?? KataRules.DefaultStratoVirtPath,
                KataRules.NormalizeLogLevel(request.LogLevel ?? KataRules.DefaultLogLevel));
            wrapperChanged = WrapperNeedsWrite(wrapperPath, wrapperText);
        }
        KataHypervisorConfig described = Describe(editor, location, request.Runtime, warnings, wrapperPath, wrapperText);
        return new KataHypervisorPlan(location, newText, !string.Equals(newText, text, StringComparison.Ordinal), changes, warnings,
            wrapperPath, wrapperText, wrapperChanged, described);
    }

    private static List<(string Table, string Key, object Value)> WantedKeys(TomlEditor editor, KataHypervisorRequest request, string target, bool runtimeRs)
    {
        var wanted = new List<(string, string, object)>();
        bool strato = request.Hypervisor == KataHypervisorKind.StratoVirt;
        if (strato)
        {
            wanted.Add((target, "path", request.WrapperPath ?? KataRules.DefaultWrapperPath));
            wanted.Add((target, "kernel", request.Kernel ?? KataRules.DefaultStratoVirtKernel));
        }
        else
        {
            // QEMU: the distribution's paths stay unless given, or unless the table has none.
            if (request.HypervisorPath is not null || editor.Get(target, "path") is null)
            {
                wanted.Add((target, "path", request.HypervisorPath ?? KataRules.DefaultQemuPath));
            }
            if (request.Kernel is not null || editor.Get(target, "kernel") is null)
            {
                wanted.Add((target, "kernel", request.Kernel ?? KataRules.DefaultQemuKernel));
            }
        }
        if (request.Image is not null)
        {
            wanted.Add((target, "image", request.Image));
        }
        else if (strato || request.Initrd is not null || (editor.Get(target, "initrd") is null && editor.Get(target, "image") is null))
        {
            wanted.Add((target, "initrd", request.Initrd ?? KataRules.DefaultInitrd));
        }
        if (strato)
        {
            wanted.Add((target, "block_device_driver", "virtio-mmio"));
            wanted.Add((target, "use_vsock", true));
            wanted.Add((target, "disable_block_device_use", false));
            wanted.Add((target, "disable_vhost_net", true));
            if (request.OzonePath is not null)
            {
                wanted.Add((target, "ozone_path", request.OzonePath));
            }
        }
        if (runtimeRs)
        {
            wanted.Add((KataRules.Runtime, "hypervisor_name", KataRules.RuntimeRsName(request.Hypervisor)));
        }
        // kata 1.x only: the key exists (set or commented) in the configuration this kata shipped.
        if (editor.HasTable(KataRules.Runtime)
            && (editor.Get(KataRules.Runtime, "sandbox_cgroup_with_emulator") is not null || editor.CommentedKeyLine(KataRules.Runtime, "sandbox_cgroup_with_emulator") is not null))
        {
            wanted.Add((KataRules.Runtime, "sandbox_cgroup_with_emulator", false));
        }
        if (strato)
        {
            wanted.Add((KataRules.Runtime, "internetworking_model", "tcfilter"));
            wanted.Add((KataRules.Runtime, "disable_new_netns", false));
            if (editor.HasTable(KataRules.Netmon))
            {
                wanted.Add((KataRules.Netmon, "enable_netmon", true));
            }
        }
        if (request.EnableTemplate)
        {
            wanted.Add((KataRules.Factory, "enable_template", true));
        }
        return wanted;
    }

    private static void Validate(KataHypervisorRequest request)
    {
        if (request.Hypervisor == KataHypervisorKind.Qemu)
        {
            foreach ((string name, object? value) in new (string, object?)[] { ("-LogLevel", request.LogLevel), ("-WrapperPath", request.WrapperPath), ("-OzonePath", request.OzonePath) })
            {
                if (value is not null)
                {
                    throw new IsulaKataException("ParameterNotForHypervisor", FailureKind.InvalidArgument,
                        $"{name} applies to StratoVirt only; QEMU has no such setting.", $"Leave out {name}, or use -Hypervisor StratoVirt.", name);
                }
            }
        }
        if (request.EnableTemplate && request.Image is not null)
        {
            throw new IsulaKataException("TemplateNeedsInitrd", FailureKind.InvalidArgument,
                "VM templating (-EnableTemplate) needs an initrd; kata cannot clone VMs that boot from an image (-Image).",
                "Use -Initrd with -EnableTemplate, or leave out -EnableTemplate.", "-EnableTemplate");
        }
        foreach ((string name, string? value) in new[]
        {
            ("-Kernel", request.Kernel), ("-Initrd", request.Initrd), ("-Image", request.Image), ("-HypervisorPath", request.HypervisorPath),
            ("-WrapperPath", request.WrapperPath), ("-OzonePath", request.OzonePath),
        })
        {
            if (value is not null)
            {
                KataRules.ValidateTargetPath(name, value);
            }
        }
        if (request.LogLevel is not null)
        {
            KataRules.NormalizeLogLevel(request.LogLevel);
        }
        string wrapper = request.WrapperPath ?? KataRules.DefaultWrapperPath;
        if (request.Hypervisor == KataHypervisorKind.StratoVirt && wrapper == (request.HypervisorPath ?? KataRules.DefaultStratoVirtPath))
        {
            throw new IsulaKataException("WrapperPathInUse", FailureKind.InvalidArgument,
                $"-WrapperPath '{wrapper}' is the StratoVirt binary itself; writing the wrapper there would replace StratoVirt.",
                $"Leave out -WrapperPath (the default is {KataRules.DefaultWrapperPath}).", wrapper);
        }
    }

    /// <summary>Whether writing the wrapper changes it (content, mode or owner); refuses to replace a file that is not a wrapper.</summary>
    private bool WrapperNeedsWrite(string wrapperPath, string wrapperText)
    {
        string host = _host.Files.ToHostPath(wrapperPath);
        if (Directory.Exists(host))
        {
            throw new IsulaKataException("WrapperPathInUse", FailureKind.ResourceExists,
                $"-WrapperPath '{wrapperPath}' is a folder.", "Give the path of a script file, e.g. " + KataRules.DefaultWrapperPath + ".", wrapperPath);
        }
        if (!File.Exists(host))
        {
            return true;
        }
        string? current = new FileInfo(host).Length <= MaxWrapperSize ? File.ReadAllText(host) : null;
        if (current is null || StratoVirtWrapper.Parse(current) is null)
        {
            throw new IsulaKataException("WrapperPathInUse", FailureKind.ResourceExists,
                $"'{wrapperPath}' exists and is not a StratoVirt wrapper script; it was left as it is.",
                $"Choose another -WrapperPath, or move that file away (the default is {KataRules.DefaultWrapperPath}).", wrapperPath);
        }
        if (!string.Equals(current, wrapperText, StringComparison.Ordinal))
        {
            return true;
        }
        if ((File.GetUnixFileMode(host) & (UnixFileMode)0xFFF) != StratoVirtWrapper.Mode)
        {
            return true;
        }
        return WrapperOptions().Owner is (uint uid, uint gid) && Native.TryStat(host, out var stat) && (stat.Uid != uid || stat.Gid != gid);
    }

    private static FileWriteOptions WrapperOptions() => new()
    {
        Mode = StratoVirtWrapper.Mode,
        Owner = Native.GetEffectiveUserId() == 0 ? (0u, 0u) : null,
    };

    /// <summary>The output's fields for the configuration as the editor holds it, and the warnings about it.</summary>
    private KataHypervisorConfig Describe(TomlEditor editor, KataConfigLocation location, string runtime, List<string> warnings,
        string? plannedWrapper = null, string? plannedWrapperText = null)
    {
        string path = location.Path;
        IReadOnlyList<string> active = HypervisorTables(editor.TableNames);
        bool runtimeRs = IsRuntimeRs(editor);
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
        if (table is null)
        {
            return Fields(location, runtime, active, runtimeRs, editor);
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
        if (editor.GetString(table, "ozone_path") is string ozone && Exists(ozone) == false)
        {
            warnings.Add($"ozone_path '{ozone}' does not exist on the target: StratoVirt will not start in the Ozone sandbox. Install ozone (the stratovirt package ships it).");
        }
        if (initrd is not null && image is not null)
        {
            warnings.Add($"[{table}] in '{path}' sets both initrd and image; kata takes only one of them. Run Set-KataHypervisor with -Initrd or -Image.");
        }
        return new KataHypervisorConfig
        {
            ConfigPath = path,
            ConfigSource = location.Source,
            ConfigReason = location.Reason,
            Hypervisor = KataRules.DisplayName(table),
            HypervisorPath = hypervisorPath,
            WrapperPath = wrapperPath,
            LogLevel = logLevel,
            Kernel = kernel,
            Initrd = initrd,
            Image = image,
            BlockDeviceDriver = editor.GetString(table, "block_device_driver"),
            UseVsock = editor.GetBool(table, "use_vsock"),
            SandboxCgroupWithEmulator = editor.GetBool(KataRules.Runtime, "sandbox_cgroup_with_emulator"),
            OzonePath = editor.GetString(table, "ozone_path"),
            EnableTemplate = editor.GetBool(KataRules.Factory, "enable_template"),
            KernelExists = kernelExists,
            InitrdExists = initrdExists,
            HypervisorPathExists = binaryExists,
            ActiveHypervisors = active,
            RuntimeRs = runtimeRs,
            Runtime = runtime,
            Root = _host.Root,
        };

        void Missing(string what, string? file, bool? exists, string fix)
        {
            if (file is not null && exists == false)
            {
                warnings.Add($"The {what} '{file}' named in [{table}] does not exist on the target: kata cannot start the VM until it does ({fix}).");
            }
        }
    }

    private KataHypervisorConfig Fields(KataConfigLocation location, string runtime, IReadOnlyList<string> active, bool runtimeRs, TomlEditor editor) => new()
    {
        ConfigPath = location.Path,
        ConfigSource = location.Source,
        ConfigReason = location.Reason,
        SandboxCgroupWithEmulator = editor.GetBool(KataRules.Runtime, "sandbox_cgroup_with_emulator"),
        EnableTemplate = editor.GetBool(KataRules.Factory, "enable_template"),
        ActiveHypervisors = active,
        RuntimeRs = runtimeRs,
        Runtime = runtime,
        Root = _host.Root,
    };

    private static bool IsRuntimeRs(TomlEditor editor)
        => editor.Get(KataRules.Runtime, "hypervisor_name") is not null || editor.GetString(KataRules.Runtime, "name") == "virt_container";

    private static IReadOnlyList<string> HypervisorTables(IEnumerable<string> tables)
        => tables.Where(t => t.StartsWith(KataRules.HypervisorPrefix, StringComparison.Ordinal) && t.IndexOf('.', KataRules.HypervisorPrefix.Length) < 0).ToList();

    /// <summary>Whether a target path exists; null when it cannot be told (a link that leaves the root).</summary>
    private bool? Exists(string? path)
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

    private string? ReadSmallText(string path)
    {
        try
        {
            string host = _host.Files.ToHostPath(path);
            var info = new FileInfo(host);
            if (!info.Exists || info.Length > MaxWrapperSize)
            {
                return null;
            }
            return File.ReadAllText(host);
        }
        catch (Exception e) when (e is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private bool SameFile(string a, string b)
    {
        try
        {
            return _host.Files.ToHostPath(a) == _host.Files.ToHostPath(b);
        }
        catch (IsulaKataException)
        {
            return a == b;
        }
    }

    private string LinkNote(string path)
    {
        try
        {
            string host = _host.Files.ToHostPath(path);
            string target = _host.Files.ToTargetPath(host);
            return target != path && File.Exists(host) ? $" (a symbolic link to {target}, which is the file edited)" : string.Empty;
        }
        catch (IsulaKataException)
        {
            return string.Empty;
        }
    }

    private static IsulaKataException NotFound(KataConfigLocation location)
        => new("KataConfigNotFound", FailureKind.ObjectNotFound,
            location.Source == "Parameter"
                ? $"The kata configuration '{location.Path}' does not exist."
                : $"No kata configuration was found: neither {KataRules.EtcConfigPath} nor {KataRules.DefaultsConfigPath} exists.",
            "Install kata-containers (it ships the configuration), or pass the file with -ConfigPath.", location.Path);
}
