using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace IsulaKata.Loader;

/// <summary>
/// The load context that holds IsulaKata.dll, Tomlyn and CliWrap. Assemblies found in the module's
/// lib folder are loaded here; everything else (System.Management.Automation, the framework) comes
/// from the default context, so cmdlet types bind to the PowerShell that hosts them.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly object Gate = new();
    private static ModuleLoadContext? _instance;
    private readonly string _libPath;

    private ModuleLoadContext(string libPath) : base("IsulaKata", isCollectible: false)
    {
        _libPath = libPath;
    }

    /// <summary>Loads (once per process) and returns the module's main assembly.</summary>
    public static Assembly LoadModule(string libPath)
    {
        lock (Gate)
        {
            _instance ??= new ModuleLoadContext(SelectLibrary(Path.GetFullPath(libPath)));
            return _instance.LoadFromAssemblyName(new AssemblyName("IsulaKata"));
        }
    }

    /// <summary>
    /// The folder to load from: the ReadyToRun copy made for this runtime's major version and this architecture
    /// (<c>lib/r2r-net10-linux-x64</c>, ...) when the build made one, else the IL in <c>lib</c> itself, which every
    /// runtime and architecture can run.
    /// </summary>
    public static string SelectLibrary(string libPath)
    {
        string? arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            _ => null,
        };
        if (arch is not null && OperatingSystem.IsLinux())
        {
            string precompiled = Path.Combine(libPath, $"r2r-net{Environment.Version.Major}-linux-{arch}");
            if (File.Exists(Path.Combine(precompiled, "IsulaKata.dll")))
            {
                return precompiled;
            }
        }
        return libPath;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string candidate = Path.Combine(_libPath, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }
}
