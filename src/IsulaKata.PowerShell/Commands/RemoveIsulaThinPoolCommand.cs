using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Isulad;
using IsulaKata.Storage;

namespace IsulaKata.Commands;

/// <summary>Removes a thin pool with its volume group, physical volume labels and profile.</summary>
[Cmdlet(VerbsCommon.Remove, "IsulaThinPool", HelpUri = IsulaKataCmdlet.HelpBase + "Remove-IsulaThinPool.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(IsulaThinPool))]
public sealed class RemoveIsulaThinPoolCommand : IsulaKataCmdlet
{
    /// <summary>The pool's volume group; binds from the VolumeGroup property of Get-IsulaThinPool's output.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.VolumeGroupCompleter))]
    public string VolumeGroup { get; set; } = string.Empty;

    /// <summary>The pool's name; binds from the Name property of Get-IsulaThinPool's output.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.ThinPoolNameCompleter))]
    public string Name { get; set; } = "thinpool";

    /// <summary>Remove the pool even while iSulad's daemon.json (or the running isulad) uses it.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Return the pool as it was just before it was removed (nothing is returned otherwise).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>iSulad's daemon.json, checked for a dm.thinpooldev that names the pool.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = IsuladConfigurator.DefaultConfigPath;

    /// <summary>The root of the target system. Pools are removed by this host's lvm, so anything but '/' is refused.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    /// <summary>One pool of several: a failure is reported and the next pool is removed.</summary>
    protected override bool EachCallIsOneItem => true;

    protected override void ProcessInput()
    {
        HostContext host = CreateContext(Root);
        var remover = new ThinPoolRemover(host);
        ThinPoolPlan plan = remover.Plan(VolumeGroup, Name, ConfigPath, Force);
        WriteWarnings(plan.Warnings);
        if (!ShouldProcessChanges(NewIsulaThinPoolCommand.Steps(plan), $"Remove-IsulaThinPool {VolumeGroup}/{Name}"))
        {
            return;
        }
        remover.Apply(plan);
        if (PassThru)
        {
            WriteObject(plan.Existing);
        }
    }
}
