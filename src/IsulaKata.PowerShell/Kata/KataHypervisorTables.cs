using System;
using System.Collections.Generic;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>A key set in <paramref name="Place"/> ("" = before the first table) that kata reads only from <paramref name="Owner"/>.</summary>
public sealed record MisplacedKey(string Place, string Key, string Owner, TomlValue Value);

/// <summary>
/// Which hypervisors a configuration defines, in every TOML shape kata's decoder accepts: a <c>[hypervisor.NAME]</c>
/// table, a sub-table <c>[hypervisor.NAME.SUB]</c> (runtime-rs files have <c>[hypervisor.qemu.factory]</c>), a dotted key
/// <c>hypervisor.NAME.KEY = ...</c> before the first table, or <c>NAME.KEY = ...</c> / <c>NAME = {...}</c> in
/// <c>[hypervisor]</c>. Each of them makes NAME a hypervisor kata may pick.
/// </summary>
public static class KataHypervisorTables
{
    /// <summary>The hypervisors defined, as "hypervisor.NAME", in file order.</summary>
    public static IReadOnlyList<string> Active(TomlEditor editor)
    {
        var names = new List<string>();
        foreach (string table in editor.TableNames)
        {
            Add(HypervisorOf(table));
            foreach (string key in editor.Keys(table))
            {
                Add(HypervisorOf(table + "." + key));
            }
        }
        foreach (string key in editor.Keys(string.Empty))
        {
            Add(HypervisorOf(key));
        }
        return names;

        void Add(string? name)
        {
            if (name is not null && !names.Contains(name))
            {
                names.Add(name);
            }
        }
    }

    /// <summary>The hypervisors this module disabled (tables or keys behind the marker), as "hypervisor.NAME".</summary>
    public static IReadOnlyList<string> Disabled(TomlEditor editor)
        => editor.DisabledTableNames.Select(HypervisorOf)
            .Concat(editor.MarkedKeys(string.Empty).Select(HypervisorOf))
            .Concat(editor.MarkedKeys(Hypervisor).Select(k => HypervisorOf(Hypervisor + "." + k)))
            .OfType<string>().Distinct().ToList();

    /// <summary>Refuses a configuration that defines hypervisors in a shape that cannot be told apart (a root
    /// <c>hypervisor = {...}</c>), or defines <paramref name="target"/> only through dotted keys.</summary>
    public static void EnsureEditable(TomlEditor editor, string target, string path)
    {
        if (editor.Get(string.Empty, Hypervisor) is not null)
        {
            throw Shape(path, $"'{path}' sets 'hypervisor = ...' as one value before the first table; the module edits hypervisors written as [hypervisor.NAME] tables.");
        }
        if (Active(editor).Contains(target) && !editor.HasTable(target))
        {
            throw Shape(path, $"'{path}' defines [{target}] only through dotted keys ('{target}.KEY = ...' or a sub-table); the module edits it as a [{target}] table.");
        }
    }

    /// <summary>Disables every definition of <paramref name="hypervisor"/>: its table and sub-tables, and dotted keys
    /// before the first table and in [hypervisor]. Returns what was commented out, for the change list.</summary>
    public static IReadOnlyList<string> Disable(TomlEditor editor, string hypervisor)
    {
        var done = new List<string>();
        foreach (string table in editor.TableNames.Where(t => HypervisorOf(t) == hypervisor).ToList())
        {
            editor.DisableTable(table);
            done.Add("[" + table + "]");
        }
        foreach ((string place, string key) in DottedKeys(editor, hypervisor).ToList())
        {
            int line = editor.CommentOut(place, key)!.Value;
            done.Add($"{key} {(place.Length == 0 ? "before the first table" : "in [" + place + "]")} (line {line})");
        }
        return done;
    }

    /// <summary>Restores what <see cref="Disable"/> commented out. Returns what was restored.</summary>
    public static IReadOnlyList<string> Restore(TomlEditor editor, string hypervisor)
    {
        var done = new List<string>();
        foreach (string table in editor.DisabledTableNames.Where(t => HypervisorOf(t) == hypervisor).ToList())
        {
            editor.RestoreTable(table);
            done.Add("[" + table + "]");
        }
        foreach (string place in new[] { string.Empty, Hypervisor })
        {
            foreach (string key in editor.MarkedKeys(place).Where(k => HypervisorOf(place.Length == 0 ? k : place + "." + k) == hypervisor).ToList())
            {
                if (editor.HasTable(place) || place.Length == 0)
                {
                    editor.RestoreKey(place, key);
                    done.Add(key);
                }
            }
        }
        return done;
    }

    /// <summary>
    /// The keys this module knows that sit where kata does not read them, with <paramref name="hypervisorTable"/> as the
    /// active hypervisor table: a [runtime], [netmon] or [factory] key in the hypervisor table (the guide's snippet), a
    /// hypervisor key in one of those, or either before the first table. Kata ignores such keys without a word.
    /// </summary>
    public static IReadOnlyList<MisplacedKey> Misplaced(TomlEditor editor, string hypervisorTable)
    {
        var misplaced = new List<MisplacedKey>();
        string[] places = { hypervisorTable, KataRules.Runtime, KataRules.Netmon, KataRules.Factory, string.Empty };
        IEnumerable<(string Key, string Owner)> known = KataRules.NonHypervisorKeys.Select(k => (k.Key, k.Value))
            .Concat(KataRules.HypervisorOnlyKeys.Select(k => (k, hypervisorTable)));
        foreach ((string key, string owner) in known)
        {
            foreach (string place in places.Where(p => p != owner && (p.Length == 0 || editor.HasTable(p))))
            {
                if (editor.Get(place, key) is { } value)
                {
                    misplaced.Add(new MisplacedKey(place, key, owner, value));
                }
            }
        }
        return misplaced;
    }

    /// <summary>"hypervisor.NAME" for a table or full key path under hypervisor.NAME; null otherwise.</summary>
    public static string? HypervisorOf(string fullPath)
    {
        string[] parts = fullPath.Split('.');
        return parts.Length >= 2 && parts[0] == Hypervisor && parts[1].Length > 0 ? KataRules.HypervisorPrefix + parts[1] : null;
    }

    private const string Hypervisor = "hypervisor";

    private static IEnumerable<(string Place, string Key)> DottedKeys(TomlEditor editor, string hypervisor)
    {
        foreach (string key in editor.Keys(string.Empty).Where(k => HypervisorOf(k) == hypervisor))
        {
            yield return (string.Empty, key);
        }
        foreach (string key in editor.Keys(Hypervisor).Where(k => HypervisorOf(Hypervisor + "." + k) == hypervisor))
        {
            yield return (Hypervisor, key);
        }
    }

    private static IsulaKataException Shape(string path, string message)
        => new("KataConfigShapeNotSupported", FailureKind.InvalidData, message + " The file was not changed.",
            "Write each hypervisor as its own [hypervisor.NAME] table (as kata's shipped files do), then run the command again.", path);
}
