using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Commands;

namespace IsulaKata.Fleet;

/// <summary>
/// One section of a host configuration document and the cmdlet that converges it. The sections and their order are the
/// one list kept here; a section's keys are not listed anywhere: they are read from its cmdlet's parameter metadata, so
/// a parameter added to a cmdlet later is a key at once.
/// </summary>
public sealed class ConfigurationSection
{
    /// <summary>The proof section: run last by Set-IsulaKataConfiguration, never evaluated by Test-IsulaKataConfiguration.</summary>
    public const string VerifyName = "Verify";

    /// <summary>The storage section whose pool becomes the Runtime section's ThinPoolDevice when that key is left out.</summary>
    public const string ThinPoolName = "ThinPool";

    /// <summary>The daemon.json section.</summary>
    public const string RuntimeName = "Runtime";

    /// <summary>Parameters of the section cmdlets that are not keys: they belong to the fleet cmdlets themselves.</summary>
    private static readonly HashSet<string> NotKeys = new(StringComparer.OrdinalIgnoreCase) { "Root", "WhatIf", "Confirm" };

    /// <summary>Every section, in the order a host converges.</summary>
    public static IReadOnlyList<ConfigurationSection> All { get; } = new[]
    {
        new ConfigurationSection("Packages", typeof(InstallIsulaKataPackageCommand)),
        new ConfigurationSection(ThinPoolName, typeof(NewIsulaThinPoolCommand)),
        new ConfigurationSection(RuntimeName, typeof(SetIsulaRuntimeCommand)),
        new ConfigurationSection("VhostVsock", typeof(EnableVhostVsockCommand)),
        new ConfigurationSection("GuestKernel", typeof(InstallKataGuestKernelCommand)),
        new ConfigurationSection("Kata", typeof(SetKataHypervisorCommand)),
        new ConfigurationSection(VerifyName, typeof(TestSecureContainerCommand)),
    };

    /// <summary>The section names, in order (for messages and completion).</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(s => s.Name).ToArray();

    private readonly Lazy<CommandMetadata> _metadata;

    private ConfigurationSection(string name, Type commandType)
    {
        Name = name;
        CommandType = commandType;
        var attribute = (CmdletAttribute)Attribute.GetCustomAttribute(commandType, typeof(CmdletAttribute))!;
        CmdletName = $"{attribute.VerbName}-{attribute.NounName}";
        _metadata = new Lazy<CommandMetadata>(() => new CommandMetadata(commandType));
    }

    public string Name { get; }

    /// <summary>The cmdlet that converges the section, e.g. Set-IsulaRuntime.</summary>
    public string CmdletName { get; }

    public Type CommandType { get; }

    /// <summary>Whether the cmdlet takes -Root (Install-IsulaKataPackage does not: packages are this host's).</summary>
    public bool TakesRoot => _metadata.Value.Parameters.ContainsKey("Root");

    /// <summary>Whether the cmdlet supports -WhatIf (every section cmdlet does; checked, not assumed).</summary>
    public bool SupportsWhatIf => _metadata.Value.SupportsShouldProcess;

    /// <summary>The keys of the section: the cmdlet's own parameters without the common ones and -Root.</summary>
    public IReadOnlyDictionary<string, ParameterMetadata> Keys
    {
        get
        {
            var keys = new SortedDictionary<string, ParameterMetadata>(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, ParameterMetadata> parameter in _metadata.Value.Parameters)
            {
                if (!Cmdlet.CommonParameters.Contains(parameter.Key) && !Cmdlet.OptionalCommonParameters.Contains(parameter.Key)
                    && !NotKeys.Contains(parameter.Key))
                {
                    keys[parameter.Key] = parameter.Value;
                }
            }
            return keys;
        }
    }

    /// <summary>The section of that name (case-insensitive), or null.</summary>
    public static ConfigurationSection? Find(string name)
        => All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => $"{Name} ({CmdletName})";
}
