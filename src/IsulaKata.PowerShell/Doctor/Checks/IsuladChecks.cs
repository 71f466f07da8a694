using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;
using IsulaKata.Kata;
using IsulaKata.Isulad;

namespace IsulaKata.Doctor.Checks;

/// <summary>iSulad's configuration as iSulad itself would judge it (daemon.json read with IsuladConfigurator, options
/// checked with IsuladRules), the service's flags, and whether the running isulad agrees with the file.</summary>
public sealed class IsuladChecks : HostCheckArea
{
    private const string FileName = "daemon.json";
    private const string RuntimeName = "Default runtime";
    private const string DriverName = "Storage driver";
    private const string OptionsName = "Storage options";
    private const string FlagsName = "Service flags";
    private const string RunningName = "isulad running";
    private const string AgreesName = "isula info agrees";
    private const string ShimV2Name = "Shim v2 support";

    private const string DefaultDriver = IsuladConfigurator.DefaultDriver;
    private IsuladConfigurator? _configurator;

    public IsuladChecks(HostCheckContext context) : base(context) { }

    public override string Name => HostAreas.Isulad;

    private string ConfigPath => Context.IsuladConfigPath;

    private IsuladConfigurator Configurator => _configurator ??= new IsuladConfigurator(Host);

    public override IEnumerable<IsulaKataCheck> Run()
    {
        (IsulaRuntimeConfig? config, Exception? error) = Context.DaemonConfig;
        yield return File(config, error);
        if (config is not null && Host.Files.FileExists(ConfigPath))
        {
            yield return Runtime(config);
            foreach (string key in IsuladRules.UnreachableRuntimeKeys(config.DeclaredRuntimes))
            {
                yield return Warn($"Runtime '{key}'", $"The runtime '{key}' under \"runtimes\" can never be used: iSulad lower-cases every requested runtime name and compares it exactly (strcmp), so a key with capitals never matches.",
                    $"Rename the key to '{key.ToLowerInvariant()}' in '{ConfigPath}'.");
            }
            yield return Driver(config);
            foreach (IsulaKataCheck check in Options(config))
            {
                yield return check;
            }
        }
        yield return ShimV2(config);
        foreach (IsulaKataCheck check in Flags(config))
        {
            yield return check;
        }
        if (!Host.IsLiveHost)
        {
            yield return SkipUnderRoot(RunningName);
            yield return SkipUnderRoot(AgreesName);
            yield break;
        }
        // Read() already asked isulad; only when daemon.json could not be read is it asked here.
        bool answered = config?.DaemonRunning ?? Configurator.TryInfo() is not null;
        yield return Running(answered);
        yield return Agrees(config, answered);
    }

    private IsulaKataCheck File(IsulaRuntimeConfig? config, Exception? error)
    {
        switch (error)
        {
            case IsulaKataException invalid:
                return Fail(FileName, invalid.Message, invalid.RecommendedAction);
            case UnauthorizedAccessException:
                return SkipNeedsRoot(FileName, $"Reading '{ConfigPath}'");
            case not null:
                return Fail(FileName, $"'{ConfigPath}' cannot be read: {error.Message}", $"Check '{ConfigPath}' and the disk it is on.");
        }
        if (!Host.Files.FileExists(ConfigPath))
        {
            return Warn(FileName, $"'{ConfigPath}' does not exist: iSulad runs with its built-in defaults (no kata runtime, {DefaultDriver} storage).",
                "Set-IsulaRuntime -ThinPoolDevice /dev/mapper/isula-thinpool   (writes it)");
        }
        string? repair = config!.Warnings.FirstOrDefault(w => w.Contains("is not strict JSON", StringComparison.Ordinal));
        return repair is not null
            ? Fail(FileName, repair + " iSulad refuses to start with it.", "Set-IsulaRuntime repairs the file (or remove the trailing comma by hand).")
            : Pass(FileName, $"'{ConfigPath}' is valid JSON.");
    }

