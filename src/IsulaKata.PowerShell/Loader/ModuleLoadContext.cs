using System;
using System.IO;
using System.Reflection;
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
            _instance ??= new ModuleLoadContext(Path.GetFullPath(libPath));
            return _instance.LoadFromAssemblyName(new AssemblyName("IsulaKata"));
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string candidate = Path.Combine(_libPath, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }
}
