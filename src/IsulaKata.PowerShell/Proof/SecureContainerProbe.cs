using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using IsulaKata.Core;
using IsulaKata.Kata;
using IsulaKata.Isulad;

namespace IsulaKata.Proof;

/// <summary>What Test-SecureContainer asks for.</summary>
public sealed class SecureContainerRequest
{
    public string Image { get; init; } = "busybox";
    public string Runtime { get; init; } = IsuladRules.KataShimV2;

    /// <summary>StratoVirt or Qemu; null accepts any known hypervisor.</summary>
    public string? Hypervisor { get; init; }

    /// <summary>The limit for each isula command (image pull and VM boot included in `isula run`).</summary>
    public TimeSpan Timeout { get; init; } = SecureContainerProbe.DefaultTimeout;

    /// <summary>Leave the containers that started running.</summary>
    public bool Keep { get; init; }

    /// <summary>How many containers to start side by side.</summary>
    public int Count { get; init; } = 1;
}

/// <summary>The containers a test will create, named before anything runs (so -WhatIf shows the real commands).</summary>
public sealed class SecureContainerPlan
{
    internal SecureContainerPlan(SecureContainerRequest request, IReadOnlyList<string> names)
    {
        Request = request;
        Names = names;
    }

    public SecureContainerRequest Request { get; }

    /// <summary>The unique --name of each container, e.g. isulakata-proof-1f2e3d4c-1.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The commands the test runs for the container called <paramref name="name"/>, as a person would type them.</summary>
    public IReadOnlyList<string> Commands(string name)
    {
        // The id is known only once isula prints it: "<id>" stands for it, unquoted.
        string inspect = CommandResult.FormatCommandLine("isula", SecureContainerProbe.InspectRuntimeArguments("ID"));
        var commands = new List<string>
        {
            CommandResult.FormatCommandLine("isula", SecureContainerProbe.RunArguments(Request, name)),
            inspect.Substring(0, inspect.Length - "ID".Length) + "<id>",
        };
        if (!Request.Keep)
        {
            commands.Add("isula rm -f <id>");
        }
        return commands;
    }
}

