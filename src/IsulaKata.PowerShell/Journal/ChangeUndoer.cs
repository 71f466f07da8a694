using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using IsulaKata.Core;
using IsulaKata.Isulad;
using IsulaKata.Storage;

namespace IsulaKata.Journal;

/// <summary>What undoing one change does.</summary>
public enum UndoStep
{
    /// <summary>The target already is as before the change (a leftover backup may be removed); the change is marked undone.</summary>
    Nothing,

    /// <summary>The backup's content (with its mode and owner) goes back in place.</summary>
    Restore,

    /// <summary>A file the module created is removed.</summary>
    Delete,

    /// <summary>An empty folder the module created is removed.</summary>
    RemoveFolder,

    /// <summary>A thin pool the module built is removed through Remove-IsulaThinPool's engine.</summary>
    RemoveThinPool,
}

/// <summary>The undo of one change, checked against the target as it is now.</summary>
public sealed class UndoPlan
{
    internal UndoPlan(JournalChange change, UndoStep step, string description)
    {
        Change = change;
        Step = step;
        Description = description;
    }

    public JournalChange Change { get; }
    public UndoStep Step { get; }

    /// <summary>The ShouldProcess action: what happens to <see cref="Target"/>.</summary>
    public string Description { get; }

    /// <summary>The file, folder or pool device.</summary>
    public string Target => Change.Intent.Path ?? Change.Id;

    /// <summary>-Force: the file changed since the module wrote it; its newer content is backed up first.</summary>
    public bool BackUpCurrent { get; init; }

    /// <summary>A backup left by a change that never took effect, removed with the undo.</summary>
    public bool RemoveLeftoverBackup { get; init; }

    /// <summary>SHA-256 of the file now (null when it does not exist).</summary>
    public string? CurrentSha256 { get; init; }

    /// <summary>The removal of a thin pool (RemoveThinPool only).</summary>
    public ThinPoolPlan? Pool { get; init; }
}

/// <summary>
/// Reads the journal back as <see cref="IsulaKataChange"/> objects and undoes changes: a changed file gets its backup back
/// (mode and owner included), a created file or folder goes, a pool is removed by <see cref="ThinPoolRemover"/>. Nothing
/// is touched when the file changed since the module wrote it, unless forced, which keeps that newer content as a backup.
/// Every undo is journaled itself, with the files it touches as its steps.
/// </summary>
public sealed class ChangeUndoer
{
    private readonly HostContext _host;
    private readonly ChangeJournal _journal;

    public ChangeUndoer(HostContext host)
    {
        _host = host;
        _journal = host.Journal as ChangeJournal
            ?? throw new ArgumentException("The context has no change journal.", nameof(host));
    }

    public JournalHistory History() => _journal.History();

    /// <summary>The journal's changes, newest first, optionally since a time and by cmdlets (wildcards allowed).</summary>
    public IReadOnlyList<IsulaKataChange> List(DateTime? since, IReadOnlyCollection<string>? cmdlets)
    {
        // A time typed without a zone (-Since '2026-12-06 20:00') is this machine's local time.
        DateTime? bound = since is DateTime s && s.Kind == DateTimeKind.Utc ? s.ToLocalTime() : since;
        var patterns = cmdlets?.Select(c => new System.Management.Automation.WildcardPattern(c, System.Management.Automation.WildcardOptions.IgnoreCase)).ToList();
        return History().Changes.Reverse()
            .Where(c => bound is null || c.Intent.Time.ToLocalTime() >= bound.Value)
            .Where(c => patterns is null || patterns.Count == 0 || patterns.Any(p => p.IsMatch(c.Intent.Cmdlet ?? string.Empty)))
            .Select(Describe)
            .ToList();
    }

    /// <summary>The change as Get-IsulaKataChange shows it, with whether (and how) it can be undone now.</summary>
    public IsulaKataChange Describe(JournalChange change)
    {
        bool canUndo;
        string reason;
        try
        {
            UndoPlan plan = Plan(change, force: false, includeStorage: false);
            canUndo = true;
            reason = plan.Description;
        }
        catch (IsulaKataException refusal)
        {
            canUndo = false;
            reason = refusal.Message;
        }
        JournalRecord intent = change.Intent;
        return new IsulaKataChange
        {
            Id = change.Id,
            Time = intent.Time.ToLocalTime(),
            Cmdlet = intent.Cmdlet,
            Action = change.Action,
            Path = intent.Path,
            BackupPath = intent.Backup,
            Outcome = change.Outcome,
            CanUndo = canUndo,
            Reason = reason,
            BeforeSha256 = intent.Before,
            AfterSha256 = intent.After,
            Undoes = intent.Undoes,
            PartOf = intent.PartOf,
            Root = _host.Root,
        };
    }

