using System;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Kata;

namespace IsulaKata.Commands;

/// <summary>Places the guest kernel kata boots (default /var/lib/kata/vmlinux.bin) from a local file or a URI.</summary>
[Cmdlet(VerbsLifecycle.Install, "KataGuestKernel", HelpUri = IsulaKataCmdlet.HelpBase + "Install-KataGuestKernel.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(KataGuestKernel))]
public sealed class InstallKataGuestKernelCommand : IsulaKataCmdlet
{
    private const string PathSet = "Path";
    private const string UriSet = "Uri";

    /// <summary>The kernel file on this machine (also under -Root, the source is read from this machine).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Where to fetch the kernel: an http, https or file URI.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UriSet)]
    [ValidateNotNull]
    public Uri? Uri { get; set; }

    /// <summary>The expected SHA-256 of the kernel (64 hex digits); nothing is written when it differs.</summary>
    [Parameter]
    [ValidatePattern("^[0-9A-Fa-f]{64}$")]
    public string? Sha256 { get; set; }

    /// <summary>Where kata's configuration expects the kernel, as the target system sees it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = KataGuestKernelInstaller.DefaultDestination;

    /// <summary>How long a download may take.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateRange(1, 86400)]
    public int TimeoutSeconds { get; set; } = 600;

    /// <summary>The root of the target system; the kernel is placed under it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = "/";

    protected override void ProcessInput()
    {
        HostContext host = CreateContext(Root);
        var installer = new KataGuestKernelInstaller(host);
        var request = new KataGuestKernelRequest
        {
            SourcePath = ParameterSetName == PathSet ? GetUnresolvedProviderPathFromPSPath(Path) : null,
            Uri = Uri,
            Destination = Destination,
            Sha256 = Sha256,
            Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
        };
        KataGuestKernelCheck check = installer.Check(request);
        if (check.UpToDate)
        {
            WriteVerbose($"'{Destination}' already holds this kernel (SHA-256 {check.DestinationSha256}).");
            Write(installer.Describe(request, check.Source, changed: false, backup: null));
            return;
        }
        string what = check.SourceSha256 is null ? $"Place the guest kernel from {check.Source}" : $"Place the guest kernel from {check.Source} (SHA-256 {check.SourceSha256})";
        if (ShouldProcessChange(Destination, what + (check.DestinationSha256 is null ? string.Empty : ", replacing the kernel there (kept as a backup)")))
        {
            Write(installer.Install(request));
        }
    }

    private void Write(KataGuestKernel kernel)
    {
        WriteWarnings(kernel.Warnings);
        WriteObject(kernel);
    }
}
