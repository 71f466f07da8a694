using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;

namespace IsulaKata.Isulad;

/// <summary>What `isula info` reports, parsed from its "Key: Value" lines.</summary>
public sealed class IsulaInfo
{
    private readonly Dictionary<string, string> _values;

    private IsulaInfo(Dictionary<string, string> values) => _values = values;

    public string? StorageDriver => Value("Storage Driver");

    /// <summary>The pool iSulad uses (devicemapper only), e.g. isula-thinpool.</summary>
    public string? PoolName => Value("Pool Name");

    public long? DataSpaceUsedBytes => Size("Data Space Used");
    public long? DataSpaceTotalBytes => Size("Data Space Total");
    public long? MetadataSpaceUsedBytes => Size("Metadata Space Used");
    public long? MetadataSpaceTotalBytes => Size("Metadata Space Total");

    public string? Value(string key) => _values.TryGetValue(key, out string? value) ? value : null;

    public static IsulaInfo Parse(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string raw in output.Split('\n'))
        {
            int colon = raw.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            string key = raw.Substring(0, colon).Trim();
            string value = raw.Substring(colon + 1).Trim();
            values.TryAdd(key, value);
        }
        return new IsulaInfo(values);
    }

    private static readonly Regex HumanSize = new(@"^(\d+(?:\.\d+)?)\s*([kKMGTP]?i?)B$", RegexOptions.CultureInvariant);

    /// <summary>Parses sizes as isula prints them (536.3MB, 30.6GB: decimal units; KiB-style binary ones too).</summary>
    public static long? ParseHumanSize(string? text)
    {
        if (text is null)
        {
            return null;
        }
        Match match = HumanSize.Match(text.Trim());
        if (!match.Success)
        {
            return null;
        }
        decimal number = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        string unit = match.Groups[2].Value;
        int power = unit.Length == 0 ? 0 : "KMGTP".IndexOf(char.ToUpperInvariant(unit[0])) + 1;
        double scale = unit.EndsWith('i') ? 1024 : 1000;
        return (long)(number * (decimal)Math.Pow(scale, power));
    }

    private long? Size(string key) => ParseHumanSize(Value(key));
}
