using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using IsulaKata.Core;
using IsulaKata.Journal;

namespace IsulaKata.Storage;

/// <summary>
/// Builds a thin pool the way the openEuler guide does (pvcreate, vgcreate, two lvcreate, lvconvert, a profile,
/// lvchange --metadataprofile), after checking every device, with sizes that suit the disk, and undoes its own
/// work when a step fails. An existing pool is never rebuilt: only its profile is reconciled.
/// </summary>
public sealed class ThinPoolCreator
{
    private readonly HostContext _host;
    private readonly LiveSystem _system;
    private readonly Lvm _lvm;
    private readonly ThinPoolReader _reader;
    private string? _change; // journal: the entry of the pool being built

    /// <param name="host">The target: must be this live host (lvm runs here).</param>
    /// <param name="system">Where /dev, /sys and /proc are read; this machine's when null.</param>
    public ThinPoolCreator(HostContext host, LiveSystem? system = null)
    {
        _host = host;
        _system = system ?? LiveSystem.Open(host.Log, host.Cancellation);
        _lvm = new Lvm(host);
        _reader = new ThinPoolReader(host);
    }

    /// <summary>Refuses a -Root other than '/': pools live on this machine's disks and only its lvm can build them.</summary>
    public static void RequireLiveHost(HostContext host)
    {
        if (!host.IsLiveHost)
        {
            throw new IsulaKataException("ThinPoolNeedsLiveHost", FailureKind.InvalidOperation,
                $"Thin pools are built, read and removed by this machine's lvm on this machine's disks; under -Root '{host.Root}' "
                + "there is nothing to run them on, so nothing was done.",
                "Run the command on the host that owns the disks, without -Root (or with -Root /).", host.Root);
        }
    }

