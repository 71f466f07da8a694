using System;
using System.Collections.Generic;
using System.Management.Automation;
using IsulaKata.Core;

namespace IsulaKata.Fleet;

/// <summary>What happened to one section on one host.</summary>
public enum IsulaKataSectionStatus
{
    /// <summary>The section's cmdlet changed the host (its -WhatIf plan was not empty).</summary>
    Changed,
    /// <summary>The host already was as the section says (or the proof passed).</summary>
    Unchanged,
    /// <summary>The section's cmdlet failed; the host stopped there.</summary>
    Failed,
    /// <summary>An earlier section failed, the run was stopped, or the host was never reached.</summary>
    NotRun,
}

/// <summary>Where a host got to: a section name, or one of these stages before the sections.</summary>
public static class IsulaKataStage
{
    /// <summary>Never started: an earlier wave reached -MaxFailure.</summary>
    public const string NotStarted = "NotStarted";
    /// <summary>Opening the SSH session (or a given session that is not open).</summary>
    public const string Connect = "Connect";
    /// <summary>Finding, copying or importing this IsulaKata version on the host.</summary>
    public const string Module = "Module";
    /// <summary>The host's own cmdlets refused the document.</summary>
    public const string Validate = "Validate";
}

/// <summary>One section of a Set-IsulaKataConfiguration run on one host.</summary>
public sealed record IsulaKataSectionResult
{
    public string Name { get; internal init; } = string.Empty;
    public IsulaKataSectionStatus Status { get; internal init; }
    public TimeSpan Duration { get; internal init; }
    /// <summary>The section cmdlet's own output (its typed object, or an array when it writes several).</summary>
    public object? Output { get; internal init; }
    /// <summary>The error the section's cmdlet raised, with its error id.</summary>
    public ErrorRecord? Error { get; internal init; }

    public override string ToString() => $"{Name}: {Status}";
}

/// <summary>The result of Set-IsulaKataConfiguration on one host.</summary>
public sealed record IsulaKataHostResult
{
    public string ComputerName { get; internal init; } = string.Empty;
    public bool Succeeded { get; internal init; }
    /// <summary>The section reached (the failing one, or the last); Connect, Module, Validate or NotStarted before any.</summary>
    public string Stage { get; internal init; } = string.Empty;
    public bool Changed { get; internal init; }
    public IReadOnlyList<IsulaKataSectionResult> Sections { get; internal init; } = Array.Empty<IsulaKataSectionResult>();
    public TimeSpan Duration { get; internal init; }
    /// <summary>Why the host failed: the ErrorRecord of the failing step, with the error id raised on that host.</summary>
    public ErrorRecord? Error { get; internal init; }
    /// <summary>The IsulaKata version that ran on the host.</summary>
    public Version? ModuleVersion { get; internal init; }

    public override string ToString() => $"{ComputerName}: {(Succeeded ? "Succeeded" : "Failed")} at {Stage}";
}

/// <summary>One section of a Test-IsulaKataConfiguration run on one host.</summary>
public sealed record IsulaKataSectionTest
{
    public string Name { get; internal init; } = string.Empty;
    /// <summary>True when the section's -WhatIf plan is empty; empty (null) for Verify, which is not evaluated.</summary>
    public bool? InDesiredState { get; internal init; }
    /// <summary>What would change, as the section cmdlet's -WhatIf plan says it.</summary>
    public IReadOnlyList<PlannedChange> Differences { get; internal init; } = Array.Empty<PlannedChange>();
    /// <summary>Why the section could not be evaluated.</summary>
    public ErrorRecord? Error { get; internal init; }

    public override string ToString() => $"{Name}: {(InDesiredState is null ? "NotEvaluated" : InDesiredState.Value ? "InDesiredState" : $"{Differences.Count} differences")}";
}

/// <summary>The result of Test-IsulaKataConfiguration on one host.</summary>
public sealed record IsulaKataConfigurationTest
{
    public string ComputerName { get; internal init; } = string.Empty;
    public bool InDesiredState { get; internal init; }
    public IReadOnlyList<IsulaKataSectionTest> Sections { get; internal init; } = Array.Empty<IsulaKataSectionTest>();
    public Version? ModuleVersion { get; internal init; }
    /// <summary>Where the test stopped when it could not run: Connect, Module, Validate, or the section that failed.</summary>
    public string? Stage { get; internal init; }
    public ErrorRecord? Error { get; internal init; }

    public override string ToString() => $"{ComputerName}: {(InDesiredState ? "InDesiredState" : "Differs")}";
}
