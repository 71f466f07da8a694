using System;
using System.Collections.Generic;
using System.Linq;
using IsulaKata.Core;
using IsulaKata.Isulad;
using IsulaKata.Journal;

namespace IsulaKata.Storage;

/// <summary>
/// Removes a thin pool with everything New-IsulaThinPool made for it: the pool, its volume group, the physical
/// volume labels and the profile. Refuses while iSulad is configured for (or running on) the pool, unless forced,
/// and never removes a volume group that holds anything else.
/// </summary>
public sealed class ThinPoolRemover
{
    private readonly HostContext _host;
    private readonly Lvm _lvm;
    private readonly ThinPoolReader _reader;

    public ThinPoolRemover(HostContext host)
    {
        _host = host;
        _lvm = new Lvm(host);
        _reader = new ThinPoolReader(host);
    }

    /// <summary>Checks (read-only) that the pool can go and lists the steps.</summary>
    /// <param name="volumeGroup">The pool's volume group.</param>
    /// <param name="name">The pool's name.</param>
    /// <param name="configPath">iSulad's daemon.json, read to see whether iSulad uses the pool.</param>
    /// <param name="force">Remove it even while iSulad is configured for it.</param>
    public ThinPoolPlan Plan(string volumeGroup, string name, string configPath, bool force)
    {
        ThinPoolCreator.RequireLiveHost(_host);
        _lvm.RequireInstalled();
        string pool = $"{volumeGroup}/{name}";
        // All volume groups: a group that does not exist is then simply a pool that is not there.
        var volumes = _lvm.LogicalVolumes().Where(lv => lv["vg_name"] == volumeGroup).ToList();
        LvmRow? row = volumes.FirstOrDefault(lv => lv["lv_name"] == name);
        if (row is null || !Lvm.IsThinPool(row))
        {
            throw new IsulaKataException("ThinPoolNotFound", FailureKind.ObjectNotFound,
                row is null ? $"There is no thin pool {pool}." : $"{pool} is not a thin pool (lv_attr {row["lv_attr"]}); nothing was removed.",
                "List the thin pools with Get-IsulaThinPool.", pool);
        }
        var others = volumes.Where(lv => lv["lv_name"] != name).Select(lv => lv["lv_name"]).ToList();
        if (others.Count > 0)
        {
            throw new IsulaKataException("VolumeGroupNotEmpty", FailureKind.ResourceExists,
                $"The volume group '{volumeGroup}' also holds {string.Join(", ", others)}; removing the pool would take the group and its disks "
                + "away from them, so nothing was removed.",
                $"Remove or move those volumes first (lvremove {volumeGroup}/NAME), or remove only the pool with 'lvremove {pool}'.", pool);
        }

        LvmSettings settings = _lvm.Settings();
        IsulaThinPool existing = _reader.Build(row, _lvm.VolumeGroups(volumeGroup), settings, changed: false, Array.Empty<string>());
        var warnings = new List<string>();
        string dmName = Lvm.DeviceMapperName(volumeGroup, name);
        if (!force)
        {
            IsulaRuntimeConfig isulad = new IsuladConfigurator(_host).Read(configPath);
            bool configured = isulad.ThinPoolDevice is string device && IsuladConfigurator.PoolName(device) == dmName;
            bool running = isulad.ActiveStorageDriver == "devicemapper" && isulad.ActivePoolName == dmName;
            if (configured || running)
            {
                string how = configured
                    ? $"'{configPath}' sets dm.thinpooldev={isulad.ThinPoolDevice}" + (running ? " and the running isulad uses it" : string.Empty)
                    : "the running isulad uses it";
                throw new IsulaKataException("ThinPoolInUse", FailureKind.ResourceUnavailable,
                    $"iSulad still uses {pool}: {how}. Removing it destroys every image and container iSulad keeps there; nothing was removed.",
                    "Point iSulad at other storage first (edit storage-driver and storage-opts in daemon.json, then 'systemctl restart isulad'), "
                    + "or pass -Force to remove the pool anyway (iSulad will then not start until its storage is fixed).", pool);
            }
        }
        else
        {
            warnings.Add($"-Force: iSulad's configuration was not checked; if isulad uses {pool} it will not start until its storage is fixed.");
        }
        if (existing.DataPercent is > 0)
        {
            warnings.Add($"{pool} holds data ({existing.DataPercent:0.##}% of {ThinPoolSizing.FormatSize(existing.SizeBytes)} used); it is destroyed with the pool.");
        }

        string[] devices = existing.Devices.ToArray();
        var steps = new List<ThinPoolStep>
        {
            ThinPoolStep.Run($"DESTROYS the thin pool {pool} and everything in it", "lvremove", "-y", pool),
            ThinPoolStep.Run($"removes the volume group '{volumeGroup}'", "vgremove", volumeGroup),
        };
        if (devices.Length > 0)
        {
            steps.Add(ThinPoolStep.Run($"wipes the LVM labels from {string.Join(", ", devices)}", "pvremove", devices));
        }
        string ours = $"{settings.ProfileDirectory}/{Lvm.ProfileName(volumeGroup)}.profile";
        if (existing.Profile == ours && _host.Files.FileExists(ours))
        {
            steps.Add(ThinPoolStep.Remove("removes the pool's autoextend profile (a backup is kept)", ours));
        }
        return new ThinPoolPlan(volumeGroup, name, devices, steps, existing, null, existing.Profile, warnings)
        {
            ConfigPath = configPath,
            Force = force,
        };
    }

