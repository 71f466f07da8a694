using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using IsulaKata.Core;

namespace IsulaKata.Isulad;

/// <summary>
/// daemon.json as text, edited in place: a changed value replaces exactly the bytes of the old value, a new
/// key is added after the last one with the file's own indentation, and everything else stays byte for byte.
/// Trailing commas (the published sample has one) are repaired and reported.
/// </summary>
public sealed class DaemonJsonDocument
{
    private readonly string _path;
    private readonly List<string> _repairs = new();
    private string _text;
    private List<Member> _members = new();
    private int _openBrace;
    private int _closeBrace;

    private DaemonJsonDocument(string text, string path)
    {
        _text = text;
        _path = path;
    }

    /// <summary>The document text as it now stands.</summary>
    public string Text => _text;

    /// <summary>What was repaired while reading (e.g. a trailing comma at line 12, column 6).</summary>
    public IReadOnlyList<string> Repairs => _repairs;

    public IEnumerable<string> Keys => _members.Select(m => m.Name);

    /// <summary>Parses daemon.json; a file that is not a JSON object is an error naming line and column.</summary>
    public static DaemonJsonDocument Parse(string text, string path)
    {
        var document = new DaemonJsonDocument(text, path);
        if (text.Trim().Length == 0)
        {
            throw new IsulaKataException("DaemonJsonEmpty", FailureKind.InvalidData,
                $"'{path}' is empty, so iSulad's settings in it cannot be read.",
                $"Restore '{path}' from a backup or the iSulad package, or delete it so the cmdlet creates a new one.", path);
        }
        document.RemoveTrailingCommas();
        document.Index();
        return document;
    }

    /// <summary>A new document holding an empty object, for a file that does not exist yet.</summary>
    public static DaemonJsonDocument CreateEmpty(string path)
    {
        var document = new DaemonJsonDocument("{\n}\n", path);
        document.Index();
        return document;
    }

    public bool Contains(string key) => _members.Any(m => m.Name == key);

    /// <summary>The value of a top-level key, or null when absent.</summary>
    public JsonElement? Get(string key)
    {
        Member? member = _members.LastOrDefault(m => m.Name == key);
        if (member is null)
        {
            return null;
        }
        using JsonDocument value = JsonDocument.Parse(_text.Substring(member.ValueStart, member.ValueEnd - member.ValueStart), DocumentOptions);
        return value.RootElement.Clone();
    }

    public string? GetString(string key)
        => Get(key) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public IReadOnlyList<string> GetStringArray(string key)
        => Get(key) is { ValueKind: JsonValueKind.Array } value
            ? value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : Array.Empty<string>();

    public void SetString(string key, string value) => SetRaw(key, Quote(value), multiLine: false);

    public void SetStringArray(string key, IReadOnlyList<string> values)
    {
        Member? existing = _members.LastOrDefault(m => m.Name == key);
        bool multiLine = existing is null
            ? _text.AsSpan(_openBrace, _closeBrace - _openBrace).Contains('\n')
            : _text.AsSpan(existing.ValueStart, existing.ValueEnd - existing.ValueStart).Contains('\n');
        if (values.Count == 0)
        {
            SetRaw(key, "[]", multiLine: false);
            return;
        }
        if (!multiLine)
        {
            SetRaw(key, "[" + string.Join(", ", values.Select(Quote)) + "]", multiLine: false);
            return;
        }
        string newline = NewLine;
        string indent = MemberIndent;
        string inner = indent + IndentUnit;
        SetRaw(key, "[" + newline + string.Join("," + newline, values.Select(v => inner + Quote(v))) + newline + indent + "]", multiLine: true);
    }

