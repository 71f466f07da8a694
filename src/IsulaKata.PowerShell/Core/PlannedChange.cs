namespace IsulaKata.Core;

/// <summary>
/// One change a cmdlet would make, as -WhatIf announces it. Every "What if:" line is also written to the information
/// stream as one of these, tagged <see cref="Tag"/>, so a caller (a script, the fleet cmdlets) can collect a plan with
/// -InformationVariable instead of reading the host's screen.
/// </summary>
public sealed record PlannedChange(string Cmdlet, string Target, string Action)
{
    /// <summary>The information-stream tag of every planned change.</summary>
    public const string Tag = "IsulaKata.WhatIf";

    public override string ToString() => $"{Action} '{Target}'";
}
