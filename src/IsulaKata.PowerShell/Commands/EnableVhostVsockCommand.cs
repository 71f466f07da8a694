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
    {
        HostContext host = CreateContext(Root);
        KernelModules modules = KernelModules.For(host);
        bool changed = false;
        KernelModuleProbe? probe = null;
        if (modules.HasRunningKernel)
        {
            probe = modules.Probe(Module, Device);
            KernelModules.EnsureLoadable(probe, Module);
            if (probe.Loaded)
            {
                WriteVerbose(probe.BuiltIn ? $"The running kernel has {Module} built in." : $"{Module} is already loaded.");
                if (!probe.DeviceExists)
                {
                    probe = modules.Load(Module, Device);
                }
            }
            else if (ShouldProcessChange(Module, $"Load the kernel module (modprobe {Module})"))
            {
                probe = modules.Load(Module, Device);
                changed = true;
            }
        }

        FileUpdateResult? write = null;
        bool persistent = modules.IsPersistent(Module);
        if (!NoPersist && !persistent && ShouldProcessChange(KernelModules.ModulesLoadPath, $"Add '{Module}' so that it loads at every boot"))
        {
            write = modules.Persist(Module);
            persistent = true;
            changed |= write.Changed;
        }
        WriteObject(new KernelModuleState
        {
            Name = Module,
            Loaded = probe?.Loaded,
            BuiltIn = probe?.BuiltIn,
            Persistent = persistent,
            PersistPath = KernelModules.ModulesLoadPath,
            DevicePath = Device,
            DeviceExists = probe?.DeviceExists,
            Changed = changed,
            BackupPath = write?.BackupPath,
            Root = host.Root,
        });
    }
}
