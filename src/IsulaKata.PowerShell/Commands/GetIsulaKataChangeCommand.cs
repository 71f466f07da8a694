using System;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Journal;

namespace IsulaKata.Commands;

/// <summary>Lists the changes IsulaKata made to a host, newest first, from its journal.</summary>
[Cmdlet(VerbsCommon.Get, "IsulaKataChange", HelpUri = IsulaKataCmdlet.HelpBase + "Get-IsulaKataChange.md")]
[OutputType(typeof(IsulaKataChange))]
public sealed class GetIsulaKataChangeCommand : IsulaKataCmdlet
{
    /// <summary>The root of the target system whose journal is read.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    /// <summary>Only changes made at or after this time.</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Only changes made by these cmdlets (wildcards allowed).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.ChangeCmdletCompleter))]
    public string[]? Cmdlet { get; set; }

    protected override void ProcessInput()
    {
        try
        {
            var undoer = new ChangeUndoer(CreateContext(Root));
            WriteObject(undoer.List(Since, Cmdlet), enumerateCollection: true);
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