    /// <summary>Probes (read-only) and computes every step; throws the first refusal.</summary>
    public ThinPoolPlan Plan(ThinPoolRequest request)
    {
        RequireLiveHost(_host);
        Lvm.ValidateVolumeGroupName(request.VolumeGroup);
        Lvm.ValidateLogicalVolumeName(request.Name);
        _host.Journal.Check(Lvm.DeviceMapperPath(request.VolumeGroup, request.Name)); // journal: warn about an interrupted build
        long chunk = ThinPoolSizing.ParseChunkSize(request.ChunkSize);
        if (request.AutoExtendThreshold is < 1 or > 100 || request.AutoExtendPercent is < 1 or > 1000)
        {
            throw new IsulaKataException("InvalidAutoExtend", FailureKind.InvalidArgument,
                $"-AutoExtendThreshold {request.AutoExtendThreshold} / -AutoExtendPercent {request.AutoExtendPercent} are outside 1..100 / 1..1000.",
                "Use a threshold between 50 and 99 (100 turns autoextend off) and a growth percent such as 20.", request.AutoExtendThreshold);
        }
        if (request.Devices.Count == 0)
        {
            throw new IsulaKataException("DeviceNotFound", FailureKind.InvalidArgument, "No device was given.",
                "Pass one or more whole disks with -Device, e.g. -Device /dev/vdb.", null);
        }
        _lvm.RequireInstalled();

        var safety = new DeviceSafety(_host, _system);
        var devices = new List<(string Requested, string Path)>();
        foreach (string requested in request.Devices)
        {
            string path = safety.Resolve(requested);
            var twin = devices.FirstOrDefault(d => d.Path == path);
            if (twin.Path is not null)
            {
                throw new IsulaKataException("DuplicateDevice", FailureKind.InvalidArgument,
                    $"'{twin.Requested}' and '{requested}' are the same device ({path}).", "Pass each disk once.", requested);
            }
            devices.Add((requested, path));
        }
        var warnings = new List<string>();
        if (request.AutoExtendThreshold < 50)
        {
            warnings.Add($"-AutoExtendThreshold {request.AutoExtendThreshold} is below 50; lvm treats it as 50.");
        }
        else if (request.AutoExtendThreshold == 100)
        {
            warnings.Add("-AutoExtendThreshold 100 turns autoextend off: the pool will never grow by itself.");
        }

        IReadOnlyList<LvmRow> physicalVolumes = _lvm.PhysicalVolumes();
        LvmSettings settings = _lvm.Settings();
        string profilePath = $"{settings.ProfileDirectory}/{Lvm.ProfileName(request.VolumeGroup)}.profile";
        var groupVolumes = physicalVolumes.Where(pv => pv["vg_name"] == request.VolumeGroup).ToList();
        if (groupVolumes.Count > 0)
        {
            return PlanExisting(request, devices.Select(d => d.Path).ToList(), groupVolumes, settings, profilePath, chunk, warnings);
        }

        var probes = devices.Select(d => safety.Check(d.Requested, d.Path, physicalVolumes, request.Force)).ToList();
        long volumeGroupBytes = ThinPoolSizing.EstimateVolumeGroupBytes(probes.Select(p => p.SizeBytes), settings.ExtentBytes);
        ThinPoolSizing sizing = ThinPoolSizing.Compute(volumeGroupBytes, request.DataPercent, request.MetadataPercent, chunk, settings.ExtentBytes);
        warnings.AddRange(sizing.Warnings);

        string vg = request.VolumeGroup;
        string pool = $"{vg}/{request.Name}";
        string[] paths = probes.Select(p => p.Path).ToArray();
        var steps = new List<ThinPoolStep>();
        foreach (DeviceProbe probe in probes.Where(p => p.NeedsWipe))
        {
            string erased = string.Join("; ", probe.Signatures.DefaultIfEmpty($"the partition table ({string.Join(", ", probe.Partitions)})"));
            warnings.Add($"-Force: erasing {erased} on {probe.Path}; wipefs keeps a copy of each signature in $HOME/wipefs-{System.IO.Path.GetFileName(probe.Path)}-*.bak.");
            steps.Add(ThinPoolStep.Run($"ERASES {erased} on {probe.Path}", "wipefs", "--all", "--backup", probe.Path));
        }
        steps.Add(ThinPoolStep.Run($"writes an LVM physical volume label on {string.Join(", ", paths)}", "pvcreate", paths));
        steps.Add(ThinPoolStep.Run($"creates the volume group '{vg}' on {string.Join(", ", paths)}", "vgcreate", new[] { vg }.Concat(paths).ToArray()));
        // The profile first: lvcreate loads the profile it attaches. Then one lvcreate makes the pool that the guide
        // makes with two lvcreate, lvconvert and lvchange (lvcreate(8): --type thin-pool with --poolmetadatasize,
        // --chunksize, --zero and --metadataprofile); the data and metadata sizes, the chunk, zeroing, the spare
        // metadata volume and the profile come out the same (the VM suite compares the lvs fields of both ways).
        // lvcreate refuses --wipesignatures with thin pools ("unsupported with thin pools", exit 3); lvm clears the
        // new pool's metadata itself, and the disk was checked blank above.
        steps.Add(ThinPoolStep.Write("writes the autoextend profile", profilePath,
            ThinPoolReader.ProfileText(vg, request.Name, request.AutoExtendThreshold, request.AutoExtendPercent)));
        steps.Add(ThinPoolStep.Run($"creates the thin pool {pool} ({ThinPoolSizing.FormatSize(sizing.DataBytes)} of data, "
            + $"{ThinPoolSizing.FormatSize(sizing.MetadataBytes)} of metadata, {ThinPoolSizing.FormatSize(sizing.ChunkSizeBytes)} chunks) with the profile attached",
            "lvcreate", new[] { "--yes", "--type", "thin-pool", "-n", request.Name }.Concat(sizing.DataArguments)
                .Concat(new[]
                {
                    "--poolmetadatasize", ThinPoolSizing.LvmSizeArgument(sizing.MetadataBytes), "--chunksize", ThinPoolSizing.LvmSizeArgument(sizing.ChunkSizeBytes),
                    "--zero", "n", "--metadataprofile", Lvm.ProfileName(vg), vg,
                }).ToArray()));
        return new ThinPoolPlan(vg, request.Name, paths, steps, null, sizing, profilePath, warnings) { Request = request, Settings = settings };
    }

