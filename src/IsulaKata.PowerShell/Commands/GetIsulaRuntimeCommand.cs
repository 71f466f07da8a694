using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Isulad;

namespace IsulaKata.Commands;

/// <summary>Reads iSulad's default runtime and storage from daemon.json and, on a live host, from isulad.</summary>
[Cmdlet(VerbsCommon.Get, "IsulaRuntime", DefaultParameterSetName = PathSet, HelpUri = IsulaKataCmdlet.HelpBase + "Get-IsulaRuntime.md")]
[OutputType(typeof(IsulaRuntimeConfig))]
public sealed class GetIsulaRuntimeCommand : IsulaKataCmdlet
{
    private const string PathSet = "Path";
    private const string InputObjectSet = "InputObject";

    /// <summary>daemon.json as the target system sees it. It does not bind from the pipeline by property name: another
    /// object's ConfigPath (kata's configuration.toml from Get-KataHypervisor) is no daemon.json.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = IsuladConfigurator.DefaultConfigPath;

    /// <summary>The root of the target system; anything but '/' reads files only.</summary>
    [Parameter(ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    /// <summary>A result of Get-IsulaRuntime or Set-IsulaRuntime to read again (its ConfigPath and Root).</summary>
    [Parameter(ParameterSetName = InputObjectSet, Mandatory = true, ValueFromPipeline = true)]
    public IsulaRuntimeConfig? InputObject { get; set; }

    protected override void ProcessInput()
    {
        try
        {
            string root = InputObject?.Root ?? Root;
            string configPath = InputObject?.ConfigPath ?? ConfigPath;
            IsulaRuntimeConfig config = new IsuladConfigurator(CreateContext(root)).Read(configPath);
            WriteWarnings(config.Warnings);
            WriteObject(config);
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
