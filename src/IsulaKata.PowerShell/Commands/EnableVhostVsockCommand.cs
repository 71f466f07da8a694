using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Modules;

namespace IsulaKata.Commands;

/// <summary>Loads vhost_vsock (kata talks to its agent over vsock), checks /dev/vhost-vsock, and makes it load at boot.</summary>
[Cmdlet(VerbsLifecycle.Enable, "VhostVsock", HelpUri = IsulaKataCmdlet.HelpBase + "Enable-VhostVsock.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KernelModuleState))]
public sealed class EnableVhostVsockCommand : IsulaKataCmdlet
{
    private const string Module = "vhost_vsock";
    private const string Device = "/dev/vhost-vsock";

    /// <summary>Load the module now only; do not add it to /etc/modules-load.d/isulakata.conf.</summary>
    [Parameter]
    public SwitchParameter NoPersist { get; set; }

    /// <summary>The root of the target system; anything but '/' only writes the boot-time file (nothing is loaded).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    protected override void ProcessInput()
        => WriteObject(KernelModules.For(CreateContext(Root)).Enable(Module, Device, persist: !NoPersist, (target, action) => ShouldProcessChange(target, action)));
}
