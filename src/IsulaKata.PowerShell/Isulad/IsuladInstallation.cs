using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using IsulaKata.Core;
using IsulaKata.Packages;

namespace IsulaKata.Isulad;

/// <summary>What is installed of iSulad on the target system: its version, and whether it can run shim v2 runtimes.</summary>
public sealed class IsuladInstallation
{
    /// <summary>Where isulad's binary is looked for.</summary>
    public static readonly IReadOnlyList<string> BinaryPaths = new[] { "/usr/bin/isulad", "/usr/local/bin/isulad" };

    /// <summary>Where lib-shim-v2's library is looked for.</summary>
    public static readonly IReadOnlyList<string> LibraryFolders = new[] { "/usr/lib64", "/usr/lib", "/usr/local/lib64", "/usr/local/lib", "/lib64", "/lib" };

    private readonly HostContext _host;
    private string? _version;
    private bool _versionRead;

    public IsuladInstallation(HostContext host) => _host = host;

    /// <summary>The installed iSulad version (rpm -q iSulad on a live rpm host), or null when it cannot be known.</summary>
    public string? Version
    {
        get
        {
            if (!_versionRead)
            {
                _versionRead = true;
                _version = ReadVersion();
            }
            return _version;
        }
    }

    private string? ReadVersion()
    {
        if (!_host.IsLiveHost)
        {
            return null;
        }
        var rpm = new RpmPackages(_host);
        if (!rpm.IsRpmHost)
        {
            return null;
        }
        try
        {
            return rpm.Query(new[] { "iSulad" })["iSulad"];
        }
        catch (IsulaKataException error)
        {
            _host.Log($"The iSulad version is not known ({error.ErrorId}): option names are checked as current iSulad does (case-sensitive).");
            return null;
        }
    }

    /// <summary>How this iSulad compares storage option names (see <see cref="IsuladRules.KeyMatchingFor"/>).</summary>
    public OptionKeyMatching KeyMatching => IsuladRules.KeyMatchingFor(Version);

    /// <summary>
    /// What keeps this iSulad from running a shim v2 runtime: an isulad built without shim v2 support (its binary does
    /// not link libshim_v2.so; cmake/options.cmake ENABLE_SHIM_V2), or lib-shim-v2 missing (the library, and on a live
    /// rpm host the package). Empty when both are there; null when isulad's binary is not found, so nothing can be said.
    /// </summary>
    public IReadOnlyList<string>? ShimV2Problems()
    {
        string? binary = BinaryPaths.FirstOrDefault(IsRegularFile);
        if (binary is null)
        {
            _host.Log($"isulad's binary is in none of {string.Join(", ", BinaryPaths)}: shim v2 support is not checked.");
            return null;
        }
        var problems = new List<string>();
        if (!Contains(binary, IsuladRules.ShimV2Library))
        {
            problems.Add($"'{binary}' was built without shim v2 support (it does not link {IsuladRules.ShimV2Library}): install an iSulad package built with ENABLE_SHIM_V2 (openEuler's iSulad is)");
        }
        string? library = LibraryFolders.Where(_host.Files.DirectoryExists)
            .SelectMany(folder => Directory.EnumerateFiles(_host.Files.ToHostPath(folder), IsuladRules.ShimV2Library + "*").Select(f => folder + "/" + Path.GetFileName(f)))
            .FirstOrDefault();
        if (library is null)
        {
            problems.Add($"{IsuladRules.ShimV2Library} (package {IsuladRules.ShimV2Package}) is in none of {string.Join(", ", LibraryFolders)}");
        }
        if (_host.IsLiveHost && new RpmPackages(_host) is { IsRpmHost: true } rpm)
        {
            try
            {
                if (rpm.Query(new[] { IsuladRules.ShimV2Package })[IsuladRules.ShimV2Package] is null)
                {
                    problems.Add($"the package {IsuladRules.ShimV2Package} is not installed");
                }
            }
            catch (IsulaKataException error)
            {
                _host.Log($"rpm could not say whether {IsuladRules.ShimV2Package} is installed: {error.Message}");
            }
        }
        return problems;
    }

    private bool IsRegularFile(string path)
    {
        try
        {
            // A FIFO or device has no length; only a regular file with content can be isulad.
            var info = new FileInfo(_host.Files.ToHostPath(path));
            return info.Exists && info.Length > 0;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or IsulaKataException)
        {
            return false;
        }
    }

    /// <summary>True when the file's bytes hold <paramref name="text"/> (the dynamic section names each library it links).</summary>
    private bool Contains(string path, string text)
    {
        byte[] needle = Encoding.ASCII.GetBytes(text);
        using FileStream stream = File.OpenRead(_host.Files.ToHostPath(path));
        var buffer = new byte[1 << 16];
        int kept = 0;
        while (true)
        {
            int read = stream.Read(buffer, kept, buffer.Length - kept);
            if (read == 0)
            {
                return false;
            }
            int length = kept + read;
            if (buffer.AsSpan(0, length).IndexOf(needle) >= 0)
            {
                return true;
            }
            kept = Math.Min(needle.Length - 1, length);
            Array.Copy(buffer, length - kept, buffer, 0, kept);
        }
    }
}
