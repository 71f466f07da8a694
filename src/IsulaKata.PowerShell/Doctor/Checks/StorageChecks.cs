using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using IsulaKata.Core;
using IsulaKata.Isulad;
using IsulaKata.Storage;

namespace IsulaKata.Doctor.Checks;

/// <summary>
/// The thin pool daemon.json's dm.thinpooldev names, read with Get-IsulaThinPool's engine (<see cref="ThinPoolReader"/>:
/// one lvs that also reports the group's size and free space; lvm.conf read as a file): it exists, is active and healthy, is monitored, its data and metadata use
/// are below the thresholds, and an autoextend profile is attached.
/// </summary>
public sealed class StorageChecks : HostCheckArea
{
    private const string PoolName = "Thin pool";
    private const string ActiveName = "Active";
    private const string HealthName = "Health";
    private const string MonitoredName = "Monitored";
    private const string DataName = "Data space";
    private const string MetadataName = "Metadata space";
    private const string ProfileName = "Autoextend profile";
    private static readonly string[] Names = { PoolName, ActiveName, HealthName, MonitoredName, DataName, MetadataName, ProfileName };

    /// <summary>Use at or above which the pool has no margin left, autoextend or not.</summary>
    private const double FullPercent = 95;

    /// <summary>Use at or above which a pool that does not autoextend needs attention.</summary>
    private const double NoAutoExtendWarnPercent = 80;

    public StorageChecks(HostCheckContext context) : base(context) { }

    public override string Name => HostAreas.Storage;

    public override IEnumerable<IsulaKataCheck> Run()
    {
        if (!Host.IsLiveHost)
        {
            return Names.Select(SkipUnderRoot);
        }
        (IsulaRuntimeConfig? config, _) = Context.DaemonConfig;
        if (config is null)
        {
            return new[] { Skip(PoolName, $"'{Context.IsuladConfigPath}' could not be read, so which thin pool iSulad uses is not known.") };
        }
        if (config.StorageDriver != "devicemapper" || config.ThinPoolDevice is null)
        {
            return new[]
            {
                Skip(PoolName, $"'{Context.IsuladConfigPath}' does not put iSulad on a thin pool (devicemapper with dm.thinpooldev), so there is no pool to check.",
                    "New-IsulaThinPool -Device <disk> | Set-IsulaRuntime -Restart"),
            };
        }
        IReadOnlyList<IsulaThinPool> pools;
        try
        {
            pools = new ThinPoolReader(Host).List(withDevices: false);
        }
        catch (IsulaKataException error) when (!Context.IsRoot && error.ErrorId != "LvmNotInstalled")
        {
            return new[] { SkipNeedsRoot(PoolName, "Reading lvm's thin pools (lvs)") };
        }
        catch (IsulaKataException error)
        {
            return new[] { Fail(PoolName, error.Message, error.RecommendedAction) };
        }
        string wanted = IsuladConfigurator.PoolName(config.ThinPoolDevice);
        IsulaThinPool? pool = pools.FirstOrDefault(p => IsuladConfigurator.PoolName(p.DevicePath) == wanted);
        if (pool is null)
        {
            string known = pools.Count == 0 ? "lvm knows no thin pool" : "lvm's thin pools are " + string.Join(", ", pools.Select(p => p.DevicePath));
            return new[]
            {
                Fail(PoolName, $"dm.thinpooldev is '{config.ThinPoolDevice}', but {known}: isulad does not start without its pool.",
                    "New-IsulaThinPool -Device <disk>   (or point iSulad at an existing pool: Set-IsulaRuntime -ThinPoolDevice <DevicePath> -Restart)"),
            };
        }
        return Checks(pool);
    }

