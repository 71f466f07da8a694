using System;
using System.Collections.Generic;

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

    /// <summary>The hypervisor of the VM process found (StratoVirt or Qemu); null when none was found.</summary>
    public string? Hypervisor { get; internal init; }

    /// <summary>The hypervisor asked for; null when any known hypervisor was accepted.</summary>
    public string? ExpectedHypervisor { get; internal init; }

    public int? HypervisorProcessId { get; internal init; }

    public string? HypervisorCommandLine { get; internal init; }

    /// <summary>The kata shim v2 process (containerd-shim-kata-v2) of the container.</summary>
    public int? ShimProcessId { get; internal init; }

    /// <summary>From `isula run` to the container running (`isula run -d` returns once the container started).</summary>
    public long? StartMilliseconds { get; internal init; }

    /// <summary>What the VM process and the shim cost the host: their PSS (RSS where PSS cannot be read).</summary>
    public long? MemoryOverheadBytes { get; internal init; }

    /// <summary>Where MemoryOverheadBytes came from: Pss (smaps_rollup) or VmRSS (status).</summary>
    public string? MemorySource { get; internal init; }

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
