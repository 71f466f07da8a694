using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using IsulaKata.Core;

namespace IsulaKata.Journal;

/// <summary>
/// The journal of one target system: <c>/var/lib/isulakata/journal.jsonl</c> under its root, one JSON object a line.
/// Each line is appended with a single write() on a descriptor opened with O_APPEND, then fsynced: the kernel places
/// each such write whole at the end of the file, so concurrent writers never interleave and a crash leaves at most a torn last line, which readers skip with
/// a warning. The file is resolved under the root like every other file (a symbolic link that leaves the root is
/// refused), but it is written here, not through <see cref="HostFiles"/>, so the journal never journals itself.
/// </summary>
public sealed class ChangeJournal : IChangeJournal
{
    /// <summary>The journal's place on the target system.</summary>
    public const string DefaultPath = "/var/lib/isulakata/journal.jsonl";

    /// <summary>Names another journal file for this host (-Root /) only, e.g. when /var is read-only.</summary>
    public const string EnvironmentVariable = "ISULAKATA_JOURNAL";

    private static readonly UnixFileMode FolderMode = (UnixFileMode)Convert.ToInt32("755", 8);
    private static readonly uint JournalFileMode = (uint)Convert.ToInt32("644", 8);
    private readonly HostFiles _files;
    private readonly string _cmdlet;
    private readonly Action<string> _warn;
    private readonly HashSet<string> _checked = new(StringComparer.Ordinal);
    private readonly HashSet<string> _begun = new(StringComparer.Ordinal);
    private readonly Stack<string?> _scope = new();
    private bool _tornReported;
    private JournalHistory? _seen; // what Check last read; dropped whenever this journal appends

    public ChangeJournal(HostFiles files, string cmdlet, Action<string> warn)
    {
        _files = files;
        _cmdlet = cmdlet;
        _warn = warn;
    }

    /// <summary>The root of the target system the journal belongs to.</summary>
    public string Root => _files.Root;

    /// <summary>The journal file on this machine.</summary>
    public string HostPath
    {
        get
        {
            string? moved = Environment.GetEnvironmentVariable(EnvironmentVariable);
            return _files.IsLiveHost && !string.IsNullOrEmpty(moved) && moved.StartsWith('/') ? moved : _files.ToHostPath(DefaultPath);
        }
    }

