using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using IsulaKata.Commands;
using IsulaKata.Core;
using IsulaKata.Storage;
using IsulaKata.Isulad;
using IsulaKata.Kata;

namespace IsulaKata.Fleet;

/// <summary>
/// A document on this host: each section by its own cmdlet, in order. Test runs each with -WhatIf and keeps its plan;
/// Set plans, then runs it, and stops the host at the first failing section (that cmdlet's own rollback applies);
/// Get reads the state back as a document. Nothing here knows what a section does: that is its cmdlet's job.
/// </summary>
public sealed class HostConvergence
{
    private readonly SectionRunner _runner;
    private readonly string? _root;
    private readonly Action<string> _stage;

    /// <param name="runner">Runs the section cmdlets.</param>
    /// <param name="root">-Root for every section cmdlet that takes it (null: this host).</param>
    /// <param name="stage">Told the name of each section as it starts (progress).</param>
    public HostConvergence(SectionRunner runner, string? root, Action<string> stage)
    {
        _runner = runner;
        _root = root;
        _stage = stage;
    }

    /// <summary>Each section's -WhatIf plan; Verify is not evaluated.</summary>
    public IsulaKataConfigurationTest Test(ConfigurationDocument document, string computerName, Version? moduleVersion)
    {
        var sections = new List<IsulaKataSectionTest>();
        string? thinPoolDevice = null;
        bool thinPoolPending = false;
        foreach (ConfiguredSection section in document.Sections)
        {
            _stage(section.Name);
            if (section.Name == ConfigurationSection.VerifyName)
            {
                sections.Add(new IsulaKataSectionTest { Name = section.Name, InDesiredState = null });
                continue;
            }
            Dictionary<string, object?> parameters = ParametersFor(section);
            if (section.Name == ConfigurationSection.RuntimeName && !parameters.ContainsKey(nameof(SetIsulaRuntimeCommand.ThinPoolDevice)) && thinPoolPending)
            {
                if (thinPoolDevice is null)
                {
                    // The pool does not exist yet: the daemon.json plan depends on the device the ThinPool section creates.
                    var pending = new PlannedChange(section.Section.CmdletName, "-ThinPoolDevice", "Use the thin pool the ThinPool section creates");
                    sections.Add(new IsulaKataSectionTest { Name = section.Name, InDesiredState = false, Differences = new[] { pending } });
                    continue;
                }
                parameters[nameof(SetIsulaRuntimeCommand.ThinPoolDevice)] = thinPoolDevice;
            }
            SectionCall call = _runner.Invoke(section.Section.CmdletName, parameters, whatIf: true);
            sections.Add(new IsulaKataSectionTest
            {
                Name = section.Name,
                InDesiredState = call.Error is null && call.Plan.Count == 0,
                Differences = call.Plan,
                Error = call.Error,
            });
            if (section.Name == ConfigurationSection.ThinPoolName)
            {
                thinPoolPending = true;
                thinPoolDevice = ExistingPool(parameters)?.DevicePath;
            }
        }
        IsulaKataSectionTest? failed = sections.FirstOrDefault(s => s.Error is not null);
        return new IsulaKataConfigurationTest
        {
            ComputerName = computerName,
            InDesiredState = sections.All(s => s.InDesiredState != false),
            Sections = sections,
            ModuleVersion = moduleVersion,
            Stage = failed?.Name,
            Error = failed?.Error,
        };
    }

