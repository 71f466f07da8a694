using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IsulaKata.Journal;

/// <summary>
/// One line of the journal. An intent line (<see cref="State"/> "intent") describes the change; a later line with the
/// same <see cref="Id"/> says how it ended ("done" or "rolledBack"). An intent without an ending is an interrupted change.
/// </summary>
public sealed record JournalRecord
{
    public const string Intent = "intent";
    public const string DoneState = "done";
    public const string RolledBackState = "rolledBack";

    public string Id { get; init; } = string.Empty;
    public string State { get; init; } = Intent;
    public DateTime Time { get; init; }
    public int Pid { get; init; }
    public string? Cmdlet { get; init; }
    public ChangeAction? Action { get; init; }

    /// <summary>The target-system path of the file or folder, or the pool's device path.</summary>
    public string? Path { get; init; }

    /// <summary>Where the content from before is kept (target-system path).</summary>
    public string? Backup { get; init; }

    /// <summary>SHA-256 of the file before the change; null when it did not exist.</summary>
    public string? Before { get; init; }

    /// <summary>SHA-256 of the file after the change; null when it no longer exists.</summary>
    public string? After { get; init; }

    /// <summary>An undo: the id of the change it undoes.</summary>
    public string? Undoes { get; init; }

    /// <summary>The change this one is a step of (a pool's profile, the backup an undo -Force makes).</summary>
    public string? PartOf { get; init; }

    public string? VolumeGroup { get; init; }
    public string? Name { get; init; }
    public IReadOnlyList<string>? Devices { get; init; }
    public string? Profile { get; init; }

    /// <summary>On an ending line: who finished an interrupted change.</summary>
    public string? Note { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The record as one line of JSON, ending in a newline.</summary>
    public byte[] ToLine() => JsonSerializer.SerializeToUtf8Bytes(this, Json) is var json ? Append(json, (byte)'\n') : Array.Empty<byte>();

    /// <summary>Parses one line; null when it is not a whole record.</summary>
    public static JournalRecord? Parse(string line)
    {
        try
        {
            JournalRecord? record = JsonSerializer.Deserialize<JournalRecord>(line, Json);
            return record is null || record.Id.Length == 0 ? null : record;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] Append(byte[] bytes, byte last)
    {
        byte[] line = new byte[bytes.Length + 1];
        bytes.CopyTo(line, 0);
        line[^1] = last;
        return line;
    }
}
