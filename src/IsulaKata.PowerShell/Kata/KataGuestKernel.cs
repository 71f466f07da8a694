using System;
using System.Collections.Generic;

namespace IsulaKata.Kata;

/// <summary>The guest kernel file in place, like a FileInfo with its SHA-256.</summary>
public sealed class KataGuestKernel
{
    /// <summary>The kernel, as the target system sees it (pipe it to Set-KataHypervisor -Kernel).</summary>
    public string Path { get; internal init; } = string.Empty;

    public string Name { get; internal init; } = string.Empty;

    /// <summary>Size in bytes.</summary>
    public long Length { get; internal init; }

    /// <summary>Upper-case hex, as Get-FileHash prints it.</summary>
    public string Sha256 { get; internal init; } = string.Empty;

    /// <summary>e.g. "-rw-r--r--".</summary>
    public string UnixMode { get; internal init; } = string.Empty;

    public DateTime LastWriteTime { get; internal init; }

    /// <summary>ELF vmlinux, bzImage, PE, arm64 Image, or unknown (see <see cref="KataKernelFormat"/>).</summary>
    public string Format { get; internal init; } = string.Empty;

    /// <summary>Where it came from: the -Path file or the -Uri.</summary>
    public string Source { get; internal init; } = string.Empty;

    public bool Changed { get; internal init; }

    /// <summary>Backup of the kernel it replaced, as the target system sees it.</summary>
    public string? BackupPath { get; internal init; }

    public IReadOnlyList<string> Warnings { get; internal init; } = Array.Empty<string>();

    /// <summary>The root the target system lives in ('/' for this host).</summary>
    public string Root { get; internal init; } = "/";
}
