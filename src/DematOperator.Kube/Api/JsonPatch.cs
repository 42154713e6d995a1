using System.Text.Json.Nodes;

namespace DematOperator.Kube.Api;

/// <summary>A JSON Patch or merge patch that cannot be applied; the API server answers these with 422 or 400.</summary>
public sealed class PatchException(string message, bool isTestFailure = false) : Exception(message)
{
    public bool IsTestFailure { get; } = isTestFailure;
}

/// <summary>RFC 6902 JSON Patch over System.Text.Json nodes.</summary>
public static class JsonPatch
{
    public static JsonNode? Apply(JsonNode? document, JsonArray operations)
    {
        var doc = document?.DeepClone();
        foreach (var raw in operations)
        {
            if (raw is not JsonObject op) throw new PatchException("invalid JSON Patch: operation is not an object");
            var kind = (string?)op["op"] ?? throw new PatchException("invalid JSON Patch: missing \"op\"");
            var path = (string?)op["path"] ?? throw new PatchException($"invalid JSON Patch: missing \"path\" in {kind}");
            switch (kind)
            {
                case "add": doc = Add(doc, path, Value(op)); break;
                case "remove": doc = Remove(doc, path, out _); break;
                case "replace":
                    doc = Remove(doc, path, out _);
                    doc = Add(doc, path, Value(op));
                    break;
                case "move":
                {
                    var from = (string?)op["from"] ?? throw new PatchException("invalid JSON Patch: missing \"from\"");
                    doc = Remove(doc, from, out var moved);
                    doc = Add(doc, path, moved);
                    break;
                }
                case "copy":
                {
                    var from = (string?)op["from"] ?? throw new PatchException("invalid JSON Patch: missing \"from\"");
                    doc = Add(doc, path, Get(doc, from)?.DeepClone());
                    break;
                }
                case "test":
                {
                    // Like the server's json-patch library, a missing path tests equal to null.
                    var actual = TryGet(doc, path, out var found) ? found : null;
                    if (!JsonNode.DeepEquals(actual, op["value"]))
                        throw new PatchException($"testing value {path} failed", isTestFailure: true);
                    break;
                }
                default: throw new PatchException($"Unexpected kind: {kind}");
            }
        }
        return doc;
    }

    private static JsonNode? Value(JsonObject op) =>
        op.TryGetPropertyValue("value", out var v) ? v?.DeepClone() : throw new PatchException("invalid JSON Patch: missing \"value\"");

    public static IReadOnlyList<string> ParsePointer(string pointer)
    {
        if (pointer.Length == 0) return [];
        if (pointer[0] != '/') throw new PatchException($"JSON pointer must start with '/': {pointer}");
        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToList();
    }

    public static bool TryGet(JsonNode? doc, string pointer, out JsonNode? value)
    {
        try { value = Get(doc, pointer); return true; }
        catch (PatchException) { value = null; return false; }
    }

    public static JsonNode? Get(JsonNode? doc, string pointer)
    {
        var current = doc;
        foreach (var token in ParsePointer(pointer))
        {
            current = current switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) => child,
                JsonArray a when int.TryParse(token, out var idx) && idx >= 0 && idx < a.Count => a[idx],
                _ => throw new PatchException($"doc is missing path: {pointer}"),
            };
        }
        return current;
    }

    private static JsonNode? Add(JsonNode? doc, string pointer, JsonNode? value)
    {
        var tokens = ParsePointer(pointer);
        if (tokens.Count == 0) return value;
        var parent = Navigate(doc, tokens, pointer);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a:
                if (last == "-") { a.Add(value); break; }
                if (!int.TryParse(last, out var idx) || idx < 0 || idx > a.Count)
                    throw new PatchException($"add operation: index out of bounds: {last}");
                a.Insert(idx, value);
                break;
            default: throw new PatchException($"doc is missing path: {pointer}");
        }
        return doc;
    }

    private static JsonNode? Remove(JsonNode? doc, string pointer, out JsonNode? removed)
    {
        var tokens = ParsePointer(pointer);
        if (tokens.Count == 0) { removed = doc; return null; }
        var parent = Navigate(doc, tokens, pointer);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var v):
                o.Remove(last);
                removed = v;
                break;
            case JsonArray a when int.TryParse(last, out var idx) && idx >= 0 && idx < a.Count:
                removed = a[idx];
                a.RemoveAt(idx);
                break;
            default: throw new PatchException($"Unable to remove nonexistent key: {last}: missing value");
        }
        return doc;
    }

    private static JsonNode Navigate(JsonNode? doc, IReadOnlyList<string> tokens, string pointer)
    {
        var current = doc;
        for (var i = 0; i < tokens.Count - 1; i++)
        {
            current = current switch
            {
                JsonObject o when o.TryGetPropertyValue(tokens[i], out var child) => child,
                JsonArray a when int.TryParse(tokens[i], out var idx) && idx >= 0 && idx < a.Count => a[idx],
                _ => null,
            };
        }
        return current ?? throw new PatchException($"doc is missing path: {pointer}: missing value");
    }
}

/// <summary>RFC 7386 JSON merge patch: apply one, or compute the one that turns an object into another.</summary>
public static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null) result.Remove(key);
            else result[key] = Apply(result.TryGetPropertyValue(key, out var existing) ? existing : null, value);
        }
        return result;
    }

    /// <summary>The merge patch that turns <paramref name="from"/> into <paramref name="to"/>; null when they are equal.</summary>
    public static JsonObject? Create(JsonObject from, JsonObject to)
    {
        var patch = new JsonObject();
        foreach (var (key, oldValue) in from)
            if (!to.ContainsKey(key)) patch[key] = null;
        foreach (var (key, newValue) in to)
        {
            from.TryGetPropertyValue(key, out var oldValue);
            if (JsonNode.DeepEquals(oldValue, newValue) && from.ContainsKey(key)) continue;
            if (oldValue is JsonObject oo && newValue is JsonObject no)
            {
                var nested = Create(oo, no);
                if (nested is not null) patch[key] = nested;
            }
            else patch[key] = newValue?.DeepClone();
        }
        return patch.Count == 0 ? null : patch;
    }
}
