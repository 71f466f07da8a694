using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using IsulaKata.Core;
using Tomlyn.Parsing;
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

    internal static TomlValue Of(object value) => value switch
    {
        string s => new TomlValue(TomlValueKind.String, s, new StringValueSyntax(s).ToString()),
        bool b => new TomlValue(TomlValueKind.Boolean, b, b ? "true" : "false"),
        long l => new TomlValue(TomlValueKind.Integer, l, l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        int i => new TomlValue(TomlValueKind.Integer, (long)i, i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
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

/// <summary>
/// Edits a TOML file (a kata configuration.toml) so that everything not edited stays byte for byte: comments,
/// blank lines, key order, spacing, the style of untouched values. Values are changed and keys added in Tomlyn's
/// syntax tree (the new value node takes over the old one's trivia); turning lines into comments and back
/// (commented keys, whole tables) is done on the lines, at line numbers taken from the tree.
/// </summary>
/// <remarks>
/// Edits are batched so a whole change costs few parses: line edits are queued against the last parse, tree edits
/// are deferred, and <see cref="Flush"/> (called by every read and by <see cref="Text"/>) applies the queued line
/// edits, parses the result once, then runs the deferred tree edits on the new tree. Within one batch, every
/// decision is taken on the text as it was when the batch started.
/// </remarks>
public sealed class TomlEditor
{
    /// <summary>Prefixed to every line of a table (or key) this module turned into a comment, so it can be restored.</summary>
    public const string DisabledMarker = "#isulakata-disabled#";

    private readonly string _path;
    private readonly string _newLine;
    private readonly SortedDictionary<int, LineEdit> _lineEdits = new();
    private readonly List<Action> _treeEdits = new();
    private string _text;
    private DocumentSyntax _document;
    private bool _treeChanged;
    private Snapshot? _snapshot;

    private TomlEditor(string text, string path, DocumentSyntax document)
    {
        _text = text;
        _path = path;
        _document = document;
        _newLine = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
    }

    /// <summary>Parses <paramref name="text"/>; invalid TOML is an <see cref="IsulaKataException"/> naming line and column.</summary>
    public static TomlEditor Parse(string text, string path) => new(text, path, ParseChecked(text, path, "KataConfigInvalid", validate: true));

    /// <summary>
    /// Checks text this editor produced, with Tomlyn's full validation (duplicate keys and tables too), before it is
    /// written. The parses between edits check the syntax only, which costs a quarter as much.
    /// </summary>
    public static void Verify(string text, string path) => ParseChecked(text, path, "KataConfigEditFailed", validate: true);

    /// <summary>The current text, with every edit applied.</summary>
    public string Text
    {
        get
        {
            Flush();
            if (_treeChanged)
            {
                _text = _document.ToString();
            }
            return _text;
        }
    }

    public override string ToString() => Text;

    // ---------------------------------------------------------------- reading (applies queued edits first)

    /// <summary>The names of the active tables, in file order ("hypervisor.qemu", "runtime", ...).</summary>
    public IReadOnlyList<string> TableNames
    {
        get
        {
            Flush();
            return ValueView.Tables.Select(t => t.Name).ToList();
        }
    }

    /// <summary>The names of the tables this module disabled (commented out with the marker), in file order.</summary>
    public IReadOnlyList<string> DisabledTableNames
    {
        get
        {
            Flush();
            return LineView.DisabledHeaders.Select(h => h.Name).ToList();
        }
    }

    public bool HasTable(string table)
    {
        Flush();
        return ValueView.Find(table) is not null;
    }

    /// <summary>The value of <paramref name="key"/> in <paramref name="table"/> ("" for the keys before the first
    /// table); null when the key is not set there.</summary>
    public TomlValue? Get(string table, string key)
    {
        Flush();
        KeyValueSyntax? pair = ValueView.Find(table) is { } found ? FindPair(found, key) : null;
        return pair is null ? null : Read(pair.Value);
    }

    public string? GetString(string table, string key) => Get(table, key)?.Value as string;

    public bool? GetBool(string table, string key) => Get(table, key)?.Value as bool?;

    public long? GetInteger(string table, string key) => Get(table, key)?.Value as long?;

    /// <summary>The keys set in a table, in file order.</summary>
    public IReadOnlyList<string> Keys(string table)
    {
        Flush();
        return ValueView.Find(table) is { } found ? found.Pairs.Select(p => KeyName(p.Key)).ToList() : Array.Empty<string>();
    }

    /// <summary>The 1-based line of a commented <c>#key = value</c> line inside the table, or null.</summary>
    public int? CommentedKeyLine(string table, string key)
    {
        Flush();
        return FindCommentedKey(LineView, table, key) is int line ? line + 1 : null;
    }

    /// <summary>The 1-based line of an active table's header, or of a disabled table's marked header; null when neither.</summary>
    public int? HeaderLine(string table)
    {
        Flush();
        Snapshot view = LineView;
        if (view.Find(table) is { } found)
        {
            return found.HeaderLine + 1;
        }
        return view.DisabledHeaders.FirstOrDefault(h => h.Name == table) is { } disabled ? disabled.Line + 1 : null;
    }

    // ---------------------------------------------------------------- edits (batched)

    /// <summary>
    /// Sets a key: an existing value is replaced in place (spacing and a comment after it stay); a key that is not set
    /// is written over its commented <c>#key = value</c> line when the table has one, else added after the table's
    /// last key. Returns what was done and the previous value.
    /// </summary>
    public SetOutcome Set(string table, string key, object value)
    {
        TomlValue wanted = TomlValue.Of(value);
        Snapshot view = BatchView;
        Table owner = view.Find(table) ?? throw new InvalidOperationException($"No table [{table}] to set '{key}' in.");
        if (FindPair(owner, key) is { } pair)
        {
            TomlValue before = Read(pair.Value);
            if (before.SameAs(wanted))
            {
                return new SetOutcome(SetAction.None, before, pair.Span.Start.Line + 1);
            }
            EnsureUntouched(pair.Span.Start.Line, pair.Span.End.Line);
            _treeEdits.Add(() => ReplaceValue(FindLive(table, key), wanted));
            return new SetOutcome(SetAction.Replaced, before, pair.Span.Start.Line + 1);
        }
        if (FindCommentedKey(view, table, key) is int line)
        {
            string text = view.Lines[line];
            string indent = text.Substring(0, text.Length - text.TrimStart().Length);
            Queue(line, new LineEdit { Replacement = indent + key + " = " + wanted.Text });
            return new SetOutcome(SetAction.Uncommented, null, line + 1);
        }
        _treeEdits.Add(() => AddPair(table, key, wanted));
        return new SetOutcome(SetAction.Added, null, null);
    }

    /// <summary>Comments out an active key (every line of it) with the marker. Returns its 1-based line, or null when absent.</summary>
    public int? CommentOut(string table, string key)
    {
        Snapshot view = BatchView;
        if (view.Find(table) is not { } found || FindPair(found, key) is not { } pair)
        {
            return null;
        }
        for (int line = pair.Span.Start.Line; line <= pair.Span.End.Line; line++)
        {
            Queue(line, new LineEdit { Replacement = Mark(view.Lines[line]) });
        }
        return pair.Span.Start.Line + 1;
    }

    /// <summary>
    /// Comments out a whole active table line by line with the marker: its header, its keys and every comment and
    /// blank line up to the next table, except the blank lines that separate it from the next table.
    /// </summary>
    public bool DisableTable(string table)
    {
        Snapshot view = BatchView;
        if (table.Length == 0 || view.Find(table) is not { } found)
        {
            return false;
        }
        int last = view.RegionEnd(found.HeaderLine);
        while (last > found.HeaderLine && view.Lines[last].Trim().Length == 0)
        {
            last--;
        }
        for (int line = found.HeaderLine; line <= last; line++)
        {
            Queue(line, new LineEdit { Replacement = Mark(view.Lines[line]) });
        }
        return true;
    }

    /// <summary>Restores a table <see cref="DisableTable"/> commented out, exactly as it was.</summary>
    public bool RestoreTable(string table)
    {
        Snapshot view = BatchView;
        DisabledHeader? header = view.DisabledHeaders.FirstOrDefault(h => h.Name == table);
        if (header is null)
        {
            return false;
        }
        Queue(header.Line, new LineEdit { Replacement = Unmark(view.Lines[header.Line]) });
        for (int line = header.Line + 1; line < view.Lines.Length; line++)
        {
            string text = view.Lines[line];
            if (!text.StartsWith(DisabledMarker, StringComparison.Ordinal) || view.IsDisabledHeader(line))
            {
                break;
            }
            Queue(line, new LineEdit { Replacement = Unmark(text) });
        }
        return true;
    }

    /// <summary>Adds an empty table (its header line and a blank line) before the given 1-based line, or at the end.</summary>
    public void InsertTable(string table, int? beforeLine)
    {
        Snapshot view = BatchView;
        int count = view.Lines.Length;
        if (beforeLine is int before && before >= 1 && before <= count)
        {
            Queue(before - 1, new LineEdit { Before = new[] { "[" + table + "]", string.Empty } });
            return;
        }
        // At the end: after a blank line, and ending with a newline.
        int last = count - 1;
        bool endsWithNewLine = view.Lines[last].Length == 0;
        if (endsWithNewLine)
        {
            bool blankBefore = last == 0 || view.Lines[last - 1].Trim().Length == 0;
            Queue(last, new LineEdit { Before = blankBefore ? new[] { "[" + table + "]" } : new[] { string.Empty, "[" + table + "]" } });
        }
        else
        {
            Queue(last, new LineEdit { After = new[] { string.Empty, "[" + table + "]", string.Empty } });
        }
    }

    /// <summary>Applies the queued line edits, parses the result once, then runs the deferred tree edits.</summary>
    public void Flush()
    {
        if (_lineEdits.Count > 0)
        {
            _text = ApplyLines(LineView.Lines);
            _lineEdits.Clear();
            _document = ParseChecked(_text, _path, "KataConfigEditFailed", validate: false);
            _treeChanged = false;
            _snapshot = null;
        }
        if (_treeEdits.Count > 0)
        {
            Action[] edits = _treeEdits.ToArray();
            _treeEdits.Clear();
            foreach (Action edit in edits)
            {
                edit();
            }
        }
    }

    // ---------------------------------------------------------------- views of the document

    /// <summary>The last parse as it stands, for decisions inside a batch: line edits refer to its line numbers.</summary>
    private Snapshot BatchView
    {
        get
        {
            if (_lineEdits.Count == 0 && _treeEdits.Count == 0 && _treeChanged)
            {
                Reparse();
            }
            else if (_treeChanged)
            {
                throw new InvalidOperationException("A batch was started on a tree with unparsed edits.");
            }
            return LineView;
        }
    }

    /// <summary>Tables and their lines; valid while the tree holds no edit since the last parse.</summary>
    private Snapshot LineView
    {
        get
        {
            if (_treeChanged)
            {
                Reparse();
            }
            return _snapshot ??= new Snapshot(_document, _text);
        }
    }

    /// <summary>Tables and their keys; line numbers are not needed, so tree edits need no new parse.</summary>
    private Snapshot ValueView => _treeChanged ? new Snapshot(_document, null) : LineView;

    private void Reparse()
    {
        _text = _document.ToString();
        _document = ParseChecked(_text, _path, "KataConfigEditFailed", validate: false);
        _treeChanged = false;
        _snapshot = null;
    }

    private void Queue(int line, LineEdit edit)
    {
        if (!_lineEdits.TryGetValue(line, out LineEdit? existing))
        {
            _lineEdits[line] = edit;
            return;
        }
        if ((existing.Replacement is not null && edit.Replacement is not null) || (existing.Before is not null && edit.Before is not null)
            || (existing.After is not null && edit.After is not null))
        {
            throw new InvalidOperationException($"Line {line + 1} of '{_path}' was edited twice in one batch.");
        }
        existing.Replacement ??= edit.Replacement;
        existing.Before ??= edit.Before;
        existing.After ??= edit.After;
    }

    private void EnsureUntouched(int first, int last)
    {
        for (int line = first; line <= last; line++)
        {
            if (_lineEdits.ContainsKey(line))
            {
                throw new InvalidOperationException($"Line {line + 1} of '{_path}' is edited as a line and as a value in one batch.");
            }
        }
    }

    private string ApplyLines(string[] lines)
    {
        // lines come from text.Split('\n'): each keeps its "\r" in a CRLF file; the last is what follows the final newline.
        string lineEnd = _newLine == "\r\n" ? "\r\n" : "\n";
        var builder = new StringBuilder(_text.Length + 512);
        for (int i = 0; i < lines.Length; i++)
        {
            bool last = i == lines.Length - 1;
            _lineEdits.TryGetValue(i, out LineEdit? edit);
            if (edit?.Before is { } before)
            {
                foreach (string inserted in before)
                {
                    builder.Append(inserted).Append(lineEnd);
                }
            }
            if (edit?.Replacement is { } replacement)
            {
                builder.Append(replacement);
                if (lines[i].EndsWith('\r'))
                {
                    builder.Append('\r');
                }
            }
            else
            {
                builder.Append(lines[i]);
            }
            if (edit?.After is { } after)
            {
                foreach (string appended in after)
                {
                    builder.Append(lineEnd).Append(appended);
                }
            }
            if (!last)
            {
                builder.Append('\n');
            }
        }
        return builder.ToString();
    }

    private KeyValueSyntax FindLive(string table, string key)
        => (ValueView.Find(table) is { } found ? FindPair(found, key) : null)
           ?? throw new InvalidOperationException($"'{key}' vanished from [{table}] during an edit.");

    private static KeyValueSyntax? FindPair(Table table, string key)
    {
        foreach (KeyValueSyntax pair in table.Pairs)
        {
            if (KeyName(pair.Key) == key)
            {
                return pair;
            }
        }
        return null;
    }

    /// <summary>The 0-based line of a <c>#key = ...</c> comment between the table's header and the next table
    /// (active or disabled), skipping lines inside multi-line values and lines this module disabled.</summary>
    private static int? FindCommentedKey(Snapshot view, string table, string key)
    {
        if (view.Find(table) is not { } found)
        {
            return null;
        }
        int last = view.RegionEnd(found.HeaderLine);
        for (int line = found.HeaderLine + 1; line <= last; line++)
        {
            string text = view.Lines[line].TrimStart();
            if (text.Length < key.Length + 2 || text[0] != '#' || view.InsideValue(line))
            {
                continue;
            }
            // "#key = value" as shipped, or "#isulakata-disabled# key = value" as this module commented it out.
            ReadOnlySpan<char> rest = text.StartsWith(DisabledMarker, StringComparison.Ordinal)
                ? text.AsSpan(DisabledMarker.Length).TrimStart()
                : text.AsSpan(1).TrimStart();
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

    private void ReplaceValue(KeyValueSyntax pair, TomlValue wanted)
    {
        ValueSyntax old = pair.Value!;
        ValueSyntax replacement = Create(wanted);
        SyntaxToken token = FirstToken(replacement)!;
        token.LeadingTrivia = FirstToken(old)?.LeadingTrivia;
        token.TrailingTrivia = LastToken(old)?.TrailingTrivia;
        replacement.LeadingTrivia = old.LeadingTrivia;
        replacement.TrailingTrivia = old.TrailingTrivia;
        pair.Value = replacement;
        _treeChanged = true;
    }

    private void AddPair(string table, string key, TomlValue value)
    {
        Table owner = ValueView.Find(table) ?? throw new InvalidOperationException($"No table [{table}] to add '{key}' to.");
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
        _treeChanged = true;
    }

    private static ValueSyntax Create(TomlValue value) => value.Value switch
    {
        string s => new StringValueSyntax(s),
        bool b => new BooleanValueSyntax(b),
        long l => new IntegerValueSyntax(l),
        _ => throw new InvalidOperationException("Only strings, booleans and integers can be written."),
    };

    private static TomlValue Read(ValueSyntax? value) => value switch
    {
        StringValueSyntax s => new TomlValue(TomlValueKind.String, s.Value, s.Token?.Text ?? string.Empty),
        BooleanValueSyntax b => new TomlValue(TomlValueKind.Boolean, b.Value, b.Token?.Text ?? string.Empty),
        IntegerValueSyntax i => new TomlValue(TomlValueKind.Integer, i.Value, i.Token?.Text ?? string.Empty),
        null => new TomlValue(TomlValueKind.Other, null, string.Empty),
        _ => new TomlValue(TomlValueKind.Other, null, TokensOf(value)),
    };

    private static string TokensOf(SyntaxNode node)
    {
        var builder = new StringBuilder();
        AppendTokens(node, builder);
        return builder.ToString();
    }

    private static void AppendTokens(SyntaxNode node, StringBuilder builder)
    {
        if (node is SyntaxToken token)
        {
            builder.Append(token.Text);
            return;
        }
        for (int i = 0; i < node.ChildrenCount; i++)
        {
            if (node.GetChild(i) is { } child)
            {
                AppendTokens(child, builder);
            }
        }
    }

    private static SyntaxToken? FirstToken(SyntaxNode node)
    {
        if (node is SyntaxToken token)
        {
            return token;
        }
        for (int i = 0; i < node.ChildrenCount; i++)
        {
            if (node.GetChild(i) is { } child && FirstToken(child) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    private static SyntaxToken? LastToken(SyntaxNode node)
    {
        if (node is SyntaxToken token)
        {
            return token;
        }
        for (int i = node.ChildrenCount - 1; i >= 0; i--)
        {
            if (node.GetChild(i) is { } child && LastToken(child) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    /// <summary>"hypervisor.qemu" for <c>[hypervisor.qemu]</c> or <c>[ hypervisor . "qemu" ]</c>.</summary>
    internal static string KeyName(KeySyntax? key)
    {
        if (key is null)
        {
            return string.Empty;
        }
        var builder = new StringBuilder(Part(key.Key));
        if (key.DotKeys is { } dots)
        {
            foreach (DottedKeyItemSyntax item in dots)
            {
                builder.Append('.').Append(Part(item.Key));
            }
        }
        return builder.ToString();
    }

    private static string Part(BareKeyOrStringValueSyntax? part) => part switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => string.Empty,
    };

    /// <summary>The marked form of a line (without its "\r", which the writer keeps): a blank line gets the bare
    /// marker, so no trailing space appears.</summary>
    private static string Mark(string line)
    {
        string body = line.EndsWith('\r') ? line.Substring(0, line.Length - 1) : line;
        return body.Length == 0 ? DisabledMarker : DisabledMarker + " " + body;
    }

    private static string Unmark(string line)
    {
        string body = line.EndsWith('\r') ? line.Substring(0, line.Length - 1) : line;
        body = body.Substring(DisabledMarker.Length);
        return body.StartsWith(' ') ? body.Substring(1) : body;
    }

    private static DocumentSyntax ParseChecked(string text, string path, string errorId, bool validate)
    {
        DocumentSyntax document = SyntaxParser.Parse(text, path, validate);
        if (!document.HasErrors)
        {
            return document;
        }
        DiagnosticMessage first = document.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
        int line = first.Span.Start.Line + 1;
        int column = first.Span.Start.Column + 1;
        if (errorId == "KataConfigEditFailed")
        {
            throw new IsulaKataException(errorId, FailureKind.InvalidOperation,
                $"Editing '{path}' would produce invalid TOML (line {line}, column {column}: {first.Message}); the file was not changed.",
                "Edit the file by hand, and report this as a bug in IsulaKata with the file attached.", path);
        }
        throw new IsulaKataException(errorId, FailureKind.InvalidData,
            $"'{path}' is not valid TOML: line {line}, column {column}: {first.Message}. The file was not changed.",
            $"Fix line {line} of '{path}' (or restore it from a backup), then run the command again.", path);
    }

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

    private sealed class LineEdit
    {
        public string[]? Before { get; set; }
        public string? Replacement { get; set; }
        public string[]? After { get; set; }
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

    /// <summary>What one parse tells: tables with their keys and header lines, disabled tables, lines inside
    /// multi-line values. Built without text (null) when only keys and values are wanted.</summary>
    private sealed class Snapshot
    {
        private readonly HashSet<int> _insideValues = new();
        private readonly int[] _boundaries = Array.Empty<int>();
        private readonly List<Table> _tables = new();

        public Snapshot(DocumentSyntax document, string? text)
        {
            bool lines = text is not null;
            var root = new List<KeyValueSyntax>();
            foreach (KeyValueSyntax pair in document.KeyValues)
            {
                root.Add(pair);
                if (lines)
                {
                    NoteValueLines(pair);
                }
            }
            Root = new Table(string.Empty, -1, null, root);
            foreach (TableSyntaxBase table in document.Tables)
            {
                var pairs = new List<KeyValueSyntax>();
                foreach (KeyValueSyntax pair in table.Items)
                {
                    pairs.Add(pair);
                    if (lines)
                    {
                        NoteValueLines(pair);
                    }
                }
                _tables.Add(new Table(KeyName(table.Name), table.OpenBracket?.Span.Start.Line ?? table.Span.Start.Line, table, pairs));
            }
            Lines = text?.Split('\n') ?? Array.Empty<string>();
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
            if (lines)
            {
                _boundaries = _tables.Select(t => t.HeaderLine).Concat(disabled.Select(d => d.Line)).OrderBy(l => l).ToArray();
            }
        }

        public string[] Lines { get; }
        public IReadOnlyList<Table> Tables => _tables;
        public Table Root { get; }
        public IReadOnlyList<DisabledHeader> DisabledHeaders { get; }

        public Table? Find(string name)
        {
            if (name.Length == 0)
            {
                return Root;
            }
            foreach (Table table in _tables)
            {
                if (table.Name == name)
                {
                    return table;
                }
            }
            return null;
        }

        public bool InsideValue(int line) => _insideValues.Contains(line);

        public bool IsDisabledHeader(int line) => DisabledHeaders.Any(h => h.Line == line);

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
            // The last element of the split is what follows the final newline: empty, not a line of the region.
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
            int close = body.IndexOf(']');
            if (close < 2 || body.StartsWith("[[", StringComparison.Ordinal))
            {
                return null;
            }
            string rest = body.Substring(close + 1).Trim();
            if (rest.Length > 0 && rest[0] != '#')
            {
                return null;
            }
            string name = body.Substring(1, close - 1).Trim();
            return name.Length == 0 || name.Contains('[') || name.Contains(',')
                ? null
                : string.Join('.', name.Split('.').Select(p => p.Trim().Trim('"')));
        }
    }
}
