using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>
/// Makes kata start the hypervisor asked for, the way kata's own packaging does where it can: when the package ships
/// configuration-&lt;hypervisor&gt;.toml, /etc/kata-containers/configuration.toml is made from it (and removed again
/// when switching back to the packaged hypervisor); otherwise the file kata reads is edited in place so that exactly
/// one hypervisor is active, with every key the generation's loader needs. StratoVirt runs through a wrapper script
/// that sets its log level (or, with Ozone, directly).
/// </summary>
public sealed class KataHypervisorConfigurator
{
    /// <summary>The first line of a configuration this module made from a shipped file.</summary>
    public const string MadeFromPrefix = "# Made by IsulaKata (Set-KataHypervisor) from ";

    private const long MaxWrapperSize = 64 * 1024;
    private readonly HostContext _host;
    private readonly KataConfigLocator _locator;
    private readonly KataHypervisorDescriber _describer;

    public KataHypervisorConfigurator(HostContext host)
    {
        _host = host;
        _locator = new KataConfigLocator(host);
        _describer = new KataHypervisorDescriber(host);
    }

    /// <summary>Computes the change without writing anything (-WhatIf, and the text of -Confirm).</summary>
    public KataHypervisorPlan Plan(KataHypervisorRequest request) => Compute(request);

    /// <summary>
    /// Writes the wrapper (StratoVirt), then the configuration under its folder's lock (planned again there, so a
    /// concurrent change is not lost). A wrapper this call created or changed is put back when the configuration
    /// cannot be written.
    /// </summary>
    public KataHypervisorWrites Apply(KataHypervisorRequest request)
    {
        KataHypervisorPlan plan = Compute(request);
        FileUpdateResult? wrapper = null;
        if (plan.WrapperText is not null && plan.WrapperChanged)
        {
            wrapper = _host.Files.Write(plan.WrapperPath!, plan.WrapperText, WrapperOptions());
        }
        try
        {
            FileUpdateResult? config;
            if (plan.Way == KataConfigWay.Removed)
            {
                config = plan.ConfigChanged ? _host.Files.Remove(plan.TargetPath) : null;
            }
            else
            {
                string target = plan.TargetPath;
                config = _host.Files.Update(target, _ =>
                {
                    // Planned again under the lock on the file as it is now, read strictly (the writer's own text decodes loosely).
                    plan = Compute(request);
                    if (!plan.ConfigChanged || plan.NewText is null || plan.TargetPath != target)
                    {
                        return null;
                    }
                    TomlEditor.Verify(KataConfigText.WithoutBom(plan.NewText), target);
                    return plan.NewText;
                });
            }
            return new KataHypervisorWrites(plan, config, wrapper);
        }
        catch (Exception) when (wrapper is { Changed: true })
        {
            _host.Files.Restore(wrapper);
            throw;
        }
    }

    /// <summary>Get-KataHypervisor: the hypervisor the configuration makes kata start.</summary>
    public KataHypervisorConfig Read(string? configPath, string runtime) => _describer.Read(configPath, runtime);

