using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace IsulaKata.Fleet;

/// <summary>One host to run on: a session given by the caller, or an SSH host to open a session to.</summary>
public sealed record FleetTarget(string Name, PSSession? Session, string? HostName, string? UserName, int Port)
{
    /// <summary>Parses "user@host:port" (user and port optional; [v6]:port for IPv6).</summary>
    public static FleetTarget FromHostName(string text, string? userName)
    {
        string rest = text;
        string? user = userName;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            user = rest.Substring(0, at);
            rest = rest.Substring(at + 1);
        }
        int port = 0;
        string host = rest;
        if (rest.StartsWith('[') && rest.IndexOf(']') is int close and > 0)
        {
            host = rest.Substring(1, close - 1);
            if (close + 1 < rest.Length && rest[close + 1] == ':')
            {
                port = int.Parse(rest.Substring(close + 2), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        else if (rest.Count(c => c == ':') == 1)
        {
            int colon = rest.IndexOf(':');
            host = rest.Substring(0, colon);
            port = int.Parse(rest.Substring(colon + 1), System.Globalization.CultureInfo.InvariantCulture);
        }
        return new FleetTarget(text, null, host, user, port);
    }
}

/// <summary>What one host gave back: its stage, the output of the remote command, what it reported on the way.</summary>
public sealed record RemoteRun
{
    public FleetTarget Target { get; init; } = null!;
    public bool Started { get; init; }
    public string Stage { get; init; } = IsulaKataStage.NotStarted;
    public IReadOnlyList<object?> Output { get; init; } = Array.Empty<object?>();
    /// <summary>The sections the host finished, as it reported them while running (kept when the run is stopped).</summary>
    public IReadOnlyList<IsulaKataSectionResult> SectionsDone { get; init; } = Array.Empty<IsulaKataSectionResult>();
    public ErrorRecord? Error { get; init; }
    public Version? ModuleVersion { get; init; }
    public TimeSpan Duration { get; init; }
    public bool Stopped { get; init; }
}

/// <summary>How the runner reaches hosts and how many at once.</summary>
public sealed record FleetOptions
{
    public string? KeyFilePath { get; init; }
    public Hashtable? SshOptions { get; init; }
    public int ThrottleLimit { get; init; } = 32;
    public int BatchSize { get; init; }
    public int MaxFailure { get; init; }
    public bool NoModuleCopy { get; init; }

    /// <summary>
    /// True when the command changes hosts (Set-IsulaKataConfiguration without -WhatIf): a host without this version
    /// gets it installed into its all-users module path. False (-WhatIf, Test-, Get-): the module is copied into a
    /// temporary folder, imported from there, and removed again (folder and module) when the host's run ends, so a
    /// run that changes nothing leaves nothing behind.
    /// </summary>
    public bool InstallModule { get; init; }
    public int ConnectingTimeoutMilliseconds { get; init; } = 30000;
}

/// <summary>
/// Runs one of the fleet cmdlets on many hosts over PowerShell remoting: opens the SSH sessions (New-PSSession
/// -HostName), makes sure this exact IsulaKata version is imported on each (copied with Copy-Item -ToSession and
/// checked file by file when it is missing), runs the cmdlet there in its local mode, and reports each host's end.
/// Hosts run ThrottleLimit at once, in waves of BatchSize; after MaxFailure failed hosts no new host starts. A host's
/// failure is its own. Cancelling stops every host's remote pipeline; each then reports where it got.
/// </summary>
public sealed class FleetRunner : IDisposable
{
    /// <summary>The information-stream tag of a section a host finished (written by the local mode as it goes).</summary>
    public const string SectionTag = "IsulaKata.Fleet.Section";

    private const string ModuleName = "IsulaKata";

    // Imports this exact version if the host has it; 'Missing' when it does not (another version stays untouched).
    private const string ImportScript = @"
param([string] $Version)
$ErrorActionPreference = 'Stop'
if (Get-Module -Name IsulaKata | Where-Object { $_.Version -eq [version] $Version }) { return 'Imported' }
$found = @(Get-Module -ListAvailable -FullyQualifiedName @{ ModuleName = 'IsulaKata'; RequiredVersion = $Version })
if ($found.Count -eq 0) { return 'Missing' }
Import-Module -Name $found[0].Path
'Imported'";

    // Runs on this machine (Copy-Item -ToSession needs a local runspace): copy the module into a staging folder in the
    // host's all-users module path, compare every file's SHA-256 there, then move it into place and import it.
    // Without -Install the copy goes into a folder of its own in the host's temporary folder and is imported from there;
    // the script returns that folder (removed again by RemoveTemporaryModule).
    private const string CopyScript = @"
param($Session, [string] $Source, [string] $Version, [hashtable] $Expected, [bool] $Install)
$ErrorActionPreference = 'Stop'
$staging = Invoke-Command -Session $Session -ArgumentList $Version, $Install -ScriptBlock {
    param($Version, $Install)
    $base = if ($IsWindows) { Join-Path $env:ProgramFiles 'PowerShell/Modules' } else { '/usr/local/share/powershell/Modules' }
    $staging = if ($Install) { Join-Path $base ""IsulaKata/.$Version.$([guid]::NewGuid().ToString('N')).partial"" }
               else { Join-Path ([IO.Path]::GetTempPath()) ""isulakata-$Version-$([guid]::NewGuid().ToString('N'))/IsulaKata"" }
    $null = New-Item -ItemType Directory -Path $staging -Force
    $staging
}
Copy-Item -Path (Join-Path $Source '*') -Destination $staging -ToSession $Session -Recurse -Force
Invoke-Command -Session $Session -ArgumentList $staging, $Version, $Expected, $Install -ScriptBlock {
    param($Staging, $Version, $Expected, $Install)
    $actual = @{}
    foreach ($file in Get-ChildItem -LiteralPath $Staging -Recurse -File) {
        $actual[[IO.Path]::GetRelativePath($Staging, $file.FullName).Replace('\', '/')] = (Get-FileHash -LiteralPath $file.FullName -Algorithm SHA256).Hash
    }
    $bad = @($Expected.Keys | Where-Object { $actual[$_] -ne $Expected[$_] }) + @($actual.Keys | Where-Object { -not $Expected.ContainsKey($_) })
    if ($bad.Count -gt 0) {
        Remove-Item -LiteralPath $(if ($Install) { $Staging } else { Split-Path -Parent $Staging }) -Recurse -Force
        throw ""The module copied to $(hostname) differs from the source in: $($bad -join ', ')""
    }
    if (-not $Install) {
        Import-Module -Name (Join-Path $Staging 'IsulaKata.psd1')
        return Split-Path -Parent $Staging
    }
    $final = Join-Path (Split-Path -Parent $Staging) $Version
    if (Test-Path -LiteralPath $final) { Remove-Item -LiteralPath $Staging -Recurse -Force }
    else { Move-Item -LiteralPath $Staging -Destination $final }
    Import-Module -Name (Join-Path $final 'IsulaKata.psd1')
}";

    // Runs the fleet cmdlet in its local mode on the host and returns its output serialized in full (remoting itself
    // would cut the nested sections at depth 1).
    private const string RunScript = @"
param([string] $Command, [hashtable] $Parameters)
$result = @(& ""IsulaKata\$Command"" @Parameters -ErrorAction SilentlyContinue -ErrorVariable failures)
if ($result.Count -eq 0 -and $failures.Count -gt 0) { throw $failures[0] }
[System.Management.Automation.PSSerializer]::Serialize(@($result | ForEach-Object { [IsulaKata.Fleet.Rehydrator]::Portable($_) }), 12)";

    // Removes a temporary copy: the module imported from it (so a later run in the same session installs the module
    // instead of finding this one), then the folder.
    private const string RemoveTemporaryScript = @"
param([string] $Folder)
Get-Module -Name IsulaKata | Where-Object { $_.ModuleBase.StartsWith($Folder) } | Remove-Module -Force -ErrorAction SilentlyContinue
Remove-Item -LiteralPath $Folder -Recurse -Force -ErrorAction SilentlyContinue";

    private readonly FleetOptions _options;
    private readonly string _moduleBase;
    private readonly Version _version;
    private readonly Action<FleetTarget, string> _stage;
    private readonly CancellationToken _cancellation;
    private readonly Lazy<RunspacePool> _local;
    private readonly Lazy<Hashtable> _hashes;
    private int _failures;

    /// <param name="options">How hosts are reached, how many at once, in which waves.</param>
    /// <param name="moduleBase">The module folder running here (what is copied to hosts that lack it).</param>
    /// <param name="version">This module's version: the one each host must run.</param>
    /// <param name="stage">Told each host's stage as it moves (for progress); called from worker threads.</param>
    /// <param name="cancellation">Ctrl+C: stops every host's remote pipeline.</param>
    public FleetRunner(FleetOptions options, string moduleBase, Version version, Action<FleetTarget, string> stage, CancellationToken cancellation)
    {
        _options = options;
        _moduleBase = moduleBase;
        _version = version;
        _stage = stage;
        _cancellation = cancellation;
        _local = new Lazy<RunspacePool>(() =>
        {
            RunspacePool pool = RunspaceFactory.CreateRunspacePool(InitialSessionState.CreateDefault2());
            pool.SetMaxRunspaces(Math.Max(1, options.ThrottleLimit));
            pool.Open();
            return pool;
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        _hashes = new Lazy<Hashtable>(HashModule, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// Runs <paramref name="command"/> (a fleet cmdlet) with <paramref name="parameters"/> on every target; calls
    /// <paramref name="finished"/> once per target (from worker threads), never-started targets included.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<FleetTarget> targets, string command, Hashtable parameters, Action<RemoteRun> finished)
    {
        using var throttle = new SemaphoreSlim(Math.Max(1, _options.ThrottleLimit));
        int batch = _options.BatchSize > 0 ? _options.BatchSize : targets.Count;
        for (int first = 0; first < targets.Count; first += batch)
        {
            FleetTarget[] wave = targets.Skip(first).Take(batch).ToArray();
            if (first > 0 && (MaxFailureReached || _cancellation.IsCancellationRequested))
            {
                foreach (FleetTarget target in wave)
                {
                    finished(new RemoteRun { Target = target, Stage = IsulaKataStage.NotStarted, Error = NotStartedError(target) });
                }
                continue;
            }
            await Task.WhenAll(wave.Select(target => Task.Run(async () =>
            {
                await throttle.WaitAsync().ConfigureAwait(false);
                try
                {
                    // Without waves, -MaxFailure still keeps hosts that wait for a slot from starting.
                    if (_options.BatchSize == 0 && MaxFailureReached || _cancellation.IsCancellationRequested)
                    {
                        finished(new RemoteRun { Target = target, Stage = IsulaKataStage.NotStarted, Error = NotStartedError(target) });
                        return;
                    }
                    RemoteRun run = RunOne(target, command, parameters);
                    if (run.Error is not null)
                    {
                        Interlocked.Increment(ref _failures);
                    }
                    finished(run);
                }
                finally
                {
                    throttle.Release();
                }
            }))).ConfigureAwait(false);
        }
    }

    private bool MaxFailureReached => _options.MaxFailure > 0 && Volatile.Read(ref _failures) >= _options.MaxFailure;

    private ErrorRecord NotStartedError(FleetTarget target)
    {
        string why = _cancellation.IsCancellationRequested ? "the run was stopped" : $"{Volatile.Read(ref _failures)} hosts failed (-MaxFailure {_options.MaxFailure})";
        return new ErrorRecord(new InvalidOperationException($"{target.Name}: not started: {why}."), "FleetHostNotStarted", ErrorCategory.OperationStopped, target.Name);
    }

    private RemoteRun RunOne(FleetTarget target, string command, Hashtable parameters)
    {
        var clock = Stopwatch.StartNew();
        string stage = IsulaKataStage.Connect;
        var sections = new List<IsulaKataSectionResult>();
        PSSession? opened = null;
        PSSession? session = null;
        string? temporaryModule = null;
        Version? moduleVersion = null;
        RemoteRun Ended(ErrorRecord? error, IReadOnlyList<object?>? output = null) => new()
        {
            Target = target,
            Started = true,
            Stage = stage,
            Output = output ?? Array.Empty<object?>(),
            SectionsDone = sections.ToArray(),
            Error = error,
            ModuleVersion = moduleVersion,
            Duration = clock.Elapsed,
            Stopped = _cancellation.IsCancellationRequested,
        };
        try
        {
            _stage(target, stage);
            if (target.Session is not null)
            {
                session = target.Session;
                if (session.Runspace.RunspaceStateInfo.State != RunspaceState.Opened)
                {
                    return Ended(Failure(new InvalidOperationException($"The session to {target.Name} is {session.Runspace.RunspaceStateInfo.State}, not open."),
                        "FleetSessionNotOpen", ErrorCategory.ConnectionError, target.Name));
                }
            }
            else
            {
                session = opened = Connect(target);
            }

            stage = IsulaKataStage.Module;
            _stage(target, stage);
            string state = (string)InvokeRemote(session, ImportScript, new object[] { _version.ToString() }, null).Single()!;
            if (state == "Missing")
            {
                if (_options.NoModuleCopy)
                {
                    return Ended(Failure(new InvalidOperationException($"{target.Name} has no IsulaKata {_version} and -NoModuleCopy forbids copying it there."),
                        "FleetModuleMissing", ErrorCategory.NotInstalled, target.Name));
                }
                temporaryModule = CopyModule(session);
            }
            moduleVersion = _version;

            var runParameters = new Hashtable(parameters);
            IReadOnlyList<object?> output = InvokeRemote(session, RunScript, new object[] { command, runParameters }, record =>
            {
                if (record is ProgressRecord progress && ConfigurationSection.Find(progress.StatusDescription) is not null)
                {
                    stage = ConfigurationSection.Find(progress.StatusDescription)!.Name;
                    _stage(target, stage);
                }
                else if (record is InformationRecord information && information.Tags.Contains(SectionTag)
                    && (information.MessageData is PSObject { BaseObject: string } or string))
                {
                    try
                    {
                        if (Rehydrator.Rebuild(PSSerializer.Deserialize(information.MessageData.ToString())) is IsulaKataSectionResult done)
                        {
                            lock (sections)
                            {
                                sections.Add(done);
                            }
                        }
                    }
                    catch (Exception error) when (error is PSInvalidCastException or System.Xml.XmlException or InvalidOperationException or ArgumentException)
                    {
                        // A section report that cannot be read back only costs the partial result after Ctrl+C; the
                        // host's own result still comes at its end.
                    }
                }
            });
            object? serialized = output.SingleOrDefault();
            object? deserialized = serialized is string xml ? PSSerializer.Deserialize(xml) : null;
            object?[] results = (deserialized is PSObject bag ? bag.BaseObject : deserialized) is IEnumerable items and not string
                ? items.Cast<object?>().Select(Rehydrator.Rebuild).ToArray()
                : deserialized is null ? Array.Empty<object?>() : new[] { Rehydrator.Rebuild(deserialized) };
            // A host whose own run failed (a section, or its cmdlets refusing the document) is a failed host too.
            switch (results.FirstOrDefault())
            {
                case IsulaKataHostResult { Succeeded: false } failed:
                    stage = failed.Stage;
                    return Ended(failed.Error ?? Failure(new InvalidOperationException($"{target.Name} failed at {failed.Stage}."), "FleetHostFailed", ErrorCategory.InvalidResult, target.Name), results);
                case IsulaKataConfigurationTest { Error: not null } untested:
                    stage = untested.Stage ?? stage;
                    return Ended(untested.Error, results);
            }
            return Ended(null, results);
        }
        catch (RuntimeException error)
        {
            return Ended(_cancellation.IsCancellationRequested
                ? Failure(new OperationCanceledException($"{target.Name}: stopped at {stage}."), "FleetHostStopped", ErrorCategory.OperationStopped, target.Name)
                : Retarget(error.ErrorRecord, target));
        }
        catch (Exception error)
        {
            // Whatever went wrong belongs to this host alone: every other host goes on.
            return Ended(Failure(error, _cancellation.IsCancellationRequested ? "FleetHostStopped" : "FleetHostFailed",
                _cancellation.IsCancellationRequested ? ErrorCategory.OperationStopped : ErrorCategory.ConnectionError, target.Name));
        }
        finally
        {
            if (temporaryModule is not null && session is not null)
            {
                try
                {
                    InvokeRemote(session, RemoveTemporaryScript, new object[] { temporaryModule }, null, cancellable: false);
                }
                catch (Exception error) when (error is RuntimeException or InvalidOperationException or PSRemotingTransportException)
                {
                    // The session is gone (the host went away): its temporary folder is the host's to clean.
                }
            }
            if (opened is not null)
            {
                try
                {
                    opened.Runspace.Dispose();
                }
                catch (Exception error) when (error is InvalidOperationException or PSRemotingTransportException)
                {
                    // The session is gone already (the host went away); nothing is left to close.
                }
            }
        }
    }

    private PSSession Connect(FleetTarget target)
    {
        using PowerShell shell = PowerShell.Create();
        shell.RunspacePool = _local.Value;
        shell.AddCommand("New-PSSession").AddParameter("HostName", target.HostName).AddParameter("Name", $"IsulaKata-{target.Name}")
            .AddParameter("ConnectingTimeout", _options.ConnectingTimeoutMilliseconds).AddParameter("ErrorAction", ActionPreference.Stop);
        if (target.UserName is not null)
        {
            shell.AddParameter("UserName", target.UserName);
        }
        if (target.Port > 0)
        {
            shell.AddParameter("Port", target.Port);
        }
        if (_options.KeyFilePath is not null)
        {
            shell.AddParameter("KeyFilePath", _options.KeyFilePath);
        }
        if (_options.SshOptions is not null)
        {
            shell.AddParameter("Options", _options.SshOptions);
        }
        using (_cancellation.Register(() => shell.BeginStop(null, null)))
        {
            PSSession? session = shell.Invoke<PSSession>().FirstOrDefault();
            _cancellation.ThrowIfCancellationRequested();
            return session ?? throw new InvalidOperationException($"New-PSSession -HostName {target.HostName} returned no session.");
        }
    }

    /// <summary>Copies this module to the host and imports it there; returns the temporary folder when it was not installed.</summary>
    private string? CopyModule(PSSession session)
    {
        using PowerShell shell = PowerShell.Create();
        shell.RunspacePool = _local.Value;
        shell.AddScript(CopyScript).AddArgument(session).AddArgument(_moduleBase).AddArgument(_version.ToString()).AddArgument(_hashes.Value)
            .AddArgument(_options.InstallModule);
        string? temporary;
        using (_cancellation.Register(() => shell.BeginStop(null, null)))
        {
            temporary = shell.Invoke().Select(o => o?.BaseObject).OfType<string>().LastOrDefault();
        }
        _cancellation.ThrowIfCancellationRequested();
        return _options.InstallModule ? null : temporary;
    }

    /// <summary>Runs a script in the host's session; reports its progress and information records as they come.</summary>
    private IReadOnlyList<object?> InvokeRemote(PSSession session, string script, object[] arguments, Action<object>? report, bool cancellable = true)
    {
        using PowerShell shell = PowerShell.Create();
        shell.Runspace = session.Runspace;
        shell.AddScript(script);
        foreach (object argument in arguments)
        {
            shell.AddArgument(argument);
        }
        if (report is not null)
        {
            shell.Streams.Progress.DataAdded += (_, e) => report(shell.Streams.Progress[e.Index]);
            shell.Streams.Information.DataAdded += (_, e) => report(shell.Streams.Information[e.Index]);
        }
        if (!cancellable)
        {
            // Cleanup runs to its end even after Ctrl+C.
            return shell.Invoke().Select(o => o?.BaseObject).ToArray();
        }
        using (_cancellation.Register(() => shell.BeginStop(null, null)))
        {
            object?[] output = shell.Invoke().Select(o => o?.BaseObject).ToArray();
            _cancellation.ThrowIfCancellationRequested();
            return output;
        }
    }

    /// <summary>The SHA-256 of every file of the module folder, by path relative to it ('/' separators).</summary>
    private Hashtable HashModule()
    {
        var hashes = new Hashtable(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(_moduleBase, "*", SearchOption.AllDirectories))
        {
            using FileStream stream = File.OpenRead(file);
            hashes[Path.GetRelativePath(_moduleBase, file).Replace('\\', '/')] = Convert.ToHexString(SHA256.HashData(stream));
        }
        return hashes;
    }

    private static ErrorRecord Failure(Exception error, string id, ErrorCategory category, string target)
        => new(error, id, category, target);

    /// <summary>A remote error, named for the host it happened on.</summary>
    private static ErrorRecord Retarget(ErrorRecord error, FleetTarget target)
        => new(error.Exception, error.FullyQualifiedErrorId, error.CategoryInfo.Category, error.TargetObject ?? target.Name) { ErrorDetails = error.ErrorDetails };

    public void Dispose()
    {
        if (_local.IsValueCreated)
        {
            _local.Value.Dispose();
        }
    }
}
