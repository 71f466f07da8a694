using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;
using IsulaKata.Packages;
using IsulaKata.Isulad;

namespace IsulaKata.Doctor.Checks;

/// <summary>The packages of the procedure (rpm -q, on rpm hosts) and the kata shim iSulad must find on its PATH.</summary>
public sealed class PackageChecks : HostCheckArea
{
    /// <summary>Where a shim is looked for under -Root: the PATH systemd gives isulad.</summary>
    private static readonly string[] ServicePath = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };

    public PackageChecks(HostCheckContext context) : base(context) { }

    public override string Name => HostAreas.Packages;

    public override IEnumerable<IsulaKataCheck> Run()
    {
        foreach (IsulaKataCheck check in PackageRows())
        {
            yield return check;
        }
        yield return ShimRow();
    }

    private IEnumerable<IsulaKataCheck> PackageRows()
    {
        IReadOnlyList<string> names = RpmPackages.IsulaKataPackages;
        if (!Host.IsLiveHost)
        {
            return names.Select(n => Skip(n,
                $"rpm is not run under -Root '{Host.Root}': it would report this host's packages, not the root's.",
                $"Check on the host itself, or run: rpm -q --root {Host.Root} {n}"));
        }
        var rpm = new RpmPackages(Host);
        if (!rpm.IsRpmHost)
        {
            return names.Select(n => Skip(n,
                "rpm was not found: this is not an rpm-based host, so the package cannot be checked.",
                "On openEuler, Install-IsulaKataPackage installs it; elsewhere, install iSulad and kata by this distribution's means."));
        }
        try
        {
            IReadOnlyDictionary<string, string?> versions = rpm.Query(names);
            return names.Select(n => versions[n] is string version
                ? Pass(n, $"{n} {version} is installed.")
                : Fail(n, $"{n} is not installed.", $"Install-IsulaKataPackage -Name {n}   (runs: dnf install -y {n})"));
        }
        catch (IsulaKataException error)
        {
            return names.Select(n => Fail(n, error.Message, error.RecommendedAction));
        }
    }

    private IsulaKataCheck ShimRow()
    {
        string shim = IsuladRules.ShimBinary(IsuladRules.KataShimV2)!;
        string name = $"{shim} on PATH";
        string remedy = $"Install kata-containers (Install-IsulaKataPackage), which ships {shim}; iSulad looks for it on its own PATH.";
        if (Host.IsLiveHost)
        {
            string? path = CommandRunner.FindOnPath(shim);
            return path is not null
                ? Pass(name, $"{shim} is '{path}'.")
                : Fail(name, $"{shim} is not on PATH, so iSulad cannot start containers with {IsuladRules.KataShimV2}.", remedy);
        }
        foreach (string folder in ServicePath)
        {
            string candidate = folder + "/" + shim;
            try
            {
                if (Host.Files.FileExists(candidate))
                {
                    bool executable = (File.GetUnixFileMode(Host.Files.ToHostPath(candidate)) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
                    return executable
                        ? Pass(name, $"{shim} is '{candidate}'.")
                        : Fail(name, $"'{candidate}' is not executable.", $"chmod 0755 {candidate}");
                }
            }
            catch (IsulaKataException)
            {
                // A link that leaves the root is no shim of the root's.
            }
        }
        return Fail(name, $"{shim} is in none of {string.Join(", ", ServicePath)} under '{Host.Root}'.", remedy);
    }
}
