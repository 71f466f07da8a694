using System;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Storage;

namespace IsulaKata.Commands;

/// <summary>Creates an LVM thin pool for iSulad's devicemapper driver on whole disks, after checking they are free.</summary>
[Cmdlet(VerbsCommon.New, "IsulaThinPool", HelpUri = IsulaKataCmdlet.HelpBase + "New-IsulaThinPool.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(IsulaThinPool))]
public sealed class NewIsulaThinPoolCommand : IsulaKataCmdlet
{
    /// <summary>One or more whole block devices, e.g. /dev/vdb or /dev/disk/by-id/virtio-data (symlinks are resolved).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.BlockDeviceCompleter))]
    public string[] Device { get; set; } = Array.Empty<string>();

    /// <summary>The volume group to create (or that already holds the pool).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.VolumeGroupCompleter))]
    public string VolumeGroup { get; set; } = "isula";

    /// <summary>The thin pool's logical volume name; its metadata volume is created as NAMEmeta.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.ThinPoolNameCompleter))]
    public string Name { get; set; } = "thinpool";

    /// <summary>The share of the volume group for the pool's data (lvcreate -l N%VG).</summary>
    [Parameter]
    [ValidateRange(1, 99)]
    public int DataPercent { get; set; } = 95;

    /// <summary>The share of the volume group for the pool's metadata; clamped to lvm's 2 MiB..15.88 GiB.</summary>
    [Parameter]
    [ValidateRange(1, 49)]
    public int MetadataPercent { get; set; } = 1;

    /// <summary>The pool's chunk size: 64K (default), 512K, 1M or bytes; a multiple of 64 KiB up to 1 GiB.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ChunkSize { get; set; } = "64K";

    /// <summary>How full (percent) the pool gets before dmeventd extends it; 100 turns autoextend off, below 50 counts as 50.</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int AutoExtendThreshold { get; set; } = 80;

    /// <summary>By how much (percent of its size) the pool grows each time.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int AutoExtendPercent { get; set; } = 20;

    /// <summary>Use devices that hold a filesystem, partition table or other signature: they are erased with wipefs.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The root of the target system. A pool can only be made on this host, so anything but '/' is refused.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    protected override void ProcessInput()
    {
        HostContext host = CreateContext(Root);
        var creator = new ThinPoolCreator(host);
        ThinPoolPlan plan = creator.Plan(new ThinPoolRequest
        {
            Devices = Device,
            VolumeGroup = VolumeGroup,
            Name = Name,
            DataPercent = DataPercent,
            MetadataPercent = MetadataPercent,
            ChunkSize = ChunkSize,
            AutoExtendThreshold = AutoExtendThreshold,
            AutoExtendPercent = AutoExtendPercent,
            Force = Force,
        });
        if (plan.Sizing is ThinPoolSizing sizing)
        {
            WriteVerbose($"Plan for {plan.VolumeGroup}/{plan.Name}: volume group ~{ThinPoolSizing.FormatSize(sizing.VolumeGroupBytes)}, "
                + $"data {ThinPoolSizing.FormatSize(sizing.DataBytes)}, metadata {ThinPoolSizing.FormatSize(sizing.MetadataBytes)}, "
                + $"chunk {ThinPoolSizing.FormatSize(sizing.ChunkSizeBytes)}.");
        }
        if (plan.Steps.Count == 0)
        {
            IsulaThinPool unchanged = ThinPoolCreator.Unchanged(plan);
            WriteWarnings(unchanged.Warnings);
            WriteObject(unchanged);
            return;
        }
        // The plan's warnings (clamped sizes, what -Force erases) belong before the question and with -WhatIf.
        WriteWarnings(plan.Warnings);
        if (!ShouldProcessChanges(Steps(plan), $"New-IsulaThinPool {plan.VolumeGroup}/{plan.Name}"))
        {
            return;
        }
        IsulaThinPool pool = creator.Apply(plan, recheck: WillAsk());
        WriteWarnings(pool.Warnings.Except(plan.Warnings, StringComparer.Ordinal));
        WriteObject(pool);
    }

    internal static System.Collections.Generic.IEnumerable<(string, string, string?)> Steps(ThinPoolPlan plan)
        => plan.Steps.Select(step => (step.Target, step.Action, (string?)$"{step.Action} '{step.Target}'? This {step.Purpose}."));
}
