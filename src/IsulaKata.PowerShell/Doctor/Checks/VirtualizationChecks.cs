using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using IsulaKata.Core;

namespace IsulaKata.Doctor.Checks;

/// <summary>Hardware virtualisation: the CPU flags (vmx/svm) and a /dev/kvm that answers KVM's API.</summary>
public sealed class VirtualizationChecks : HostCheckArea
{
    private const string CpuName = "CPU virtualisation";
    private const string KvmName = "/dev/kvm";

    public VirtualizationChecks(HostCheckContext context) : base(context) { }

    public override string Name => HostAreas.Virtualization;

    public override IEnumerable<IsulaKataCheck> Run()
    {
        if (!Host.IsLiveHost)
        {
            yield return SkipUnderRoot(CpuName);
            yield return SkipUnderRoot(KvmName);
            yield break;
        }
        (CheckStatus kvm, IsulaKataCheck kvmRow) = Kvm();
        yield return Cpu(kvm == CheckStatus.Pass);
        yield return kvmRow;
    }

    private IsulaKataCheck Cpu(bool kvmUsable)
    {
        Architecture arch = RuntimeInformation.OSArchitecture;
        if (arch is not (Architecture.X64 or Architecture.X86))
        {
            return Skip(CpuName, $"{arch} does not list virtualisation among its CPU flags; whether /dev/kvm works decides.");
        }
        string cpuinfo = Host.Files.ReadText("/proc/cpuinfo") ?? string.Empty;
        HashSet<string> flags = cpuinfo.Split('\n')
            .Where(l => l.StartsWith("flags", StringComparison.Ordinal))
            .SelectMany(l => l.Substring(l.IndexOf(':') + 1).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        if (flags.Contains("vmx"))
        {
            return Pass(CpuName, "The CPU has Intel VT-x (vmx).");
        }
        if (flags.Contains("svm"))
        {
            return Pass(CpuName, "The CPU has AMD-V (svm).");
        }
        bool virtualMachine = flags.Contains("hypervisor");
        string where = virtualMachine
            ? "This host is itself a VM whose CPU does not expose vmx or svm (nested virtualisation is off)."
            : "The CPU shows neither vmx (Intel VT-x) nor svm (AMD-V): virtualisation is off in the firmware or not supported.";
        string remedy = virtualMachine
            ? "Enable nested virtualisation on the machine that runs this VM (e.g. kvm_intel nested=1, or the cloud's nested-virtualisation option)."
            : "Enable Intel VT-x or AMD-V in the firmware (BIOS/UEFI) settings.";
        if (Host.Files.DirectoryExists("/sys/module/kvm_pvm"))
        {
            return Warn(CpuName, where + " /dev/kvm comes from kvm_pvm (paravirtualised KVM), which runs only guest kernels built for PVM.", remedy);
        }
        return kvmUsable ? Warn(CpuName, where + " /dev/kvm answers anyway.", remedy) : Fail(CpuName, where, remedy);
    }

    /// <summary>/dev/kvm opened read-write and asked KVM_GET_API_VERSION, the way a hypervisor starts.</summary>
    private (CheckStatus, IsulaKataCheck) Kvm()
    {
        string device = Host.Files.ToHostPath(KvmName);
        if (!Native.TryStat(device, out _))
        {
            return (CheckStatus.Fail, Fail(KvmName, "/dev/kvm does not exist: the kvm module is not loaded or the CPU cannot virtualise.",
                "Load KVM (modprobe kvm_intel, or kvm_amd) after enabling virtualisation in the firmware."));
        }
        int fd = Native.Open(device, Native.ReadWrite | Native.CloseOnExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Native.PermissionDenied && !Context.IsRoot)
            {
                return (CheckStatus.Skip, SkipNeedsRoot(KvmName, "Opening /dev/kvm (root or group kvm)"));
            }
            return (CheckStatus.Fail, Fail(KvmName, $"/dev/kvm exists but cannot be opened read-write (errno {errno}).",
                "Check the device's mode and owner (ls -l /dev/kvm; it should be crw-rw---- root:kvm) and that no security policy blocks it."));
        }
        try
        {
            int version = Native.Ioctl(fd, Native.KvmGetApiVersion, 0);
            return version == 12
                ? (CheckStatus.Pass, Pass(KvmName, "/dev/kvm answers (KVM API version 12)."))
                : (CheckStatus.Fail, Fail(KvmName, $"/dev/kvm answered KVM_GET_API_VERSION with {version}, not 12 (errno {Marshal.GetLastPInvokeError()}).",
                    "Reload KVM (modprobe -r kvm_intel kvm; modprobe kvm_intel) or reboot; check dmesg for kvm errors."));
        }
        finally
        {
            Native.Close(fd);
        }
    }
}
