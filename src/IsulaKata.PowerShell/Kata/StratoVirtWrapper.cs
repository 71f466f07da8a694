using System;
using System.IO;
using System.Linq;
using System.Text;

namespace IsulaKata.Kata;

/// <summary>
/// The script kata starts as StratoVirt's "path": it sets STRATOVIRT_LOG_LEVEL (StratoVirt reads its log level only
/// from the environment, and kata passes none) and replaces itself with the binary, passing every argument through
/// intact (<c>"$@"</c>, not the guide's unquoted <c>$@</c>, which splits arguments with spaces).
/// </summary>
public static class StratoVirtWrapper
{
    /// <summary>Mode of the script: rwxr-xr-x.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>The line that makes a script this module's wrapper: only a file whose second line is exactly this is replaced.</summary>
    public const string MarkerLine = "# StratoVirt for kata-containers, written by IsulaKata (Set-KataHypervisor).";

    /// <summary>The script; <paramref name="logLevel"/> must be one of <see cref="KataRules.LogLevels"/> (it is written bare).</summary>
    public static string Render(string binary, string logLevel)
    {
        if (!KataRules.LogLevels.Contains(logLevel))
        {
            throw new ArgumentException($"'{logLevel}' is not a StratoVirt log level.", nameof(logLevel));
        }
        var script = new StringBuilder();
        script.Append("#!/bin/sh\n");
        script.Append(MarkerLine).Append('\n');
        script.Append("# kata starts this script as its hypervisor: it sets StratoVirt's log level, then runs the binary\n");
        script.Append("# with kata's arguments unchanged. Change the level with Set-KataHypervisor -LogLevel; edits here are replaced.\n");
        script.Append("export STRATOVIRT_LOG_LEVEL=").Append(logLevel).Append('\n');
        script.Append("exec ").Append(ShellWord(binary)).Append(" \"$@\"\n");
        return script.ToString();
    }

    /// <summary>Whether <paramref name="text"/> is a wrapper this module wrote (its marker line), so it may be replaced.</summary>
    public static bool IsOurs(string text)
    {
        string[] lines = text.Split('\n', 3);
        return lines.Length >= 2 && lines[0].StartsWith("#!", StringComparison.Ordinal) && lines[1].TrimEnd('\r') == MarkerLine;
    }

    /// <summary>The binary and log level of a wrapper (this module's or the guide's), for describing it; null when the text is not one.</summary>
    public static (string Binary, string? LogLevel)? Parse(string text)
    {
        if (!text.StartsWith("#!", StringComparison.Ordinal))
        {
            return null;
        }
        string? level = null;
        string? binary = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith('#'))
            {
                continue;
            }
            int at = line.IndexOf("STRATOVIRT_LOG_LEVEL=", StringComparison.Ordinal);
            if (at >= 0)
            {
                string value = new string(line.Substring(at + "STRATOVIRT_LOG_LEVEL=".Length).TakeWhile(c => !char.IsWhiteSpace(c) && c != ';' && c != '#').ToArray());
                level = value.Trim('"', '\'');
                continue;
            }
            if (line.EndsWith("\"$@\"", StringComparison.Ordinal) || line.EndsWith("$@", StringComparison.Ordinal))
            {
                string command = line.StartsWith("exec ", StringComparison.Ordinal) ? line.Substring(5).TrimStart() : line;
                binary = FirstWord(command);
            }
        }
        return binary is null ? null : (binary, level);
    }

    /// <summary>A path as one shell word: bare when it is plain, else single-quoted.</summary>
    internal static string ShellWord(string word)
        => word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._+-,:=@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''") + "'";

    private static string? FirstWord(string command)
    {
        if (command.Length == 0)
        {
            return null;
        }
        if (command[0] == '\'')
        {
            // 'a'\''b' style: read quoted runs and escaped quotes until a space outside quotes.
            var word = new StringBuilder();
            int i = 0;
            while (i < command.Length && !char.IsWhiteSpace(command[i]))
            {
                if (command[i] == '\'')
                {
                    int end = command.IndexOf('\'', i + 1);
                    if (end < 0)
                    {
                        return null;
                    }
                    word.Append(command, i + 1, end - i - 1);
                    i = end + 1;
                }
                else if (command[i] == '\\' && i + 1 < command.Length)
                {
                    word.Append(command[i + 1]);
                    i += 2;
                }
                else
                {
                    word.Append(command[i++]);
                }
            }
            return word.ToString();
        }
        if (command[0] == '"')
        {
            int end = command.IndexOf('"', 1);
            return end < 0 ? null : command.Substring(1, end - 1);
        }
        int space = command.IndexOfAny(new[] { ' ', '\t' });
        return space < 0 ? command : command.Substring(0, space);
    }
}
