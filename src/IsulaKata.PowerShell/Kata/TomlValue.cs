using System;
using System.Globalization;
using Tomlyn.Syntax;

namespace IsulaKata.Kata;

/// <summary>A TOML value as read from the file: its kind, its .NET value (string, bool, long) and its text.</summary>
public sealed class TomlValue
{
    internal TomlValue(TomlValueKind kind, object? value, string text)
    {
        Kind = kind;
        Value = value;
        Text = text;
    }

    public TomlValueKind Kind { get; }

    /// <summary>The string, bool or long; null for other kinds (arrays, floats, dates, inline tables).</summary>
    public object? Value { get; }

    /// <summary>The value as written in the file, without comments.</summary>
    public string Text { get; }

    /// <summary>A value to write. Strings are escaped by Tomlyn (quotes, backslashes, control characters), so no value
    /// can end the string early or start a new line of the file.</summary>
    internal static TomlValue Of(object value) => value switch
    {
        string s => new TomlValue(TomlValueKind.String, s, new StringValueSyntax(s).ToString()),
        bool b => new TomlValue(TomlValueKind.Boolean, b, b ? "true" : "false"),
        long l => new TomlValue(TomlValueKind.Integer, l, l.ToString(CultureInfo.InvariantCulture)),
        int i => new TomlValue(TomlValueKind.Integer, (long)i, i.ToString(CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"Values of type {value.GetType().Name} are not supported.", nameof(value)),
    };

    /// <summary>True when both hold the same string, bool or integer, however the file spells it.</summary>
    internal bool SameAs(TomlValue other) => Kind == other.Kind && Kind != TomlValueKind.Other && Equals(Value, other.Value);

    public override string ToString() => Text;
}

public enum TomlValueKind
{
    String,
    Boolean,
    Integer,
    Other,
}
