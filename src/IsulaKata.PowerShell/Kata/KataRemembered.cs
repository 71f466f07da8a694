using System;
using System.Collections.Generic;
using System.Linq;

namespace IsulaKata.Kata;

/// <summary>
/// What Set-KataHypervisor changed in a file it edits in place, written into the file itself so that switching back
/// gives the file back byte for byte, on any later call: a key it set for StratoVirt outside the hypervisor table
/// gets the line that was there above it (<c>#isulakata-was# sandbox_cgroup_with_emulator = true</c>, or
/// <c>#isulakata-was# (not set)</c>), and a hypervisor table it built gets <c>#isulakata-built#</c> above its header.
/// Switching to another hypervisor removes a built table and puts every remembered line back.
/// </summary>
internal static class KataRemembered
{
    public const string WasMarker = "#isulakata-was#";
    public const string BuiltMarker = "#isulakata-built#";
    private const string NotSet = "(not set)";

    /// <summary>Sets a key, remembering the line it replaces (once: a key already remembered keeps its first line).</summary>
    public static TomlEditor.SetOutcome Set(TomlEditor editor, string table, string key, object value)
    {
        string? before = editor.KeyLine(table, key) is int line ? editor.LineText(line)
            : editor.CommentedKeyLine(table, key) is int commented ? editor.LineText(commented) : null;
        TomlEditor.SetOutcome outcome = editor.Set(table, key, value);
        if (!outcome.Changed || editor.KeyLine(table, key) is not int now || editor.LineText(now) is not string written)
        {
            return outcome;
        }
        if (editor.LineText(now - 1)?.StartsWith(WasMarker, StringComparison.Ordinal) != true)
        {
            editor.ReplaceLines(now, now, WasMarker + " " + (before ?? NotSet), written);
        }
        return outcome;
    }

    /// <summary>Adds a hypervisor table, marked as built here, before the given 1-based line (or at the end).</summary>
    public static void InsertBuiltTable(TomlEditor editor, string table, int? beforeLine)
    {
        editor.InsertTable(table, beforeLine, $"{BuiltMarker} Set-KataHypervisor added the table below; choosing another hypervisor removes it again.");
    }

    /// <summary>Whether an active table was built by <see cref="InsertBuiltTable"/>.</summary>
    public static bool IsBuilt(TomlEditor editor, string table)
        => editor.HasTable(table) && editor.HeaderLine(table) is int header && editor.LineText(header - 1)?.StartsWith(BuiltMarker, StringComparison.Ordinal) == true;

    /// <summary>Removes a built table: its marker, header, keys and the blank line that was added with it.</summary>
    public static void RemoveBuilt(TomlEditor editor, string table)
    {
        int header = editor.HeaderLine(table)!.Value;
        editor.ReplaceLines(header - 1, editor.RegionEndLine(table)!.Value);
    }

    /// <summary>Puts every remembered line back, bottom up. Returns one change line each; a remembered line whose key
    /// line below was edited away is left as it is, with a warning.</summary>
    public static IReadOnlyList<string> RestoreAll(TomlEditor editor, string path, List<string> warnings)
    {
        var changes = new List<string>();
        int count = editor.Text.Split('\n').Length;
        for (int line = count - 1; line >= 1; line--)
        {
            string? marker = editor.LineText(line);
            if (marker is null || !marker.StartsWith(WasMarker + " ", StringComparison.Ordinal))
            {
                continue;
            }
            string recorded = marker.Substring(WasMarker.Length + 1);
            string? current = editor.LineText(line + 1);
            string? key = KeyOf(current);
            if (key is null || recorded != NotSet && KeyOf(recorded.TrimStart().TrimStart('#')) != key)
            {
                warnings.Add($"Line {line} of '{path}' remembers '{recorded}', but the line below it is not that key any more: it was left as it is. Put the line back by hand if you want it.");
                continue;
            }
            if (recorded == NotSet)
            {
                editor.ReplaceLines(line, line + 1);
                changes.Add($"line {line}: '{current!.Trim()}' removed (Set-KataHypervisor had added it for StratoVirt)");
            }
            else
            {
                editor.ReplaceLines(line, line + 1, recorded);
                changes.Add($"line {line}: '{current!.Trim()}' -> '{recorded.Trim()}', as it was before Set-KataHypervisor -Hypervisor StratoVirt");
            }
        }
        changes.Reverse();
        return changes;
    }

    /// <summary>The key of an active <c>key = value</c> line; null for a comment, a header or anything else.</summary>
    private static string? KeyOf(string? line)
    {
        string text = line?.Trim() ?? string.Empty;
        int equals = text.IndexOf('=');
        if (text.Length == 0 || text[0] == '#' || text[0] == '[' || equals <= 0)
        {
            return null;
        }
        return string.Join('.', text.Substring(0, equals).Split('.').Select(p => p.Trim().Trim('"')));
    }
}
