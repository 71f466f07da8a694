using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using IsulaKata.Kata;

namespace IsulaKata.Commands.Completers;

/// <summary>Completes -LogLevel with the values of STRATOVIRT_LOG_LEVEL, most verbose first.</summary>
public sealed class LogLevelCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        return KataRules.LogLevels
            .Where(l => l.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(l => new CompletionResult(l, l, CompletionResultType.ParameterValue,
                l == KataRules.DefaultLogLevel ? "STRATOVIRT_LOG_LEVEL=info (the default)" : "STRATOVIRT_LOG_LEVEL=" + l));
    }
}
