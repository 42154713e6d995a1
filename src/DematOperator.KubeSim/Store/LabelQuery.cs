using System.Text.Json.Nodes;

namespace DematOperator.KubeSim.Store;

/// <summary>
/// Label selectors as the API server reads them, written here rather than borrowed from the operator's client so that
/// each side checks the other: the string grammar of apimachinery's <c>labels.Parse</c> (<c>k</c>, <c>!k</c>,
/// <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k&gt;1</c>, <c>k&lt;1</c>, terms
/// joined by commas) and metav1.LabelSelector objects (<c>matchLabels</c>, <c>matchExpressions</c>).
/// </summary>
public sealed class LabelQuery
{
    private enum Op { Exists, Absent, Equal, NotEqual, In, NotIn, Greater, Less }

    private sealed record Term(string Key, Op Op, IReadOnlyList<string> Values);

    public static readonly LabelQuery Everything = new([]);
    private readonly IReadOnlyList<Term> _terms;

    private LabelQuery(IReadOnlyList<Term> terms) => _terms = terms;

    public bool IsEmpty => _terms.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string>? labels) => _terms.All(t =>
    {
        string? value = null;
        var has = labels is not null && labels.TryGetValue(t.Key, out value);
        return t.Op switch
        {
            Op.Exists => has,
            Op.Absent => !has,
            Op.Equal => has && value == t.Values[0],
            Op.NotEqual => !has || value != t.Values[0],
            Op.In => has && t.Values.Contains(value!),
            Op.NotIn => !has || !t.Values.Contains(value!),
            // Gt and Lt compare integers; a label that is not one matches neither.
            Op.Greater => has && long.TryParse(value, out var g) && g > long.Parse(t.Values[0]),
            Op.Less => has && long.TryParse(value, out var l) && l < long.Parse(t.Values[0]),
            _ => false,
        };
    });

    /// <summary>The selector's string form, as a Scale's status.selector carries it.</summary>
    public override string ToString() => string.Join(",", _terms.Select(t => t.Op switch
    {
        Op.Exists => t.Key,
        Op.Absent => "!" + t.Key,
        Op.Equal => $"{t.Key}={t.Values[0]}",
        Op.NotEqual => $"{t.Key}!={t.Values[0]}",
        Op.In => $"{t.Key} in ({string.Join(",", t.Values)})",
        Op.NotIn => $"{t.Key} notin ({string.Join(",", t.Values)})",
        Op.Greater => $"{t.Key}>{t.Values[0]}",
        _ => $"{t.Key}<{t.Values[0]}",
    }));

    /// <exception cref="FormatException">The text is not a selector; the message says where.</exception>
    public static LabelQuery Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var tokens = Tokenize(text);
        var terms = new List<Term>();
        var i = 0;
        string Next(string expected) => i < tokens.Count ? tokens[i++] : throw new FormatException($"found '', expected: {expected}");
        while (i < tokens.Count)
        {
            var first = Next("identifier");
            if (first == "!")
            {
                terms.Add(new Term(Key(Next("identifier")), Op.Absent, []));
            }
            else
            {
                var key = Key(first);
                if (i == tokens.Count || tokens[i] == ",") terms.Add(new Term(key, Op.Exists, []));
                else
                {
                    var op = Next("operator");
                    switch (op)
                    {
                        case "=" or "==" or "!=":
                            var value = i < tokens.Count && tokens[i] != "," ? Value(tokens[i++]) : "";
                            terms.Add(new Term(key, op == "!=" ? Op.NotEqual : Op.Equal, [value]));
                            break;
                        case ">" or "<":
                            var number = Next("integer");
                            if (!long.TryParse(number, out _)) throw new FormatException($"for 'Gt', 'Lt' operators, the value must be an integer: '{number}'");
                            terms.Add(new Term(key, op == ">" ? Op.Greater : Op.Less, [number]));
                            break;
                        case "in" or "notin":
                            if (Next("'('") != "(") throw new FormatException($"found '{tokens[i - 1]}', expected: '('");
                            var values = new List<string>();
                            while (true)
                            {
                                var v = Next("')'");
                                if (v == ")") break;
                                if (v == ",") { values.Add(""); continue; }
                                values.Add(Value(v));
                                var sep = Next("',' or ')'");
                                if (sep == ")") break;
                                if (sep != ",") throw new FormatException($"found '{sep}', expected: ',' or ')'");
                            }
                            if (values.Count == 0) throw new FormatException("for 'in', 'notin' operators, values set can't be empty");
                            terms.Add(new Term(key, op == "in" ? Op.In : Op.NotIn, values));
                            break;
                        default:
                            throw new FormatException($"found '{op}', expected: '=', '!=', '==', 'in', notin'");
                    }
                }
            }
            if (i < tokens.Count && Next("','") != ",") throw new FormatException($"found '{tokens[i - 1]}', expected: ','");
        }
        return new LabelQuery(terms);
    }

    /// <summary>A metav1.LabelSelector: matchLabels are Equal terms, matchExpressions In, NotIn, Exists, DoesNotExist.</summary>
    public static LabelQuery FromObject(JsonNode? selector)
    {
        if (selector is not JsonObject o) return Everything;
        var terms = new List<Term>();
        foreach (var (key, value) in o["matchLabels"] as JsonObject ?? [])
            terms.Add(new Term(Key(key), Op.Equal, [Value((string?)value ?? "")]));
        foreach (var e in (o["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = Key((string?)e["key"] ?? "");
            var values = (e["values"] as JsonArray)?.Select(v => (string?)v ?? "").ToList() ?? [];
            var op = (string?)e["operator"] switch
            {
                "In" => Op.In,
                "NotIn" => Op.NotIn,
                "Exists" => Op.Exists,
                "DoesNotExist" => Op.Absent,
                var other => throw new FormatException($"\"{other}\" is not a valid label selector operator"),
            };
            if (op is Op.In or Op.NotIn && values.Count == 0) throw new FormatException($"for 'in', 'notin' operators, values set can't be empty");
            if (op is Op.Exists or Op.Absent && values.Count > 0) throw new FormatException($"values set must be empty for exists and does not exist");
            terms.Add(new Term(key, op, values));
        }
        return new LabelQuery(terms);
    }

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is ',' or '(' or ')' or '>' or '<') { tokens.Add(c.ToString()); i++; continue; }
            if (c == '=') { tokens.Add(i + 1 < text.Length && text[i + 1] == '=' ? "==" : "="); i += tokens[^1].Length; continue; }
            if (c == '!') { tokens.Add(i + 1 < text.Length && text[i + 1] == '=' ? "!=" : "!"); i += tokens[^1].Length; continue; }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not (',' or '(' or ')' or '=' or '!' or '>' or '<')) i++;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    /// <summary>A qualified name: an optional DNS-subdomain prefix and "/", then at most 63 alphanumerics, '-', '_' or '.', alphanumeric at both ends.</summary>
    private static string Key(string key)
    {
        var slash = key.IndexOf('/');
        var name = slash >= 0 ? key[(slash + 1)..] : key;
        var prefix = slash >= 0 ? key[..slash] : null;
        if (!IsLabelPart(name, allowEmpty: false) || (prefix is not null && !IsSubdomain(prefix)))
            throw new FormatException($"invalid label key \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
        return key;
    }

    private static string Value(string value) => IsLabelPart(value, allowEmpty: true) ? value
        : throw new FormatException($"invalid label value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");

    /// <summary>Why a label is invalid (metadata.labels validation), or null.</summary>
    public static string? Problem(string key, string value)
    {
        try { Key(key); Value(value); return null; }
        catch (FormatException e) { return e.Message; }
    }

    internal static bool IsLabelPart(string s, bool allowEmpty) =>
        s.Length == 0 ? allowEmpty
            : s.Length <= 63 && char.IsAsciiLetterOrDigit(s[0]) && char.IsAsciiLetterOrDigit(s[^1]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsSubdomain(string s) =>
        s.Length is > 0 and <= 253 && s.Split('.').All(p => p.Length is > 0 and <= 63 && char.IsAsciiLetterLower(p[0]) | char.IsAsciiDigit(p[0])
            && (char.IsAsciiLetterLower(p[^1]) || char.IsAsciiDigit(p[^1])) && p.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'));
}
