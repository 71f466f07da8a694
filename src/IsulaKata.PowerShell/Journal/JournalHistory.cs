using System;
using System.Collections.Generic;
using System.Linq;

namespace IsulaKata.Journal;

/// <summary>One change as the journal tells it: its intent, how it ended, whether it was undone, its steps.</summary>
public sealed class JournalChange
{
    internal JournalChange(JournalRecord intent, int sequence)
    {
        Intent = intent;
        Sequence = sequence;
    }

    public JournalRecord Intent { get; }

    /// <summary>The position of the intent line in the journal (0 = oldest).</summary>
    public int Sequence { get; }

    public string Id => Intent.Id;
    public ChangeAction Action => Intent.Action ?? ChangeAction.FileWritten;

    /// <summary>The ending line's state ("done", "rolledBack"), null while there is none.</summary>
    public string? Ending { get; internal set; }

    /// <summary>The completed undo of this change, if any.</summary>
    public JournalChange? UndoneBy { get; internal set; }

    /// <summary>The changes made as steps of this one (newest last).</summary>
    public List<JournalChange> Steps { get; } = new();

    public ChangeOutcome Outcome => UndoneBy is not null ? ChangeOutcome.Undone
        : Ending == JournalRecord.DoneState ? ChangeOutcome.Done
        : Ending == JournalRecord.RolledBackState ? ChangeOutcome.RolledBack
        : ChangeOutcome.Interrupted;

    /// <summary>An undo's own record (it restores, deletes or removes on behalf of another change).</summary>
    public bool IsUndo => Intent.Undoes is not null;

    public bool IsThinPool => Action is ChangeAction.ThinPoolCreated or ChangeAction.ThinPoolRemoved;
}

/// <summary>The journal read back: every change in order, with endings, undos and steps tied to it.</summary>
public sealed class JournalHistory
{
    private JournalHistory(List<JournalChange> changes) => Changes = changes;

    /// <summary>Every change, oldest first.</summary>
    public IReadOnlyList<JournalChange> Changes { get; }

    public JournalChange? Find(string id) => Changes.FirstOrDefault(c => c.Id == id);

    /// <summary>The newest change to <paramref name="path"/> (an undo counts), or null.</summary>
    public JournalChange? Latest(string path) => Changes.LastOrDefault(c => string.Equals(c.Intent.Path, path, StringComparison.Ordinal));

    public static JournalHistory Build(IEnumerable<JournalRecord> records)
    {
        var changes = new List<JournalChange>();
        var byId = new Dictionary<string, JournalChange>(StringComparer.Ordinal);
        foreach (JournalRecord record in records)
        {
            if (record.State == JournalRecord.Intent)
            {
                if (!byId.ContainsKey(record.Id))
                {
                    var change = new JournalChange(record, changes.Count);
                    changes.Add(change);
                    byId[record.Id] = change;
                }
            }
            else if (byId.TryGetValue(record.Id, out JournalChange? change) && change.Ending is null)
            {
                change.Ending = record.State;
            }
        }
        foreach (JournalChange change in changes)
        {
            if (change.Intent.PartOf is string parent && byId.TryGetValue(parent, out JournalChange? owner))
            {
                owner.Steps.Add(change);
            }
            if (change.Intent.Undoes is string undone && change.Ending == JournalRecord.DoneState && byId.TryGetValue(undone, out JournalChange? target))
            {
                target.UndoneBy = change;
            }
        }
        return new JournalHistory(changes);
    }
}
