using System.Collections;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Fleet;

namespace IsulaKata.Commands;

/// <summary>Tells, host by host and section by section, whether a host is as a configuration document says; changes nothing.</summary>
[Cmdlet(VerbsDiagnostic.Test, "IsulaKataConfiguration", HelpUri = IsulaKataCmdlet.HelpBase + "Test-IsulaKataConfiguration.md", DefaultParameterSetName = PathSet)]
[OutputType(typeof(IsulaKataConfigurationTest))]
public sealed class TestIsulaKataConfigurationCommand : IsulaKataDocumentCmdlet
{
    protected override void ProcessDocument()
    {
        ConfigurationDocument document = ReadDocument();
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
        => run.Output.OfType<IsulaKataConfigurationTest>().FirstOrDefault() is IsulaKataConfigurationTest test
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