    /// <summary>The plan: which way, the new text, the wrapper.</summary>
    private KataHypervisorPlan Compute(KataHypervisorRequest request)
    {
        KataConfigLocation location = _locator.Locate(request.ConfigPath);
        string? current = KataConfigText.Read(_host.Files, location.Path);
        TomlEditor? currentEditor = current is null ? null : TomlEditor.Parse(KataConfigText.WithoutBom(current), location.Path);
        if (currentEditor is not null)
        {
            // The file kata reads is often the packaged one itself: what it says is known before it is edited.
            _describer.Remember(location.Path, current!, currentEditor);
        }
        string target = KataRules.TableOf(request.Hypervisor);

        // The way: in place when the file already has the hypervisor (active or disabled by this module), or the package
        // ships no file for it, or the file is the operator's own; else from the shipped file.
        (string Path, string Text)? source = null;
        string targetPath = location.Path;
        bool ours = current is not null && IsOurs(current);
        bool hasTarget = currentEditor is not null
            && (KataHypervisorTables.Active(currentEditor).Contains(target) || KataHypervisorTables.Disabled(currentEditor).Contains(target));
        if (!hasTarget && (current is null || ours || location.Source == "Defaults"))
        {
            source = ShippedSource(location, request.Hypervisor);
            if (source is not null && location.Source == "Defaults")
            {
                targetPath = EtcOf(location);
            }
        }
        if (source is null && current is null)
        {
            throw KataHypervisorDescriber.NotFound(location);
        }
        string? oldText = targetPath == location.Path ? current : KataConfigText.Read(_host.Files, targetPath);
        if (oldText is not null && targetPath != location.Path && !IsOurs(oldText))
        {
            throw new IsulaKataException("KataConfigChanged", FailureKind.InvalidOperation,
                $"'{targetPath}' appeared while the change was planned; it was left as it is.", "Run the command again.", targetPath);
        }
        string baseText = source?.Text ?? current!;
        string basePath = source?.Path ?? location.Path;
        TomlEditor editor = source is null ? currentEditor! : TomlEditor.Parse(KataConfigText.WithoutBom(baseText), basePath);
        KataGeneration generation = KataGeneration.Detect(_host, location, currentEditor ?? editor);
        Validate(request, generation);

        var changes = new List<string>();
        var warnings = new List<string>();
        var edit = new KataTableEdit(_host, _describer, editor, request, generation, location.Path, changes, warnings, remember: source is null);
        edit.Run();

        string edited = KataConfigText.KeepBom(baseText, editor.Text);
        KataConfigWay way = KataConfigWay.Edited;
        string? newText = edited;
        string? shipped = null;
        if (source is not null)
        {
            shipped = source.Value.Path;
            bool packagedAgain = targetPath == EtcOf(location) && ours && edited == baseText && SameFile(source.Value.Path, DefaultsOf(location));
            if (packagedAgain)
            {
                way = KataConfigWay.Removed;
                newText = null;
                changes.Insert(0, $"'{targetPath}' removed (IsulaKata made it from a shipped file): kata reads the packaged '{DefaultsOf(location)}' for {request.Hypervisor} again, as before");
            }
            else
            {
                way = KataConfigWay.FromShipped;
                newText = KataConfigText.KeepBom(baseText, MadeFromPrefix + source.Value.Path + "; kata reads this file first. Set-KataHypervisor"
                    + " removes it again when you switch back to the packaged hypervisor." + NewLineOf(baseText) + KataConfigText.WithoutBom(edited));
                changes.Insert(0, $"'{targetPath}' made from '{source.Value.Path}', the package's own {request.Hypervisor} configuration (kata reads '{targetPath}' before the packaged file)");
            }
        }

        // The wrapper (StratoVirt without Ozone), and what the result looks like.
        string? wrapperPath = null;
        string? wrapperText = null;
        bool wrapperChanged = false;
        if (request.Hypervisor == KataHypervisorKind.StratoVirt && request.OzonePath is null)
        {
            wrapperPath = KataRules.Normalize(request.WrapperPath ?? KataRules.DefaultWrapperPath);
            wrapperText = StratoVirtWrapper.Render(request.HypervisorPath ?? KataRules.DefaultStratoVirtPath,
                KataRules.NormalizeLogLevel(request.LogLevel ?? KataRules.DefaultLogLevel));
            wrapperChanged = WrapperNeedsWrite(wrapperPath, wrapperText, request.HypervisorPath ?? KataRules.DefaultStratoVirtPath);
        }
        KataConfigLocation described = way switch
        {
            KataConfigWay.Removed => _locator.Locate(null) with { },
            _ when source is not null => location with
            {
                Path = targetPath, Source = targetPath == EtcOf(location) ? "Etc" : location.Source, ShadowedBy = null, DropIns = _locator.DropIns(targetPath),
                Reason = $"made from {shipped}; kata reads {targetPath} before the packaged {DefaultsOf(location)}",
            },
            _ => location,
        };
        if (way == KataConfigWay.Removed)
        {
            described = described with
            {
                Path = DefaultsOf(location), Source = "Defaults", DropIns = _locator.DropIns(DefaultsOf(location)),
                Reason = $"{targetPath} is removed, so kata reads the packaged {DefaultsOf(location)}",
            };
        }
        if (generation.Generation != KataGeneration.RuntimeRs
            && _describer.DropInHypervisors(described.DropIns, KataRules.TableOf(request.Hypervisor)).FirstOrDefault() is { DropIn: not null } added)
        {
            throw KataHypervisorDescriber.DropInAddsHypervisor(added.DropIn, added.Table, KataRules.TableOf(request.Hypervisor), described.Path);
        }
        KataHypervisorConfig config = _describer.Describe(editor, described, generation, request.Runtime, warnings, wrapperPath, wrapperText, way == KataConfigWay.FromShipped ? shipped : null);
        bool configChanged = way == KataConfigWay.Removed || !string.Equals(newText, oldText, StringComparison.Ordinal);
        return new KataHypervisorPlan
        {
            Location = location,
            Way = way,
            TargetPath = targetPath,
            OldText = oldText,
            NewText = newText,
            ConfigChanged = configChanged,
            Changes = configChanged ? changes : changes.Where(c => !c.StartsWith("'", StringComparison.Ordinal)).ToList(),
            Warnings = warnings,
            WrapperPath = wrapperPath,
            WrapperText = wrapperText,
            WrapperChanged = wrapperChanged,
            Described = config,
        };
    }