    private ThinPoolPlan PlanExisting(ThinPoolRequest request, IReadOnlyList<string> requested, IReadOnlyList<LvmRow> groupVolumes,
        LvmSettings settings, string profilePath, long chunk, List<string> warnings)
    {
        string vg = request.VolumeGroup;
        string pool = $"{vg}/{request.Name}";
        var members = groupVolumes.Select(pv => _system.ResolveOrSelf(pv["pv_name"])).ToList();
        IReadOnlyList<LvmRow> volumes = _lvm.LogicalVolumes(vg);
        LvmRow? row = volumes.FirstOrDefault(lv => lv["lv_name"] == request.Name);
        if (row is null)
        {
            string others = volumes.Count == 0 ? "no logical volumes" : "only " + string.Join(", ", volumes.Select(lv => lv["lv_name"]));
            throw new IsulaKataException("VolumeGroupExists", FailureKind.ResourceExists,
                $"The volume group '{vg}' already exists (on {string.Join(", ", members)}) and holds {others}, not the thin pool '{request.Name}'. Nothing was changed.",
                $"Choose another -VolumeGroup, or, if nothing in '{vg}' is needed, remove it ('vgremove {vg}' then 'pvremove {string.Join(" ", members)}') and run the command again.",
                vg);
        }
        if (!Lvm.IsThinPool(row))
        {
            throw new IsulaKataException("LogicalVolumeNotThinPool", FailureKind.ResourceExists,
                $"{pool} exists but is not a thin pool (lv_attr {row["lv_attr"]}). Nothing was changed.",
                $"Choose another -Name, or remove {pool} ('lvremove {pool}') if nothing on it is needed, then run the command again.", pool);
        }
        if (!new HashSet<string>(members, StringComparer.Ordinal).SetEquals(requested))
        {
            throw new IsulaKataException("VolumeGroupDeviceMismatch", FailureKind.ResourceExists,
                $"The thin pool {pool} exists on {string.Join(", ", members)}, not on {string.Join(", ", requested)}. Nothing was changed.",
                $"Pass -Device {string.Join(" ", members)} to use the existing pool, or choose another -VolumeGroup. "
                + $"(To add a disk to the pool's group, use 'vgextend {vg} DEVICE'.)", vg);
        }

        // The pvs rows of the group carry the same group fields vgs reports (one row per member), so no vgs call here.
        IsulaThinPool existing = _reader.Build(row, groupVolumes, settings, changed: false, Array.Empty<string>());
        warnings.Add($"{pool} already exists on {string.Join(", ", members)}; it was kept as it is (New-IsulaThinPool never rebuilds a pool).");
        if (existing.ChunkSizeBytes != chunk)
        {
            warnings.Add($"The existing pool's chunk size is {ThinPoolSizing.FormatSize(existing.ChunkSizeBytes)}, not the {ThinPoolSizing.FormatSize(chunk)} asked for; "
                + "a chunk size is fixed when a pool is made.");
        }

        var steps = new List<ThinPoolStep>();
        string wanted = ThinPoolReader.ProfileText(vg, request.Name, request.AutoExtendThreshold, request.AutoExtendPercent);
        string? current = _host.Files.ReadText(profilePath);
        (int? threshold, int? percent) = current is null ? (null, null) : ThinPoolReader.ParseProfile(current);
        if (threshold != request.AutoExtendThreshold || percent != request.AutoExtendPercent)
        {
            steps.Add(ThinPoolStep.Write(current is null ? "writes the autoextend profile" : "updates the autoextend profile", profilePath, wanted));
        }
        if (row["lv_profile"] != Lvm.ProfileName(vg))
        {
            steps.Add(ThinPoolStep.Run($"attaches the profile to {pool}", "lvchange", "--metadataprofile", Lvm.ProfileName(vg), pool));
        }
        return new ThinPoolPlan(vg, request.Name, requested, steps, existing, null, profilePath, warnings) { Request = request, Settings = settings };
    }

