using System.Runtime.InteropServices;

namespace IsulaKata.Core;

/// <summary>
/// The few libc calls .NET does not wrap, for the whole module: owner of a file, advisory locks, directory fsync,
/// opening a device and asking KVM its API version.
/// </summary>
internal static class Native
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    public const int LockExclusive = 2;
    public const int LockNonBlocking = 4;
    public const int Unlock = 8;
    public const int ReadWrite = 2;
    public const int CloseOnExec = 0x80000;
    public const int PermissionDenied = 13;
    public const int NoSuchFile = 2;

    /// <summary>_IO(KVMIO, 0x00): returns the KVM API version (12 on every kernel since 2.6.22).</summary>
    public const ulong KvmGetApiVersion = 0xAE00;

    /// <summary>struct statx has the same layout on every architecture; only the fields used here are mapped.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatxBuffer
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern int StatxCall(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    public static extern int Open(string path, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "close")]
    public static extern int Close(int fd);

    [DllImport("libc", SetLastError = true, EntryPoint = "flock")]
    public static extern int Flock(int fd, int operation);

    [DllImport("libc", SetLastError = true, EntryPoint = "fsync")]
    public static extern int Fsync(int fd);

    [DllImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    public static extern int Ioctl(int fd, ulong request, nint argument);

    [DllImport("libc", EntryPoint = "geteuid")]
    public static extern uint GetEffectiveUserId();

    // journal: appending whole lines to the change journal (open with a mode, write, O_* flags of asm-generic).
    public const int WriteOnly = 1;
    public const int Create = 0x40;
    public const int Append = 0x400;

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    public static extern int Open(string path, int flags, uint mode);

    [DllImport("libc", SetLastError = true, EntryPoint = "write")]
    public static extern nint Write(int fd, byte[] buffer, nint count);
    // journal: end

    public static bool TryStat(string path, out StatxBuffer buffer, bool followLinks = true)
        => StatxCall(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, out buffer) == 0;

    // ---- File-descriptor calls the one writer (HostFiles) uses: everything relative to a folder it holds open. ----

    private static readonly bool Arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
    public const int OpenReadOnly = 0;
    public const int OpenWriteOnly = 1;
    public const int OpenCreate = 0x40;
    public const int OpenExclusive = 0x80;
    public const int OpenNoControllingTerminal = 0x100;
    public const int OpenNonBlocking = 0x800;
    public const int OpenPath = 0x200000;
    public static readonly int OpenDirectory = Arm64 ? 0x4000 : 0x10000;
    public static readonly int OpenNoFollow = Arm64 ? 0x8000 : 0x20000;
    public const int AtRemoveDir = 0x200;
    private const int AtEmptyPath = 0x1000;
    public const uint RenameNoReplace = 1;
    public const ushort FileTypeMask = 0xF000;
    public const ushort RegularFileType = 0x8000;
    public const ushort DirectoryType = 0x4000;
    public const ushort SymlinkType = 0xA000;

    [DllImport("libc", SetLastError = true, EntryPoint = "openat")]
    public static extern int OpenAt(int dirfd, string path, int flags, uint mode);

    [DllImport("libc", SetLastError = true, EntryPoint = "mkdirat")]
    public static extern int MakeDirectoryAt(int dirfd, string path, uint mode);

    [DllImport("libc", SetLastError = true, EntryPoint = "renameat2")]
    public static extern int RenameAt(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "unlinkat")]
    public static extern int UnlinkAt(int dirfd, string path, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "fchmod")]
    public static extern int FileChangeMode(int fd, uint mode);

    [DllImport("libc", SetLastError = true, EntryPoint = "fchown")]
    public static extern int FileChangeOwner(int fd, uint owner, uint group);

    [DllImport("libc", SetLastError = true, EntryPoint = "read")]
    private static extern nint ReadCall(int fd, ref byte buffer, nint count);

    [DllImport("libc", SetLastError = true, EntryPoint = "write")]
    private static extern nint WriteCall(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "strerror")]
    private static extern nint StrErrorCall(int errno);

    /// <summary>The kernel's text for an errno, e.g. "No space left on device".</summary>
    public static string ErrorText(int errno) => Marshal.PtrToStringAnsi(StrErrorCall(errno)) ?? $"errno {errno}";

    /// <summary>fstat of an open descriptor.</summary>
    public static bool TryStat(int fd, out StatxBuffer buffer)
        => StatxCall(fd, string.Empty, AtEmptyPath, StatxBasicStats, out buffer) == 0;

    /// <summary>lstat of a name in a folder held open.</summary>
    public static bool TryStatAt(int dirfd, string name, out StatxBuffer buffer)
        => StatxCall(dirfd, name, AtSymlinkNoFollow, StatxBasicStats, out buffer) == 0;

    /// <summary>Reads the whole descriptor; returns the errno, 0 on success.</summary>
    public static int ReadAll(int fd, System.IO.Stream into)
    {
        byte[] buffer = new byte[65536];
        while (true)
        {
            nint n = ReadCall(fd, ref buffer[0], buffer.Length);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
                {
                    continue;
                }
                return errno;
            }
            if (n == 0)
            {
                return 0;
            }
            into.Write(buffer, 0, (int)n);
        }
    }

    /// <summary>Writes all of <paramref name="content"/>; returns the errno, 0 on success.</summary>
    public static int WriteAll(int fd, byte[] content)
    {
        int done = 0;
        while (done < content.Length)
        {
            nint n = WriteCall(fd, ref content[done], content.Length - done);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
                {
                    continue;
                }
                return errno;
            }
            done += (int)n;
        }
        return 0;
    }

    public const int Interrupted = 4;
}
