using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using IsulaKata.Core;

namespace IsulaKata.Storage;

/// <summary>One row of an lvm JSON report: field name to value (lvm prints every value as a string).</summary>
public sealed class LvmRow
{
    private readonly IReadOnlyDictionary<string, string> _fields;

    internal LvmRow(IReadOnlyDictionary<string, string> fields) => _fields = fields;

    public string this[string field] => _fields.TryGetValue(field, out string? value) ? value : string.Empty;

    /// <summary>A size or count field; 0 when empty.</summary>
    public long Long(string field)
        => long.TryParse(this[field], NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value : 0;

    /// <summary>A percent field; null when empty (lvs prints "" for an inactive pool).</summary>
    public double? Percent(string field)
        => double.TryParse(this[field], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;
}

/// <summary>What lvm's configuration says about the settings the pool depends on (lvm's built-in defaults where it is silent).</summary>
public sealed class LvmSettings
{
    /// <summary>The settings read, as lvm names them (section/key).</summary>
    public static readonly string[] Paths =
    {
        "config/profile_dir", "allocation/physical_extent_size", "activation/thin_pool_autoextend_threshold", "activation/thin_pool_autoextend_percent",
    };

    public string ProfileDirectory { get; init; } = Lvm.DefaultProfileDirectory;
    public long ExtentBytes { get; init; } = ThinPoolSizing.DefaultExtentBytes;
    public int AutoExtendThreshold { get; init; } = 100;
    public int AutoExtendPercent { get; init; } = 20;

    /// <summary>The settings from values keyed by <see cref="Paths"/>; a missing or unreadable value keeps lvm's default
    /// (the profile folder's default is <c>profile</c> in lvm's system folder, lvm2's get_default_config_profile_dir).</summary>
    internal static LvmSettings From(IReadOnlyDictionary<string, string> values, string? systemDirectory = null)
    {
        var defaults = new LvmSettings { ProfileDirectory = systemDirectory is null ? Lvm.DefaultProfileDirectory : systemDirectory + "/profile" };
        int Int(string key, int fallback)
            => values.TryGetValue(key, out string? v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : fallback;
        string directory = values.TryGetValue(Paths[0], out string? dir) && dir.StartsWith('/') ? dir.TrimEnd('/') : defaults.ProfileDirectory;
        return new LvmSettings
        {
            ProfileDirectory = directory.Length == 0 ? "/" : directory,
            ExtentBytes = Int(Paths[1], (int)(defaults.ExtentBytes / ThinPoolSizing.KiB)) * ThinPoolSizing.KiB,
            AutoExtendThreshold = Int(Paths[2], defaults.AutoExtendThreshold),
            AutoExtendPercent = Int(Paths[3], defaults.AutoExtendPercent),
        };
    }
}

/// <summary>
/// lvm's report and configuration commands, and its naming rules. Reports run as
/// <c>pvs|vgs|lvs --reportformat json --units b --nosuffix -o FIELDS</c>: sizes in bytes, every value a string.
/// </summary>
public sealed class Lvm
{
    public const string DefaultProfileDirectory = "/etc/lvm/profile";

    public static readonly string[] PoolFields =
    {
        "lv_name", "vg_name", "lv_attr", "lv_size", "data_percent", "metadata_percent", "lv_metadata_size", "chunk_size",
        "lv_profile", "seg_monitor",
    };

    /// <summary>lvs fields of a pool and of its group (size, free space, extent size), for a read-back without vgs.</summary>
    public static readonly string[] PoolWithGroupFields = PoolFields.Concat(new[] { "vg_size", "vg_free", "vg_extent_size" }).ToArray();

    public static readonly string[] VolumeGroupFields = { "vg_name", "vg_size", "vg_free", "vg_extent_size", "pv_name" };

    /// <summary>pvs fields. The group's size, free space and extent size come along, so a plan that finds the group
    /// already built needs no separate vgs call.</summary>
    public static readonly string[] PhysicalVolumeFields = { "pv_name", "vg_name", "pv_size", "vg_size", "vg_free", "vg_extent_size" };

    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long one changing lvm command (pvcreate, lvconvert, lvremove...) may take.</summary>
    public static readonly TimeSpan ChangeTimeout = TimeSpan.FromMinutes(10);
    private readonly HostContext _host;

    public Lvm(HostContext host) => _host = host;

    /// <summary>Throws a clear error when lvm2 is not installed.</summary>
    public void RequireInstalled()
    {
        if (!_host.Runner.Exists("lvs"))
        {
            throw new IsulaKataException("LvmNotInstalled", FailureKind.NotInstalled,
                "lvm2 is not installed: 'lvs' was not found on PATH.",
                "Install lvm2 (dnf install lvm2, or apt-get install lvm2 thin-provisioning-tools), then run the command again.", "lvs");
        }
    }

    /// <summary>Every physical volume, with its volume group ("" for an orphan).</summary>
    public IReadOnlyList<LvmRow> PhysicalVolumes() => Report("pvs", "pv", PhysicalVolumeFields, null);

    /// <summary>Volume groups, one row per physical volume (vgs switches to one row per PV when asked for pv_name).</summary>
    public IReadOnlyList<LvmRow> VolumeGroups(string? volumeGroup = null) => Report("vgs", "vg", VolumeGroupFields, volumeGroup);

    /// <summary>Visible logical volumes with the fields a thin pool needs.</summary>
    public IReadOnlyList<LvmRow> LogicalVolumes(string? volumeGroup = null) => Report("lvs", "lv", PoolFields, volumeGroup);

    /// <summary>Visible logical volumes with the pool fields and their group's size and free space.</summary>
    public IReadOnlyList<LvmRow> LogicalVolumesWithGroup(string? volumeGroup = null) => Report("lvs", "lv", PoolWithGroupFields, volumeGroup);

    private IReadOnlyList<LvmRow> Report(string program, string section, IEnumerable<string> fields, string? volumeGroup)
    {
        var arguments = new List<string> { "--reportformat", "json", "--units", "b", "--nosuffix", "-o", string.Join(",", fields) };
        if (volumeGroup is not null)
        {
            arguments.Add(volumeGroup);
        }
        CommandResult result = _host.Runner.RunChecked(program, arguments, "LvmReportFailed",
            $"Read what '{program}' printed above (a broken or missing device, a locked volume group), fix it, and run the command again.",
            ReportTimeout);
        return ParseReport(result.StandardOutput, section, result.CommandLine);
    }

    /// <summary>Parses <c>{"report":[{"lv":[{...}, ...]}]}</c>; rows of every report entry are returned in order.</summary>
    public static IReadOnlyList<LvmRow> ParseReport(string json, string section, string commandLine)
    {
        var rows = new List<LvmRow>();
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("report", out JsonElement report) || report.ValueKind != JsonValueKind.Array)
            {
                throw new JsonException("no \"report\" array");
            }
            foreach (JsonElement entry in report.EnumerateArray())
            {
                if (!entry.TryGetProperty(section, out JsonElement items) || items.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }
                foreach (JsonElement item in items.EnumerateArray())
                {
                    var fields = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (JsonProperty property in item.EnumerateObject())
                    {
                        fields[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.ToString();
                    }
                    rows.Add(new LvmRow(fields));
                }
            }
        }
        catch (JsonException error)
        {
            throw new IsulaKataException("LvmReportUnreadable", FailureKind.InvalidData,
                $"'{commandLine}' printed something that is not an lvm JSON report ({error.Message}).",
                "Check that lvm2 is 2.02.158 or later (JSON reports), and that lvm.conf does not change report/output_format.", commandLine, error);
        }
        return rows;
    }

    /// <summary>
    /// The settings lvm uses: read from lvm.conf and lvmlocal.conf (<see cref="LvmConfigFiles"/>), and only where those
    /// files use what that reader does not model, from lvmconfig (defaults included); lvm's built-in defaults when
    /// neither can say.
    /// </summary>
    public LvmSettings Settings()
    {
        string directory = LvmConfigFiles.SystemDirectory();
        if (LvmConfigFiles.Read(_host.Files, directory) is { } read)
        {
            return read;
        }
        var arguments = new List<string> { "--typeconfig", "full" };
        arguments.AddRange(LvmSettings.Paths);
        CommandResult result = _host.Runner.Run("lvmconfig", arguments, ReportTimeout);
        if (!result.Succeeded)
        {
            _host.Log($"lvmconfig failed ({result.Diagnostics(2)}); using lvm's defaults.");
            return new LvmSettings();
        }
        return ParseSettings(result.StandardOutput);
    }

    private static readonly Regex SettingLine = new(@"^\s*(\w+)\s*=\s*(.*?)\s*$", RegexOptions.CultureInvariant);

    /// <summary>Reads <c>name=value</c> lines (strings quoted) as lvmconfig prints them for <see cref="LvmSettings.Paths"/>.</summary>
    public static LvmSettings ParseSettings(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            Match match = SettingLine.Match(line);
            string? path = match.Success ? LvmSettings.Paths.FirstOrDefault(p => p.EndsWith("/" + match.Groups[1].Value, StringComparison.Ordinal)) : null;
            if (path is not null)
            {
                values[path] = match.Groups[2].Value.Trim('"');
            }
        }
        return LvmSettings.From(values);
    }

    /// <summary>The device-mapper name lvm gives an LV: each dash in the VG and LV names doubled, joined by one dash.</summary>
    public static string DeviceMapperName(string volumeGroup, string logicalVolume)
        => volumeGroup.Replace("-", "--", StringComparison.Ordinal) + "-" + logicalVolume.Replace("-", "--", StringComparison.Ordinal);

    /// <summary>/dev/mapper/ plus <see cref="DeviceMapperName"/>: the path iSulad's dm.thinpooldev takes.</summary>
    public static string DeviceMapperPath(string volumeGroup, string logicalVolume)
        => "/dev/mapper/" + DeviceMapperName(volumeGroup, logicalVolume);

    /// <summary>The profile name New-IsulaThinPool attaches to the pool of a volume group.</summary>
    public static string ProfileName(string volumeGroup) => volumeGroup + "-thinpool";

    private static readonly Regex NamePattern = new(@"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$", RegexOptions.CultureInvariant);
    private static readonly string[] ReservedLvParts =
    {
        "_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_wcorig", "_mlog", "_mimage", "_pmspare", "_rimage", "_rmeta",
        "_tdata", "_tmeta", "_tpool", "_vdata", "_vorigin", "_iorig",
    };

    /// <summary>Checks a volume group name against lvm's rules.</summary>
    public static void ValidateVolumeGroupName(string name)
    {
        if (!NamePattern.IsMatch(name) || name is "." or ".." || name.Length > 120)
        {
            throw new IsulaKataException("InvalidVolumeGroupName", FailureKind.InvalidArgument,
                $"'{name}' is not a valid volume group name: lvm allows letters, digits and + _ . - (not first), at most 120 characters.",
                "Choose a name such as isula.", name);
        }
    }

    /// <summary>Checks a pool name against lvm's rules for logical volumes (the metadata LV adds "meta" to it).</summary>
    public static void ValidateLogicalVolumeName(string name)
    {
        string? problem = !NamePattern.IsMatch(name) || name is "." or ".." || name.Length > 120
            ? "lvm allows letters, digits and + _ . - (not first), at most 120 characters"
            : name.StartsWith("snapshot", StringComparison.Ordinal) || name.StartsWith("pvmove", StringComparison.Ordinal)
                ? "names starting with 'snapshot' or 'pvmove' are reserved by lvm"
                : ReservedLvParts.FirstOrDefault(p => (name + "meta").Contains(p, StringComparison.Ordinal)) is string part
                    ? $"lvm reserves names containing '{part}'"
                    : null;
        if (problem is not null)
        {
            throw new IsulaKataException("InvalidThinPoolName", FailureKind.InvalidArgument,
                $"'{name}' is not a valid thin pool name: {problem}.", "Choose a name such as thinpool.", name);
        }
    }

    /// <summary>The last lines of what a failed lvm command printed, without lvm's two-space indent.</summary>
    public static string Diagnostics(CommandResult result, int maxLines = 8)
        => string.Join(Environment.NewLine, result.Diagnostics(maxLines).Split('\n').Select(line => line.Trim()));

    /// <summary>lv_attr character 1: 't' for a thin pool.</summary>
    public static bool IsThinPool(LvmRow row) => row["lv_attr"].StartsWith('t');
}
