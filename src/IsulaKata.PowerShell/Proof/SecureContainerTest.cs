using System;
using System.Collections.Generic;
using System.Linq;

namespace IsulaKata.Proof;

/// <summary>The result of starting one container and proving it runs in a VM.</summary>
public sealed class SecureContainerTest
{
    /// <summary>The 64-hex id isula printed; null when no container was created.</summary>
    public string? ContainerId { get; internal init; }

    /// <summary>The unique name the container was created with (how it is found again when `isula run` fails).</summary>
    public string Name { get; internal init; } = string.Empty;

    public string Image { get; internal init; } = string.Empty;

    /// <summary>The runtime iSulad reports for the container (`isula inspect`), e.g. io.containerd.kata.v2.</summary>
    public string? Runtime { get; internal init; }

    /// <summary>The runtime the container was started with (--runtime).</summary>
    public string ExpectedRuntime { get; internal init; } = string.Empty;

    /// <summary>The hypervisor of the VM found: StratoVirt or Qemu (a VM process), or Dragonball (runtime-rs's
    /// in-process VMM: the VM runs inside the shim); null when none was found.</summary>
    public string? Hypervisor { get; internal init; }

    /// <summary>The hypervisor asked for; null when any known hypervisor was accepted.</summary>
    public string? ExpectedHypervisor { get; internal init; }

    /// <summary>The process the VM runs in: the hypervisor's, or the shim's own for an in-process VMM (Dragonball).</summary>
    public int? HypervisorProcessId { get; internal init; }

    /// <summary>True when the VM runs inside the shim (runtime-rs with Dragonball): there is no separate VM process.</summary>
    public bool VmInShim { get; internal init; }

    /// <summary>The VM's vCPU threads when the VM runs inside the shim (db_vcpu0, ...); empty otherwise.</summary>
    public IReadOnlyList<string> VcpuThreads { get; internal init; } = Array.Empty<string>();

    public string? HypervisorCommandLine { get; internal init; }

    /// <summary>The kata shim v2 process (containerd-shim-kata-v2) of the container.</summary>
    public int? ShimProcessId { get; internal init; }

    /// <summary>From `isula run` to the container running (`isula run -d` returns once the container started).</summary>
    public long? StartMilliseconds { get; internal init; }

    /// <summary>What the sandbox costs the host: the PSS (RSS where PSS cannot be read) of every process in
    /// <see cref="SandboxProcesses"/> added up.</summary>
    public long? MemoryOverheadBytes { get; internal init; }

    /// <summary>Where MemoryOverheadBytes came from: Pss (smaps_rollup), VmRSS (status), or both joined with '+'.</summary>
    public string? MemorySource { get; internal init; }

    /// <summary>Each process of the sandbox that was counted, named: the VM, the shim, and helpers such as virtiofsd
    /// (QEMU) or vhost_user_fs (StratoVirt).</summary>
    public IReadOnlyList<SandboxProcess> SandboxProcesses { get; internal init; } = Array.Empty<SandboxProcess>();

    /// <summary>True when the container was removed afterwards (false with -Keep, or when removing failed).</summary>
    public bool Removed { get; internal init; }

    public bool Passed => Failures.Count == 0;

    /// <summary>Each failed check with its reason and fix.</summary>
    public IReadOnlyList<SecureContainerFailure> Failures { get; internal init; } = Array.Empty<SecureContainerFailure>();

    /// <summary>Always '/': the test runs on this host.</summary>
    public string Root { get; internal init; } = "/";
}

/// <summary>One failed check of a secure container test.</summary>
public sealed class SecureContainerFailure
{
    public SecureContainerFailure(string check, string reason, string fix)
    {
        Check = check;
        Reason = reason;
        Fix = fix;
    }

    /// <summary>Which check failed: Run, Runtime, HypervisorProcess, ShimProcess or Cleanup.</summary>
    public string Check { get; }

    public string Reason { get; }

    public string Fix { get; }

    public override string ToString() => $"{Check}: {Reason}";
}

