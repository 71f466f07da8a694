using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Reflection;

namespace IsulaKata.Fleet;

/// <summary>
/// Turns what comes back from a remote host (Deserialized.IsulaKata.* property bags) into this module's own types
/// again, so a fleet result is the same typed object as a local one: every type of this assembly is rebuilt from its
/// properties (records through their constructor), lists and arrays element by element, error records as ErrorRecord
/// with the remote error id. Anything else stays as it came.
/// </summary>
public static class Rehydrator
{
    private const string Deserialized = "Deserialized.";
    private static readonly Assembly Module = typeof(Rehydrator).Assembly;

    /// <summary>Rebuilds one value; a PSObject of one of this module's types becomes that type.</summary>
    public static object? Rebuild(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case PSObject wrapped:
                string? typeName = wrapped.TypeNames.FirstOrDefault(t => t.StartsWith(Deserialized + "IsulaKata.", StringComparison.Ordinal));
                if (typeName is not null && Module.GetType(typeName.Substring(Deserialized.Length)) is Type { IsArray: false } type)
                {
                    return Build(type, wrapped);
                }
                if (wrapped.TypeNames.Contains(Deserialized + typeof(ErrorRecord).FullName))
                {
                    return BuildError(wrapped);
                }
                return wrapped.BaseObject is PSCustomObject ? wrapped : Rebuild(wrapped.BaseObject);
            case string or IDictionary:
                return value;
            case IList list:
                return list.Cast<object?>().Select(Rebuild).ToArray();
            default:
                return value;
        }
    }

    /// <summary>Rebuilds a value as <typeparamref name="T"/>, or null when it is not one.</summary>
    public static T? Rebuild<T>(object? value) where T : class => Rebuild(value) as T;

    /// <summary>
    /// A fleet result ready to travel: each ErrorRecord replaced by one holding only its id, category, target, message
    /// and fix. A live ErrorRecord drags its exception's whole object graph (stack, method, assembly) into the
    /// serializer, which at the depth a result needs grows without bound.
    /// </summary>
    public static object? Portable(object? value) => value switch
    {
        PSObject wrapped => Portable(wrapped.BaseObject),
        IsulaKataHostResult host => host with
        {
            Error = Portable(host.Error),
            Sections = host.Sections.Select(s => s with { Error = Portable(s.Error) }).ToArray(),
        },
        IsulaKataConfigurationTest test => test with
        {
            Error = Portable(test.Error),
            Sections = test.Sections.Select(s => s with { Error = Portable(s.Error) }).ToArray(),
        },
        IsulaKataSectionResult section => section with { Error = Portable(section.Error) },
        _ => value,
    };

    private static ErrorRecord? Portable(ErrorRecord? error)
    {
        if (error is null)
        {
            return null;
        }
        object? target = error.TargetObject is null or string or ValueType ? error.TargetObject : error.TargetObject.ToString();
        return new ErrorRecord(new Exception(error.Exception.Message), error.FullyQualifiedErrorId, error.CategoryInfo.Category, target)
        {
            ErrorDetails = error.ErrorDetails is null ? null : new ErrorDetails(error.ErrorDetails.Message) { RecommendedAction = error.ErrorDetails.RecommendedAction },
        };
    }

    private static object? Build(Type type, PSObject bag)
    {
        if (type.IsEnum)
        {
            return Enum.Parse(type, bag.BaseObject.ToString()!, ignoreCase: true);
        }
        PropertyInfo[] properties = type.GetProperties(BindingFlags.Instance | BindingFlags.Public);
        ConstructorInfo? empty = type.GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, Type.EmptyTypes, null);
        if (empty is not null)
        {
            object instance = empty.Invoke(null);
            foreach (PropertyInfo property in properties)
            {
                MethodInfo? setter = property.GetSetMethod(nonPublic: true);
                PSPropertyInfo? source = bag.Properties[property.Name];
                if (setter is not null && source is not null)
                {
                    setter.Invoke(instance, new[] { ConvertTo(Rebuild(source.Value), property.PropertyType) });
                }
            }
            return instance;
        }
        // A positional record: its constructor's parameters are its properties.
        ConstructorInfo constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        object?[] arguments = constructor.GetParameters()
            .Select(p => ConvertTo(Rebuild(bag.Properties[p.Name!]?.Value), p.ParameterType)).ToArray();
        return constructor.Invoke(arguments);
    }

    private static object? ConvertTo(object? value, Type type)
    {
        if (value is null || type == typeof(object) || type.IsInstanceOfType(value))
        {
            return value;
        }
        Type? element = type.IsArray ? type.GetElementType()
            : type.IsGenericType && type.GetGenericTypeDefinition() is Type generic
              && (generic == typeof(IReadOnlyList<>) || generic == typeof(IList<>) || generic == typeof(IEnumerable<>) || generic == typeof(IReadOnlyCollection<>))
                ? type.GetGenericArguments()[0] : null;
        if (element is not null)
        {
            object?[] items = value is IEnumerable sequence and not string ? sequence.Cast<object?>().ToArray() : new[] { value };
            Array array = Array.CreateInstance(element, items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                array.SetValue(ConvertTo(Rebuild(items[i]), element), i);
            }
            return array;
        }
        return LanguagePrimitives.ConvertTo(value is PSObject wrapped ? wrapped.BaseObject : value, type, CultureInfo.InvariantCulture);
    }

    /// <summary>An ErrorRecord from its remote property bag: the remote error id, category, target, message and fix.</summary>
    private static ErrorRecord BuildError(PSObject bag)
    {
        string? Text(string name) => bag.Properties[name]?.Value?.ToString();
        string message = (bag.Properties["Exception"]?.Value as PSObject)?.Properties["Message"]?.Value?.ToString()
            ?? Text("ErrorDetails_Message") ?? Text("Exception") ?? "The remote command failed.";
        ErrorCategory category = Enum.TryParse(Text("ErrorCategory_Category"), out ErrorCategory parsed) ? parsed
            : (bag.Properties["CategoryInfo"]?.Value as PSObject)?.Properties["Category"]?.Value is object c
              && Enum.TryParse(c.ToString(), out ErrorCategory fromInfo) ? fromInfo : ErrorCategory.NotSpecified;
        string? remoteId = Text(nameof(ErrorRecord.FullyQualifiedErrorId));
        var record = new ErrorRecord(new RemoteException(message), remoteId ?? "RemoteError", category, Rebuild(bag.Properties["TargetObject"]?.Value));
        string? details = Text("ErrorDetails_Message") ?? ((bag.Properties["ErrorDetails"]?.Value as PSObject)?.Properties["Message"]?.Value?.ToString());
        string? fix = Text("ErrorDetails_RecommendedAction") ?? ((bag.Properties["ErrorDetails"]?.Value as PSObject)?.Properties["RecommendedAction"]?.Value?.ToString());
        if (details is not null || fix is not null)
        {
            record.ErrorDetails = new ErrorDetails(details ?? message) { RecommendedAction = fix ?? string.Empty };
        }
        return record;
    }
}
