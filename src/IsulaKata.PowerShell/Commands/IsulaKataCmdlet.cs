using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using IsulaKata.Core;

namespace IsulaKata.Commands;

/// <summary>
/// The base of every IsulaKata cmdlet: a cancellation token that Ctrl+C (StopProcessing) cancels, the host
/// context for -Root, a log and progress sink that never throw, and the one place where every exception becomes an
/// error record. Cmdlets implement <see cref="ProcessInput"/>; <see cref="ProcessRecord"/> is sealed so none can skip
/// the translation.
/// </summary>
public abstract class IsulaKataCmdlet : PSCmdlet, IDisposable
{
    /// <summary>Where each cmdlet's page lives (Get-Help -Online): the docs/en-US/&lt;Cmdlet&gt;.md of the project.</summary>
    public const string HelpBase = "https://github.com/isulakata/IsulaKata/blob/main/docs/en-US/";

    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly HashSet<string> _typedValues = new(StringComparer.Ordinal);
    private Thread? _pipelineThread;
    private ProgressRecord? _progress;
    private DateTime _lastProgress;
    private static int _nextActivityId = 0x15A1;

    /// <summary>Cancelled when the user presses Ctrl+C.</summary>
    protected CancellationToken Cancellation => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Remembers the values typed on the command line (bound before any pipeline input), so that an error about
    /// one of them stops the command while an error about one pipeline input does not.</summary>
    protected sealed override void BeginProcessing()
    {
        _pipelineThread = Thread.CurrentThread;
        foreach (object? value in MyInvocation.BoundParameters.Values)
        {
            foreach (object? item in value is string text ? new object?[] { text } : value as System.Collections.IEnumerable ?? Array.Empty<object>())
            {
                if (item is string s)
                {
                    _typedValues.Add(s);
                }
            }
        }
    }

    /// <summary>
    /// True for a cmdlet whose every call is one of several independent items (Remove-IsulaThinPool removes pool after
    /// pool): its errors are always written, never terminating.
    /// </summary>
    protected virtual bool EachCallIsOneItem => false;

    /// <summary>What the cmdlet does for one input. Exceptions need no catch: <see cref="ProcessRecord"/> translates them.</summary>
    protected abstract void ProcessInput();

    /// <summary>
    /// Runs <see cref="ProcessInput"/> and turns whatever it throws into a project error: an error about a value from the
    /// pipeline is written (the pipeline goes on with the next input); any other is terminating.
    /// </summary>
    protected sealed override void ProcessRecord()
    {
        try
        {
            ProcessInput();
        }
        catch (Exception error) when (error is not (PipelineStoppedException or ActionPreferenceStopException or HaltCommandException))
        {
            if (_stop.IsCancellationRequested && error is OperationCanceledException)
            {
                throw new PipelineStoppedException();
            }
            FlushLog();
            ErrorRecord record = ToErrorRecord(Translate(error));
            if (EachCallIsOneItem || MyInvocation.ExpectingInput && !(record.CategoryInfo.Category == ErrorCategory.InvalidArgument && record.TargetObject is string typed && _typedValues.Contains(typed)))
            {
                WriteError(record);
                return;
            }
            ThrowTerminatingError(record);
        }
        finally
        {
            FlushLog();
        }
    }

    /// <summary>
    /// The one translation of an exception into a project error: the engine's own errors as they are; the file system,
    /// permissions, the TOML and JSON parsers, HTTP and number parsing each to a stable id with the right category, a
    /// recommended action and the original exception kept as the inner exception. Anything else is reported as
    /// UnexpectedError (a bug to report), never as a bare .NET error.
    /// </summary>
    internal IsulaKataException Translate(Exception error)
    {
        string command = MyInvocation.MyCommand.Name;
        return error switch
        {
            IsulaKataException known => known,
            UnauthorizedAccessException => new IsulaKataException("AccessDenied", FailureKind.PermissionDenied,
                $"{command}: {error.Message}", "Run the command as root (sudo pwsh), or as a user who may read and change those files.", TargetOf(error), error),
            FileNotFoundException or DirectoryNotFoundException => new IsulaKataException("FileNotFound", FailureKind.ObjectNotFound,
                $"{command}: {error.Message}", "Check the path (and -Root), then run the command again.", TargetOf(error), error),
            IOException => new IsulaKataException("FileSystemError", ChangesHost ? FailureKind.WriteError : FailureKind.ReadError,
                $"{command}: {error.Message}", "Check the file system (free space with df -h, mount options, the kernel log), then run the command again.", TargetOf(error), error),
            Tomlyn.TomlException => new IsulaKataException("InvalidToml", FailureKind.InvalidData,
                $"{command}: a TOML file cannot be read: {error.Message}", "Fix the TOML file at the place the message names (or restore its backup), then run the command again.", TargetOf(error), error),
            JsonException => new IsulaKataException("InvalidJson", FailureKind.InvalidData,
                $"{command}: a JSON document cannot be read: {error.Message}", "Fix the JSON file at the place the message names (or restore its backup), then run the command again.", TargetOf(error), error),
            HttpRequestException or HttpIOException or TimeoutException => new IsulaKataException("DownloadFailed", FailureKind.ResourceUnavailable,
                $"{command}: the download failed: {error.Message}", "Check the URL and the network (or the proxy), then run the command again.", TargetOf(error), error),
            OverflowException or FormatException => new IsulaKataException("InvalidNumber", FailureKind.InvalidArgument,
                $"{command}: a number is out of range or not written with the digits 0-9: {error.Message}", "Give the value in ASCII digits within the documented range.", TargetOf(error), error),
            OperationCanceledException => new IsulaKataException("OperationCanceled", FailureKind.OperationTimeout,
                $"{command}: the operation was cancelled before it finished: {error.Message}", "Run the command again; if a step timed out, check why it hangs.", null, error),
            _ => new IsulaKataException("UnexpectedError", FailureKind.InvalidOperation,
                $"{command} failed unexpectedly ({error.GetType().FullName}): {error.Message}",
                "This is a bug in IsulaKata: report it with the output of '$Error[0] | Format-List * -Force' and the command you ran.", TargetOf(error), error),
        };
    }

