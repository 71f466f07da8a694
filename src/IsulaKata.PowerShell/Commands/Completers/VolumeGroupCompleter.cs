using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using IsulaKata.Storage;

namespace IsulaKata.Commands.Completers;

/// <summary>Completes -VolumeGroup with the volume groups this host's lvm knows (vgs), and 'isula' for a new one.</summary>
public sealed class VolumeGroupCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = StorageCompletion.Prefix(wordToComplete);
        var groups = StorageCompletion.Report(fakeBoundParameters, "vgs", "vg", "vg_name", "vg_size", "vg_free")
            .Select(row => (Name: row["vg_name"], Tip: $"volume group, {ThinPoolSizing.FormatSize(row.Long("vg_size"))} ({ThinPoolSizing.FormatSize(row.Long("vg_free"))} free)"))
            .Where(g => g.Name.Length > 0)
            .ToList();
        if (commandName.StartsWith("New-", StringComparison.OrdinalIgnoreCase) && !groups.Any(g => g.Name == "isula"))
        {
            groups.Insert(0, ("isula", "the default volume group name (created by New-IsulaThinPool)"));
        }
        return groups
            .Where(g => g.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(g => g.Name)
            .Select(g => StorageCompletion.Result(g.Name, g.Tip));
    }
}
