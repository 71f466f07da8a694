using System;
using System.Collections.Generic;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Isulad;

/// <summary>How iSulad compares the keys of storage options.</summary>
public enum OptionKeyMatching
{
    /// <summary>strcmp: case-sensitive, no trimming (iSulad 2.0.15 and later, 2.1.1 and later; also when the version is unknown).</summary>
    Exact,

    /// <summary>strcasecmp: case-insensitive, no trimming (iSulad 2.0.0 to 2.0.14 and 2.1.0).</summary>
    CaseInsensitive,
}

/// <summary>
/// What iSulad itself accepts, read from its source (openeuler-mirror/iSulad); each rule names the file and function
/// it follows. The module writes nothing these rules refuse, the doctor judges with them, and the test fakes
/// (tests/Pester/Fakes/bin/systemctl) enforce the same rules independently, the way isulad does at start-up.
/// </summary>
public static class IsuladRules
{
    /// <summary>The shim v2 runtime kata uses with iSulad.</summary>
    public const string KataShimV2 = "io.containerd.kata.v2";

    /// <summary>The v1 runtime name: a VM on kata 1.x, but kata 2.x's kata-runtime has no create/start.</summary>
    public const string KataV1Runtime = "kata-runtime";

    /// <summary>Runtimes iSulad knows without a "runtimes" entry.
    /// Source: src/daemon/modules/runtime/runtime.c, is_default_runtime (lcr only when built with ENABLE_LCR).</summary>
    public static readonly IReadOnlyList<string> BuiltInRuntimes = new[] { "lcr", "runc", KataV1Runtime };

    /// <summary>The storage flags of isulad's command line.
    /// Source: src/cmd/isulad/isulad_commands.h, the daemon's option table: --storage-driver (no short form),
    /// --storage-opt with the short form -s (appended, command_append_array), --default-runtime.</summary>
    public const string StorageDriverFlag = "--storage-driver";
    public const string StorageOptFlag = "--storage-opt";
    public const string StorageOptShortFlag = "-s";
    public const string DefaultRuntimeFlag = "--default-runtime";

    /// <summary>
    /// Validates a runtime name as iSulad matches it and returns it lower-cased. Source:
    /// src/daemon/executor/container_cb/execution_create.c, get_runtime_from_request and
    /// src/daemon/config/isulad_config.c, conf_get_default_runtime (both util_strings_to_lower, no trimming), then
    /// is_customized_runtime (strcmp against each key of "runtimes") and is_default_runtime (built-ins, and
    /// src/daemon/modules/runtime/shim/shim_rt_ops.c, is_valid_v2_runtime: four dot-separated parts io.containerd.*.*).
    /// A key of "runtimes" with capitals can never match, because the requested name is lower-cased first.
    /// </summary>
    public static string NormalizeRuntime(string runtime, IEnumerable<string> declaredRuntimes, string configPath)
    {
        string name = runtime.ToLowerInvariant();
        if (IsShimV2Name(name) || BuiltInRuntimes.Contains(name) || declaredRuntimes.Contains(name, StringComparer.Ordinal))
        {
            return name;
        }
        string? capitalised = declaredRuntimes.FirstOrDefault(r => string.Equals(r, name, StringComparison.OrdinalIgnoreCase));
        string why = capitalised is not null
            ? $"\"runtimes\" in '{configPath}' declares it as '{capitalised}', but iSulad lower-cases the requested name and compares it exactly (strcmp), so a key with capitals never matches"
            : name.StartsWith("io.containerd", StringComparison.Ordinal)
                ? "a shim v2 runtime name has exactly four dot-separated parts (io.containerd.<name>.<version>)"
                : $"it is neither a shim v2 name (io.containerd.<name>.<version>), a built-in runtime ({string.Join(", ", BuiltInRuntimes)}), nor a key of \"runtimes\" in '{configPath}'";
        string fix = capitalised is not null
            ? $"Rename the key '{capitalised}' under \"runtimes\" in '{configPath}' to lower case ('{name}')."
            : $"Use -Runtime {KataShimV2} for kata, or declare the runtime (in lower case) under \"runtimes\" in '{configPath}' first.";
        throw new IsulaKataException("InvalidRuntimeName", FailureKind.InvalidArgument, $"iSulad would refuse the runtime '{runtime}': {why}.", fix, runtime);
    }

