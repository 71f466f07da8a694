using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using IsulaKata.Core;

namespace IsulaKata.Isulad;

/// <summary>One flag isulad's service passes on its command line, and where it comes from.</summary>
public sealed class IsuladServiceFlag
{
    internal IsuladServiceFlag(string flag, string value, string source)
    {
        Flag = flag;
        Value = value;
        Source = source;
    }

    /// <summary>The long name: --storage-driver, --storage-opt (also given as -s) or --default-runtime.</summary>
    public string Flag { get; }

    public string Value { get; }

    /// <summary>Where it was found, e.g. "OPTIONS in /etc/sysconfig/iSulad" or "ExecStart in /usr/lib/systemd/system/isulad.service".</summary>
    public string Source { get; }

    public override string ToString() => $"{Flag} {Value} ({Source})";
}

/// <summary>
/// isulad's command line as systemd starts it: the unit's ExecStart (the last one wins; drop-ins included) with the
/// variables of its EnvironmentFile (/etc/sysconfig/iSulad on openEuler: OPTIONS) expanded. iSulad reads daemon.json
/// first and its command line after it (src/cmd/isulad/main.c: merge_json_confs_into_global, then parse_args), so
/// --storage-driver and --default-runtime there override daemon.json and each --storage-opt / -s is appended to its
/// storage-opts (src/daemon/config/isulad_config.c, merge_storage_conf_into_global; isulad_commands.h).
/// </summary>
public static class IsuladService
{
    public const string SysconfigPath = "/etc/sysconfig/iSulad";

    /// <summary>Where isulad.service may be, the first found wins (systemd: /etc over the package's copy).</summary>
    private static readonly string[] UnitPaths = { "/etc/systemd/system/isulad.service", "/usr/lib/systemd/system/isulad.service", "/lib/systemd/system/isulad.service" };

    private static readonly string[] DropInFolders = { "/usr/lib/systemd/system/isulad.service.d", "/etc/systemd/system/isulad.service.d" };

    /// <summary>The storage and runtime flags isulad gets on its command line.</summary>
    public static IReadOnlyList<IsuladServiceFlag> ReadFlags(HostFiles files)
    {
        string? execStart = null;
        string execSource = string.Empty;
        var environmentFiles = new List<string>();
        foreach (string unit in UnitFiles(files))
        {
            string? text = files.ReadText(unit);
            if (text is null)
            {
                continue;
            }
            foreach ((string key, string value) in UnitSettings(text))
            {
                if (key == "ExecStart")
                {
                    execStart = value.Length == 0 ? null : value.TrimStart('-', '@', '+', '!', ':');
                    execSource = $"ExecStart in {unit}";
                }
                else if (key == "EnvironmentFile" && value.Length > 0)
                {
                    environmentFiles.Add(value.TrimStart('-'));
                }
            }
        }
        var variables = new Dictionary<string, (string Value, string Source)>(StringComparer.Ordinal);
        foreach (string file in environmentFiles.Count > 0 || execStart is not null ? environmentFiles : new List<string> { SysconfigPath })
        {
            foreach ((string name, string value) in EnvironmentAssignments(files.ReadText(file)))
            {
                variables[name] = (value, $"{name} in {file}");
            }
        }
        var flags = new List<IsuladServiceFlag>();
        if (execStart is null)
        {
            // No unit to read (e.g. an image without systemd files): every assignment of the environment file counts.
            foreach ((string value, string source) in variables.Values)
            {
                flags.AddRange(Parse(Words(value), source));
            }
            return flags;
        }
        foreach (string word in Words(execStart).Skip(1))
        {
            string? name = word.StartsWith("${", StringComparison.Ordinal) && word.EndsWith('}') ? word[2..^1]
                : word.StartsWith('$') ? word[1..] : null;
            if (name is not null && variables.TryGetValue(name, out var variable))
            {
                flags.AddRange(Parse(Words(variable.Value), variable.Source));
            }
        }
        flags.AddRange(Parse(Words(execStart).Skip(1).Where(w => !w.StartsWith('$')).ToList(), execSource));
        return flags;
    }

    private static IEnumerable<string> UnitFiles(HostFiles files)
    {
        if (UnitPaths.FirstOrDefault(files.FileExists) is string unit)
        {
            yield return unit;
        }
        foreach (string folder in DropInFolders.Where(files.DirectoryExists))
        {
            foreach (string dropIn in System.IO.Directory.EnumerateFiles(files.ToHostPath(folder), "*.conf").Select(f => System.IO.Path.GetFileName(f)!).Order(StringComparer.Ordinal))
            {
                yield return folder + "/" + dropIn;
            }
        }
    }

    /// <summary>key=value lines of a unit file, with backslash continuations joined and comments skipped.</summary>
    private static IEnumerable<(string Key, string Value)> UnitSettings(string text)
    {
        var line = new StringBuilder();
        foreach (string raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            string part = raw.TrimEnd();
            if (part.EndsWith('\\'))
            {
                line.Append(part, 0, part.Length - 1).Append(' ');
                continue;
            }
            line.Append(part);
            string full = line.ToString().Trim();
            line.Clear();
            int equals = full.IndexOf('=');
            if (full.Length == 0 || full[0] is '#' or ';' or '[' || equals <= 0)
            {
                continue;
            }
            yield return (full.Substring(0, equals).Trim(), full.Substring(equals + 1).Trim());
        }
    }

    /// <summary>NAME=value lines of an environment file (quotes removed).</summary>
    private static IEnumerable<(string Name, string Value)> EnvironmentAssignments(string? text)
    {
        if (text is null)
        {
            yield break;
        }
        foreach (string raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            string line = raw.Trim();
            int equals = line.IndexOf('=');
            if (line.Length == 0 || line[0] is '#' or ';' || equals <= 0)
            {
                continue;
            }
            string value = line.Substring(equals + 1).Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }
            yield return (line.Substring(0, equals).Trim(), value);
        }
    }

    /// <summary>Splits a command line into words as systemd does: white space separates, quotes group.</summary>
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        foreach (char c in text)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary>The flags of interest among isulad's arguments: --flag value, --flag=value, and for --storage-opt also
    /// -s value and -svalue (isulad_commands.h: 's' is its short form).</summary>
    private static IEnumerable<IsuladServiceFlag> Parse(IReadOnlyList<string> words, string source)
    {
        string[] longFlags = { IsuladRules.StorageDriverFlag, IsuladRules.StorageOptFlag, IsuladRules.DefaultRuntimeFlag };
        for (int i = 0; i < words.Count; i++)
        {
            string word = words[i];
            string? flag = longFlags.FirstOrDefault(f => word == f || word.StartsWith(f + "=", StringComparison.Ordinal));
            string? value = null;
            if (flag is not null)
            {
                value = word.Length > flag.Length ? word.Substring(flag.Length + 1) : i + 1 < words.Count ? words[++i] : null;
            }
            else if (word == IsuladRules.StorageOptShortFlag)
            {
                flag = IsuladRules.StorageOptFlag;
                value = i + 1 < words.Count ? words[++i] : null;
            }
            else if (word.StartsWith(IsuladRules.StorageOptShortFlag, StringComparison.Ordinal) && !word.StartsWith("--", StringComparison.Ordinal) && word.Length > 2)
            {
                flag = IsuladRules.StorageOptFlag;
                value = word.Substring(2);
            }
            if (flag is not null && value is not null)
            {
                yield return new IsuladServiceFlag(flag, value, source);
            }
        }
    }
}
