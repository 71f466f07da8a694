using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;
using IsulaKata.Modules;

namespace IsulaKata.Doctor.Checks;

/// <summary>The vhost modules kata needs, probed with <see cref="KernelModules"/> (Enable-VhostVsock's engine): loaded
/// now (or built in), /dev/vhost-vsock present, and vhost_vsock loaded again at boot (systemd-modules-load's lists).</summary>
public sealed class ModuleChecks : HostCheckArea
{
    private const string VsockDevice = "/dev/vhost-vsock";
    private const string BootName = "vhost_vsock at boot";

    /// <summary>Each module with the device that shows it is there. vhost registers no device of its own: vhost_net,
    /// which needs it, is the one to look at.</summary>
    private static readonly (string Module, string Device)[] Modules =
        { ("vhost", "/dev/vhost-net"), ("vhost_net", "/dev/vhost-net"), ("vhost_vsock", VsockDevice) };

    /// <summary>Where systemd-modules-load reads its lists, plus Debian's /etc/modules.</summary>
    private static readonly string[] LoadFolders = { "/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d", "/lib/modules-load.d" };

    public ModuleChecks(HostCheckContext context) : base(context) { }

    public override string Name => HostAreas.Modules;

    public override IEnumerable<IsulaKataCheck> Run()
    {
        var kernel = KernelModules.For(Host);
        if (!kernel.HasRunningKernel)
        {
            foreach ((string module, _) in Modules)
            {
                yield return SkipUnderRoot(module);
            }
            yield return SkipUnderRoot(VsockDevice);
            yield return Boot(builtIn: false);
            yield break;
        }
        KernelModuleProbe? vsock = null;
        foreach ((string module, string device) in Modules)
        {
            KernelModuleProbe probe = kernel.Probe(module, device);
            vsock = module == "vhost_vsock" ? probe : vsock;
            yield return Loaded(module, probe);
        }
        yield return vsock!.DeviceExists
            ? Pass(VsockDevice, $"{VsockDevice} is present.")
            : Fail(VsockDevice, $"{VsockDevice} does not exist: kata cannot talk to the VM's agent over vsock.", "Enable-VhostVsock   (runs: modprobe vhost_vsock)");
        yield return Boot(vsock.BuiltIn);
    }

    private IsulaKataCheck Loaded(string module, KernelModuleProbe probe)
    {
        if (probe.BuiltIn)
        {
            return Pass(module, $"{module} is built into the kernel (or its device node is there, which loads it on first use).");
        }
        if (probe.Loaded)
        {
            return Pass(module, $"{module} is loaded.");
        }
        string remedy = module == "vhost_vsock" ? "Enable-VhostVsock   (runs: modprobe vhost_vsock, and persists it)" : $"modprobe {module}";
        return probe.ModulesSupported
            ? Fail(module, $"{module} is not loaded.", remedy)
            : Fail(module, $"{module} is missing, and this kernel cannot load modules (no /proc/modules).",
                $"Boot a kernel built with {module} (CONFIG_{module.ToUpperInvariant()}) or with loadable module support.");
    }

    private IsulaKataCheck Boot(bool builtIn)
    {
        if (builtIn)
        {
            return Pass(BootName, "vhost_vsock is built into the kernel: nothing needs loading at boot.");
        }
        foreach (string file in ListFiles())
        {
            string? text = ReadQuietly(file);
            if (text is not null && text.Split('\n').Select(l => l.Split('#', ';')[0].Trim())
                    .Any(l => l.Replace('-', '_') == "vhost_vsock"))
            {
                return Pass(BootName, $"vhost_vsock is loaded at boot (listed in '{file}').");
            }
        }
        return Warn(BootName, "vhost_vsock is listed in no modules-load.d file: after a reboot it is not loaded and kata containers fail to start.",
            $"Enable-VhostVsock   (adds it to {KernelModules.ModulesLoadPath})");
    }

    /// <summary>Every file systemd-modules-load reads, not only the one Enable-VhostVsock writes: an administrator may
    /// have persisted the module under another name.</summary>
    private IEnumerable<string> ListFiles()
    {
        foreach (string folder in LoadFolders)
        {
            string[] files;
            try
            {
                files = Host.Files.DirectoryExists(folder)
                    ? Directory.GetFiles(Host.Files.ToHostPath(folder), "*.conf").Select(f => Path.GetFileName(f)).OrderBy(n => n, StringComparer.Ordinal).ToArray()
                    : Array.Empty<string>();
            }
            catch (Exception error) when (error is IsulaKataException or IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (string name in files)
            {
                yield return folder + "/" + name;
            }
        }
        yield return "/etc/modules";
    }

    private string? ReadQuietly(string path)
    {
        try
        {
            return Host.Files.ReadText(path);
        }
        catch (Exception error) when (error is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