    /// <summary>
    /// Runs the plan's steps. With <paramref name="recheck"/> (the plan was shown to a person, who may have taken a
    /// while to answer) it first probes again and refuses when the host no longer calls for the same steps; a plan
    /// applied right after it was made skips that second probe. If a step fails, everything this call created (the
    /// pool, the volume group, physical volume labels, the profile) is removed again and the error names the failed
    /// command and quotes lvm.
    /// </summary>
    public IsulaThinPool Apply(ThinPoolPlan plan, bool recheck = true)
    {
        if (plan.Request is null)
        {
            throw new ArgumentException("The plan was not made by ThinPoolCreator.Plan.", nameof(plan));
        }
        ThinPoolPlan fresh = recheck ? Plan(plan.Request) : plan;
        plan.RequireSameSteps(fresh, "nothing was done");
        if (fresh.Steps.Count == 0)
        {
            return With(fresh.Existing!, changed: false, fresh.Warnings);
        }

        string activity = $"Creating thin pool {fresh.VolumeGroup}/{fresh.Name}";
        var written = new List<FileUpdateResult>();
        bool creating = fresh.Existing is null;
        // journal: a pool being built is recorded before its first command; the profile is a step of it.
        string devicePath = Lvm.DeviceMapperPath(fresh.VolumeGroup, fresh.Name);
        _change = creating ? _host.Journal.BeginThinPoolChange(ChangeAction.ThinPoolCreated, devicePath, fresh.VolumeGroup, fresh.Name, fresh.Devices, fresh.ProfilePath) : null;
        using IDisposable scope = _host.Journal.Within(_change);
        try
        {
            for (int i = 0; i < fresh.Steps.Count; i++)
            {
                ThinPoolStep step = fresh.Steps[i];
                _host.Progress(activity, step.ToString(), 100 * i / fresh.Steps.Count, false);
                if (step.Kind == ThinPoolStepKind.WriteFile)
                {
                    FileUpdateResult write;
                    try
                    {
                        write = _host.Files.Write(step.Path!, step.Content!, new FileWriteOptions { Mode = (System.IO.UnixFileMode)Convert.ToInt32("644", 8) });
                    }
                    catch (Exception error) when (error is IsulaKataException or System.IO.IOException or UnauthorizedAccessException)
                    {
                        throw Failed(fresh, creating, written, $"Writing '{step.Path}' failed: {error.Message}", step.Path!, error);
                    }
                    written.Add(write);
                    continue;
                }
                CommandResult result;
                try
                {
                    result = _host.Runner.Run(step.Program!, step.Arguments, Lvm.ChangeTimeout);
                }
                catch (Exception error) when (error is IsulaKataException or OperationCanceledException)
                {
                    throw Failed(fresh, creating, written, error.Message, step.Target, error);
                }
                if (!result.Succeeded)
                {
                    string detail = Lvm.Diagnostics(result);
                    throw Failed(fresh, creating, written,
                        result.FailureText(detail),
                        result.CommandLine, null);
                }
            }
        }
        finally
        {
            _host.Progress(activity, "done", 100, true);
        }
        _host.Journal.Complete(_change, ChangeOutcome.Done); // journal
        if (!creating)
        {
            _host.Journal.FinishInterrupted(devicePath); // journal: this run finished an interrupted build
        }
        var warnings = fresh.Warnings.ToList();
        // One lvs with the group's fields reads the pool back; the devices are the ones the plan built the group on.
        IsulaThinPool? pool = creating
            ? _reader.FindCreated(fresh.VolumeGroup, fresh.Name, fresh.Devices, fresh.Settings!, warnings)
            : _reader.Find(fresh.VolumeGroup, fresh.Name, fresh.Settings, changed: true, warnings);
        return pool ?? throw new IsulaKataException("ThinPoolNotFound", FailureKind.ObjectNotFound,
            $"Every step succeeded, but lvs does not show the thin pool {fresh.VolumeGroup}/{fresh.Name}.",
            $"Check 'lvs -a {fresh.VolumeGroup}' and lvm's log.", $"{fresh.VolumeGroup}/{fresh.Name}");
    }

    private static IsulaThinPool With(IsulaThinPool pool, bool changed, IEnumerable<string> warnings)
        => pool with { Changed = changed, Warnings = warnings.Concat(pool.Warnings).Distinct(StringComparer.Ordinal).ToList() };

    /// <summary>The pool as the plan found it (the idempotent case), with the plan's warnings.</summary>
    public static IsulaThinPool Unchanged(ThinPoolPlan plan)
        => With(plan.Existing ?? throw new InvalidOperationException("The plan creates a pool."), changed: false, plan.Warnings);

