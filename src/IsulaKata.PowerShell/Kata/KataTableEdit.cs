using System.Collections.Generic;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>
/// The edit of one configuration text for one request, by the rules of its kata generation: exactly one hypervisor
/// active (restored, or built with every key the generation's loader needs), every key in the table kata reads it
/// from, the kernel, initrd or image, and netmon. Running it again on its own result changes nothing.
/// </summary>
internal sealed class KataTableEdit
{
    private readonly HostContext _host;
    private readonly KataHypervisorDescriber _describer;
    private readonly TomlEditor _editor;
    private readonly KataHypervisorRequest _request;
    private readonly KataGeneration _generation;
    private readonly string _path;
    private readonly List<string> _changes;
    private readonly List<string> _warnings;
    private readonly string _target;
    private readonly bool _strato;
    private readonly bool _remember;

    /// <summary>With <paramref name="remember"/> (the file is edited in place), what is set for StratoVirt outside its
    /// table is remembered in the file and a table built here is marked, so that switching back gives the file back
    /// (see <see cref="KataRemembered"/>).</summary>
    public KataTableEdit(HostContext host, KataHypervisorDescriber describer, TomlEditor editor, KataHypervisorRequest request, KataGeneration generation,
        string path, List<string> changes, List<string> warnings, bool remember)
    {
        _remember = remember;
        _host = host;
        _describer = describer;
        _editor = editor;
        _request = request;
        _generation = generation;
        _path = path;
        _changes = changes;
        _warnings = warnings;
        _target = KataRules.TableOf(request.Hypervisor);
        _strato = request.Hypervisor == KataHypervisorKind.StratoVirt;
    }

    private bool RuntimeRs => _generation.Generation == KataGeneration.RuntimeRs;

    public void Run()
    {
        if (_remember && !_strato)
        {
            _changes.AddRange(KataRemembered.RestoreAll(_editor, _path, _warnings));
        }
        bool building = Tables();
        List<(string Table, string Key, object Value)> wanted = WantedKeys(building);
        MisplacedKeys(wanted);
        ExclusiveInitrdOrImage();
        foreach ((string table, string key, object value) in wanted)
        {
            Set(table, key, value);
        }
        Netmon();
        if (_request.EnableTemplate && _editor.Get(_target, "image") is not null && _editor.Get(_target, "initrd") is null)
        {
            throw new IsulaKataException("TemplateNeedsInitrd", FailureKind.InvalidArgument,
                $"VM templating ([factory] enable_template) needs an initrd, but [{_target}] in '{_path}' boots from an image. The file was not changed.",
                "Leave out -EnableTemplate, or pass -Initrd with an initrd built for kata.", _path);
        }
    }

