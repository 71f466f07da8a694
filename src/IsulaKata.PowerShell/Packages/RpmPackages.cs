using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using IsulaKata.Core;

namespace IsulaKata.Packages;

/// <summary>One package and whether it is installed.</summary>
public sealed class IsulaKataPackage
{
    /// <summary>The rpm name (case matters: iSulad, not isulad).</summary>
    public string Name { get; internal init; } = string.Empty;

    /// <summary>version-release as rpm reports it; null when not installed.</summary>
    public string? Version { get; internal init; }

    public bool Installed { get; internal init; }

    /// <summary>True when this call installed it.</summary>
    public bool InstalledNow { get; internal init; }

    /// <summary>The program that installs packages here (dnf or yum); null when there is none.</summary>
    public string? PackageManager { get; internal init; }
}

/// <summary>What Install-IsulaKataPackage found: the installer, the packages asked for, their versions now, and the missing ones.</summary>
public sealed record PackagePlan(string Installer, IReadOnlyList<string> Names, IReadOnlyDictionary<string, string?> Before, IReadOnlyList<string> Missing);

/// <summary>Queries rpm and installs packages with dnf (yum where dnf is absent). Live host only.</summary>
public sealed class RpmPackages
{
    /// <summary>The packages the procedure installs: the daemon, kata (with containerd-shim-kata-v2), and the shim v2 library iSulad loads.</summary>
    public static readonly IReadOnlyList<string> IsulaKataPackages = new[] { "iSulad", "kata-containers", "lib-shim-v2" };

    public static readonly TimeSpan DefaultInstallTimeout = TimeSpan.FromMinutes(30);

    private static readonly Regex NotInstalled = new(@"^package (\S+) is not installed$", RegexOptions.CultureInvariant);

    /// <summary>What an rpm name may hold (letters, digits, . _ + -), never starting with '-' so it cannot pass for an option.</summary>
    private static readonly Regex ValidName = new(@"^[A-Za-z0-9_+][A-Za-z0-9._+-]{0,254}$", RegexOptions.CultureInvariant);
    private readonly HostContext _host;

    public RpmPackages(HostContext host) => _host = host;

    /// <summary>True when rpm is on PATH.</summary>
    public bool IsRpmHost => _host.Runner.Exists("rpm");

    /// <summary>dnf, or yum where there is no dnf; null when neither is on PATH.</summary>
    public string? Installer => _host.Runner.Exists("dnf") ? "dnf" : _host.Runner.Exists("yum") ? "yum" : null;

