using System;
using System.Collections.Generic;

namespace IsulaKata.Isulad;

/// <summary>iSulad's default runtime and storage, as configured in daemon.json and (on a live host) as running.</summary>
public sealed record IsulaRuntimeConfig
{
    /// <summary>daemon.json as the target system sees it.</summary>
    public string ConfigPath { get; internal init; } = string.Empty;

    /// <summary>The default runtime (the "default-runtime" key), e.g. io.containerd.kata.v2.</summary>
    public string? Runtime { get; internal init; }

    /// <summary>The keys of "runtimes" (runtimes declared in daemon.json besides iSulad's built-in ones).</summary>
    public IReadOnlyList<string> DeclaredRuntimes { get; internal init; } = Array.Empty<string>();

    /// <summary>The configured storage driver ("storage-driver").</summary>
    public string? StorageDriver { get; internal init; }

    public IReadOnlyList<string> StorageOptions { get; internal init; } = Array.Empty<string>();

    /// <summary>The thin pool device from dm.thinpooldev, as written.</summary>
    public string? ThinPoolDevice { get; internal init; }

    public bool Changed { get; internal init; }

    /// <summary>Backup of the previous daemon.json, as the target system sees it.</summary>
    public string? BackupPath { get; internal init; }

    public bool Restarted { get; internal init; }

    /// <summary>True when a running isulad reported the configured storage driver (and pool).</summary>
    public bool Verified { get; internal init; }

    /// <summary>Whether isulad answered `isula info` (null when not asked: under another -Root, or -WhatIf).</summary>
    public bool? DaemonRunning { get; internal init; }

    /// <summary>The storage driver the running isulad reports.</summary>
    public string? ActiveStorageDriver { get; internal init; }

    /// <summary>The pool the running isulad uses (devicemapper).</summary>
    public string? ActivePoolName { get; internal init; }

    public long? DataSpaceUsedBytes { get; internal init; }
    public long? DataSpaceTotalBytes { get; internal init; }
    public long? MetadataSpaceUsedBytes { get; internal init; }
    public long? MetadataSpaceTotalBytes { get; internal init; }

    /// <summary>The storage and runtime flags isulad's service passes on its command line (they override daemon.json).</summary>
    public IReadOnlyList<IsuladServiceFlag> ServiceFlags { get; internal init; } = Array.Empty<IsuladServiceFlag>();

    public IReadOnlyList<string> Warnings { get; internal init; } = Array.Empty<string>();

    /// <summary>The root the target system lives in ('/' for this host).</summary>
    public string Root { get; internal init; } = "/";
}
