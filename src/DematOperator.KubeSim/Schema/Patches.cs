using System.Text.Json.Nodes;

namespace DematOperator.KubeSim.Schema;

/// <summary>A patch that cannot apply: 400, or 422 when a JSON Patch <c>test</c> failed (as kube-apiserver answers).</summary>
public sealed class PatchFailure(string message, bool isTestFailure = false) : Exception(message)
{
    public bool IsTestFailure { get; } = isTestFailure;
}

/// <summary>
/// JSON Patch (RFC 6902, with kube-apiserver's reading of a missing member in <c>test</c>) and JSON Merge Patch
/// (RFC 7386) as the API server applies them, written here rather than borrowed from the operator's client so that
/// each side checks the other.
/// </summary>
public static class Patches
{
    /// <summary>RFC 7386: objects merge member by member, null removes, anything else replaces.</summary>
    public static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null) result.Remove(name);
            else result[name] = Merge(result.TryGetPropertyValue(name, out var existing) ? existing : null, value);
        }
        return result;
    }

    /// <summary>RFC 6902: the operations in order, on a copy; any failure leaves the document untouched.</summary>
    public static JsonNode? Json(JsonNode? document, JsonArray operations)
    {
        var root = new JsonObject { ["doc"] = document?.DeepClone() };
        foreach (var item in operations)
        {
            if (item is not JsonObject op) throw new PatchFailure("json patch operations must be objects");
            var name = (string?)op["op"] ?? throw new PatchFailure("json patch operation has no \"op\"");
            var path = (string?)op["path"] ?? throw new PatchFailure($"{name} operation has no \"path\"");
            switch (name)
            {
                case "add":
                    Add(root, path, Required(op, name).DeepClone(), name);
                    break;
                case "remove":
                    Take(root, path, name);
                    break;
                case "replace":
                    Take(root, path, name);
                    Add(root, path, Required(op, name).DeepClone(), name);
                    break;
                case "move":
                    var from = (string?)op["from"] ?? throw new PatchFailure("move operation has no \"from\"");
                    if (path.StartsWith(from + "/", StringComparison.Ordinal)) throw new PatchFailure($"move operation can not move a value into one of its children: {from} -> {path}");
                    Add(root, path, Take(root, from, name), name);
                    break;
                case "copy":
                    var source = (string?)op["from"] ?? throw new PatchFailure("copy operation has no \"from\"");
                    Add(root, path, Get(root, source, name)?.DeepClone(), name);
                    break;
                case "test":
                    var expected = op.TryGetPropertyValue("value", out var v) ? v : throw new PatchFailure("test operation has no \"value\"");
                    if (!JsonNode.DeepEquals(TestedValue(root, path), expected))
                        throw new PatchFailure($"testing value {path} failed: test failed", isTestFailure: true);
                    break;
                default:
                    throw new PatchFailure($"Unexpected kind: {name}");
            }
        }
        return root["doc"];
    }

    /// <summary>
    /// What a test compares: kube-apiserver's JSON patch (evanphx/json-patch) reads a member missing from an existing
    /// object as null, so <c>{"op":"test","path":"/metadata/finalizers","value":null}</c> passes when there is none (RFC
    /// 6902 would refuse it); a missing parent is an error.
    /// </summary>
    private static JsonNode? TestedValue(JsonObject root, string pointer)
    {
        var (parent, last) = Parent(root, pointer, "test");
        return parent switch
        {
            JsonObject o => o.TryGetPropertyValue(last, out var value) ? value : null,
            JsonArray a when int.TryParse(last, out var index) && index >= 0 && index < a.Count => a[index],
            _ => throw new PatchFailure($"test operation does not apply: is missing path: {pointer}"),
        };
    }

    private static JsonNode? Required(JsonObject op, string name) =>
        op.TryGetPropertyValue("value", out var value) ? value : throw new PatchFailure($"{name} operation has no \"value\"");

    /// <summary>The pointer's tokens under the wrapper's "doc" member, unescaped (~1 is '/', ~0 is '~').</summary>
    private static List<string> Tokens(string pointer)
    {
        if (pointer.Length > 0 && pointer[0] != '/') throw new PatchFailure($"invalid JSON pointer: \"{pointer}\"");
        var tokens = new List<string> { "doc" };
        if (pointer.Length > 0) tokens.AddRange(pointer[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")));
        return tokens;
    }

    private static (JsonNode Parent, string Last) Parent(JsonObject root, string pointer, string op)
    {
        var tokens = Tokens(pointer);
        JsonNode? node = root;
        foreach (var token in tokens.Take(tokens.Count - 1))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) => child,
                JsonArray a when int.TryParse(token, out var index) && index >= 0 && index < a.Count => a[index],
                _ => null,
            };
            if (node is null) throw new PatchFailure($"{op} operation does not apply: doc is missing path: \"{pointer}\": missing value");
        }
        return (node!, tokens[^1]);
    }

    private static JsonNode? Get(JsonObject root, string pointer, string op)
    {
        var (parent, last) = Parent(root, pointer, op);
        return parent switch
        {
            JsonObject o when o.TryGetPropertyValue(last, out var value) => value,
            JsonArray a when int.TryParse(last, out var index) && index >= 0 && index < a.Count => a[index],
            _ => throw new PatchFailure($"{op} operation does not apply: doc is missing path: \"{pointer}\": missing value"),
        };
    }

    private static void Add(JsonObject root, string pointer, JsonNode? value, string op)
    {
        var (parent, last) = Parent(root, pointer, op);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var index) && index >= 0 && index <= a.Count:
                a.Insert(index, value);
                break;
            default:
                throw new PatchFailure($"{op} operation does not apply: doc is missing path: \"{pointer}\": missing value");
        }
    }

    private static JsonNode? Take(JsonObject root, string pointer, string op)
    {
        var (parent, last) = Parent(root, pointer, op);
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var value):
                o.Remove(last);
                return value;
            case JsonArray a when int.TryParse(last, out var index) && index >= 0 && index < a.Count:
                var item = a[index];
                a.RemoveAt(index);
                return item;
            default:
                throw new PatchFailure($"{op} operation does not apply: doc is missing path: \"{pointer}\": missing value");
        }
    }
}
