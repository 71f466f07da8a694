using System;
using System.Collections.Generic;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>What Set-KataHypervisor asks for. Null paths mean "what the configuration or the package already has".</summary>
public sealed record KataHypervisorRequest
{
    public KataHypervisorKind Hypervisor { get; init; }

    /// <summary>The configuration to edit; null for the file kata reads.</summary>
    public string? ConfigPath { get; init; }

    public string? Kernel { get; init; }
    public string? Initrd { get; init; }
    public string? Image { get; init; }
    public string? HypervisorPath { get; init; }

    /// <summary>StratoVirt only.</summary>
    public string? LogLevel { get; init; }

    /// <summary>StratoVirt only.</summary>
    public string? WrapperPath { get; init; }

    /// <summary>StratoVirt only (openEuler's kata 2.x): <c>path</c> is then the binary itself, no wrapper.</summary>
    public string? OzonePath { get; init; }

    public bool EnableTemplate { get; init; }
    public string Runtime { get; init; } = KataRules.DefaultRuntime;
}

/// <summary>How the configuration is changed.</summary>
public enum KataConfigWay
{
    /// <summary>The file kata reads is edited in place (kata 1.x, no shipped file, or a file the operator owns).</summary>
    Edited,

    /// <summary>The file kata reads is made from the package's own configuration-&lt;hypervisor&gt;.toml, then edited.</summary>
    FromShipped,

    /// <summary>The file this module made is removed: kata reads the packaged file again, as before.</summary>
    Removed,
}

/// <summary>The computed change: the file written (or removed), its new text, the wrapper script, and what changes.</summary>
public sealed record KataHypervisorPlan
{
    public required KataConfigLocation Location { get; init; }
    public required KataConfigWay Way { get; init; }

    /// <summary>The file written or removed (the file kata reads, or /etc/kata-containers/configuration.toml made from a shipped file).</summary>
    public required string TargetPath { get; init; }

    /// <summary>The text the target file has now; null when it does not exist.</summary>
    public string? OldText { get; init; }

    /// <summary>The target file's new text; null when it is removed.</summary>
    public string? NewText { get; init; }

    public bool ConfigChanged { get; init; }

    /// <summary>One line per change to the configuration, e.g. <c>[hypervisor.stratovirt] path: "a" -> "b"</c>.</summary>
    public IReadOnlyList<string> Changes { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    /// <summary>StratoVirt only: the wrapper script, its content, and whether writing it changes anything.</summary>
    public string? WrapperPath { get; init; }
    public string? WrapperText { get; init; }
    public bool WrapperChanged { get; init; }

    public bool Changed => ConfigChanged || WrapperChanged;

    /// <summary>The configuration as the plan leaves it.</summary>
    public required KataHypervisorConfig Described { get; init; }

    /// <summary>The output object: the configuration as the plan leaves it, with what the writes did.</summary>
    public KataHypervisorConfig ToConfig(bool changed, string? backupPath)
        => Described with { Changed = changed, BackupPath = backupPath, Changes = Changes, Warnings = Warnings };
}

/// <summary>What Apply wrote.</summary>
public sealed record KataHypervisorWrites(KataHypervisorPlan Plan, FileUpdateResult? Config, FileUpdateResult? Wrapper)
{
    public bool Changed => (Config?.Changed ?? false) || (Wrapper?.Changed ?? false);
}
