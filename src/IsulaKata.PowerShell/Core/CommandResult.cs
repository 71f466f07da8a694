using System;
using System.Collections.Generic;
using System.Linq;

namespace IsulaKata.Core;

/// <summary>One finished run of an external program.</summary>
public sealed class CommandResult
{
    public CommandResult(string program, IReadOnlyList<string> arguments, int exitCode, string standardOutput,
        string standardError, TimeSpan duration)
    {
        Program = program;
        Arguments = arguments;
        ExitCode = exitCode;
        StandardOutput = standardOutput;
        StandardError = standardError;
        Duration = duration;
    }

    public string Program { get; }
    public IReadOnlyList<string> Arguments { get; }
    public int ExitCode { get; }
    public string StandardOutput { get; }
    public string StandardError { get; }
    public TimeSpan Duration { get; }
    public bool Succeeded => ExitCode == 0;

    /// <summary>The command as a person would type it, each word quoted where needed.</summary>
    public string CommandLine => FormatCommandLine(Program, Arguments);

    /// <summary>The last non-empty lines of stderr (or stdout when stderr is empty), for error messages.</summary>
    /// <summary>"'cmd args' failed with exit code N:" and the detail (or a full stop when there is none): the one wording.</summary>
    public string FailureText(string detail)
        => $"'{CommandLine}' failed with exit code {ExitCode}" + (detail.Length > 0 ? ":" + System.Environment.NewLine + detail : ".");

    public string Diagnostics(int maxLines = 8)
    {
        string text = string.IsNullOrWhiteSpace(StandardError) ? StandardOutput : StandardError;
        var lines = text.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Count - maxLines)));
    }

    public static string FormatCommandLine(string program, IEnumerable<string> arguments)
        => string.Join(" ", new[] { program }.Concat(arguments).Select(Quote));

    /// <summary>POSIX shell quoting: plain words stay bare, anything else goes in single quotes.</summary>
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+%@".Contains(c)))
        {
            return word;
        }
        return "'" + word.Replace("'", "'\\''") + "'";
    }
}
