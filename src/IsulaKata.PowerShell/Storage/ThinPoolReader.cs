using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using IsulaKata.Core;

namespace IsulaKata.Storage;

/// <summary>Reads thin pools from lvm: one lvs and one vgs call (or one lvs alone), whatever the number of pools.</summary>
public sealed class ThinPoolReader
{
    private readonly HostContext _host;
    private readonly Lvm _lvm;

    public ThinPoolReader(HostContext host)
    {
        _host = host;
        _lvm = new Lvm(host);
    }

    /// <summary>
    /// Every thin pool (of one volume group when given), with live usage. With <paramref name="withDevices"/> false
    /// (the doctor) one lvs that also reports each group's size and free space replaces lvs + vgs, and the pools'
    /// Devices stay empty.
    /// </summary>
    public IReadOnlyList<IsulaThinPool> List(string? volumeGroup = null, LvmSettings? settings = null, bool withDevices = true)
    {
        ThinPoolCreator.RequireLiveHost(_host);
        _lvm.RequireInstalled();
        var rows = (withDevices ? _lvm.LogicalVolumes(volumeGroup) : _lvm.LogicalVolumesWithGroup(volumeGroup)).ToList();
        var pools = rows.Where(Lvm.IsThinPool).ToList();
        if (pools.Count == 0)
        {
            return Array.Empty<IsulaThinPool>();
        }
        IReadOnlyList<LvmRow> groups = withDevices ? _lvm.VolumeGroups(volumeGroup) : rows;
        settings ??= _lvm.Settings();
        return pools.Select(row => Build(row, groups, settings, changed: false, Array.Empty<string>(), withDevices ? null : Array.Empty<string>())).ToList();
    }

    /// <summary>One pool, or null when there is no thin pool of that name.</summary>
    public IsulaThinPool? Find(string volumeGroup, string name, LvmSettings? settings = null, bool changed = false,
        IEnumerable<string>? warnings = null)
    {
        LvmRow? row = _lvm.LogicalVolumes(volumeGroup).FirstOrDefault(r => r["lv_name"] == name && Lvm.IsThinPool(r));
        if (row is null)
        {
            return null;
        }
        return Build(row, _lvm.VolumeGroups(volumeGroup), settings ?? _lvm.Settings(), changed, warnings ?? Array.Empty<string>());
    }

    /// <summary>A pool this call just built on <paramref name="devices"/>, read back with one lvs that also reports the
    /// group's size and free space (no vgs).</summary>
    public IsulaThinPool? FindCreated(string volumeGroup, string name, IReadOnlyList<string> devices, LvmSettings settings, IEnumerable<string> warnings)
    {
        LvmRow? row = _lvm.LogicalVolumesWithGroup(volumeGroup).FirstOrDefault(r => r["lv_name"] == name && Lvm.IsThinPool(r));
        return row is null ? null : Build(row, new[] { row }, settings, changed: true, warnings, devices);
    }

