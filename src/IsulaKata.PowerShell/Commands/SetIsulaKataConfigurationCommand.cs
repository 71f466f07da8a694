using System.Collections;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Fleet;

namespace IsulaKata.Commands;

/// <summary>Converges hosts to a configuration document, section by section, through the module's own cmdlets.</summary>
[Cmdlet(VerbsCommon.Set, "IsulaKataConfiguration", HelpUri = IsulaKataCmdlet.HelpBase + "Set-IsulaKataConfiguration.md", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(IsulaKataHostResult))]
public sealed class SetIsulaKataConfigurationCommand : IsulaKataDocumentCmdlet
{
    /// <summary>Converge the hosts in waves of this many; 0 (default): all at once, -ThrottleLimit at a time.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int BatchSize { get; set; }

    /// <summary>Once this many hosts have failed, start no new wave (0, default: never stop).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxFailure { get; set; }

    protected override void ProcessDocument()
    {
        ConfigurationDocument document = ReadDocument();
        bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? flag) && ((SwitchParameter)flag).IsPresent;
        if (IsRemote)
        {
            if (whatIf)
            {
                // The plan of every host: its own Test-IsulaKataConfiguration, shown as this cmdlet's -WhatIf.
                RunOnHosts(Targets(), "Test-IsulaKataConfiguration", new Hashtable { ["Configuration"] = document.Original }, run =>
                {
                    if (run.Output.OfType<IsulaKataConfigurationTest>().FirstOrDefault() is IsulaKataConfigurationTest test)
                    {
                        WritePlan(run.Target.Name, test.Sections.SelectMany(s => s.Differences));
                    }
                    return null;
                });
                return;
            }
            var approved = Targets().Where(t => ShouldProcess(t.Name, $"Converge {string.Join(", ", document.Sections.Select(s => s.Name))}")).ToArray();
            RunOnHosts(approved, "Set-IsulaKataConfiguration", new Hashtable { ["Configuration"] = document.Original }, ToResult, BatchSize, MaxFailure, changesHosts: true);
            return;
        }

        using SectionRunner runner = NewSectionRunner();
        var convergence = new HostConvergence(runner, Root, LocalProgress());
        if (whatIf)
        {
            IsulaKataConfigurationTest plan = convergence.Test(document, LocalComputerName, ModuleVersion);
            CompleteLocalProgress();
            WritePlan(null, plan.Sections.SelectMany(s => s.Differences));
            return;
        }
        IsulaKataHostResult result = convergence.Set(document, LocalComputerName, ModuleVersion,
            (section, plan) => ShouldProcessChanges(
                plan.Count > 0 ? plan.Select(c => (c.Target, $"{section.Name}: {c.Action}", (string?)null)) : new[] { (section.Section.CmdletName, "Run the proof", (string?)null) },
                $"{MyInvocation.MyCommand.Name} {section.Name}"),
            done =>
            {
                // Serialized here in full: remoting would cut an information record's message at depth 1.
                var record = new InformationRecord(PSSerializer.Serialize(Rehydrator.Portable(done), 8), LocalComputerName);
                record.Tags.Add(FleetRunner.SectionTag);
                WriteInformation(record);
            });
        CompleteLocalProgress();
        WriteObject(result);
        if (!result.Succeeded && result.Error is not null)
        {
            WriteError(HostError(result.ComputerName, result.Stage, result.Error));
        }
    }

    private static object ToResult(RemoteRun run)
    {
        if (run.Output.OfType<IsulaKataHostResult>().FirstOrDefault() is IsulaKataHostResult result)
        {
            return result with { ComputerName = run.Target.Name, Duration = run.Duration };
        }
        // The host never ran its sections (not started, unreachable, no module) or was stopped on the way.
        return new IsulaKataHostResult
        {
            ComputerName = run.Target.Name,
            Succeeded = false,
            Stage = run.Stage,
            Changed = run.SectionsDone.Any(s => s.Status == IsulaKataSectionStatus.Changed),
            Sections = run.SectionsDone,
            Duration = run.Duration,
            Error = run.Error,
            ModuleVersion = run.ModuleVersion,
        };
    }
}
