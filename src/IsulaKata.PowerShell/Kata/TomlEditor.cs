using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using IsulaKata.Core;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace IsulaKata.Kata;

/// <summary>
/// Edits a TOML file (a kata configuration.toml) so that everything not edited stays byte for byte: comments,
/// blank lines, key order, spacing, the style of untouched values. Values are changed and keys added in Tomlyn's
/// syntax tree (the new value node takes over the old one's trivia); turning lines into comments and back
/// (commented keys, whole tables) is done on the lines, at line numbers taken from the tree. Every edit is applied
/// at once and the text parsed again (half a millisecond for an 800-line file), so every read sees every edit.
/// </summary>
public sealed class TomlEditor
{
    /// <summary>Prefixed to every line of a table (or key) this module turned into a comment, so it can be restored.</summary>
    public const string DisabledMarker = "#isulakata-disabled#";

    private const char Replacement = '\uFFFD';
    private readonly string _path;
    private readonly string _newLine;

    /// <summary>Tomlyn takes U+FFFD in its input for a decoding error; a private-use character absent from the text
    /// stands in for it while the text is parsed, and is turned back on the way out.</summary>
    private readonly char? _standIn;

    private string _text;
    private DocumentSyntax _document;
    private Snapshot _view;

    /// <summary>
    /// True after edits made in the syntax tree (a value replaced, a key added) that the text and <see cref="_view"/>
    /// do not show yet. Such edits keep every table and key the view knows (the added keys are appended to their
    /// table's pairs), so further keys can be set without parsing again; anything that reads lines or the text parses
    /// the tree's text first (<see cref="View"/>). Setting eight keys costs one parse instead of eight.
    /// </summary>
    private bool _stale;

    private TomlEditor(string text, string path, string errorId)
    {
        _path = path;
        _newLine = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        if (text.Contains(Replacement))
        {
            _standIn = Enumerable.Range(0xE000, 0x1900).Select(c => (char)c).First(c => !text.Contains(c));
            text = text.Replace(Replacement, _standIn.Value);
        }
        _text = text;
        _document = ParseChecked(text, path, errorId);
        _view = new Snapshot(_document, _text);
    }

    /// <summary>Parses <paramref name="text"/> with full validation; invalid TOML is an <see cref="IsulaKataException"/>
    /// naming line and column.</summary>
    public static TomlEditor Parse(string text, string path) => new(text, path, errorId: "KataConfigInvalid");

    /// <summary>Checks text this editor produced, with Tomlyn's full validation (duplicate keys and tables too), before it is written.</summary>
    public static void Verify(string text, string path) => _ = new TomlEditor(text, path, errorId: "KataConfigEditFailed");

    /// <summary>The current text, with every edit applied.</summary>
    public string Text
    {
        get
        {
            _ = View;
            return _standIn is char c ? _text.Replace(c, Replacement) : _text;
        }
    }

    public override string ToString() => Text;

    // ---------------------------------------------------------------- reading

    /// <summary>The names of the active tables, in file order ("hypervisor.qemu", "runtime", ...).</summary>
    public IReadOnlyList<string> TableNames => View.Tables.Select(t => t.Name).ToList();

    /// <summary>The names of the tables this module disabled (commented out with the marker), in file order.</summary>
    public IReadOnlyList<string> DisabledTableNames => View.DisabledHeaders.Select(h => h.Name).ToList();

    public bool HasTable(string table) => View.Find(table) is not null;

    /// <summary>The value of <paramref name="key"/> in <paramref name="table"/> ("" for the keys before the first
    /// table); null when the key is not set there.</summary>
    public TomlValue? Get(string table, string key)
    {
        KeyValueSyntax? pair = View.Find(table) is { } found ? FindPair(found, key) : null;
        return pair is null ? null : Read(pair.Value);
    }

    public string? GetString(string table, string key) => Get(table, key)?.Value as string;

    public bool? GetBool(string table, string key) => Get(table, key)?.Value as bool?;

    public long? GetInteger(string table, string key) => Get(table, key)?.Value as long?;

    /// <summary>The keys set in a table (dotted keys as "a.b"), in file order.</summary>
    public IReadOnlyList<string> Keys(string table)
        => View.Find(table) is { } found ? found.Pairs.Select(p => TomlSyntax.KeyName(p.Key)).ToList() : Array.Empty<string>();

    /// <summary>The 1-based line of a commented <c>#key = value</c> line inside the table, or null.</summary>
    public int? CommentedKeyLine(string table, string key) => FindCommentedKey(table, key, markedOnly: false) is int line ? line + 1 : null;

