using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Journal;

namespace IsulaKata.Commands;

/// <summary>Undoes every journaled change, newest first; with -IncludeStorage also removes the thin pools the module built.</summary>
[Cmdlet(VerbsCommon.Reset, "IsulaKataHost", HelpUri = IsulaKataCmdlet.HelpBase + "Reset-IsulaKataHost.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(IsulaKataChange))]
public sealed class ResetIsulaKataHostCommand : IsulaKataCmdlet
{
    /// <summary>The root of the target system whose journaled changes are undone.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    /// <summary>Also remove the thin pools New-IsulaThinPool built (their volume groups and PV labels), through Remove-IsulaThinPool's checks.</summary>
    [Parameter]
    public SwitchParameter IncludeStorage { get; set; }

    /// <summary>Undo files changed since the module wrote them (their newer content is kept as a backup), and remove pools iSulad still uses.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessInput()
    {
        try
        {
            var undoer = new ChangeUndoer(CreateContext(Root));
            // What the undos before remove: under -WhatIf they are still there, yet a folder holding only them will be empty.
            var goingAway = new System.Collections.Generic.HashSet<string>(System.StringComparer.Ordinal);
            foreach (JournalChange change in undoer.ResetOrder(IncludeStorage))
            {
                UndoPlan plan;
                try
                {
                    plan = undoer.Plan(change, Force, IncludeStorage, goingAway);
                }
                catch (IsulaKataException refusal)
                {
                    WriteError(ToErrorRecord(refusal));
                    continue;
                }
                bool approved = plan.Pool is null
                    ? ShouldProcessChange(plan.Target, plan.Description)
                    : ShouldProcessChanges(NewIsulaThinPoolCommand.Steps(plan.Pool), $"Reset-IsulaKataHost: {plan.Description}");
                if (plan.Step is UndoStep.Delete or UndoStep.RemoveFolder)
                {
                    goingAway.Add(plan.Target);
                }
                if (!approved)
                {
                    continue;
                }
                try
                {
                    WriteObject(undoer.Apply(plan, Force));
                }
                catch (IsulaKataException failure)
                {
                    WriteError(ToErrorRecord(failure));
                }
            }
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
