using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using IsulaKata.Core;

namespace IsulaKata.Storage;

/// <summary>A block device as the running kernel describes it in /sys.</summary>
public sealed class BlockDevice
{
    /// <summary>The device node, symlinks resolved, e.g. /dev/vdb.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>The kernel's name, e.g. vdb.</summary>
    public string KernelName { get; init; } = string.Empty;

    /// <summary>major:minor, as /sys and /proc/self/mountinfo write it.</summary>
    public string Number { get; init; } = string.Empty;

    public long SizeBytes { get; init; }
    public bool ReadOnly { get; init; }
    public bool IsPartition { get; init; }

    /// <summary>For a partition, the kernel name of its disk.</summary>
    public string? DiskName { get; init; }

    /// <summary>The partitions of a whole disk: kernel name and major:minor.</summary>
    public IReadOnlyList<(string Name, string Number)> Partitions { get; init; } = Array.Empty<(string, string)>();

    /// <summary>Devices built on this one or its partitions (device-mapper, md), e.g. "dm-0 (isula-thinpool_tdata)".</summary>
    public IReadOnlyList<string> Holders { get; init; } = Array.Empty<string>();
}

/// <summary>One line of /proc/self/mountinfo.</summary>
public sealed record MountEntry(string Number, string MountPoint, string FileSystem, string Source);

/// <summary>
/// The running machine's own state: device nodes in /dev, the kernel's view of block devices in /sys, mounts
/// and swaps in /proc. This is never the -Root target: a disk is mounted or held on the machine that runs lvm,
/// whatever tree the other cmdlets edit. Reads go through a <see cref="HostFiles"/> rooted at '/' for the cmdlets
/// (another root serves a copy of those trees, e.g. a test fixture); nothing here writes.
/// </summary>
public sealed class LiveSystem
{
    private const int BlockDeviceType = 0x6000;
    private const int FileTypeMask = 0xF000;
    private readonly HostFiles _files;

    public LiveSystem(HostFiles files) => _files = files;

    /// <summary>The machine this process runs on.</summary>
    public static LiveSystem Open(Action<string> log, CancellationToken cancellation) => new(new HostFiles("/", log, cancellation));

    public string Root => _files.Root;

    /// <summary>The path with every symlink resolved (e.g. /dev/disk/by-id/virtio-x to /dev/vdb), or null when nothing is there.</summary>
    public string? Resolve(string path)
    {
        string host = _files.ToHostPath(path);
        return File.Exists(host) || Directory.Exists(host) ? _files.ToTargetPath(host) : null;
    }