    private IsulaKataCheck Runtime(IsulaRuntimeConfig config)
    {
        string? runtime = config.Runtime;
        if (runtime is null)
        {
            return Warn(RuntimeName, "default-runtime is not set: containers start with iSulad's built-in runtime, not in a VM.",
                $"Set-IsulaRuntime   (sets {IsuladRules.KataShimV2})");
        }
        if (string.Equals(runtime, IsuladRules.KataShimV2, StringComparison.OrdinalIgnoreCase))
        {
            return Pass(RuntimeName, $"default-runtime is {runtime}.");
        }
        if (runtime.ToLowerInvariant() == IsuladRules.KataV1Runtime)
        {
            return KataV1Runtime();
        }
        try
        {
            IsuladRules.NormalizeRuntime(runtime, Array.Empty<string>(), ConfigPath);
            return Warn(RuntimeName, $"default-runtime is {runtime}: containers run without a VM unless started with --runtime {IsuladRules.KataShimV2}.",
                $"Set-IsulaRuntime   (sets {IsuladRules.KataShimV2})");
        }
        catch (IsulaKataException invalid)
        {
            return Warn(RuntimeName, invalid.Message + " (unless it is declared under \"runtimes\").", invalid.RecommendedAction);
        }
    }

    /// <summary>kata-runtime is the v1 runtime: kata 1.x starts VMs with it; kata 2.x's kata-runtime is a management
    /// tool without create/start, so every container fails to start. The message follows the installed generation.</summary>
    private IsulaKataCheck KataV1Runtime()
    {
        int? generation = KataGeneration();
        const string fix = "Set-IsulaRuntime   (sets " + IsuladRules.KataShimV2 + ")";
        return generation switch
        {
            1 => Warn(RuntimeName, $"default-runtime is {IsuladRules.KataV1Runtime}: kata 1.x starts VMs with it, but the shim v2 runtime {IsuladRules.KataShimV2} is what this module sets up and tests.", fix),
            2 => Fail(RuntimeName, $"default-runtime is {IsuladRules.KataV1Runtime}, but kata 2.x is installed, whose kata-runtime has no create or start command: every container fails to start.", fix),
            _ => Warn(RuntimeName, $"default-runtime is {IsuladRules.KataV1Runtime}, the v1 runtime: it starts VMs only with kata 1.x (kata 2.x's kata-runtime has no create or start); the installed kata generation could not be told.", fix),
        };
    }

    /// <summary>1 for kata 1.x, 2 for any later kata, as the installed programs tell (the one detector,
    /// <see cref="Kata.KataGeneration"/>: asked once, while kata's configuration was read, or here when there is none);
    /// else from the files: kata 1.x ships kata-shim and kata-proxy, later kata only containerd-shim-kata-v2. Null when
    /// nothing tells.</summary>
    private int? KataGeneration()
    {
        string? told = Context.KataVersion is not null ? Context.KataGeneration
            : Context.HasKataConfig ? null : Kata.KataGeneration.Installed(Host)?.Generation;
        if (told is not null)
        {
            return told == Kata.KataGeneration.One ? 1 : 2;
        }
        string[] v1Parts = { "/usr/libexec/kata-containers/kata-shim", "/usr/libexec/kata-containers/kata-proxy", "/usr/bin/kata-shim", "/usr/bin/kata-proxy" };
        if (v1Parts.Any(Host.Files.FileExists))
        {
            return 1;
        }
        return Host.Files.FileExists("/usr/bin/" + IsuladRules.ShimBinary(IsuladRules.KataShimV2)) ? 2 : null;
    }

