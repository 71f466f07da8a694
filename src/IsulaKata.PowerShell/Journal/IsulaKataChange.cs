using System;

namespace IsulaKata.Journal;

/// <summary>One change from the journal, as Get-IsulaKataChange returns it (newest first).</summary>
public sealed record IsulaKataChange
{
    /// <summary>The journal's id of the change; Undo-IsulaKataChange binds it by property name.</summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>When the change began (local time).</summary>
    public DateTime Time { get; init; }

    /// <summary>The cmdlet that made it.</summary>
    public string? Cmdlet { get; init; }

    public ChangeAction Action { get; init; }

    /// <summary>The file, folder or pool device changed, as the target system sees it.</summary>
    public string? Path { get; init; }

    /// <summary>Where the content from before is kept (target-system path), when there is a backup.</summary>
    public string? BackupPath { get; init; }

    public ChangeOutcome Outcome { get; init; }

    /// <summary>Whether Undo-IsulaKataChange can still undo it (the file holds what the module wrote, the backup is there).</summary>
    public bool CanUndo { get; init; }

    /// <summary>Why it cannot be undone, or what an undo would do.</summary>
    public string? Reason { get; init; }

    /// <summary>SHA-256 of the file before and after the change (null where there was or is no file).</summary>
    public string? BeforeSha256 { get; init; }

    public string? AfterSha256 { get; init; }

    /// <summary>For an undo: the id of the change it undid.</summary>
    public string? Undoes { get; init; }

    /// <summary>The change this one was a step of (a pool's profile, the backup an undo -Force made).</summary>
    public string? PartOf { get; init; }

    /// <summary>The root of the target system; Undo-IsulaKataChange binds it by property name.</summary>
    public string Root { get; init; } = "/";
}
