using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using IsulaKata.Core;

namespace IsulaKata.Isulad;

/// <summary>What Set-IsulaRuntime asks for.</summary>
public sealed class IsuladRuntimeRequest
{
    public string ConfigPath { get; init; } = IsuladConfigurator.DefaultConfigPath;
    public string Runtime { get; init; } = IsuladRules.KataShimV2;

    /// <summary>When set, storage becomes devicemapper on this pool; when null, storage is left alone.</summary>
    public string? ThinPoolDevice { get; init; }

    public string MinFreeSpace { get; init; } = "10%";
    public string? BaseSize { get; init; }
    public IReadOnlyList<string> StorageOptions { get; init; } = Array.Empty<string>();

    /// <summary>Restart isulad when it does not already run with the result, and verify what it reports.</summary>
    public bool Restart { get; init; }

    /// <summary>How long to wait for isulad to answer after a restart.</summary>
    public TimeSpan RestartTimeout { get; init; } = IsuladConfigurator.DefaultRestartTimeout;
}

/// <summary>The computed change to daemon.json: what the file will say, and what the change does.</summary>
public sealed class IsuladConfigPlan
{
    internal IsuladConfigPlan(string configPath, string? newText, bool changed, bool creates, string? runtime, string? storageDriver,
        IReadOnlyList<string> storageOptions, IReadOnlyList<string> changes, IReadOnlyList<string> warnings)
    {
        ConfigPath = configPath;
        NewText = newText;
        Changed = changed;
        Creates = creates;
        Runtime = runtime;
        StorageDriver = storageDriver;
        StorageOptions = storageOptions;
        Changes = changes;
        Warnings = warnings;
    }

    public string ConfigPath { get; }
    public string? NewText { get; }
    public bool Changed { get; }
    public bool Creates { get; }
    public string? Runtime { get; }
    public string? StorageDriver { get; }
    public IReadOnlyList<string> StorageOptions { get; }

    /// <summary>One line per key that changes, e.g. <c>default-runtime: "runc" -> "io.containerd.kata.v2"</c>.</summary>
    public IReadOnlyList<string> Changes { get; }

    public IReadOnlyList<string> Warnings { get; }

    public string? ThinPoolDevice => IsuladConfigurator.ThinPoolOf(StorageOptions);
}

/// <summary>What a restart found.</summary>
public sealed class IsuladRestartOutcome
{
    internal IsuladRestartOutcome(IsulaInfo info) => Info = info;

    public IsulaInfo Info { get; }
}

/// <summary>What Set-IsulaRuntime will do, decided before anything changes: each step to approve (the file, the
/// restart), the warnings to show before writing, and whether isulad must be restarted.</summary>
public sealed class IsuladChange
{
    internal IsuladChange(IsuladConfigPlan plan, IReadOnlyList<(string Target, string Action)> steps, bool restart, IsulaInfo? info, IReadOnlyList<string> warnings)
    {
        Plan = plan;
        Steps = steps;
        Restart = restart;
        Info = info;
        Warnings = warnings;
    }

    public IsuladConfigPlan Plan { get; }

    /// <summary>One step per change, in order: the daemon.json edit, then the restart.</summary>
    public IReadOnlyList<(string Target, string Action)> Steps { get; }

    /// <summary>True when isulad will be restarted (asked for, on this host, and it does not already run with the result).</summary>
    public bool Restart { get; }

    /// <summary>What isulad reported while planning (only asked when the file does not change).</summary>
    public IsulaInfo? Info { get; }

    /// <summary>Everything to warn about before writing: the plan's warnings and those of the restart decision.</summary>
    public IReadOnlyList<string> Warnings { get; }
}

/// <summary>Reads and changes iSulad's daemon.json, restarts isulad and checks what it reports.</summary>
public sealed class IsuladConfigurator
{
    public const string DefaultConfigPath = "/etc/isulad/daemon.json";
    public const string SysconfigPath = IsuladService.SysconfigPath;
    public static readonly TimeSpan DefaultRestartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>iSulad's storage driver when neither daemon.json nor its command line names one.</summary>
    public const string DefaultDriver = "overlay2";

