using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.Json;
using System.Threading;
using IsulaKata.Core;
using IsulaKata.Isulad;

namespace IsulaKata.Commands.Completers;

/// <summary>Completes -Runtime with the kata shim v2 name, iSulad's built-in runtimes and the keys of "runtimes"
/// in daemon.json (the -ConfigPath and -Root already typed on the command line, or the defaults).</summary>
public sealed class RuntimeCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var names = new List<(string Name, string Tip)> { (IsuladRules.KataShimV2, "kata shim v2 (containerd-shim-kata-v2)") };
        names.AddRange(IsuladRules.BuiltInRuntimes.Select(r => (r, "built into iSulad")));
        names.AddRange(DeclaredRuntimes(fakeBoundParameters).Select(r => (r, "declared under \"runtimes\" in daemon.json")));
        string prefix = wordToComplete.Trim('\'', '"');
        return names
            .Where(n => n.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(n => n.Name)
            .Select(n => new CompletionResult(n.Name, n.Name, CompletionResultType.ParameterValue, n.Tip));
    }

    private static IEnumerable<string> DeclaredRuntimes(IDictionary bound)
    {
        try
        {
            string root = bound["Root"] as string ?? "/";
            string path = bound["ConfigPath"] as string ?? IsuladConfigurator.DefaultConfigPath;
            string? text = new HostFiles(root, _ => { }, CancellationToken.None).ReadText(path);
            if (text is null)
            {
                return Array.Empty<string>();
            }
            return DaemonJsonDocument.Parse(text, path).Get("runtimes") is { ValueKind: JsonValueKind.Object } runtimes
                ? runtimes.EnumerateObject().Select(p => p.Name).ToList()
                : Array.Empty<string>();
        }
        catch (Exception)
        {
            // Completion must never throw at the user: an unreadable file just offers the fixed names.
            return Array.Empty<string>();
        }
    }
}
