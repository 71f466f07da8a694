using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using IsulaKata.Core;
using IsulaKata.Storage;

namespace IsulaKata.Commands.Completers;

/// <summary>What the storage completers share: asking this host's lvm quickly, and never throwing at the user.</summary>
internal static class StorageCompletion
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>lvm report rows, or nothing when lvm is missing, slow, not allowed (not root) or -Root names another tree.</summary>
    public static IReadOnlyList<LvmRow> Report(IDictionary bound, string program, string section, params string[] fields)
    {
        try
        {
            if (bound["Root"] is string root && root != "/")
            {
                return Array.Empty<LvmRow>();
            }
            ICommandRunner runner = HostContext.Create("/", _ => { }, CancellationToken.None).Runner;
            if (!runner.Exists(program))
            {
                return Array.Empty<LvmRow>();
            }
            CommandResult result = runner.Run(program, new[] { "--reportformat", "json", "--units", "b", "--nosuffix", "-o", string.Join(",", fields) }, Timeout);
            return result.Succeeded ? Lvm.ParseReport(result.StandardOutput, section, result.CommandLine) : Array.Empty<LvmRow>();
        }
        catch (Exception)
        {
            return Array.Empty<LvmRow>();
        }
    }

    /// <summary>The word typed so far, without quotes.</summary>
    public static string Prefix(string wordToComplete) => wordToComplete.Trim('\'', '"');

    /// <summary>A completion, quoted when the text needs it.</summary>
    public static CompletionResult Result(string text, string tip)
    {
        string completion = text.Any(c => char.IsWhiteSpace(c) || "'\"$`;&|(){}[],@#".Contains(c)) ? "'" + text.Replace("'", "''") + "'" : text;
        return new CompletionResult(completion, text, CompletionResultType.ParameterValue, tip);
    }
}