/// <summary>One process of a secure container's sandbox and what it costs the host.</summary>
public sealed class SandboxProcess
{
    internal SandboxProcess(string role, string name, int processId, long? memoryBytes, string? memorySource)
    {
        Role = role;
        Name = name;
        ProcessId = processId;
        MemoryBytes = memoryBytes;
        MemorySource = memorySource;
    }

    /// <summary>VM, Shim, VM+Shim (an in-process VMM) or Helper (virtiofsd, vhost_user_fs).</summary>
    public string Role { get; }

    /// <summary>The process's name (its executable's or argv[0]'s base name).</summary>
    public string Name { get; }

    public int ProcessId { get; }

    /// <summary>PSS, or RSS where PSS cannot be read; null when neither could be read.</summary>
    public long? MemoryBytes { get; }

    public string? MemorySource { get; }

    public override string ToString() => $"{Name} ({Role}, {ProcessId})";
}

/// <summary>
/// What -Count containers started side by side add up to: start time and memory overhead as minimum, median and 95th
/// percentile (nearest rank) over the containers that ran in a VM, the figures hypervisors are compared by.
/// </summary>
public sealed class SecureContainerSummary
{
    /// <summary>How many containers were started.</summary>
    public int Count { get; internal init; }

    /// <summary>How many passed every check.</summary>
    public int Passed { get; internal init; }

    public string Image { get; internal init; } = string.Empty;

    public string Runtime { get; internal init; } = string.Empty;

    /// <summary>The hypervisor(s) the VMs ran in, joined with ', ' when they differ.</summary>
    public string? Hypervisor { get; internal init; }

    public long? StartMillisecondsMin { get; internal init; }
    public double? StartMillisecondsMedian { get; internal init; }
    public long? StartMillisecondsP95 { get; internal init; }
    public long? MemoryOverheadBytesMin { get; internal init; }
    public double? MemoryOverheadBytesMedian { get; internal init; }
    public long? MemoryOverheadBytesP95 { get; internal init; }

    /// <summary>Always '/': the test runs on this host.</summary>
    public string Root { get; internal init; } = "/";

    /// <summary>The summary of some test results (those without a figure are left out of its statistics).</summary>
    public static SecureContainerSummary Of(IReadOnlyList<SecureContainerTest> results)
    {
        List<long> starts = results.Where(r => r.StartMilliseconds is not null).Select(r => r.StartMilliseconds!.Value).Order().ToList();
        List<long> memory = results.Where(r => r.MemoryOverheadBytes is not null).Select(r => r.MemoryOverheadBytes!.Value).Order().ToList();
        List<string> hypervisors = results.Select(r => r.Hypervisor).Where(h => h is not null).Select(h => h!).Distinct().ToList();
        return new SecureContainerSummary
        {
            Count = results.Count,
            Passed = results.Count(r => r.Passed),
            Image = results.FirstOrDefault()?.Image ?? string.Empty,
            Runtime = results.FirstOrDefault()?.ExpectedRuntime ?? string.Empty,
            Hypervisor = hypervisors.Count == 0 ? null : string.Join(", ", hypervisors),
            StartMillisecondsMin = starts.Count == 0 ? null : starts[0],
            StartMillisecondsMedian = Median(starts),
            StartMillisecondsP95 = Percentile(starts, 95),
            MemoryOverheadBytesMin = memory.Count == 0 ? null : memory[0],
            MemoryOverheadBytesMedian = Median(memory),
            MemoryOverheadBytesP95 = Percentile(memory, 95),
        };
    }

    private static double? Median(List<long> sorted)
        => sorted.Count == 0 ? null
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[sorted.Count / 2 - 1] + (double)sorted[sorted.Count / 2]) / 2;

    /// <summary>Nearest rank: the smallest value with at least <paramref name="percent"/>% of the values at or below it.</summary>
    private static long? Percentile(List<long> sorted, int percent)
        => sorted.Count == 0 ? null : sorted[Math.Max(0, (int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1)];
}
