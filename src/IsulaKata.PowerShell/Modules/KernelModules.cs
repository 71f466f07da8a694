using System;
using System.Linq;
using System.Threading;
using IsulaKata.Core;

namespace IsulaKata.Modules;

/// <summary>What the running kernel says about a module and its device.</summary>
public sealed record KernelModuleProbe(bool Loaded, bool BuiltIn, bool ModulesSupported, bool DeviceExists);

/// <summary>
/// Loads kernel modules with modprobe, checks them in /proc/modules (or /sys/module for built-in ones) and their
/// device in /dev, and makes them load at boot through a modules-load.d file.
/// </summary>
/// <remarks>
/// The running kernel is read through its own <see cref="HostFiles"/> (rooted at '/' on a live host), separate from
/// the target's files: under another -Root the target is not the running system, so nothing is loaded or read
/// there and only the boot-time file is written.
/// </remarks>
public sealed class KernelModules
{
    /// <summary>The modules-load.d file this module writes; one module name per line.</summary>
    public const string ModulesLoadPath = "/etc/modules-load.d/isulakata.conf";

    private static readonly TimeSpan DeviceWait = TimeSpan.FromSeconds(3);
    private readonly HostContext _host;
    private readonly HostFiles? _kernel;

    /// <param name="host">The target: its files get the boot-time configuration; its runner runs modprobe.</param>
    /// <param name="kernel">Where the running kernel's /proc, /sys and /dev are read; null when the target is not the running host.</param>
    public KernelModules(HostContext host, HostFiles? kernel)
    {
        _host = host;
        _kernel = kernel;
    }

    /// <summary>For a cmdlet: the running kernel is the target's own when the target is this host, else none.</summary>
    public static KernelModules For(HostContext host) => new(host, host.IsLiveHost ? host.Files : null);

    /// <summary>
    /// Enable-VhostVsock's decisions: load <paramref name="module"/> when the running kernel lacks it (reload when its
    /// device is missing), add it to <see cref="ModulesLoadPath"/> unless <paramref name="persist"/> is false or it is
    /// there. <paramref name="approve"/> is asked (target, action) before each change; a "no" skips that change.
    /// </summary>
    public KernelModuleState Enable(string module, string device, bool persist, Func<string, string, bool> approve)
    {
        bool changed = false;
        KernelModuleProbe? probe = null;
        if (HasRunningKernel)
        {
            probe = Probe(module, device);
            EnsureLoadable(probe, module);
            if (probe.Loaded)
            {
                _host.Log(probe.BuiltIn ? $"The running kernel has {module} built in." : $"{module} is already loaded.");
                if (!probe.DeviceExists)
                {
                    probe = Load(module, device);
                }
            }
            else if (approve(module, $"Load the kernel module (modprobe {module})"))
            {
                probe = Load(module, device);
                changed = true;
            }
        }
        FileUpdateResult? write = null;
        bool persistent = IsPersistent(module);
        if (persist && !persistent && approve(ModulesLoadPath, $"Add '{module}' so that it loads at every boot"))
        {
            write = Persist(module);
            persistent = true;
            changed |= write.Changed;
        }
        return new KernelModuleState
        {
            Name = module,
            Loaded = probe?.Loaded,
            BuiltIn = probe?.BuiltIn,
            Persistent = persistent,
            PersistPath = ModulesLoadPath,
            DevicePath = device,
            DeviceExists = probe?.DeviceExists,
            Changed = changed,
            BackupPath = write?.BackupPath,
            Root = _host.Root,
        };
    }

    /// <summary>True when the running kernel can be read and loaded into (a live host).</summary>
    public bool HasRunningKernel => _kernel is not null;

    /// <summary>What the running kernel has now. Only valid when <see cref="HasRunningKernel"/>.</summary>
    public KernelModuleProbe Probe(string module, string device)
    {
        HostFiles kernel = _kernel ?? throw new InvalidOperationException("No running kernel to probe under another root.");
        string? modules = kernel.ReadText("/proc/modules");
        bool listed = modules is not null && modules.Split('\n').Any(line => line.StartsWith(module + " ", StringComparison.Ordinal));
        bool deviceExists = kernel.FileExists(device);
        // Built in: no entry in /proc/modules, but the kernel has it: listed in modules.builtin, or a /sys/module
        // folder without the initstate that loadable modules have. The device node alone proves nothing where modules
        // load (kmod's static nodes exist before the module does, and opening one loads it); it does where they cannot.
        bool builtIn = !listed && ((modules is null && deviceExists)
            || IsListedBuiltIn(kernel, module)
            || (kernel.DirectoryExists("/sys/module/" + module) && !kernel.FileExists("/sys/module/" + module + "/initstate")));
        return new KernelModuleProbe(listed || builtIn, builtIn, modules is not null, deviceExists);
    }

