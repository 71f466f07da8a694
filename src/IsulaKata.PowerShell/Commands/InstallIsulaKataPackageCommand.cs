using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Packages;

namespace IsulaKata.Commands;

/// <summary>Installs iSulad, kata-containers and lib-shim-v2 with dnf (or yum), skipping what rpm says is installed.</summary>
[Cmdlet(VerbsLifecycle.Install, "IsulaKataPackage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(IsulaKataPackage))]
public sealed class InstallIsulaKataPackageCommand : IsulaKataCmdlet
{
    /// <summary>The rpm names to install (case matters); by default iSulad, kata-containers and lib-shim-v2.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.PackageNameCompleter))]
    public string[] Name { get; set; } = RpmPackages.IsulaKataPackages.ToArray();

    /// <summary>How long dnf may take (downloads included).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSeconds { get; set; } = (int)RpmPackages.DefaultInstallTimeout.TotalSeconds;

    protected override void ProcessRecord()
    {
        try
        {
            var packages = new RpmPackages(CreateContext("/"));
            string installer = packages.RequireInstaller();
            string[] names = Name.Distinct(StringComparer.Ordinal).ToArray();
            IReadOnlyDictionary<string, string?> before = packages.Query(names);
            string[] missing = names.Where(n => before[n] is null).ToArray();
            foreach (string name in names.Where(n => before[n] is not null))
            {
                WriteVerbose($"'{name}' is already installed ({before[name]}).");
            }

            IReadOnlyDictionary<string, string?> after = before;
            if (missing.Length > 0 && ShouldProcessChange(string.Join(", ", missing), $"{installer} install -y {string.Join(" ", missing)}"))
            {
                after = packages.Install(installer, missing, TimeSpan.FromSeconds(TimeoutSeconds));
            }
            foreach (string name in names)
            {
                string? version = after.TryGetValue(name, out string? v) ? v : before[name];
                WriteObject(new IsulaKataPackage
                {
                    Name = name,
                    Version = version,
                    Installed = version is not null,
                    InstalledNow = before[name] is null && version is not null,
                    PackageManager = installer,
                });
            }
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
