using System.Text;
using System.Text.Json.Nodes;

namespace DematOperator.KubeSim.Schema;

/// <summary>How a list is merged and owned (structured-merge-diff's list types).</summary>
public enum ListKind { Atomic, Set, Map }

public sealed record ListType(ListKind Kind, IReadOnlyList<string> Keys)
{
    public static readonly ListType Atomic = new(ListKind.Atomic, []);
    public static readonly ListType Set = new(ListKind.Set, []);
}

/// <summary>
/// The list types of one resource: a CRD's <c>x-kubernetes-list-type</c> / <c>-list-map-keys</c> (atomic when
/// unset, as apiextensions defaults it), or for built-ins the <c>+listType=map</c> / <c>+listMapKey</c> markers
/// of k8s.io/api for the fields the project and the sandbox use (atomic otherwise).
/// </summary>
public sealed class FieldTypes
{
    private static readonly Dictionary<string, string[]> BuiltinMapKeys = new()
    {
        ["containers"] = ["name"], ["initContainers"] = ["name"], ["ephemeralContainers"] = ["name"], ["volumes"] = ["name"],
        ["env"] = ["name"], ["volumeMounts"] = ["mountPath"], ["volumeDevices"] = ["devicePath"], ["imagePullSecrets"] = ["name"],
        ["conditions"] = ["type"], ["ownerReferences"] = ["uid"], ["hostAliases"] = ["ip"], ["secrets"] = ["name"],
        ["topologySpreadConstraints"] = ["topologyKey", "whenUnsatisfiable"], ["ingress"] = ["ip"],
    };

    private readonly bool _custom;
    public JsonObject? Root { get; }

    private FieldTypes(bool custom, JsonObject? root) { _custom = custom; Root = root; }

    public static FieldTypes For(ResourceDefinition def) => new(def.IsCustom, def.IsCustom ? def.Schema : null);

    public JsonObject? Child(JsonObject? schema, string field) =>
        (schema?["properties"] as JsonObject)?[field] as JsonObject ?? schema?["additionalProperties"] as JsonObject;

    public JsonObject? Items(JsonObject? schema) => schema?["items"] as JsonObject;

    public ListType ListTypeOf(JsonObject? schema, string field, JsonArray list)
    {
        if (_custom)
            return (string?)schema?["x-kubernetes-list-type"] switch
            {
                "map" => new ListType(ListKind.Map, (schema!["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => (string?)k ?? "").ToList() ?? []),
                "set" => ListType.Set,
                _ => ListType.Atomic,
            };
        if (field == "finalizers") return ListType.Set;
        // Container ports are keyed by containerPort and protocol, Service ports by port and protocol.
        if (field == "ports") return new ListType(ListKind.Map, list.OfType<JsonObject>().Any(p => p.ContainsKey("containerPort")) ? ["containerPort", "protocol"] : ["port", "protocol"]);
        return BuiltinMapKeys.TryGetValue(field, out var keys) ? new ListType(ListKind.Map, keys) : ListType.Atomic;
    }
}

/// <summary>
/// The fields an object sets, as FieldsV1 names them (<c>f:name</c>, <c>k:{"name":"web"}</c> for an item of a map
/// list, <c>v:"x"</c> for an item of a set, <c>.</c> for a list item itself), each with the value there: what
/// managedFields record and what server-side apply compares. Server-owned metadata is never a managed field.
/// </summary>
public static class FieldSets
{
    public const char Separator = '\u001f';
    private static readonly HashSet<string> ServerMetadata =
        ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"];

    /// <summary>
    /// Leaf paths (joined with <see cref="Separator"/>) and their values, which are the object's own nodes (for
    /// comparison only: callers never change them); a list item's "." maps to null.
    /// </summary>
    public static Dictionary<string, JsonNode?> Of(JsonObject obj, FieldTypes types, bool includeStatus = true, bool onlyStatus = false)
    {
        var leaves = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind") continue;
            if (key == "status" ? !includeStatus : onlyStatus) continue;
            path.Add("f:" + key);
            if (key == "metadata" && value is JsonObject meta)
            {
                foreach (var (mk, mv) in meta)
                {
                    if (ServerMetadata.Contains(mk)) continue;
                    path.Add("f:" + mk);
                    Collect(mv, types.Child(types.Child(types.Root, "metadata"), mk), mk, path, leaves, types);
                    path.RemoveAt(path.Count - 1);
                }
            }
            else Collect(value, types.Child(types.Root, key), key, path, leaves, types);
            path.RemoveAt(path.Count - 1);
        }
        return leaves;
    }

    private static void Collect(JsonNode? node, JsonObject? schema, string field, List<string> path, Dictionary<string, JsonNode?> leaves, FieldTypes types)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                foreach (var (key, value) in o)
                {
                    path.Add("f:" + key);
                    Collect(value, types.Child(schema, key), key, path, leaves, types);
                    path.RemoveAt(path.Count - 1);
                }
                return;
            case JsonArray a:
                var type = types.ListTypeOf(schema, field, a);
                if (type.Kind == ListKind.Atomic || a.Count == 0) break;
                foreach (var item in a)
                {
                    if (type.Kind == ListKind.Set || item is not JsonObject io) { path.Add("v:" + (item?.ToJsonString() ?? "null")); leaves[Join(path)] = null; path.RemoveAt(path.Count - 1); continue; }
                    path.Add("k:" + KeyOf(io, type.Keys));
                    path.Add(".");
                    leaves[Join(path)] = null;
                    path.RemoveAt(path.Count - 1);
                    Collect(io, types.Items(schema), field, path, leaves, types);
                    path.RemoveAt(path.Count - 1);
                }
                return;
        }
        leaves[Join(path)] = node;
    }