    private static readonly string[] ParameterOptionKeys = { "dm.thinpooldev", "dm.fs", "dm.min_free_space", "dm.basesize" };
    private readonly HostContext _host;
    private readonly IsuladInstallation _installation;

    public IsuladConfigurator(HostContext host)
    {
        _host = host;
        _installation = new IsuladInstallation(host);
    }

    /// <summary>What is installed of iSulad (version, shim v2 support).</summary>
    public IsuladInstallation Installation => _installation;

    /// <summary>Computes the change without writing anything (used for -WhatIf and to describe the change).</summary>
    public IsuladConfigPlan Plan(IsuladRuntimeRequest request) => Compute(_host.Files.ReadText(request.ConfigPath), request);

    /// <summary>
    /// Decides everything before anything changes: the file edit, and whether isulad must be restarted (asked for, on
    /// this host, and either the file changes or isulad does not already run with it). Runs only `isula info`, and only
    /// when the file does not change.
    /// </summary>
    public IsuladChange PlanChange(IsuladRuntimeRequest request)
    {
        IsuladConfigPlan plan = Plan(request);
        var steps = new List<(string Target, string Action)>();
        var warnings = new List<string>(plan.Warnings);
        if (plan.Changed)
        {
            string action = plan.Creates ? "Create with " : "Update: ";
            steps.Add((request.ConfigPath, action + (plan.Changes.Count > 0 ? string.Join("; ", plan.Changes) : "repair the JSON")));
        }
        bool restart = false;
        IsulaInfo? info = null;
        if (request.Restart && !_host.IsLiveHost)
        {
            warnings.Add($"-Restart is ignored under -Root '{_host.Root}': isulad runs on this host, not in the root.");
        }
        else if (request.Restart)
        {
            info = plan.Changed ? null : TryInfo();
            restart = !Agrees(info, plan);
            if (restart)
            {
                steps.Add(("isulad", "Restart the service (systemctl daemon-reload; systemctl restart isulad)"));
            }
            else
            {
                _host.Log("isulad already runs with this configuration; no restart needed.");
            }
        }
        return new IsuladChange(plan, steps, restart, info, warnings);
    }

    /// <summary>Carries out an approved change: writes the file (re-planned under its lock) and restarts isulad when
    /// the change says so, rolling the file back if isulad does not come back as configured.</summary>
    public IsulaRuntimeConfig Apply(IsuladRuntimeRequest request, IsuladChange change)
    {
        IsuladConfigPlan plan = change.Plan;
        FileUpdateResult? write = null;
        if (plan.Changed)
        {
            (plan, write) = Write(request);
        }
        IsulaInfo? info = change.Info;
        if (change.Restart)
        {
            info = RestartAndVerify(plan, write, request.RestartTimeout).Info;
        }
        return Describe(plan.ConfigPath, plan.Runtime, plan.StorageDriver, plan.StorageOptions, info, info is null ? null : true,
            change.Warnings.Union(plan.Warnings).ToArray()) with
        {
            Changed = write?.Changed ?? false,
            BackupPath = write?.BackupPath,
            Restarted = change.Restart,
            Verified = Agrees(info, plan),
        };
    }

    /// <summary>The result every cmdlet returns: what the file says and what the running isulad reports.</summary>
    private IsulaRuntimeConfig Describe(string configPath, string? runtime, string? driver, IReadOnlyList<string> options, IsulaInfo? info,
        bool? running, IReadOnlyList<string> warnings)
        => new()
        {
            ConfigPath = configPath,
            Runtime = runtime,
            StorageDriver = driver,
            StorageOptions = options.ToArray(),
            ThinPoolDevice = ThinPoolOf(options),
            DaemonRunning = running,
            ActiveStorageDriver = info?.StorageDriver,
            ActivePoolName = info?.PoolName,
            DataSpaceUsedBytes = info?.DataSpaceUsedBytes,
            DataSpaceTotalBytes = info?.DataSpaceTotalBytes,
            MetadataSpaceUsedBytes = info?.MetadataSpaceUsedBytes,
            MetadataSpaceTotalBytes = info?.MetadataSpaceTotalBytes,
            Warnings = warnings,
            Root = _host.Root,
        };

