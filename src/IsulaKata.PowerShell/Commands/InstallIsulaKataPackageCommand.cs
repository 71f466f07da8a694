using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Packages;

namespace IsulaKata.Commands;

/// <summary>Installs iSulad, kata-containers and lib-shim-v2 with dnf (or yum), skipping what rpm says is installed.</summary>
[Cmdlet(VerbsLifecycle.Install, "IsulaKataPackage", HelpUri = IsulaKataCmdlet.HelpBase + "Install-IsulaKataPackage.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
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

    protected override void ProcessInput()
    {
        var packages = new RpmPackages(CreateContext("/"));
        PackagePlan plan = packages.Plan(Name);
        foreach (string name in plan.Names.Where(n => plan.Before[n] is not null))
        {
            WriteVerbose($"'{name}' is already installed ({plan.Before[name]}).");
        }
        bool install = plan.Missing.Count > 0
            && ShouldProcessChange(string.Join(", ", plan.Missing), $"{plan.Installer} install -y {string.Join(" ", plan.Missing)}");
        WriteObject(install ? packages.Apply(plan, TimeSpan.FromSeconds(TimeoutSeconds)) : RpmPackages.Describe(plan), enumerateCollection: true);
    }
}