    /// <summary>The installed version-release of each package (null when not installed), in one rpm call.</summary>
    public IReadOnlyDictionary<string, string?> Query(IReadOnlyList<string> names)
    {
        RequireRpm();
        ValidateNames(names);
        var args = new List<string> { "-q", "--queryformat", @"%{NAME} %{VERSION}-%{RELEASE}\n", "--" };
        args.AddRange(names);
        CommandResult result = _host.Runner.Run("rpm", args, TimeSpan.FromSeconds(60));
        var versions = names.ToDictionary(n => n, _ => (string?)null, StringComparer.Ordinal);
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in result.StandardOutput.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            Match missing = NotInstalled.Match(line);
            if (missing.Success)
            {
                answered.Add(missing.Groups[1].Value);
                continue;
            }
            int space = line.IndexOf(' ');
            if (space > 0 && versions.ContainsKey(line.Substring(0, space)))
            {
                string name = line.Substring(0, space);
                versions[name] = line.Substring(space + 1);
                answered.Add(name);
            }
        }
        // rpm exits with the number of missing packages; anything it did not answer for is a real failure (no rpmdb).
        if (names.Any(n => !answered.Contains(n)))
        {
            throw CommandRunnerExtensions.CommandFailed(result, "RpmQueryFailed",
                "Check the rpm database (rpm --rebuilddb as root) and run the command again.");
        }
        return versions;
    }

    /// <summary>Installs <paramref name="names"/> with <paramref name="installer"/> (`dnf install -y`), then checks with rpm that they are there.</summary>
    public IReadOnlyDictionary<string, string?> Install(string installer, IReadOnlyList<string> names, TimeSpan timeout)
    {
        const string activity = "Installing packages";
        try
        {
            _host.Progress(activity, $"{installer} install -y {string.Join(" ", names)}", -1, false);
            ValidateNames(names);
            var args = new List<string> { "install", "-y", "--" };
            args.AddRange(names);
            CommandResult result = _host.Runner.Run(installer, args, timeout);
            if (!result.Succeeded)
            {
                string action = result.StandardError.Contains("superuser", StringComparison.OrdinalIgnoreCase)
                    ? "Run the cmdlet as root (sudo pwsh)."
                    : $"Make sure the openEuler repositories that ship {string.Join(", ", names)} are enabled ({installer} repolist), then run the cmdlet again.";
                throw CommandRunnerExtensions.CommandFailed(result, "PackageInstallFailed", action);
            }
        }
        finally
        {
            _host.Progress(activity, "done", 100, true);
        }
        IReadOnlyDictionary<string, string?> versions = Query(names);
        string[] stillMissing = names.Where(n => versions[n] is null).ToArray();
        if (stillMissing.Length > 0)
        {
            throw new IsulaKataException("PackageInstallFailed", FailureKind.InvalidOperation,
                $"'{installer} install -y {string.Join(" ", names)}' succeeded, but rpm still does not know {string.Join(", ", stillMissing)}.",
                $"Check which repository should provide {string.Join(", ", stillMissing)} ({installer} info {stillMissing[0]}) and install it by hand.",
                string.Join(", ", stillMissing));
        }
        return versions;
    }

    /// <summary>Refuses a name that is not an rpm name (an option such as --installroot=/, a space, a newline).</summary>
    public static void ValidateNames(IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            if (!ValidName.IsMatch(name))
            {
                throw new IsulaKataException("InvalidPackageName", FailureKind.InvalidArgument,
                    $"'{name}' is not an rpm package name (letters, digits and . _ + -, not starting with '-').",
                    "Give the package's name as rpm -q shows it, e.g. iSulad or kata-containers.", name);
            }
        }
    }

    /// <summary>
    /// Decides what Install-IsulaKataPackage does: the installer, which packages are there (with their versions) and
    /// which are missing. Runs only rpm queries.
    /// </summary>
    public PackagePlan Plan(IEnumerable<string> names)
    {
        string[] distinct = names.Distinct(StringComparer.Ordinal).ToArray();
        ValidateNames(distinct);
        string installer = RequireInstaller();
        IReadOnlyDictionary<string, string?> before = Query(distinct);
        return new PackagePlan(installer, distinct, before, distinct.Where(n => before[n] is null).ToArray());
    }

    /// <summary>Installs what the plan found missing (nothing when none is) and describes every package.</summary>
    public IReadOnlyList<IsulaKataPackage> Apply(PackagePlan plan, TimeSpan timeout)
        => Describe(plan, plan.Missing.Count > 0 ? Install(plan.Installer, plan.Missing, timeout) : plan.Before);

    /// <summary>Each package of the plan with the versions in <paramref name="after"/> (the plan's own when nothing ran).</summary>
    public static IReadOnlyList<IsulaKataPackage> Describe(PackagePlan plan, IReadOnlyDictionary<string, string?>? after = null)
        => plan.Names.Select(name =>
        {
            string? version = after is not null && after.TryGetValue(name, out string? v) ? v : plan.Before[name];
            return new IsulaKataPackage
            {
                Name = name,
                Version = version,
                Installed = version is not null,
                InstalledNow = plan.Before[name] is null && version is not null,
                PackageManager = plan.Installer,
            };
        }).ToArray();

    private void RequireRpm()
    {
        if (!IsRpmHost)
        {
            throw new IsulaKataException("NotAnRpmHost", FailureKind.NotInstalled,
                "'rpm' was not found on PATH: this host does not use rpm packages, and iSulad, kata-containers and lib-shim-v2 come as openEuler rpms.",
                "Run this on openEuler (or another dnf/yum distribution), or install iSulad, kata-containers and lib-shim-v2 with this distribution's own tools.",
                "rpm");
        }
    }

    /// <summary>The installer to use, or an error saying there is none.</summary>
    public string RequireInstaller()
    {
        RequireRpm();
        return Installer ?? throw new IsulaKataException("PackageManagerNotFound", FailureKind.NotInstalled,
            "Neither 'dnf' nor 'yum' was found on PATH, so packages cannot be installed.",
            "Install dnf (or yum), or install the packages from local rpm files with 'rpm -i'.", "dnf");
    }
}
