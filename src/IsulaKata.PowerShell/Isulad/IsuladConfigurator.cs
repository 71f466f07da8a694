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

/// <summary>Reads and changes iSulad's daemon.json, restarts isulad and checks what it reports.</summary>
public sealed class IsuladConfigurator
{
    public const string DefaultConfigPath = "/etc/isulad/daemon.json";
    public const string SysconfigPath = "/etc/sysconfig/iSulad";
    public static readonly TimeSpan DefaultRestartTimeout = TimeSpan.FromSeconds(60);

    private static readonly string[] ParameterOptionKeys = { "dm.thinpooldev", "dm.fs", "dm.min_free_space", "dm.basesize" };
    private readonly HostContext _host;

    public IsuladConfigurator(HostContext host) => _host = host;

    /// <summary>Computes the change without writing anything (used for -WhatIf and to describe the change).</summary>
    public IsuladConfigPlan Plan(IsuladRuntimeRequest request) => Compute(_host.Files.ReadText(request.ConfigPath), request);

    /// <summary>Applies the change under the file's lock: the file is re-read there, so a concurrent writer's change survives.</summary>
    public (IsuladConfigPlan Plan, FileUpdateResult Write) Apply(IsuladRuntimeRequest request)
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

        IEnumerable<string> declared = document.Get("runtimes") is { ValueKind: JsonValueKind.Object } runtimes
            ? runtimes.EnumerateObject().Select(p => p.Name).ToList()
            : Enumerable.Empty<string>();
        string runtime = IsuladRules.NormalizeRuntime(request.Runtime, declared, path);
        if (runtime != request.Runtime)
        {
            warnings.Add($"Runtime '{request.Runtime}' is written as '{runtime}': iSulad lower-cases default-runtime.");
        }

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
        }

        warnings.AddRange(SysconfigWarnings());
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

    /// <summary>The devicemapper options to write: the parameters' options first, then -StorageOption entries,
    /// then valid devicemapper options already in the file that neither replaces. Other drivers' options go.</summary>
    private static List<string> StorageOptionsFor(IsuladRuntimeRequest request, IReadOnlyList<string> existing, List<string> warnings)
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
            string key = IsuladRules.OptionKey(option);
            if (!IsuladRules.IsDevicemapperOption(option))
            {
                throw new IsulaKataException("InvalidStorageOption", FailureKind.InvalidArgument,
                    $"The storage option '{option}' is not a devicemapper option, and the thin pool needs the devicemapper driver.",
                    "Pass only dm.* options with -StorageOption; nothing was written.", option);
            }
            IsuladRules.ValidateDevicemapperOption(option);
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
            if (!IsuladRules.IsRepeatable(key) && wanted.Any(w => IsuladRules.OptionKey(w) == key))
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
            string key = IsuladRules.OptionKey(option);
            if (!IsuladRules.IsDevicemapperOption(option))
            {
                warnings.Add($"Removed storage option '{option}': it belongs to another storage driver and devicemapper would refuse to start with it.");
                continue;
            }
            if (wanted.Contains(option) || (!IsuladRules.IsRepeatable(key) && wanted.Any(w => IsuladRules.OptionKey(w) == key)))
            {
                continue;
            }
            try
            {
                IsuladRules.ValidateDevicemapperOption(option);
                wanted.Add(option);
            }
            catch (IsulaKataException invalid)
            {
                warnings.Add($"Removed storage option '{option}': {invalid.Message}");
            }
        }
        return wanted;
    }

    /// <summary>Warns about storage flags in the service's environment file that iSulad merges with daemon.json.</summary>
    public IEnumerable<string> SysconfigWarnings()
    {
        string? sysconfig = _host.Files.ReadText(SysconfigPath);
        if (sysconfig is null)
        {
            yield break;
        }
        foreach (string line in sysconfig.Split('\n').Select(l => l.Trim()).Where(l => !l.StartsWith('#')))
        {
            foreach (string flag in new[] { "--storage-driver", "--storage-opt" })
            {
                if (line.Contains(flag, StringComparison.Ordinal))
                {
                    yield return $"'{SysconfigPath}' passes {flag} to isulad ({line}): command-line storage settings override "
                        + "storage-driver and are merged with storage-opts from daemon.json. Remove the flag there.";
                }
            }
        }
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
        }
        IReadOnlyList<string> options = document?.GetStringArray("storage-opts") ?? Array.Empty<string>();
        IsulaInfo? info = _host.IsLiveHost ? TryInfo() : null;
        if (!_host.IsLiveHost)
        {
            _host.Log($"Root is '{_host.Root}', not this host: reading files only, not asking isulad.");
        }
        string? driver = document?.GetString("storage-driver");
        if (info?.StorageDriver is string active && driver is not null && active != driver)
        {
            warnings.Add($"isulad runs with storage driver '{active}' but '{configPath}' says '{driver}': restart isulad (Set-IsulaRuntime -Restart).");
        }
        return new IsulaRuntimeConfig
        {
            ConfigPath = configPath,
            Runtime = document?.GetString("default-runtime"),
            StorageDriver = driver,
            StorageOptions = options,
            ThinPoolDevice = ThinPoolOf(options),
            DaemonRunning = _host.IsLiveHost ? info is not null : null,
            ActiveStorageDriver = info?.StorageDriver,
            ActivePoolName = info?.PoolName,
            DataSpaceUsedBytes = info?.DataSpaceUsedBytes,
            DataSpaceTotalBytes = info?.DataSpaceTotalBytes,
            MetadataSpaceUsedBytes = info?.MetadataSpaceUsedBytes,
            MetadataSpaceTotalBytes = info?.MetadataSpaceTotalBytes,
            Warnings = warnings,
            Root = _host.Root,
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

    private IsulaKataException Rollback(string reason, FileUpdateResult? write)
    {
        string restored = "daemon.json was not changed by this call, so there was nothing to restore.";
        if (write is { Changed: true })
        {
            _host.Files.Restore(write);
            restored = write.Created
                ? $"'{write.Path}' did not exist before and was removed again; isulad was restarted."
                : $"'{write.Path}' was restored from '{write.BackupPath}' and isulad was restarted.";
            _host.Runner.Run("systemctl", new[] { "daemon-reload" });
            _host.Runner.Run("systemctl", new[] { "restart", "isulad" });
        }
        string status = _host.Runner.Run("systemctl", new[] { "status", "isulad", "--no-pager", "--full", "--lines=20" }).StandardOutput.TrimEnd();
        string journal = _host.Runner.Exists("journalctl")
            ? _host.Runner.Run("journalctl", new[] { "--unit=isulad", "--lines=20", "--no-pager" }).StandardOutput.TrimEnd()
            : "(journalctl not found)";
        string nl = Environment.NewLine;
        return new IsulaKataException("IsuladRestartFailed", FailureKind.InvalidOperation,
            $"{reason}{nl}{restored}{nl}systemctl status isulad:{nl}{status}{nl}journalctl -u isulad:{nl}{journal}",
            "Read the isulad log lines above (storage errors name the bad option or pool), fix the cause, and run Set-IsulaRuntime -Restart again.",
            "isulad");
    }
}
