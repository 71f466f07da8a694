using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Isulad;

namespace IsulaKata.Commands;

/// <summary>Reads iSulad's default runtime and storage from daemon.json and, on a live host, from isulad.</summary>
[Cmdlet(VerbsCommon.Get, "IsulaRuntime", HelpUri = IsulaKataCmdlet.HelpBase + "Get-IsulaRuntime.md")]
[OutputType(typeof(IsulaRuntimeConfig))]
public sealed class GetIsulaRuntimeCommand : IsulaKataCmdlet
{
    /// <summary>daemon.json as the target system sees it.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = IsuladConfigurator.DefaultConfigPath;

    /// <summary>The root of the target system; anything but '/' reads files only.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    protected override void ProcessInput()
    {
        try
        {
            IsulaRuntimeConfig config = new IsuladConfigurator(CreateContext(Root)).Read(ConfigPath);
            WriteWarnings(config.Warnings);
            WriteObject(config);
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
