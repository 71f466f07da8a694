using System.Management.Automation;
using IsulaKata.Commands.Completers;
using IsulaKata.Core;
using IsulaKata.Kata;

namespace IsulaKata.Commands;

/// <summary>
/// Makes kata start StratoVirt or QEMU: exactly one active hypervisor table, every key in the table kata reads it
/// from, and for StratoVirt a wrapper script that sets its log level.
/// </summary>
[Cmdlet(VerbsCommon.Set, "KataHypervisor", HelpUri = IsulaKataCmdlet.HelpBase + "Set-KataHypervisor.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = InitrdSet)]
[OutputType(typeof(KataHypervisorConfig))]
public sealed class SetKataHypervisorCommand : IsulaKataCmdlet
{
    private const string InitrdSet = "Initrd";
    private const string ImageSet = "Image";

    /// <summary>The hypervisor kata starts: StratoVirt or Qemu (any case).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(HypervisorCompleter))]
    [ValidateNotNullOrEmpty]
    public string Hypervisor { get; set; } = string.Empty;

    /// <summary>The kata configuration to edit, as the target system sees it; by default the one kata reads
    /// (/etc/kata-containers/configuration.toml when it exists, else /usr/share/defaults/kata-containers/configuration.toml).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigPath { get; set; }

    /// <summary>The guest kernel. By default the configured or shipped one when it exists, else /var/lib/kata/kernel
    /// (every openEuler kata RPM ships it), else the guide's /var/lib/kata/vmlinux.bin, which must then be placed.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kernel { get; set; }

    /// <summary>The guest initrd (default /var/lib/kata/kata-containers-initrd.img); an active image key is commented out.</summary>
    [Parameter(ParameterSetName = InitrdSet)]
    [ValidateNotNullOrEmpty]
    public string? Initrd { get; set; }

    /// <summary>A guest rootfs image instead of an initrd; an active initrd key is commented out.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ImageSet)]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    /// <summary>The hypervisor binary: /usr/bin/stratovirt (the wrapper runs it) or, for QEMU, /usr/bin/qemu-kvm
    /// (QEMU keeps the configured binary unless this is given).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HypervisorPath { get; set; }

    /// <summary>StratoVirt only: STRATOVIRT_LOG_LEVEL, one of trace, debug, info, warn, error (default info).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(LogLevelCompleter))]
    [ValidateNotNullOrEmpty]
    public string? LogLevel { get; set; }

    /// <summary>StratoVirt only: where the wrapper script goes (default /usr/local/libexec/isulakata/stratovirt.sh).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WrapperPath { get; set; }

    /// <summary>StratoVirt only, openEuler's kata 2.x: ozone_path, to start StratoVirt in the Ozone sandbox (e.g.
    /// /usr/bin/ozone). path then names the StratoVirt binary itself (no wrapper), so -LogLevel and -WrapperPath are refused.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OzonePath { get; set; }

    /// <summary>Sets [factory] enable_template = true (VM templating; needs an initrd, not an image).</summary>
    [Parameter]
    public SwitchParameter EnableTemplate { get; set; }

    /// <summary>The iSulad runtime name, passed through to the output (binds from Set-IsulaRuntime's output).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Runtime { get; set; } = KataRules.DefaultRuntime;

    /// <summary>The root of the target system; anything but '/' edits files only.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    protected override void ProcessInput()
    {
        try
        {
            HostContext host = CreateContext(Root);
            var configurator = new KataHypervisorConfigurator(host);
            var request = new KataHypervisorRequest
            {
                Hypervisor = KataRules.ParseHypervisor(Hypervisor),
                ConfigPath = ConfigPath,
                Kernel = Kernel,
                Initrd = Initrd,
                Image = Image,
                HypervisorPath = HypervisorPath,
                LogLevel = LogLevel,
                WrapperPath = WrapperPath,
                OzonePath = OzonePath,
                EnableTemplate = EnableTemplate,
                Runtime = Runtime,
            };

            KataHypervisorPlan plan = configurator.Plan(request);
            WriteVerbose($"Kata configuration '{plan.Location.Path}': {plan.Location.Reason}; kata {plan.Described.KataGeneration} (told by {plan.Described.GenerationSource}).");
            if (!plan.Changed)
            {
                WriteVerbose($"'{plan.TargetPath}' already configures {request.Hypervisor}; nothing to change.");
                WriteWarnings(plan.Warnings);
                if (!IsWhatIf)
                {
                    WriteObject(plan.ToConfig(false, null));
                }
                return;
            }
            // The configuration points at the wrapper: both are written, or neither.
            bool wrapper = !plan.WrapperChanged || ShouldProcessChange(plan.WrapperPath!, "Write the StratoVirt wrapper script (mode 0755): "
                + string.Join(" ", plan.WrapperText!.Split('\n')[^3..^1]));
            string action = plan.Way switch
            {
                KataConfigWay.Removed => "Remove (kata reads the packaged file again): ",
                KataConfigWay.FromShipped => "Write from the package's own file: ",
                _ => "Update: ",
            };
            bool config = !plan.ConfigChanged || ShouldProcessChange(plan.TargetPath, action + string.Join("; ", plan.Changes));
            if (!wrapper || !config)
            {
                // -WhatIf, or a change the user declined: nothing was written, so nothing is returned.
                WriteWarnings(plan.Warnings);
                return;
            }
            KataHypervisorWrites writes = configurator.Apply(request);
            WriteWarnings(writes.Plan.Warnings);
            WriteObject(writes.Plan.ToConfig(writes.Changed, writes.Config?.BackupPath));
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
