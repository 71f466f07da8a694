using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Threading.Tasks;
using IsulaKata.Core;
using IsulaKata.Fleet;

namespace IsulaKata.Commands;

/// <summary>
/// The base of Test/Set/Get-IsulaKataConfiguration: where they run (here, -Session, or -HostName over SSH), the
/// document they read, and the fan-out: one parent progress activity with a child record per running host, results
/// written as hosts finish, each failed host's error written after every result (so -ErrorAction Stop keeps them all),
/// and Ctrl+C stopping every host's remote pipeline.
/// </summary>
public abstract class IsulaKataFleetCmdlet : IsulaKataCmdlet
{
    protected const string PathSet = "Path";
    protected const string ConfigurationSet = "Configuration";

    /// <summary>The variable that keeps the last fleet run's results, also when Ctrl+C stopped it.</summary>
    public const string LastResultVariable = "IsulaKataFleetResult";

    /// <summary>Open PowerShell sessions to run on (they stay open).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PSSession[]? Session { get; set; }

    /// <summary>SSH hosts as user@host:port (user and port optional); a session is opened to each and closed afterwards.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.SshHostCompleter))]
    public string[]? HostName { get; set; }

    /// <summary>The SSH private key for -HostName.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyFilePath { get; set; }

    /// <summary>The SSH user for -HostName entries that name none.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    /// <summary>ssh options for -HostName (New-PSSession -Options), e.g. @{ UserKnownHostsFile = '/etc/isulakata/known_hosts' }.</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? SSHOption { get; set; }

    /// <summary>How many hosts run at once.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    /// <summary>Fail a host that lacks this IsulaKata version instead of copying the module there.</summary>
    [Parameter]
    public SwitchParameter NoModuleCopy { get; set; }

    /// <summary>The root of the target system on each host, given to every section cmdlet that takes -Root.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Root { get; set; }

    /// <summary>True when the cmdlet runs on other hosts.</summary>
    protected bool IsRemote => Session is not null || HostName is not null;

    /// <summary>This machine's name, as local results report it.</summary>
    protected static string LocalComputerName => Environment.MachineName;

    /// <summary>The module folder this cmdlet runs from (lib/IsulaKata.dll's parent).</summary>
    protected static string ModuleBase { get; } = FindModuleBase();

    /// <summary>The module folder (the one holding IsulaKata.psd1): lib/ holds the IL, lib/r2r-*/ a precompiled copy.</summary>
    private static string FindModuleBase()
    {
        string? folder = Path.GetDirectoryName(typeof(IsulaKataFleetCmdlet).Assembly.Location);
        for (int up = 0; folder is not null && up < 3; up++, folder = Path.GetDirectoryName(folder))
        {
            if (File.Exists(Path.Combine(folder, "IsulaKata.psd1")))
            {
                return folder;
            }
        }
        return Path.GetDirectoryName(Path.GetDirectoryName(typeof(IsulaKataFleetCmdlet).Assembly.Location)!)!;
    }

    /// <summary>The ModuleVersion of the running module's manifest: the version every host must run.</summary>
    protected static Version ModuleVersion => LazyVersion.Value;

    private static readonly Lazy<Version> LazyVersion = new(() =>
    {
        string manifest = Path.Combine(ModuleBase, "IsulaKata.psd1");
        var data = (Hashtable)((HashtableAst)Parser.ParseFile(manifest, out _, out _).Find(n => n is HashtableAst, false)!).SafeGetValue();
        return Version.Parse((string)data["ModuleVersion"]!);
    });

    /// <summary>Checks the target parameters, then runs the document (these cmdlets take no pipeline input: one call).</summary>
    protected sealed override void ProcessInput()
    {
        ValidateTargets();
        ProcessDocument();
    }

    /// <summary>Reads the document and runs it here or on the hosts.</summary>
    protected abstract void ProcessDocument();

    private void ValidateTargets()
    {
        if (Session is not null && HostName is not null)
        {
            Fail(new IsulaKataException("FleetTargetsConflict", FailureKind.InvalidArgument, "Give -Session or -HostName, not both.",
                "Open the sessions yourself and give -Session, or give -HostName and let the cmdlet open and close them.", null));
        }
        if (!IsRemote && (KeyFilePath is not null || UserName is not null || SSHOption is not null || NoModuleCopy))
        {
            Fail(new IsulaKataException("FleetHostNameMissing", FailureKind.InvalidArgument,
                "-KeyFilePath, -UserName, -SSHOption and -NoModuleCopy apply to remote hosts only.", "Give -HostName (or -Session) with them.", null));
        }
    }