    /// <summary>The requested hypervisor active (restored, or added), every other one disabled. True when its table was built here.</summary>
    private bool Tables()
    {
        KataHypervisorTables.EnsureEditable(_editor, _target, _path);
        IReadOnlyList<string> active = KataHypervisorTables.Active(_editor);
        IReadOnlyList<string> disabled = KataHypervisorTables.Disabled(_editor);
        bool building = false;
        if (!active.Contains(_target))
        {
            if (disabled.Contains(_target))
            {
                KataHypervisorTables.Restore(_editor, _target);
                KataHypervisorTables.EnsureEditable(_editor, _target, _path);
                _changes.Add($"[{_target}] restored (it was commented out with '{TomlEditor.DisabledMarker}')");
            }
            else if (RuntimeRs)
            {
                throw new IsulaKataException("HypervisorNotSupportedByRuntime", FailureKind.NotImplemented,
                    $"'{_path}' is a kata runtime-rs configuration (it chooses the hypervisor with [runtime] hypervisor_name) and has no [{_target}] table: "
                    + $"this kata cannot start {_request.Hypervisor}. The file was not changed.",
                    _strato
                        ? "Use -Hypervisor Qemu, or install a kata whose Go runtime supports StratoVirt (openEuler's kata-containers package) and pass its configuration with -ConfigPath."
                        : $"Pass the runtime-rs configuration written for {_request.Hypervisor} with -ConfigPath.",
                    _path);
            }
            else
            {
                int? before = active.Concat(disabled).Select(t => _editor.HeaderLine(t)).Where(l => l is not null).Min();
                if (_remember)
                {
                    KataRemembered.InsertBuiltTable(_editor, _target, before);
                }
                else
                {
                    _editor.InsertTable(_target, before);
                }
                _changes.Add($"[{_target}] added");
                building = true;
            }
        }
        foreach (string other in KataHypervisorTables.Active(_editor).Where(t => t != _target))
        {
            if (_remember && KataRemembered.IsBuilt(_editor, other))
            {
                KataRemembered.RemoveBuilt(_editor, other);
                _changes.Add($"[{other}] removed (Set-KataHypervisor had added it; -Hypervisor {KataRules.DisplayName(other)} adds it again)");
                continue;
            }
            IReadOnlyList<string> done = KataHypervisorTables.Disable(_editor, other);
            _changes.Add($"{string.Join(", ", done)} commented out with '{TomlEditor.DisabledMarker}' so that only [{_target}] is active (-Hypervisor {KataRules.DisplayName(other)} restores it)");
        }
        foreach (string table in new[] { KataRules.Runtime, KataRules.Factory })
        {
            bool needed = table == KataRules.Runtime ? _strato || RuntimeRs : _request.EnableTemplate;
            if (needed && !_editor.HasTable(table))
            {
                _editor.InsertTable(table, null);
                _changes.Add($"[{table}] added");
            }
        }
        return building;
    }

    /// <summary>What belongs elsewhere is commented out (the wanted keys are then set in their own tables).</summary>
    private void MisplacedKeys(List<(string Table, string Key, object Value)> wanted)
    {
        var done = new List<(int Line, string Change, string Warning)>();
        foreach (MisplacedKey m in KataHypervisorTables.Misplaced(_editor, _target))
        {
            int line = _editor.CommentOut(m.Place, m.Key)!.Value;
            string where = m.Place.Length == 0 ? "before the first table" : $"in [{m.Place}]";
            bool setThere = wanted.Any(w => w.Table == m.Owner && w.Key == m.Key) || _editor.Get(m.Owner, m.Key) is not null
                || m.Key == "enable_netmon" && NetmonWillRun();
            string fix = setThere ? $"; it is set in [{m.Owner}] instead" : string.Empty;
            done.Add((line, $"{m.Key} = {m.Value.Text} {where} (line {line}) commented out: kata reads it only from [{m.Owner}]{fix}",
                $"'{m.Key}' {where} at line {line} of '{_path}' had no effect (kata reads it only from [{m.Owner}]); it was commented out{fix}."));
        }
        foreach ((int _, string change, string warning) in done.OrderBy(d => d.Line))
        {
            _changes.Add(change);
            _warnings.Add(warning);
        }
    }

    private void ExclusiveInitrdOrImage()
    {
        bool useImage = _request.Image is not null;
        if (!useImage && _request.Initrd is null)
        {
            return;
        }
        string dropped = useImage ? "initrd" : "image";
        if (_editor.Get(_target, dropped) is { } value)
        {
            int line = _editor.CommentOut(_target, dropped)!.Value;
            _changes.Add($"[{_target}] {dropped} = {value.Text} (line {line}) commented out: kata takes either initrd or image, and {(useImage ? "image" : "initrd")} is set");
        }
    }

