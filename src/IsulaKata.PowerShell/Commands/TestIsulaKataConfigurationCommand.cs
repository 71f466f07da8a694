using System.Collections;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Fleet;

namespace IsulaKata.Commands;

/// <summary>Tells, host by host and section by section, whether a host is as a configuration document says; changes nothing.</summary>
[Cmdlet(VerbsDiagnostic.Test, "IsulaKataConfiguration", HelpUri = IsulaKataCmdlet.HelpBase + "Test-IsulaKataConfiguration.md", DefaultParameterSetName = PathSet)]
[OutputType(typeof(IsulaKataConfigurationTest))]
public sealed class TestIsulaKataConfigurationCommand : IsulaKataFleetCmdlet
{
    /// <summary>The configuration document: a .psd1 data file.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The configuration document as a hashtable.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ConfigurationSet)]
    [ValidateNotNull]
    public Hashtable? Configuration { get; set; }

    protected override void ProcessDocument()
    {
        ConfigurationDocument document = ReadDocument(ParameterSetName == PathSet ? Path : null, Configuration);
        if (IsRemote)
        {
            RunOnHosts(Targets(), "Test-IsulaKataConfiguration", new Hashtable { ["Configuration"] = document.Original }, ToResult);
            return;
        }
        using SectionRunner runner = NewSectionRunner();
        IsulaKataConfigurationTest test = new HostConvergence(runner, Root, LocalProgress()).Test(document, LocalComputerName, ModuleVersion);
        CompleteLocalProgress();
        WriteObject(test);
    }

    private static object ToResult(RemoteRun run)
        => run.Output.OfType<IsulaKataConfigurationTest>().FirstOrDefault() is IsulaKataConfigurationTest test && run.Error is null
            ? test with { ComputerName = run.Target.Name }
            : new IsulaKataConfigurationTest
            {
                ComputerName = run.Target.Name,
                InDesiredState = false,
                Stage = run.Stage,
                Error = run.Error,
                ModuleVersion = run.ModuleVersion,
            };
}
