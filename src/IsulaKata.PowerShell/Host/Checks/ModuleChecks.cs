using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Host.Checks;

/// <summary>The vhost modules kata needs: loaded now (/proc/modules, or built in), /dev/vhost-vsock present, and
/// vhost_vsock loaded again at boot (systemd-modules-load's lists).</summary>
public sealed class ModuleChecks : HostCheckArea
{
    public static readonly IReadOnlyList<string> Modules = new[] { "vhost", "vhost_net", "vhost_vsock" };
    private const string VsockDevice = "/dev/vhost-vsock";
    private const string BootName = "vhost_vsock at boot";

    /// <summary>Where systemd-modules-load reads its lists (first match of a file name wins, /etc first), plus Debian's /etc/modules.</summary>
    private static readonly string[] LoadFolders = { "/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d", "/lib/modules-load.d" };

    public ModuleChecks(HostCheckContext context) : base(context) { }

    public override string Name => HostAreas.Modules;

    public override IEnumerable<IsulaKataCheck> Run()
    {
        if (!Host.IsLiveHost)
        {
            foreach (string module in Modules)
            {
                yield return SkipUnderRoot(module);
            }
            yield return SkipUnderRoot(VsockDevice);
            yield return Boot(builtIn: false);
            yield break;
        }
        string? procModules = Host.Files.ReadText("/proc/modules");
        var loaded = (procModules ?? string.Empty).Split('\n')
            .Select(l => l.Split(' ')[0]).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        bool vsockBuiltIn = false;
        foreach (string module in Modules)
        {
            if (loaded.Contains(module))
            {
                yield return Pass(module, $"{module} is loaded.");
            }
            else if (Host.Files.DirectoryExists("/sys/module/" + module))
            {
                vsockBuiltIn |= module == "vhost_vsock";
                yield return Pass(module, $"{module} is built into the kernel.");
            }
            else if (procModules is null)
            {
                yield return Fail(module, $"{module} is missing, and this kernel cannot load modules (no /proc/modules).",
                    $"Boot a kernel built with {module} (CONFIG_{module.ToUpperInvariant()}) or with loadable module support.");
            }
            else
            {
                yield return Fail(module, $"{module} is not loaded.", $"modprobe {module}");
            }
        }
        yield return Device();
        yield return Boot(vsockBuiltIn);
    }

    private IsulaKataCheck Device()
    {
        string host = Host.Files.ToHostPath(VsockDevice);
        if (!Native.TryStat(host, out Native.StatxBuffer stat))
        {
            return Fail(VsockDevice, $"{VsockDevice} does not exist: kata cannot talk to the VM's agent over vsock.", "modprobe vhost_vsock");
        }
        const int characterDevice = 0x2000;
        return (stat.Mode & 0xF000) == characterDevice
            ? Pass(VsockDevice, $"{VsockDevice} is present.")
            : Fail(VsockDevice, $"{VsockDevice} exists but is not a character device.", $"Remove it (rm {VsockDevice}) and load the module again: modprobe -r vhost_vsock; modprobe vhost_vsock");
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
            if (text is not null && text.Split('\n').Select(l => l.Trim())
                    .Any(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith(';') && l.Replace('-', '_') == "vhost_vsock"))
            {
                return Pass(BootName, $"vhost_vsock is loaded at boot (listed in '{file}').");
            }
        }
        return Warn(BootName, "vhost_vsock is listed in no modules-load.d file: after a reboot it is not loaded and kata containers fail to start.",
            "echo vhost_vsock > /etc/modules-load.d/isulakata.conf");
    }

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
