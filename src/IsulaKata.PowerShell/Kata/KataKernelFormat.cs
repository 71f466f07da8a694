using System;
using System.IO;

namespace IsulaKata.Kata;

/// <summary>
/// What a guest kernel file is, from its first bytes, and whether a hypervisor boots it on an architecture. Facts from
/// StratoVirt's boot documentation (its microvm boots an ELF vmlinux, a bzImage or a PE kernel on x86_64 and the PE
/// arm64 <c>Image</c> on aarch64) and QEMU's (<c>-kernel</c> takes a bzImage or an ELF/PVH vmlinux on x86_64, an
/// arm64 <c>Image</c> on aarch64).
/// </summary>
public static class KataKernelFormat
{
    public const string Elf = "ELF vmlinux";
    public const string BzImage = "bzImage";
    public const string Arm64Image = "arm64 Image";
    public const string Pe = "PE";
    public const string Unknown = "unknown";

    /// <summary>How many leading bytes tell the format.</summary>
    public const int HeadLength = 0x240;

    /// <summary>The format of a kernel file on this machine, or null when it cannot be read.</summary>
    public static string? Of(string hostFile)
    {
        byte[] head = new byte[HeadLength];
        int read;
        if (!KataConfigText.IsRegularFile(hostFile))
        {
            return null;
        }
        try
        {
            using FileStream stream = new(hostFile, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.None });
            if (!stream.CanSeek)
            {
                return null;
            }
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Of(head.AsSpan(0, read));
    }

    /// <summary>The format of a kernel from its first bytes (<see cref="HeadLength"/> are enough; more are ignored).</summary>
    public static string Of(ReadOnlySpan<byte> head)
    {
        if (At(head, 0, 0x7F, (byte)'E', (byte)'L', (byte)'F'))
        {
            return Elf;
        }
        // An arm64 Image carries "ARM\x64" at 0x38 (with an EFI stub it also starts with "MZ": the PE Image).
        if (At(head, 0x38, (byte)'A', (byte)'R', (byte)'M', 0x64))
        {
            return Arm64Image;
        }
        // A bzImage carries "HdrS" at 0x202 (with an EFI stub it also starts with "MZ").
        if (At(head, 0x202, (byte)'H', (byte)'d', (byte)'r', (byte)'S'))
        {
            return BzImage;
        }
        if (At(head, 0, (byte)'M', (byte)'Z'))
        {
            return Pe;
        }
        return Unknown;
    }

    private static bool At(ReadOnlySpan<byte> head, int offset, params byte[] bytes)
        => head.Length >= offset + bytes.Length && head.Slice(offset, bytes.Length).SequenceEqual(bytes);

    /// <summary>Why <paramref name="hypervisor"/> cannot boot <paramref name="format"/> on <paramref name="architecture"/>; null when it can (or it cannot be told).</summary>
    public static string? Problem(string format, KataHypervisorKind hypervisor, string architecture)
    {
        if (format == Unknown)
        {
            return "it is neither an ELF vmlinux, a bzImage, a PE kernel nor an arm64 Image";
        }
        bool arm = architecture == KataGeneration.Aarch64;
        if (arm)
        {
            return format == Arm64Image ? null : $"it is an x86 kernel ({format}), and this is an aarch64 host, where {KataRules.DisplayName(KataRules.TableOf(hypervisor))} boots an arm64 Image";
        }
        if (format == Arm64Image)
        {
            return "it is an arm64 Image, and this is an x86_64 host";
        }
        if (hypervisor == KataHypervisorKind.Qemu && format == Pe)
        {
            return "QEMU's -kernel on x86_64 boots a bzImage or an ELF vmlinux, not a bare PE file";
        }
        return null;
    }
}