    /// <summary>Keys of "runtimes" that no request can ever select (they hold capitals; see <see cref="NormalizeRuntime"/>).</summary>
    public static IEnumerable<string> UnreachableRuntimeKeys(IEnumerable<string> declaredRuntimes)
        => declaredRuntimes.Where(r => r != r.ToLowerInvariant());

    /// <summary>A shim v2 name: four dot-separated non-empty parts starting io.containerd
    /// (shim_rt_ops.c, is_valid_v2_runtime; empty parts are refused here as no shim binary could be named after them).</summary>
    public static bool IsShimV2Name(string name)
    {
        string[] parts = name.Split('.');
        return parts.Length == 4 && parts[0] == "io" && parts[1] == "containerd" && parts.All(p => p.Length > 0);
    }

    /// <summary>The shim binary iSulad runs for a shim v2 runtime: containerd-shim-&lt;name&gt;-&lt;version&gt;
    /// (shim_rt_ops.c, convert_v2_runtime).</summary>
    public static string? ShimBinary(string runtime)
    {
        string[] parts = runtime.Split('.');
        return IsShimV2Name(runtime) ? $"containerd-shim-{parts[2]}-{parts[3]}" : null;
    }

    /// <summary>The library a shim v2 iSulad is linked against (cmake/checker.cmake, ENABLE_SHIM_V2: libshim_v2.so,
    /// shipped by the lib-shim-v2 package).</summary>
    public const string ShimV2Library = "libshim_v2.so";
    public const string ShimV2Package = "lib-shim-v2";

    private static readonly string[] RepeatableOptions = { "dm.mkfsarg" };

    /// <summary>The devicemapper driver's options. Source:
    /// src/daemon/modules/image/oci/storage/layer_store/graphdriver/devmapper/deviceset.c, devmapper_option_exact.</summary>
    private static readonly string[] KnownDevicemapperOptions =
        { "dm.fs", "dm.thinpooldev", "dm.min_free_space", "dm.basesize", "dm.mkfsarg", "dm.mountopt", "devicemapper.mountopt" };

    /// <summary>
    /// How the installed iSulad compares option keys. Source: deviceset.c, devmapper_parse_options: strcasecmp in
    /// tags v2.0.4 to v2.0.14 and v2.1.0 (and in src/services/graphdriver/devmapper/driver_devmapper.c before them),
    /// strcmp (devmapper_option_exact) from v2.0.15 and v2.1.1 on. An unknown version gets the strict rule.
    /// </summary>
    public static OptionKeyMatching KeyMatchingFor(string? version)
    {
        if (version is null || !TryParseVersion(version, out int major, out int minor, out int patch))
        {
            return OptionKeyMatching.Exact;
        }
        bool insensitive = major < 2 || (major == 2 && minor == 0 && patch < 15) || (major == 2 && minor == 1 && patch == 0);
        return insensitive ? OptionKeyMatching.CaseInsensitive : OptionKeyMatching.Exact;
    }

    /// <summary>The rule as a sentence, for the doctor and warnings.</summary>
    public static string DescribeKeyMatching(OptionKeyMatching matching, string? version)
    {
        string which = version is null ? "the iSulad version is unknown" : $"iSulad {version}";
        return matching == OptionKeyMatching.Exact
            ? $"option names compared case-sensitively, as {(version is null ? "current iSulad does (" + which + ")" : which + " does")}"
            : $"option names compared case-insensitively, as {which} does";
    }

