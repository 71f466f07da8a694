using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using IsulaKata.Core;

namespace IsulaKata.Storage;

/// <summary>A device that passed the safety checks, with what -Force would erase on it.</summary>
public sealed class DeviceProbe
{
    /// <summary>The device as given.</summary>
    public string Requested { get; init; } = string.Empty;

    /// <summary>The device node, symlinks resolved.</summary>
    public string Path { get; init; } = string.Empty;

    public long SizeBytes { get; init; }

    /// <summary>Signatures wipefs found (filesystem, partition table, RAID, LVM label...), described.</summary>
    public IReadOnlyList<string> Signatures { get; init; } = Array.Empty<string>();

    /// <summary>Partition kernel names.</summary>
    public IReadOnlyList<string> Partitions { get; init; } = Array.Empty<string>();

    /// <summary>True when -Force has to erase something first.</summary>
    public bool NeedsWipe => Signatures.Count > 0 || Partitions.Count > 0;
}

/// <summary>
/// The checks run before anything is written to a disk. Each refusal has its own error id and says which device,
/// why, and how to free it. Only a signature or partition table can be overridden, with -Force; a mounted, swapping,
/// held device or one that belongs to another volume group never is.
/// </summary>
public sealed class DeviceSafety
{
    /// <summary>Smaller devices cannot hold a label, lvm metadata and a useful pool.</summary>
    public const long MinDeviceBytes = 16 * ThinPoolSizing.MiB;

    private readonly HostContext _host;
    private readonly LiveSystem _system;

    public DeviceSafety(HostContext host, LiveSystem system)
    {
        _host = host;
        _system = system;
    }

    /// <summary>The device node a path leads to, symlinks resolved; DeviceNotFound when nothing is there.</summary>
    public string Resolve(string requested)
    {
        string? path = requested.StartsWith('/') ? _system.Resolve(requested) : null;
        return path ?? throw new IsulaKataException("DeviceNotFound", FailureKind.ObjectNotFound,
            $"The device '{requested}' does not exist.",
            "Pass a whole disk by its absolute path, such as /dev/vdb or /dev/disk/by-id/...; 'lsblk -d -o NAME,SIZE,TYPE,MOUNTPOINTS' lists them.",
            requested);
    }

