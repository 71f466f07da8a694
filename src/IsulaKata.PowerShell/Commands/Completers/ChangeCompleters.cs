using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using IsulaKata.Core;
using IsulaKata.Journal;

namespace IsulaKata.Commands.Completers;

/// <summary>Completes -Id with the journal's changes that can still be undone, newest first (time, action and path as the tip).</summary>
public sealed class ChangeIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
        => JournalCompletion.History(fakeBoundParameters).Changes.Reverse()
            .Where(c => c.Outcome is ChangeOutcome.Done or ChangeOutcome.Interrupted && !c.IsUndo)
            .Where(c => c.Id.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(c => new CompletionResult(c.Id, c.Id, CompletionResultType.ParameterValue,
                $"{c.Intent.Time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {c.Intent.Cmdlet} {c.Action} {c.Intent.Path} ({c.Outcome})"));
}

/// <summary>Completes -Cmdlet with the cmdlets the journal names.</summary>
public sealed class ChangeCmdletCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
        => JournalCompletion.History(fakeBoundParameters).Changes
            .Select(c => c.Intent.Cmdlet).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase)
            .Where(c => c.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(c => new CompletionResult(c, c, CompletionResultType.ParameterValue, $"changes made by {c}"));
}

internal static class JournalCompletion
{
    /// <summary>The journal of the -Root typed so far (this host when none); empty when it cannot be read.</summary>
    public static JournalHistory History(IDictionary fakeBoundParameters)
    {
        try
        {
            string root = fakeBoundParameters["Root"] as string ?? "/";
            var files = new HostFiles(root, _ => { }, CancellationToken.None);
            return new ChangeJournal(files, string.Empty, _ => { }).History();
        }
        catch (Exception error) when (error is IsulaKataException or System.IO.IOException or UnauthorizedAccessException)
        {
            return JournalHistory.Build(Array.Empty<JournalRecord>());
        }
    }
}
