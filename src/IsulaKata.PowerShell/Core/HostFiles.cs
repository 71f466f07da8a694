using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using IsulaKata.Journal;

namespace IsulaKata.Core;

/// <summary>The outcome of one file update.</summary>
public sealed class FileUpdateResult
{
    internal FileUpdateResult(string path, string hostPath, bool changed, bool created, string? backupPath, string? backupHostPath)
    {
        Path = path;
        HostPath = hostPath;
        Changed = changed;
        Created = created;
        BackupPath = backupPath;
        BackupHostPath = backupHostPath;
    }

    /// <summary>The file as the target system sees it.</summary>
    public string Path { get; }

    /// <summary>The file on this machine (under the root).</summary>
    public string HostPath { get; }

    public bool Changed { get; }
    public bool Created { get; }

    /// <summary>The backup of the previous content, as the target system sees it; null when none was made.</summary>
    public string? BackupPath { get; }

    internal string? BackupHostPath { get; }

    /// <summary>journal: the id of the journal entry of this change (a rollback marks it rolled back).</summary>
    internal string? ChangeId { get; init; }
}

/// <summary>How a file is written.</summary>
public sealed class FileWriteOptions
{
    /// <summary>Mode of a new file, or the mode forced on an existing one. Existing files keep their mode when null.</summary>
    public UnixFileMode? Mode { get; init; }

    /// <summary>Owner forced on the file (uid, gid). Existing files keep their owner when null.</summary>
    public (uint Uid, uint Gid)? Owner { get; init; }
}