    /// <summary>True when a running isulad reports what the plan configures (the storage driver, when one is set).</summary>
    private static bool Agrees(IsulaInfo? info, IsuladConfigPlan plan)
        => info is not null && (plan.StorageDriver is null || info.StorageDriver == plan.StorageDriver);

    /// <summary>Applies the change under the file's lock: the file is re-read there, so a concurrent writer's change survives.</summary>
    public (IsuladConfigPlan Plan, FileUpdateResult Write) Write(IsuladRuntimeRequest request)
    {
        IsuladConfigPlan? plan = null;
        FileUpdateResult write = _host.Files.Update(request.ConfigPath, current =>
        {
            plan = Compute(current, request);
            return plan.Changed ? plan.NewText : null;
        }, new FileWriteOptions());
        return (plan!, write);
    }

    /// <summary>The pure edit: daemon.json text (null when missing) in, plan out. Throws on anything iSulad would refuse.</summary>
    public IsuladConfigPlan Compute(string? text, IsuladRuntimeRequest request)
    {
        string path = request.ConfigPath;
        DaemonJsonDocument document = text is null ? DaemonJsonDocument.CreateEmpty(path) : DaemonJsonDocument.Parse(text, path);
        var warnings = new List<string>();
        var changes = new List<string>();
        warnings.AddRange(document.Repairs.Select(r => $"Repaired '{path}': {r} (iSulad rejects trailing commas)."));

        IReadOnlyList<string> declared = DeclaredRuntimes(document);
        warnings.AddRange(UnreachableRuntimeWarnings(declared, path));
        string runtime = IsuladRules.NormalizeRuntime(request.Runtime, declared, path);
        if (runtime != request.Runtime)
        {
            warnings.Add($"Runtime '{request.Runtime}' is written as '{runtime}': iSulad lower-cases default-runtime.");
        }
        if (IsuladRules.IsShimV2Name(runtime) && _installation.ShimV2Problems() is { Count: > 0 } missing)
        {
            throw new IsulaKataException("ShimV2Unsupported", FailureKind.NotInstalled,
                $"iSulad cannot run the shim v2 runtime '{runtime}' on this system: {string.Join("; ", missing)}.",
                $"Install iSulad with shim v2 support and {IsuladRules.ShimV2Package} (Install-IsulaKataPackage installs both), then run Set-IsulaRuntime again; nothing was written.",
                runtime);
        }

        string previousDriver = document.GetString("storage-driver") ?? DefaultDriver;
        List<string>? storageOptions = null;
        if (request.ThinPoolDevice is not null)
        {
            storageOptions = StorageOptionsFor(request, document.GetStringArray("storage-opts"), warnings);
        }

        Set(document, "default-runtime", runtime, changes);
        if (storageOptions is not null)
        {
            Set(document, "storage-driver", "devicemapper", changes);
            if (!document.Contains("storage-opts") || !document.GetStringArray("storage-opts").SequenceEqual(storageOptions))
            {
                changes.Add($"storage-opts: [{Join(document.GetStringArray("storage-opts"))}] -> [{Join(storageOptions)}]");
                document.SetStringArray("storage-opts", storageOptions);
            }
            if (previousDriver != "devicemapper")
            {
                warnings.Add(ImagesHiddenWarning(previousDriver));
            }
        }

        warnings.AddRange(FlagWarnings(IsuladService.ReadFlags(_host.Files), document.GetString("storage-driver"), document.GetString("default-runtime"),
            document.GetStringArray("storage-opts")));
        if (_host.IsLiveHost && IsuladRules.ShimBinary(runtime) is string shim && !_host.Runner.Exists(shim))
        {
            warnings.Add($"'{shim}' is not on PATH, so iSulad cannot start containers with '{runtime}'. Install kata-containers (which ships it).");
        }

        string newText = document.Text;
        bool changed = text is null || document.Repairs.Count > 0 || changes.Count > 0;
        return new IsuladConfigPlan(path, changed ? newText : text, changed, text is null, document.GetString("default-runtime"),
            document.GetString("storage-driver"), document.GetStringArray("storage-opts"), changes, warnings);
    }

