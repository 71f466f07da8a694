using System.Runtime.InteropServices;

namespace IsulaKata.Host;

/// <summary>The libc calls the host checks need beyond Core's: opening a device and asking KVM its API version.</summary>
internal static class HostNative
{
    public const int ReadWrite = 2;
    public const int CloseOnExec = 0x80000;
    public const int PermissionDenied = 13;
    public const int NoSuchFile = 2;

    /// <summary>_IO(KVMIO, 0x00): returns the KVM API version (12 on every kernel since 2.6.22).</summary>
    public const ulong KvmGetApiVersion = 0xAE00;

    [DllImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    public static extern int Ioctl(int fd, ulong request, nint argument);
}
