using System;
using System.Threading;
using IsulaKata.Journal;

namespace IsulaKata.Core;

/// <summary>Progress of a long step: one activity, a status line, a percent when it is known (else -1).</summary>
public delegate void ProgressCallback(string activity, string status, int percent, bool completed);

/// <summary>
/// What every engine call gets: the target root and its files, the command runner, the log, progress,
/// and the cancellation token (cancelled when the user presses Ctrl+C).
/// </summary>
public sealed class HostContext
{
    public HostContext(HostFiles files, ICommandRunner runner, Action<string> log, CancellationToken cancellation,
        ProgressCallback? progress = null, ICommandRunner? cleanupRunner = null, IChangeJournal? journal = null)
    {
        Files = files;
        Runner = runner;
        CleanupRunner = cleanupRunner ?? (runner is CommandRunner ? new CommandRunner(log, CancellationToken.None) : runner);
        Log = log;
        Cancellation = cancellation;
        Progress = progress ?? ((_, _, _, _) => { });
        // journal: the files record every change in this context's journal (or keep the one they have).
        if (journal is not null)
        {
            files.Journal = journal;
        }
        Journal = files.Journal;
    }

    /// <summary>Builds the usual context: real files under <paramref name="root"/>, the CliWrap runner.</summary>
    /// <remarks>journal: <c>cmdlet</c> names who makes the changes (the base cmdlet passes its name); the journal's warnings
    /// (an interrupted earlier change) go to <c>warn</c>, or to the log when it is null.</remarks>
    public static HostContext Create(string root, Action<string> log, CancellationToken cancellation, ProgressCallback? progress = null,
        string? cmdlet = null, Action<string>? warn = null)
    {
        var files = new HostFiles(root, log, cancellation);
        return new(files, new CommandRunner(log, cancellation), log, cancellation, progress,
            journal: new ChangeJournal(files, cmdlet ?? string.Empty, warn ?? log));
    }

    public HostFiles Files { get; }
    public ICommandRunner Runner { get; }

    /// <summary>The runner for rollback and cleanup: the same programs, but Ctrl+C does not cancel it, so undoing a
    /// half-done change runs to its end.</summary>
    public ICommandRunner CleanupRunner { get; }

    /// <summary>This context for a rollback: the cleanup runner and a token that is never cancelled.</summary>
    public HostContext ForCleanup() => new(Files, CleanupRunner, Log, CancellationToken.None, Progress, CleanupRunner);
    public Action<string> Log { get; }
    public ProgressCallback Progress { get; }
    public CancellationToken Cancellation { get; }

    /// <summary>journal: where every change is recorded before it is made and when it completes.</summary>
    public IChangeJournal Journal { get; }

    /// <summary>The target root as given ('/' for this host).</summary>
    public string Root => Files.Root;

    /// <summary>True when the target is this running host; under any other root no host command runs.</summary>
    public bool IsLiveHost => Files.IsLiveHost;
}
