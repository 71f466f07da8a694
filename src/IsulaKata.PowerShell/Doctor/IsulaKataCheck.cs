namespace IsulaKata.Doctor;

/// <summary>How one check of Test-IsulaKataHost came out.</summary>
public enum CheckStatus
{
    /// <summary>As it should be.</summary>
    Pass,

    /// <summary>Works, but not as the procedure wants it, or it will break later (e.g. after a reboot).</summary>
    Warn,

    /// <summary>Broken: secure containers will not work until it is fixed.</summary>
    Fail,

    /// <summary>Not checked; Detail says why (not an rpm host, needs root, not possible under -Root).</summary>
    Skip,
}

/// <summary>One row of the host diagnosis.</summary>
public sealed class IsulaKataCheck
{
    /// <summary>The part of the host checked: Packages, Virtualization, Modules, Isulad, ...</summary>
    public string Area { get; internal init; } = string.Empty;

    public string Name { get; internal init; } = string.Empty;

    public CheckStatus Status { get; internal init; }

    /// <summary>What was found.</summary>
    public string Detail { get; internal init; } = string.Empty;

    /// <summary>What to do about it; null when there is nothing to do.</summary>
    public string? Remedy { get; internal init; }

    /// <summary>The root the target system lives in ('/' for this host).</summary>
    public string Root { get; internal init; } = "/";

    public override string ToString() => $"[{Status}] {Area}/{Name}: {Detail}";
}
