using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Kata;

namespace IsulaKata.Commands;

/// <summary>Reads which hypervisor kata's configuration makes it start, its paths, and whether those files exist.</summary>
[Cmdlet(VerbsCommon.Get, "KataHypervisor", HelpUri = IsulaKataCmdlet.HelpBase + "Get-KataHypervisor.md")]
[OutputType(typeof(KataHypervisorConfig))]
public sealed class GetKataHypervisorCommand : IsulaKataCmdlet
{
    /// <summary>The kata configuration to read, as the target system sees it; by default the one kata reads.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigPath { get; set; }

    /// <summary>The iSulad runtime name, passed through to the output.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Runtime { get; set; } = KataRules.DefaultRuntime;

    /// <summary>The root of the target system ('/' for this host).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    protected override void ProcessInput()
    {
        try
        {
            KataHypervisorConfig config = new KataHypervisorConfigurator(CreateContext(Root)).Read(ConfigPath, Runtime);
            WriteVerbose($"Kata configuration '{config.ConfigPath}': {config.ConfigReason}.");
            WriteWarnings(config.Warnings);
            WriteObject(config);
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
