using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Storage;

namespace IsulaKata.Commands;

/// <summary>Lists LVM thin pools with their live data and metadata usage, autoextend settings and monitoring.</summary>
[Cmdlet(VerbsCommon.Get, "IsulaThinPool", HelpUri = IsulaKataCmdlet.HelpBase + "Get-IsulaThinPool.md")]
[OutputType(typeof(IsulaThinPool))]
public sealed class GetIsulaThinPoolCommand : IsulaKataCmdlet
{
    /// <summary>The volume group(s) to look in; wildcards allowed. All when left out.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.VolumeGroupCompleter))]
    public string[] VolumeGroup { get; set; } = { "*" };

    /// <summary>The pool name(s); wildcards allowed. All when left out.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.ThinPoolNameCompleter))]
    public string[] Name { get; set; } = { "*" };

    /// <summary>The root of the target system. Pools are read from this host's lvm, so anything but '/' is refused.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    protected override void ProcessInput()
    {
        IReadOnlyList<IsulaThinPool> pools = new ThinPoolReader(CreateContext(Root)).List();
        var groups = VolumeGroup.Select(v => WildcardPattern.Get(v, WildcardOptions.None)).ToList();
        var names = Name.Select(n => WildcardPattern.Get(n, WildcardOptions.None)).ToList();
        var found = pools.Where(p => groups.Any(g => g.IsMatch(p.VolumeGroup)) && names.Any(n => n.IsMatch(p.Name))).ToList();
        foreach (IsulaThinPool pool in found)
        {
            WriteWarnings(pool.Warnings);
            WriteObject(pool);
        }
        // A name without wildcards that matched nothing is an error, as with Get-Item.
        foreach (string vg in VolumeGroup.Where(v => !WildcardPattern.ContainsWildcardCharacters(v)))
        {
            foreach (string name in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)))
            {
                if (!found.Any(p => p.VolumeGroup == vg && p.Name == name))
                {
                    WriteError(ToErrorRecord(new IsulaKataException("ThinPoolNotFound", FailureKind.ObjectNotFound,
                        $"There is no thin pool {vg}/{name}.", "List the thin pools with Get-IsulaThinPool.", $"{vg}/{name}")));
                }
            }
            if (Name.All(WildcardPattern.ContainsWildcardCharacters) && !found.Any(p => p.VolumeGroup == vg))
            {
                WriteError(ToErrorRecord(new IsulaKataException("ThinPoolNotFound", FailureKind.ObjectNotFound,
                    $"The volume group '{vg}' holds no thin pool.", "List the thin pools with Get-IsulaThinPool.", vg)));
            }
        }
        if (VolumeGroup.All(WildcardPattern.ContainsWildcardCharacters))
        {
            foreach (string name in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)).Where(n => !found.Any(p => p.Name == n)))
            {
                WriteError(ToErrorRecord(new IsulaKataException("ThinPoolNotFound", FailureKind.ObjectNotFound,
                    $"There is no thin pool named '{name}'.", "List the thin pools with Get-IsulaThinPool.", name)));
            }
        }
    }
}
