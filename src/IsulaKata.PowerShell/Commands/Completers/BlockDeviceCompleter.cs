using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using IsulaKata.Storage;

namespace IsulaKata.Commands.Completers;

/// <summary>
/// Completes -Device with this machine's block devices from /sys/class/block: whole disks first (virtio, SCSI, NVMe...),
/// then other whole devices (loop, md, device-mapper), then partitions, which New-IsulaThinPool refuses but a user may
/// be looking for. Each tip gives the size.
/// </summary>
public sealed class BlockDeviceCompleter : IArgumentCompleter
{
    private static readonly string[] VirtualPrefixes = { "loop", "ram", "zram", "dm-", "md", "sr", "nbd", "fd" };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<BlockDevice> devices;
        try
        {
            devices = LiveSystem.Open(_ => { }, CancellationToken.None).BlockDevices();
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
        string prefix = StorageCompletion.Prefix(wordToComplete);
        return devices
            .Where(d => d.SizeBytes > 0 || !d.KernelName.StartsWith("loop", StringComparison.Ordinal))
            .OrderBy(Rank)
            .ThenBy(d => d.KernelName, StringComparer.Ordinal)
            .Where(d => d.Path.StartsWith(prefix, StringComparison.Ordinal) || d.KernelName.StartsWith(prefix, StringComparison.Ordinal))
            .Select(d => StorageCompletion.Result(d.Path, Tip(d)));
    }

    /// <summary>0: real whole disks; 1: virtual whole devices; 2: partitions.</summary>
    public static int Rank(BlockDevice device)
        => device.IsPartition ? 2 : VirtualPrefixes.Any(p => device.KernelName.StartsWith(p, StringComparison.Ordinal)) ? 1 : 0;

    private static string Tip(BlockDevice device)
    {
        string size = ThinPoolSizing.FormatSize(device.SizeBytes);
        string ro = device.ReadOnly ? ", read-only" : string.Empty;
        return device.IsPartition ? $"partition of /dev/{device.DiskName}, {size}{ro}" : $"whole device, {size}{ro}";
    }
}
