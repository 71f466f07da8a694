using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Journal;

namespace IsulaKata.Commands;

/// <summary>Undoes one journaled change: a changed file gets its backup back, a created file or folder goes.</summary>
[Cmdlet(VerbsCommon.Undo, "IsulaKataChange", HelpUri = IsulaKataCmdlet.HelpBase + "Undo-IsulaKataChange.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(IsulaKataChange))]
public sealed class UndoIsulaKataChangeCommand : IsulaKataCmdlet
{
    /// <summary>The change's id; binds from the Id property of Get-IsulaKataChange's output.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.ChangeIdCompleter))]
    public string Id { get; set; } = string.Empty;

    /// <summary>The root of the target system; binds from the Root property of Get-IsulaKataChange's output.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    /// <summary>Undo even when the file changed since the module wrote it; its newer content is kept as a backup first.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessInput()
    {
        try
        {
            var undoer = new ChangeUndoer(CreateContext(Root));
            UndoPlan plan = undoer.Plan(undoer.Find(Id), Force, includeStorage: false);
            if (ShouldProcessChange(plan.Target, plan.Description))
            {
                WriteObject(undoer.Apply(plan, Force));
            }
        }
        catch (IsulaKataException error)
        {
            // One change of several from the pipeline: report it and go on with the next.
            WriteError(ToErrorRecord(error));
        }
    }
}