    /// <summary>The package's file for the hypervisor: configuration-&lt;hypervisor&gt;.toml in the packaged folder, or the
    /// packaged configuration.toml itself when that is the hypervisor's (openEuler's 2.1.0 installs its QEMU file as configuration.toml).</summary>
    private (string Path, string Text)? ShippedSource(KataConfigLocation location, KataHypervisorKind kind)
    {
        string table = KataRules.TableOf(kind);
        foreach (string candidate in new[] { _locator.ShippedFile(location, kind), DefaultsOf(location) }.OfType<string>())
        {
            if (_describer.Exists(candidate) != true || SameFile(candidate, location.Path) && location.Source != "Defaults")
            {
                continue;
            }
            if (_describer.Packaged(candidate) is { } facts && facts.Active.SequenceEqual(new[] { table }))
            {
                return (candidate, facts.Text);
            }
        }
        return null;
    }

    private static string EtcOf(KataConfigLocation location)
        => location.RuntimeRsPaths ? KataConfigLocator.RuntimeRsEtcConfigPath : KataConfigLocator.EtcConfigPath;

    private static string DefaultsOf(KataConfigLocation location)
        => location.RuntimeRsPaths ? KataConfigLocator.RuntimeRsDefaultsConfigPath : KataConfigLocator.DefaultsConfigPath;

    private static bool IsOurs(string text) => KataConfigText.WithoutBom(text).StartsWith(MadeFromPrefix, StringComparison.Ordinal);

    private static string NewLineOf(string text) => text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";