    private List<(string Table, string Key, object Value)> WantedKeys(bool building)
    {
        var wanted = new List<(string, string, object)>();
        void Want(string key, object value) => wanted.Add((_target, key, value));
        void WantIfMissing(string key, object value)
        {
            if (_editor.Get(_target, key) is null)
            {
                Want(key, value);
            }
        }
        string arch = _describer.Architecture(_editor);
        if (_strato)
        {
            Want("path", _request.OzonePath is null
                ? KataRules.Normalize(_request.WrapperPath ?? KataRules.DefaultWrapperPath)
                : _request.HypervisorPath ?? KataRules.DefaultStratoVirtPath);
            if (Kernel() is string kernel)
            {
                Want("kernel", kernel);
            }
        }
        else
        {
            if (_request.HypervisorPath is not null || _editor.Get(_target, "path") is null)
            {
                Want("path", _request.HypervisorPath ?? (_generation.Generation == KataGeneration.One ? KataRules.DefaultQemuPath : "/usr/bin/qemu-system-" + arch));
            }
            if (_request.Kernel is not null || _editor.Get(_target, "kernel") is null)
            {
                Want("kernel", Kernel() ?? KataRules.PackageKernel);
            }
        }
        if (_request.Image is not null)
        {
            Want("image", _request.Image);
        }
        else if (_request.Initrd is not null || (_editor.Get(_target, "initrd") is null && _editor.Get(_target, "image") is null))
        {
            Want("initrd", _request.Initrd ?? FirstExisting(KataRules.DefaultInitrd, "/usr/share/kata-containers/kata-containers-initrd.img") ?? KataRules.DefaultInitrd);
        }
        WantIfMissing("machine_type", _strato ? "microvm" : arch == KataGeneration.Aarch64 ? "virt" : "q35");
        if (_generation.ChecksVcpusAndMemory)
        {
            // kata 1.x checks both; the values are the ones its own QEMU table ships with.
            WantIfMissing("default_vcpus", 1L);
            WantIfMissing("default_memory", 2048L);
        }
        if (_strato)
        {
            if (_editor.GetString(_target, "block_device_driver") != "virtio-mmio")
            {
                Want("block_device_driver", "virtio-mmio");
            }
            if (_generation.HasUseVsock)
            {
                Want("use_vsock", true);
            }
            if (_generation.NeedsBlockDevices)
            {
                // isulad's devicemapper hands kata block devices; StratoVirt must be allowed to use them.
                Want("disable_block_device_use", false);
            }
            if (building)
            {
                Want("disable_vhost_net", true);
            }
            if (_request.OzonePath is not null)
            {
                Want("ozone_path", _request.OzonePath);
            }
        }
        string? sharedFs = _editor.GetString(_target, "shared_fs");
        if (building && _generation.DefaultsToVirtioFs && sharedFs is null)
        {
            Want("shared_fs", "virtio-fs");
            sharedFs = "virtio-fs";
        }
        if ((sharedFs == "virtio-fs" || sharedFs is null && _generation.DefaultsToVirtioFs) && _editor.Get(_target, "virtio_fs_daemon") is null)
        {
            Want("virtio_fs_daemon", _generation.Generation == KataGeneration.Two ? "/usr/bin/vhost_user_fs" : KataGeneration.VirtioFsDaemon);
        }
        if (RuntimeRs)
        {
            wanted.Add((KataRules.Runtime, "hypervisor_name", KataRules.RuntimeRsName(_request.Hypervisor)));
        }
        // kata 1.x only: the key exists (set or commented) in the configuration this kata shipped.
        // openEuler's emulator cgroup moves QEMU's non-vCPU threads (found by QMP query-cpus): QEMU keeps the shipped value.
        if (_strato && _generation.HasSandboxCgroupWithEmulator && _editor.HasTable(KataRules.Runtime)
            && (_editor.Get(KataRules.Runtime, "sandbox_cgroup_with_emulator") is not null || _editor.CommentedKeyLine(KataRules.Runtime, "sandbox_cgroup_with_emulator") is not null))
        {
            wanted.Add((KataRules.Runtime, "sandbox_cgroup_with_emulator", false));
        }
        if (_strato)
        {
            if (_editor.GetString(KataRules.Runtime, "internetworking_model") != "tcfilter")
            {
                wanted.Add((KataRules.Runtime, "internetworking_model", "tcfilter"));
            }
            if (_editor.GetBool(KataRules.Runtime, "disable_new_netns") == true)
            {
                // kata 2.x refuses disable_new_netns with netmon, and StratoVirt's tap devices need the netns.
                wanted.Add((KataRules.Runtime, "disable_new_netns", false));
            }
        }
        if (_request.EnableTemplate)
        {
            wanted.Add((KataRules.Factory, "enable_template", true));
        }
        return wanted;
    }