    /// <summary>Reads and validates the document of -Path or -Configuration; stops the cmdlet on the first problem.</summary>
    protected ConfigurationDocument ReadDocument(string? path, Hashtable? configuration)
    {
        try
        {
            if (path is not null)
            {
                string resolved = GetUnresolvedProviderPathFromPSPath(path);
                return ConfigurationDocument.Validate(ConfigurationDocument.ReadFile(resolved), resolved, Engine);
            }
            return ConfigurationDocument.Validate(configuration!, ConfigurationDocument.InMemorySource, Engine);
        }
        catch (IsulaKataException error)
        {
            Fail(error);
            throw;
        }
    }

    private EngineIntrinsics Engine => (EngineIntrinsics)GetVariableValue("ExecutionContext");

    /// <summary>The section runner for a local run (its own runspace, in this runspace's current folder).</summary>
    protected SectionRunner NewSectionRunner()
        => new(SessionState.Path.CurrentFileSystemLocation.ProviderPath, WriteVerbose, MyInvocation.BoundParameters.ContainsKey("Verbose"), Cancellation);

    /// <summary>A progress sink for a local run: one activity, its status the section being run.</summary>
    protected Action<string> LocalProgress()
    {
        var record = new ProgressRecord(0x15B0, MyInvocation.MyCommand.Name, "Starting");
        return section =>
        {
            record.StatusDescription = section;
            WriteProgress(record);
        };
    }

    /// <summary>Ends the local progress activity.</summary>
    protected void CompleteLocalProgress()
        => WriteProgress(new ProgressRecord(0x15B0, MyInvocation.MyCommand.Name, "Done") { RecordType = ProgressRecordType.Completed });

    /// <summary>The hosts of -Session or -HostName.</summary>
    protected IReadOnlyList<FleetTarget> Targets()
        => Session is not null
            ? Session.Select(s => new FleetTarget(s.ComputerName, s, null, null, 0)).ToArray()
            : HostName!.Select(h => FleetTarget.FromHostName(h, UserName)).ToArray();

