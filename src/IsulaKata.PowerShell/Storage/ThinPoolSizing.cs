using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using IsulaKata.Core;

namespace IsulaKata.Storage;

/// <summary>
/// The sizes of a new pool and the lvm arguments that give them, following lvm2's own rules (lvm2 2.03,
/// lib/metadata/thin_manip.c): the chunk size is a multiple of 64 KiB between 64 KiB and 1 GiB; pool metadata
/// is at least 2 MiB and at most 255 × 16320 × 4 KiB (15.875 GiB, what dm-thin can index); each 64 bytes of
/// metadata maps one chunk, so a pool of D bytes needs D / chunk × 64 bytes of metadata; and lvm keeps a spare
/// metadata volume of the same size for repair. Percentages of the volume group are whole extents, rounded down,
/// as lvcreate -l N%VG does.
/// </summary>
public sealed class ThinPoolSizing
{
    public const long KiB = 1024;
    public const long MiB = 1024 * KiB;
    public const long GiB = 1024 * MiB;
    public const long TiB = 1024 * GiB;
    public const long MinChunkBytes = 64 * KiB;
    public const long MaxChunkBytes = GiB;
    public const long MinMetadataBytes = 2 * MiB;

    /// <summary>lvm2's largest usable metadata (15.875 GiB) rounded down to whole 4 MiB extents, so lvcreate's
    /// rounding up to an extent never goes past it.</summary>
    public const long MaxMetadataBytes = 16256 * MiB;

    /// <summary>lvm's default physical extent size (allocation/physical_extent_size).</summary>
    public const long DefaultExtentBytes = 4 * MiB;

    /// <summary>Where pvcreate starts the data area on a disk with no alignment hints (1 MiB).</summary>
    public const long PhysicalVolumeDataOffsetBytes = MiB;

    private ThinPoolSizing(long volumeGroupBytes, long extentBytes, long dataBytes, long metadataBytes, long chunkSizeBytes,
        IReadOnlyList<string> dataArguments, IReadOnlyList<string> metadataArguments, IReadOnlyList<string> warnings)
    {
        VolumeGroupBytes = volumeGroupBytes;
        ExtentBytes = extentBytes;
        DataBytes = dataBytes;
        MetadataBytes = metadataBytes;
        ChunkSizeBytes = chunkSizeBytes;
        DataArguments = dataArguments;
        MetadataArguments = metadataArguments;
        Warnings = warnings;
    }

    /// <summary>The volume group's usable size the sizes were computed from.</summary>
    public long VolumeGroupBytes { get; }

    public long ExtentBytes { get; }

    /// <summary>The data volume (the pool's size).</summary>
    public long DataBytes { get; }

    /// <summary>The metadata volume.</summary>
    public long MetadataBytes { get; }

    public long ChunkSizeBytes { get; }

    /// <summary>lvcreate's size arguments for the data volume, e.g. <c>-l 95%VG</c>.</summary>
    public IReadOnlyList<string> DataArguments { get; }

    /// <summary>lvcreate's size arguments for the metadata volume: <c>-l 1%VG</c>, or <c>-L 16256m</c> when clamped.</summary>
    public IReadOnlyList<string> MetadataArguments { get; }

    /// <summary>What was clamped or scaled, and why.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The most data a pool with this metadata and chunk size can map (64 bytes of metadata per chunk).</summary>
    public static long MaxAddressableBytes(long metadataBytes, long chunkSizeBytes) => metadataBytes / 64 * chunkSizeBytes;

    /// <summary>The volume group lvm builds on these devices with default alignment: each disk loses its first
    /// MiB to the label and metadata, and the rest counts in whole extents.</summary>
    public static long EstimateVolumeGroupBytes(IEnumerable<long> deviceBytes, long extentBytes = DefaultExtentBytes)
        => deviceBytes.Sum(size => Math.Max(0, (size - PhysicalVolumeDataOffsetBytes) / extentBytes) * extentBytes);

