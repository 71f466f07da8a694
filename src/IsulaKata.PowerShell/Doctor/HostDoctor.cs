using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;
using IsulaKata.Kata;
using IsulaKata.Doctor.Checks;
using IsulaKata.Isulad;

namespace IsulaKata.Doctor;

/// <summary>What every area of the diagnosis gets: the host, who runs the checks, and facts several areas share.</summary>
public sealed class HostCheckContext
{
    private (IsulaRuntimeConfig? Config, Exception? Error)? _daemon;
    private Lazy<KataHypervisorConfig?>? _kata;

    public HostCheckContext(HostContext host, string isuladConfigPath, string? kataConfigPath = null)
    {
        Host = host;
        IsuladConfigPath = isuladConfigPath;
        KataConfigPath = kataConfigPath;
    }

    public HostContext Host { get; }

    /// <summary>daemon.json as the target system sees it.</summary>
    public string IsuladConfigPath { get; }

    /// <summary>kata's configuration.toml as the target system sees it; null for the one kata reads.</summary>
    public string? KataConfigPath { get; }

    /// <summary>The effective user id the checks run as; some facts (other users' processes, isulad's socket, 0600
    /// files) need root.</summary>
    public uint UserId { get; } = Native.GetEffectiveUserId();

    public bool IsRoot => UserId == 0;

    /// <summary>The hypervisor kata is configured for (StratoVirt or Qemu), when known.</summary>
    public string? KataHypervisor => HypervisorProcesses.Normalize(Kata?.Hypervisor);

    /// <summary>The kata generation installed ("1", "2", "3", "runtime-rs"), when known: some rules hold for openEuler's
    /// kata (1.x, 2.x) only.</summary>
    public string? KataGeneration => Kata?.KataGeneration;

    /// <summary>The installed kata's version when a program told it (rpm, kata-runtime, the shim) while kata's
    /// configuration was read; null when none did, or when there is no configuration.</summary>
    public string? KataVersion => Kata?.KataVersion;

    /// <summary>Whether kata's configuration was found (and, on the live host, the installed programs were asked).</summary>
    public bool HasKataConfig => Kata is not null;

    private KataHypervisorConfig? Kata => (_kata ??= new Lazy<KataHypervisorConfig?>(() => ConfiguredHypervisor.Read(Host, KataConfigPath))).Value;

    /// <summary>daemon.json read once by iSulad's own reader (and, on the live host, `isula info`), or the error
    /// reading it gave.</summary>
    public (IsulaRuntimeConfig? Config, Exception? Error) DaemonConfig
    {
        get
        {
            if (_daemon is null)
            {
                try
                {
                    _daemon = (new IsuladConfigurator(Host).Read(IsuladConfigPath), null);
                }
                catch (Exception error) when (error is IsulaKataException or IOException or UnauthorizedAccessException)
                {
                    _daemon = (null, error);
                }
            }
            return _daemon.Value;
        }
    }
}

/// <summary>
/// One area of the host (packages, virtualisation, ...): a small class that returns its checks. A new area is a
/// subclass and one line in <see cref="HostDoctor.CreateAreas"/>.
/// </summary>
public abstract class HostCheckArea
{
    protected HostCheckArea(HostCheckContext context) => Context = context;

    /// <summary>The area's name, as -Area takes it.</summary>
    public abstract string Name { get; }

    protected HostCheckContext Context { get; }

    protected HostContext Host => Context.Host;

    /// <summary>Every check of the area, failed or not (never just the first failure).</summary>
    public abstract IEnumerable<IsulaKataCheck> Run();

    protected IsulaKataCheck Pass(string name, string detail) => Check(name, CheckStatus.Pass, detail, null);

    protected IsulaKataCheck Warn(string name, string detail, string remedy) => Check(name, CheckStatus.Warn, detail, remedy);

    protected IsulaKataCheck Fail(string name, string detail, string remedy) => Check(name, CheckStatus.Fail, detail, remedy);