    /// <summary>Describes a device node; null when the path is not a block device the kernel knows.</summary>
    public BlockDevice? Describe(string path)
    {
        string host = _files.ToHostPath(path);
        if (!Native.TryStat(host, out Native.StatxBuffer stat) || (stat.Mode & FileTypeMask) != BlockDeviceType)
        {
            return null;
        }
        string number = $"{stat.RdevMajor}:{stat.RdevMinor}";
        string? sys = Resolve($"/sys/dev/block/{number}");
        if (sys is null)
        {
            return null;
        }
        string name = System.IO.Path.GetFileName(sys);
        bool isPartition = _files.FileExists(sys + "/partition");
        var partitions = isPartition
            ? new List<(string, string)>()
            : Children(sys).Where(child => _files.FileExists($"{sys}/{child}/partition"))
                .Select(child => (child, ReadTrimmed($"{sys}/{child}/dev") ?? string.Empty)).OrderBy(p => p.child, StringComparer.Ordinal).ToList();
        var holders = Children(sys + "/holders").Select(DescribeHolder)
            .Concat(partitions.SelectMany(p => Children($"{sys}/{p.Item1}/holders").Select(h => $"{DescribeHolder(h)} on {p.Item1}")))
            .ToList();
        return new BlockDevice
        {
            Path = _files.ToTargetPath(host),
            KernelName = name,
            Number = number,
            SizeBytes = long.TryParse(ReadTrimmed(sys + "/size"), NumberStyles.None, CultureInfo.InvariantCulture, out long sectors) ? sectors * 512 : 0,
            ReadOnly = ReadTrimmed(sys + "/ro") == "1",
            IsPartition = isPartition,
            DiskName = isPartition ? System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(sys)) : null,
            Partitions = partitions,
            Holders = holders,
        };
    }

    /// <summary>Every block device in /sys/class/block, whole disks and partitions.</summary>
    public IReadOnlyList<BlockDevice> BlockDevices()
    {
        var devices = new List<BlockDevice>();
        foreach (string name in Children("/sys/class/block"))
        {
            string? sys = Resolve("/sys/class/block/" + name);
            if (sys is null)
            {
                continue;
            }
            bool isPartition = _files.FileExists(sys + "/partition");
            devices.Add(new BlockDevice
            {
                Path = "/dev/" + name,
                KernelName = name,
                Number = ReadTrimmed(sys + "/dev") ?? string.Empty,
                SizeBytes = long.TryParse(ReadTrimmed(sys + "/size"), NumberStyles.None, CultureInfo.InvariantCulture, out long sectors) ? sectors * 512 : 0,
                ReadOnly = ReadTrimmed(sys + "/ro") == "1",
                IsPartition = isPartition,
                DiskName = isPartition ? System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(sys)) : null,
            });
        }
        return devices;
    }

    /// <summary>The mounts of this process's mount namespace (/proc/self/mountinfo).</summary>
    public IReadOnlyList<MountEntry> Mounts()
    {
        var mounts = new List<MountEntry>();
        foreach (string line in (_files.ReadText("/proc/self/mountinfo") ?? string.Empty).Split('\n'))
        {
            // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 7 || separator < 6 || separator + 2 >= fields.Length)
            {
                continue;
            }
            mounts.Add(new MountEntry(fields[2], Unescape(fields[4]), fields[separator + 1], Unescape(fields[separator + 2])));
        }
        return mounts;
    }

    /// <summary>The devices and files in use as swap (/proc/swaps).</summary>
    public IReadOnlyList<string> Swaps()
        => (_files.ReadText("/proc/swaps") ?? string.Empty).Split('\n').Skip(1)
            .Select(line => line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 0)
            .Select(fields => Unescape(fields[0]))
            .ToList();

    private IEnumerable<string> Children(string directory)
    {
        string host = _files.ToHostPath(directory);
        return Directory.Exists(host)
            ? Directory.EnumerateFileSystemEntries(host).Select(System.IO.Path.GetFileName).OfType<string>().OrderBy(n => n, StringComparer.Ordinal).ToList()
            : Enumerable.Empty<string>();
    }

    /// <summary>"dm-0 (isula-thinpool_tdata)" for device-mapper holders, the kernel name otherwise.</summary>
    private string DescribeHolder(string name)
        => ReadTrimmed($"/sys/class/block/{name}/dm/name") is string dm && dm.Length > 0 ? $"{name} ({dm})" : name;

    private string? ReadTrimmed(string path)
    {
        try
        {
            return _files.ReadText(path)?.Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The kernel writes space, tab, newline and backslash in paths as \040, \011, \012 and \134.</summary>
    public static string Unescape(string text)
    {
        if (!text.Contains('\\'))
        {
            return text;
        }
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && IsOctal(text, i + 1))
            {
                result.Append((char)Convert.ToInt32(text.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                result.Append(text[i]);
            }
        }
        return result.ToString();
    }

    private static bool IsOctal(string text, int start)
        => start + 3 <= text.Length && text.Skip(start).Take(3).All(c => c is >= '0' and <= '7');

    /// <summary>The device a path names (links resolved), or the path itself when it cannot be resolved.</summary>
    public string ResolveOrSelf(string path)
    {
        try
        {
            return Resolve(path) ?? path;
        }
        catch (IsulaKataException)
        {
            return path;
        }
    }
}