    public static string KeyOf(JsonObject item, IReadOnlyList<string> keys)
    {
        var key = new JsonObject();
        foreach (var k in keys.Order(StringComparer.Ordinal))
            if (item[k] is { } v) key[k] = v.DeepClone();
        return key.ToJsonString();
    }

    public static string Join(IEnumerable<string> path) => string.Join(Separator, path);

    /// <summary>A path as kubectl and the API server print it in conflicts: <c>.spec.containers[name="web"].image</c>.</summary>
    public static string Describe(string path)
    {
        var sb = new StringBuilder();
        foreach (var element in path.Split(Separator))
        {
            if (element.StartsWith("f:", StringComparison.Ordinal)) sb.Append('.').Append(element[2..]);
            else if (element.StartsWith("k:", StringComparison.Ordinal))
                sb.Append('[').Append(string.Join(',', JsonNode.Parse(element[2..])!.AsObject().Select(p => $"{p.Key}={p.Value?.ToJsonString()}"))).Append(']');
            else if (element.StartsWith("v:", StringComparison.Ordinal)) sb.Append("[=").Append(element[2..]).Append(']');
        }
        return sb.ToString();
    }

    /// <summary>The FieldsV1 tree of a set of paths.</summary>
    public static JsonObject ToFieldsV1(IEnumerable<string> paths)
    {
        var root = new JsonObject();
        foreach (var path in paths.Order(StringComparer.Ordinal))
        {
            var node = root;
            foreach (var element in path.Split(Separator))
            {
                if (node[element] is not JsonObject child) node[element] = child = new JsonObject();
                node = child;
            }
        }
        return root;
    }

    public static HashSet<string> FromFieldsV1(JsonObject? tree)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (tree is null) return set;
        void Walk(JsonObject node, List<string> path)
        {
            foreach (var (element, child) in node)
            {
                path.Add(element);
                if (child is JsonObject { Count: > 0 } c) Walk(c, path); else set.Add(Join(path));
                path.RemoveAt(path.Count - 1);
            }
        }
        Walk(tree, []);
        return set;
    }

    /// <summary>Merges an applied configuration into the live object: maps field by field, map lists item by key, sets by union, the rest replaced.</summary>
    public static JsonObject Merge(JsonObject live, JsonObject config, FieldTypes types) => (JsonObject)MergeNode(live, config, types.Root, "", types)!;

    private static JsonNode? MergeNode(JsonNode? live, JsonNode? config, JsonObject? schema, string field, FieldTypes types)
    {
        switch (config)
        {
            // Each node is copied once: live members the configuration leaves alone, then the merged ones (the
            // stored form orders keys itself).
            case JsonObject co when live is JsonObject lo:
                var result = new JsonObject();
                foreach (var (key, value) in lo) if (!co.ContainsKey(key)) result[key] = value?.DeepClone();
                foreach (var (key, value) in co) result[key] = MergeNode(lo[key], value, types.Child(schema, key), key, types);
                return result;
            case JsonArray ca when live is JsonArray la:
                var type = types.ListTypeOf(schema, field, ca);
                if (type.Kind == ListKind.Atomic) return ca.DeepClone();
                var items = la.ToList();
                foreach (var item in ca)
                {
                    var index = IndexOf(items, item, type);
                    if (index < 0) items.Add(item);
                    else if (type.Kind == ListKind.Map) items[index] = MergeNode(items[index], item, types.Items(schema), field, types);
                }
                return new JsonArray([.. items.Select(i => i is null || i.Parent is null ? i : i.DeepClone())]);
            default:
                return config?.DeepClone();
        }
    }

    private static int IndexOf(IReadOnlyList<JsonNode?> list, JsonNode? item, ListType type)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (type.Kind == ListKind.Map && item is JsonObject io && list[i] is JsonObject li ? KeyOf(li, type.Keys) == KeyOf(io, type.Keys) : JsonNode.DeepEquals(list[i], item))
                return i;
        }
        return -1;
    }

    /// <summary>Removes the field at a path (a list item when the path ends in its "."), if it is there.</summary>
    public static void Remove(JsonObject root, string path, FieldTypes types)
    {
        var elements = path.Split(Separator);
        if (elements[^1] == ".") elements = elements[..^1];
        JsonNode? node = root;
        for (var i = 0; i < elements.Length - 1 && node is not null; i++) node = Step(node, elements[i]);
        var last = elements[^1];
        switch (node)
        {
            case JsonObject o when last.StartsWith("f:", StringComparison.Ordinal):
                o.Remove(last[2..]);
                break;
            case JsonArray a when last.StartsWith("k:", StringComparison.Ordinal) || last.StartsWith("v:", StringComparison.Ordinal):
                for (var i = a.Count - 1; i >= 0; i--)
                    if (Matches(a[i], last)) a.RemoveAt(i);
                break;
        }
    }

    private static JsonNode? Step(JsonNode node, string element) => node switch
    {
        JsonObject o when element.StartsWith("f:", StringComparison.Ordinal) => o[element[2..]],
        JsonArray a => a.FirstOrDefault(item => Matches(item, element)),
        _ => null,
    };

    private static bool Matches(JsonNode? item, string element)
    {
        if (element.StartsWith("v:", StringComparison.Ordinal)) return (item?.ToJsonString() ?? "null") == element[2..];
        if (!element.StartsWith("k:", StringComparison.Ordinal) || item is not JsonObject io) return false;
        var key = JsonNode.Parse(element[2..])!.AsObject();
        return key.All(p => JsonNode.DeepEquals(io[p.Key], p.Value));
    }
}