    /// <summary>Computes the pool's sizes; throws when they cannot work.</summary>
    public static ThinPoolSizing Compute(long volumeGroupBytes, int dataPercent, int metadataPercent, long chunkSizeBytes,
        long extentBytes = DefaultExtentBytes)
    {
        ValidateChunkSize(chunkSizeBytes, FormatSize(chunkSizeBytes));
        if (dataPercent is < 1 or > 99)
        {
            throw new IsulaKataException("InvalidDataPercent", FailureKind.InvalidArgument,
                $"-DataPercent {dataPercent} is outside 1..99.", "Give the share of the volume group for pool data, e.g. 95.", dataPercent);
        }
        if (metadataPercent is < 1 or > 49)
        {
            throw new IsulaKataException("InvalidMetadataPercent", FailureKind.InvalidArgument,
                $"-MetadataPercent {metadataPercent} is outside 1..49.", "Give the share of the volume group for pool metadata, e.g. 1.", metadataPercent);
        }
        var warnings = new List<string>();
        long extents = volumeGroupBytes / extentBytes;
        long dataBytes = dataPercent * extents / 100 * extentBytes;
        long wantedMetadata = metadataPercent * extents / 100 * extentBytes;
        long metadataBytes = wantedMetadata;
        IReadOnlyList<string> metadataArguments = new[] { "-l", $"{metadataPercent}%VG" };
        if (wantedMetadata > MaxMetadataBytes)
        {
            metadataBytes = MaxMetadataBytes;
            metadataArguments = new[] { "-L", LvmSizeArgument(MaxMetadataBytes) };
            warnings.Add($"{metadataPercent}% of the volume group would be {FormatSize(wantedMetadata)} of pool metadata, more than the "
                + $"{FormatSize(MaxMetadataBytes)} a thin pool can use; the metadata volume is {FormatSize(MaxMetadataBytes)} instead.");
        }
        else if (wantedMetadata < MinMetadataBytes)
        {
            metadataBytes = RoundUp(MinMetadataBytes, extentBytes);
            metadataArguments = new[] { "-L", LvmSizeArgument(MinMetadataBytes) };
            warnings.Add($"{metadataPercent}% of the volume group would be {FormatSize(wantedMetadata)} of pool metadata, less than lvm's "
                + $"minimum of {FormatSize(MinMetadataBytes)}; the metadata volume is {FormatSize(metadataBytes)} instead.");
        }

        long chunk = chunkSizeBytes;
        while (MaxAddressableBytes(metadataBytes, chunk) < dataBytes && chunk < MaxChunkBytes)
        {
            chunk = Math.Min(chunk * 2, MaxChunkBytes);
        }
        if (MaxAddressableBytes(metadataBytes, chunk) < dataBytes)
        {
            throw new IsulaKataException("ThinPoolTooLarge", FailureKind.InvalidArgument,
                $"A pool of {FormatSize(dataBytes)} cannot be mapped by {FormatSize(metadataBytes)} of metadata even with the largest chunk size "
                + $"({FormatSize(MaxChunkBytes)}).", "Use a smaller -DataPercent or fewer devices.", dataBytes);
        }
        if (chunk != chunkSizeBytes)
        {
            warnings.Add($"A chunk size of {FormatSize(chunkSizeBytes)} can address at most {FormatSize(MaxAddressableBytes(metadataBytes, chunkSizeBytes))} "
                + $"with {FormatSize(metadataBytes)} of metadata, less than the {FormatSize(dataBytes)} pool; the chunk size is "
                + $"{FormatSize(chunk)} instead (addresses {FormatSize(MaxAddressableBytes(metadataBytes, chunk))}).");
        }

        if (dataBytes < Math.Max(chunk, extentBytes))
        {
            throw new IsulaKataException("ThinPoolTooSmall", FailureKind.InvalidArgument,
                $"{dataPercent}% of a {FormatSize(volumeGroupBytes)} volume group is {FormatSize(dataBytes)}, too small for a thin pool "
                + $"with {FormatSize(chunk)} chunks.", "Use a larger device (a few hundred MiB at least) or a larger -DataPercent.", dataBytes);
        }
        // lvconvert allocates a spare metadata volume of the same size (for lvconvert --repair).
        if (dataBytes + 2 * metadataBytes > extents * extentBytes)
        {
            throw new IsulaKataException("ThinPoolDoesNotFit", FailureKind.InvalidArgument,
                $"{FormatSize(dataBytes)} of data plus twice {FormatSize(metadataBytes)} of metadata (lvm keeps a spare copy for repair) "
                + $"do not fit in the {FormatSize(extents * extentBytes)} volume group.",
                "Lower -DataPercent or -MetadataPercent so that DataPercent + 2 × MetadataPercent stays within 100.",
                $"-DataPercent {dataPercent} -MetadataPercent {metadataPercent}");
        }
        return new ThinPoolSizing(volumeGroupBytes, extentBytes, dataBytes, metadataBytes, chunk,
            new[] { "-l", $"{dataPercent}%VG" }, metadataArguments, warnings);
    }

