using System;
using System.Linq;
using System.Text.RegularExpressions;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>
/// Which kata is installed: <see cref="Generation"/> is <c>1</c> (openEuler 22.03 LTS's 1.11.1), <c>2</c> (openEuler's
/// 2.1.0 with StratoVirt), <c>3</c> (upstream's Go runtime, StratoVirt since 3.3.0) or <c>runtime-rs</c>;
/// <see cref="Version"/> when a program said it; <see cref="Evidence"/> says how it was told.
/// </summary>
public sealed record KataGeneration(string Generation, string? Version, string Evidence)
{
    public const string One = "1";
    public const string Two = "2";
    public const string Three = "3";
    public const string RuntimeRs = "runtime-rs";

    /// <summary>kata 1.x parses every hypervisor table with the QEMU rules: default_vcpus and default_memory are checked.</summary>
    public bool ChecksVcpusAndMemory => Generation == One;

    /// <summary>kata 1.x and 2.x run kata-netmon; 3.x removed it.</summary>
    public bool HasNetmon => Generation is One or Two;

    /// <summary>kata 1.x's [runtime] sandbox_cgroup_with_emulator (the guide sets it false).</summary>
    public bool HasSandboxCgroupWithEmulator => Generation == One;

    /// <summary>kata 1.x still has use_vsock (2.x and later always use vsock).</summary>
    public bool HasUseVsock => Generation == One;

    /// <summary>openEuler's kata (1.x, 2.x) with isulad's devicemapper: block devices must stay usable.</summary>
    public bool NeedsBlockDevices => Generation is One or Two;

    /// <summary>kata 3.x defaults shared_fs to virtio-fs, which needs virtio_fs_daemon; 2.1.0's StratoVirt file sets it too.</summary>
    public bool DefaultsToVirtioFs => Generation == Three;

    /// <summary>Only openEuler's 2.1.0 knows ozone_path (its StratoVirt patches).</summary>
    public bool SupportsOzone => Generation == Two;

    /// <summary>Where openEuler's kata 1.x/2.x configuration says kata-netmon is, and where its RPM puts it.</summary>
    public const string ShippedNetmonPath = "/usr/libexec/kata-containers/kata-netmon";

    public const string PackageNetmonPath = "/usr/bin/kata-netmon";

    /// <summary>The virtiofsd kata 3.x's own files name.</summary>
    public const string VirtioFsDaemon = "/usr/libexec/virtiofsd";

    /// <summary>
    /// Tells the generation: on the live host from the package (rpm -q kata-containers), kata-runtime --version or
    /// containerd-shim-kata-v2 --version; under -Root, or when none answers, from the configuration itself.
    /// </summary>
    public static KataGeneration Detect(HostContext host, KataConfigLocation location, TomlEditor? editor)
    {
        bool rsFile = location.RuntimeRsPaths || (editor is not null && IsRuntimeRsFile(editor));
        if (host.IsLiveHost && FromPrograms(host, rsFile) is KataGeneration told)
        {
            return told;
        }
        if (rsFile)
        {
            return new KataGeneration(RuntimeRs, null, "the configuration ([runtime] hypervisor_name, or runtime-rs paths)");
        }
        if (editor is null)
        {
            return new KataGeneration(Three, null, "no configuration to tell from");
        }
        if (editor.TableNames.Concat(editor.DisabledTableNames).Any(t => t.StartsWith("proxy.", StringComparison.Ordinal) || t.StartsWith("shim.", StringComparison.Ordinal))
            || editor.Get(KataRules.Runtime, "sandbox_cgroup_with_emulator") is not null)
        {
            return new KataGeneration(One, null, "the configuration ([proxy]/[shim] tables or sandbox_cgroup_with_emulator: kata 1.x)");
        }
        if (editor.HasTable(KataRules.Netmon))
        {
            return new KataGeneration(Two, null, "the configuration ([netmon] without [proxy]/[shim]: kata 2.x)");
        }
        return new KataGeneration(Three, null, "the configuration (no [netmon]: kata 3.x)");
    }