    /// <summary>
    /// Converges each section in order: its plan first (-WhatIf), then the cmdlet itself. <paramref name="approve"/> is
    /// asked before a section with a plan runs (-Confirm); <paramref name="sectionDone"/> hears of each section as it ends.
    /// </summary>
    public IsulaKataHostResult Set(ConfigurationDocument document, string computerName, Version? moduleVersion,
        Func<ConfiguredSection, IReadOnlyList<PlannedChange>, bool> approve, Action<IsulaKataSectionResult> sectionDone)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<IsulaKataSectionResult>();
        string? thinPoolDevice = null;
        ErrorRecord? failure = null;
        string stage = document.Sections.Count > 0 ? document.Sections[0].Name : IsulaKataStage.Validate;
        foreach (ConfiguredSection section in document.Sections)
        {
            if (failure is not null)
            {
                results.Add(new IsulaKataSectionResult { Name = section.Name, Status = IsulaKataSectionStatus.NotRun });
                continue;
            }
            stage = section.Name;
            _stage(section.Name);
            var sectionClock = Stopwatch.StartNew();
            Dictionary<string, object?> parameters = ParametersFor(section);
            if (section.Name == ConfigurationSection.RuntimeName && thinPoolDevice is not null && !parameters.ContainsKey(nameof(SetIsulaRuntimeCommand.ThinPoolDevice)))
            {
                parameters[nameof(SetIsulaRuntimeCommand.ThinPoolDevice)] = thinPoolDevice;
            }

            IReadOnlyList<PlannedChange> plan = Array.Empty<PlannedChange>();
            SectionCall? call = null;
            if (section.Name != ConfigurationSection.VerifyName)
            {
                call = _runner.Invoke(section.Section.CmdletName, parameters, whatIf: true);
                plan = call.Plan;
            }
            if (call?.Error is null)
            {
                if ((plan.Count > 0 || section.Name == ConfigurationSection.VerifyName) && !approve(section, plan))
                {
                    results.Add(Done(new IsulaKataSectionResult { Name = section.Name, Status = IsulaKataSectionStatus.NotRun, Duration = sectionClock.Elapsed }, sectionDone));
                    continue;
                }
                call = _runner.Invoke(section.Section.CmdletName, parameters, whatIf: false);
            }
            failure = call.Error;
            object? output = call.Output.Count switch { 0 => null, 1 => call.Output[0], _ => call.Output.ToArray() };
            if (output is IsulaThinPool pool)
            {
                thinPoolDevice = pool.DevicePath;
            }
            results.Add(Done(new IsulaKataSectionResult
            {
                Name = section.Name,
                Status = failure is not null ? IsulaKataSectionStatus.Failed : plan.Count > 0 ? IsulaKataSectionStatus.Changed : IsulaKataSectionStatus.Unchanged,
                Duration = sectionClock.Elapsed,
                Output = output,
                Error = failure,
            }, sectionDone));
        }
        return new IsulaKataHostResult
        {
            ComputerName = computerName,
            Succeeded = failure is null,
            Stage = stage,
            Changed = results.Any(r => r.Status == IsulaKataSectionStatus.Changed),
            Sections = results,
            Duration = clock.Elapsed,
            Error = failure,
            ModuleVersion = moduleVersion,
        };
    }

    /// <summary>
    /// The sections whose state can be read back, as a document that Test finds in desired state here: the packages
    /// installed, the thin pool, daemon.json's runtime and pool, vhost_vsock when nothing is left to do, kata's
    /// hypervisor and log level. The guest kernel's source and the proof cannot be read from a host and are left out.
    /// </summary>
    public OrderedDictionary Get()
    {
        var document = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        var none = new Dictionary<string, object?>();

        _stage("Packages");
        string[] wanted = new InstallIsulaKataPackageCommand().Name;
        string[] installed = wanted.Where(name => IsEmptyPlan("Install-IsulaKataPackage", new Dictionary<string, object?> { ["Name"] = new[] { name } })).ToArray();
        if (installed.Length == wanted.Length)
        {
            document["Packages"] = new Hashtable();
        }
        else if (installed.Length > 0)
        {
            document["Packages"] = new Hashtable { ["Name"] = installed };
        }

        _stage(ConfigurationSection.ThinPoolName);
        if (_root is null && Read("Get-IsulaThinPool", none).OfType<IsulaThinPool>().FirstOrDefault() is IsulaThinPool pool)
        {
            document[ConfigurationSection.ThinPoolName] = new Hashtable { ["Device"] = pool.Devices.ToArray(), ["VolumeGroup"] = pool.VolumeGroup, ["Name"] = pool.Name };
        }

        _stage(ConfigurationSection.RuntimeName);
        if (Read("Get-IsulaRuntime", RootOnly()).OfType<IsulaRuntimeConfig>().FirstOrDefault() is IsulaRuntimeConfig runtime && runtime.Runtime is not null)
        {
            var section = new Hashtable { ["Runtime"] = runtime.Runtime };
            if (runtime.ThinPoolDevice is not null)
            {
                section["ThinPoolDevice"] = runtime.ThinPoolDevice;
            }
            document[ConfigurationSection.RuntimeName] = section;
        }

        _stage("VhostVsock");
        if (IsEmptyPlan("Enable-VhostVsock", RootOnly()))
        {
            document["VhostVsock"] = new Hashtable();
        }

        _stage("Kata");
        if (Read("Get-KataHypervisor", RootOnly()).OfType<KataHypervisorConfig>().FirstOrDefault() is KataHypervisorConfig kata && kata.Hypervisor is not null)
        {
            var section = new Hashtable { ["Hypervisor"] = kata.Hypervisor };
            if (kata.LogLevel is not null)
            {
                section["LogLevel"] = kata.LogLevel;
            }
            document["Kata"] = section;
        }
        return document;
    }

    private bool IsEmptyPlan(string cmdlet, Dictionary<string, object?> parameters)
    {
        SectionCall call = _runner.Invoke(cmdlet, parameters, whatIf: true);
        return call.Error is null && call.Plan.Count == 0;
    }

    private IReadOnlyList<object> Read(string cmdlet, Dictionary<string, object?> parameters)
    {
        SectionCall call = _runner.Invoke(cmdlet, parameters, whatIf: false, supportsShouldProcess: false);
        return call.Error is null ? call.Output : Array.Empty<object>();
    }

    private Dictionary<string, object?> RootOnly()
        => _root is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["Root"] = _root };

    private IsulaThinPool? ExistingPool(Dictionary<string, object?> thinPool)
    {
        if (_root is not null)
        {
            return null;
        }
        // The pool's name as New-IsulaThinPool would use it: the section's keys, else that cmdlet's own defaults.
        var defaults = new NewIsulaThinPoolCommand();
        var query = new Dictionary<string, object?>
        {
            ["VolumeGroup"] = new[] { (string)(thinPool.GetValueOrDefault("VolumeGroup") ?? defaults.VolumeGroup) },
            ["Name"] = new[] { (string)(thinPool.GetValueOrDefault("Name") ?? defaults.Name) },
        };
        return Read("Get-IsulaThinPool", query).OfType<IsulaThinPool>().FirstOrDefault();
    }

    private Dictionary<string, object?> ParametersFor(ConfiguredSection section)
    {
        var parameters = new Dictionary<string, object?>(section.Parameters, StringComparer.OrdinalIgnoreCase);
        if (_root is not null && section.Section.TakesRoot)
        {
            parameters["Root"] = _root;
        }
        return parameters;
    }

    private static IsulaKataSectionResult Done(IsulaKataSectionResult result, Action<IsulaKataSectionResult> sectionDone)
    {
        sectionDone(result);
        return result;
    }
}
