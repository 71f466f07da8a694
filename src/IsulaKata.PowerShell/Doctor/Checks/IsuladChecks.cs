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

    /// <summary>iSulad's built-in storage driver when daemon.json names none.</summary>
    private const string DefaultDriver = "overlay2";

    public IsuladChecks(HostCheckContext context) : base(context) { }

    public override string Name => HostAreas.Isulad;

    private string ConfigPath => Context.IsuladConfigPath;

    public override IEnumerable<IsulaKataCheck> Run()
    {
        (IsulaRuntimeConfig? config, Exception? error) = Context.DaemonConfig;
        yield return File(config, error);
        if (config is not null && Host.Files.FileExists(ConfigPath))
        {
            yield return Runtime(config);
            yield return Driver(config);
            foreach (IsulaKataCheck check in Options(config))
            {
                yield return check;
            }
        }
        foreach (IsulaKataCheck check in Flags())
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
        bool answered = config?.DaemonRunning ?? new IsuladConfigurator(Host).TryInfo() is not null;
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

    private IsulaKataCheck Driver(IsulaRuntimeConfig config)
    {
        string? driver = config.StorageDriver;
        if (driver == "devicemapper")
        {
            return Pass(DriverName, "storage-driver is devicemapper.");
        }
        string found = driver is null ? $"storage-driver is not set ({DefaultDriver})" : $"storage-driver is {driver}";
        const string remedy = "Create a thin pool and switch to it: Set-IsulaRuntime -ThinPoolDevice /dev/mapper/isula-thinpool -Restart";
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
            string? invalid = null;
            try
            {
                IsuladRules.ValidateDevicemapperOption(option);
            }
            catch (IsulaKataException error)
            {
                invalid = error.Message;
            }
            if (invalid is not null)
            {
                problem = true;
                yield return Fail(name, invalid + " isulad does not start with it.", "Correct or remove it in storage-opts (Set-IsulaRuntime validates what it writes).");
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
            yield return Pass(OptionsName, string.Join(", ", config.StorageOptions) + ".");
        }
    }

    private IEnumerable<IsulaKataCheck> Flags()
    {
        List<string> conflicts;
        try
        {
            conflicts = new IsuladConfigurator(Host).SysconfigWarnings().ToList();
        }
        catch (UnauthorizedAccessException)
        {
            return new[] { SkipNeedsRoot(FlagsName, $"Reading '{IsuladConfigurator.SysconfigPath}'") };
        }
        if (conflicts.Count == 0 && !Host.Files.FileExists(IsuladConfigurator.SysconfigPath))
        {
            return new[] { Pass(FlagsName, $"'{IsuladConfigurator.SysconfigPath}' does not exist, so no service flag overrides daemon.json.") };
        }
        if (conflicts.Count == 0)
        {
            return new[] { Pass(FlagsName, $"'{IsuladConfigurator.SysconfigPath}' passes no storage flags that would override daemon.json.") };
        }
        return conflicts.Select(c => Fail(FlagsName, c, $"Edit '{IsuladConfigurator.SysconfigPath}', then systemctl restart isulad."));
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