    private static void Validate(KataHypervisorRequest request, KataGeneration generation)
    {
        if (request.Hypervisor == KataHypervisorKind.Qemu)
        {
            foreach ((string name, object? value) in new (string, object?)[] { ("-LogLevel", request.LogLevel), ("-WrapperPath", request.WrapperPath), ("-OzonePath", request.OzonePath) })
            {
                if (value is not null)
                {
                    throw new IsulaKataException("ParameterNotForHypervisor", FailureKind.InvalidArgument,
                        $"{name} applies to StratoVirt only; QEMU has no such setting.", $"Leave out {name}, or use -Hypervisor StratoVirt.", name);
                }
            }
        }
        if (request.OzonePath is not null)
        {
            if (request.LogLevel is not null || request.WrapperPath is not null)
            {
                throw new IsulaKataException("OzoneWithWrapper", FailureKind.InvalidArgument,
                    "-OzonePath runs StratoVirt in Ozone's chroot, which holds only the binary kata names in 'path': a wrapper script cannot run there (no /bin/sh), so -LogLevel and -WrapperPath cannot apply.",
                    "Leave out -LogLevel and -WrapperPath with -OzonePath (StratoVirt then logs at its default level), or leave out -OzonePath.", "-OzonePath");
            }
            if (!generation.SupportsOzone)
            {
                throw new IsulaKataException("OzoneNotSupported", FailureKind.NotImplemented,
                    $"kata {generation.Generation}{(generation.Version is null ? string.Empty : " (" + generation.Version + ")")} has no ozone_path: only openEuler's kata 2.x starts StratoVirt in Ozone.",
                    "Leave out -OzonePath.", "-OzonePath");
            }
        }
        if (request.EnableTemplate && request.Image is not null)
        {
            throw new IsulaKataException("TemplateNeedsInitrd", FailureKind.InvalidArgument,
                "VM templating (-EnableTemplate) needs an initrd; kata cannot clone VMs that boot from an image (-Image).",
                "Use -Initrd with -EnableTemplate, or leave out -EnableTemplate.", "-EnableTemplate");
        }
        foreach ((string name, string? value) in new[]
        {
            ("-Kernel", request.Kernel), ("-Initrd", request.Initrd), ("-Image", request.Image), ("-HypervisorPath", request.HypervisorPath),
            ("-WrapperPath", request.WrapperPath), ("-OzonePath", request.OzonePath),
        })
        {
            if (value is not null)
            {
                KataRules.ValidateTargetPath(name, value);
            }
        }
        if (request.LogLevel is not null)
        {
            KataRules.NormalizeLogLevel(request.LogLevel);
        }
    }

    /// <summary>Whether writing the wrapper changes it (content, mode or owner); refuses to write over the binary it
    /// runs, over a folder, or over any file that is not a wrapper this module wrote (its marker line).</summary>
    private bool WrapperNeedsWrite(string wrapperPath, string wrapperText, string binary)
    {
        if (KataRules.Normalize(binary) == wrapperPath || SameFile(binary, wrapperPath))
        {
            throw new IsulaKataException("WrapperPathInUse", FailureKind.InvalidArgument,
                $"-WrapperPath '{wrapperPath}' is the StratoVirt binary itself ('{binary}'); writing the wrapper there would replace StratoVirt with a script that runs itself.",
                $"Leave out -WrapperPath (the default is {KataRules.DefaultWrapperPath}).", wrapperPath);
        }
        string host = _host.Files.ToHostPath(wrapperPath);
        if (Directory.Exists(host))
        {
            throw new IsulaKataException("WrapperPathInUse", FailureKind.ResourceExists,
                $"-WrapperPath '{wrapperPath}' is a folder.", "Give the path of a script file, e.g. " + KataRules.DefaultWrapperPath + ".", wrapperPath);
        }
        if (!File.Exists(host))
        {
            return true;
        }
        string? current = KataConfigText.IsRegularFile(host) && new FileInfo(host).Length <= MaxWrapperSize
            ? _host.Files.ReadText(wrapperPath)
            : null;
        if (current is null || !StratoVirtWrapper.IsOurs(current))
        {
            throw new IsulaKataException("WrapperPathInUse", FailureKind.ResourceExists,
                $"'{wrapperPath}' exists and is not a StratoVirt wrapper this module wrote (it lacks the line '{StratoVirtWrapper.MarkerLine}'); it was left as it is.",
                $"Choose another -WrapperPath, or move that file away (the default is {KataRules.DefaultWrapperPath}).", wrapperPath);
        }
        if (!string.Equals(current, wrapperText, StringComparison.Ordinal))
        {
            return true;
        }
        if ((File.GetUnixFileMode(host) & (UnixFileMode)0xFFF) != StratoVirtWrapper.Mode)
        {
            return true;
        }
        return WrapperOptions().Owner is (uint uid, uint gid) && Native.TryStat(host, out Native.StatxBuffer stat) && (stat.Uid != uid || stat.Gid != gid);
    }

    private static FileWriteOptions WrapperOptions() => new()
    {
        Mode = StratoVirtWrapper.Mode,
        Owner = Native.GetEffectiveUserId() == 0 ? (0u, 0u) : null,
    };

    private bool SameFile(string a, string b) => _locator.SameFile(a, b);
}
