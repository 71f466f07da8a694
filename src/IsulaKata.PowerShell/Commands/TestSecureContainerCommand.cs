using System;
using System.Collections.Generic;
using System.Management.Automation;
using IsulaKata.Core;
using IsulaKata.Kata;
using IsulaKata.Proof;
using IsulaKata.Isulad;

namespace IsulaKata.Commands;

/// <summary>Starts a container with iSulad and the kata runtime and proves it runs in a VM; removes it afterwards.</summary>
[Cmdlet(VerbsDiagnostic.Test, "SecureContainer", HelpUri = IsulaKataCmdlet.HelpBase + "Test-SecureContainer.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SecureContainerTest), typeof(SecureContainerSummary))]
public sealed class TestSecureContainerCommand : IsulaKataCmdlet
{
    /// <summary>The image to run (it runs `sh`, so it needs a shell): a name, name:tag or image id, pulled when missing,
    /// or one this host already has (isula images), e.g. imported with isula load on a host without registry access.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ValidatePattern(@"^[^\s-][^\s]*$")]
    public string Image { get; set; } = "busybox";

    /// <summary>The runtime to start the container with (isula run --runtime).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.RuntimeCompleter))]
    public string Runtime { get; set; } = IsuladRules.KataShimV2;

    /// <summary>The hypervisor the VM must run in; without it, the one kata is configured for, or any known one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet(HypervisorProcesses.StratoVirt, HypervisorProcesses.Qemu)]
    public string? Hypervisor { get; set; }

    /// <summary>How long each isula command may take (`isula run` includes pulling the image and booting the VM).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSeconds { get; set; } = (int)SecureContainerProbe.DefaultTimeout.TotalSeconds;

    /// <summary>Leave the containers that started running instead of removing them.</summary>
    [Parameter]
    public SwitchParameter Keep { get; set; }

    /// <summary>How many containers to start side by side (a density check); each gets its own result, and with more
    /// than one a summary follows (start time and memory overhead: minimum, median, 95th percentile).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Count { get; set; } = 1;

    protected override void ProcessInput()
    {
        try
        {
            var request = new SecureContainerRequest
            {
                Image = Image,
                Runtime = Runtime,
                Hypervisor = HypervisorProcesses.Normalize(Hypervisor),
                Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
                Keep = Keep,
                Count = Count,
            };
            SecureContainerPlan plan = SecureContainerProbe.Plan(request);
            bool confirmed = true;
            foreach (string name in plan.Names)
            {
                confirmed &= ShouldProcessChange($"container '{name}' ({Image})", string.Join("; ", plan.Commands(name)));
            }
            if (!confirmed)
            {
                return;
            }
            var probe = new SecureContainerProbe(CreateContext("/"));
            IReadOnlyList<SecureContainerTest> results = probe.Run(plan);
            WriteObject(results, enumerateCollection: true);
            if (results.Count > 1)
            {
                WriteObject(SecureContainerSummary.Of(results));
            }
        }
        catch (IsulaKataException error)
        {
            Fail(error);
        }
    }
}