    /// <summary>Undoes what this call created and builds the error that reports the failure and the rollback.</summary>
    private IsulaKataException Failed(ThinPoolPlan plan, bool creating, List<FileUpdateResult> written, string failure, string target, Exception? inner)
    {
        // After Ctrl+C the context's token is cancelled; the rollback still runs its commands (the cleanup runner).
        var done = new List<string>();
        var left = new List<string>();
        foreach (FileUpdateResult write in Enumerable.Reverse(written))
        {
            try
            {
                _host.Files.Restore(write);
                done.Add(write.Created ? $"removed '{write.Path}'" : $"restored '{write.Path}'");
            }
            catch (Exception error) when (error is IsulaKataException or System.IO.IOException or UnauthorizedAccessException)
            {
                left.Add($"'{write.Path}' ({error.Message})");
            }
        }
        if (creating)
        {
            RollBackLvm(plan, done, left);
        }
        string nl = Environment.NewLine;
        string devices = string.Join(", ", plan.Devices);
        if (left.Count == 0)
        {
            _host.Journal.Complete(_change, ChangeOutcome.RolledBack); // journal
            string undone = done.Count == 0 ? "Nothing had been changed yet." : "Rolled back: " + string.Join("; ", done) + ".";
            string state = creating ? $" {devices} {(plan.Devices.Count == 1 ? "is" : "are")} as before" : string.Empty;
            string wiped = creating && plan.Steps.Any(s => s.Program == "wipefs") ? " (except the signatures -Force erased; wipefs kept copies in $HOME/wipefs-*.bak)" : string.Empty;
            return new IsulaKataException("ThinPoolCreateFailed", FailureKind.InvalidOperation,
                $"{failure}{nl}{undone}{state}{wiped}{(state.Length > 0 ? "." : string.Empty)}",
                "Read lvm's message above, fix the cause, and run New-IsulaThinPool again.", target, inner);
        }
        return new IsulaKataException("ThinPoolRollbackIncomplete", FailureKind.InvalidOperation,
            $"{failure}{nl}Rolling back did not finish. Done: {(done.Count == 0 ? "nothing" : string.Join("; ", done))}. Still there: {string.Join("; ", left)}.",
            $"Remove what is left by hand (see above; 'lvs -a', 'vgs' and 'pvs' show it), then run New-IsulaThinPool again.", target, inner);
    }

    private void RollBackLvm(ThinPoolPlan plan, List<string> done, List<string> left)
    {
        string vg = plan.VolumeGroup;
        HostContext cleanup = _host.ForCleanup();
        ICommandRunner runner = cleanup.Runner;
        var lvm = new Lvm(cleanup);
        IReadOnlyList<LvmRow> physicalVolumes;
        try
        {
            physicalVolumes = lvm.PhysicalVolumes();
        }
        catch (IsulaKataException error)
        {
            left.Add($"unknown: pvs failed ({error.Message})");
            return;
        }
        var ours = new HashSet<string>(plan.Devices, StringComparer.Ordinal);
        bool groupExists = physicalVolumes.Any(pv => pv["vg_name"] == vg && ours.Contains(_system.ResolveOrSelf(pv["pv_name"])));
        if (groupExists)
        {
            // The group did not exist when the plan was made, so everything in it is this call's.
            IReadOnlyList<LvmRow> volumes = Array.Empty<LvmRow>();
            try
            {
                volumes = lvm.LogicalVolumes(vg);
            }
            catch (IsulaKataException error)
            {
                left.Add($"the logical volumes of '{vg}' (lvs failed: {error.Message})");
            }
            foreach (LvmRow volume in volumes)
            {
                string name = $"{vg}/{volume["lv_name"]}";
                Undo(runner, "lvremove", new[] { "-y", name }, $"removed {name}", name, done, left);
            }
            Undo(runner, "vgremove", new[] { vg }, $"removed the volume group '{vg}'", $"the volume group '{vg}'", done, left);
            try
            {
                physicalVolumes = lvm.PhysicalVolumes();
            }
            catch (IsulaKataException error)
            {
                left.Add($"unknown: pvs failed ({error.Message})");
                return;
            }
        }
        string[] labelled = physicalVolumes.Where(pv => pv["vg_name"].Length == 0 && ours.Contains(_system.ResolveOrSelf(pv["pv_name"])))
            .Select(pv => _system.ResolveOrSelf(pv["pv_name"])).ToArray();
        if (labelled.Length > 0)
        {
            Undo(runner, "pvremove", labelled, $"removed the PV label{(labelled.Length > 1 ? "s" : string.Empty)} from {string.Join(", ", labelled)}",
                $"the PV labels on {string.Join(", ", labelled)}", done, left);
        }
    }

    private void Undo(ICommandRunner runner, string program, string[] arguments, string success, string what, List<string> done, List<string> left)
    {
        try
        {
            CommandResult result = runner.Run(program, arguments, Lvm.ChangeTimeout);
            if (result.Succeeded)
            {
                done.Add(success);
                return;
            }
            left.Add($"{what} ('{result.CommandLine}' failed: {Lvm.Diagnostics(result, 2)})");
        }
        catch (IsulaKataException error)
        {
            left.Add($"{what} ({error.Message})");
        }
    }

}