    protected IsulaKataCheck Skip(string name, string detail, string? remedy = null) => Check(name, CheckStatus.Skip, detail, remedy);

    /// <summary>A check that cannot look at the running host because the target is another root.</summary>
    protected IsulaKataCheck SkipUnderRoot(string name)
        => Skip(name, $"Needs the running host; under -Root '{Host.Root}' only files are checked.", "Run Test-IsulaKataHost on the host itself.");

    /// <summary>A check this user may not make.</summary>
    protected IsulaKataCheck SkipNeedsRoot(string name, string what)
        => Skip(name, $"{what} needs root; running as uid {Context.UserId}.", "Run Test-IsulaKataHost as root (sudo pwsh) to check this.");

    private IsulaKataCheck Check(string name, CheckStatus status, string detail, string? remedy) => new()
    {
        Area = Name,
        Name = name,
        Status = status,
        Detail = detail,
        Remedy = remedy,
        Root = Host.Root,
    };
}

/// <summary>The names of the areas, as -Area takes them (constants, so the cmdlet's ValidateSet can use them).</summary>
public static class HostAreas
{
    public const string Packages = "Packages";
    public const string Virtualization = "Virtualization";
    public const string Modules = "Modules";
    public const string Storage = "Storage";
    public const string Isulad = "Isulad";
    public const string Kata = "Kata";
}

/// <summary>The whole-host diagnosis: runs every area's checks and reports each, never stopping at the first failure.
/// It changes nothing.</summary>
public sealed class HostDoctor
{
    private readonly HostCheckContext _context;

    public HostDoctor(HostContext host, string isuladConfigPath = IsuladConfigurator.DefaultConfigPath, string? kataConfigPath = null)
        => _context = new HostCheckContext(host, isuladConfigPath, kataConfigPath);

    /// <summary>The areas, in the order they are reported.</summary>
    public static IReadOnlyList<HostCheckArea> CreateAreas(HostCheckContext context) => new HostCheckArea[]
    {
        new PackageChecks(context),
        new VirtualizationChecks(context),
        new ModuleChecks(context),
        new StorageChecks(context),
        new IsuladChecks(context),
        new KataChecks(context),
    };

    /// <summary>The checks of <paramref name="areas"/> (all when null or empty), area by area.</summary>
    public IEnumerable<IsulaKataCheck> Run(IReadOnlyCollection<string>? areas = null)
    {
        foreach (HostCheckArea area in CreateAreas(_context))
        {
            if (areas is { Count: > 0 } && !areas.Contains(area.Name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            _context.Host.Cancellation.ThrowIfCancellationRequested();
            foreach (IsulaKataCheck check in RunArea(area))
            {
                yield return check;
            }
        }
    }

    /// <summary>An area that breaks down still reports: as a failed (or, without root, skipped) check of its own.</summary>
    private List<IsulaKataCheck> RunArea(HostCheckArea area)
    {
        try
        {
            return area.Run().ToList();
        }
        catch (IsulaKataException error)
        {
            return new List<IsulaKataCheck> { Broken(area, CheckStatus.Fail, error.Message, error.RecommendedAction) };
        }
        catch (UnauthorizedAccessException error)
        {
            return new List<IsulaKataCheck>
            {
                Broken(area, CheckStatus.Skip, $"{error.Message} (running as uid {_context.UserId}).", "Run Test-IsulaKataHost as root (sudo pwsh)."),
            };
        }
        catch (IOException error)
        {
            return new List<IsulaKataCheck> { Broken(area, CheckStatus.Fail, error.Message, "Fix the cause above and run Test-IsulaKataHost again.") };
        }
    }

    private IsulaKataCheck Broken(HostCheckArea area, CheckStatus status, string detail, string remedy) => new()
    {
        Area = area.Name,
        Name = "Checks",
        Status = status,
        Detail = $"The {area.Name} checks stopped: {detail}",
        Remedy = remedy,
        Root = _context.Host.Root,
    };
}