    private static bool TryParseVersion(string version, out int major, out int minor, out int patch)
    {
        major = minor = patch = 0;
        string[] parts = version.Split('-')[0].Split('.');
        return parts.Length >= 3
            && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out major)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out minor)
            && int.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out patch);
    }

    /// <summary>The key of a storage option: the text before the first '=', untrimmed (devmapper_parse_options: strchr).</summary>
    public static string OptionKey(string option)
    {
        int equals = option.IndexOf('=');
        return equals < 0 ? option : option.Substring(0, equals);
    }

    /// <summary>The option's key as iSulad's table spells it (e.g. DM.FS becomes dm.fs under case-insensitive
    /// matching), or null when iSulad does not know it.</summary>
    public static string? CanonicalKey(string key, OptionKeyMatching matching = OptionKeyMatching.Exact)
        => KnownDevicemapperOptions.FirstOrDefault(k => matching == OptionKeyMatching.Exact
            ? k == key
            : string.Equals(k, key, StringComparison.OrdinalIgnoreCase));

    public static bool IsRepeatable(string key) => RepeatableOptions.Contains(key);

    /// <summary>True for options meant for iSulad's devicemapper driver (whether or not iSulad accepts them).</summary>
    public static bool IsDevicemapperOption(string option)
    {
        string key = OptionKey(option).TrimStart();
        return key.StartsWith("dm.", StringComparison.OrdinalIgnoreCase) || key.StartsWith("devicemapper.", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Checks one option as iSulad's devicemapper driver does at start-up; throws what it would refuse.</summary>
    public static void ValidateDevicemapperOption(string option, OptionKeyMatching matching = OptionKeyMatching.Exact)
    {
        if (DevicemapperProblem(option, matching) is string problem)
        {
            throw new IsulaKataException("InvalidStorageOption", FailureKind.InvalidArgument,
                $"The storage option '{option}' is not valid: {problem}.",
                "Correct or drop that option; nothing was written.", option);
        }
    }

    /// <summary>Why iSulad's devicemapper driver refuses the option (its words where it has some), or null.
    /// Source: deviceset.c, devmapper_parse_options and the handle_dm_* functions.</summary>
    public static string? DevicemapperProblem(string option, OptionKeyMatching matching = OptionKeyMatching.Exact)
    {
        int equals = option.IndexOf('=');
        if (equals < 0)
        {
            return $"isulad says \"Unable to parse key/value option: '{option}'\": storage options are written key=value";
        }
        string key = option.Substring(0, equals);
        string value = option.Substring(equals + 1);
        string? canonical = CanonicalKey(key, matching);
        if (canonical is null)
        {
            string near = CanonicalKey(key.Trim(), OptionKeyMatching.CaseInsensitive) is string like ? $" (did you mean '{like}'?)" : string.Empty;
            return $"isulad says \"devicemapper: unknown option: '{key}'\"{near}; it knows {string.Join(", ", KnownDevicemapperOptions)} "
                + (matching == OptionKeyMatching.Exact ? "(names compared exactly: case-sensitive, no spaces)" : "(names compared without case, no spaces)");
        }
        return canonical switch
        {
            // handle_dm_fs: strcmp(val, "ext4")
            "dm.fs" when value != "ext4" => $"isulad says \"Invalid filesystem: '{value}': not supported\": only dm.fs=ext4",
            // handle_dm_thinpooldev: util_valid_str (non-empty)
            "dm.thinpooldev" when value.Length == 0 => "isulad says \"Invalid thinpool device, it must not be empty\"",
            // handle_dm_min_free_space: util_parse_percent_string, then below 100
            "dm.min_free_space" when !(TryParsePercent(value, out long percent) && percent < 100)
                => $"isulad says \"Invalid min free space: '{value}'\": it takes whole-number percent below 100 written with '%', e.g. 10% (0% disables the check)",
            // handle_dm_basesize: util_parse_byte_size_string, then greater than zero
            "dm.basesize" when !TryParseByteSize(value, out long _)
                => $"isulad says \"Invalid size: '{value}'\": a size is ASCII digits (an optional .fraction) and an optional unit B, K, M, G, T or P (with optional i and B, any case), no spaces, e.g. 10G",
            "dm.basesize" when TryParseByteSize(value, out long bytes) && bytes <= 0 => "isulad says \"dm.basesize is lower than zero\": it must be greater than zero",
            // handle_dm_mkfsarg, handle_dm_mountopt: util_valid_str
            "dm.mkfsarg" or "dm.mountopt" or "devicemapper.mountopt" when value.Length == 0 => $"isulad says \"Invalid {canonical} value\": it needs a value",
            _ => null,
        };
    }

    /// <summary>
    /// iSulad's percent grammar. Source: src/utils/cutils/utils_string.c, util_parse_percent_string: ASCII digits and a
    /// trailing '%', the number 0 to 100 (dm.min_free_space then wants it below 100). iSulad's own check (strspn over
    /// "0123456789%") also lets odd texts such as "1%0%" through; those are refused here.
    /// </summary>
    public static bool TryParsePercent(string text, out long percent)
    {
        percent = 0;
        if (text.Length < 2 || text[^1] != '%' || !text[..^1].All(IsAsciiDigit))
        {
            return false;
        }
        string digits = text[..^1].TrimStart('0');
        if (digits.Length > 3)
        {
            return false;
        }
        percent = digits.Length == 0 ? 0 : long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        return percent <= 100;
    }

    private static readonly (string Unit, long Multiple)[] ByteUnits = BuildByteUnits();

    private static (string, long)[] BuildByteUnits()
    {
        // utils_string.c, g_unit_map: "", B, I, IB; then K, KI, KB, KIB ... P, PI, PB, PIB; all binary multiples; strcasecmp.
        var units = new List<(string, long)> { (string.Empty, 1), ("B", 1), ("I", 1), ("IB", 1) };
        long multiple = 1;
        foreach (char prefix in "KMGTP")
        {
            multiple *= 1024;
            units.AddRange(new[] { prefix.ToString(), prefix + "I", prefix + "B", prefix + "IB" }.Select(u => (u, multiple)));
        }
        return units.ToArray();
    }

    /// <summary>
    /// iSulad's byte-size grammar. Source: src/utils/cutils/utils_string.c, util_parse_byte_size_string and
    /// util_parse_size_int_and_float: an ASCII digit first; then digits and dots; then a unit from g_unit_map (any case,
    /// binary multiples) or none; no spaces. One dot with digits on both sides; the fraction times the unit is added. The
    /// integer part is read by util_safe_llong (strtoll, base 0), so a leading 0 makes it octal ("010" is 8, "08" is
    /// refused). Anything that does not fit a signed 64-bit number is refused (ERANGE). Never throws.
    /// </summary>
    public static bool TryParseByteSize(string text, out long bytes)
    {
        bytes = 0;
        if (text.Length == 0 || !IsAsciiDigit(text[0]))
        {
            return false;
        }
        int end = 0;
        while (end < text.Length && (IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }
        string number = text.Substring(0, end);
        string unit = text.Substring(end);
        (string Unit, long Multiple) match = ByteUnits.FirstOrDefault(u => string.Equals(u.Unit, unit, StringComparison.OrdinalIgnoreCase));
        if (match.Unit is null)
        {
            return false;
        }
        long multiple = match.Multiple;
        string integer = number;
        long fractionBytes = 0;
        int dot = number.IndexOf('.');
        if (dot >= 0)
        {
            string fraction = number.Substring(dot + 1);
            if (dot == 0 || fraction.Length == 0 || fraction.Contains('.'))
            {
                return false;
            }
            // (int64_t)(strtod("0.<fraction>") * multiple)
            fractionBytes = (long)(double.Parse("0." + fraction, System.Globalization.CultureInfo.InvariantCulture) * multiple);
            integer = number.Substring(0, dot);
        }
        if (!TryParseCInteger(integer, out long whole) || whole > (long.MaxValue - fractionBytes) / multiple)
        {
            return false;
        }
        bytes = whole * multiple + fractionBytes;
        return true;
    }

    /// <summary>strtoll with base 0 over ASCII digits: a leading 0 means octal.</summary>
    private static bool TryParseCInteger(string digits, out long value)
    {
        value = 0;
        int radix = digits.Length > 1 && digits[0] == '0' ? 8 : 10;
        foreach (char c in digits)
        {
            int digit = c - '0';
            if (digit >= radix || value > (long.MaxValue - digit) / radix)
            {
                return false;
            }
            value = value * radix + digit;
        }
        return true;
    }

    private static bool IsAsciiDigit(char c) => c is >= '0' and <= '9';
}
