using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using CliWrap;
using CliWrap.Buffered;

namespace IsulaKata.Core;

/// <summary>Runs external programs. The only way the module starts a process.</summary>
public interface ICommandRunner
{
    /// <summary>Runs <paramref name="program"/> (found on PATH) with an argument array and returns its result
    /// whatever the exit code.</summary>
    CommandResult Run(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, string? standardInput = null);

    /// <summary>Whether <paramref name="program"/> can be found on PATH.</summary>
    bool Exists(string program);
}

/// <summary>
/// The CliWrap-based runner: argument arrays (never a shell string), a timeout, cancellation,
/// captured output, the exit code, and one verbose line with the exact command.
/// </summary>
public sealed class CommandRunner : ICommandRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private readonly Action<string> _log;
    private readonly CancellationToken _cancellation;

    public CommandRunner(Action<string> log, CancellationToken cancellation)
    {
        _log = log;
        _cancellation = cancellation;
    }

    public bool Exists(string program) => FindOnPath(program) is not null;

    public CommandResult Run(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, string? standardInput = null)
    {
        string[] args = arguments.ToArray();
        string commandLine = CommandResult.FormatCommandLine(program, args);
        string path = FindOnPath(program) ?? throw new IsulaKataException("CommandNotFound", FailureKind.NotInstalled,
            $"The program '{program}' was not found on PATH, so '{commandLine}' cannot run.",
            $"Install the package that provides '{program}', or add its folder to PATH.", program);

        TimeSpan limit = timeout ?? DefaultTimeout;
        _log($"Running: {commandLine}");
        using var timeoutSource = new CancellationTokenSource(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellation, timeoutSource.Token);

        Command command = Cli.Wrap(path)
            .WithArguments(args)
            .WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(env => env.Set("LC_ALL", "C").Set("LANG", "C"));
        if (standardInput is not null)
        {
            command = command.WithStandardInputPipe(PipeSource.FromString(standardInput));
        }

        var watch = Stopwatch.StartNew();
        try
        {
            BufferedCommandResult result = command
                .ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, linked.Token)
                .Task.GetAwaiter().GetResult();
            var finished = new CommandResult(program, args, result.ExitCode, result.StandardOutput, result.StandardError, watch.Elapsed);
            _log($"Exit code {finished.ExitCode} after {watch.ElapsedMilliseconds} ms: {program}");
            return finished;
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !_cancellation.IsCancellationRequested)
        {
            throw new IsulaKataException("CommandTimedOut", FailureKind.OperationTimeout,
                $"'{commandLine}' did not finish within {limit.TotalSeconds:0} seconds and was stopped.",
                $"Check why '{program}' hangs (a stuck device, a locked database), then run the command again.", commandLine);
        }
    }

    /// <summary>Finds a program the way a shell does: a path with a slash is used as is, otherwise PATH is searched.</summary>
    public static string? FindOnPath(string program)
    {
        if (program.Contains('/'))
        {
            return File.Exists(program) ? program : null;
        }
        string pathVariable = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (string folder in pathVariable.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, program);
            if (File.Exists(candidate) && IsExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static bool IsExecutable(string path)
    {
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}

/// <summary>Helpers that turn a failed result into the module's error.</summary>
public static class CommandRunnerExtensions
{
    /// <summary>Runs the command and throws <see cref="IsulaKataException"/> with its stderr when it fails.</summary>
    public static CommandResult RunChecked(this ICommandRunner runner, string program, IEnumerable<string> arguments,
        string errorId = "CommandFailed", string? recommendedAction = null, TimeSpan? timeout = null)
    {
        CommandResult result = runner.Run(program, arguments, timeout);
        if (!result.Succeeded)
        {
            throw CommandFailed(result, errorId, recommendedAction);
        }
        return result;
    }

    public static IsulaKataException CommandFailed(CommandResult result, string errorId = "CommandFailed", string? recommendedAction = null)
    {
        string message = result.FailureText(result.Diagnostics());
        return new IsulaKataException(errorId, FailureKind.InvalidOperation, message,
            recommendedAction ?? $"Read the output of '{result.Program}' above, fix the cause, and run the cmdlet again.",
            result.CommandLine);
    }
}
