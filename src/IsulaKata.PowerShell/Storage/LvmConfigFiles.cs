using System;
using System.Collections.Generic;
using System.Text;
using IsulaKata.Core;

namespace IsulaKata.Storage;

/// <summary>
/// The settings the thin pool depends on, read from lvm's own configuration files instead of asking lvmconfig (one
/// process fewer on every New-IsulaThinPool, Get-IsulaThinPool and Test-IsulaKataHost; a process costs 0.3-0.5 s
/// under emulation). lvm.conf(5): the files are <c>$LVM_SYSTEM_DIR/lvm.conf</c> then <c>lvmlocal.conf</c> (default
/// folder /etc/lvm), a later file wins; a section met twice is one section; <c>section/key = value</c> is
/// <c>section { key = value }</c>; the last of a repeated key wins. What lvm would read but this reader does not model
/// (tag configuration, which loads further files) or cannot parse makes it answer null, and the caller asks lvmconfig.
/// </summary>
public static class LvmConfigFiles
{
    /// <summary>The environment variable lvm reads its configuration folder from.</summary>
    public const string SystemDirectoryVariable = "LVM_SYSTEM_DIR";

    public const string DefaultSystemDirectory = "/etc/lvm";

    /// <summary>The folder lvm reads lvm.conf from, as the lvm commands this process starts see it.</summary>
    public static string SystemDirectory()
    {
        string? directory = Environment.GetEnvironmentVariable(SystemDirectoryVariable);
        return string.IsNullOrEmpty(directory) ? DefaultSystemDirectory : directory.TrimEnd('/');
    }

    /// <summary>The settings from lvm.conf and lvmlocal.conf; null when lvmconfig must be asked instead.</summary>
    public static LvmSettings? Read(HostFiles files, string systemDirectory)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string? main;
        string? local;
        try
        {
            main = files.ReadText(systemDirectory + "/lvm.conf");
            local = files.ReadText(systemDirectory + "/lvmlocal.conf");
        }
        catch (IsulaKataException)
        {
            return null;
        }
        if (main is null || !Parse(main, values) || (local is not null && !Parse(local, values)))
        {
            return null;
        }
        return LvmSettings.From(values, systemDirectory);
    }

    /// <summary>
    /// Adds the scalar settings of one file to <paramref name="values"/> as <c>section/key</c> (strings unquoted,
    /// arrays left out); false when the text is not lvm's syntax or uses tag configuration.
    /// </summary>
    public static bool Parse(string text, IDictionary<string, string> values)
    {
        var tokens = new List<string>();
        if (!Tokenize(text, tokens))
        {
            return false;
        }
        var sections = new List<string>();
        int i = 0;
        while (i < tokens.Count)
        {
            string token = tokens[i];
            if (token == "}")
            {
                if (sections.Count == 0)
                {
                    return false;
                }
                sections.RemoveAt(sections.Count - 1);
                i++;
                continue;
            }
            if (!IsIdentifier(token) || i + 1 >= tokens.Count)
            {
                return false;
            }
            string path = string.Join("/", sections.Count == 0 ? new[] { token } : new List<string>(sections) { token });
            if (path == "tags" || path.StartsWith("tags/", StringComparison.Ordinal))
            {
                // Tag configuration loads lvm_<tag>.conf files by rules of its own: leave that to lvmconfig.
                return false;
            }
            if (tokens[i + 1] == "{")
            {
                sections.Add(token);
                i += 2;
                continue;
            }
            if (tokens[i + 1] != "=" || i + 2 >= tokens.Count)
            {
                return false;
            }
            i += 2;
            if (tokens[i] == "[")
            {
                // An array (lvm accepts mixed types): skipped, none of the settings read here is one.
                i++;
                while (i < tokens.Count && tokens[i] != "]")
                {
                    if (tokens[i] is "{" or "}" or "=" or "[")
                    {
                        return false;
                    }
                    i++;
                }
                if (i >= tokens.Count)
                {
                    return false;
                }
                i++;
                values.Remove(path);
                continue;
            }
            string value = tokens[i];
            if (value is "{" or "}" or "=" or "]" or ",")
            {
                return false;
            }
            values[path] = value.StartsWith('"') ? value.Substring(1, value.Length - 2) : value;
            i++;
        }
        return sections.Count == 0;
    }

    private static bool IsIdentifier(string token)
        => token.Length > 0 && token[0] != '"' && token is not ("{" or "}" or "=" or "[" or "]" or ",");

    /// <summary>Splits into <c>{ } = [ ] ,</c>, quoted strings (quotes kept, escapes resolved) and words; comments dropped.</summary>
    private static bool Tokenize(string text, List<string> tokens)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c is '{' or '}' or '=' or '[' or ']' or ',')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else if (c == '"')
            {
                var value = new StringBuilder("\"");
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }
                    value.Append(text[i]);
                    i++;
                }
                if (i >= text.Length)
                {
                    return false;
                }
                tokens.Add(value.Append('"').ToString());
                i++;
            }
            else
            {
                int start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('{' or '}' or '=' or '[' or ']' or ',' or '"' or '#'))
                {
                    i++;
                }
                tokens.Add(text.Substring(start, i - start));
            }
        }
        return true;
    }
}
