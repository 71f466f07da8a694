using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using IsulaKata.Core;

namespace IsulaKata.Proof;

/// <summary>One process as /proc shows it.</summary>
public sealed class LinuxProcess
{
    internal LinuxProcess(int pid, string? executablePath, IReadOnlyList<string> arguments, char state, int parentProcessId = 0)
    {
        ProcessId = pid;
        ParentProcessId = parentProcessId;
        ExecutablePath = executablePath;
        Arguments = arguments;
        State = state;
    }

    public int ProcessId { get; }

    /// <summary>The parent's id (field 4 of /proc/&lt;pid&gt;/stat); 0 when unknown.</summary>
    public int ParentProcessId { get; }

    /// <summary>The target of /proc/&lt;pid&gt;/exe; null when it cannot be read (another user's process, a kernel thread).</summary>
    public string? ExecutablePath { get; }

    /// <summary>argv, from the NUL-separated /proc/&lt;pid&gt;/cmdline.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The state letter of /proc/&lt;pid&gt;/stat (R, S, D, Z, ...).</summary>
    public char State { get; }

    /// <summary>A zombie has exited and only waits to be reaped: for every purpose here it is gone.</summary>
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>argv joined with spaces, as a person reads it.</summary>
    public string CommandLine => string.Join(" ", Arguments);

    /// <summary>The base names the process goes by: that of its executable and that of argv[0].
    /// (comm is not used: the kernel cuts it to 15 characters, so containerd-shim-kata-v2 shows as containerd-shim.)</summary>
    public IEnumerable<string> Names
    {
        get
        {
            if (ExecutablePath is not null)
            {
                yield return Path.GetFileName(ExecutablePath);
            }
            if (Arguments.Count > 0 && Arguments[0].Length > 0)
            {
                yield return Path.GetFileName(Arguments[0]);
            }
        }
    }
}

/// <summary>
/// The live host's processes, read from /proc (never from ps output). Processes come and go while /proc is read:
/// one that vanishes half-way is skipped. Reading another user's /proc/&lt;pid&gt;/exe or smaps_rollup needs root
/// (ptrace access); argv[0] and VmRSS stand in for them.
/// </summary>
public sealed class ProcessTable
{
    private readonly string _proc;

    /// <summary>The process table of the live host behind <paramref name="files"/> (its /proc).</summary>
    public ProcessTable(HostFiles files)
    {
        if (!files.IsLiveHost)
        {
            throw new IsulaKataException("NotLiveHost", FailureKind.InvalidOperation,
                $"Processes can only be read on the running host, not under the root '{files.Root}'.",
                "Run the command on the host itself, without -Root.", files.Root);
        }
        _proc = files.ToHostPath("/proc");
    }

    /// <summary>Every live (non-zombie) process one of whose names satisfies <paramref name="nameMatches"/> and whose
    /// argv holds <paramref name="commandLineContains"/> (ordinal).</summary>
    public IReadOnlyList<LinuxProcess> Find(Func<string, bool> nameMatches, string commandLineContains)
    {
        var found = new List<LinuxProcess>();
        foreach (int pid in ProcessIds())
        {
            string[]? arguments = ReadArguments(pid);
            if (arguments is null || arguments.Length == 0 || !arguments.Any(a => a.Contains(commandLineContains, StringComparison.Ordinal)))
            {
                continue;
            }
            LinuxProcess? process = Read(pid, arguments);
            if (process is not null && !process.IsZombie && process.Names.Any(nameMatches))
            {
                found.Add(process);
            }
        }
        return found;
    }

    /// <summary>Every live process whose parent is <paramref name="parentId"/> and one of whose names satisfies
    /// <paramref name="nameMatches"/>.</summary>
    public IReadOnlyList<LinuxProcess> Children(int parentId, Func<string, bool> nameMatches)
    {
        var found = new List<LinuxProcess>();
        foreach (int pid in ProcessIds())
        {
            string[]? arguments = ReadArguments(pid);
            if (arguments is null || arguments.Length == 0)
            {
                continue;
            }
            LinuxProcess? process = Read(pid, arguments);
            if (process is not null && !process.IsZombie && process.ParentProcessId == parentId && process.Names.Any(nameMatches))
            {
                found.Add(process);
            }
        }
        return found;
    }

