using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Security;
using System.Threading;
using IsulaKata.Commands;
using IsulaKata.Core;

namespace IsulaKata.Fleet;

/// <summary>What one call of a section cmdlet gave: its output, its -WhatIf plan, and the error it raised.</summary>
public sealed record SectionCall(IReadOnlyList<object> Output, IReadOnlyList<PlannedChange> Plan, ErrorRecord? Error);

/// <summary>
/// Runs the section cmdlets of this module on this host, in a runspace of its own whose host shows nothing: their
/// "What if:" lines and prompts stay out of the caller's console, their plans are read from the information stream
/// (PlannedChange, tag IsulaKata.WhatIf), their errors come back as the ErrorRecord they raised. One runspace serves
/// every section of one fleet cmdlet call.
/// </summary>
public sealed class SectionRunner : IDisposable
{
    /// <summary>The cmdlets the fleet runs: the section cmdlets and the readers Get-IsulaKataConfiguration uses.</summary>
    private static readonly Type[] Commands = ConfigurationSection.All.Select(s => s.CommandType)
        .Concat(new[] { typeof(GetIsulaThinPoolCommand), typeof(GetIsulaRuntimeCommand), typeof(GetKataHypervisorCommand) }).ToArray();

    private readonly Runspace _runspace;
    private readonly Action<string> _log;
    private readonly bool _verbose;
    private readonly CancellationToken _cancellation;

    public SectionRunner(string currentDirectory, Action<string> log, bool verbose, CancellationToken cancellation)
    {
        InitialSessionState state = InitialSessionState.CreateDefault2();
        foreach (Type command in Commands)
        {
            var attribute = (CmdletAttribute)Attribute.GetCustomAttribute(command, typeof(CmdletAttribute))!;
            state.Commands.Add(new SessionStateCmdletEntry($"{attribute.VerbName}-{attribute.NounName}", command, null));
        }
        _runspace = RunspaceFactory.CreateRunspace(new SilentHost(), state);
        _runspace.Open();
        _runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(currentDirectory));
        _log = log;
        _verbose = verbose;
        _cancellation = cancellation;
    }

    /// <summary>Runs one cmdlet with these parameters (and -WhatIf when asked); never throws for the cmdlet's own failure.</summary>
    public SectionCall Invoke(string cmdlet, IReadOnlyDictionary<string, object?> parameters, bool whatIf, bool supportsShouldProcess = true)
    {
        _cancellation.ThrowIfCancellationRequested();
        using PowerShell shell = PowerShell.Create();
        shell.Runspace = _runspace;
        shell.AddCommand(cmdlet);
        foreach (KeyValuePair<string, object?> parameter in parameters)
        {
            shell.AddParameter(parameter.Key, parameter.Value);
        }
        if (supportsShouldProcess)
        {
            shell.AddParameter("WhatIf", whatIf);
            shell.AddParameter("Confirm", false);
        }
        shell.AddParameter("ErrorAction", ActionPreference.Stop);
        if (_verbose)
        {
            shell.AddParameter("Verbose", true);
        }

        ErrorRecord? error = null;
        IReadOnlyList<object> output = Array.Empty<object>();
        using (_cancellation.Register(() => shell.BeginStop(null, null)))
        {
            try
            {
                output = shell.Invoke().Where(o => o is not null).Select(o => o.BaseObject is PSCustomObject ? (object)o : o.BaseObject).ToArray();
                error = shell.Streams.Error.FirstOrDefault();
            }
            catch (RuntimeException failure)
            {
                error = failure.ErrorRecord;
                if (failure is ActionPreferenceStopException && failure.ErrorRecord.Exception is RuntimeException inner)
                {
                    error = inner.ErrorRecord;
                }
            }
        }
        _cancellation.ThrowIfCancellationRequested();
        foreach (VerboseRecord line in shell.Streams.Verbose)
        {
            _log($"{cmdlet}: {line.Message}");
        }
        foreach (WarningRecord line in shell.Streams.Warning)
        {
            _log($"{cmdlet}: WARNING: {line.Message}");
        }
        PlannedChange[] plan = shell.Streams.Information
            .Where(record => record.Tags.Contains(PlannedChange.Tag))
            .Select(record => record.MessageData is PSObject wrapped ? wrapped.BaseObject : record.MessageData)
            .OfType<PlannedChange>().ToArray();
        return new SectionCall(whatIf ? Array.Empty<object>() : output, plan, error);
    }

    public void Dispose() => _runspace.Dispose();

    /// <summary>A host that shows nothing and answers no question (the cmdlets run with -Confirm:$false).</summary>
    private sealed class SilentHost : PSHost
    {
        private readonly SilentUserInterface _ui = new();
        public override string Name => "IsulaKataFleet";
        public override Version Version { get; } = new(1, 0);
        public override Guid InstanceId { get; } = Guid.NewGuid();
        public override PSHostUserInterface UI => _ui;
        public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
        public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;
        public override void SetShouldExit(int exitCode) { }
        public override void EnterNestedPrompt() => throw new NotSupportedException();
        public override void ExitNestedPrompt() => throw new NotSupportedException();
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
    }

    private sealed class SilentUserInterface : PSHostUserInterface
    {
        public override PSHostRawUserInterface? RawUI => null;
        public override string ReadLine() => throw new NotSupportedException("The fleet cmdlets run their sections without a console.");
        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException("The fleet cmdlets run their sections without a console.");
        public override void Write(string value) { }
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { }
        public override void WriteLine(string value) { }
        public override void WriteErrorLine(string value) { }
        public override void WriteDebugLine(string message) { }
        public override void WriteProgress(long sourceId, ProgressRecord record) { }
        public override void WriteVerboseLine(string message) { }
        public override void WriteWarningLine(string message) { }
        public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions)
            => throw new NotSupportedException("The fleet cmdlets run their sections without a console.");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName)
            => throw new NotSupportedException("The fleet cmdlets run their sections without a console.");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
            => throw new NotSupportedException("The fleet cmdlets run their sections without a console.");
        public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice)
            => throw new NotSupportedException("The fleet cmdlets run their sections without a console.");
    }
}
