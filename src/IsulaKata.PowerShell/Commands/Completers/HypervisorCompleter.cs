using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using IsulaKata.Kata;

namespace IsulaKata.Commands.Completers;

/// <summary>Completes -Hypervisor with the hypervisors Set-KataHypervisor configures (StratoVirt, Qemu), in any case.</summary>
public sealed class HypervisorCompleter : IArgumentCompleter
{
    private static readonly (string Name, string Tip)[] Hypervisors =
    {
        (nameof(KataHypervisorKind.StratoVirt), "StratoVirt microVM (openEuler), started through a wrapper that sets its log level"),
        (nameof(KataHypervisorKind.Qemu), "QEMU (qemu-kvm)"),
    };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        return Hypervisors
            .Where(h => h.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(h => new CompletionResult(h.Name, h.Name, CompletionResultType.ParameterValue, h.Tip));
    }
}