/// <summary>
/// Every file the module reads or changes goes through here. Paths are target-system paths resolved
/// under <see cref="Root"/>; symlinks that lead outside the root are refused; writes are atomic (temp file
/// in the same folder, fsync, rename), keep mode and owner, keep a timestamped backup
/// (<c>NAME.isulakata-yyyyMMddHHmmss.bak</c>) and are serialised by an advisory lock on the folder held
/// across read-modify-write.
/// </summary>
public sealed class HostFiles
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly Action<string> _log;
    private readonly CancellationToken _cancellation;
    private readonly Func<DateTime> _clock;
    private readonly string _realRoot;

    public HostFiles(string root, Action<string> log, CancellationToken cancellation, Func<DateTime>? clock = null)
    {
        if (!System.IO.Path.IsPathRooted(root))
        {
            throw new IsulaKataException("RootNotAbsolute", FailureKind.InvalidArgument,
                $"The root '{root}' is not an absolute path.", "Pass -Root as an absolute path, or leave it out for '/'.", root);
        }
        if (!Directory.Exists(root))
        {
            throw new IsulaKataException("RootNotFound", FailureKind.ObjectNotFound,
                $"The root folder '{root}' does not exist.", "Create or mount the folder first, or leave -Root out for '/'.", root);
        }
        Root = TrimSlash(System.IO.Path.GetFullPath(root));
        _realRoot = TrimSlash(RealPath(Root));
        // A log line never breaks a write or a rollback: a sink that throws (WriteVerbose while the pipeline stops, say)
        // would otherwise leave a folder, a wrapper or a journal intent behind between two steps that belong together.
        _log = message =>
        {
            try
            {
                log(message);
            }
            catch (Exception)
            {
                // The line is dropped; the change goes on to its end.
            }
        };
        _cancellation = cancellation;
        _clock = clock ?? (() => DateTime.Now);
    }

    /// <summary>journal: where every change made here is recorded (intent before the rename, done after it); set by HostContext.</summary>
    public IChangeJournal Journal { get; internal set; } = NoJournal.Instance;

    /// <summary>The folder the target system lives in; '/' for this host.</summary>
    public string Root { get; }

    /// <summary>True when the target is this running host, so host commands may run.</summary>
    public bool IsLiveHost => _realRoot == "/";

    /// <summary>Maps a target-system path to the file on this machine, refusing any path that leaves the root.</summary>
    public string ToHostPath(string path) => ToHostPath(path, out _);

    private string ToHostPath(string path, out bool followedLink)
    {
        followedLink = false;
        if (!path.StartsWith('/'))
        {
            throw new IsulaKataException("PathNotAbsolute", FailureKind.InvalidArgument,
                $"'{path}' is not an absolute path of the target system.",
                "Give the path as the target system sees it, starting with '/' (for example /etc/isulad/daemon.json).", path);
        }
        if (path.Contains('\0'))
        {
            throw new IsulaKataException("InvalidFilePath", FailureKind.InvalidArgument,
                $"'{path.Replace("\0", "\\0", StringComparison.Ordinal)}' holds a NUL character, which no path can hold.",
                "Give the path without the NUL character.", path);
        }
        string current = _realRoot;
        var pending = new Stack<string>(Reverse(path.Split('/', StringSplitOptions.RemoveEmptyEntries)));
        int hops = 0;
        bool missing = false;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                current = current == _realRoot ? Escape(path, "..") : TrimSlash(System.IO.Path.GetDirectoryName(current) ?? "/");
                continue;
            }
            string candidate = current == "/" ? "/" + part : current + "/" + part;
            if (missing)
            {
                current = candidate;
                continue;
            }
            if (!Native.TryStat(candidate, out var stat, followLinks: false))
            {
                // Absent, under a file (ENOTDIR) or not readable: the rest of the path holds no link we can see; opening it tells.
                missing = true;
                current = candidate;
                continue;
            }
            if ((stat.Mode & Native.FileTypeMask) != Native.SymlinkType)
            {
                current = candidate;
                continue;
            }
            string link = new FileInfo(candidate).LinkTarget ?? string.Empty;
            followedLink = true;
            if (++hops > 40)
            {
                throw new IsulaKataException("TooManySymlinks", FailureKind.InvalidData,
                    $"Resolving '{path}' followed more than 40 symbolic links.", "Fix the symbolic link loop under the root.", path);
            }
            string resolved = System.IO.Path.GetFullPath(link.StartsWith('/') ? link : System.IO.Path.Combine(current, link));
            if (!IsUnderRoot(resolved))
            {
                Escape(path, link);
            }
            // Continue from the link's target: push its remaining parts in front of what is left.
            string relative = resolved.Length <= _realRoot.Length ? string.Empty : resolved.Substring(_realRoot == "/" ? 1 : _realRoot.Length + 1);
            foreach (string p in Reverse(relative.Split('/', StringSplitOptions.RemoveEmptyEntries)))
            {
                pending.Push(p);
            }
            current = _realRoot;
        }
        return current;
    }

    /// <summary>The target-system path of a file on this machine (drops the root prefix).</summary>
    public string ToTargetPath(string hostPath)
    {
        if (_realRoot == "/")
        {
            return hostPath;
        }
        return hostPath.Length == _realRoot.Length ? "/" : hostPath.Substring(_realRoot.Length);
    }

    public bool FileExists(string path) => File.Exists(ToHostPath(path));

    public bool DirectoryExists(string path) => Directory.Exists(ToHostPath(path));

    /// <summary>
    /// The file's text (a UTF-8 byte order mark dropped), or null when it does not exist. Only a regular file is read;
    /// a folder, FIFO, device or socket at the path is refused (never waited on), and so are bytes that are not UTF-8.
    /// </summary>
    public string? ReadText(string path)
    {
        Journal.Check(path); // journal: warn about an interrupted earlier change
        byte[]? bytes = ReadBytes(path);
        return bytes is null ? null : Decode(bytes, path, out _);
    }

    /// <summary>The bytes of a regular file, or null when it does not exist.</summary>
    public byte[]? ReadBytes(string path)
    {
        string host = ToFileHostPath(path);
        using var folder = OpenFolder(path, host, create: null, forLock: false);
        if (folder is null)
        {
            return null;
        }
        return ReadRegular(folder.Fd, System.IO.Path.GetFileName(host), path, out _);
    }

    /// <summary>
    /// A file of this machine outside any root (a source the user named, e.g. Install-KataGuestKernel -Path), read with
    /// the same care: only a regular file, never waited on. Null when it does not exist.
    /// </summary>
    public static byte[]? ReadLocalFile(string path)
    {
        if (path.Contains('\0'))
        {
            throw new IsulaKataException("InvalidFilePath", FailureKind.InvalidArgument,
                $"'{path.Replace("\0", "\\0", StringComparison.Ordinal)}' holds a NUL character, which no path can hold.", "Give the path without the NUL character.", path);
        }
        string full = System.IO.Path.GetFullPath(path);
        string folder = System.IO.Path.GetDirectoryName(full) ?? "/";
        int dirFd = Native.Open(folder, Native.OpenPath | Native.OpenDirectory | Native.CloseOnExec);
        if (dirFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is Native.NoSuchFile or NotADirectory ? null : throw FileSystemError(errno, "read", path);
        }
        try
        {
            string name = System.IO.Path.GetFileName(full);
            if (name.Length == 0)
            {
                throw NotRegular(Native.DirectoryType, path);
            }
            // The user named this file: a symbolic link at its name is followed, once, to a regular file.
            if (Native.TryStatAt(dirFd, name, out var link) && (link.Mode & Native.FileTypeMask) == Native.SymlinkType)
            {
                return Native.TryStat(full, out _) ? ReadLocalFile(new FileInfo(full).ResolveLinkTarget(true)!.FullName) : null;
            }
            return ReadRegular(dirFd, name, path, out _);
        }
        finally
        {
            Native.Close(dirFd);
        }
    }

    /// <summary>Writes <paramref name="content"/> unless the file already holds exactly that.</summary>
    public FileUpdateResult Write(string path, string content, FileWriteOptions? options = null)
        => Update(path, _ => content, options);

    /// <summary>
    /// Read-modify-write under the folder's lock. <paramref name="transform"/> gets the current text (null when
    /// the file does not exist) and returns the new text; returning the same text or null writes nothing.
    /// An exception from <paramref name="transform"/> leaves the file untouched. A byte order mark is kept.
    /// </summary>
    public FileUpdateResult Update(string path, Func<string?, string?> transform, FileWriteOptions? options = null)
        => Change(path, options, FileChangeKind.Write, before =>
        {
            string? beforeText = before is null ? null : Decode(before, path, out bool bom);
            string? after = transform(beforeText);
            if (after is null || (beforeText is not null && string.Equals(beforeText, after, StringComparison.Ordinal)))
            {
                return null;
            }
            byte[] encoded = Encode(after, path);
            return before is not null && HasBom(before) ? Concat(Utf8Bom, encoded) : encoded;
        });

    /// <summary>Writes <paramref name="content"/> as it is (binaries such as kernels) unless the file already holds it.</summary>
    public FileUpdateResult WriteBytes(string path, byte[] content, FileWriteOptions? options = null)
        => WriteBytes(path, content, options, FileChangeKind.Write);

    private FileUpdateResult WriteBytes(string path, byte[] content, FileWriteOptions? options, FileChangeKind kind)
        => Change(path, options, kind, before => before is not null && before.AsSpan().SequenceEqual(content) ? null : content);

    /// <summary>Places a file's bytes (the guest kernel) in the target atomically; journaled as placed, not written.</summary>
    public FileUpdateResult PlaceBytes(string path, byte[] content, FileWriteOptions? options = null)
        => WriteBytes(path, content, options, FileChangeKind.Place);

    /// <summary>Puts the content a backup holds back in place (no new backup) and removes the backup;
    /// deletes a file the update created. Used to roll back a change that did not work. Logs only after it is done.</summary>
    public void Restore(FileUpdateResult update)
    {
        if (!update.Changed)
        {
            return;
        }
        string name = System.IO.Path.GetFileName(update.HostPath);
        using var folder = OpenFolder(update.Path, update.HostPath, create: null, forLock: true)
            ?? throw FileSystemError(Native.NoSuchFile, "restore", update.Path);
        Lock(folder, update.Path);
        if (update.Created)
        {
            if (Native.UnlinkAt(folder.Fd, name, 0) != 0 && Marshal.GetLastPInvokeError() is int errno && errno != Native.NoSuchFile)
            {
                throw FileSystemError(errno, "remove", update.Path);
            }
            Native.Fsync(folder.Fd);
            Journal.Complete(update.ChangeId, ChangeOutcome.RolledBack); // journal
            _log($"Rolled back: removed '{update.Path}', which this call created.");
            return;
        }
        if (Native.RenameAt(folder.Fd, System.IO.Path.GetFileName(update.BackupHostPath!), folder.Fd, name, 0) != 0)
        {
            throw FileSystemError(Marshal.GetLastPInvokeError(), "restore", update.Path);
        }
        Native.Fsync(folder.Fd);
        Journal.Complete(update.ChangeId, ChangeOutcome.RolledBack); // journal
        _log($"Rolled back: restored '{update.Path}' from '{update.BackupPath}'.");
    }

    /// <summary>Removes a file, keeping its content as a backup. Returns null when there was nothing to remove.</summary>
    public FileUpdateResult? Remove(string path)
    {
        string host = ToFileHostPath(path);
        string name = System.IO.Path.GetFileName(host);
        using var folder = OpenFolder(path, host, create: null, forLock: true);
        if (folder is null)
        {
            return null;
        }
        Lock(folder, path);
        if (!Native.TryStatAt(folder.Fd, name, out var stat))
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Native.NoSuchFile ? null : throw FileSystemError(errno, "read", path);
        }
        RequireRegular(stat.Mode, path);
        // The backup's name is chosen first (under the folder's lock) so that the intent names it: undoing the removal
        // puts that file back.
        string backup = FreeBackupName(folder.Fd, name, path);
        string? change = Journal.BeginFileChange(FileChangeKind.Remove, path, host,
            ToTargetPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(host)!, backup)), null); // journal: intent
        try
        {
            if (Native.RenameAt(folder.Fd, name, folder.Fd, backup, Native.RenameNoReplace) != 0)
            {
                throw FileSystemError(Marshal.GetLastPInvokeError(), "remove", path);
            }
        }
        catch
        {
            Journal.Complete(change, ChangeOutcome.RolledBack); // journal: nothing moved
            throw;
        }
        Native.Fsync(folder.Fd);
        Journal.Complete(change, ChangeOutcome.Done); // journal: done
        string backupHost = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(host)!, backup);
        _log($"Removed '{path}' (kept as '{ToTargetPath(backupHost)}').");
        return new FileUpdateResult(path, host, changed: true, created: false, ToTargetPath(backupHost), backupHost) { ChangeId = change };
    }

    /// <summary>
    /// The one write path. Under the folder's lock: read the current bytes (a regular file or nothing), ask
    /// <paramref name="produce"/> for the new bytes (null: nothing to write), then write a temp file and a backup made
    /// from the bytes read (never reopened), fsync both, rename the temp file over the file. Nothing that can throw on
    /// Ctrl+C runs in between (no log until the end, the cancellation token is not looked at); on any failure
    /// everything this call created (temp file, backup, folders) is removed and the file is as it was.
    /// </summary>
    private FileUpdateResult Change(string path, FileWriteOptions? options, FileChangeKind kind, Func<byte[]?, byte[]?> produce)
    {
        string host = ToFileHostPath(path, forWrite: true);
        string name = System.IO.Path.GetFileName(host);
        var created = new List<string>();
        bool done = false;
        OpenedFolder? folder = null;
        try
        {
            folder = OpenFolder(path, host, created, forLock: true)!;
            Lock(folder, path);
            Journal.Check(path); // journal: warn about an interrupted earlier change
            byte[]? before = ReadRegular(folder.Fd, name, path, out Native.StatxBuffer stat);
            byte[]? after = produce(before);
            if (after is null && (before is null || !NeedsAttributeChange(stat, options)))
            {
                _log($"'{path}' already holds the wanted content; nothing written.");
                return new FileUpdateResult(path, host, changed: false, created: false, null, null);
            }
            FileUpdateResult result = WriteLocked(folder.Fd, path, host, before, before is null ? null : stat, after ?? before!, options, kind, created);
            done = true;
            foreach (string folderCreated in created)
            {
                _log($"Created folder '{ToTargetPath(folderCreated)}'.");
            }
            _log(result.BackupPath is null ? $"Wrote '{path}'." : $"Wrote '{path}' (the previous content is in '{result.BackupPath}').");
            return result;
        }
        finally
        {
            folder?.Dispose();
            if (!done)
            {
                for (int i = created.Count - 1; i >= 0; i--)
                {
                    Native.UnlinkAt(-100, created[i], Native.AtRemoveDir);
                }
            }
        }
    }

    private FileUpdateResult WriteLocked(int dirFd, string path, string host, byte[]? before, Native.StatxBuffer? beforeStat, byte[] content, FileWriteOptions? options,
        FileChangeKind kind, List<string> createdFolders)
    {
        string name = System.IO.Path.GetFileName(host);
        string temp = "." + name + ".isulakata-" + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
        string? backup = null;
        string? change = null; // journal
        var folderChanges = new List<string?>(); // journal
        bool renamed = false; // journal
        try
        {
            // journal: each folder this call made, then the intent (before and after hashes) before anything is renamed;
            // all of them complete when the rename did, or are rolled back with it (the folders are removed then).
            foreach (string folderCreated in createdFolders)
            {
                folderChanges.Add(Journal.BeginFileChange(FileChangeKind.CreateFolder, ToTargetPath(folderCreated), null, null, null));
            }
            uint mode = options?.Mode is UnixFileMode wanted ? (uint)wanted : beforeStat is { } s ? (uint)(s.Mode & 0xFFF) : 420u; // 0644
            (uint Uid, uint Gid)? owner = options?.Owner ?? (beforeStat is { } o ? (o.Uid, o.Gid) : null);
            WriteNew(dirFd, temp, content, mode, owner, path);
            if (before is not null)
            {
                backup = CreateBackup(dirFd, name, before, beforeStat!.Value, path);
            }
            string? backupTarget = backup is null ? null : ToTargetPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(host)!, backup));
            change = Journal.BeginFileChange(kind, path, before is null ? null : host, backupTarget, content); // journal: intent
            if (Native.RenameAt(dirFd, temp, dirFd, name, 0) != 0)
            {
                throw FileSystemError(Marshal.GetLastPInvokeError(), "write", path);
            }
            renamed = true; // journal
            temp = string.Empty;
            Native.Fsync(dirFd);
            foreach (string? made in folderChanges)
            {
                Journal.Complete(made, ChangeOutcome.Done); // journal: the folders stay
            }
            Journal.Complete(change, ChangeOutcome.Done); // journal: done
        }
        catch
        {
            if (temp.Length > 0)
            {
                Native.UnlinkAt(dirFd, temp, 0);
            }
            if (backup is not null && !renamed)
            {
                Native.UnlinkAt(dirFd, backup, 0);
            }
            if (!renamed)
            {
                Journal.Complete(change, ChangeOutcome.RolledBack); // journal: the rename did not happen
                foreach (string? made in folderChanges)
                {
                    Journal.Complete(made, ChangeOutcome.RolledBack); // journal: Change removes the folders it made
                }
            }
            throw;
        }
        string? backupHost = backup is null ? null : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(host)!, backup);
        return new FileUpdateResult(path, host, changed: true, created: before is null, backupHost is null ? null : ToTargetPath(backupHost), backupHost) { ChangeId = change };
    }

    /// <summary>Creates <paramref name="name"/> (it must not exist), writes, sets mode and owner and fsyncs on the one descriptor.</summary>
    private static void WriteNew(int dirFd, string name, byte[] content, uint mode, (uint Uid, uint Gid)? owner, string path)
    {
        int fd = Native.OpenAt(dirFd, name, Native.OpenWriteOnly | Native.OpenCreate | Native.OpenExclusive | Native.OpenNoFollow | Native.CloseOnExec, 384); // 0600 until done
        if (fd < 0)
        {
            throw FileSystemError(Marshal.GetLastPInvokeError(), "write", path);
        }
        try
        {
            int errno = Native.WriteAll(fd, content);
            if (errno != 0)
            {
                throw FileSystemError(errno, "write", path);
            }
            if (owner is (uint uid, uint gid) && Native.TryStat(fd, out var stat) && (stat.Uid != uid || stat.Gid != gid)
                && Native.FileChangeOwner(fd, uid, gid) != 0)
            {
                throw new IsulaKataException("CannotKeepOwner", FailureKind.PermissionDenied,
                    $"Cannot give '{path}' the owner {uid}:{gid} ({Native.ErrorText(Marshal.GetLastPInvokeError())}); the original file was left as it was.",
                    "Run the cmdlet as root (sudo pwsh) so files keep their owner.", path);
            }
            if (Native.FileChangeMode(fd, mode) != 0 || Native.Fsync(fd) != 0)
            {
                throw FileSystemError(Marshal.GetLastPInvokeError(), "write", path);
            }
        }
        catch
        {
            // The file is ours (O_EXCL): a half-written temp file or backup never stays behind.
            Native.Close(fd);
            fd = -1;
            Native.UnlinkAt(dirFd, name, 0);
            throw;
        }
        finally
        {
            if (fd >= 0)
            {
                Native.Close(fd);
            }
        }
    }

    private string CreateBackup(int dirFd, string name, byte[] before, Native.StatxBuffer stat, string path)
    {
        string stamp = _clock().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        for (int n = 0; ; n++)
        {
            string candidate = n == 0 ? $"{name}.isulakata-{stamp}.bak" : $"{name}.isulakata-{stamp}-{n}.bak";
            if (Native.TryStatAt(dirFd, candidate, out _))
            {
                continue;
            }
            WriteNew(dirFd, candidate, before, (uint)(stat.Mode & 0xFFF), (stat.Uid, stat.Gid), path);
            return candidate;
        }
    }

    /// <summary>The first backup name (<c>NAME.isulakata-yyyyMMddHHmmss[-n].bak</c>) nothing in the folder has.</summary>
    private string FreeBackupName(int dirFd, string name, string path)
    {
        string stamp = _clock().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        for (int n = 0; ; n++)
        {
            string candidate = n == 0 ? $"{name}.isulakata-{stamp}.bak" : $"{name}.isulakata-{stamp}-{n}.bak";
            if (!Native.TryStatAt(dirFd, candidate, out _))
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == Native.NoSuchFile ? candidate : throw FileSystemError(errno, "remove", path);
            }
        }
    }

    /// <summary>Reads <paramref name="name"/> in the folder if it is a regular file (null when absent); refuses anything else without waiting on it.</summary>
    private static byte[]? ReadRegular(int dirFd, string name, string path, out Native.StatxBuffer stat)
    {
        stat = default;
        int fd = Native.OpenAt(dirFd, name, Native.OpenReadOnly | Native.OpenNonBlocking | Native.OpenNoControllingTerminal | Native.OpenNoFollow | Native.CloseOnExec, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Native.NoSuchFile)
            {
                return null;
            }
            if (errno == NoDeviceOrAddress || errno == IsADirectoryErrno)
            {
                // A socket (ENXIO) cannot be opened at all; tell what stands there.
                ushort type = Native.TryStatAt(dirFd, name, out var what) ? (ushort)(what.Mode & Native.FileTypeMask) : (ushort)0;
                throw NotRegular(type, path);
            }
            throw FileSystemError(errno, "read", path);
        }
        try
        {
            if (!Native.TryStat(fd, out stat))
            {
                throw FileSystemError(Marshal.GetLastPInvokeError(), "read", path);
            }
            RequireRegular(stat.Mode, path);
            using var buffer = new MemoryStream();
            int readErrno = Native.ReadAll(fd, buffer);
            if (readErrno != 0)
            {
                throw FileSystemError(readErrno, "read", path);
            }
            return buffer.ToArray();
        }
        finally
        {
            Native.Close(fd);
        }
    }

    private static void RequireRegular(ushort mode, string path)
    {
        if ((mode & Native.FileTypeMask) != Native.RegularFileType)
        {
            throw NotRegular((ushort)(mode & Native.FileTypeMask), path);
        }
    }

    private static IsulaKataException NotRegular(ushort type, string path)
    {
        string what = type switch
        {
            Native.DirectoryType => "a folder",
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            Native.SymlinkType => "a symbolic link that appeared while it was being opened",
            _ => "not a regular file",
        };
        return new IsulaKataException("NotARegularFile", FailureKind.InvalidData,
            $"'{path}' is {what}, not a regular file; it was neither read nor replaced.",
            "Move what stands at that path away (or give the path of a regular file), then run the command again.", path);
    }

    private static bool NeedsAttributeChange(Native.StatxBuffer stat, FileWriteOptions? options)
        => (options?.Mode is UnixFileMode mode && (stat.Mode & 0xFFF) != (int)mode)
            || (options?.Owner is (uint uid, uint gid) && (stat.Uid != uid || stat.Gid != gid));

    /// <summary>
    /// Resolves <paramref name="path"/> for a file operation: not the root itself, no NUL, no trailing '/', '.' or '..'.
    /// For a write, a symbolic link whose target does not exist is refused (the file would be created elsewhere).
    /// </summary>
    private string ToFileHostPath(string path, bool forWrite = false)
    {
        string trimmed = path.TrimEnd('/');
        if (path.Contains('\0') || trimmed.Length == 0 || path.EndsWith('/') || trimmed.EndsWith("/.", StringComparison.Ordinal) || trimmed.EndsWith("/..", StringComparison.Ordinal))
        {
            throw new IsulaKataException("InvalidFilePath", FailureKind.InvalidArgument,
                $"'{path.Replace("\0", "\\0", StringComparison.Ordinal)}' is not the path of a file" + (path.Contains('\0') ? " (it holds a NUL character)." : "."),
                "Give the full path of the file as the target system sees it, e.g. /etc/isulad/daemon.json.", path);
        }
        string host = ToHostPath(path, out bool followed);
        if (host == _realRoot)
        {
            throw new IsulaKataException("InvalidFilePath", FailureKind.InvalidArgument,
                $"'{path}' is the root folder itself, not a file.", "Give the full path of the file, e.g. /etc/isulad/daemon.json.", path);
        }
        if (forWrite && followed && !Native.TryStat(host, out _, followLinks: false) && Marshal.GetLastPInvokeError() == Native.NoSuchFile)
        {
            throw new IsulaKataException("DanglingSymlink", FailureKind.InvalidData,
                $"'{path}' goes through a symbolic link to '{ToTargetPath(host)}', which does not exist; nothing was written.",
                "Fix or remove the symbolic link, or give the real path of the file.", path);
        }
        return host;
    }

    // journal: begin
    /// <summary>Removes a folder if it is empty (an undo of a folder the module created); false when it holds something.</summary>
    public bool RemoveEmptyFolder(string path)
    {
        string host = ToHostPath(path);
        if (!Directory.Exists(host))
        {
            return true;
        }
        if (Directory.EnumerateFileSystemEntries(host).GetEnumerator().MoveNext())
        {
            return false;
        }
        _log($"Removing the empty folder '{path}'.");
        if (Native.UnlinkAt(-100, host, Native.AtRemoveDir) != 0)
        {
            throw FileSystemError(Marshal.GetLastPInvokeError(), "remove", path);
        }
        return true;
    }
    // journal: end

    /// <summary>
    /// Opens the folder of <paramref name="host"/> one component at a time from the root, never following a symbolic link
    /// (the path is already resolved, so a link met here was swapped in after the check: refused). With
    /// <paramref name="create"/>, missing folders are made and listed there. Null when the folder does not exist.
    /// </summary>
    private OpenedFolder? OpenFolder(string path, string host, List<string>? create, bool forLock)
    {
        string folderHost = System.IO.Path.GetDirectoryName(host)!;
        string relative = folderHost.Length <= _realRoot.Length ? string.Empty : folderHost.Substring(_realRoot == "/" ? 1 : _realRoot.Length + 1);
        int flags = Native.OpenDirectory | Native.OpenNoFollow | Native.CloseOnExec | (forLock ? Native.OpenReadOnly : Native.OpenPath);
        int fd = Native.Open(_realRoot, flags);
        if (fd < 0)
        {
            throw FileSystemError(Marshal.GetLastPInvokeError(), "open", path);
        }
        string walked = _realRoot;
        foreach (string part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            walked = walked == "/" ? "/" + part : walked + "/" + part;
            int next = Native.OpenAt(fd, part, flags, 0);
            if (next < 0 && Marshal.GetLastPInvokeError() == Native.NoSuchFile && create is not null)
            {
                if (Native.MakeDirectoryAt(fd, part, 493) == 0) // 0755
                {
                    create.Add(walked);
                }
                else if (Marshal.GetLastPInvokeError() is int mkdirErrno && mkdirErrno != FileExistsErrno)
                {
                    Native.Close(fd);
                    throw FileSystemError(mkdirErrno, "create the folder of", path);
                }
                next = Native.OpenAt(fd, part, flags, 0);
            }
            int errno = next < 0 ? Marshal.GetLastPInvokeError() : 0;
            Native.Close(fd);
            if (next < 0)
            {
                if (errno == Native.NoSuchFile || (errno == NotADirectory && create is null))
                {
                    // A reader asking for a file under a file (e.g. a /sys probe) gets "absent"; a writer gets ParentNotAFolder.
                    return null;
                }
                if (errno == SymlinkLoop)
                {
                    throw new IsulaKataException("PathChanged", FailureKind.InvalidOperation,
                        $"'{ToTargetPath(walked)}' became a symbolic link while '{path}' was being opened; nothing was read or written through it.",
                        "Find out what changes that folder, then run the command again.", path);
                }
                throw FileSystemError(errno, "open", path);
            }
            fd = next;
        }
        return new OpenedFolder(fd);
    }

    private void Lock(OpenedFolder folder, string path)
    {
        DateTime deadline = DateTime.UtcNow + LockTimeout;
        bool announced = false;
        while (Native.Flock(folder.Fd, Native.LockExclusive | Native.LockNonBlocking) != 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new IsulaKataException("FileLocked", FailureKind.ResourceUnavailable,
                    $"Another process has held the lock on the folder of '{path}' for {LockTimeout.TotalSeconds:0} seconds.",
                    "Wait for the other IsulaKata command to finish, then run this one again.", path);
            }
            if (!announced)
            {
                _log($"Waiting for another writer to release '{ToTargetPath(System.IO.Path.GetDirectoryName(ToHostPath(path))!)}'.");
                announced = true;
            }
            if (_cancellation.WaitHandle.WaitOne(50))
            {
                _cancellation.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>A folder held open (close-on-exec); closing it releases its lock.</summary>
    private sealed class OpenedFolder : IDisposable
    {
        public OpenedFolder(int fd) => Fd = fd;

        public int Fd { get; private set; }

        public void Dispose()
        {
            if (Fd >= 0)
            {
                Native.Close(Fd);
                Fd = -1;
            }
        }
    }

    private static readonly byte[] Utf8Bom = { 0xEF, 0xBB, 0xBF };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool HasBom(byte[] bytes) => bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;

    private static byte[] Concat(byte[] a, byte[] b)
    {
        byte[] joined = new byte[a.Length + b.Length];
        a.CopyTo(joined, 0);
        b.CopyTo(joined, a.Length);
        return joined;
    }

    /// <summary>Strict UTF-8: bytes that are not UTF-8 are refused, never turned into U+FFFD.</summary>
    private static string Decode(byte[] bytes, string path, out bool bom)
    {
        bom = HasBom(bytes);
        try
        {
            return bom ? StrictUtf8.GetString(bytes, 3, bytes.Length - 3) : StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException error)
        {
            int offset = error.Index >= 0 ? error.Index + (bom ? 3 : 0) : -1;
            throw new IsulaKataException("InvalidUtf8", FailureKind.InvalidData,
                $"'{path}' holds bytes that are not UTF-8" + (offset >= 0 ? $" (at byte {offset})" : string.Empty) + "; it was left as it is.",
                "Convert the file to UTF-8 (e.g. iconv -t UTF-8), or remove the stray bytes, then run the command again.", path, error);
        }
    }

    private static byte[] Encode(string text, string path)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException error)
        {
            throw new IsulaKataException("TextNotEncodable", FailureKind.InvalidData,
                $"The new content of '{path}' holds a lone UTF-16 surrogate, which UTF-8 cannot hold; nothing was written.",
                "Remove the \\uD800-\\uDFFF escape that has no partner from the input, then run the command again.", path, error);
        }
    }

    private const int FileExistsErrno = 17;
    private const int NoDeviceOrAddress = 6;
    private const int IsADirectoryErrno = 21;
    private const int SymlinkLoop = 40;
    private const int NotADirectory = 20;

    /// <summary>The one translation of an errno into a project error.</summary>
    internal static IsulaKataException FileSystemError(int errno, string operation, string path)
    {
        string reason = Native.ErrorText(errno);
        return errno switch
        {
            1 or 13 => new IsulaKataException("FileAccessDenied", FailureKind.PermissionDenied,
                $"Cannot {operation} '{path}': {reason}.", "Run the command as root (sudo pwsh), or as a user who may change that file.", path),
            28 or 122 => new IsulaKataException("DiskFull", FailureKind.WriteError,
                $"Cannot {operation} '{path}': {reason}; the file was left as it was and nothing was left behind.",
                "Free space on that file system (df -h), then run the command again.", path),
            30 => new IsulaKataException("ReadOnlyFileSystem", FailureKind.WriteError,
                $"Cannot {operation} '{path}': it is on a read-only file system; nothing was written.",
                "Remount the file system read-write (mount -o remount,rw), or point -Root at a writable copy.", path),
            20 => new IsulaKataException("ParentNotAFolder", FailureKind.InvalidData,
                $"Cannot {operation} '{path}': a part of the path is a file, not a folder.",
                "Check each folder of the path; move the file that stands where a folder belongs.", path),
            IsADirectoryErrno or NoDeviceOrAddress => NotRegular(errno == IsADirectoryErrno ? Native.DirectoryType : (ushort)0, path),
            SymlinkLoop => new IsulaKataException("PathChanged", FailureKind.InvalidOperation,
                $"Cannot {operation} '{path}': a symbolic link stands where a file or folder was expected ({reason}).",
                "Find out what changes that path, then run the command again.", path),
            36 => new IsulaKataException("InvalidFilePath", FailureKind.InvalidArgument,
                $"Cannot {operation} '{path}': {reason}.", "Give a shorter path.", path),
            _ when operation == "read" => new IsulaKataException("FileReadFailed", FailureKind.ReadError,
                $"Cannot read '{path}': {reason} (errno {errno}).", "Check the file system (dmesg, df -h), then run the command again.", path),
            _ => new IsulaKataException("FileWriteFailed", FailureKind.WriteError,
                $"Cannot {operation} '{path}': {reason} (errno {errno}).", "Check the file system (dmesg, df -h), then run the command again.", path),
        };
    }

    private bool IsUnderRoot(string hostPath)
        => _realRoot == "/" || hostPath == _realRoot || hostPath.StartsWith(_realRoot + "/", StringComparison.Ordinal);

    private string Escape(string path, string link)
        => throw new IsulaKataException("PathEscapesRoot", FailureKind.PermissionDenied,
            $"'{path}' leads outside the root '{Root}' (through '{link}'); nothing was read or written there.",
            "Fix or remove the symbolic link so it stays inside the root, or pass the real location as -Root.", path);

    private static string RealPath(string path)
    {
        var info = new DirectoryInfo(path);
        FileSystemInfo? target = info.ResolveLinkTarget(returnFinalTarget: true);
        string resolved = target?.FullName ?? info.FullName;
        string? parent = System.IO.Path.GetDirectoryName(resolved);
        return parent is null ? resolved : System.IO.Path.Combine(RealPath(parent), System.IO.Path.GetFileName(resolved));
    }

    private static string TrimSlash(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    private static IEnumerable<string> Reverse(string[] parts)
    {
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            yield return parts[i];
        }
    }
}