    /// <summary>The generation the installed programs tell (the live host only); null when none does.</summary>
    public static KataGeneration? Installed(HostContext host) => host.IsLiveHost ? FromPrograms(host, rsFile: false) : null;

    /// <summary>The programs asked, in order, with what each prints when kata is there: rpm's query format line
    /// ("2.1.0"); kata-runtime's first line ("kata-runtime  : 2.1.0", then commit and OCI specs lines); the shim's one line
    /// ("Kata Containers containerd shim: id: "io.containerd.kata.v2", version: 2.1.0, commit: ..." in 2.x, "... shim
    /// (Golang): ..." in 3.x, "... shim (Rust): id: io.containerd.kata.v2, ..." in runtime-rs). kata 1.x's shim has no --version.</summary>
    private static readonly (string Program, string[] Arguments, Regex Answer)[] Programs =
    {
        ("rpm", new[] { "-q", "--qf", "%{VERSION}\\n", "kata-containers" }, new Regex(@"\A(?<version>\d+\.\d+\.\d+\S*)\n", RegexOptions.CultureInvariant)),
        ("kata-runtime", new[] { "--version" }, new Regex(@"\Akata-runtime  : (?<version>\d+\.\d+\.\d+\S*)\n", RegexOptions.CultureInvariant)),
        ("containerd-shim-kata-v2", new[] { "--version" },
            new Regex(@"\AKata Containers containerd shim(?: \((?<lang>Golang|Rust)\))?: id: ""?io\.containerd\.kata\.v2""?, version: (?<version>\d+\.\d+\.\d+[^,\s]*), commit: ", RegexOptions.CultureInvariant)),
    };

    /// <summary>The generation the first program that answers in its own format tells; null when none does (not
    /// installed, another answer, a failure).</summary>
    private static KataGeneration? FromPrograms(HostContext host, bool rsFile)
    {
        foreach ((string program, string[] arguments, Regex answer) in Programs)
        {
            if (!host.Runner.Exists(program))
            {
                continue;
            }
            CommandResult result;
            try
            {
                result = host.Runner.Run(program, arguments, TimeSpan.FromSeconds(20));
            }
            catch (IsulaKataException error)
            {
                host.Log($"'{CommandResult.FormatCommandLine(program, arguments)}' did not tell the kata version: {error.Message}");
                continue;
            }
            Match match = answer.Match(result.StandardOutput);
            if (result.ExitCode != 0 || !match.Success)
            {
                continue;
            }
            string version = match.Groups["version"].Value;
            int major = int.Parse(version.Substring(0, version.IndexOf('.')), System.Globalization.CultureInfo.InvariantCulture);
            bool rust = match.Groups["lang"].Value == "Rust" || rsFile && major >= 3;
            string generation = major <= 1 ? One : major == 2 ? Two : rust ? RuntimeRs : Three;
            return new KataGeneration(generation, version, result.CommandLine);
        }
        return null;
    }

    /// <summary>A runtime-rs configuration chooses its hypervisor with [runtime] hypervisor_name.</summary>
    public static bool IsRuntimeRsFile(TomlEditor editor)
        => editor.Get(KataRules.Runtime, "hypervisor_name") is not null || editor.GetString(KataRules.Runtime, "name") == "virt_container";

    /// <summary>The target's architecture: aarch64 when the configuration says so (a QEMU table for the virt machine
    /// or qemu-system-aarch64), else this machine's.</summary>
    public static string Architecture(TomlEditor editor)
    {
        foreach (string table in editor.TableNames.Concat(editor.DisabledTableNames).Where(t => t.StartsWith(KataRules.HypervisorPrefix, StringComparison.Ordinal)))
        {
            if (editor.GetString(table, "machine_type") == "virt" || (editor.GetString(table, "path") ?? string.Empty).EndsWith("aarch64", StringComparison.Ordinal))
            {
                return Aarch64;
            }
        }
        return HostArchitecture;
    }

    /// <summary>This machine's architecture.</summary>
    public static string HostArchitecture
        => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? Aarch64 : X86_64;

    public const string X86_64 = "x86_64";
    public const string Aarch64 = "aarch64";
}
