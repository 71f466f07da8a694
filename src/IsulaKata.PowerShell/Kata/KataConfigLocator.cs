using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>
/// Which configuration file kata reads, and why: <paramref name="Source"/> is <c>Parameter</c> (-ConfigPath),
/// <c>Environment</c> (KATA_CONF_FILE, which the shim inherits from isulad), <c>Etc</c> (the override kata reads first)
/// or <c>Defaults</c> (the packaged file). <paramref name="DropIns"/> are kata 3.x's <c>config.d</c> files, whose keys
/// win over the file's.
/// </summary>
public sealed record KataConfigLocation(string Path, string Source, string Reason, string? ShadowedBy, IReadOnlyList<string> DropIns, bool RuntimeRsPaths)
{
    /// <summary>The folder the package's own files are in (configuration-&lt;hypervisor&gt;.toml beside configuration.toml).</summary>
    public string DefaultsFolder => RuntimeRsPaths ? KataConfigLocator.RuntimeRsDefaultsFolder : KataConfigLocator.DefaultsFolder;
}

/// <summary>
/// The one place that decides which kata configuration is meant: Get-/Set-KataHypervisor, the doctor and
/// Test-SecureContainer's expected hypervisor all ask here. Order, as kata's shim looks: KATA_CONF_FILE from isulad's
/// environment (its unit's Environment= and EnvironmentFile=, and /etc/sysconfig/iSulad), then
/// /etc/kata-containers/configuration.toml, then /usr/share/defaults/kata-containers/configuration.toml; runtime-rs
/// (when only its files exist) reads the same two names under runtime-rs/.
/// </summary>
public sealed class KataConfigLocator
{
    public const string EtcConfigPath = "/etc/kata-containers/configuration.toml";
    public const string DefaultsFolder = "/usr/share/defaults/kata-containers";
    public const string DefaultsConfigPath = DefaultsFolder + "/configuration.toml";
    public const string RuntimeRsEtcConfigPath = "/etc/kata-containers/runtime-rs/configuration.toml";
    public const string RuntimeRsDefaultsFolder = DefaultsFolder + "/runtime-rs";
    public const string RuntimeRsDefaultsConfigPath = RuntimeRsDefaultsFolder + "/configuration.toml";
    public const string IsuladSysconfig = "/etc/sysconfig/iSulad";
    public const string KataConfFile = "KATA_CONF_FILE";

    /// <summary>Where isulad's unit may be; the first that exists is the unit, and its .d folders add drop-ins.</summary>
    private static readonly string[] UnitFolders = { "/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system" };

    private readonly HostContext _host;

    public KataConfigLocator(HostContext host) => _host = host;

    /// <summary>The configuration kata reads (or the one given), why, and which file shadows a given one.</summary>
    public KataConfigLocation Locate(string? configPath)
    {
        (string? environment, string? environmentFrom) = EnvironmentConfig();
        bool runtimeRs = !Exists(EtcConfigPath) && !Exists(DefaultsConfigPath) && (Exists(RuntimeRsEtcConfigPath) || Exists(RuntimeRsDefaultsConfigPath));
        string etc = runtimeRs ? RuntimeRsEtcConfigPath : EtcConfigPath;
        string defaults = runtimeRs ? RuntimeRsDefaultsConfigPath : DefaultsConfigPath;
        string rs = runtimeRs ? " (kata's runtime-rs: only its files are installed)" : string.Empty;
        string path;
        string source;
        string reason;
        if (environment is not null && configPath is null && !Exists(environment))
        {
            throw EnvironmentFileMissing(environment, environmentFrom!);
        }
        if (environment is not null)
        {
            (path, source, reason) = (environment, "Environment", $"isulad passes {KataConfFile}={environment} to the kata shim ({environmentFrom}), and kata reads that file");
        }
        else if (Exists(etc))
        {
            (path, source, reason) = (etc, "Etc", $"{etc} exists, and kata reads it instead of the packaged {defaults}{rs}");
        }
        else
        {
            (path, source, reason) = (defaults, "Defaults", $"{etc} does not exist, so kata reads the packaged {defaults}{rs}");
        }
        string? shadowedBy = null;
        if (configPath is not null)
        {
            KataRules.ValidateTargetPath("-ConfigPath", configPath);
            if (Exists(path) && !SameFile(configPath, path))
            {
                shadowedBy = path;
            }
            (path, source, reason) = (configPath, "Parameter", "given with -ConfigPath");
        }
        return new KataConfigLocation(path, source, reason + LinkNote(path), shadowedBy, DropIns(path), runtimeRs);
    }

    /// <summary>KATA_CONF_FILE names a file that is not there: kata's loader resolves that path and, when it cannot, fails
    /// ("Cannot find usable config file"); it does not fall back to /etc or the packaged file.</summary>
    public static IsulaKataException EnvironmentFileMissing(string path, string from)
        => new("KataConfigFileMissing", FailureKind.ObjectNotFound,
            $"isulad gives the kata shim {KataConfFile}={path} ({from}), and '{path}' does not exist: kata reads only that file, and every kata container "
            + "fails to start (\"Cannot find usable config file\"). Nothing was read or changed.",
            $"Create '{path}' (e.g. a copy of the package's {DefaultsConfigPath}), or remove {KataConfFile} ({from}) and restart isulad "
            + $"(systemctl daemon-reload; systemctl restart isulad), so that kata reads {EtcConfigPath} or the packaged file.", path);