    /// <summary>
    /// The kernel: -Kernel; else the one the table names when it exists on the target (StratoVirt; QEMU keeps its own
    /// either way); else the package's /var/lib/kata/kernel when it exists; else the guide's vmlinux.bin, with a warning
    /// that it must be placed. Null means "keep the table's".
    /// </summary>
    private string? Kernel()
    {
        if (_request.Kernel is not null)
        {
            return _request.Kernel;
        }
        string? named = _editor.GetString(_target, "kernel");
        if (named is not null && _describer.Exists(named) == true)
        {
            return null;
        }
        if (_describer.Exists(KataRules.PackageKernel) == true)
        {
            return KataRules.PackageKernel;
        }
        _warnings.Add($"No guest kernel was found ({(named is null ? string.Empty : $"'{named}', which [{_target}] named, nor ")}{KataRules.PackageKernel}, which the kata-containers package ships): "
            + $"[{_target}] names the guide's {KataRules.GuideKernel}, which must be placed (Install-KataGuestKernel), or pass -Kernel.");
        return KataRules.GuideKernel;
    }

    /// <summary>Netmon (kata 1.x, 2.x, StratoVirt as the guide asks): on when its binary is there; pointed at the package's
    /// binary when the configured one is missing; else left off, with a warning.</summary>
    private bool NetmonWillRun()
        => _strato && _generation.HasNetmon && _editor.HasTable(KataRules.Netmon)
            && (_describer.Exists(_editor.GetString(KataRules.Netmon, "path") ?? KataGeneration.ShippedNetmonPath) == true || _describer.Exists(KataGeneration.PackageNetmonPath) == true);

    private void Netmon()
    {
        if (!_strato || !_generation.HasNetmon || !_editor.HasTable(KataRules.Netmon))
        {
            return;
        }
        string configured = _editor.GetString(KataRules.Netmon, "path") ?? KataGeneration.ShippedNetmonPath;
        if (_describer.Exists(configured) == true)
        {
            Set(KataRules.Netmon, "enable_netmon", true);
            return;
        }
        if (_describer.Exists(KataGeneration.PackageNetmonPath) == true)
        {
            SetValue(KataRules.Netmon, "path", KataGeneration.PackageNetmonPath);
            _changes.Add($"[netmon] path: \"{configured}\" -> \"{KataGeneration.PackageNetmonPath}\" (where the kata-containers package installs kata-netmon; the configured one does not exist)");
            Set(KataRules.Netmon, "enable_netmon", true);
            return;
        }
        if (_editor.GetBool(KataRules.Netmon, "enable_netmon") == true)
        {
            Set(KataRules.Netmon, "enable_netmon", false);
        }
        _warnings.Add($"netmon was left off: neither '{configured}' ([netmon] path) nor {KataGeneration.PackageNetmonPath} exists on the target, and a sandbox whose netmon cannot start fails. Install kata-containers (it ships kata-netmon), then run Set-KataHypervisor again.");
    }

    /// <summary>Sets a key; for StratoVirt in place, a key outside the hypervisor table remembers the line it replaces.</summary>
    private TomlEditor.SetOutcome SetValue(string table, string key, object value)
        => _remember && _strato && table is KataRules.Runtime or KataRules.Netmon
            ? KataRemembered.Set(_editor, table, key, value)
            : _editor.Set(table, key, value);

    private void Set(string table, string key, object value)
    {
        TomlEditor.SetOutcome outcome = SetValue(table, key, value);
        string shown = TomlValue.Of(value).Text;
        switch (outcome.Action)
        {
            case TomlEditor.SetAction.Replaced:
                _changes.Add($"[{table}] {key}: {outcome.Previous!.Text} -> {shown}");
                break;
            case TomlEditor.SetAction.Uncommented:
                _changes.Add($"[{table}] {key} = {shown} (the commented line {outcome.Line} enabled)");
                break;
            case TomlEditor.SetAction.Added:
                _changes.Add($"[{table}] {key} = {shown} (added)");
                break;
        }
    }

    private string? FirstExisting(params string[] paths) => paths.FirstOrDefault(p => _describer.Exists(p) == true);
}
