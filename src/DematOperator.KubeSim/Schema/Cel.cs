using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Schema;

/// <summary>
/// The few shapes of CEL rule (x-kubernetes-validations) that the upstream CRDs we load use for
/// immutability and required-once-set checks. Any other rule is not evaluated (see docs/emulator.md);
/// our own CRDs never use CEL because the target clusters run Kubernetes 1.24.
/// </summary>
public static partial class Cel
{
    [GeneratedRegex(@"^\s*self\s*==\s*oldSelf\s*$")] private static partial Regex Immutable();
    [GeneratedRegex(@"^\s*!has\(oldSelf\.(\w+)\)\s*\|\|\s*has\(self\.(\w+)\)\s*$")] private static partial Regex RequiredOnceSet();
    [GeneratedRegex(@"^\s*size\(self\)\s*>\s*0\s*$")] private static partial Regex NonEmpty();
    [GeneratedRegex(@"^\s*has\(self\.(\w+)\)\s*&&\s*has\(self\.(\w+)\)\s*$")] private static partial Regex BothPresent();

    public static IEnumerable<StatusCause> CheckTransitionRules(JsonObject next, JsonObject old, JsonObject schema)
    {
        var causes = new List<StatusCause>();
        Walk(next, old, schema, "", causes, isRoot: true);
        return causes;
    }

    private static void Walk(JsonNode? self, JsonNode? oldSelf, JsonObject schema, string path, List<StatusCause> causes, bool isRoot)
    {
        if (!isRoot && schema["x-kubernetes-validations"] is JsonArray rules && self is not null)
            foreach (var rule in rules.OfType<JsonObject>())
            {
                var text = (string?)rule["rule"] ?? "";
                var message = (string?)rule["message"] ?? $"failed rule: {text}";
                var fieldPath = path + ((string?)rule["fieldPath"] ?? "");
                bool? ok = null;
                if (Immutable().IsMatch(text) && oldSelf is not null) ok = JsonNode.DeepEquals(self, oldSelf);
                else if (RequiredOnceSet().Match(text) is { Success: true } m && m.Groups[1].Value == m.Groups[2].Value && oldSelf is JsonObject oo && self is JsonObject so)
                    ok = !oo.ContainsKey(m.Groups[1].Value) || so.ContainsKey(m.Groups[1].Value);
                else if (NonEmpty().IsMatch(text)) ok = self is JsonArray a ? a.Count > 0 : self is JsonObject o ? o.Count > 0 : self.ToString().Length > 0;
                else if (BothPresent().Match(text) is { Success: true } b && self is JsonObject bo)
                    ok = bo.ContainsKey(b.Groups[1].Value.Replace("__namespace__", "namespace")) && bo.ContainsKey(b.Groups[2].Value.Replace("__namespace__", "namespace"));
                if (ok == false) causes.Add(new("FieldValueInvalid", $"Invalid value: \"object\": {message}", fieldPath));
            }
        if (self is JsonObject selfObj && schema["properties"] is JsonObject props)
            foreach (var (name, childSchema) in props)
                if (childSchema is JsonObject cs && selfObj.TryGetPropertyValue(name, out var child))
                    Walk(child, (oldSelf as JsonObject)?[name], cs, path.Length == 0 ? name : $"{path}.{name}", causes, isRoot: false);
    }
}
