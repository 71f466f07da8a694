using System;
using System.Collections.Generic;

namespace IsulaKata.Journal;

/// <summary>What a journaled change did to the target system.</summary>
public enum ChangeAction
{
    /// <summary>An existing file was replaced; its previous content is kept as the backup.</summary>
    FileWritten,

    /// <summary>A file that did not exist was created.</summary>
    FileCreated,

    /// <summary>A file was moved aside to its backup (Remove-IsulaThinPool's profile).</summary>
    FileRemoved,

    /// <summary>A folder that did not exist was created (to hold a file the module wrote).</summary>
    FolderCreated,

    /// <summary>The guest kernel was placed (Install-KataGuestKernel); a backup is kept when one was there.</summary>
    KernelPlaced,

    /// <summary>A module was made to load at boot (a modules-load.d file).</summary>
    ModulePersisted,

    /// <summary>The StratoVirt wrapper script was written (Set-KataHypervisor).</summary>
    WrapperWritten,

    /// <summary>Physical volumes, a volume group and a thin pool were created (New-IsulaThinPool).</summary>
    ThinPoolCreated,

    /// <summary>A thin pool with its volume group and PV labels was removed.</summary>
    ThinPoolRemoved,

    /// <summary>An undo: a file got its earlier content back from a backup.</summary>
    FileRestored,

    /// <summary>An undo: a file the module had created was removed.</summary>
    FileDeleted,

    /// <summary>An undo: a folder the module had created was removed.</summary>
    FolderRemoved,
}

/// <summary>Where a change stands.</summary>
public enum ChangeOutcome
{
    /// <summary>The change completed and is in effect.</summary>
    Done,

    /// <summary>The change failed or was rolled back by the cmdlet that made it; it is not in effect.</summary>
    RolledBack,

    /// <summary>The journal holds the intent but no completion: the process ended (crash, kill -9) in the middle.</summary>
    Interrupted,

    /// <summary>The change was undone later (Undo-IsulaKataChange, Reset-IsulaKataHost).</summary>
    Undone,
}

/// <summary>How <see cref="Core.HostFiles"/> changes a path; the journal turns it into a <see cref="ChangeAction"/>.</summary>
public enum FileChangeKind
{
    Write,
    Place,
    Remove,
    CreateFolder,
}

/// <summary>
/// Where every change is recorded: an intent before it is made, a completion after it. The one file writer
/// (<see cref="Core.HostFiles"/>) and the storage engine call it; <see cref="Core.HostContext"/> carries it.
/// </summary>
public interface IChangeJournal
{
    /// <summary>Records that a file change is about to happen (after warning about an interrupted earlier change to the path).
    /// Returns the change's id, or null when nothing is journaled.</summary>
    /// <param name="kind">What HostFiles does.</param>
    /// <param name="path">The target-system path.</param>
    /// <param name="existingHostPath">The file as it is now (its SHA-256 is the "before"), null when it does not exist.</param>
    /// <param name="backupPath">The backup's target-system path, when one is made.</param>
    /// <param name="content">The new content (its SHA-256 is the "after"); null when the file goes away.</param>
    string? BeginFileChange(FileChangeKind kind, string path, string? existingHostPath, string? backupPath, byte[]? content);

    /// <summary>Records that a thin pool is about to be created or removed; returns the change's id.</summary>
    string? BeginThinPoolChange(ChangeAction action, string devicePath, string volumeGroup, string name, IReadOnlyList<string> devices, string? profilePath);

    /// <summary>Records how a change ended. A null id is ignored.</summary>
    void Complete(string? id, ChangeOutcome outcome);

    /// <summary>Warns (once per path) when the latest change to <paramref name="path"/> was interrupted, saying how to finish or undo it.</summary>
    void Check(string path);

    /// <summary>Marks an interrupted change to <paramref name="path"/> as finished by a later run that completed it.</summary>
    void FinishInterrupted(string path);

    /// <summary>Records made until the result is disposed belong to change <paramref name="id"/> (a pool's profile, an undo's backup).</summary>
    IDisposable Within(string? id);
}

/// <summary>The journal of a HostFiles that records nothing (read-only uses: completers, /dev and /sys readers).</summary>
public sealed class NoJournal : IChangeJournal
{
    public static readonly NoJournal Instance = new();

    private NoJournal()
    {
    }

    public string? BeginFileChange(FileChangeKind kind, string path, string? existingHostPath, string? backupPath, byte[]? content) => null;

    public string? BeginThinPoolChange(ChangeAction action, string devicePath, string volumeGroup, string name, IReadOnlyList<string> devices, string? profilePath) => null;

    public void Complete(string? id, ChangeOutcome outcome)
    {
    }

    public void Check(string path)
    {
    }

    public void FinishInterrupted(string path)
    {
    }

    public IDisposable Within(string? id) => Scope.None;

    private sealed class Scope : IDisposable
    {
        public static readonly Scope None = new();

        public void Dispose()
        {
        }
    }
}
