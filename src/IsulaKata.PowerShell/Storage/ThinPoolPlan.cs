using System;
using System.Collections.Generic;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Storage;

/// <summary>What New-IsulaThinPool asks for.</summary>
public sealed class ThinPoolRequest
{
    /// <summary>Whole block devices (symlinks such as /dev/disk/by-id/... are resolved).</summary>
    public IReadOnlyList<string> Devices { get; init; } = Array.Empty<string>();

    public string VolumeGroup { get; init; } = "isula";
    public string Name { get; init; } = "thinpool";
    public int DataPercent { get; init; } = 95;
    public int MetadataPercent { get; init; } = 1;

    /// <summary>As typed: 64K, 512K, 1M or bytes.</summary>
    public string ChunkSize { get; init; } = "64K";

    public int AutoExtendThreshold { get; init; } = 80;
    public int AutoExtendPercent { get; init; } = 20;

    /// <summary>Allows erasing a filesystem, partition table or other signature on the devices.</summary>
    public bool Force { get; init; }
}

/// <summary>What a step does to the host.</summary>
public enum ThinPoolStepKind
{
    /// <summary>Runs an lvm or util-linux command.</summary>
    Command,

    /// <summary>Writes the lvm profile file.</summary>
    WriteFile,

    /// <summary>Removes the lvm profile file (keeping a backup).</summary>
    RemoveFile,
}

/// <summary>One change a plan makes: a command line, or a file written or removed.</summary>
public sealed class ThinPoolStep
{
    private ThinPoolStep(ThinPoolStepKind kind, string? program, IReadOnlyList<string> arguments, string? path, string? content, string purpose)
    {
        Kind = kind;
        Program = program;
        Arguments = arguments;
        Path = path;
        Content = content;
        Purpose = purpose;
    }

    internal static ThinPoolStep Run(string purpose, string program, params string[] arguments)
        => new(ThinPoolStepKind.Command, program, arguments, null, null, purpose);

    internal static ThinPoolStep Write(string purpose, string path, string content)
        => new(ThinPoolStepKind.WriteFile, null, Array.Empty<string>(), path, content, purpose);

    internal static ThinPoolStep Remove(string purpose, string path)
        => new(ThinPoolStepKind.RemoveFile, null, Array.Empty<string>(), path, null, purpose);

    public ThinPoolStepKind Kind { get; }
    public string? Program { get; }
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The file a WriteFile or RemoveFile step changes.</summary>
    public string? Path { get; }

    /// <summary>What a WriteFile step writes.</summary>
    public string? Content { get; }

    /// <summary>What the step does, in words, for the confirmation prompt.</summary>
    public string Purpose { get; }

    /// <summary>The exact command line, or the file path: the ShouldProcess target.</summary>
    public string Target => Kind == ThinPoolStepKind.Command ? CommandResult.FormatCommandLine(Program!, Arguments) : Path!;

    /// <summary>The ShouldProcess action: Run, Write or Remove.</summary>
    public string Action => Kind switch
    {
        ThinPoolStepKind.Command => "Run",
        ThinPoolStepKind.WriteFile => "Write",
        _ => "Remove",
    };

    public override string ToString() => $"{Action} {Target}";
}

/// <summary>
/// The computed change: every step in order, ready to show (-WhatIf) or apply. A plan is made from read-only
/// probes only; applying it probes again and refuses if the host changed in between.
/// </summary>
public sealed class ThinPoolPlan
{
    internal ThinPoolPlan(string volumeGroup, string name, IReadOnlyList<string> devices, IReadOnlyList<ThinPoolStep> steps,
        IsulaThinPool? existing, ThinPoolSizing? sizing, string? profilePath, IReadOnlyList<string> warnings)
    {
        VolumeGroup = volumeGroup;
        Name = name;
        Devices = devices;
        Steps = steps;
        Existing = existing;
        Sizing = sizing;
        ProfilePath = profilePath;
        Warnings = warnings;
    }

    public string VolumeGroup { get; }
    public string Name { get; }

    /// <summary>The devices, symlinks resolved.</summary>
    public IReadOnlyList<string> Devices { get; }

    /// <summary>The changes, in the order they run; empty when there is nothing to do.</summary>
    public IReadOnlyList<ThinPoolStep> Steps { get; }

    /// <summary>Refuses to go on when the host, probed again, calls for other steps than this plan showed.</summary>
    public void RequireSameSteps(ThinPoolPlan fresh, string nothingDone)
    {
        if (!fresh.Steps.Select(s => s.ToString()).SequenceEqual(Steps.Select(s => s.ToString())))
        {
            throw new IsulaKataException("ThinPoolPlanChanged", FailureKind.InvalidOperation,
                $"The host changed since the plan was made; {nothingDone}. Planned: {string.Join("; ", Steps)}. Now: {string.Join("; ", fresh.Steps)}.",
                "Run the command again to see the new plan.", $"{VolumeGroup}/{Name}");
        }
    }

    /// <summary>The pool as it is now, when it exists.</summary>
    public IsulaThinPool? Existing { get; }

    /// <summary>The sizes of a new pool (null when the pool exists).</summary>
    public ThinPoolSizing? Sizing { get; }

    public string? ProfilePath { get; }

    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The request the plan was made for (to probe again before applying).</summary>
    internal ThinPoolRequest? Request { get; init; }

    /// <summary>Remove plans: the configuration file checked for iSulad's use of the pool.</summary>
    internal string? ConfigPath { get; init; }

    internal bool Force { get; init; }

    /// <summary>lvm's settings as read while planning (reused to read the result).</summary>
    internal LvmSettings? Settings { get; init; }
}