    /// <summary>Checks again, then runs the steps; a failure stops at once and says what was already removed.</summary>
    public void Apply(ThinPoolPlan plan)
    {
        ThinPoolPlan fresh = Plan(plan.VolumeGroup, plan.Name, plan.ConfigPath ?? IsuladConfigurator.DefaultConfigPath, plan.Force);
        plan.RequireSameSteps(fresh, "nothing was removed");
        string activity = $"Removing thin pool {fresh.VolumeGroup}/{fresh.Name}";
        var done = new List<string>();
        // journal: the removal is recorded before its first command; the profile moved aside is a step of it.
        string? change = _host.Journal.BeginThinPoolChange(ChangeAction.ThinPoolRemoved, Lvm.DeviceMapperPath(fresh.VolumeGroup, fresh.Name),
            fresh.VolumeGroup, fresh.Name, fresh.Devices, fresh.ProfilePath);
        using IDisposable scope = _host.Journal.Within(change);
        try
        {
            for (int i = 0; i < fresh.Steps.Count; i++)
            {
                ThinPoolStep step = fresh.Steps[i];
                _host.Progress(activity, step.ToString(), 100 * i / fresh.Steps.Count, false);
                if (step.Kind == ThinPoolStepKind.RemoveFile)
                {
                    FileUpdateResult? removed = _host.Files.Remove(step.Path!);
                    done.Add(removed is null ? $"'{step.Path}' was already gone" : $"moved '{step.Path}' to '{removed.BackupPath}'");
                    continue;
                }
                CommandResult result = _host.Runner.Run(step.Program!, step.Arguments, Lvm.ChangeTimeout);
                if (!result.Succeeded)
                {
                    string detail = Lvm.Diagnostics(result);
                    string nl = Environment.NewLine;
                    if (done.Count == 0)
                    {
                        _host.Journal.Complete(change, ChangeOutcome.RolledBack); // journal: nothing was removed
                    }
                    throw new IsulaKataException("ThinPoolRemoveFailed", FailureKind.InvalidOperation,
                        result.FailureText(detail)
                        + nl + (done.Count == 0 ? "Nothing was removed." : "Already done: " + string.Join("; ", done) + "."),
                        "Read lvm's message above (a pool still open by isulad or a mounted thin volume is the usual cause), fix it, and run "
                        + "Remove-IsulaThinPool again, or finish by hand: " + string.Join("; ", fresh.Steps.Skip(i).Select(s => s.Target)) + ".",
                        result.CommandLine);
                }
                done.Add(step.Target);
            }
            _host.Journal.Complete(change, ChangeOutcome.Done); // journal
        }
        finally
        {
            _host.Progress(activity, "done", 100, true);
        }
    }
}