    private bool ChangesHost => MyInvocation.MyCommand is CmdletInfo info
        && info.ImplementingType.GetCustomAttributes(typeof(CmdletAttribute), false) is CmdletAttribute[] { Length: > 0 } attributes
        && attributes[0].SupportsShouldProcess;

    /// <summary>What a translated error is about: the target an engine attached, else the input the cmdlet works on.</summary>
    private object? TargetOf(Exception error)
    {
        if (error.Data.Contains("Target"))
        {
            return error.Data["Target"];
        }
        foreach (string name in new[] { "Path", "ConfigPath", "Destination", "Device", "Root" })
        {
            if (MyInvocation.BoundParameters.TryGetValue(name, out object? value) && value is not null)
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>The host context for a root given on the command line (resolved like any PowerShell path).</summary>
    protected HostContext CreateContext(string root)
    {
        string resolved = root == "/" ? "/" : GetUnresolvedProviderPathFromPSPath(root);
        HostContext context = HostContext.Create(resolved, Log, Cancellation, ReportProgress, MyInvocation.MyCommand.Name, Warn);
        if (!context.IsLiveHost)
        {
            Log($"Root is '{context.Root}': files are edited there and no host command (systemctl, isula, lvm, modprobe) runs.");
        }
        return context;
    }

    /// <summary>
    /// The log the engine gets: it never throws. Messages are queued and written as verbose lines from the pipeline
    /// thread; once the user pressed Ctrl+C, or from another thread, they wait or are dropped instead of throwing in the
    /// middle of a write or a rollback.
    /// </summary>
    protected void Log(string message)
    {
        _log.Enqueue(message);
        FlushLog();
    }

    /// <summary>A warning from the engine (the journal's word on an interrupted earlier change); never throws, like the log.</summary>
    private void Warn(string message)
    {
        if (_stop.IsCancellationRequested || (_pipelineThread is not null && Thread.CurrentThread != _pipelineThread))
        {
            Log("WARNING: " + message);
            return;
        }
        try
        {
            WriteWarning(message);
        }
        catch (Exception error) when (error is PipelineStoppedException or InvalidOperationException)
        {
            // Stopping: the warning goes the way of the log.
        }
    }

    private void FlushLog()
    {
        if (Thread.CurrentThread != _pipelineThread && _pipelineThread is not null)
        {
            return;
        }
        while (_log.TryDequeue(out string? message))
        {
            if (_stop.IsCancellationRequested)
            {
                continue;
            }
            try
            {
                WriteVerbose(message);
            }
            catch (Exception error) when (error is PipelineStoppedException or InvalidOperationException)
            {
                // Stopping, or not on the pipeline thread: drop the line rather than break the caller.
            }
        }
    }

    /// <summary>One progress activity per cmdlet, one record reused, updates throttled, always completed; never throws.</summary>
    private void ReportProgress(string activity, string status, int percent, bool completed)
    {
        if (_stop.IsCancellationRequested || (_pipelineThread is not null && Thread.CurrentThread != _pipelineThread))
        {
            return;
        }
        try
        {
            ReportProgressCore(activity, status, percent, completed);
        }
        catch (Exception error) when (error is PipelineStoppedException or InvalidOperationException)
        {
            // Progress is advisory: never let it break the operation it describes.
        }
    }

    private void ReportProgressCore(string activity, string status, int percent, bool completed)
    {
        if (_progress is null)
        {
            if (completed)
            {
                return;
            }
            _progress = new ProgressRecord(Interlocked.Increment(ref _nextActivityId), activity, status);
        }
        _progress.Activity = activity;
        _progress.StatusDescription = status;
        _progress.PercentComplete = percent is >= 0 and <= 100 ? percent : -1;
        if (completed)
        {
            _progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(_progress);
            _progress = null;
            return;
        }
        if ((DateTime.UtcNow - _lastProgress).TotalMilliseconds < 200)
        {
            return;
        }
        _lastProgress = DateTime.UtcNow;
        WriteProgress(_progress);
    }

    /// <summary>
    /// Asks ShouldProcess for one change. Under -WhatIf the change is announced ("What if: ...") and also written to the
    /// information stream as a <see cref="PlannedChange"/> tagged <see cref="PlannedChange.Tag"/>; the answer is false.
    /// </summary>
    protected bool ShouldProcessChange(string target, string action, string? question = null, string? caption = null)
        => ShouldProcessChanges(new[] { (target, action, question) }, caption);

    /// <summary>
    /// One ShouldProcess per step, so -WhatIf shows every step as its own "What if:" line and -Confirm asks about each
    /// before anything runs. A "No" stops the questions; the answer is true only when every step was approved.
    /// </summary>
    protected bool ShouldProcessChanges(System.Collections.Generic.IEnumerable<(string Target, string Action, string? Question)> steps, string? caption = null)
    {
        bool approved = true;
        foreach ((string target, string action, string? question) in steps)
        {
            string description = $"Performing the operation \"{action}\" on target \"{target}\".";
            if (!ShouldProcess(description, question ?? $"{action} '{target}'?", caption ?? MyInvocation.MyCommand.Name, out ShouldProcessReason reason))
            {
                approved = false;
                if (reason != ShouldProcessReason.WhatIf)
                {
                    return false;
                }
                WriteInformation(new PlannedChange(MyInvocation.MyCommand.Name, target, action), new[] { PlannedChange.Tag });
            }
        }
        return approved;
    }

    /// <summary>-WhatIf (given, or $WhatIfPreference): the module's cmdlets then return no object, even when there is
    /// nothing to change; the plan is the "What if:" lines and their PlannedChange records.</summary>
    protected bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? whatIf)
        ? ((SwitchParameter)whatIf).IsPresent
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    /// <summary>
    /// Whether ShouldProcess asks the user before a change: -Confirm was given, or the cmdlet's ConfirmImpact reaches
    /// $ConfirmPreference. A plan shown at a prompt may be answered minutes later, so an engine checks the host again
    /// before applying it; a plan applied without a prompt runs right after it was made.
    /// </summary>
    protected bool WillAsk()
    {
        if (MyInvocation.BoundParameters.TryGetValue("Confirm", out object? confirm) && confirm is SwitchParameter given)
        {
            return given.IsPresent;
        }
        var attribute = (CmdletAttribute?)Attribute.GetCustomAttribute(GetType(), typeof(CmdletAttribute));
        ConfirmImpact impact = attribute?.ConfirmImpact ?? ConfirmImpact.Medium;
        object? preference = SessionState.PSVariable.GetValue("ConfirmPreference");
        ConfirmImpact threshold = preference is ConfirmImpact value ? value
            : Enum.TryParse(preference?.ToString(), ignoreCase: true, out ConfirmImpact parsed) ? parsed : ConfirmImpact.High;
        return threshold != ConfirmImpact.None && impact >= threshold;
    }