    /// <summary>The change with this id; refuses an id the journal does not hold.</summary>
    public JournalChange Find(string id)
        => History().Find(id) ?? throw new IsulaKataException("ChangeNotFound", FailureKind.ObjectNotFound,
            $"The journal '{_journal.HostPath}' holds no change with the id '{id}'.",
            "List the changes with Get-IsulaKataChange (with the same -Root) and pipe the one to undo into Undo-IsulaKataChange.", id);

    /// <summary>
    /// What Reset-IsulaKataHost undoes, newest first: every change still in effect (done or interrupted) that is not itself
    /// an undo, each preceded by its own steps (a pool's profile before the pool). Pools only with <paramref name="includeStorage"/>.
    /// </summary>
    public IReadOnlyList<JournalChange> ResetOrder(bool includeStorage)
    {
        var order = new List<JournalChange>();
        foreach (JournalChange change in History().Changes.Reverse())
        {
            if (change.Intent.PartOf is not null || change.IsUndo || change.Action == ChangeAction.ThinPoolRemoved
                || !InEffect(change) || (change.IsThinPool && !includeStorage))
            {
                continue;
            }
            order.AddRange(Enumerable.Reverse(change.Steps).Where(s => !s.IsUndo && InEffect(s)));
            order.Add(change);
        }
        return order;
    }

    /// <summary>Checks (read-only) what undoing <paramref name="change"/> takes, refusing what cannot or must not be undone.</summary>
    /// <param name="change">The change.</param>
    /// <param name="force">Undo a file changed since the module wrote it (its newer content is backed up first); remove a pool in use.</param>
    /// <param name="includeStorage">Allow removing a thin pool.</param>
    /// <param name="goingAway">Target paths earlier undos of the same reset remove (a folder holding only those counts as empty).</param>
    public UndoPlan Plan(JournalChange change, bool force, bool includeStorage, IReadOnlySet<string>? goingAway = null)
    {
        JournalRecord intent = change.Intent;
        string path = intent.Path ?? string.Empty;
        if (change.IsUndo || change.Action == ChangeAction.ThinPoolRemoved)
        {
            throw Refuse("NotUndoable", FailureKind.InvalidOperation, change,
                $"The change {change.Id} ({change.Action} of '{path}') removed or put back something itself; it cannot be undone.",
                "Undo the change it undid again with the cmdlet that made it, if you want that change back.");
        }
        if (change.Outcome == ChangeOutcome.Undone)
        {
            throw Refuse("ChangeAlreadyUndone", FailureKind.InvalidOperation, change,
                $"The change {change.Id} ({change.Action} of '{path}') was already undone by {change.UndoneBy!.Intent.Cmdlet} at {Stamp(change.UndoneBy.Intent.Time)}.",
                "Nothing to do.");
        }
        if (change.Outcome == ChangeOutcome.RolledBack)
        {
            throw Refuse("ChangeNotInEffect", FailureKind.InvalidOperation, change,
                $"The change {change.Id} ({change.Action} of '{path}') was rolled back by {intent.Cmdlet} itself; it is not in effect.",
                "Nothing to do.");
        }
        return change.Action switch
        {
            ChangeAction.ThinPoolCreated => PlanThinPool(change, force, includeStorage),
            ChangeAction.FolderCreated => PlanFolder(change, goingAway),
            ChangeAction.FileRemoved => PlanFile(change, force, created: false, removed: true),
            _ => PlanFile(change, force, created: intent.Before is null, removed: false),
        };
    }

