using System.Text.Json.Nodes;

namespace DematOperator.Kube.Api;

public enum SelectorOperator { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

public sealed record SelectorRequirement(string Key, SelectorOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            SelectorOperator.Equals => has && value == Values[0],
            SelectorOperator.NotEquals => !has || value != Values[0],
            SelectorOperator.In => has && Values.Contains(value!),
            SelectorOperator.NotIn => !has || !Values.Contains(value!),
            SelectorOperator.Exists => has,
            SelectorOperator.DoesNotExist => !has,
            _ => false,
        };
    }

    public override string ToString() => Operator switch
    {
        SelectorOperator.Equals => $"{Key}={Values[0]}",
        SelectorOperator.NotEquals => $"{Key}!={Values[0]}",
        SelectorOperator.In => $"{Key} in ({string.Join(",", Values)})",
        SelectorOperator.NotIn => $"{Key} notin ({string.Join(",", Values)})",
        SelectorOperator.Exists => Key,
        _ => "!" + Key,
    };
}

/// <summary>
/// A label selector in the string syntax of apimachinery (`a=b,c!=d,e in (f,g),!h`) or built from a
/// metav1.LabelSelector object. An empty selector matches everything.
/// </summary>
public sealed class LabelSelector
{
    public static readonly LabelSelector Everything = new([]);

    public LabelSelector(IReadOnlyList<SelectorRequirement> requirements) => Requirements = requirements;

    public IReadOnlyList<SelectorRequirement> Requirements { get; }
    public bool IsEmpty => Requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string>? labels) =>
        Requirements.All(r => r.Matches(labels ?? EmptyLabels));

    public bool Matches(JsonObject? obj) => Matches(ObjectMetaAccess.Labels(obj));

    private static readonly Dictionary<string, string> EmptyLabels = new();

    public override string ToString() => string.Join(",", Requirements);

    /// <exception cref="FormatException">with apimachinery's wording when the text is not a selector.</exception>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var reqs = new List<SelectorRequirement>();
        var i = 0;
        var s = text;
        while (i < s.Length)
        {
            SkipSpace(s, ref i);
            if (i >= s.Length) break;
            var negated = false;
            if (s[i] == '!') { negated = true; i++; SkipSpace(s, ref i); }
            var key = ReadToken(s, ref i);
            if (key.Length == 0) throw new FormatException($"unable to parse requirement: found '{(i < s.Length ? s[i].ToString() : "")}', expected: identifier");
            ValidateKey(key);
            SkipSpace(s, ref i);
            if (negated)
            {
                reqs.Add(new(key, SelectorOperator.DoesNotExist, []));
            }
            else if (i >= s.Length || s[i] == ',')
            {
                reqs.Add(new(key, SelectorOperator.Exists, []));
            }
            else if (s[i] == '=' || s[i] == '!')
            {
                SelectorOperator op;
                if (s[i] == '!')
                {
                    if (i + 1 >= s.Length || s[i + 1] != '=') throw new FormatException("unable to parse requirement: expected '='");
                    op = SelectorOperator.NotEquals; i += 2;
                }
                else
                {
                    op = SelectorOperator.Equals; i += (i + 1 < s.Length && s[i + 1] == '=') ? 2 : 1;
                }
                SkipSpace(s, ref i);
                var value = ReadToken(s, ref i);
                ValidateValue(value);
                reqs.Add(new(key, op, [value]));
            }
            else
            {
                var word = ReadToken(s, ref i);
                var op = word switch
                {
                    "in" => SelectorOperator.In,
                    "notin" => SelectorOperator.NotIn,
                    _ => throw new FormatException($"unable to parse requirement: found '{word}', expected: in, notin, =, ==, !="),
                };
                SkipSpace(s, ref i);
                if (i >= s.Length || s[i] != '(') throw new FormatException("unable to parse requirement: found '', expected: '('");
                i++;
                var close = s.IndexOf(')', i);
                if (close < 0) throw new FormatException("unable to parse requirement: found '', expected: ')'");
                var values = s[i..close].Split(',').Select(v => v.Trim()).ToList();
                foreach (var v in values) ValidateValue(v);
                i = close + 1;
                reqs.Add(new(key, op, values));
            }
            SkipSpace(s, ref i);
            if (i < s.Length)
            {
                if (s[i] != ',') throw new FormatException($"unable to parse requirement: found '{s[i]}', expected: ','");
                i++;
            }
        }
        return new LabelSelector(reqs);
    }

    /// <summary>From a metav1.LabelSelector (`matchLabels` and `matchExpressions`). Null means "everything".</summary>
    public static LabelSelector FromObject(JsonNode? selector)
    {
        if (selector is not JsonObject o) return Everything;
        var reqs = new List<SelectorRequirement>();
        if (o["matchLabels"] is JsonObject ml)
            foreach (var (k, v) in ml) reqs.Add(new(k, SelectorOperator.Equals, [(string?)v ?? ""]));
        if (o["matchExpressions"] is JsonArray me)
            foreach (var e in me.OfType<JsonObject>())
            {
                var key = (string?)e["key"] ?? throw new FormatException("matchExpressions entry without key");
                var values = (e["values"] as JsonArray)?.Select(v => (string?)v ?? "").ToList() ?? [];
                var op = ((string?)e["operator"]) switch
                {
                    "In" => SelectorOperator.In,
                    "NotIn" => SelectorOperator.NotIn,
                    "Exists" => SelectorOperator.Exists,
                    "DoesNotExist" => SelectorOperator.DoesNotExist,
                    var other => throw new FormatException($"\"{other}\" is not a valid label selector operator"),
                };
                if (op is SelectorOperator.In or SelectorOperator.NotIn && values.Count == 0)
                    throw new FormatException($"values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
                reqs.Add(new(key, op, values));
            }
        return new LabelSelector(reqs);
    }

    private static void SkipSpace(string s, ref int i) { while (i < s.Length && char.IsWhiteSpace(s[i])) i++; }

    private static string ReadToken(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] is not (',' or '=' or '!' or '(' or ')')) i++;
        return s[start..i];
    }

    private static void ValidateKey(string key)
    {
        var name = key.Contains('/') ? key[(key.IndexOf('/') + 1)..] : key;
        if (name.Length is 0 or > 63 || !IsQualifiedNameChars(name))
            throw new FormatException($"invalid label key \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    }

    private static void ValidateValue(string value)
    {
        if (value.Length > 63 || (value.Length > 0 && !IsQualifiedNameChars(value)))
            throw new FormatException($"invalid label value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    }

    private static bool IsQualifiedNameChars(string s) =>
        char.IsAsciiLetterOrDigit(s[0]) && char.IsAsciiLetterOrDigit(s[^1]) &&
        s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
