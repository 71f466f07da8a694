using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;
using IsulaKata.Core;

namespace IsulaKata.Fleet;

/// <summary>A section of a validated document: its cmdlet and the parameters to give it, converted to their types.</summary>
public sealed record ConfiguredSection(ConfigurationSection Section, IReadOnlyDictionary<string, object?> Parameters)
{
    public string Name => Section.Name;
}

/// <summary>
/// A host configuration document (a .psd1 or the same hashtable), validated against the section cmdlets' own
/// parameter metadata before anything runs: unknown sections and keys, values of the wrong type, values the cmdlet's
/// own validation attributes refuse, and missing mandatory keys are refused with one error naming the file, the
/// section and the key, with the valid names.
/// </summary>
public sealed class ConfigurationDocument
{
    /// <summary>How an in-memory document is named in errors.</summary>
    public const string InMemorySource = "(-Configuration)";

    private ConfigurationDocument(string source, Hashtable original, IReadOnlyList<ConfiguredSection> sections)
    {
        Source = source;
        Original = original;
        Sections = sections;
    }

    /// <summary>The file the document came from, or <see cref="InMemorySource"/>.</summary>
    public string Source { get; }

    /// <summary>The document as given (what is sent to remote hosts, which validate it again with their own cmdlets).</summary>
    public Hashtable Original { get; }

    /// <summary>The sections present, in converging order.</summary>
    public IReadOnlyList<ConfiguredSection> Sections { get; }

