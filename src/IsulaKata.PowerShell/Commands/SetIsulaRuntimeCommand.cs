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
            HostContext host = CreateContext(Root);
            var configurator = new IsuladConfigurator(host);
            var request = new IsuladRuntimeRequest
            {
                ConfigPath = ConfigPath,
                Runtime = Runtime,
                ThinPoolDevice = ThinPoolDevice,
                MinFreeSpace = MinFreeSpace,
                BaseSize = BaseSize,
                StorageOptions = StorageOption,
            };

            IsuladConfigPlan plan = configurator.Plan(request);
            FileUpdateResult? write = null;
            if (plan.Changed)
            {
                string action = plan.Creates ? "Create with " : "Update: ";
                string changes = plan.Changes.Count > 0 ? string.Join("; ", plan.Changes) : "repair the JSON";
                if (!ShouldProcessChange(ConfigPath, action + changes))
                {
                    WriteObject(Result(plan, null, false, false, null, host));
                    return;
                }
                (plan, write) = configurator.Apply(request);
            }
            WriteWarnings(plan.Warnings);

            bool restarted = false;
            IsulaInfo? info = null;
            if (Restart && !host.IsLiveHost)
            {
                WriteWarning($"-Restart is ignored under -Root '{host.Root}': isulad runs on this host, not in the root.");
            }
            else if (Restart)
            {
                info = write is { Changed: true } ? null : configurator.TryInfo();
                bool agrees = info is not null && (plan.StorageDriver is null || info.StorageDriver == plan.StorageDriver);
                if (agrees)
                {
                    WriteVerbose("isulad already runs with this configuration; no restart needed.");
                }
                else if (ShouldProcessChange("isulad", "Restart the service (systemctl restart isulad)"))
                {
                    info = configurator.RestartAndVerify(plan, write, TimeSpan.FromSeconds(TimeoutSeconds)).Info;
                    restarted = true;
                }
            }
            WriteObject(Result(plan, write, restarted, info is not null && (plan.StorageDriver is null || info.StorageDriver == plan.StorageDriver), info, host));
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }

    private static IsulaRuntimeConfig Result(IsuladConfigPlan plan, FileUpdateResult? write, bool restarted, bool verified, IsulaInfo? info, HostContext host)
        => new()
        {
            ConfigPath = plan.ConfigPath,
            Runtime = plan.Runtime,
            StorageDriver = plan.StorageDriver,
            StorageOptions = plan.StorageOptions.ToArray(),
            ThinPoolDevice = plan.ThinPoolDevice,
            Changed = write?.Changed ?? false,
            BackupPath = write?.BackupPath,
            Restarted = restarted,
            Verified = verified,
            DaemonRunning = info is null ? null : true,
            ActiveStorageDriver = info?.StorageDriver,
            ActivePoolName = info?.PoolName,
            DataSpaceUsedBytes = info?.DataSpaceUsedBytes,
            DataSpaceTotalBytes = info?.DataSpaceTotalBytes,
            MetadataSpaceUsedBytes = info?.MetadataSpaceUsedBytes,
            MetadataSpaceTotalBytes = info?.MetadataSpaceTotalBytes,
            Warnings = plan.Warnings.ToArray(),
            Root = host.Root,
        };
}
