using System.Linq;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Doctor;
using IsulaKata.Isulad;

namespace IsulaKata.Commands;

/// <summary>Diagnoses the whole host for secure containers: one row per check, every failure with its fix. Changes nothing.</summary>
[Cmdlet(VerbsDiagnostic.Test, "IsulaKataHost", HelpUri = IsulaKataCmdlet.HelpBase + "Test-IsulaKataHost.md")]
[OutputType(typeof(IsulaKataCheck))]
[OutputType(typeof(bool))]
public sealed class TestIsulaKataHostCommand : IsulaKataCmdlet
{
    /// <summary>Only these areas (all by default).</summary>
    [Parameter(Position = 0)]
    [ValidateSet(HostAreas.Packages, HostAreas.Virtualization, HostAreas.Modules, HostAreas.Storage, HostAreas.Isulad, HostAreas.Kata, IgnoreCase = true)]
    public string[]? Area { get; set; }

    /// <summary>iSulad's daemon.json as the target system sees it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string IsuladConfigPath { get; set; } = IsuladConfigurator.DefaultConfigPath;

    /// <summary>kata's configuration.toml as the target system sees it; by default the one kata reads
    /// (/etc/kata-containers/configuration.toml if it exists, else /usr/share/defaults/kata-containers/configuration.toml).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KataConfigPath { get; set; }

    /// <summary>The root of the target system; anything but '/' checks files only and skips what needs the running host.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    /// <summary>Return only $true (no check failed) or $false instead of the checks.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessInput()
    {
        try
        {
            var doctor = new HostDoctor(CreateContext(Root), IsuladConfigPath, KataConfigPath);
            bool failed = false;
            foreach (IsulaKataCheck check in doctor.Run(Area?.ToList()))
            {
                failed |= check.Status == CheckStatus.Fail;
                if (!Quiet)
                {
                    WriteObject(check);
                }
            }
            if (Quiet)
            {
                WriteObject(!failed);
            }
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