    private IEnumerable<IsulaKataCheck> Checks(IsulaThinPool pool)
    {
        string full = $"{pool.VolumeGroup}/{pool.Name}";
        yield return Pass(PoolName, $"{full} ({pool.DevicePath}) holds {ThinPoolSizing.FormatSize(pool.SizeBytes)} of data space.");

        bool active = pool.DataPercent is not null;
        yield return active
            ? Pass(ActiveName, $"{full} is active.")
            : Fail(ActiveName, $"{full} is not active, so isulad cannot use it.", $"lvchange -ay {full}");

        string? broken = pool.Warnings.FirstOrDefault(w => w.Contains("FAILED", StringComparison.Ordinal)
            || w.Contains("OUT OF DATA SPACE", StringComparison.Ordinal) || w.Contains("READ-ONLY", StringComparison.Ordinal));
        yield return broken is null
            ? Pass(HealthName, $"lvm reports no failure of {full}.")
            : Fail(HealthName, broken, "Follow the repair step above; containers cannot write to the pool until then.");

        bool grows = pool.AutoExtendThreshold < 100;
        if (!active)
        {
            yield return Skip(MonitoredName, $"{full} is not active.");
        }
        else if (pool.Monitored)
        {
            yield return Pass(MonitoredName, $"dmeventd monitors {full}" + (grows ? ", so it grows by itself." : "."));
        }
        else
        {
            yield return Warn(MonitoredName, $"{full} is not monitored, so it never grows by itself: autoextend runs in dmeventd.",
                $"lvchange --monitor y {full}; systemctl enable --now lvm2-monitor");
        }

        double warnAt = grows ? Math.Max(pool.AutoExtendThreshold, 50) : NoAutoExtendWarnPercent;
        yield return Usage(DataName, "data", pool.DataPercent, warnAt, grows, full);
        yield return Usage(MetadataName, "metadata", pool.MetadataPercent, warnAt, grows, full);
        yield return Profile(pool, full);
    }

    private IsulaKataCheck Usage(string name, string space, double? percent, double warnAt, bool grows, string full)
    {
        if (percent is not double used)
        {
            return Skip(name, $"{full} is not active, so lvm reports no use.");
        }
        string shown = used.ToString("0.##", CultureInfo.InvariantCulture) + "%";
        string extend = space == "data" ? $"lvextend -L +<size> {full}" : $"lvextend --poolmetadatasize +<size> {full}";
        if (used >= FullPercent)
        {
            return Fail(name, $"The pool's {space} space is {shown} used: it is about to run out, and then containers cannot write.",
                $"{extend}   (after vgextend {full.Split('/')[0]} <disk> if the volume group is full); remove unused images (isula rmi).");
        }
        if (used >= warnAt)
        {
            string why = grows
                ? $"at or above the autoextend threshold ({warnAt:0}%), so lvm should have grown the pool: is it monitored, and has the volume group free space?"
                : $"at or above {warnAt:0}%, and the pool does not grow by itself.";
            return Warn(name, $"The pool's {space} space is {shown} used, {why}", extend);
        }
        return Pass(name, $"{shown} used (attention from {warnAt:0}%).");
    }

    private IsulaKataCheck Profile(IsulaThinPool pool, string full)
    {
        if (pool.Profile is null)
        {
            return Warn(ProfileName, $"{full} has no lvm profile attached, so lvm.conf's settings apply (grow at {pool.AutoExtendThreshold}%{(pool.AutoExtendThreshold >= 100 ? ", that is never" : string.Empty)}).",
                Reconcile(pool));
        }
        string? problem = pool.Warnings.FirstOrDefault(w => w.Contains("does not exist, so lvm.conf", StringComparison.Ordinal)
            || w.Contains("never grows by itself: thin_pool_autoextend_threshold", StringComparison.Ordinal)
            || w.Contains("cannot autoextend", StringComparison.Ordinal));
        if (problem is not null)
        {
            return Warn(ProfileName, problem, problem.Contains("cannot autoextend", StringComparison.Ordinal) ? $"vgextend {pool.VolumeGroup} <disk>" : Reconcile(pool));
        }
        return Pass(ProfileName, $"'{pool.Profile}': grows by {pool.AutoExtendPercent}% when {pool.AutoExtendThreshold}% full.");
    }

    /// <summary>The command that writes and attaches the profile. The pool was read with one lvs, which does not name
    /// the disks, so only this rare fix asks pvs for them.</summary>
    private string Reconcile(IsulaThinPool pool)
    {
        IEnumerable<string> devices = pool.Devices;
        if (pool.Devices.Count == 0)
        {
            try
            {
                devices = new Lvm(Host).PhysicalVolumes().Where(pv => pv["vg_name"] == pool.VolumeGroup).Select(pv => pv["pv_name"]).ToList();
            }
            catch (IsulaKataException)
            {
                devices = new[] { "<disk>" };
            }
        }
        return $"New-IsulaThinPool -Device {string.Join(",", devices)} -VolumeGroup {pool.VolumeGroup} -Name {pool.Name}   (writes and attaches the profile)";
    }
}