    private static bool IsListedBuiltIn(HostFiles kernel, string module)
    {
        string? release = kernel.ReadText("/proc/sys/kernel/osrelease")?.Trim();
        string? builtIn = string.IsNullOrEmpty(release) ? null : kernel.ReadText($"/lib/modules/{release}/modules.builtin");
        string wanted = module.Replace('-', '_') + ".ko";
        return builtIn is not null && builtIn.Split('\n')
            .Any(line => line.Trim().Replace('-', '_').EndsWith("/" + wanted, StringComparison.Ordinal));
    }

    /// <summary>Throws <c>KernelModulesUnsupported</c> when the module is neither there nor loadable (before asking to load it).</summary>
    public static void EnsureLoadable(KernelModuleProbe probe, string module)
    {
        if (!probe.Loaded && !probe.ModulesSupported)
        {
            throw Unsupported(module);
        }
    }

    /// <summary>
    /// Runs <c>modprobe MODULE</c>, then checks the kernel lists it and its device appears. Throws
    /// <c>KernelModulesUnsupported</c>, <c>KernelModuleNotFound</c>, <c>KernelModuleLoadFailed</c>,
    /// <c>KernelModuleNotLoaded</c> or <c>ModuleDeviceMissing</c>.
    /// </summary>
    public KernelModuleProbe Load(string module, string device)
    {
        KernelModuleProbe before = Probe(module, device);
        EnsureLoadable(before, module);
        if (!before.Loaded)
        {
            CommandResult result = _host.Runner.Run("modprobe", new[] { module }, TimeSpan.FromSeconds(60));
            if (!result.Succeeded)
            {
                string output = result.StandardError + result.StandardOutput;
                if (output.Contains("not found in directory", StringComparison.Ordinal) || output.Contains($"Module {module} not found", StringComparison.Ordinal))
                {
                    throw new IsulaKataException("KernelModuleNotFound", FailureKind.NotInstalled,
                        $"The running kernel has no '{module}' module: '{result.CommandLine}' failed: {result.Diagnostics()}",
                        $"Install the kernel modules package of the running kernel (uname -r), or boot a kernel built with {module}; then run the command again.", module);
                }
                throw CommandRunnerExtensions.CommandFailed(result, "KernelModuleLoadFailed",
                    $"Read modprobe's message above (run the cmdlet as root; check dmesg for the kernel's reason), fix the cause, and run the command again.");
            }
        }
        KernelModuleProbe after = Probe(module, device);
        if (!after.Loaded)
        {
            throw new IsulaKataException("KernelModuleNotLoaded", FailureKind.InvalidOperation,
                $"'modprobe {module}' succeeded, but /proc/modules does not list '{module}'.",
                $"Check dmesg for why '{module}' was not loaded (a module blacklisted with 'install {module} /bin/false' in /etc/modprobe.d does this).", module);
        }
        DateTime deadline = DateTime.UtcNow + DeviceWait;
        while (!after.DeviceExists && DateTime.UtcNow < deadline)
        {
            // udev (or devtmpfs) creates the node shortly after the module registers it.
            if (_host.Cancellation.WaitHandle.WaitOne(100))
            {
                _host.Cancellation.ThrowIfCancellationRequested();
            }
            after = Probe(module, device);
        }
        if (!after.DeviceExists)
        {
            throw new IsulaKataException("ModuleDeviceMissing", FailureKind.ResourceUnavailable,
                $"'{module}' is loaded, but '{device}' does not exist, and kata cannot start a VM without it.",
                $"Check that /dev is a devtmpfs and udev runs (ls -l {device}; udevadm trigger), then run the command again.", device);
        }
        return after;
    }

    /// <summary>Whether the target's modules-load.d file lists the module.</summary>
    public bool IsPersistent(string module) => Lists(_host.Files.ReadText(ModulesLoadPath), module);

    /// <summary>Adds the module to the target's modules-load.d file (kept lines and comments stay); no write when listed.</summary>
    public FileUpdateResult Persist(string module)
        => _host.Files.Update(ModulesLoadPath, current =>
        {
            if (Lists(current, module))
            {
                return null;
            }
            if (current is null)
            {
                return "# Kernel modules IsulaKata needs at boot, loaded by systemd-modules-load.service.\n" + module + "\n";
            }
            // Keep the file's own line ends (CRLF stays CRLF).
            string newline = current.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
            return current + (current.Length == 0 || current.EndsWith('\n') ? string.Empty : newline) + module + newline;
        });

    private static bool Lists(string? text, string module)
        => text is not null && text.Split('\n').Select(l => l.Split('#', ';')[0].Trim()).Any(l => l == module || l.Replace('-', '_') == module);

    private static IsulaKataException Unsupported(string module)
        => new("KernelModulesUnsupported", FailureKind.NotImplemented,
            $"The running kernel cannot load modules (it has no /proc/modules) and has no '{module}' built in.",
            $"Boot a kernel with loadable module support (CONFIG_MODULES) or with {module} built in; a guest kernel of a VM, a container or a minimal cloud kernel often lacks both.",
            module);
}
