using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using IsulaKata.Packages;

namespace IsulaKata.Commands.Completers;

/// <summary>Completes -Name of Install-IsulaKataPackage with the packages the procedure needs and the hypervisors' packages.</summary>
public sealed class PackageNameCompleter : IArgumentCompleter
{
    private static readonly string[] Hypervisors = { "stratovirt", "qemu" };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        return RpmPackages.IsulaKataPackages.Concat(Hypervisors)
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}
