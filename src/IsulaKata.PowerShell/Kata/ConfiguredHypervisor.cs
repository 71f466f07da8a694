using System;
using System.IO;
using IsulaKata.Core;
using IsulaKata.Isulad;

namespace IsulaKata.Kata;

/// <summary>The hypervisor kata is configured to use, for the checks that depend on it.</summary>
public static class ConfiguredHypervisor
{
    /// <summary>
    /// StratoVirt or Qemu as the kata configuration kata reads names it (found by <see cref="KataConfigLocator"/>, read
    /// by Get-KataHypervisor's <see cref="KataHypervisorDescriber"/>), or null when that is not known: no configuration,
    /// one that cannot be read, or another hypervisor. Test-SecureContainer's default -Hypervisor and the doctor use it.
    /// </summary>
    /// <param name="host">The target system.</param>
    /// <param name="configPath">The kata configuration to read; null for the one kata reads.</param>
    public static string? Of(HostContext host, string? configPath = null) => HypervisorProcesses.Normalize(Read(host, configPath)?.Hypervisor);

    /// <summary>The configuration kata reads, described (hypervisor, generation, ...); null when it cannot be read.</summary>
    public static KataHypervisorConfig? Read(HostContext host, string? configPath = null)
    {
        try
        {
            return new KataHypervisorDescriber(host).Read(configPath, IsuladRules.KataShimV2);
        }
        catch (Exception error) when (error is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            string why = error is IsulaKataException known ? known.ErrorId : error.Message;
            host.Log($"The hypervisor kata is configured for is not known ({why}): any known hypervisor is accepted.");
            return null;
        }
    }
}