    /// <summary>The keys this module commented out with the marker in a table's region ("" for before the first table).</summary>
    public IReadOnlyList<string> MarkedKeys(string table)
    {
        var keys = new List<string>();
        foreach (int line in RegionLines(table))
        {
            if (MarkedKeyName(line) is string key)
            {
                keys.Add(key);
            }
        }
        return keys;
    }

    /// <summary>The 1-based line of an active table's header, or of a disabled table's marked header; null when neither.</summary>
    public int? HeaderLine(string table)
    {
        if (View.Find(table) is { } found)
        {
            return found.HeaderLine + 1;
        }
        return View.DisabledHeaders.FirstOrDefault(h => h.Name == table) is { } disabled ? disabled.Line + 1 : null;
    }

    // ---------------------------------------------------------------- edits

    /// <summary>
    /// Sets a key: an existing value is replaced in place (spacing and a comment after it stay); a key that is not set
    /// is written over its commented <c>#key = value</c> line when the table has one, else added after the table's
    /// last key. Returns what was done and the previous value.
    /// </summary>
    public SetOutcome Set(string table, string key, object value)
    {
        TomlValue wanted = TomlValue.Of(value);
        if (_standIn is char c && wanted.Text.Contains(c))
        {
            throw new IsulaKataException("KataConfigEditFailed", FailureKind.InvalidArgument,
                $"The value for '{key}' holds a character this editor uses internally for '{_path}'.", "Use another value.", value);
        }
        // The view as it is, even with tree edits pending: they keep its tables, and a commented key is in its lines
        // exactly when it is in the current text (tree edits add keys and replace values, never comments).
        Table owner = _view.Find(table) ?? throw new InvalidOperationException($"No table [{table}] to set '{key}' in.");
        if (FindPair(owner, key) is { } pair)
        {
            TomlValue before = Read(pair.Value);
            // A line is known only from a parse: with tree edits pending, lines may have moved.
            int? at = _stale ? null : pair.Span.Start.Line + 1;
            if (before.SameAs(wanted))
            {
                return new SetOutcome(SetAction.None, before, at);
            }
            ReplaceValue(pair, wanted);
            return new SetOutcome(SetAction.Replaced, before, at);
        }
        if (FindCommentedKey(_view, table, key, markedOnly: false) is not null && FindCommentedKey(table, key, markedOnly: false) is int line)
        {
            string text = Body(View.Lines[line]);
            string indent = text.Substring(0, text.Length - text.TrimStart().Length);
            EditLines(new Dictionary<int, string[]> { [line] = new[] { indent + key + " = " + wanted.Text } });
            return new SetOutcome(SetAction.Uncommented, null, line + 1);
        }
        AddPair(owner, key, wanted);
        return new SetOutcome(SetAction.Added, null, null);
    }

    /// <summary>Comments out an active key (every line of it) with the marker. Returns its 1-based line, or null when absent.</summary>
    public int? CommentOut(string table, string key)
    {
        if (View.Find(table) is not { } found || FindPair(found, key) is not { } pair)
        {
            return null;
        }
        MarkLines(pair.Span.Start.Line, pair.Span.End.Line);
        return pair.Span.Start.Line + 1;
    }

