using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Store;

/// <summary>Who is asking, and how: the parts of a request that change what a write does.</summary>
public sealed record RequestContext(string User, bool DryRun = false, string? FieldManager = null, string? FieldValidation = null)
{
    /// <summary>Warnings for the client (HTTP `Warning: 299` headers), e.g. unknown fields under fieldValidation=Warn.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>The manager a write without fieldManager is recorded under: the User-Agent up to its first "/", as kube-apiserver does.</summary>
    public string? UserAgentManager { get; init; }
    public string Manager => FieldManager ?? UserAgentManager ?? User;
    /// <summary>The force query parameter, only valid for server-side apply.</summary>
    public bool Force { get; init; }
    /// <summary>The managedFields a server-side apply computed, written instead of an update's.</summary>
    internal List<ManagedFieldsEntry>? AppliedEntries { get; init; }
    /// <summary>Set when a server-side apply created the object (201 instead of 200).</summary>
    public bool Created { get; set; }

    public static readonly RequestContext System = new("system:kube-sim");
}

/// <summary>The subresources a write may go through; Approval is certificates.k8s.io's /approval.</summary>
public enum Subresource { None, Status, Scale, Approval }

public sealed record ListOptions(
    LabelQuery Labels,
    FieldSelector Fields,
    int Limit = 0,
    string? Continue = null,
    string? ResourceVersion = null,
    string? ResourceVersionMatch = null)
{
    public static readonly ListOptions Everything = new(LabelQuery.Everything, FieldSelector.Everything);
}

public sealed record WatchOptions(
    LabelQuery Labels,
    FieldSelector Fields,
    string? ResourceVersion,
    bool AllowBookmarks = false,
    bool SendInitialEvents = false);

public enum PropagationPolicy { Background, Foreground, Orphan }

public sealed record DeleteOptions(
    PropagationPolicy? Propagation = null,
    string? PreconditionUid = null,
    string? PreconditionResourceVersion = null,
    long? GracePeriodSeconds = null);

/// <summary>
/// A field selector (apimachinery fields.ParseSelector: terms split on unescaped commas, operators =, == and !=,
/// backslash escapes), checked against the field labels the resource's strategy declares selectable.
/// </summary>
public sealed class FieldSelector
{
    public static readonly FieldSelector Everything = new([]);
    private readonly IReadOnlyList<(string Field, string? Path, bool Equal, string Value)> _terms;

    private FieldSelector(IReadOnlyList<(string, string?, bool, string)> terms) => _terms = terms;

    public bool IsEmpty => _terms.Count == 0;

    /// <summary>Parses against <paramref name="selectable"/> (field label to the object's JSON path); metadata.name and metadata.namespace always.</summary>
    public static FieldSelector Parse(string? text, IReadOnlyDictionary<string, string>? selectable = null)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var terms = new List<(string, string?, bool, string)>();
        foreach (var part in SplitUnescaped(text, ','))
        {
            if (part.Trim().Length == 0) continue;
            var (field, equal, value) = Term(text, part);
            string? path = field switch
            {
                "metadata.name" or "metadata.namespace" => null,
                _ when selectable?.TryGetValue(field, out var p) == true => p,
                _ => throw new NotSupportedException($"field label not supported: {field}"),
            };
            terms.Add((field, path, equal, value));
        }
        return new FieldSelector(terms);
    }

    private static (string Field, bool Equal, string Value) Term(string text, string part)
    {
        for (var i = 0; i < part.Length; i++)
        {
            if (part[i] == '\\') { i++; continue; }
            if (part[i] == '!' && i + 1 < part.Length && part[i + 1] == '=') return (part[..i].Trim(), false, Unescape(part[(i + 2)..]));
            if (part[i] == '=')
            {
                var rest = i + 1 < part.Length && part[i + 1] == '=' ? part[(i + 2)..] : part[(i + 1)..];
                return (part[..i].Trim(), true, Unescape(rest));
            }
        }
        throw new FormatException($"invalid selector: '{text}'; can't understand '{part}'");
    }

    private static IEnumerable<string> SplitUnescaped(string text, char separator)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\') { i++; continue; }
            if (text[i] != separator) continue;
            yield return text[start..i];
            start = i + 1;
        }
        yield return text[start..];
    }

    private static string Unescape(string value)
    {
        if (!value.Contains('\\')) return value;
        var sb = new System.Text.StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length) { sb.Append(value[++i]); continue; }
            sb.Append(value[i]);
        }
        return sb.ToString();
    }

    public bool Matches(StoredObject o)
    {
        System.Text.Json.Nodes.JsonObject? parsed = null;
        foreach (var (field, path, equal, value) in _terms)
        {
            var actual = field switch
            {
                "metadata.name" => o.Name,
                "metadata.namespace" => o.Namespace,
                // A field the object does not set selects as the empty string, as the field set's zero value.
                _ => Schema.JsonPaths.Get(parsed ??= o.Parse(), path!)?.ToString() ?? "",
            };
            if ((actual == value) != equal) return false;
        }
        return true;
    }
}
