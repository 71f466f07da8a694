using System;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Isulad;

namespace IsulaKata.Commands;

/// <summary>Sets iSulad's default runtime and, with -ThinPoolDevice, devicemapper storage on a thin pool.</summary>
[Cmdlet(VerbsCommon.Set, "IsulaRuntime", HelpUri = IsulaKataCmdlet.HelpBase + "Set-IsulaRuntime.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(IsulaRuntimeConfig))]
public sealed class SetIsulaRuntimeCommand : IsulaKataCmdlet
{
    /// <summary>The default runtime: a shim v2 name, a built-in runtime, or a key of "runtimes".</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.RuntimeCompleter))]
    public string Runtime { get; set; } = IsuladRules.KataShimV2;

    /// <summary>The thin pool device for devicemapper storage, e.g. /dev/mapper/isula-thinpool.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("DevicePath")]
    [ValidateNotNullOrEmpty]
    public string? ThinPoolDevice { get; set; }

    /// <summary>dm.min_free_space: the free space iSulad keeps in the pool.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string MinFreeSpace { get; set; } = "10%";

    /// <summary>dm.basesize: the size of each container's root filesystem (first initialisation only).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BaseSize { get; set; }

    /// <summary>More devicemapper options, e.g. dm.mountopt=nodiscard.</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] StorageOption { get; set; } = Array.Empty<string>();

    /// <summary>daemon.json as the target system sees it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = IsuladConfigurator.DefaultConfigPath;

    /// <summary>The root of the target system; anything but '/' edits files only.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    /// <summary>Restart isulad and check it reports the configured storage.</summary>
    [Parameter]
    public SwitchParameter Restart { get; set; }

    /// <summary>How long to wait for isulad to answer after the restart.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSeconds { get; set; } = (int)IsuladConfigurator.DefaultRestartTimeout.TotalSeconds;

    protected override void ProcessInput()
    {
        try
        {
            var configurator = new IsuladConfigurator(CreateContext(Root));
            var request = new IsuladRuntimeRequest
            {
                ConfigPath = ConfigPath,
                Runtime = Runtime,
                ThinPoolDevice = ThinPoolDevice,
                MinFreeSpace = MinFreeSpace,
                BaseSize = BaseSize,
                StorageOptions = StorageOption,
                Restart = Restart,
                RestartTimeout = TimeSpan.FromSeconds(TimeoutSeconds),
            };
            IsuladChange change = configurator.PlanChange(request);
            WriteWarnings(change.Warnings);
            if (!ShouldProcessChanges(change.Steps.Select(s => (s.Target, s.Action, (string?)null))) || IsWhatIf)
            {
                return;
            }
            IsulaRuntimeConfig result = configurator.Apply(request, change);
            WriteWarnings(result.Warnings.Except(change.Warnings));
            WriteObject(result);
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