    /// <summary>Checks again, then undoes the change and journals the undo; returns the undo's journal entry.</summary>
    public IsulaKataChange Apply(UndoPlan plan, bool force)
    {
        UndoPlan fresh = Plan(Find(plan.Change.Id), force, plan.Step == UndoStep.RemoveThinPool);
        if (fresh.Step != plan.Step || fresh.BackUpCurrent != plan.BackUpCurrent)
        {
            throw Refuse("UndoPlanChanged", FailureKind.InvalidOperation, plan.Change,
                $"'{plan.Target}' changed while the undo was being confirmed; nothing was done. Planned: {plan.Description}. Now: {fresh.Description}.",
                "Run the command again to see what it would do now.");
        }
        JournalRecord intent = fresh.Change.Intent;
        string undo = _journal.Begin(new JournalRecord
        {
            Action = fresh.Step switch
            {
                UndoStep.Restore => ChangeAction.FileRestored,
                UndoStep.RemoveFolder => ChangeAction.FolderRemoved,
                UndoStep.RemoveThinPool => ChangeAction.ThinPoolRemoved,
                _ when fresh.Change.Action == ChangeAction.FolderCreated => ChangeAction.FolderRemoved,
                _ when fresh.Change.Action == ChangeAction.ThinPoolCreated => ChangeAction.ThinPoolRemoved,
                _ when intent.Before is null => ChangeAction.FileDeleted,
                _ => ChangeAction.FileRestored,
            },
            Path = intent.Path,
            Backup = intent.Backup,
            Before = fresh.CurrentSha256,
            After = fresh.Step == UndoStep.Delete ? null : intent.Before,
            Undoes = intent.Id,
            VolumeGroup = intent.VolumeGroup,
            Name = intent.Name,
            Devices = intent.Devices,
        });
        using (_journal.Within(undo))
        {
            string path = intent.Path!;
            switch (fresh.Step)
            {
                case UndoStep.Nothing when fresh.RemoveLeftoverBackup:
                    _host.Files.Restore(Created(intent.Backup!));
                    break;
                case UndoStep.Restore:
                    if (fresh.BackUpCurrent)
                    {
                        _host.Files.Remove(path);
                    }
                    _host.Files.Restore(new FileUpdateResult(path, _host.Files.ToHostPath(path), changed: true, created: false,
                        intent.Backup, _host.Files.ToHostPath(intent.Backup!)));
                    break;
                case UndoStep.Delete:
                    if (fresh.BackUpCurrent)
                    {
                        _host.Files.Remove(path);
                    }
                    else
                    {
                        _host.Files.Restore(Created(path));
                    }
                    break;
                case UndoStep.RemoveFolder:
                    if (!_host.Files.RemoveEmptyFolder(path))
                    {
                        throw FolderNotEmpty(fresh.Change);
                    }
                    break;
                case UndoStep.RemoveThinPool:
                    new ThinPoolRemover(_host).Apply(fresh.Pool!);
                    break;
            }
        }
        _journal.Complete(undo, ChangeOutcome.Done);
        return Describe(History().Find(undo)!);
    }

    private UndoPlan PlanFile(JournalChange change, bool force, bool created, bool removed)
    {
        JournalRecord intent = change.Intent;
        string path = intent.Path!;
        string host = _host.Files.ToHostPath(path);
        string? current = File.Exists(host) ? ChangeJournal.HashFile(host) : null;
        string? backupHost = intent.Backup is null ? null : _host.Files.ToHostPath(intent.Backup);
        bool backupHolds = backupHost is not null && File.Exists(backupHost) && ChangeJournal.HashFile(backupHost) == intent.Before;
        string by = intent.Cmdlet ?? "IsulaKata";

        if (created)
        {
            if (current is null)
            {
                return new UndoPlan(change, UndoStep.Nothing, "Nothing to remove: the file is already gone") { CurrentSha256 = current };
            }
            if (current == intent.After)
            {
                return new UndoPlan(change, UndoStep.Delete, $"Remove (created by {by})") { CurrentSha256 = current };
            }
            RefuseChanged(change, force, current);
            return new UndoPlan(change, UndoStep.Delete, $"Move aside to a backup (created by {by}, changed since: -Force keeps that content as the backup)")
            {
                CurrentSha256 = current,
                BackUpCurrent = true,
            };
        }
        if (current == intent.Before)
        {
            return new UndoPlan(change, UndoStep.Nothing, backupHolds
                ? $"Nothing to restore: the file already holds the content from before; remove the leftover backup '{intent.Backup}'"
                : "Nothing to restore: the file already holds the content from before")
            {
                CurrentSha256 = current,
                RemoveLeftoverBackup = backupHolds,
            };
        }
        if (!backupHolds)
        {
            throw Refuse("BackupMissing", FailureKind.ObjectNotFound, change,
                $"The backup '{intent.Backup}' of '{path}' is gone or no longer holds the content from before the change (SHA-256 {intent.Before}); '{path}' was left as it is.",
                $"Restore '{path}' by hand from another copy, or leave it as it is.");
        }
        bool inPlace = removed ? current is null : current == intent.After;
        if (!inPlace)
        {
            RefuseChanged(change, force, current);
        }
        string description = $"Restore from '{intent.Backup}'";
        return new UndoPlan(change, UndoStep.Restore, inPlace ? description : description + " after backing up its newer content (-Force)")
        {
            CurrentSha256 = current,
            BackUpCurrent = !inPlace && current is not null,
        };
    }

