using IsulaKata.Core;

namespace IsulaKata.Host;

/// <summary>The hypervisor kata is configured to use, for the checks that depend on it.</summary>
public static class ConfiguredHypervisor
{
    /// <summary>
    /// StratoVirt or Qemu as kata's active configuration names it, or null when it is not known. This is the one
    /// place that reads it: Test-SecureContainer's default -Hypervisor and the doctor's storage-driver rule use it.
    /// Until the kata configuration reader (Get-KataHypervisor's engine) is part of the module it returns null,
    /// so any known hypervisor is accepted.
    /// </summary>
    public static string? Of(HostContext host) => null;
}
