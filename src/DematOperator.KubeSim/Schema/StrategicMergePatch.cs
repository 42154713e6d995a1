using System.Text.Json.Nodes;
using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Schema;

/// <summary>
/// Strategic merge patch for built-in kinds: a merge patch where the lists Kubernetes declares with a
/// patch merge key are merged item by item, plus the `$patch: delete|replace` directives and
/// `$deleteFromPrimitiveList`/`$setElementOrder` (the latter accepted and ignored).
/// </summary>
public static class StrategicMergePatch
{
    private static readonly Dictionary<string, string> MergeKeys = new()
    {
        ["containers"] = "name", ["initContainers"] = "name", ["ephemeralContainers"] = "name",
        ["volumes"] = "name", ["volumeMounts"] = "mountPath", ["volumeDevices"] = "devicePath",
        ["env"] = "name", ["ports"] = "containerPort", ["imagePullSecrets"] = "name",
        ["conditions"] = "type", ["ownerReferences"] = "uid", ["tolerations"] = "key",
        ["hostAliases"] = "ip", ["topologySpreadConstraints"] = "topologyKey", ["secrets"] = "name",
    };

    private static readonly HashSet<string> MergedPrimitiveLists = ["finalizers"];

    public static JsonObject Apply(JsonNode? original, JsonObject patch) => MergeObject(original as JsonObject ?? new JsonObject(), patch, parentKey: null);

    private static JsonObject MergeObject(JsonObject original, JsonObject patch, string? parentKey)
    {
        if ((string?)patch["$patch"] == "replace")
        {
            var replaced = (JsonObject)patch.DeepClone();
            replaced.Remove("$patch");
            return replaced;
        }
        var result = (JsonObject)original.DeepClone();
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal) || key == "$retainKeys") continue;
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (result[field] is JsonArray list && value is JsonArray remove)
                    foreach (var r in remove) for (var i = list.Count - 1; i >= 0; i--) if (JsonNode.DeepEquals(list[i], r)) list.RemoveAt(i);
                continue;
            }
            if (value is null) { result.Remove(key); continue; }
            var existing = result.TryGetPropertyValue(key, out var e) ? e : null;
            result[key] = value switch
            {
                JsonObject po when (string?)po["$patch"] == "delete" => null,
                JsonObject po => MergeObject(existing as JsonObject ?? new JsonObject(), po, key),
                JsonArray pa when MergeKeys.TryGetValue(key, out var mergeKey) && existing is JsonArray ea => MergeList(ea, pa, mergeKey),
                JsonArray pa when MergedPrimitiveLists.Contains(key) && existing is JsonArray ea => MergePrimitives(ea, pa),
                _ => value.DeepClone(),
            };
            if (value is JsonObject d && (string?)d["$patch"] == "delete") result.Remove(key);
        }
        return result;
    }

    private static JsonArray MergeList(JsonArray original, JsonArray patch, string mergeKey)
    {
        if (patch.OfType<JsonObject>().Any(p => (string?)p["$patch"] == "replace"))
            return new JsonArray(patch.OfType<JsonObject>().Where(p => (string?)p["$patch"] != "replace").Select(p => (JsonNode)p.DeepClone()).ToArray());
        var result = (JsonArray)original.DeepClone();
        foreach (var item in patch)
        {
            if (item is not JsonObject pi) { result.Add(item?.DeepClone()); continue; }
            var keyValue = pi[mergeKey];
            var index = -1;
            for (var i = 0; i < result.Count; i++)
                if (result[i] is JsonObject ri && JsonNode.DeepEquals(ri[mergeKey], keyValue)) { index = i; break; }
            if ((string?)pi["$patch"] == "delete") { if (index >= 0) result.RemoveAt(index); continue; }
            if (index >= 0) result[index] = MergeObject((JsonObject)result[index]!, pi, null);
            else result.Add(pi.DeepClone());
        }
        return result;
    }

    private static JsonArray MergePrimitives(JsonArray original, JsonArray patch)
    {
        var result = (JsonArray)original.DeepClone();
        foreach (var item in patch)
            if (!result.Any(r => JsonNode.DeepEquals(r, item))) result.Add(item?.DeepClone());
        return result;
    }
}