    /// <summary>Runs every check on one device; throws the first refusal.</summary>
    public DeviceProbe Check(string requested, string path, IReadOnlyList<LvmRow> physicalVolumes, bool force)
    {
        string shown = requested == path ? path : $"{requested} ({path})";
        BlockDevice device = _system.Describe(path) ?? throw new IsulaKataException("DeviceNotBlockDevice", FailureKind.InvalidArgument,
            $"'{shown}' is not a block device.",
            "Pass a whole disk such as /dev/vdb; 'lsblk -d -o NAME,SIZE,TYPE' lists them.", requested);
        if (device.IsPartition)
        {
            throw new IsulaKataException("DeviceIsPartition", FailureKind.InvalidArgument,
                $"'{shown}' is a partition of /dev/{device.DiskName}; a thin pool takes whole disks.",
                $"Pass a whole disk: /dev/{device.DiskName} (with -Force, which erases its partition table, only if nothing on it is needed), or another disk.",
                requested);
        }
        if (device.ReadOnly)
        {
            throw new IsulaKataException("DeviceReadOnly", FailureKind.PermissionDenied,
                $"'{shown}' is read-only (the kernel's /sys/class/block/{device.KernelName}/ro is 1).",
                $"Make it writable ('blockdev --setrw {path}', or attach the disk read-write), then run the command again.", requested);
        }
        if (device.SizeBytes < MinDeviceBytes)
        {
            throw new IsulaKataException("DeviceTooSmall", FailureKind.InvalidArgument,
                $"'{shown}' holds {ThinPoolSizing.FormatSize(device.SizeBytes)}; a thin pool device needs at least {ThinPoolSizing.FormatSize(MinDeviceBytes)}.",
                "Pass a larger disk (an empty loop device has 0 bytes: attach a file to it first).", requested);
        }

        var ownNumbers = new HashSet<string>(device.Partitions.Select(p => p.Number).Append(device.Number), StringComparer.Ordinal);
        var ownPaths = new HashSet<string>(device.Partitions.Select(p => "/dev/" + p.Name).Append(path), StringComparer.Ordinal);
        var mounts = _system.Mounts()
            .Where(m => ownNumbers.Contains(m.Number) || (m.Source.StartsWith("/dev/", StringComparison.Ordinal) && ownPaths.Contains(_system.ResolveOrSelf(m.Source))))
            .ToList();
        if (mounts.Count > 0)
        {
            string where = string.Join(", ", mounts.Select(m => $"{m.Source} on {m.MountPoint} ({m.FileSystem})"));
            throw new IsulaKataException("DeviceMounted", FailureKind.ResourceUnavailable,
                $"'{shown}' is mounted: {where}. Nothing was changed.",
                $"If nothing on it is needed, unmount it ({string.Join("; ", mounts.Select(m => "umount " + CommandResult.Quote(m.MountPoint)).Distinct())}) "
                + "and remove it from /etc/fstab, then run the command again. -Force does not override this.", requested);
        }
        var swaps = _system.Swaps().Where(s => ownPaths.Contains(_system.ResolveOrSelf(s))).ToList();
        if (swaps.Count > 0)
        {
            throw new IsulaKataException("DeviceIsSwap", FailureKind.ResourceUnavailable,
                $"'{shown}' is in use as swap ({string.Join(", ", swaps)}). Nothing was changed.",
                $"Turn the swap off ({string.Join("; ", swaps.Select(s => "swapoff " + s))}) and remove it from /etc/fstab, then run the command again. "
                + "-Force does not override this.", requested);
        }
        LvmRow? member = physicalVolumes.FirstOrDefault(pv => pv["vg_name"].Length > 0 && ownPaths.Contains(_system.ResolveOrSelf(pv["pv_name"])));
        if (member is not null)
        {
            string vg = member["vg_name"];
            throw new IsulaKataException("DeviceInOtherVolumeGroup", FailureKind.ResourceExists,
                $"'{shown}' is a physical volume of the volume group '{vg}'. Nothing was changed.",
                $"Free it from '{vg}' first: move its data off (pvmove {path}) and 'vgreduce {vg} {path}', or remove the whole group "
                + $"(vgremove {vg}) if nothing on it is needed. -Force does not override this.", requested);
        }
        if (device.Holders.Count > 0)
        {
            throw new IsulaKataException("DeviceHasHolders", FailureKind.ResourceUnavailable,
                $"'{shown}' is in use by {string.Join(", ", device.Holders)}. Nothing was changed.",
                $"Stop what uses it ('lsblk {path}' shows the stack): 'dmsetup remove NAME' for a device-mapper device, 'vgchange -an VG' "
                + "for LVM volumes, 'cryptsetup close NAME' for an encrypted volume, 'mdadm --stop /dev/mdN' for RAID. -Force does not override this.",
                requested);
        }
        if (device.Partitions.Count > 0 && !force)
        {
            throw new IsulaKataException("DeviceHasPartitions", FailureKind.ResourceExists,
                $"'{shown}' has a partition table with the partitions {string.Join(", ", device.Partitions.Select(p => p.Name))}. Nothing was changed.",
                "If nothing on those partitions is needed, run the command again with -Force (wipefs erases the partition table); otherwise use another disk.",
                requested);
        }
        IReadOnlyList<string> signatures = Signatures(path);
        if (signatures.Count > 0 && !force)
        {
            throw new IsulaKataException("DeviceHasSignature", FailureKind.ResourceExists,
                $"'{shown}' is not blank: it holds {string.Join("; ", signatures)}. Nothing was changed.",
                "If nothing on it is needed, run the command again with -Force (wipefs erases the signatures and keeps a copy of each "
                + "in $HOME/wipefs-*.bak); otherwise use another disk.", requested);
        }
        return new DeviceProbe
        {
            Requested = requested,
            Path = path,
            SizeBytes = device.SizeBytes,
            Signatures = signatures,
            Partitions = device.Partitions.Select(p => p.Name).ToList(),
        };
    }

    /// <summary>What <c>wipefs --json --no-act</c> finds on the device (it reads; it never writes with --no-act).</summary>
    public IReadOnlyList<string> Signatures(string path)
    {
        CommandResult result = _host.Runner.RunChecked("wipefs", new[] { "--json", "--no-act", path }, "SignatureProbeFailed",
            $"Read what wipefs printed above; check that {path} can be opened (as root), then run the command again.");
        if (string.IsNullOrWhiteSpace(result.StandardOutput))
        {
            return Array.Empty<string>();
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
            if (!document.RootElement.TryGetProperty("signatures", out JsonElement signatures) || signatures.ValueKind != JsonValueKind.Array)
            {
                return Array.Empty<string>();
            }
            return signatures.EnumerateArray().Select(Describe).ToList();
        }
        catch (JsonException error)
        {
            throw new IsulaKataException("SignatureProbeFailed", FailureKind.InvalidData,
                $"'{result.CommandLine}' printed something that is not wipefs JSON ({error.Message}).",
                "Install util-linux 2.29 or later (wipefs --json).", result.CommandLine, error);
        }
    }

    private static string Describe(JsonElement signature)
    {
        string Field(string name) => signature.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
        var details = new List<string> { "at offset " + Field("offset") };
        if (Field("uuid").Length > 0)
        {
            details.Add("UUID " + Field("uuid"));
        }
        if (Field("label").Length > 0)
        {
            details.Add($"label '{Field("label")}'");
        }
        string type = Field("type");
        string what = type switch
        {
            "gpt" or "dos" or "PMBR" => $"a {type} partition table",
            "LVM2_member" => "an LVM physical volume label",
            "linux_raid_member" => "an md RAID member",
            "crypto_LUKS" => "a LUKS encrypted volume",
            "swap" => "a swap area",
            _ => $"a {type} filesystem or signature",
        };
        return $"{what} ({string.Join(", ", details)})";
    }

}