    private static void Set(DaemonJsonDocument document, string key, string value, List<string> changes)
    {
        string? current = document.GetString(key);
        if (current != value || !document.Contains(key))
        {
            changes.Add($"{key}: {(current is null ? "(not set)" : "\"" + current + "\"")} -> \"{value}\"");
            document.SetString(key, value);
        }
    }

    private static string Join(IEnumerable<string> values) => string.Join(", ", values.Select(v => "\"" + v + "\""));

    /// <summary>What switching from another storage driver to devicemapper means for the images already pulled.</summary>
    public static string ImagesHiddenWarning(string previousDriver)
        => $"Storage changes from {previousDriver} to devicemapper: the images stored under {previousDriver} are not visible to devicemapper. "
            + "The first 'isula run busybox' pulls busybox from the registry again; on a host without registry access, import the images "
            + "again (isula load -i <file>, or isula import) after isulad restarted.";

    private static IReadOnlyList<string> DeclaredRuntimes(DaemonJsonDocument document)
        => document.Get("runtimes") is { ValueKind: JsonValueKind.Object } runtimes
            ? runtimes.EnumerateObject().Select(p => p.Name).ToList()
            : Array.Empty<string>();

    private static IEnumerable<string> UnreachableRuntimeWarnings(IEnumerable<string> declared, string path)
        => IsuladRules.UnreachableRuntimeKeys(declared).Select(key =>
            $"The runtime '{key}' under \"runtimes\" in '{path}' can never be used: iSulad lower-cases every requested runtime name and compares it exactly, so a key with capitals never matches. Rename it to '{key.ToLowerInvariant()}'.");

    /// <summary>
    /// Warnings for isulad's command-line flags that override or extend daemon.json: --storage-driver and
    /// --default-runtime win over the file; --storage-opt / -s values are added to its storage-opts, where iSulad checks
    /// them like the file's (and a later dm.thinpooldev wins over an earlier one).
    /// </summary>
    public IEnumerable<string> FlagWarnings(IReadOnlyList<IsuladServiceFlag> flags, string? fileDriver, string? fileRuntime, IReadOnlyList<string> fileOptions)
    {
        string driver = flags.LastOrDefault(f => f.Flag == IsuladRules.StorageDriverFlag)?.Value ?? fileDriver ?? DefaultDriver;
        foreach (IsuladServiceFlag flag in flags)
        {
            if (flag.Flag == IsuladRules.StorageDriverFlag && flag.Value != (fileDriver ?? DefaultDriver))
            {
                yield return $"isulad's command line ({flag.Source}) passes {flag.Flag} {flag.Value}, which overrides storage-driver "
                    + $"{(fileDriver is null ? "(not set)" : "\"" + fileDriver + "\"")} in daemon.json: isulad runs with {flag.Value}. Remove the flag there.";
            }
            else if (flag.Flag == IsuladRules.DefaultRuntimeFlag && flag.Value.ToLowerInvariant() != fileRuntime)
            {
                yield return $"isulad's command line ({flag.Source}) passes {flag.Flag} {flag.Value}, which overrides default-runtime "
                    + $"{(fileRuntime is null ? "(not set)" : "\"" + fileRuntime + "\"")} in daemon.json: containers start with {flag.Value.ToLowerInvariant()}. Remove the flag there.";
            }
            else if (flag.Flag == IsuladRules.StorageOptFlag)
            {
                string? problem = driver == "devicemapper" ? IsuladRules.DevicemapperProblem(flag.Value, MatchingFor(flag.Value)) : null;
                string key = IsuladRules.OptionKey(flag.Value);
                bool overrides = !IsuladRules.IsRepeatable(key) && fileOptions.Any(o => IsuladRules.OptionKey(o) == key);
                if (problem is not null || overrides)
                {
                    yield return $"isulad's command line ({flag.Source}) passes {flag.Flag} {flag.Value}, which iSulad adds after storage-opts of daemon.json"
                        + (problem is not null ? $" and refuses: {problem}; isulad does not start." : $" and which replaces the file's {key}.") + " Remove the flag there.";
                }
            }
        }
    }

    /// <summary>The devicemapper options to write: the parameters' options first, then -StorageOption entries,
    /// then valid devicemapper options already in the file that neither replaces. Other drivers' options go.</summary>
    private List<string> StorageOptionsFor(IsuladRuntimeRequest request, IReadOnlyList<string> existing, List<string> warnings)
    {
        var wanted = new List<string>
        {
            "dm.thinpooldev=" + request.ThinPoolDevice,
            "dm.fs=ext4",
            "dm.min_free_space=" + request.MinFreeSpace,
        };
        if (request.BaseSize is not null)
        {
            wanted.Add("dm.basesize=" + request.BaseSize);
        }
        foreach (string option in wanted)
        {
            IsuladRules.ValidateDevicemapperOption(option);
        }
        foreach (string option in request.StorageOptions)
        {
            if (!IsuladRules.IsDevicemapperOption(option))
            {
                throw new IsulaKataException("InvalidStorageOption", FailureKind.InvalidArgument,
                    $"The storage option '{option}' is not a devicemapper option, and the thin pool needs the devicemapper driver.",
                    "Pass only dm.* options with -StorageOption; nothing was written.", option);
            }
            IsuladRules.ValidateDevicemapperOption(option, MatchingFor(option));
            string key = Canonical(option);
            if (ParameterOptionKeys.Contains(key))
            {
                string parameter = key switch
                {
                    "dm.thinpooldev" => "-ThinPoolDevice",
                    "dm.min_free_space" => "-MinFreeSpace",
                    "dm.basesize" => "-BaseSize",
                    _ => "no option (ext4 is the only filesystem iSulad supports)",
                };
                throw new IsulaKataException("ConflictingStorageOption", FailureKind.InvalidArgument,
                    $"-StorageOption '{option}' sets {key}, which this cmdlet already sets.",
                    $"Use {parameter} instead of passing {key} in -StorageOption; nothing was written.", option);
            }
            if (!IsuladRules.IsRepeatable(key) && wanted.Any(w => Canonical(w) == key))
            {
                throw new IsulaKataException("ConflictingStorageOption", FailureKind.InvalidArgument,
                    $"-StorageOption gives {key} more than once; iSulad takes it only once.",
                    $"Pass {key} a single time; nothing was written.", option);
            }
            if (!wanted.Contains(option))
            {
                wanted.Add(option);
            }
        }
        foreach (string option in existing)
        {
            if (!IsuladRules.IsDevicemapperOption(option))
            {
                warnings.Add($"Removed storage option '{option}': it belongs to another storage driver and devicemapper would refuse to start with it.");
                continue;
            }
            string? problem = IsuladRules.DevicemapperProblem(option, MatchingFor(option));
            if (problem is not null)
            {
                warnings.Add($"Removed storage option '{option}': {problem}.");
                continue;
            }
            string key = Canonical(option);
            if (!wanted.Contains(option) && (IsuladRules.IsRepeatable(key) || !wanted.Any(w => Canonical(w) == key)))
            {
                wanted.Add(option);
            }
        }
        return wanted;
    }

    /// <summary>The key matching rule an option needs: exact when its key is spelt as iSulad's table spells it; otherwise
    /// that of the installed iSulad (looked up only then).</summary>
    public OptionKeyMatching MatchingFor(string option)
        => IsuladRules.CanonicalKey(IsuladRules.OptionKey(option)) is not null ? OptionKeyMatching.Exact : _installation.KeyMatching;

    /// <summary>The option's key as iSulad's table spells it (its own key when iSulad does not know it).</summary>
    private string Canonical(string option)
    {
        string key = IsuladRules.OptionKey(option);
        return IsuladRules.CanonicalKey(key) ?? IsuladRules.CanonicalKey(key, MatchingFor(option)) ?? key;
    }

    /// <summary>The pool device named by dm.thinpooldev, if any.</summary>
    public static string? ThinPoolOf(IEnumerable<string> storageOptions)
        => storageOptions.Where(o => IsuladRules.OptionKey(o) == "dm.thinpooldev").Select(o => o.Substring(o.IndexOf('=') + 1)).LastOrDefault();

    /// <summary>Reads daemon.json and, on a live host, what isulad reports.</summary>
    public IsulaRuntimeConfig Read(string configPath)
    {
        var warnings = new List<string>();
        string? text = _host.Files.ReadText(configPath);
        DaemonJsonDocument? document = null;
        if (text is null)
        {
            warnings.Add($"'{configPath}' does not exist: iSulad uses its built-in defaults.");
        }
        else
        {
            document = DaemonJsonDocument.Parse(text, configPath);
            warnings.AddRange(document.Repairs.Select(r => $"'{configPath}' is not strict JSON: {r} would be needed."));
            warnings.AddRange(UnreachableRuntimeWarnings(DeclaredRuntimes(document), configPath));
        }
        IReadOnlyList<IsuladServiceFlag> flags = IsuladService.ReadFlags(_host.Files);
        IReadOnlyList<string> options = document?.GetStringArray("storage-opts") ?? Array.Empty<string>();
        IsulaInfo? info = _host.IsLiveHost ? TryInfo() : null;
        if (!_host.IsLiveHost)
        {
            _host.Log($"Root is '{_host.Root}', not this host: reading files only, not asking isulad.");
        }
        string? driver = document?.GetString("storage-driver");
        warnings.AddRange(FlagWarnings(flags, driver, document?.GetString("default-runtime"), options));
        bool flagDriver = flags.Any(f => f.Flag == IsuladRules.StorageDriverFlag);
        if (info?.StorageDriver is string active && driver is not null && active != driver && !flagDriver)
        {
            warnings.Add($"isulad runs with storage driver '{active}' but '{configPath}' says '{driver}': restart isulad (Set-IsulaRuntime -Restart).");
        }
        return Describe(configPath, document?.GetString("default-runtime"), driver, options, info, _host.IsLiveHost ? info is not null : null, warnings) with
        {
            DeclaredRuntimes = document is null ? Array.Empty<string>() : DeclaredRuntimes(document),
            ServiceFlags = flags,
        };
    }

    /// <summary>`isula info`, or null when isula is missing or the daemon does not answer.</summary>
    public IsulaInfo? TryInfo()
    {
        if (!_host.Runner.Exists("isula"))
        {
            return null;
        }
        CommandResult result = _host.Runner.Run("isula", new[] { "info" }, TimeSpan.FromSeconds(15));
        return result.Succeeded ? IsulaInfo.Parse(result.StandardOutput) : null;
    }

    /// <summary>
    /// systemctl daemon-reload, restart isulad, wait until `isula info` answers, and check the storage driver and
    /// pool. On failure the file change is rolled back, isulad restarted again, and the error quotes systemd.
    /// </summary>
    public IsuladRestartOutcome RestartAndVerify(IsuladConfigPlan plan, FileUpdateResult? write, TimeSpan timeout)
    {
        const string activity = "Restarting isulad";
        try
        {
            _host.Progress(activity, "systemctl daemon-reload", -1, false);
            CommandResult reload = _host.Runner.Run("systemctl", new[] { "daemon-reload" });
            if (!reload.Succeeded)
            {
                throw Rollback($"'{reload.CommandLine}' failed: {reload.Diagnostics(3)}", write);
            }
            _host.Progress(activity, "systemctl restart isulad", -1, false);
            CommandResult restart = _host.Runner.Run("systemctl", new[] { "restart", "isulad" }, timeout + TimeSpan.FromSeconds(30));
            if (!restart.Succeeded)
            {
                throw Rollback($"'{restart.CommandLine}' failed with exit code {restart.ExitCode}: {restart.Diagnostics(3)}", write);
            }
            IsulaInfo? info = WaitForDaemon(activity, timeout);
            if (info is null)
            {
                throw Rollback($"isulad did not answer 'isula info' within {timeout.TotalSeconds:0} seconds after the restart.", write);
            }
            if (plan.StorageDriver is string driver && !string.Equals(info.StorageDriver, driver, StringComparison.Ordinal))
            {
                throw Rollback($"isulad came back with storage driver '{info.StorageDriver ?? "(none)"}' instead of '{driver}'.", write);
            }
            if (plan.StorageDriver == "devicemapper" && plan.ThinPoolDevice is string device)
            {
                string expected = PoolName(device);
                if (info.PoolName is string pool && pool != expected)
                {
                    throw Rollback($"isulad came back with thin pool '{pool}' instead of '{expected}'.", write);
                }
            }
            return new IsuladRestartOutcome(info);
        }
        finally
        {
            _host.Progress(activity, "done", 100, true);
        }
    }

    /// <summary>The pool name isulad reports for a dm.thinpooldev value (it strips a leading /dev/mapper/).</summary>
    public static string PoolName(string device)
        => device.StartsWith("/dev/mapper/", StringComparison.Ordinal) ? device.Substring("/dev/mapper/".Length) : device;

    private IsulaInfo? WaitForDaemon(string activity, TimeSpan timeout)
    {
        DateTime start = DateTime.UtcNow;
        while (true)
        {
            IsulaInfo? info = TryInfo();
            TimeSpan waited = DateTime.UtcNow - start;
            if (info is not null || waited >= timeout)
            {
                return info;
            }
            _host.Progress(activity, $"waiting for isulad to answer ({waited.TotalSeconds:0}/{timeout.TotalSeconds:0} s)",
                (int)Math.Min(99, 100 * waited.TotalSeconds / timeout.TotalSeconds), false);
            if (_host.Cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
            {
                _host.Cancellation.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>
    /// Restores the file this call changed, restarts isulad with it, and builds the error: the original failure first,
    /// then exactly what the rollback did (each step's real result), then systemd's view. A rollback that fails itself
    /// never replaces the original failure; it is added to it (and kept as the inner exception).
    /// </summary>
    private IsulaKataException Rollback(string reason, FileUpdateResult? write)
    {
        string nl = Environment.NewLine;
        var report = new List<string>();
        Exception? rollbackError = null;
        if (write is { Changed: true })
        {
            bool restored = false;
            try
            {
                _host.Files.Restore(write);
                restored = true;
                report.Add(write.Created
                    ? $"'{write.Path}' did not exist before and was removed again."
                    : $"'{write.Path}' was restored from '{write.BackupPath}'.");
            }
            catch (Exception error)
            {
                // Whatever stopped the restore (a full disk, a stopped pipeline), the original failure stays first.
                rollbackError = error;
                report.Add($"Restoring '{write.Path}' failed, so it still holds the new configuration: {error.Message}"
                    + (write.BackupPath is null ? string.Empty : $" Copy '{write.BackupPath}' back by hand."));
            }
            if (restored)
            {
                report.Add(RestartAfterRestore());
            }
        }
        else
        {
            report.Add("daemon.json was not changed by this call, so there was nothing to restore; isulad was not restarted again.");
        }
        string status = _host.Runner.Run("systemctl", new[] { "status", "isulad", "--no-pager", "--full", "--lines=20" }).StandardOutput.TrimEnd();
        string journal = _host.Runner.Exists("journalctl")
            ? _host.Runner.Run("journalctl", new[] { "--unit=isulad", "--lines=20", "--no-pager" }).StandardOutput.TrimEnd()
            : "(journalctl not found)";
        return new IsulaKataException("IsuladRestartFailed", FailureKind.InvalidOperation,
            $"{reason}{nl}{string.Join(nl, report)}{nl}systemctl status isulad:{nl}{status}{nl}journalctl -u isulad:{nl}{journal}",
            rollbackError is null
                ? "Read the isulad log lines above (storage errors name the bad option or pool), fix the cause, and run Set-IsulaRuntime -Restart again."
                : $"Restore '{write!.Path}' from '{write.BackupPath}' by hand and restart isulad (systemctl restart isulad); then fix the cause named first above.",
            "isulad", rollbackError);
    }

    /// <summary>Restarts isulad on the restored file and says what really happened.</summary>
    private string RestartAfterRestore()
    {
        CommandResult reload = _host.Runner.Run("systemctl", new[] { "daemon-reload" });
        if (!reload.Succeeded)
        {
            return $"isulad was not restarted with the restored file: '{reload.CommandLine}' failed with exit code {reload.ExitCode}: {reload.Diagnostics(3)}";
        }
        CommandResult restart = _host.Runner.Run("systemctl", new[] { "restart", "isulad" });
        return restart.Succeeded
            ? "isulad was restarted with the restored file (systemctl restart isulad succeeded)."
            : $"Restarting isulad with the restored file failed too ('{restart.CommandLine}' exit code {restart.ExitCode}: {restart.Diagnostics(3)}): isulad is down.";
    }
}