    private void SetRaw(string key, string raw, bool multiLine)
    {
        Member? existing = _members.LastOrDefault(m => m.Name == key);
        if (existing is not null)
        {
            _text = _text.Substring(0, existing.ValueStart) + raw + _text.Substring(existing.ValueEnd);
        }
        else if (_members.Count == 0)
        {
            string newline = NewLine;
            string body = newline + MemberIndent + Quote(key) + ": " + raw + newline;
            _text = _text.Substring(0, _openBrace + 1) + body + _text.Substring(_closeBrace);
        }
        else
        {
            Member last = _members[^1];
            string insert = "," + NewLine + MemberIndent + Quote(key) + ": " + raw;
            _text = _text.Substring(0, last.ValueEnd) + insert + _text.Substring(last.ValueEnd);
        }
        Index();
    }

    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip };
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip };

    private string NewLine => _text.Contains("\r\n") ? "\r\n" : "\n";

    /// <summary>The indentation of top-level keys (that of the first key; four spaces in an empty file).</summary>
    private string MemberIndent
    {
        get
        {
            if (_members.Count == 0)
            {
                return "    ";
            }
            int start = _members[0].NameStart;
            int lineStart = _text.LastIndexOf('\n', start - 1) + 1;
            string indent = _text.Substring(lineStart, start - lineStart);
            return indent.All(c => c == ' ' || c == '\t') ? indent : "    ";
        }
    }

    /// <summary>One level of indentation: the key indentation, since top-level keys sit one level deep.</summary>
    private string IndentUnit => MemberIndent.Length == 0 ? "    " : MemberIndent;

    private static string Quote(string value)
        => "\"" + JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString() + "\"";

    private void Index()
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(_text);
        int[] charAt = ByteToCharMap(_text, utf8.Length);
        int bom = utf8.Length >= 3 && utf8[0] == 0xEF && utf8[1] == 0xBB && utf8[2] == 0xBF ? 3 : 0;
        var reader = new Utf8JsonReader(utf8.AsSpan(bom), ReaderOptions);
        var members = new List<Member>();
        try
        {
            if (!reader.Read())
            {
                throw NotAnObject("nothing");
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw NotAnObject(reader.TokenType.ToString().ToLowerInvariant());
            }
            _openBrace = charAt[bom + (int)reader.TokenStartIndex];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                int nameStart = charAt[bom + (int)reader.TokenStartIndex];
                string name = DecodeString(ref reader, nameStart);
                if (members.FirstOrDefault(m => m.Name == name) is Member first)
                {
                    throw DuplicateKey(name, first.NameStart, nameStart);
                }
                reader.Read();
                int valueStart = charAt[bom + (int)reader.TokenStartIndex];
                SkipValidated(ref reader, charAt, bom);
                int valueEnd = charAt[bom + (int)reader.BytesConsumed];
                members.Add(new Member(name, nameStart, valueStart, valueEnd));
            }
            _closeBrace = charAt[bom + (int)reader.TokenStartIndex];
            while (reader.Read())
            {
                throw new JsonException("Unexpected content after the closing brace.", null, null, null);
            }
        }
        catch (JsonException error)
        {
            string where = error.LineNumber is long line ? $" at line {line + 1}, column {(error.BytePositionInLine ?? 0) + 1}" : string.Empty;
            throw new IsulaKataException("DaemonJsonInvalid", FailureKind.InvalidData,
                $"'{_path}' is not valid JSON{where}: {FirstSentence(error.Message)}",
                $"Fix the JSON{where} in '{_path}' (or restore it from a backup); the file was not changed.", _path, error);
        }
        _members = members;
    }

    /// <summary>Skips one value like <see cref="Utf8JsonReader.Skip"/>, decoding every string on the way, so a string
    /// .NET cannot turn into text (a lone surrogate escape such as \ud800) is refused here, not later.</summary>
    private void SkipValidated(ref Utf8JsonReader reader, int[] charAt, int bom)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                DecodeString(ref reader, charAt[bom + (int)reader.TokenStartIndex]);
            }
            return;
        }
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                DecodeString(ref reader, charAt[bom + (int)reader.TokenStartIndex]);
            }
        }
    }

    private string DecodeString(ref Utf8JsonReader reader, int at)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException error)
        {
            (int line, int column) = LineAndColumn(at);
            throw new IsulaKataException("DaemonJsonInvalid", FailureKind.InvalidData,
                $"'{_path}' holds a string at line {line}, column {column} that is not valid Unicode (a lone surrogate escape such as \\ud800): iSulad and this module cannot read it as text.",
                $"Fix the string at line {line} in '{_path}' (or restore it from a backup); the file was not changed.", _path, error);
        }
    }

    private IsulaKataException DuplicateKey(string name, int first, int second)
        => new("DaemonJsonDuplicateKey", FailureKind.InvalidData,
            $"'{_path}' sets \"{name}\" twice (line {LineAndColumn(first).Line} and line {LineAndColumn(second).Line}): JSON readers disagree on which one wins, so it is not edited.",
            $"Remove one of the two \"{name}\" entries in '{_path}'; the file was not changed.", _path);

    private IsulaKataException NotAnObject(string found)
        => new("DaemonJsonNotObject", FailureKind.InvalidData,
            $"'{_path}' holds {found} at the top level, but iSulad expects a JSON object ({{ ... }}).",
            $"Put iSulad's settings in one JSON object in '{_path}'; the file was not changed.", _path);

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message.Substring(0, cut) : message).Trim();
    }

    /// <summary>Removes every comma that stands right before a closing brace or bracket (iSulad's parser rejects
    /// them), and records where each was. A real tokenizer: strings (with their escapes) and comments are copied as
    /// they are, so only a comma between values can ever be removed.</summary>
    private void RemoveTrailingCommas()
    {
        var builder = new StringBuilder(_text.Length);
        int i = 0;
        while (i < _text.Length)
        {
            int token = SkipToken(i);
            if (token > i)
            {
                builder.Append(_text, i, token - i);
                i = token;
                continue;
            }
            char c = _text[i];
            if (c == ',' && NextSignificant(i + 1) is '}' or ']')
            {
                (int line, int column) = LineAndColumn(i);
                _repairs.Add($"removed a trailing comma at line {line}, column {column}");
            }
            else
            {
                builder.Append(c);
            }
            i++;
        }
        _text = builder.ToString();
    }

    /// <summary>The end of the string or comment starting at <paramref name="start"/>, or <paramref name="start"/>
    /// itself when none starts there. An unterminated one runs to the end of the text (the parser then reports it).</summary>
    private int SkipToken(int start)
    {
        char c = _text[start];
        if (c == '"')
        {
            for (int i = start + 1; i < _text.Length; i++)
            {
                if (_text[i] == '\\')
                {
                    i++;
                }
                else if (_text[i] == '"')
                {
                    return i + 1;
                }
            }
            return _text.Length;
        }
        if (c == '/' && start + 1 < _text.Length && _text[start + 1] == '/')
        {
            int end = _text.IndexOf('\n', start);
            return end < 0 ? _text.Length : end;
        }
        if (c == '/' && start + 1 < _text.Length && _text[start + 1] == '*')
        {
            int end = _text.IndexOf("*/", start + 2, StringComparison.Ordinal);
            return end < 0 ? _text.Length : end + 2;
        }
        return start;
    }

    /// <summary>The first character after <paramref name="from"/> that is neither white space nor part of a comment.</summary>
    private char NextSignificant(int from)
    {
        int i = from;
        while (i < _text.Length)
        {
            if (_text[i] is '/' && SkipToken(i) is int end && end > i)
            {
                i = end;
            }
            else if (char.IsWhiteSpace(_text[i]))
            {
                i++;
            }
            else
            {
                return _text[i];
            }
        }
        return '\0';
    }

    /// <summary>1-based line and column of a character of the text.</summary>
    private (int Line, int Column) LineAndColumn(int index)
    {
        int line = 1, lineStart = 0;
        for (int i = 0; i < index; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, index - lineStart + 1);
    }

    private static int[] ByteToCharMap(string text, int byteCount)
    {
        var map = new int[byteCount + 1];
        int b = 0;
        for (int c = 0; c < text.Length; c++)
        {
            int width = char.IsHighSurrogate(text[c]) && c + 1 < text.Length ? 4 : Encoding.UTF8.GetByteCount(text.AsSpan(c, 1));
            for (int k = 0; k < width; k++)
            {
                map[b + k] = c;
            }
            b += width;
            if (width == 4)
            {
                c++;
            }
        }
        map[byteCount] = text.Length;
        return map;
    }

    private sealed record Member(string Name, int NameStart, int ValueStart, int ValueEnd);
}
