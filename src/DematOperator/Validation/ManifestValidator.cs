using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Certificates;
using DematOperator.Drills;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Validation;

public sealed record ValidationMessage(string File, int Line, string Message, bool Warning)
{
    public override string ToString() => $"{File}:{Line}: {(Warning ? "warning: " : "")}{Message}";
}

/// <summary>
/// Offline checks of our kinds in YAML files, for CI and GitOps pre-sync steps: the same structural schema the
/// cluster enforces (generated from the same C# types, unknown fields included), then the semantic rules the
/// operator applies. Documents of other kinds are ignored.
/// </summary>
public static class ManifestValidator
{
    private sealed record KindRules(JsonObject Schema, Func<JsonObject, Instant, IEnumerable<SpecProblem>> Semantics);

    private static readonly Dictionary<string, KindRules> Kinds = new()
    {
        ["BackupPolicy"] = Rules(OperatorKinds.BackupPolicies, (o, now) => BackupPolicyChecks.Check(o.Deserialize(OperatorJsonContext.Default.BackupPolicy)!.Spec, now)),
        ["PraDrill"] = Rules(OperatorKinds.PraDrills, (o, _) => PraDrillChecks.Check(o.Deserialize(OperatorJsonContext.Default.PraDrill)!.Spec)),
        ["ServiceLevel"] = Rules(OperatorKinds.ServiceLevels, (o, _) => ServiceLevelChecks.Check(o.Deserialize(OperatorJsonContext.Default.ServiceLevel)!.Spec)),
        ["CertificateRenewal"] = Rules(OperatorKinds.CertificateRenewals, (o, _) => CertificateRenewalChecks.Check(o.Deserialize(OperatorJsonContext.Default.CertificateRenewal)!.Spec)),
        ["RestoreRequest"] = Rules(OperatorKinds.RestoreRequests, (o, _) => Restores.RestoreDecisions.Check(o.Deserialize(OperatorJsonContext.Default.RestoreRequest)!.Spec)),
        // An Incident's ServiceLevel and its overlaps need the cluster; what its own fields say does not.
        ["Incident"] = Rules(OperatorKinds.Incidents,
            (o, now) => Incidents.IncidentChecks.Check(o.Deserialize(OperatorJsonContext.Default.Incident)!.Spec, now)),
    };

    /// <summary>The kinds `validate` checks: every kind of the API group.</summary>
    public static IReadOnlyCollection<string> KindNames => Kinds.Keys;

    /// <summary>The schema of the CRD as generated into config/crd/bases and embedded in the binary (no reflection over the types at run time).</summary>
    private static KindRules Rules<T>(ResourceType<T> type, Func<JsonObject, Instant, IEnumerable<SpecProblem>> semantics) where T : KubeObject
    {
        var resource = $"crd/{type.Group}_{type.Plural}.yaml";
        using var stream = typeof(ManifestValidator).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the CRD {resource} is not embedded in the operator");
        using var reader = new StreamReader(stream);
        var crd = YamlDocuments.ParseObjects(reader.ReadToEnd()).Single(d => (string?)d["kind"] == "CustomResourceDefinition");
        return new KindRules((JsonObject)crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!, semantics);
    }

    public static List<ValidationMessage> ValidatePaths(IEnumerable<string> paths, Instant now)
    {
        var messages = new List<ValidationMessage>();
        foreach (var path in paths)
        {
            var files = Directory.Exists(path)
                ? Directory.EnumerateFiles(path, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)
                : (IEnumerable<string>)[path];
            foreach (var file in files)
            {
                string text;
                try { text = File.ReadAllText(file); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    messages.Add(new ValidationMessage(file, 0, $"cannot read: {e.Message}", false));
                    continue;
                }
                messages.AddRange(ValidateText(text, file, now));
            }
        }
        return messages;
    }

    public static List<ValidationMessage> ValidateText(string text, string file, Instant now)
    {
        var messages = new List<ValidationMessage>();
        IReadOnlyList<YamlDocument> documents;
        try { documents = YamlDocuments.Parse(text); }
        catch (YamlDotNet.Core.YamlException e)
        {
            messages.Add(new ValidationMessage(file, (int)e.Start.Line, $"YAML syntax error: {e.Message.Split('\n')[0]}", false));
            return messages;
        }
        foreach (var doc in documents)
        {
            if (doc.Root is not JsonObject obj) continue;
            var apiVersion = (string?)obj["apiVersion"] ?? "";
            if (!apiVersion.StartsWith(Group.Name + "/", StringComparison.Ordinal)) continue;
            var kind = (string?)obj["kind"] ?? "";
            void Add(string field, string message, bool warning = false) => messages.Add(new ValidationMessage(file, doc.LineOf(field), message, warning));
            if (apiVersion != Group.ApiVersion) { Add("apiVersion", $"apiVersion {apiVersion} is not served: use {Group.ApiVersion}"); continue; }
            if (!Kinds.TryGetValue(kind, out var rules)) { Add("kind", $"unknown kind \"{kind}\" in {Group.Name}: expected one of {string.Join(", ", Kinds.Keys)}"); continue; }
            var name = ObjectMetaAccess.Name(obj) ?? (string?)(obj["metadata"] as JsonObject)?["generateName"];
            if (string.IsNullOrEmpty(name)) Add("metadata", "metadata.name is required");
            var copy = (JsonObject)obj.DeepClone();
            var pruned = SchemaValidator.DefaultAndPrune(copy, rules.Schema);
            foreach (var field in pruned) Add(field, $"{field}: unknown field (the cluster would reject it with fieldValidation=Strict, or silently drop it)");
            var causes = SchemaValidator.Validate(copy, rules.Schema);
            foreach (var cause in causes) Add(cause.Field, $"{cause.Field}: {cause.Message}");
            // The operator's rules run too, so one pass reports everything; a field the schema already
            // rejected is not reported twice, and a spec of the wrong shape cannot be read at all.
            var reported = causes.Select(c => c.Field).ToHashSet();
            IEnumerable<SpecProblem> problems;
            try { problems = rules.Semantics(copy, now).ToList(); }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
            {
                if (causes.Count == 0) Add("spec", $"spec cannot be read: {e.Message}");
                continue;
            }
            foreach (var p in problems.Where(p => !reported.Contains(p.Field))) Add(p.Field, $"{p.Field}: {p.Message}", p.Warning);
        }
        return messages;
    }
}
