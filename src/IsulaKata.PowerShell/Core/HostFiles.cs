using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
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
        _log = log;
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
    public string ToHostPath(string path)
    {
        if (!path.StartsWith('/'))
        {
            throw new IsulaKataException("PathNotAbsolute", FailureKind.InvalidArgument,
                $"'{path}' is not an absolute path of the target system.",
                "Give the path as the target system sees it, starting with '/' (for example /etc/isulad/daemon.json).", path);
        }
        string current = _realRoot;
        var pending = new Stack<string>(Reverse(path.Split('/', StringSplitOptions.RemoveEmptyEntries)));
        int hops = 0;
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
            string? link = new FileInfo(candidate).LinkTarget;
            if (link is null)
            {
                current = candidate;
                continue;
            }
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

    /// <summary>The file's text, or null when it does not exist.</summary>
    public string? ReadText(string path)
    {
        string host = ToHostPath(path);
        Journal.Check(path); // journal: warn about an interrupted earlier change
        return File.Exists(host) ? File.ReadAllText(host) : null;
    }

    /// <summary>Writes <paramref name="content"/> unless the file already holds exactly that.</summary>
    public FileUpdateResult Write(string path, string content, FileWriteOptions? options = null)
        => Update(path, _ => content, options);

    /// <summary>
    /// Read-modify-write under the folder's lock. <paramref name="transform"/> gets the current text (null when
    /// the file does not exist) and returns the new text; returning the same text or null writes nothing.
    /// An exception from <paramref name="transform"/> leaves the file untouched.
    /// </summary>
    public FileUpdateResult Update(string path, Func<string?, string?> transform, FileWriteOptions? options = null)
    {
        string host = ToHostPath(path);
        string folder = System.IO.Path.GetDirectoryName(host)!;
        CreateFolders(folder); // journal: each folder created is recorded
        using (AcquireLock(folder))
        {
            Journal.Check(path); // journal: warn about an interrupted earlier change
            string? before = File.Exists(host) ? File.ReadAllText(host) : null;
            string? after = transform(before);
            if (after is null || (before is not null && string.Equals(before, after, StringComparison.Ordinal) && !NeedsAttributeChange(host, options)))
            {
                _log($"'{path}' already holds the wanted content; nothing written.");
                return new FileUpdateResult(path, host, changed: false, created: false, null, null);
            }
            return WriteLocked(path, host, before is null ? null : host, Encoding.UTF8.GetBytes(after), options);
        }
    }

    /// <summary>Copies a file from this machine into the target atomically (used for kernels and other binaries).</summary>
    public FileUpdateResult PlaceFile(string path, string sourceHostFile, FileWriteOptions? options = null)
    {
        string host = ToHostPath(path);
        string folder = System.IO.Path.GetDirectoryName(host)!;
        CreateFolders(folder); // journal: each folder created is recorded
        using (AcquireLock(folder))
        {
            return WriteLocked(path, host, File.Exists(host) ? host : null, File.ReadAllBytes(sourceHostFile), options, FileChangeKind.Place);
        }
    }

    /// <summary>Puts the content a backup holds back in place (no new backup) and removes the backup;
    /// deletes a file the update created. Used to roll back a change that did not work.</summary>
    public void Restore(FileUpdateResult update)
    {
        if (!update.Changed)
        {
            return;
        }
        string folder = System.IO.Path.GetDirectoryName(update.HostPath)!;
        using (AcquireLock(folder))
        {
            if (update.Created)
            {
                _log($"Rolling back: removing '{update.Path}', which this call created.");
                File.Delete(update.HostPath);
                Journal.Complete(update.ChangeId, ChangeOutcome.RolledBack); // journal
                return;
            }
            _log($"Rolling back: restoring '{update.Path}' from '{update.BackupPath}'.");
            string temp = TempName(update.HostPath);
            File.Copy(update.BackupHostPath!, temp, overwrite: false);
            CopyAttributes(update.BackupHostPath!, temp);
            FsyncFile(temp);
            File.Move(temp, update.HostPath, overwrite: true);
            File.Delete(update.BackupHostPath!);
            FsyncFolder(folder);
            Journal.Complete(update.ChangeId, ChangeOutcome.RolledBack); // journal
        }
    }

    /// <summary>Removes a file, keeping its content as a backup. Returns null when there was nothing to remove.</summary>
    public FileUpdateResult? Remove(string path)
    {
        string host = ToHostPath(path);
        if (!File.Exists(host))
        {
            return null;
        }
        string folder = System.IO.Path.GetDirectoryName(host)!;
        using (AcquireLock(folder))
        {
            string backup = BackupName(host);
            string? change = Journal.BeginFileChange(FileChangeKind.Remove, path, host, ToTargetPath(backup), null); // journal
            _log($"Removing '{path}' (kept as '{ToTargetPath(backup)}').");
            File.Move(host, backup);
            FsyncFolder(folder);
            Journal.Complete(change, ChangeOutcome.Done); // journal
            return new FileUpdateResult(path, host, changed: true, created: false, ToTargetPath(backup), backup) { ChangeId = change };
        }
    }

    private FileUpdateResult WriteLocked(string path, string host, string? existing, byte[] content, FileWriteOptions? options,
        FileChangeKind kind = FileChangeKind.Write)
    {
        string folder = System.IO.Path.GetDirectoryName(host)!;
        string temp = TempName(host);
        string? backup = null;
        string? change = null; // journal
        bool renamed = false; // journal
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            if (existing is not null)
            {
                CopyAttributes(existing, temp);
            }
            ApplyOptions(temp, options, isNew: existing is null);
            backup = existing is null ? null : BackupName(host);
            change = Journal.BeginFileChange(kind, path, existing, backup is null ? null : ToTargetPath(backup), content); // journal: intent
            if (existing is not null && backup is not null)
            {
                File.Copy(existing, backup, overwrite: false);
                CopyAttributes(existing, backup);
                FsyncFile(backup);
                _log($"Backed up '{path}' to '{ToTargetPath(backup)}'.");
            }
            File.Move(temp, host, overwrite: true);
            renamed = true; // journal
            FsyncFolder(folder);
            Journal.Complete(change, ChangeOutcome.Done); // journal: done
        }
        catch
        {
            File.Delete(temp);
            if (!renamed)
            {
                Journal.Complete(change, ChangeOutcome.RolledBack); // journal: the rename did not happen
            }
            throw;
        }
        _log($"Wrote '{path}' ({content.Length} bytes).");
        return new FileUpdateResult(path, host, changed: true, created: existing is null, backup is null ? null : ToTargetPath(backup), backup) { ChangeId = change };
    }

    // journal: begin
    /// <summary>Creates a folder and its missing parents, journaling each one created.</summary>
    private void CreateFolders(string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }
        CreateFolders(System.IO.Path.GetDirectoryName(folder)!);
        string target = ToTargetPath(folder);
        string? change = Journal.BeginFileChange(FileChangeKind.CreateFolder, target, null, null, null);
        _log($"Creating folder '{target}'");
        Directory.CreateDirectory(folder);
        Journal.Complete(change, ChangeOutcome.Done);
    }

    /// <summary>Removes a folder if it is empty (an undo of a folder the module created); false when it holds something.</summary>
    public bool RemoveEmptyFolder(string path)
    {
        string host = ToHostPath(path);
        if (!Directory.Exists(host))
        {
            return true;
        }
        if (Directory.EnumerateFileSystemEntries(host).Any())
        {
            return false;
        }
        _log($"Removing the empty folder '{path}'.");
        Directory.Delete(host);
        FsyncFolder(System.IO.Path.GetDirectoryName(host)!);
        return true;
    }
    // journal: end

    private static bool NeedsAttributeChange(string host, FileWriteOptions? options)
    {
        if (options?.Mode is UnixFileMode mode && (File.GetUnixFileMode(host) & ModeMask) != mode)
        {
            return true;
        }
        if (options?.Owner is (uint uid, uint gid) && Native.TryStat(host, out var stat) && (stat.Uid != uid || stat.Gid != gid))
        {
            return true;
        }
        return false;
    }

    private const UnixFileMode ModeMask = (UnixFileMode)0xFFF;

    private static void ApplyOptions(string file, FileWriteOptions? options, bool isNew)
    {
        if (options?.Mode is UnixFileMode mode)
        {
            File.SetUnixFileMode(file, mode);
        }
        else if (isNew)
        {
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("644", 8));
        }
        if (options?.Owner is (uint uid, uint gid))
        {
            SetOwner(file, uid, gid);
        }
    }

    private static void CopyAttributes(string from, string to)
    {
        File.SetUnixFileMode(to, File.GetUnixFileMode(from) & ModeMask);
        if (Native.TryStat(from, out var source) && Native.TryStat(to, out var target)
            && (source.Uid != target.Uid || source.Gid != target.Gid))
        {
            SetOwner(to, source.Uid, source.Gid);
        }
    }

    private static void SetOwner(string file, uint uid, uint gid)
    {
        if (Native.Chown(file, uid, gid) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IsulaKataException("CannotKeepOwner", FailureKind.PermissionDenied,
                $"Cannot give '{file}' the owner {uid}:{gid} (errno {errno}); the original file was left as it was.",
                "Run the cmdlet as root (sudo pwsh) so files keep their owner.", file);
        }
    }

    private string BackupName(string host)
    {
        string stamp = _clock().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        string candidate = $"{host}.isulakata-{stamp}.bak";
        for (int n = 1; File.Exists(candidate); n++)
        {
            candidate = $"{host}.isulakata-{stamp}-{n}.bak";
        }
        return candidate;
    }

    private static string TempName(string host)
        => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(host)!,
            "." + System.IO.Path.GetFileName(host) + ".isulakata-" + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp");

    private static void FsyncFile(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    private static void FsyncFolder(string folder)
    {
        int fd = Native.Open(folder, 0);
        if (fd >= 0)
        {
            Native.Fsync(fd);
            Native.Close(fd);
        }
    }

    private IDisposable AcquireLock(string folder)
    {
        int fd = Native.Open(folder, 0);
        if (fd < 0)
        {
            throw new IsulaKataException("FileLockFailed", FailureKind.PermissionDenied,
                $"Cannot open '{ToTargetPath(folder)}' to lock it (errno {Marshal.GetLastPInvokeError()}).",
                "Run the cmdlet as a user who can write that folder (usually root).", folder);
        }
        DateTime deadline = DateTime.UtcNow + LockTimeout;
        bool announced = false;
        while (Native.Flock(fd, Native.LockExclusive | Native.LockNonBlocking) != 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                Native.Close(fd);
                throw new IsulaKataException("FileLocked", FailureKind.ResourceUnavailable,
                    $"Another process has held the lock on '{ToTargetPath(folder)}' for {LockTimeout.TotalSeconds:0} seconds.",
                    "Wait for the other IsulaKata command to finish, then run this one again.", folder);
            }
            if (!announced)
            {
                _log($"Waiting for another writer to release '{ToTargetPath(folder)}'.");
                announced = true;
            }
            if (_cancellation.WaitHandle.WaitOne(50))
            {
                Native.Close(fd);
                _cancellation.ThrowIfCancellationRequested();
            }
        }
        return new FolderLock(fd);
    }

    private sealed class FolderLock : IDisposable
    {
        private int _fd;
        public FolderLock(int fd) => _fd = fd;

        public void Dispose()
        {
            if (_fd >= 0)
            {
                Native.Flock(_fd, Native.Unlock);
                Native.Close(_fd);
                _fd = -1;
            }
        }
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