    /// <summary>Every whole record, oldest first; a line that is not whole JSON (a crash mid-write) is skipped with a warning.</summary>
    public IReadOnlyList<JournalRecord> Read()
    {
        string host = HostPath;
        if (!File.Exists(host))
        {
            return Array.Empty<JournalRecord>();
        }
        string[] lines;
        // Shared for reading and writing: a reader never stands in the way of a writer.
        using (var stream = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            lines = reader.ReadToEnd().Split('\n');
        }
        var records = new List<JournalRecord>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            JournalRecord? record = JournalRecord.Parse(lines[i]);
            if (record is not null)
            {
                records.Add(record);
            }
            else if (!_tornReported)
            {
                _tornReported = true;
                _warn(i == lines.Length - 1
                    ? $"The journal '{host}' ends in a torn line (line {i + 1}, written when a process died mid-write); it was skipped."
                    : $"Line {i + 1} of the journal '{host}' is not a whole JSON record; it was skipped.");
            }
        }
        return records;
    }

    public JournalHistory History() => JournalHistory.Build(Read());

    public string? BeginFileChange(FileChangeKind kind, string path, string? existingHostPath, string? backupPath, byte[]? content)
    {
        Check(path);
        string? before = existingHostPath is not null && File.Exists(existingHostPath) ? HashFile(existingHostPath) : null;
        return Begin(new JournalRecord
        {
            Action = Classify(kind, path, before is null),
            Path = path,
            Backup = backupPath,
            Before = before,
            After = content is null ? null : Hash(content),
        });
    }

    public string? BeginThinPoolChange(ChangeAction action, string devicePath, string volumeGroup, string name, IReadOnlyList<string> devices, string? profilePath)
    {
        Check(devicePath);
        return Begin(new JournalRecord
        {
            Action = action,
            Path = devicePath,
            VolumeGroup = volumeGroup,
            Name = name,
            Devices = devices.ToArray(),
            Profile = profilePath,
        });
    }

    /// <summary>Records the intent of a change (an undo, for one); returns its id.</summary>
    public string Begin(JournalRecord record)
    {
        string id = Guid.NewGuid().ToString("N").Substring(0, 12);
        _begun.Add(id);
        Append(record with
        {
            Id = id,
            State = JournalRecord.Intent,
            Time = DateTime.UtcNow,
            Pid = Environment.ProcessId,
            Cmdlet = _cmdlet.Length == 0 ? null : _cmdlet,
            PartOf = record.PartOf ?? (_scope.Count > 0 ? _scope.Peek() : null),
        });
        return id;
    }

    public void Complete(string? id, ChangeOutcome outcome)
    {
        if (id is null)
        {
            return;
        }
        Append(new JournalRecord
        {
            Id = id,
            State = outcome == ChangeOutcome.Done ? JournalRecord.DoneState : JournalRecord.RolledBackState,
            Time = DateTime.UtcNow,
            Pid = Environment.ProcessId,
        });
    }

    public void Check(string path)
    {
        if (!_checked.Add(path))
        {
            return;
        }
        _seen ??= History();
        JournalChange? latest = _seen.Latest(path);
        // A change this journal began is in progress here (an undo removing a pool), not interrupted.
        if (latest is null || latest.Outcome != ChangeOutcome.Interrupted || _begun.Contains(latest.Id))
        {
            return;
        }
        string root = _files.Root == "/" ? string.Empty : $" -Root '{_files.Root}'";
        string who = latest.Intent.Cmdlet ?? "an IsulaKata command";
        string when = latest.Intent.Time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        string how = latest.IsThinPool
            ? $"To remove what it built, run 'Reset-IsulaKataHost{root} -IncludeStorage' (or Remove-IsulaThinPool {latest.Intent.VolumeGroup} {latest.Intent.Name}); "
              + $"to finish it, run {who} again."
            : $"To go back to the content from before it, run 'Get-IsulaKataChange{root} | Where-Object Id -eq {latest.Id} | Undo-IsulaKataChange'; "
              + $"to finish it, run {who} again.";
        _warn($"The journal shows an interrupted change to '{path}': {who} ({latest.Action}) began at {when} and never finished "
            + $"(the process ended in the middle, e.g. a crash or kill -9). {how}");
    }

    public void FinishInterrupted(string path)
    {
        foreach (JournalChange change in History().Changes.Where(c => c.Intent.Path == path && c.Outcome == ChangeOutcome.Interrupted && c.Intent.PartOf is null))
        {
            Append(new JournalRecord
            {
                Id = change.Id,
                State = JournalRecord.DoneState,
                Time = DateTime.UtcNow,
                Pid = Environment.ProcessId,
                Note = $"finished by {_cmdlet}",
            });
        }
    }

    public IDisposable Within(string? id)
    {
        _scope.Push(id);
        return new ScopeEnd(_scope);
    }

    /// <summary>SHA-256 of a file on this machine, upper-case hex (as Get-FileHash prints it).</summary>
    public static string HashFile(string hostPath)
    {
        using var stream = new FileStream(hostPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    private static string Hash(byte[] content) => Convert.ToHexString(SHA256.HashData(content));

    private ChangeAction Classify(FileChangeKind kind, string path, bool created) => kind switch
    {
        FileChangeKind.Remove => ChangeAction.FileRemoved,
        FileChangeKind.CreateFolder => ChangeAction.FolderCreated,
        FileChangeKind.Place => ChangeAction.KernelPlaced,
        _ when path.StartsWith("/etc/modules-load.d/", StringComparison.Ordinal) => ChangeAction.ModulePersisted,
        _ when _cmdlet == "Set-KataHypervisor" && !path.EndsWith(".toml", StringComparison.Ordinal) => ChangeAction.WrapperWritten,
        _ => created ? ChangeAction.FileCreated : ChangeAction.FileWritten,
    };

    /// <summary>Appends one line with one write() on an O_APPEND descriptor, then fsyncs it.</summary>
    private void Append(JournalRecord record)
    {
        string host = HostPath;
        string folder = System.IO.Path.GetDirectoryName(host)!;
        bool created = !File.Exists(host);
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, FolderMode);
        }
        byte[] line = record.ToLine();
        _seen = null;
        int fd = Native.Open(host, Native.WriteOnly | Native.Create | Native.Append | Native.CloseOnExec, JournalFileMode);
        if (fd < 0)
        {
            throw Unwritable(host, Marshal.GetLastPInvokeError());
        }
        try
        {
            if (EndsTorn(host))
            {
                // A crash left half a line: end it, so this record starts a line of its own.
                line = new[] { (byte)'\n' }.Concat(line).ToArray();
            }
            int written = 0;
            while (written < line.Length)
            {
                byte[] rest = written == 0 ? line : line[written..];
                nint n = Native.Write(fd, rest, rest.Length);
                if (n <= 0)
                {
                    throw Unwritable(host, Marshal.GetLastPInvokeError());
                }
                written += (int)n;
            }
            if (Native.Fsync(fd) != 0)
            {
                throw Unwritable(host, Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            Native.Close(fd);
        }
        if (created)
        {
            int dir = Native.Open(folder, 0);
            if (dir >= 0)
            {
                Native.Fsync(dir);
                Native.Close(dir);
            }
        }
    }

    /// <summary>True when the file's last byte is not a newline (a torn last line). Two writers that both see it add an
    /// empty line, which readers pass over.</summary>
    private static bool EndsTorn(string host)
    {
        using var stream = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length == 0)
        {
            return false;
        }
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() != '\n';
    }

    private IsulaKataException Unwritable(string host, int errno)
        => new("JournalWriteFailed", FailureKind.PermissionDenied,
            $"Cannot write the change journal '{host}' (errno {errno}); the change was not made, because a change the journal does not record could not be undone.",
            $"Run the cmdlet as a user who can write '{System.IO.Path.GetDirectoryName(host)}' (usually root), or free space on its filesystem.", host);

    private sealed class ScopeEnd : IDisposable
    {
        private Stack<string?>? _scope;

        public ScopeEnd(Stack<string?> scope) => _scope = scope;

        public void Dispose()
        {
            _scope?.Pop();
            _scope = null;
        }
    }
}