    /// <summary>The package's own configuration for a hypervisor (configuration-stratovirt.toml, configuration-qemu.toml)
    /// in the packaged folder, or null when the package ships none.</summary>
    public string? ShippedFile(KataConfigLocation location, KataHypervisorKind kind)
    {
        string file = location.DefaultsFolder + "/configuration-" + KataRules.TableSuffix(kind) + ".toml";
        return Exists(file) ? file : null;
    }

    /// <summary>KATA_CONF_FILE as the shim started by isulad sees it, and where it was set; nulls when it is not set.</summary>
    public (string? Value, string? From) EnvironmentConfig()
    {
        string? value = null;
        string? from = null;
        string? unit = UnitFolders.Select(f => f + "/isulad.service").FirstOrDefault(Exists);
        var files = new List<string>();
        if (unit is not null)
        {
            files.Add(unit);
            foreach (string folder in UnitFolders)
            {
                files.AddRange(ListFolder(folder + "/isulad.service.d").Where(f => f.EndsWith(".conf", StringComparison.Ordinal)));
            }
        }
        var environmentFiles = new List<string>();
        foreach (string file in files)
        {
            foreach (string line in Lines(file))
            {
                if (line.StartsWith("Environment=", StringComparison.Ordinal))
                {
                    foreach (string assignment in SplitWords(line.Substring("Environment=".Length)))
                    {
                        if (assignment.StartsWith(KataConfFile + "=", StringComparison.Ordinal))
                        {
                            (value, from) = (assignment.Substring(KataConfFile.Length + 1), $"Environment= in {file}");
                        }
                    }
                }
                else if (line.StartsWith("EnvironmentFile=", StringComparison.Ordinal))
                {
                    environmentFiles.Add(line.Substring("EnvironmentFile=".Length).Trim().TrimStart('-'));
                }
            }
        }
        if (unit is null)
        {
            environmentFiles.Add(IsuladSysconfig);
        }
        // systemd: settings from EnvironmentFile= win over Environment=.
        foreach (string file in environmentFiles.Where(f => f.StartsWith('/')))
        {
            foreach (string line in Lines(file))
            {
                string assignment = line.StartsWith("export ", StringComparison.Ordinal) ? line.Substring(7).TrimStart() : line;
                if (assignment.StartsWith(KataConfFile + "=", StringComparison.Ordinal))
                {
                    (value, from) = (Unquote(assignment.Substring(KataConfFile.Length + 1).Trim()), $"set in {file}");
                }
            }
        }
        return string.IsNullOrEmpty(value) || !value.StartsWith('/') ? (null, null) : (value, from);
    }

    /// <summary>kata 3.x's drop-ins: every file in config.d beside the file kata reads (its real path), in name order.</summary>
    public IReadOnlyList<string> DropIns(string path)
    {
        try
        {
            string real = _host.Files.ToTargetPath(_host.Files.ToHostPath(path));
            string folder = real.Substring(0, real.LastIndexOf('/') is int slash and > 0 ? slash : 0) + "/config.d";
            return ListFolder(folder);
        }
        catch (IsulaKataException)
        {
            return Array.Empty<string>();
        }
    }

    private IReadOnlyList<string> ListFolder(string folder)
    {
        try
        {
            string host = _host.Files.ToHostPath(folder);
            if (!Directory.Exists(host))
            {
                return Array.Empty<string>();
            }
            return Directory.GetFiles(host).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).Select(n => folder + "/" + n).ToList();
        }
        catch (Exception e) when (e is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    private IEnumerable<string> Lines(string path)
    {
        string? text;
        try
        {
            text = Exists(path) ? KataConfigText.Read(_host.Files, path) : null;
        }
        catch (Exception e) when (e is IsulaKataException or IOException or UnauthorizedAccessException)
        {
            _host.Log($"'{path}' could not be read while looking for {KataConfFile}: {e.Message}");
            text = null;
        }
        return text is null ? Array.Empty<string>() : text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#' && l[0] != ';');
    }

    /// <summary>Words of a systemd Environment= value: separated by spaces, double quotes group.</summary>
    private static IEnumerable<string> SplitWords(string value)
    {
        var word = new System.Text.StringBuilder();
        bool quoted = false;
        bool any = false;
        foreach (char c in value)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any)
                {
                    yield return word.ToString();
                }
                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
                any = true;
            }
        }
        if (any)
        {
            yield return word.ToString();
        }
    }

    private static string Unquote(string value)
        => value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value.Substring(1, value.Length - 2) : value;

    private bool Exists(string path)
    {
        try
        {
            return _host.Files.FileExists(path);
        }
        catch (IsulaKataException)
        {
            return false;
        }
    }

    /// <summary>Whether two target paths are one file (links followed, '//', '.' and '..' applied).</summary>
    public bool SameFile(string a, string b)
    {
        try
        {
            return _host.Files.ToHostPath(a) == _host.Files.ToHostPath(b);
        }
        catch (IsulaKataException)
        {
            return KataRules.Normalize(a) == KataRules.Normalize(b);
        }
    }

    private string LinkNote(string path)
    {
        try
        {
            string host = _host.Files.ToHostPath(path);
            string target = _host.Files.ToTargetPath(host);
            return target != path && File.Exists(host) ? $" (a symbolic link to {target}, which is the file edited)" : string.Empty;
        }
        catch (IsulaKataException)
        {
            return string.Empty;
        }
    }
}
