using System;
using System.Collections;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text;

namespace IsulaKata.Fleet;

/// <summary>Writes a configuration document as the text of a .psd1 data file, sections in converging order.</summary>
public static class ConfigurationWriter
{
    public static string ToPsd1(IDictionary document)
    {
        var text = new StringBuilder("@{").Append('\n');
        foreach (string section in ConfigurationSection.Names.Where(document.Contains))
        {
            var keys = (IDictionary)document[section]!;
            string body = string.Join("; ", keys.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.OrdinalIgnoreCase)
                .Select(k => $"{k} = {Value(keys[k])}"));
            text.Append("    ").Append(section.PadRight(11)).Append(" = @{").Append(body.Length > 0 ? $" {body} " : string.Empty).Append("}\n");
        }
        return text.Append('}').Append('\n').ToString();
    }

    private static string Value(object? value) => value switch
    {
        null => "$null",
        PSObject wrapped => Value(wrapped.BaseObject),
        bool flag => flag ? "$true" : "$false",
        SwitchParameter flag => flag.IsPresent ? "$true" : "$false",
        string text => "'" + text.Replace("'", "''") + "'",
        IEnumerable items => string.Join(", ", items.Cast<object?>().Select(Value)) is { Length: > 0 } list ? list : "@()",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => "'" + value.ToString()!.Replace("'", "''") + "'",
    };
}
