using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using IsulaKata.Storage;

namespace IsulaKata.Commands.Completers;

/// <summary>Completes -Name with the thin pools lvs reports, in the -VolumeGroup already typed when there is one.</summary>
public sealed class ThinPoolNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = StorageCompletion.Prefix(wordToComplete);
        string? group = fakeBoundParameters["VolumeGroup"] switch
        {
            string one => one,
            string[] { Length: 1 } many => many[0],
            _ => null,
        };
        var pattern = group is null ? null : WildcardPattern.Get(group, WildcardOptions.IgnoreCase);
        var pools = StorageCompletion.Report(fakeBoundParameters, "lvs", "lv", "lv_name", "vg_name", "lv_attr", "lv_size")
            .Where(Lvm.IsThinPool)
            .Where(row => pattern is null || pattern.IsMatch(row["vg_name"]))
            .Select(row => (Name: row["lv_name"], Tip: $"thin pool {row["vg_name"]}/{row["lv_name"]}, {ThinPoolSizing.FormatSize(row.Long("lv_size"))}"))
            .ToList();
        if (commandName.StartsWith("New-", StringComparison.OrdinalIgnoreCase) && !pools.Any(p => p.Name == "thinpool"))
        {
            pools.Insert(0, ("thinpool", "the default thin pool name"));
        }
        return pools
            .Where(p => p.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(p => p.Name)
            .Select(p => StorageCompletion.Result(p.Name, p.Tip));
    }
}
