using System;
using System.Management.Automation;
using System.Threading;
using IsulaKata.Core;

namespace IsulaKata.Commands;

/// <summary>
/// The base of every IsulaKata cmdlet: a cancellation token that Ctrl+C (StopProcessing) cancels, the host
/// context for -Root, and the translation of engine exceptions into error records.
/// </summary>
public abstract class IsulaKataCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private ProgressRecord? _progress;
    private DateTime _lastProgress;
    private static int _nextActivityId = 0x15A1;

    /// <summary>Cancelled when the user presses Ctrl+C.</summary>
    protected CancellationToken Cancellation => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>The host context for a root given on the command line (resolved like any PowerShell path).</summary>
    protected HostContext CreateContext(string root)
    {
        string resolved = root == "/" ? "/" : GetUnresolvedProviderPathFromPSPath(root);
        HostContext context = HostContext.Create(resolved, WriteVerbose, Cancellation, ReportProgress, MyInvocation.MyCommand.Name, WriteWarning);
        if (!context.IsLiveHost)
        {
            WriteVerbose($"Root is '{context.Root}': files are edited there and no host command (systemctl, isula, lvm, modprobe) runs.");
        }
        return context;
    }

    /// <summary>One progress activity per cmdlet, one record reused, updates throttled, always completed.</summary>
    private void ReportProgress(string activity, string status, int percent, bool completed)
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

    /// <summary>Stops the cmdlet with an engine error.</summary>
    protected void Fail(IsulaKataException error) => ThrowTerminatingError(ToErrorRecord(error));

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
        _ => ErrorCategory.InvalidOperation,
    };

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