    /// <summary>Turns a key this module commented out (see <see cref="CommentOut"/>) back into the line it was.</summary>
    public bool RestoreKey(string table, string key)
    {
        foreach (int line in RegionLines(table))
        {
            if (MarkedKeyName(line) == key)
            {
                EditLines(new Dictionary<int, string[]> { [line] = new[] { Unmark(View.Lines[line]) } });
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Comments out a whole active table line by line with the marker: its header, its keys and every comment and
    /// blank line up to the next table, except the blank lines that separate it from the next table.
    /// </summary>
    public bool DisableTable(string table)
    {
        if (table.Length == 0 || View.Find(table) is not { } found)
        {
            return false;
        }
        int last = View.RegionEnd(found.HeaderLine);
        while (last > found.HeaderLine && View.Lines[last].Trim().Length == 0)
        {
            last--;
        }
        MarkLines(found.HeaderLine, last);
        return true;
    }

    /// <summary>Restores a table <see cref="DisableTable"/> commented out, exactly as it was.</summary>
    public bool RestoreTable(string table)
    {
        DisabledHeader? header = View.DisabledHeaders.FirstOrDefault(h => h.Name == table);
        if (header is null)
        {
            return false;
        }
        var edits = new Dictionary<int, string[]> { [header.Line] = new[] { Unmark(View.Lines[header.Line]) } };
        for (int line = header.Line + 1; line < View.Lines.Length; line++)
        {
            string text = View.Lines[line];
            if (!text.StartsWith(DisabledMarker, StringComparison.Ordinal) || View.IsDisabledHeader(line))
            {
                break;
            }
            edits[line] = new[] { Unmark(text) };
        }
        EditLines(edits);
        return true;
    }

    /// <summary>Adds an empty table (its header line and a blank line) before the given 1-based line, or at the end; with
    /// <paramref name="commentAbove"/>, that comment line right above the header (one edit, one parse).</summary>
    public void InsertTable(string table, int? beforeLine, string? commentAbove = null)
    {
        string[] header = commentAbove is null ? new[] { "[" + table + "]" } : new[] { commentAbove, "[" + table + "]" };
        int count = View.Lines.Length;
        if (beforeLine is int before && before >= 1 && before <= count)
        {
            EditLines(new Dictionary<int, string[]> { [before - 1] = header.Append(string.Empty).Append(Body(View.Lines[before - 1])).ToArray() });
            return;
        }
        // At the end: after a blank line, and ending with a newline.
        int last = count - 1;
        if (View.Lines[last].Length == 0)
        {
            bool blankBefore = last == 0 || View.Lines[last - 1].Trim().Length == 0;
            EditLines(new Dictionary<int, string[]> { [last] = (blankBefore ? header : header.Prepend(string.Empty)).Append(string.Empty).ToArray() });
        }
        else
        {
            EditLines(new Dictionary<int, string[]> { [last] = new[] { Body(View.Lines[last]), string.Empty }.Concat(header).Append(string.Empty).ToArray() });
        }
    }

    /// <summary>Line <paramref name="line"/> (1-based) without its line end; null outside the file or inside a multi-line value.</summary>
    public string? LineText(int line)
        => line >= 1 && line <= View.Lines.Length && !View.InsideValue(line - 1) ? Body(View.Lines[line - 1]) : null;

    /// <summary>The 1-based line an active key starts on, or null.</summary>
    public int? KeyLine(string table, string key)
        => View.Find(table) is { } found && FindPair(found, key) is { } pair ? pair.Span.Start.Line + 1 : null;

    /// <summary>The 1-based last line of a table's region (up to the next header, active or disabled), or null.</summary>
    public int? RegionEndLine(string table) => View.Find(table) is { } found ? View.RegionEnd(found.HeaderLine) + 1 : null;

    /// <summary>Replaces lines <paramref name="first"/>..<paramref name="last"/> (1-based, inclusive) by the lines given (none removes them).</summary>
    public void ReplaceLines(int first, int last, params string[] replacement)
    {
        var edits = new Dictionary<int, string[]> { [first - 1] = replacement };
        for (int line = first; line < last; line++)
        {
            edits[line] = Array.Empty<string>();
        }
        EditLines(edits);
    }

    // ---------------------------------------------------------------- line edits

    private void MarkLines(int first, int last)
    {
        var edits = new Dictionary<int, string[]>();
        for (int line = first; line <= last; line++)
        {
            edits[line] = new[] { Mark(View.Lines[line]) };
        }
        EditLines(edits);
    }

    /// <summary>Replaces each given 0-based line by the lines given (none removes it), keeping the file's line ends, then parses again.</summary>
    private void EditLines(IReadOnlyDictionary<int, string[]> edits)
    {
        string[] lines = View.Lines;
        var builder = new StringBuilder(_text.Length + 512);
        for (int i = 0; i < lines.Length; i++)
        {
            // lines come from text.Split('\n'): each keeps its "\r" in a CRLF file; the last is what follows the final newline.
            if (edits.TryGetValue(i, out string[]? replacement))
            {
                foreach (string line in replacement)
                {
                    builder.Append(line).Append(_newLine);
                }
                if (i == lines.Length - 1 && replacement.Length > 0)
                {
                    builder.Length -= _newLine.Length;
                }
                continue;
            }
            builder.Append(lines[i]);
            if (i < lines.Length - 1)
            {
                builder.Append('\n');
            }
        }
        Reparse(builder.ToString());
    }

    /// <summary>The view of the current text, parsed again first when tree edits are pending.</summary>
    private Snapshot View
    {
        get
        {
            if (_stale)
            {
                Reparse(_document.ToString());
            }
            return _view;
        }
    }

    private void Reparse(string text)
    {
        _stale = false;
        _text = text;
        _document = ParseChecked(text, _path, "KataConfigEditFailed");
        _view = new Snapshot(_document, _text);
    }

    // ---------------------------------------------------------------- tree edits

    private void ReplaceValue(KeyValueSyntax pair, TomlValue wanted)
    {
        ValueSyntax old = pair.Value!;
        ValueSyntax replacement = Create(wanted);
        SyntaxToken token = TomlSyntax.FirstToken(replacement)!;
        token.LeadingTrivia = TomlSyntax.FirstToken(old)?.LeadingTrivia;
        token.TrailingTrivia = TomlSyntax.LastToken(old)?.TrailingTrivia;
        replacement.LeadingTrivia = old.LeadingTrivia;
        replacement.TrailingTrivia = old.TrailingTrivia;
        pair.Value = replacement;
        _stale = true;
    }

    private void AddPair(Table owner, string key, TomlValue value)
    {
        TableSyntaxBase syntax = owner.Syntax ?? throw new InvalidOperationException("Adding keys before the first table is not supported.");
        var pair = new KeyValueSyntax(key, Create(value)) { EndOfLineToken = new SyntaxToken(TokenKind.NewLine, _newLine) };
        // The new key goes right after the table's last key (or its header). The comments and blank lines that
        // followed that line are trivia of its end-of-line token: they move to the new key's, so they still follow.
        KeyValueSyntax? lastPair = owner.Pairs.Count > 0 ? owner.Pairs[^1] : null;
        SyntaxToken anchor = lastPair is not null
            ? lastPair.EndOfLineToken ??= new SyntaxToken(TokenKind.NewLine, _newLine)
            : syntax.EndOfLineToken ??= new SyntaxToken(TokenKind.NewLine, _newLine);
        pair.EndOfLineToken.TrailingTrivia = anchor.TrailingTrivia;
        anchor.TrailingTrivia = null;
        syntax.Items.Add(pair);
        owner.Pairs.Add(pair);
        _stale = true;
    }

    private static ValueSyntax Create(TomlValue value) => value.Value switch
    {
        string s => new StringValueSyntax(s),
        bool b => new BooleanValueSyntax(b),
        long l => new IntegerValueSyntax(l),
        _ => throw new InvalidOperationException("Only strings, booleans and integers can be written."),
    };

    // ---------------------------------------------------------------- finding things

    private static KeyValueSyntax? FindPair(Table table, string key)
        => table.Pairs.FirstOrDefault(pair => TomlSyntax.KeyName(pair.Key) == key);

    /// <summary>The 0-based lines of a table's region (after its header up to the next table), or before the first table for "".</summary>
    private IEnumerable<int> RegionLines(string table) => RegionLines(View, table);

    private static IEnumerable<int> RegionLines(Snapshot view, string table)
    {
        int header;
        if (table.Length == 0)
        {
            header = -1;
        }
        else if (view.Find(table) is { } found)
        {
            header = found.HeaderLine;
        }
        else
        {
            yield break;
        }
        int last = header < 0 ? view.FirstBoundary() - 1 : view.RegionEnd(header);
        for (int line = header + 1; line <= last; line++)
        {
            if (!view.InsideValue(line))
            {
                yield return line;
            }
        }
    }

    /// <summary>The 0-based line of a <c>#key = ...</c> comment in the table's region, skipping lines inside
    /// multi-line values; with <paramref name="markedOnly"/>, only lines this module commented out.</summary>
    private int? FindCommentedKey(string table, string key, bool markedOnly) => FindCommentedKey(View, table, key, markedOnly);

    private static int? FindCommentedKey(Snapshot view, string table, string key, bool markedOnly)
    {
        foreach (int line in RegionLines(view, table))
        {
            string text = view.Lines[line].TrimStart();
            if (text.Length < key.Length + 2 || text[0] != '#')
            {
                continue;
            }
            bool marked = text.StartsWith(DisabledMarker, StringComparison.Ordinal);
            if (markedOnly && !marked)
            {
                continue;
            }
            // "#key = value" as shipped, or "#isulakata-disabled# key = value" as this module commented it out.
            ReadOnlySpan<char> rest = marked ? text.AsSpan(DisabledMarker.Length).TrimStart() : text.AsSpan(1).TrimStart();
            if (!rest.StartsWith(key, StringComparison.Ordinal))
            {
                continue;
            }
            rest = rest.Slice(key.Length).TrimStart();
            if (rest.Length > 0 && rest[0] == '=')
            {
                return line;
            }
        }
        return null;
    }

    /// <summary>The key of a line this module commented out ("#isulakata-disabled# a.b = ..."), as "a.b"; null otherwise.</summary>
    private string? MarkedKeyName(int line)
    {
        string text = View.Lines[line];
        if (!text.StartsWith(DisabledMarker + " ", StringComparison.Ordinal) || View.IsDisabledHeader(line))
        {
            return null;
        }
        string body = Body(text).Substring(DisabledMarker.Length + 1);
        int equals = body.IndexOf('=');
        if (equals <= 0)
        {
            return null;
        }
        string key = body.Substring(0, equals).Trim();
        if (key.Length == 0 || key.StartsWith('#') || key.StartsWith('['))
        {
            return null;
        }
        return string.Join('.', key.Split('.').Select(p => p.Trim().Trim('"')));
    }

    private TomlValue Read(ValueSyntax? value)
    {
        TomlValue read = value switch
        {
            StringValueSyntax s => new TomlValue(TomlValueKind.String, s.Value, s.Token?.Text ?? string.Empty),
            BooleanValueSyntax b => new TomlValue(TomlValueKind.Boolean, b.Value, b.Token?.Text ?? string.Empty),
            IntegerValueSyntax i => new TomlValue(TomlValueKind.Integer, i.Value, i.Token?.Text ?? string.Empty),
            null => new TomlValue(TomlValueKind.Other, null, string.Empty),
            _ => new TomlValue(TomlValueKind.Other, null, TomlSyntax.TokensOf(value)),
        };
        if (_standIn is not char c)
        {
            return read;
        }
        return new TomlValue(read.Kind, read.Value is string s2 ? s2.Replace(c, Replacement) : read.Value, read.Text.Replace(c, Replacement));
    }

    /// <summary>A line without the "\r" a CRLF file leaves on it.</summary>
    private static string Body(string line) => line.EndsWith('\r') ? line.Substring(0, line.Length - 1) : line;

    /// <summary>The marked form of a line: a blank line gets the bare marker, so no trailing space appears.</summary>
    private static string Mark(string line)
    {
        string body = Body(line);
        return body.Length == 0 ? DisabledMarker : DisabledMarker + " " + body;
    }

    private static string Unmark(string line)
    {
        string body = Body(line).Substring(DisabledMarker.Length);
        return body.StartsWith(' ') ? body.Substring(1) : body;
    }

    private static DocumentSyntax ParseChecked(string text, string path, string errorId)
    {
        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, path, validate: true);
        }
        catch (TomlException error)
        {
            // Tomlyn throws (rather than reporting a diagnostic) when values nest deeper than it allows.
            throw Invalid(errorId, path, $"'{path}' cannot be read as TOML: {error.Message}", $"Fix '{path}' (or restore it from a backup), then run the command again.", error);
        }
        if (!document.HasErrors)
        {
            return document;
        }
        DiagnosticMessage first = document.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
        int line = first.Span.Start.Line + 1;
        int column = first.Span.Start.Column + 1;
        return errorId == "KataConfigEditFailed"
            ? throw Invalid(errorId, path, $"Editing '{path}' would produce invalid TOML (line {line}, column {column}: {first.Message}); the file was not changed.",
                "Edit the file by hand, and report this as a bug in IsulaKata with the file attached.", null)
            : throw Invalid(errorId, path, $"'{path}' is not valid TOML: line {line}, column {column}: {first.Message}. The file was not changed.",
                $"Fix line {line} of '{path}' (or restore it from a backup), then run the command again.", null);
    }

    private static IsulaKataException Invalid(string errorId, string path, string message, string action, Exception? inner)
        => new(errorId, errorId == "KataConfigEditFailed" ? FailureKind.InvalidOperation : FailureKind.InvalidData, message, action, path, inner);

    /// <summary>What <see cref="Set"/> did: nothing, replaced the value, uncommented a <c>#key =</c> line, or added the key.</summary>
    public readonly record struct SetOutcome(SetAction Action, TomlValue? Previous, int? Line)
    {
        public bool Changed => Action != SetAction.None;
    }

    public enum SetAction
    {
        None,
        Replaced,
        Uncommented,
        Added,
    }

    private sealed class Table
    {
        public Table(string name, int headerLine, TableSyntaxBase? syntax, List<KeyValueSyntax> pairs)
        {
            Name = name;
            HeaderLine = headerLine;
            Syntax = syntax;
            Pairs = pairs;
        }

        public string Name { get; }

        /// <summary>0-based; -1 for the keys before the first table.</summary>
        public int HeaderLine { get; }

        public TableSyntaxBase? Syntax { get; }
        public List<KeyValueSyntax> Pairs { get; }
    }

    private sealed record DisabledHeader(string Name, int Line);

    /// <summary>What one parse tells: tables with their keys and header lines, disabled tables, lines inside multi-line values.</summary>
    private sealed class Snapshot
    {
        private readonly HashSet<int> _insideValues = new();
        private readonly int[] _boundaries;
        private readonly List<Table> _tables = new();
        private readonly Table _root;

        public Snapshot(DocumentSyntax document, string text)
        {
            var root = new List<KeyValueSyntax>();
            foreach (KeyValueSyntax pair in document.KeyValues)
            {
                root.Add(pair);
                NoteValueLines(pair);
            }
            _root = new Table(string.Empty, -1, null, root);
            foreach (TableSyntaxBase table in document.Tables)
            {
                var pairs = new List<KeyValueSyntax>();
                foreach (KeyValueSyntax pair in table.Items)
                {
                    pairs.Add(pair);
                    NoteValueLines(pair);
                }
                _tables.Add(new Table(TomlSyntax.KeyName(table.Name), table.OpenBracket?.Span.Start.Line ?? table.Span.Start.Line, table, pairs));
            }
            Lines = text.Split('\n');
            var disabled = new List<DisabledHeader>();
            for (int line = 0; line < Lines.Length; line++)
            {
                if (Lines[line].StartsWith(DisabledMarker + " [", StringComparison.Ordinal) && !_insideValues.Contains(line)
                    && DisabledName(Lines[line]) is string name)
                {
                    disabled.Add(new DisabledHeader(name, line));
                }
            }
            DisabledHeaders = disabled;
            _boundaries = _tables.Select(t => t.HeaderLine).Concat(disabled.Select(d => d.Line)).OrderBy(l => l).ToArray();
        }

        public string[] Lines { get; }
        public IReadOnlyList<Table> Tables => _tables;
        public IReadOnlyList<DisabledHeader> DisabledHeaders { get; }

        public Table? Find(string name) => name.Length == 0 ? _root : _tables.FirstOrDefault(t => t.Name == name);

        public bool InsideValue(int line) => _insideValues.Contains(line);

        public bool IsDisabledHeader(int line) => DisabledHeaders.Any(h => h.Line == line);

        /// <summary>The first table header (active or disabled), or the number of lines when there is none.</summary>
        public int FirstBoundary() => _boundaries.Length > 0 ? _boundaries[0] : LastLine() + 1;

        /// <summary>The last 0-based line before the next table header (active or disabled) after <paramref name="header"/>.</summary>
        public int RegionEnd(int header)
        {
            foreach (int boundary in _boundaries)
            {
                if (boundary > header)
                {
                    return boundary - 1;
                }
            }
            return LastLine();
        }

        /// <summary>The last element of the split is what follows the final newline: empty, not a line of its own.</summary>
        private int LastLine()
        {
            int last = Lines.Length - 1;
            return last > 0 && Lines[last].Length == 0 ? last - 1 : last;
        }

        private void NoteValueLines(KeyValueSyntax pair)
        {
            for (int line = pair.Span.Start.Line + 1; line <= pair.Span.End.Line; line++)
            {
                _insideValues.Add(line);
            }
        }

        /// <summary>"hypervisor.qemu" from "#isulakata-disabled# [hypervisor.qemu]  # comment"; null when not a table header.</summary>
        private static string? DisabledName(string line)
        {
            string body = line.Substring(DisabledMarker.Length + 1).TrimEnd('\r', ' ', '\t');
            bool array = body.StartsWith("[[", StringComparison.Ordinal);
            int open = array ? 2 : 1;
            int close = body.IndexOf(array ? "]]" : "]", StringComparison.Ordinal);
            if (close < open + 1)
            {
                return null;
            }
            string rest = body.Substring(close + open).Trim();
            if (rest.Length > 0 && rest[0] != '#')
            {
                return null;
            }
            string name = body.Substring(open, close - open).Trim();
            return name.Length == 0 || name.Contains('[') || name.Contains(',')
                ? null
                : string.Join('.', name.Split('.').Select(p => p.Trim().Trim('"')));
        }
    }
}