    /// <summary>The names of the process's threads (/proc/&lt;pid&gt;/task/*/comm), e.g. db_vcpu0 for a vCPU of an
    /// in-process VMM.</summary>
    public IReadOnlyList<string> ThreadNames(int pid)
    {
        string tasks = Path.Combine(_proc, pid.ToString(CultureInfo.InvariantCulture), "task");
        try
        {
            return Directory.EnumerateDirectories(tasks)
                .Select(task => ReadText(Path.Combine(task, "comm"))?.TrimEnd('\n'))
                .Where(name => name is not null)
                .Select(name => name!)
                .ToList();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    /// <summary>The process with this id, or null when there is none.</summary>
    public LinuxProcess? Get(int pid)
    {
        string[]? arguments = ReadArguments(pid);
        return arguments is null ? null : Read(pid, arguments);
    }

    /// <summary>True when the process no longer exists or is a zombie.</summary>
    public bool IsGone(int pid) => Get(pid) is not { IsZombie: false };

    /// <summary>
    /// The memory the process costs the host: its proportional set size (Pss in smaps_rollup, shared pages split
    /// between their users), or its resident set size (VmRSS in status) when smaps_rollup cannot be read.
    /// </summary>
    public ProcessMemory? Memory(int pid)
    {
        string folder = Path.Combine(_proc, pid.ToString(CultureInfo.InvariantCulture));
        long? pss = KilobyteField(ReadText(Path.Combine(folder, "smaps_rollup")), "Pss:");
        if (pss is long p)
        {
            return new ProcessMemory(p, "Pss");
        }
        long? rss = KilobyteField(ReadText(Path.Combine(folder, "status")), "VmRSS:");
        return rss is long r ? new ProcessMemory(r, "VmRSS") : null;
    }

    private IEnumerable<int> ProcessIds()
    {
        foreach (string entry in Directory.EnumerateDirectories(_proc))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                yield return pid;
            }
        }
    }

    private LinuxProcess? Read(int pid, string[] arguments)
    {
        string folder = Path.Combine(_proc, pid.ToString(CultureInfo.InvariantCulture));
        string? stat = ReadText(Path.Combine(folder, "stat"));
        if (stat is null)
        {
            return null;
        }
        // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
        int close = stat.LastIndexOf(')');
        char state = close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
        string[] after = close >= 0 ? stat.Substring(close + 1).Split(' ', StringSplitOptions.RemoveEmptyEntries) : Array.Empty<string>();
        int parent = after.Length > 1 && int.TryParse(after[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ppid) ? ppid : 0;
        return new LinuxProcess(pid, ReadExecutable(folder), arguments, state, parent);
    }

    private string[]? ReadArguments(int pid)
    {
        byte[]? raw = ReadBytes(Path.Combine(_proc, pid.ToString(CultureInfo.InvariantCulture), "cmdline"));
        if (raw is null)
        {
            return null;
        }
        string text = Encoding.UTF8.GetString(raw);
        return text.TrimEnd('\0').Split('\0');
    }

    private static string? ReadExecutable(string folder)
    {
        try
        {
            string? target = new FileInfo(Path.Combine(folder, "exe")).LinkTarget;
            const string deleted = " (deleted)";
            return target is not null && target.EndsWith(deleted, StringComparison.Ordinal) ? target[..^deleted.Length] : target;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long? KilobyteField(string? text, string key)
    {
        if (text is null)
        {
            return null;
        }
        foreach (string line in text.Split('\n'))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal))
            {
                continue;
            }
            string[] parts = line.Substring(key.Length).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kilobytes))
            {
                return kilobytes * 1024;
            }
        }
        return null;
    }

    private static string? ReadText(string path)
    {
        byte[]? raw = ReadBytes(path);
        return raw is null ? null : Encoding.UTF8.GetString(raw);
    }

    private static byte[]? ReadBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>A process's memory in bytes and where the figure came from (Pss or VmRSS).</summary>
public readonly record struct ProcessMemory(long Bytes, string Source);