    /// <summary>Writes each warning to the warning stream.</summary>
    protected void WriteWarnings(System.Collections.Generic.IEnumerable<string> warnings)
    {
        foreach (string warning in warnings)
        {
            WriteWarning(warning);
        }
    }

    /// <summary>An error record with the engine's id, category, target, fix and inner exception.</summary>
    protected static ErrorRecord ToErrorRecord(IsulaKataException error)
    {
        var record = new ErrorRecord(error, error.ErrorId, ToCategory(error.Kind), error.Target)
        {
            ErrorDetails = new ErrorDetails(error.Message) { RecommendedAction = error.RecommendedAction },
        };
        return record;
    }

    /// <summary>Reports an engine error: rethrown to <see cref="ProcessRecord"/>, which decides between WriteError and terminating.</summary>
    protected static void Fail(IsulaKataException error) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);

    private static ErrorCategory ToCategory(FailureKind kind) => kind switch
    {
        FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FailureKind.InvalidData => ErrorCategory.InvalidData,
        FailureKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        FailureKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        FailureKind.ResourceExists => ErrorCategory.ResourceExists,
        FailureKind.PermissionDenied => ErrorCategory.PermissionDenied,
        FailureKind.NotInstalled => ErrorCategory.NotInstalled,
        FailureKind.OperationTimeout => ErrorCategory.OperationTimeout,
        FailureKind.DeviceError => ErrorCategory.DeviceError,
        FailureKind.NotImplemented => ErrorCategory.NotImplemented,
        FailureKind.ReadError => ErrorCategory.ReadError,
        FailureKind.WriteError => ErrorCategory.WriteError,
        _ => ErrorCategory.InvalidOperation,
    };

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