    private static readonly Regex SizePattern = new(@"^\s*(\d+)\s*([kmg]?)(i?b?)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Parses a chunk size: bytes (<c>65536</c>) or a number with K, M or G (binary units, as lvm reads
    /// them: <c>64K</c>, <c>512k</c>, <c>1M</c>, <c>1MiB</c>), and checks lvm's rules.</summary>
    public static long ParseChunkSize(string text)
    {
        Match match = SizePattern.Match(text ?? string.Empty);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long number)
            || (match.Groups[2].Value.Length == 0 && match.Groups[3].Value.Equals("i", StringComparison.OrdinalIgnoreCase)))
        {
            throw new IsulaKataException("InvalidChunkSize", FailureKind.InvalidArgument,
                $"-ChunkSize '{text}' is not a size.", "Give a size such as 64K, 512K, 1M, or a number of bytes such as 65536.", text);
        }
        long unit = match.Groups[2].Value.ToUpperInvariant() switch { "K" => KiB, "M" => MiB, "G" => GiB, _ => 1 };
        long bytes = number > long.MaxValue / unit ? long.MaxValue : number * unit;
        ValidateChunkSize(bytes, text!);
        return bytes;
    }

    private static void ValidateChunkSize(long bytes, string text)
    {
        if (bytes < MinChunkBytes || bytes > MaxChunkBytes || bytes % MinChunkBytes != 0)
        {
            throw new IsulaKataException("InvalidChunkSize", FailureKind.InvalidArgument,
                $"-ChunkSize '{text}' ({bytes} bytes) is not a thin pool chunk size: lvm takes multiples of 64 KiB from 64 KiB to 1 GiB.",
                "Use 64K (iSulad's and the guide's choice), 128K, 256K, 512K or 1M, or another multiple of 64K up to 1G.", text);
        }
    }

    /// <summary>A size as lvm's size options read it: whole MiB as <c>Nm</c>, else whole KiB as <c>Nk</c>, else bytes.</summary>
    public static string LvmSizeArgument(long bytes)
        => bytes % MiB == 0 ? $"{bytes / MiB}m" : bytes % KiB == 0 ? $"{bytes / KiB}k" : $"{bytes}b";

    /// <summary>A size for people: 64 KiB, 4.00 GiB, 15.88 TiB.</summary>
    public static string FormatSize(long bytes)
    {
        string[] units = { "KiB", "MiB", "GiB", "TiB", "PiB" };
        if (bytes < KiB)
        {
            return $"{bytes} B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value == Math.Floor(value) && value < 1024
            ? string.Create(CultureInfo.InvariantCulture, $"{value:0} {units[unit]}")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.00} {units[unit]}");
    }

    private static long RoundUp(long value, long step) => (value + step - 1) / step * step;
}