    private UndoPlan PlanFolder(JournalChange change, IReadOnlySet<string>? goingAway)
    {
        string path = change.Intent.Path!;
        string host = _host.Files.ToHostPath(path);
        if (!Directory.Exists(host))
        {
            return new UndoPlan(change, UndoStep.Nothing, "Nothing to remove: the folder is already gone");
        }
        if (Directory.EnumerateFileSystemEntries(host).Any(entry => goingAway is null || !goingAway.Contains(path.TrimEnd('/') + "/" + Path.GetFileName(entry))))
        {
            throw FolderNotEmpty(change);
        }
        return new UndoPlan(change, UndoStep.RemoveFolder, $"Remove the empty folder (created by {change.Intent.Cmdlet ?? "IsulaKata"})");
    }

    private UndoPlan PlanThinPool(JournalChange change, bool force, bool includeStorage)
    {
        JournalRecord intent = change.Intent;
        string pool = $"{intent.VolumeGroup}/{intent.Name}";
        if (!includeStorage)
        {
            throw Refuse("UndoNeedsReset", FailureKind.InvalidOperation, change,
                $"The thin pool {pool} holds iSulad's images and containers; Undo-IsulaKataChange does not destroy pools.",
                $"Remove it with 'Reset-IsulaKataHost -IncludeStorage' (everything the module did) or 'Remove-IsulaThinPool {intent.VolumeGroup} {intent.Name}'.");
        }
        try
        {
            ThinPoolPlan removal = new ThinPoolRemover(_host).Plan(intent.VolumeGroup!, intent.Name!, IsuladConfigurator.DefaultConfigPath, force);
            return new UndoPlan(change, UndoStep.RemoveThinPool, $"Remove the thin pool {pool}, its volume group and PV labels") { Pool = removal };
        }
        catch (IsulaKataException missing) when (missing.ErrorId == "ThinPoolNotFound")
        {
            var devices = new HashSet<string>(intent.Devices ?? Array.Empty<string>(), StringComparer.Ordinal);
            var left = new Lvm(_host).PhysicalVolumes().Where(pv => pv["vg_name"] == intent.VolumeGroup || devices.Contains(pv["pv_name"])).ToList();
            if (left.Count == 0)
            {
                return new UndoPlan(change, UndoStep.Nothing, $"Nothing to remove: the thin pool {pool} is already gone");
            }
            string labels = string.Join(" ", left.Select(pv => pv["pv_name"]));
            string group = left.Any(pv => pv["vg_name"] == intent.VolumeGroup) ? $"vgremove {intent.VolumeGroup}; " : string.Empty;
            throw Refuse("ThinPoolPartlyBuilt", FailureKind.InvalidOperation, change,
                $"The thin pool {pool} was never finished (its creation was {change.Outcome.ToString().ToLowerInvariant()}), but lvm still holds {labels}; nothing was removed.",
                $"Check with 'pvs' and 'lvs -a {intent.VolumeGroup}' that nothing else uses them, then remove them by hand: {group}pvremove {labels}.");
        }
    }

    private void RefuseChanged(JournalChange change, bool force, string? current)
    {
        if (force)
        {
            return;
        }
        string now = current is null ? "it was removed since" : $"it changed since (SHA-256 now {current}, {change.Intent.Cmdlet} wrote {change.Intent.After})";
        throw Refuse("ChangedSinceWritten", FailureKind.ResourceExists, change,
            $"'{change.Intent.Path}' is no longer what {change.Intent.Cmdlet ?? "IsulaKata"} wrote at {Stamp(change.Intent.Time)}: {now}. "
            + "It was left untouched, so that edit is kept.",
            "Look at the file; to undo anyway, run again with -Force, which first keeps its current content as a backup (NAME.isulakata-*.bak).");
    }

    private IsulaKataException FolderNotEmpty(JournalChange change)
        => Refuse("FolderNotEmpty", FailureKind.ResourceExists, change,
            $"The folder '{change.Intent.Path}' that {change.Intent.Cmdlet ?? "IsulaKata"} created is not empty any more; it was kept.",
            $"Look at what is in '{change.Intent.Path}' now; remove the folder by hand if nothing in it is needed.");

    private FileUpdateResult Created(string path) => new(path, _host.Files.ToHostPath(path), changed: true, created: true, null, null);

    private static bool InEffect(JournalChange change) => change.Outcome is ChangeOutcome.Done or ChangeOutcome.Interrupted;

    private static string Stamp(DateTime time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static IsulaKataException Refuse(string id, FailureKind kind, JournalChange change, string message, string action)
        => new(id, kind, message, action, change.Intent.Path ?? change.Id);
}
