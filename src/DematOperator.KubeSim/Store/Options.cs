using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Store;

/// <summary>Who is asking, and how: the parts of a request that change what a write does.</summary>
public sealed record RequestContext(string User, bool DryRun = false, string? FieldManager = null, string? FieldValidation = null)
{
    /// <summary>Warnings for the client (HTTP `Warning: 299` headers), e.g. unknown fields under fieldValidation=Warn.</summary>
    public List<string> Warnings { get; } = [];

    public static readonly RequestContext System = new("system:kube-sim");
}

/// <summary>The subresources a write may go through; Approval is certificates.k8s.io's /approval.</summary>
public enum Subresource { None, Status, Scale, Approval }

public sealed record ListOptions(
    LabelSelector Labels,
    FieldSelector Fields,
    int Limit = 0,
    string? Continue = null,
    string? ResourceVersion = null,
    string? ResourceVersionMatch = null)
{
    public static readonly ListOptions Everything = new(LabelSelector.Everything, FieldSelector.Everything);
}

public sealed record WatchOptions(
    LabelSelector Labels,
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

/// <summary>Field selectors as custom resources support them: metadata.name and metadata.namespace only.</summary>
public sealed class FieldSelector
{
    public static readonly FieldSelector Everything = new([]);
    private readonly IReadOnlyList<(string Field, bool Equal, string Value)> _terms;

    private FieldSelector(IReadOnlyList<(string, bool, string)> terms) => _terms = terms;

    public bool IsEmpty => _terms.Count == 0;

    public static FieldSelector Parse(string? text, IReadOnlySet<string>? extraFields = null)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var terms = new List<(string, bool, string)>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0) continue;
            string field, value;
            bool equal;
            var ne = part.IndexOf("!=", StringComparison.Ordinal);
            if (ne > 0) { field = part[..ne]; value = part[(ne + 2)..]; equal = false; }
            else
            {
                var eq = part.IndexOf('=');
                if (eq <= 0) throw new FormatException($"invalid selector: '{text}'; can't understand '{part}'");
                field = part[..eq];
                value = part[(eq + 1)..].TrimStart('=');
                equal = true;
            }
            field = field.Trim();
            if (field is not ("metadata.name" or "metadata.namespace") && extraFields?.Contains(field) != true)
                throw new NotSupportedException($"field label not supported: {field}");
            terms.Add((field, equal, value.Trim()));
        }
        return new FieldSelector(terms);
    }

    public bool Matches(StoredObject o) => _terms.All(t =>
    {
        var actual = t.Field == "metadata.name" ? o.Name : t.Field == "metadata.namespace" ? o.Namespace : null;
        return (actual == t.Value) == t.Equal;
    });
}