    private IsulaKataCheck Driver(IsulaRuntimeConfig config)
    {
        string? driver = config.StorageDriver;
        if (driver == "devicemapper")
        {
            return Pass(DriverName, "storage-driver is devicemapper.");
        }
        string found = driver is null ? $"storage-driver is not set ({DefaultDriver})" : $"storage-driver is {driver}";
        const string remedy = "Create a thin pool and switch to it: Set-IsulaRuntime -ThinPoolDevice /dev/mapper/isula-thinpool -Restart";
        if (Context.KataGeneration is Kata.KataGeneration.Three or Kata.KataGeneration.RuntimeRs)
        {
            // Only openEuler's kata (1.x, 2.x) hands StratoVirt the container's block device; kata 3.x shares the rootfs over virtio-fs.
            return Pass(DriverName, $"{found}: {(Context.KataGeneration == Kata.KataGeneration.Three ? "kata 3.x" : "kata's runtime-rs")} shares the container's root filesystem with the guest over its shared file system, so {Context.KataHypervisor ?? "its hypervisor"} works with it (devicemapper is needed by openEuler's kata 1.x and 2.x only).");
        }
        return Context.KataHypervisor == HypervisorProcesses.StratoVirt
            ? Fail(DriverName, $"{found}, but kata uses StratoVirt, which supports only devicemapper.", remedy)
            : Warn(DriverName, $"{found}: StratoVirt supports only devicemapper (QEMU works with either).", remedy);
    }

    private IEnumerable<IsulaKataCheck> Options(IsulaRuntimeConfig config)
    {
        if (config.StorageDriver != "devicemapper")
        {
            yield break;
        }
        bool problem = false;
        foreach (string option in config.StorageOptions)
        {
            string name = $"Storage option '{option}'";
            if (!IsuladRules.IsDevicemapperOption(option))
            {
                problem = true;
                yield return Fail(name, $"'{option}' belongs to another storage driver; devicemapper refuses it and isulad does not start.",
                    "Remove it from storage-opts (Set-IsulaRuntime -ThinPoolDevice ... does).");
                continue;
            }
            string? invalid = IsuladRules.DevicemapperProblem(option, MatchingFor(option));
            if (invalid is not null)
            {
                problem = true;
                yield return Fail(name, $"'{option}' is not valid: {invalid}; isulad does not start with it (checked with {Rule(option)}).",
                    "Correct or remove it in storage-opts (Set-IsulaRuntime validates what it writes).");
            }
        }
        if (config.ThinPoolDevice is null)
        {
            problem = true;
            yield return Fail(OptionsName, "devicemapper needs dm.thinpooldev (the thin pool), and storage-opts has none.",
                "Set-IsulaRuntime -ThinPoolDevice /dev/mapper/isula-thinpool");
        }
        if (!problem)
        {
            yield return Pass(OptionsName, $"{string.Join(", ", config.StorageOptions)} (checked with {Rule(null)}).");
        }
    }

    private OptionKeyMatching MatchingFor(string option) => Configurator.MatchingFor(option);

    /// <summary>The rule the doctor applied: for names spelt as iSulad's table spells them every version agrees; for
    /// others the installed version decides (looked up only then).</summary>
    private string Rule(string? option)
    {
        if (option is null || IsuladRules.CanonicalKey(IsuladRules.OptionKey(option)) is not null)
        {
            return "iSulad's rules; option names spelt exactly as iSulad's table spells them, valid for every iSulad version";
        }
        IsuladInstallation installation = Configurator.Installation;
        return "iSulad's rules; " + IsuladRules.DescribeKeyMatching(installation.KeyMatching, installation.Version);
    }

    /// <summary>isulad's command-line flags (ExecStart and its EnvironmentFile) that override or extend daemon.json.</summary>
    private IEnumerable<IsulaKataCheck> Flags(IsulaRuntimeConfig? config)
    {
        IReadOnlyList<IsuladServiceFlag> flags;
        try
        {
            flags = config?.ServiceFlags ?? IsuladService.ReadFlags(Host.Files);
        }
        catch (UnauthorizedAccessException)
        {
            return new[] { SkipNeedsRoot(FlagsName, $"Reading isulad's unit and '{IsuladService.SysconfigPath}'") };
        }
        catch (IsulaKataException error)
        {
            return new[] { Fail(FlagsName, error.Message, error.RecommendedAction) };
        }
        List<string> conflicts = Configurator.FlagWarnings(flags, config?.StorageDriver, config?.Runtime, config?.StorageOptions ?? Array.Empty<string>()).ToList();
        if (conflicts.Count == 0)
        {
            string seen = flags.Count == 0 ? "isulad gets no storage or runtime flag on its command line" : "isulad's command line passes " + string.Join(", ", flags.Select(f => f.ToString()));
            return new[] { Pass(FlagsName, $"{seen}; nothing there overrides daemon.json.") };
        }
        return conflicts.Select(c => Fail(FlagsName, c, $"Edit the file named above (usually '{IsuladService.SysconfigPath}'), then systemctl restart isulad."));
    }

    /// <summary>Whether this iSulad can run the kata shim v2 runtime: built with shim v2 support, lib-shim-v2 installed.</summary>
    private IsulaKataCheck ShimV2(IsulaRuntimeConfig? config)
    {
        IReadOnlyList<string>? problems = Configurator.Installation.ShimV2Problems();
        if (problems is null)
        {
            return Skip(ShimV2Name, $"isulad's binary is in none of {string.Join(", ", IsuladInstallation.BinaryPaths)} under '{Host.Root}', so its shim v2 support cannot be checked.");
        }
        if (problems.Count > 0)
        {
            bool needed = config?.Runtime is string runtime && IsuladRules.IsShimV2Name(runtime.ToLowerInvariant());
            string detail = $"iSulad cannot run shim v2 runtimes ({IsuladRules.KataShimV2}): {string.Join("; ", problems)}.";
            const string fix = "Install-IsulaKataPackage   (installs iSulad and lib-shim-v2)";
            return needed ? Fail(ShimV2Name, detail, fix) : Warn(ShimV2Name, detail, fix);
        }
        return Pass(ShimV2Name, $"isulad links {IsuladRules.ShimV2Library} and {IsuladRules.ShimV2Package} is installed.");
    }

    private IsulaKataCheck Running(bool answered)
    {
        if (!Host.Runner.Exists("isula"))
        {
            return Fail(RunningName, "'isula' is not on PATH: iSulad is not installed.",
                "Install-IsulaKataPackage, then: systemctl enable --now isulad");
        }
        if (answered)
        {
            return Pass(RunningName, "isulad answers 'isula info'.");
        }
        if (!Context.IsRoot)
        {
            return SkipNeedsRoot(RunningName, "Asking isulad (its socket belongs to root)");
        }
        return Fail(RunningName, "isulad does not answer 'isula info'.",
            "systemctl start isulad; if it fails, read journalctl -u isulad (a bad storage option or a missing thin pool are the usual causes).");
    }

    private IsulaKataCheck Agrees(IsulaRuntimeConfig? config, bool answered)
    {
        if (!answered || config is null)
        {
            return Skip(AgreesName, answered ? $"'{ConfigPath}' could not be read." : "isulad does not answer, so there is nothing to compare.");
        }
        string configured = config.StorageDriver ?? DefaultDriver;
        if (config.ActiveStorageDriver != configured
            && config.ServiceFlags.LastOrDefault(f => f.Flag == IsuladRules.StorageDriverFlag) is IsuladServiceFlag flag)
        {
            return Fail(AgreesName, $"isulad runs with storage driver '{config.ActiveStorageDriver}' but '{ConfigPath}' says '{configured}': "
                + $"its command line passes {flag.Flag} {flag.Value} ({flag.Source}), which overrides daemon.json.",
                $"Remove {flag.Flag} from {flag.Source}, then systemctl restart isulad.");
        }
        if (config.ActiveStorageDriver != configured)
        {
            return Fail(AgreesName, $"isulad runs with storage driver '{config.ActiveStorageDriver}' but '{ConfigPath}' says '{configured}': it was not restarted after the change.",
                "Restart isulad: Set-IsulaRuntime -Restart (or systemctl restart isulad).");
        }
        if (configured == "devicemapper" && config.ThinPoolDevice is string device)
        {
            string pool = IsuladConfigurator.PoolName(device);
            if (config.ActivePoolName != pool)
            {
                return Fail(AgreesName, $"isulad uses thin pool '{config.ActivePoolName}' but '{ConfigPath}' names '{pool}'.",
                    "Restart isulad: Set-IsulaRuntime -Restart (or systemctl restart isulad).");
            }
            return Pass(AgreesName, $"isulad runs with devicemapper on '{pool}', as configured.");
        }
        return Pass(AgreesName, $"isulad runs with storage driver '{configured}', as configured.");
    }
}