/// <summary>
/// Starts containers with iSulad and proves each runs in a VM: `isula run -tid --runtime`, the runtime read back
/// with `isula inspect`, the hypervisor and shim processes found in /proc by name and container id, start time and
/// memory measured. Whatever was created is removed afterwards (unless Keep), also after a failure or Ctrl+C. A failed
/// check is a result with its failures; only a host where isula cannot work at all is an exception.
/// </summary>
public sealed class SecureContainerProbe
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Cleanup runs with its own limit, not cancelled by Ctrl+C.</summary>
    public static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the VM and shim processes may take to exit after `isula rm -f`.</summary>
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private static readonly Regex ContainerIdPattern = new("^[0-9a-f]{64}$", RegexOptions.CultureInvariant);
    private readonly HostContext _host;
    private readonly ICommandRunner _cleanupRunner;
    private readonly Action<string> _safeLog;

    /// <param name="host">The live host.</param>
    /// <param name="cleanupRunner">Runs the cleanup commands; by default a runner that Ctrl+C does not cancel.</param>
    public SecureContainerProbe(HostContext host, ICommandRunner? cleanupRunner = null)
    {
        if (!host.IsLiveHost)
        {
            throw new IsulaKataException("NotLiveHost", FailureKind.InvalidOperation,
                $"A secure container can only be started on the running host, not under the root '{host.Root}'.",
                "Run Test-SecureContainer on the host itself; use Test-IsulaKataHost -Root to check an image's files.", host.Root);
        }
        _host = host;
        _safeLog = message =>
        {
            try
            {
                host.Log(message);
            }
            catch (Exception)
            {
                // The log may refuse to write once the user pressed Ctrl+C; cleanup must go on regardless.
            }
        };
        _cleanupRunner = cleanupRunner ?? host.CleanupRunner;
    }

    /// <summary>The hypervisor to expect when -Hypervisor is not given: the one kata's active configuration names
    /// (<see cref="ConfiguredHypervisor.Of"/>); null accepts any known hypervisor.</summary>
    public string? DefaultHypervisor() => ConfiguredHypervisor.Of(_host);

    /// <summary>Names the containers of a test; nothing runs.</summary>
    public static SecureContainerPlan Plan(SecureContainerRequest request)
    {
        if (request.Count < 1)
        {
            throw new IsulaKataException("InvalidCount", FailureKind.InvalidArgument,
                $"-Count must be at least 1, not {request.Count}.", "Pass -Count 1 or more.", request.Count);
        }
        string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        var names = Enumerable.Range(1, request.Count).Select(n => $"isulakata-proof-{token}-{n}").ToList();
        return new SecureContainerPlan(request, names);
    }

    internal static string[] RunArguments(SecureContainerRequest request, string name)
        => new[] { "run", "-tid", "--runtime", request.Runtime, "--name", name, request.Image, "sh" };

    internal static string[] InspectRuntimeArguments(string id)
        => new[] { "inspect", "-f", "{{ json .HostConfig.Runtime }}", id };

    /// <summary>Throws when isula is not installed: no container can be started, and nothing is asked.</summary>
    private void RequireClient()
    {
        if (!_host.Runner.Exists("isula"))
        {
            throw new IsulaKataException("IsulaNotFound", FailureKind.NotInstalled,
                "'isula' was not found on PATH, so no container can be started: iSulad is not installed on this host.",
                "Install the packages (Install-IsulaKataPackage), start the daemon (systemctl enable --now isulad), then run the test again.",
                "isula");
        }
    }

    /// <summary>
    /// The error for an `isula run` that could not reach isulad at all: the client prints
    /// "Can not connect with server.Is the iSulad daemon running on the host?" (iSulad's ISULAD_ERR_CONNECT,
    /// src/utils/cutils/error.h) for a daemon that is down and for a socket this user may not open alike; only the
    /// user id tells them apart. Null when isulad answered (whatever it answered). The first `isula run` is the
    /// question `isula info` used to ask before it: one process fewer when the daemon answers.
    /// </summary>
    internal static IsulaKataException? Unreachable(CommandResult result, uint user)
    {
        string detail = result.Diagnostics(4);
        if (result.Succeeded || !detail.Contains("Can not connect with server", StringComparison.Ordinal))
        {
            return null;
        }
        if (user != 0 || detail.Contains("ermission denied", StringComparison.Ordinal))
        {
            return new IsulaKataException("IsuladAccessDenied", FailureKind.PermissionDenied,
                $"isulad does not answer this user (uid {user}): '{result.CommandLine}' failed:{Environment.NewLine}{detail}",
                "Run the test as root (sudo pwsh): isulad's socket belongs to root.", "isulad");
        }
        return new IsulaKataException("IsuladNotRunning", FailureKind.ResourceUnavailable,
            $"isulad does not answer, so no container can be started: '{result.CommandLine}' failed with exit code {result.ExitCode}:{Environment.NewLine}{detail}",
            "Start isulad (systemctl start isulad); if it does not start, read 'journalctl -u isulad' (Test-IsulaKataHost names the usual causes).",
            "isulad");
    }

    /// <summary>Runs the test: one result per container, after every container this call created was removed.</summary>
    public IReadOnlyList<SecureContainerTest> Run(SecureContainerPlan plan)
    {
        SecureContainerRequest request = plan.Request;
        string? expected = HypervisorProcesses.Normalize(request.Hypervisor) ?? DefaultHypervisor();
        RequireClient();
        const string activity = "Testing secure containers";
        var runs = new List<ContainerRun>();
        try
        {
            foreach (string name in plan.Names)
            {
                _host.Cancellation.ThrowIfCancellationRequested();
                _host.Progress(activity, $"Starting container {runs.Count + 1} of {plan.Names.Count} ({request.Image}, {request.Runtime})",
                    100 * runs.Count / plan.Names.Count, false);
                var run = new ContainerRun(name) { IsFirst = runs.Count == 0 };
                runs.Add(run);
                Start(run, request);
                if (run.Started)
                {
                    Examine(run, request, expected);
                }
            }
        }
        finally
        {
            Safely(() => _host.Progress(activity, "Removing the test containers", 99, false));
            foreach (ContainerRun run in runs)
            {
                Cleanup(run, request.Keep);
            }
            Safely(() => _host.Progress(activity, "done", 100, true));
        }
        return runs.Select(run => run.ToResult(request, expected)).ToList();
    }

    private void Start(ContainerRun run, SecureContainerRequest request)
    {
        string[] arguments = RunArguments(request, run.Name);
        var watch = Stopwatch.StartNew();
        CommandResult result;
        try
        {
            result = _host.Runner.Run("isula", arguments, request.Timeout);
        }
        catch (IsulaKataException timedOut) when (timedOut.ErrorId == "CommandTimedOut")
        {
            run.Fail("Run", timedOut.Message,
                $"Pull the image first (isula pull {request.Image}) so the test measures the start alone, or raise -TimeoutSeconds; "
                + "if the VM never boots, read 'journalctl -u isulad' and run Test-IsulaKataHost.");
            return;
        }
        long elapsed = watch.ElapsedMilliseconds;
        if (Unreachable(result, Native.GetEffectiveUserId()) is { } unreachable)
        {
            // isulad never saw this request: there is nothing to look up or remove.
            run.NeverCreated = true;
            if (run.IsFirst)
            {
                throw unreachable;
            }
        }
        // isula prints the id as soon as the container is created, before it starts: a failed start still names it.
        string? id = result.StandardOutput.Split('\n').Select(l => l.Trim()).LastOrDefault(l => ContainerIdPattern.IsMatch(l));
        run.Id = id;
        if (!result.Succeeded)
        {
            run.Fail("Run", $"'{result.CommandLine}' failed with exit code {result.ExitCode}:{Environment.NewLine}{result.Diagnostics(6)}",
                RunFix(result.StandardError + result.StandardOutput, request));
            return;
        }
        if (id is null)
        {
            run.Fail("Run", $"'{result.CommandLine}' succeeded but printed no container id (stdout: '{result.StandardOutput.Trim()}').",
                "Check that 'isula' is iSulad's client (not another program of that name) and run the test again.");
            return;
        }
        run.Started = true;
        run.StartMilliseconds = elapsed;
    }

    /// <summary>The fix for a failed `isula run`, recognised by iSulad's and kata's own error texts.</summary>
    internal static string RunFix(string output, SecureContainerRequest request)
    {
        const string diagnose = " Test-IsulaKataHost checks the host for the usual causes.";
        string shim = IsuladRules.ShimBinary(request.Runtime.ToLowerInvariant()) ?? "containerd-shim-kata-v2";
        if (output.Contains("Can not connect with server", StringComparison.Ordinal))
        {
            return "isulad stopped answering during the test (isula says 'Can not connect with server'): check systemctl status isulad and journalctl -u isulad, start it again, then rerun the test.";
        }
        if (Regex.IsMatch(output, @"containerd-shim-[\w.-]+ failed: No such file or directory", RegexOptions.CultureInvariant))
        {
            return $"iSulad could not run {shim}: it is not on isulad's PATH (systemd gives it /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin). "
                + $"Install kata-containers, which ships {shim} (Install-IsulaKataPackage), or link it into /usr/bin; then restart isulad." + diagnose;
        }
        if (output.Contains("Invalid runtime name", StringComparison.Ordinal))
        {
            return $"iSulad does not know the runtime '{request.Runtime.ToLowerInvariant()}' (it lower-cases the name and matches it exactly): "
                + $"{IsuladRules.KataShimV2} needs an iSulad built with shim v2 support and {IsuladRules.ShimV2Package}; any other name must be declared in lower case under \"runtimes\" in daemon.json "
                + "(Get-IsulaRuntime shows the configuration, Set-IsulaRuntime checks shim v2 support)." + diagnose;
        }
        if (Regex.IsMatch(output, "vhost-vsock|vhost_vsock|vsock", RegexOptions.IgnoreCase))
        {
            return "Load the vsock module (modprobe vhost_vsock) and persist it in /etc/modules-load.d/." + diagnose;
        }
        if (Regex.IsMatch(output, @"/dev/kvm|\bKVM\b", RegexOptions.IgnoreCase))
        {
            return "kata needs a usable /dev/kvm: enable hardware virtualisation (VT-x/AMD-V, or nested virtualisation) and load kvm_intel or kvm_amd." + diagnose;
        }
        if (Regex.IsMatch(output, @"Unable to find image|Failed to pull|pull access denied|manifest unknown|No such image|pull|manifest|image", RegexOptions.IgnoreCase))
        {
            return $"The image '{request.Image}' is not on this host and could not be pulled: isula pull {request.Image} (or check registry-mirrors in daemon.json). "
                + "After storage was switched from overlay2 to devicemapper the images pulled before are not visible any more, so a host without registry access "
                + "needs them imported again (isula load -i <file>); or pass -Image with an image this host has (isula images)." + diagnose;
        }
        return "Read why the container did not start: 'journalctl -u isulad' and kata's log (enable_debug in its configuration)." + diagnose;
    }

    private void Examine(ContainerRun run, SecureContainerRequest request, string? expectedHypervisor)
    {
        string id = run.Id!;
        CommandResult inspect = _host.Runner.Run("isula", InspectRuntimeArguments(id), request.Timeout);
        if (!inspect.Succeeded)
        {
            run.Fail("Runtime", $"'{inspect.CommandLine}' failed with exit code {inspect.ExitCode}:{Environment.NewLine}{inspect.Diagnostics(4)}",
                "Check that isulad still runs (systemctl status isulad) and run the test again.");
        }
        else
        {
            run.Runtime = ParseJsonString(inspect.StandardOutput);
            if (!string.Equals(run.Runtime, request.Runtime, StringComparison.OrdinalIgnoreCase))
            {
                run.Fail("Runtime", $"iSulad runs the container with runtime '{run.Runtime}', not '{request.Runtime}'.",
                    $"Check that iSulad knows '{request.Runtime}' (Get-IsulaRuntime; a shim v2 runtime needs {IsuladRules.ShimBinary(request.Runtime) ?? "its shim"} on isulad's PATH) and that nothing maps it to another runtime.");
            }
        }

        var processes = new ProcessTable(_host.Files);
        string? shimName = IsuladRules.ShimBinary(request.Runtime.ToLowerInvariant());
        if (shimName is not null)
        {
            run.Shim = processes.Find(n => n == shimName, id).FirstOrDefault();
        }
        IReadOnlyList<LinuxProcess> vms = processes.Find(n => HypervisorProcesses.Identify(n) is not null, id);
        LinuxProcess? vm = vms.FirstOrDefault(p => expectedHypervisor is null || HypervisorOf(p) == expectedHypervisor);
        IReadOnlyList<string> vcpus = run.Shim is null || vms.Count > 0 ? Array.Empty<string>() : processes.ThreadNames(run.Shim.ProcessId).Where(IsVcpuThread).ToList();
        if (vm is not null)
        {
            run.Vm = vm;
            run.Hypervisor = HypervisorOf(vm);
        }
        else if (vms.Count > 0)
        {
            string other = HypervisorOf(vms[0])!;
            run.Fail("HypervisorProcess",
                $"The container runs in a {other} VM (process {vms[0].ProcessId}), not {expectedHypervisor}.",
                $"Configure kata for {expectedHypervisor} (Set-KataHypervisor -Hypervisor {expectedHypervisor}), or test with -Hypervisor {other}.");
        }
        else if (vcpus.Count > 0 && expectedHypervisor is null)
        {
            // runtime-rs with Dragonball: the VMM runs inside the shim, whose vCPU threads carry the VM.
            run.Vm = run.Shim;
            run.Hypervisor = InProcessVmm;
            run.VcpuThreads = vcpus;
        }
        else if (vcpus.Count > 0)
        {
            run.Fail("HypervisorProcess",
                $"The container runs in a VM inside the shim (process {run.Shim!.ProcessId}, vCPU threads {string.Join(", ", vcpus)}: runtime-rs with {InProcessVmm}), not in {expectedHypervisor}.",
                $"Configure kata for {expectedHypervisor} (Set-KataHypervisor -Hypervisor {expectedHypervisor}), or test without -Hypervisor.");
        }
        else
        {
            run.Fail("HypervisorProcess",
                $"No {HypervisorProcesses.ProcessNames(expectedHypervisor)} process carries the container id {id}, and its shim runs no vCPU thread: the container does not run in a VM.",
                $"Start containers with the kata runtime ('{IsuladRules.KataShimV2}') and check that kata's configuration names an existing hypervisor binary; Test-IsulaKataHost checks both.");
        }

        if (shimName is not null && run.Shim is null)
        {
            run.Fail("ShimProcess", $"No {shimName} process carries the container id {id}.",
                $"iSulad starts {shimName} through lib-shim-v2: install lib-shim-v2 and kata-containers (Install-IsulaKataPackage) and make sure {shimName} is on isulad's PATH.");
        }

        if (run.Vm is not null)
        {
            Measure(run, processes, id);
        }
    }

    /// <summary>The name runtime-rs's in-process VMM is reported by.</summary>
    public const string InProcessVmm = "Dragonball";

    /// <summary>The processes that serve a VM's shared file system: virtiofsd (QEMU, runtime-rs) and vhost_user_fs (StratoVirt).</summary>
    private static readonly string[] HelperNames = { "virtiofsd", "vhost_user_fs" };

    /// <summary>Dragonball names its vCPU threads db_vcpu0, db_vcpu1, ... (src/dragonball/src/vcpu/vcpu_impl.rs).</summary>
    private static bool IsVcpuThread(string name) => name.StartsWith("db_vcpu", StringComparison.Ordinal);

    /// <summary>Adds up the memory of every process of the sandbox, each named: the VM, the shim and the helpers that
    /// carry the container id on their command line or are children of the VM or the shim.</summary>
    private static void Measure(ContainerRun run, ProcessTable processes, string id)
    {
        var members = new List<(string Role, LinuxProcess Process)>();
        if (run.Vm is not null && run.Vm == run.Shim)
        {
            members.Add(("VM+Shim", run.Vm));
        }
        else
        {
            members.Add(("VM", run.Vm!));
            if (run.Shim is not null)
            {
                members.Add(("Shim", run.Shim));
            }
        }
        IEnumerable<LinuxProcess> helpers = processes.Find(n => HelperNames.Contains(n), id)
            .Concat(members.SelectMany(m => processes.Children(m.Process.ProcessId, n => HelperNames.Contains(n))));
        foreach (LinuxProcess helper in helpers)
        {
            if (members.All(m => m.Process.ProcessId != helper.ProcessId))
            {
                members.Add(("Helper", helper));
            }
        }
        var counted = new List<SandboxProcess>();
        foreach ((string role, LinuxProcess process) in members)
        {
            ProcessMemory? memory = processes.Memory(process.ProcessId);
            string name = process.Names.FirstOrDefault(n => HelperNames.Contains(n) || HypervisorProcesses.Identify(n) is not null || n.StartsWith("containerd-shim", StringComparison.Ordinal))
                ?? process.Names.FirstOrDefault() ?? process.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            counted.Add(new SandboxProcess(role, name, process.ProcessId, memory?.Bytes, memory?.Source));
        }
        run.SandboxProcesses = counted;
        List<SandboxProcess> measured = counted.Where(p => p.MemoryBytes is not null).ToList();
        if (measured.Count > 0 && counted[0].MemoryBytes is not null)
        {
            run.MemoryBytes = measured.Sum(p => p.MemoryBytes!.Value);
            run.MemorySource = string.Join("+", measured.Select(p => p.MemorySource).Distinct());
        }
    }

    private static string? HypervisorOf(LinuxProcess process)
        => process.Names.Select(HypervisorProcesses.Identify).FirstOrDefault(h => h is not null);

    private static string ParseJsonString(string output)
    {
        string text = output.Trim();
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.String ? document.RootElement.GetString()! : text;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    /// <summary>Removes what this test created, with a runner Ctrl+C does not stop; never throws.</summary>
    private void Cleanup(ContainerRun run, bool keep)
    {
        if (keep && run.Started)
        {
            _safeLog($"-Keep: leaving container '{run.Name}' ({run.Id}) running.");
            return;
        }
        try
        {
            string? id = run.Id ?? (run.NeverCreated ? null : FindLeftover(run));
            if (id is null)
            {
                run.Removed = !run.CleanupFailed;
                return;
            }
            CommandResult remove = _cleanupRunner.Run("isula", new[] { "rm", "-f", id }, CleanupTimeout);
            if (!remove.Succeeded)
            {
                run.Fail("Cleanup", $"'{remove.CommandLine}' failed with exit code {remove.ExitCode}:{Environment.NewLine}{remove.Diagnostics(4)}",
                    $"Remove the container by hand: isula rm -f {id}");
                return;
            }
            run.Removed = true;
            foreach ((LinuxProcess? process, string what) in new[] { (run.Vm, "VM"), (run.Shim, "shim") })
            {
                if (process is not null && !WaitUntilGone(process.ProcessId))
                {
                    run.Fail("Cleanup", $"The {what} process {process.ProcessId} still runs {ExitTimeout.TotalSeconds:0} seconds after '{remove.CommandLine}'.",
                        $"Stop it (kill {process.ProcessId}) and read kata's log for why it outlived its container.");
                }
            }
        }
        catch (IsulaKataException error)
        {
            run.Fail("Cleanup", error.Message, error.RecommendedAction);
        }
    }

    /// <summary>A failed `isula run` may have created the container without printing its id: look it up by name.</summary>
    private string? FindLeftover(ContainerRun run)
    {
        CommandResult inspect = _cleanupRunner.Run("isula", new[] { "inspect", "-f", "{{ json .Id }}", run.Name }, CleanupTimeout);
        if (inspect.Succeeded)
        {
            string id = ParseJsonString(inspect.StandardOutput);
            return ContainerIdPattern.IsMatch(id) ? id : run.Name;
        }
        string detail = inspect.Diagnostics(4);
        if (detail.Contains("No such", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        run.Fail("Cleanup", $"Could not check whether a container named '{run.Name}' was left behind: '{inspect.CommandLine}' failed:{Environment.NewLine}{detail}",
            $"List the containers (isula ps -a) and remove '{run.Name}' if it is there: isula rm -f {run.Name}");
        return null;
    }

    private bool WaitUntilGone(int pid)
    {
        var processes = new ProcessTable(_host.Files);
        var watch = Stopwatch.StartNew();
        while (!processes.IsGone(pid))
        {
            if (watch.Elapsed >= ExitTimeout)
            {
                return false;
            }
            Thread.Sleep(100);
        }
        return true;
    }

    private static void Safely(Action action)
    {
        try
        {
            action();
        }
        catch (Exception)
        {
            // Progress cannot be written once the pipeline stops; that must not keep the containers from being removed.
        }
    }

    /// <summary>What one container's test found, filled in step by step.</summary>
    private sealed class ContainerRun
    {
        private readonly List<SecureContainerFailure> _failures = new();

        public ContainerRun(string name) => Name = name;

        public string Name { get; }
        public string? Id { get; set; }
        public bool Started { get; set; }
        /// <summary>The first container of this call: its `isula run` is the first question isulad gets.</summary>
        public bool IsFirst { get; init; }
        /// <summary>isula could not reach isulad, so no container of this name exists.</summary>
        public bool NeverCreated { get; set; }
        public long? StartMilliseconds { get; set; }
        public string? Runtime { get; set; }
        public LinuxProcess? Vm { get; set; }
        public LinuxProcess? Shim { get; set; }
        public string? Hypervisor { get; set; }
        public IReadOnlyList<string> VcpuThreads { get; set; } = Array.Empty<string>();
        public IReadOnlyList<SandboxProcess> SandboxProcesses { get; set; } = Array.Empty<SandboxProcess>();
        public long? MemoryBytes { get; set; }
        public string? MemorySource { get; set; }
        public bool Removed { get; set; }
        public bool CleanupFailed => _failures.Any(f => f.Check == "Cleanup");

        public void Fail(string check, string reason, string fix) => _failures.Add(new SecureContainerFailure(check, reason, fix));

        public SecureContainerTest ToResult(SecureContainerRequest request, string? expectedHypervisor) => new()
        {
            ContainerId = Id,
            Name = Name,
            Image = request.Image,
            Runtime = Runtime,
            ExpectedRuntime = request.Runtime,
            Hypervisor = Hypervisor,
            ExpectedHypervisor = expectedHypervisor,
            HypervisorProcessId = Vm?.ProcessId,
            HypervisorCommandLine = Vm?.CommandLine,
            VmInShim = Vm is not null && Vm == Shim,
            VcpuThreads = VcpuThreads,
            SandboxProcesses = SandboxProcesses,
            ShimProcessId = Shim?.ProcessId,
            StartMilliseconds = StartMilliseconds,
            MemoryOverheadBytes = MemoryBytes,
            MemorySource = MemorySource,
            Removed = Removed,
            Failures = _failures.ToArray(),
        };
    }
}
