using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using IsulaKata.Core;

namespace IsulaKata.Isulad;

/// <summary>What iSulad itself accepts: runtime names and devicemapper storage options.</summary>
public static class IsuladRules
{
    /// <summary>The shim v2 runtime kata uses with iSulad.</summary>
    public const string KataShimV2 = "io.containerd.kata.v2";

    /// <summary>Runtimes iSulad knows without a "runtimes" entry.</summary>
    public static readonly IReadOnlyList<string> BuiltInRuntimes = new[] { "lcr", "runc", "kata-runtime" };

    /// <summary>Validates a runtime name as iSulad does and returns it lower-cased (iSulad lower-cases
    /// default-runtime). <paramref name="declaredRuntimes"/> are the keys of "runtimes" in daemon.json.</summary>
    public static string NormalizeRuntime(string runtime, IEnumerable<string> declaredRuntimes, string configPath)
    {
        string name = runtime.Trim().ToLowerInvariant();
        if (IsShimV2Name(name) || BuiltInRuntimes.Contains(name)
            || declaredRuntimes.Any(r => string.Equals(r, name, StringComparison.OrdinalIgnoreCase)))
        {
            return name;
        }
        string why = name.StartsWith("io.containerd", StringComparison.Ordinal)
            ? "a shim v2 runtime name has exactly four dot-separated parts (io.containerd.<name>.<version>)"
            : $"it is neither a shim v2 name (io.containerd.<name>.<version>), a built-in runtime ({string.Join(", ", BuiltInRuntimes)}), nor a key of \"runtimes\" in '{configPath}'";
        throw new IsulaKataException("InvalidRuntimeName", FailureKind.InvalidArgument,
            $"iSulad would refuse the runtime '{runtime}': {why}.",
            $"Use -Runtime {KataShimV2} for kata, or declare the runtime under \"runtimes\" in '{configPath}' first.", runtime);
    }

    /// <summary>A shim v2 name: four dot-separated non-empty parts starting io.containerd.</summary>
    public static bool IsShimV2Name(string name)
    {
        string[] parts = name.Split('.');
        return parts.Length == 4 && parts[0] == "io" && parts[1] == "containerd" && parts.All(p => p.Length > 0);
    }

    /// <summary>The shim binary iSulad runs for a shim v2 runtime: containerd-shim-&lt;name&gt;-&lt;version&gt;.</summary>
    public static string? ShimBinary(string runtime)
    {
        string[] parts = runtime.Split('.');
        return IsShimV2Name(runtime) ? $"containerd-shim-{parts[2]}-{parts[3]}" : null;
    }

    private static readonly string[] RepeatableOptions = { "dm.mkfsarg" };
    private static readonly string[] KnownDevicemapperOptions =
        { "dm.fs", "dm.thinpooldev", "dm.min_free_space", "dm.basesize", "dm.mkfsarg", "dm.mountopt", "devicemapper.mountopt" };

    /// <summary>The key of a storage option (the text before '=').</summary>
    public static string OptionKey(string option)
    {
        int equals = option.IndexOf('=');
        return (equals < 0 ? option : option.Substring(0, equals)).Trim();
    }

    public static bool IsRepeatable(string key) => RepeatableOptions.Contains(key);

    /// <summary>True for options of iSulad's devicemapper driver (whether or not their value is valid).</summary>
    public static bool IsDevicemapperOption(string option)
    {
        string key = OptionKey(option);
        return key.StartsWith("dm.", StringComparison.Ordinal) || key.StartsWith("devicemapper.", StringComparison.Ordinal);
    }

    /// <summary>Checks one option as iSulad's devicemapper driver does; throws what it would refuse.</summary>
    public static void ValidateDevicemapperOption(string option)
    {
        int equals = option.IndexOf('=');
        string key = OptionKey(option);
        string value = equals < 0 ? string.Empty : option.Substring(equals + 1);
        string? problem = null;
        if (equals < 0)
        {
            problem = "it has no '=': storage options are written key=value";
        }
        else if (!KnownDevicemapperOptions.Contains(key))
        {
            problem = $"iSulad's devicemapper driver knows only {string.Join(", ", KnownDevicemapperOptions)} (names are case-sensitive), and would not start";
        }
        else
        {
            problem = key switch
            {
                "dm.fs" when value != "ext4" => "iSulad's devicemapper driver supports only dm.fs=ext4",
                "dm.thinpooldev" when value.Trim().Length == 0 => "dm.thinpooldev needs the pool's device, e.g. /dev/mapper/isula-thinpool",
                "dm.min_free_space" when !IsPercentBelow100(value) => "dm.min_free_space is a percentage below 100, e.g. 10% (0% disables the check)",
                "dm.basesize" when !(TryParseSize(value, out long bytes) && bytes > 0) => "dm.basesize is a size greater than zero, e.g. 10G",
                "dm.mkfsarg" or "dm.mountopt" or "devicemapper.mountopt" when value.Trim().Length == 0 => $"{key} needs a value",
                _ => null,
            };
        }
        if (problem is not null)
        {
            throw new IsulaKataException("InvalidStorageOption", FailureKind.InvalidArgument,
                $"The storage option '{option}' is not valid: {problem}.",
                "Correct or drop that option; nothing was written.", option);
        }
    }

    private static bool IsPercentBelow100(string value)
    {
        string number = value.EndsWith('%') ? value[..^1] : value;
        return decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal percent)
            && percent >= 0 && percent < 100;
    }

    private static readonly Regex SizePattern = new(@"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Parses sizes as iSulad does (10G, 512M, 1.5g, 1024; binary multiples).</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        Match match = SizePattern.Match(text);
        if (!match.Success)
        {
            return false;
        }
        decimal number = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        int power = "kmgtp".IndexOf(char.ToLowerInvariant(match.Groups[2].Value.FirstOrDefault('\0'))) + 1;
        decimal value = number * (decimal)Math.Pow(1024, power);
        if (value > long.MaxValue)
        {
            return false;
        }
        bytes = (long)value;
        return true;
    }
}