    /// <summary>
    /// Runs <paramref name="command"/> on every target and writes one result per host as it ends (typed, with
    /// PSComputerName), then the error of each failed host. Ctrl+C stops every host; the results (with where each got)
    /// are then kept in $IsulaKataFleetResult and shown on the host.
    /// </summary>
    protected void RunOnHosts(IReadOnlyList<FleetTarget> targets, string command, Hashtable parameters, Func<RemoteRun, object?> toResult,
        int batchSize = 0, int maxFailure = 0, bool changesHosts = false)
    {
        var options = new FleetOptions
        {
            KeyFilePath = KeyFilePath is null ? null : GetUnresolvedProviderPathFromPSPath(KeyFilePath),
            SshOptions = SSHOption,
            ThrottleLimit = ThrottleLimit,
            BatchSize = batchSize,
            MaxFailure = maxFailure,
            NoModuleCopy = NoModuleCopy,
            InstallModule = changesHosts,
        };
        if (Root is not null)
        {
            parameters["Root"] = Root;
        }
        using var queue = new BlockingCollection<Action>();
        int parentId = 0x15C0;
        var parent = new ProgressRecord(parentId, MyInvocation.MyCommand.Name, $"0 of {targets.Count} hosts done") { PercentComplete = 0 };
        var children = new Dictionary<FleetTarget, ProgressRecord>();
        for (int i = 0; i < targets.Count; i++)
        {
            children[targets[i]] = new ProgressRecord(parentId + 1 + i, targets[i].Name, IsulaKataStage.Connect) { ParentActivityId = parentId };
        }
        var results = new List<(RemoteRun Run, object? Result)>();
        bool stopped = false;

        void Post(Action action)
        {
            try
            {
                queue.Add(action);
            }
            catch (InvalidOperationException)
            {
                // The run is over (the queue is complete); a late report has nowhere to go.
            }
        }

        using var runner = new FleetRunner(options, ModuleBase, ModuleVersion,
            (target, stage) => Post(() =>
            {
                ProgressRecord child = children[target];
                child.StatusDescription = stage;
                WriteProgress(child);
            }),
            Cancellation);
        Task run = runner.RunAsync(targets, command, parameters, remote => Post(() =>
        {
            object? result = toResult(remote);
            results.Add((remote, result));
            if (remote.Started)
            {
                children[remote.Target].RecordType = ProgressRecordType.Completed;
                WriteProgress(children[remote.Target]);
            }
            parent.StatusDescription = $"{results.Count} of {targets.Count} hosts done";
            parent.PercentComplete = results.Count * 100 / Math.Max(1, targets.Count);
            WriteProgress(parent);
            if (result is not null)
            {
                var wrapped = PSObject.AsPSObject(result);
                wrapped.Properties.Add(new PSNoteProperty("PSComputerName", remote.Target.Name));
                WriteObject(wrapped);
            }
        }));
        run.ContinueWith(_ => queue.CompleteAdding(), TaskScheduler.Default);

        WriteProgress(parent);
        foreach (Action action in queue.GetConsumingEnumerable())
        {
            try
            {
                if (!stopped)
                {
                    action();
                }
                else
                {
                    // Stopping: nothing can be written any more, but every host's end is still collected.
                    try { action(); } catch (PipelineStoppedException) { }
                }
            }
            catch (PipelineStoppedException)
            {
                stopped = true;
            }
        }
        run.GetAwaiter().GetResult();

        object?[] all = results.Select(r => r.Result).Where(r => r is not null).ToArray();
        SessionState.PSVariable.Set(new PSVariable(LastResultVariable, all, ScopedItemOptions.None));
        if (stopped || Stopping)
        {
            foreach ((RemoteRun remote, _) in results)
            {
                Host.UI.WriteLine($"{remote.Target.Name}: stopped at {remote.Stage} ({string.Join(", ", remote.SectionsDone.Select(s => $"{s.Name} {s.Status}"))})");
            }
            Host.UI.WriteLine($"The results are in ${LastResultVariable}.");
            return;
        }
        parent.RecordType = ProgressRecordType.Completed;
        WriteProgress(parent);
        foreach ((RemoteRun remote, _) in results.Where(r => r.Run.Error is not null))
        {
            WriteError(HostError(remote.Target.Name, remote.Stage, remote.Error!));
        }
    }

    /// <summary>The error of one failed host, named for it, with the error id the host raised.</summary>
    protected static ErrorRecord HostError(string computerName, string stage, ErrorRecord error)
    {
        string id = error.FullyQualifiedErrorId.Split(',')[0];
        string message = error.ErrorDetails?.Message ?? error.Exception.Message;
        return new ErrorRecord(new RemoteException($"{computerName}: {stage}: {message}"), id, error.CategoryInfo.Category, computerName)
        {
            ErrorDetails = new ErrorDetails($"{computerName}: {stage}: {message}") { RecommendedAction = error.ErrorDetails?.RecommendedAction ?? string.Empty },
        };
    }

    /// <summary>
    /// Announces each planned change of a host as a "What if:" line and writes it to the information stream as the
    /// section cmdlet's PlannedChange (tag IsulaKata.WhatIf; the record's Source is the host).
    /// </summary>
    protected void WritePlan(string? computerName, IEnumerable<PlannedChange> plan)
    {
        foreach (PlannedChange change in plan)
        {
            string target = computerName is null ? change.Target : $"{computerName}: {change.Target}";
            ShouldProcess($"Performing the operation \"{change.Action}\" on target \"{target}\".", $"{change.Action} '{target}'?", change.Cmdlet);
            var record = new InformationRecord(change, computerName ?? LocalComputerName);
            record.Tags.Add(PlannedChange.Tag);
            WriteInformation(record);
        }
    }
}

/// <summary>The fleet cmdlets that take a configuration document: -Path (a .psd1 file) or -Configuration (a hashtable).</summary>
public abstract class IsulaKataDocumentCmdlet : IsulaKataFleetCmdlet
{
    /// <summary>The configuration document: a .psd1 data file.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The configuration document as a hashtable.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ConfigurationSet)]
    [ValidateNotNull]
    public Hashtable? Configuration { get; set; }

    /// <summary>Reads and validates the document given; stops the cmdlet on the first problem.</summary>
    protected ConfigurationDocument ReadDocument() => ReadDocument(ParameterSetName == PathSet ? Path : null, Configuration);
}
