using System.Collections;
using System.Collections.Specialized;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Fleet;

namespace IsulaKata.Commands;

/// <summary>The configuration a host is in now, as a document Test-IsulaKataConfiguration finds in desired state there.</summary>
[Cmdlet(VerbsCommon.Get, "IsulaKataConfiguration", HelpUri = IsulaKataCmdlet.HelpBase + "Get-IsulaKataConfiguration.md")]
[OutputType(typeof(Hashtable), typeof(string))]
public sealed class GetIsulaKataConfigurationCommand : IsulaKataFleetCmdlet
{
    /// <summary>Write the document as the text of a .psd1 file instead of a hashtable.</summary>
    [Parameter]
    public SwitchParameter AsString { get; set; }

    protected override void ProcessDocument()
    {
        if (IsRemote)
        {
            var parameters = new Hashtable();
            if (AsString)
            {
                parameters["AsString"] = true;
            }
            RunOnHosts(Targets(), "Get-IsulaKataConfiguration", parameters, run => run.Error is null ? run.Output.FirstOrDefault() : null);
            return;
        }
        using SectionRunner runner = NewSectionRunner();
        OrderedDictionary document = new HostConvergence(runner, Root, LocalProgress()).Get();
        CompleteLocalProgress();
        var table = new Hashtable(System.StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in document)
        {
            table[entry.Key] = entry.Value;
        }
        WriteObject(AsString ? ConfigurationWriter.ToPsd1(document) : table);
    }
}