    /// <summary>Reads a .psd1 data file as PowerShell's Import-PowerShellDataFile does: literal data only, no code runs.</summary>
    public static Hashtable ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new IsulaKataException("ConfigurationFileUnreadable", FailureKind.ObjectNotFound,
                $"The configuration file '{path}' cannot be read: {error.Message}", "Give the path of an existing .psd1 file.", path, error);
        }
        ScriptBlockAst ast = Parser.ParseInput(text, path, out _, out ParseError[] errors);
        if (errors.Length > 0)
        {
            throw Invalid(path, null, null, "ConfigurationFileInvalid",
                $"it does not parse: {errors[0].Message} (line {errors[0].Extent.StartLineNumber})", "Fix the syntax of the data file.");
        }
        var hashtable = ast.Find(node => node is HashtableAst, false) as HashtableAst;
        if (hashtable is null || ast.EndBlock?.Statements.Count != 1)
        {
            throw Invalid(path, null, null, "ConfigurationFileInvalid", "it is not one hashtable @{ ... }", "Write the document as one hashtable, one key a section.");
        }
        try
        {
            return (Hashtable)hashtable.SafeGetValue();
        }
        catch (InvalidOperationException error)
        {
            throw Invalid(path, null, null, "ConfigurationFileInvalid", $"it holds something other than data: {error.Message}",
                "Use only literal values (strings, numbers, $true/$false, arrays, hashtables) in the data file.");
        }
    }

    /// <summary>Validates a document against the section cmdlets; throws the first problem found.</summary>
    public static ConfigurationDocument Validate(IDictionary document, string source, EngineIntrinsics engine)
    {
        var original = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in document)
        {
            original[entry.Key] = entry.Value;
        }

        string[] unknown = original.Keys.Cast<object>().Select(k => k?.ToString() ?? string.Empty)
            .Where(k => ConfigurationSection.Find(k) is null).OrderBy(k => k, StringComparer.OrdinalIgnoreCase).ToArray();
        if (unknown.Length > 0)
        {
            throw Invalid(source, unknown[0], null, "ConfigurationSectionUnknown", "there is no such section",
                $"Use only these sections (each converged by its cmdlet, in this order): {string.Join(", ", ConfigurationSection.Names)}.");
        }

        var sections = new List<ConfiguredSection>();
        foreach (ConfigurationSection section in ConfigurationSection.All)
        {
            if (!original.ContainsKey(section.Name))
            {
                continue;
            }
            object? value = original[section.Name] is PSObject wrapped ? wrapped.BaseObject : original[section.Name];
            if (value is not IDictionary keys)
            {
                if (value is not null)
                {
                    throw Invalid(source, section.Name, null, "ConfigurationValueInvalid", "a section must be a hashtable of keys",
                        $"Write the section as @{{ Key = value }} with the keys of {section.CmdletName}: {KeyList(section)}.");
                }
                keys = new Hashtable();
            }
            sections.Add(new ConfiguredSection(section, ValidateSection(source, section, keys, engine)));
        }
        return new ConfigurationDocument(source, original, sections);
    }

    private static IReadOnlyDictionary<string, object?> ValidateSection(string source, ConfigurationSection section, IDictionary keys, EngineIntrinsics engine)
    {
        IReadOnlyDictionary<string, ParameterMetadata> parameters = section.Keys;
        var bound = new SortedDictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (string key in keys.Keys.Cast<object>().Select(k => k?.ToString() ?? string.Empty).OrderBy(k => k, StringComparer.OrdinalIgnoreCase))
        {
            ParameterMetadata? parameter = parameters.Values.FirstOrDefault(p =>
                string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase) || p.Aliases.Contains(key, StringComparer.OrdinalIgnoreCase));
            if (parameter is null)
            {
                throw Invalid(source, section.Name, key, "ConfigurationKeyUnknown", $"{section.CmdletName} has no such parameter",
                    $"Use the keys of {section.CmdletName}: {KeyList(section)}.");
            }
            object? value = keys[key] is PSObject wrapped ? wrapped.BaseObject : keys[key];
            bound[parameter.Name] = Convert(source, section, parameter, value, engine);
        }
        CheckParameterSets(source, section, parameters, bound.Keys);
        return bound;
    }

    private static object? Convert(string source, ConfigurationSection section, ParameterMetadata parameter, object? value, EngineIntrinsics engine)
    {
        object? converted;
        if (parameter.SwitchParameter)
        {
            if (value is not bool flag)
            {
                throw Invalid(source, section.Name, parameter.Name, "ConfigurationValueInvalid",
                    $"a switch takes $true or $false, not {Describe(value)}", $"Write {parameter.Name} = $true or {parameter.Name} = $false.");
            }
            return new SwitchParameter(flag);
        }
        try
        {
            converted = LanguagePrimitives.ConvertTo(value, parameter.ParameterType, CultureInfo.InvariantCulture);
        }
        catch (Exception error) when (error is PSInvalidCastException or InvalidCastException or ArgumentException)
        {
            throw Invalid(source, section.Name, parameter.Name, "ConfigurationValueInvalid",
                $"{Describe(value)} is not a {parameter.ParameterType.Name}", $"Give {parameter.Name} a {parameter.ParameterType.Name}, as {section.CmdletName} -{parameter.Name} takes it.");
        }
        foreach (ValidateArgumentsAttribute validation in parameter.Attributes.OfType<ValidateArgumentsAttribute>())
        {
            try
            {
                ValidateMethod.Invoke(validation, new[] { converted, engine });
            }
            catch (TargetInvocationException error) when (error.InnerException is ValidationMetadataException or ArgumentException)
            {
                throw Invalid(source, section.Name, parameter.Name, "ConfigurationValueInvalid",
                    $"{section.CmdletName} refuses {Describe(value)}: {error.InnerException.Message.TrimEnd('.')}",
                    $"Give {parameter.Name} a value that {section.CmdletName} -{parameter.Name} accepts (Get-Help {section.CmdletName} -Parameter {parameter.Name}).");
            }
        }
        return converted;
    }

    /// <summary>The keys must fit one parameter set of the cmdlet, and give every mandatory parameter of that set.</summary>
    private static void CheckParameterSets(string source, ConfigurationSection section, IReadOnlyDictionary<string, ParameterMetadata> parameters, IEnumerable<string> given)
    {
        string[] keys = given.ToArray();
        string[] setNames = parameters.Values.SelectMany(p => p.ParameterSets.Keys).Where(n => n != ParameterAttribute.AllParameterSets).Distinct().ToArray();
        if (setNames.Length == 0)
        {
            setNames = new[] { ParameterAttribute.AllParameterSets };
        }
        string? firstProblem = null;
        string? firstKey = null;
        string? firstId = null;
        foreach (string set in setNames)
        {
            bool InSet(ParameterMetadata p) => p.ParameterSets.ContainsKey(set) || p.ParameterSets.ContainsKey(ParameterAttribute.AllParameterSets);
            bool MandatoryIn(ParameterMetadata p) => (p.ParameterSets.TryGetValue(set, out ParameterSetMetadata? m) && m.IsMandatory)
                || (p.ParameterSets.TryGetValue(ParameterAttribute.AllParameterSets, out ParameterSetMetadata? all) && all.IsMandatory);
            string? outside = keys.FirstOrDefault(k => !InSet(parameters[k]));
            string? missing = parameters.Values.Where(p => InSet(p) && MandatoryIn(p)).Select(p => p.Name).FirstOrDefault(n => !keys.Contains(n, StringComparer.OrdinalIgnoreCase));
            if (outside is null && missing is null)
            {
                return;
            }
            if (firstProblem is null)
            {
                (firstKey, firstId, firstProblem) = missing is not null
                    ? (missing, "ConfigurationKeyMissing", $"{section.CmdletName} needs {missing}")
                    : (outside, "ConfigurationKeysConflict", $"{outside} cannot be given with {string.Join(", ", keys.Where(k => k != outside))}");
            }
        }
        throw Invalid(source, section.Name, firstKey, firstId!, firstProblem!, $"Give the keys of one way to call {section.CmdletName}: {string.Join(" | ", SyntaxLines(section))}.");
    }

    private static IEnumerable<string> SyntaxLines(ConfigurationSection section)
    {
        IReadOnlyDictionary<string, ParameterMetadata> parameters = section.Keys;
        string[] sets = parameters.Values.SelectMany(p => p.ParameterSets.Keys).Where(n => n != ParameterAttribute.AllParameterSets).Distinct().ToArray();
        foreach (string set in sets.Length == 0 ? new[] { ParameterAttribute.AllParameterSets } : sets)
        {
            yield return string.Join(", ", parameters.Values
                .Where(p => p.ParameterSets.ContainsKey(set) || p.ParameterSets.ContainsKey(ParameterAttribute.AllParameterSets))
                .Select(p => (p.ParameterSets.TryGetValue(set, out ParameterSetMetadata? m) && m.IsMandatory)
                    || (p.ParameterSets.TryGetValue(ParameterAttribute.AllParameterSets, out ParameterSetMetadata? all) && all.IsMandatory) ? p.Name + " (required)" : p.Name));
        }
    }

    private static string KeyList(ConfigurationSection section)
    {
        string list = string.Join(", ", section.Keys.Keys);
        return list.Length == 0 ? "(none: write @{})" : list;
    }

    private static string Describe(object? value) => value switch
    {
        null => "$null",
        string text => $"'{text}'",
        bool flag => flag ? "$true" : "$false",
        IEnumerable items => $"@({string.Join(", ", items.Cast<object?>().Select(Describe))})",
        _ => $"{value} ({value.GetType().Name})",
    };

    private static IsulaKataException Invalid(string source, string? section, string? key, string errorId, string problem, string fix)
    {
        string where = section is null ? source : key is null ? $"{source}, section '{section}'" : $"{source}, section '{section}', key '{key}'";
        return new IsulaKataException(errorId, FailureKind.InvalidData, $"{where}: {problem}.", fix, where);
    }

    /// <summary>ValidateArgumentsAttribute.Validate (protected): the very check the cmdlet runs when it binds the value.</summary>
    private static readonly MethodInfo ValidateMethod = typeof(ValidateArgumentsAttribute).GetMethod("Validate",
        BindingFlags.Instance | BindingFlags.NonPublic, null, new[] { typeof(object), typeof(EngineIntrinsics) }, null)
        ?? throw new MissingMethodException(nameof(ValidateArgumentsAttribute), "Validate");
}
