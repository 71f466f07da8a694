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

    [DllImport("libc", SetLastError = true, EntryPoint = "chown")]
    public static extern int Chown(string path, uint owner, uint group);

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
}