    /// <summary>The output object for one lvs row; the profile file gives the autoextend settings in effect. The group
    /// rows (vgs, pvs, or lvs with the group's fields) give the free space and, unless <paramref name="devices"/> is
    /// given, the devices.</summary>
    internal IsulaThinPool Build(LvmRow row, IReadOnlyList<LvmRow> groups, LvmSettings settings, bool changed, IEnumerable<string> earlier,
        IReadOnlyList<string>? devices = null)
    {
        string vg = row["vg_name"];
        string name = row["lv_name"];
        string full = $"{vg}/{name}";
        var warnings = new List<string>(earlier);
        var groupRows = groups.Where(g => g["vg_name"] == vg).ToList();

        string profileName = row["lv_profile"];
        string? profilePath = profileName.Length > 0 ? $"{settings.ProfileDirectory}/{profileName}.profile" : null;
        int threshold = settings.AutoExtendThreshold;
        int percent = settings.AutoExtendPercent;
        if (profilePath is not null)
        {
            string? text = _host.Files.ReadText(profilePath);
            if (text is null)
            {
                warnings.Add($"{full} names the profile '{profileName}', but '{profilePath}' does not exist, so lvm.conf's autoextend "
                    + "settings apply. Run New-IsulaThinPool again to write it.");
            }
            else
            {
                (int? t, int? p) = ParseProfile(text);
                threshold = t ?? threshold;
                percent = p ?? percent;
            }
        }

        string attr = row["lv_attr"];
        bool active = attr.Length > 4 && attr[4] == 'a';
        bool monitored = row["seg_monitor"] == "monitored";
        char health = attr.Length > 8 ? attr[8] : '-';
        if (!active)
        {
            warnings.Add($"{full} is not active, so lvm reports no usage. Activate it with 'lvchange -ay {full}'.");
        }
        switch (health)
        {
            case 'F':
                warnings.Add($"{full} has FAILED (lv_attr {attr}). Check 'dmesg' and 'lvs -a {vg}'; 'lvconvert --repair {full}' may recover the metadata.");
                break;
            case 'D':
                warnings.Add($"{full} is OUT OF DATA SPACE (lv_attr {attr}): writes to its thin volumes fail or wait. Extend it: 'lvextend -L +SIZE {full}' (after 'vgextend {vg} DEVICE' if the group is full).");
                break;
            case 'M':
                warnings.Add($"{full} has READ-ONLY metadata (lv_attr {attr}), usually because metadata space ran out. Extend it: 'lvextend --poolmetadatasize +SIZE {full}', then check it with 'lvconvert --repair {full}'.");
                break;
        }
        if (threshold >= 100)
        {
            warnings.Add($"{full} never grows by itself: thin_pool_autoextend_threshold is {threshold} (100 turns autoextend off).");
        }
        else
        {
            if (threshold < 50)
            {
                warnings.Add($"thin_pool_autoextend_threshold {threshold} for {full} is below 50; lvm treats it as 50.");
            }
            if (active && !monitored)
            {
                warnings.Add($"{full} is not monitored (seg_monitor '{row["seg_monitor"]}'), so it never grows by itself: autoextend runs in dmeventd. "
                    + $"Start monitoring with 'lvchange --monitor y {full}' and enable it at boot ('systemctl enable --now lvm2-monitor').");
            }
            long free = groupRows.Count > 0 ? groupRows[0].Long("vg_free") : 0;
            long growth = row.Long("lv_size") * Math.Max(percent, 0) / 100;
            if (percent > 0 && free < growth)
            {
                warnings.Add($"{full} cannot autoextend: growing it by {percent}% needs {ThinPoolSizing.FormatSize(growth)} but '{vg}' has "
                    + $"{ThinPoolSizing.FormatSize(free)} free. Add a disk ('vgextend {vg} DEVICE') before the pool reaches {Math.Max(threshold, 50)}%.");
            }
        }

        return new IsulaThinPool
        {
            VolumeGroup = vg,
            Name = name,
            DevicePath = Lvm.DeviceMapperPath(vg, name),
            Devices = devices ?? groupRows.Select(g => g["pv_name"]).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal).ToList(),
            SizeBytes = row.Long("lv_size"),
            DataPercent = row.Percent("data_percent"),
            MetadataPercent = row.Percent("metadata_percent"),
            MetadataSizeBytes = row.Long("lv_metadata_size"),
            ChunkSizeBytes = row.Long("chunk_size"),
            Profile = profilePath,
            AutoExtendThreshold = threshold,
            AutoExtendPercent = percent,
            Monitored = monitored,
            Changed = changed,
            Warnings = warnings,
        };
    }

    private static readonly Regex ProfileSetting = new(@"^\s*(thin_pool_autoextend_threshold|thin_pool_autoextend_percent)\s*=\s*(\d+)\s*$",
        RegexOptions.CultureInvariant);

    /// <summary>The two autoextend settings of a profile file (comments ignored); null where a setting is absent.</summary>
    public static (int? Threshold, int? Percent) ParseProfile(string text)
    {
        int? threshold = null;
        int? percent = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Contains('#') ? raw.Substring(0, raw.IndexOf('#')) : raw;
            Match match = ProfileSetting.Match(line);
            if (!match.Success)
            {
                continue;
            }
            int value = int.Parse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture);
            if (match.Groups[1].Value == "thin_pool_autoextend_threshold")
            {
                threshold = value;
            }
            else
            {
                percent = value;
            }
        }
        return (threshold, percent);
    }

    /// <summary>The profile New-IsulaThinPool writes.</summary>
    public static string ProfileText(string volumeGroup, string name, int threshold, int percent)
        => $"# lvm metadata profile of the thin pool {volumeGroup}/{name}, written by IsulaKata (New-IsulaThinPool).\n"
            + "# dmeventd grows the pool by thin_pool_autoextend_percent once it is thin_pool_autoextend_threshold percent full.\n"
            + "activation {\n"
            + $"\tthin_pool_autoextend_threshold={threshold}\n"
            + $"\tthin_pool_autoextend_percent={percent}\n"
            + "}\n";
}
