using System;
using System.Collections.Generic;

namespace IsulaKata.Storage;

/// <summary>An LVM thin pool for iSulad's devicemapper driver, as lvm reports it.</summary>
public sealed record IsulaThinPool
{
    /// <summary>The volume group that holds the pool, e.g. isula.</summary>
    public string VolumeGroup { get; internal init; } = string.Empty;

    /// <summary>The pool's logical volume name, e.g. thinpool.</summary>
    public string Name { get; internal init; } = string.Empty;

    /// <summary>The device-mapper path of the pool (<c>/dev/mapper/&lt;vg&gt;-&lt;lv&gt;</c>, dashes in either name doubled):
    /// the value of dm.thinpooldev. Binds to <c>Set-IsulaRuntime -ThinPoolDevice</c>.</summary>
    public string DevicePath { get; internal init; } = string.Empty;

    /// <summary>The physical volumes of the volume group.</summary>
    public IReadOnlyList<string> Devices { get; internal init; } = Array.Empty<string>();

    /// <summary>The size of the pool's data space (lv_size).</summary>
    public long SizeBytes { get; internal init; }

    /// <summary>How full the data space is, in percent (lvs data_percent); null while the pool is inactive.</summary>
    public double? DataPercent { get; internal init; }

    /// <summary>How full the metadata space is, in percent (lvs metadata_percent); null while the pool is inactive.</summary>
    public double? MetadataPercent { get; internal init; }

    /// <summary>The size of the pool's metadata volume (lv_metadata_size).</summary>
    public long MetadataSizeBytes { get; internal init; }

    /// <summary>The pool's chunk size (the unit of allocation).</summary>
    public long ChunkSizeBytes { get; internal init; }

    /// <summary>The lvm metadata profile file attached to the pool; null when none is attached.</summary>
    public string? Profile { get; internal init; }

    /// <summary>thin_pool_autoextend_threshold in effect (from the profile, else lvm.conf); 100 means never.</summary>
    public int AutoExtendThreshold { get; internal init; }

    /// <summary>thin_pool_autoextend_percent in effect (from the profile, else lvm.conf).</summary>
    public int AutoExtendPercent { get; internal init; }

    /// <summary>Whether dmeventd monitors the pool (lvs seg_monitor); autoextend happens only then.</summary>
    public bool Monitored { get; internal init; }

    /// <summary>True when this call created the pool or changed its profile.</summary>
    public bool Changed { get; internal init; }

    /// <summary>Everything worth knowing that is not an error: clamped sizes, an unmonitored pool, no room to grow.</summary>
    public IReadOnlyList<string> Warnings { get; internal init; } = Array.Empty<string>();
}
