using System.Text.Json.Nodes;

namespace DematOperator.Kube.Api;

/// <summary>Reads and writes the metadata of an object held as JSON (dynamic objects, the emulator's store).</summary>
public static class ObjectMetaAccess
{
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m) return m;
        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string? Name(JsonObject? obj) => (string?)(obj?["metadata"] as JsonObject)?["name"];
    public static string? Namespace(JsonObject? obj) => (string?)(obj?["metadata"] as JsonObject)?["namespace"];
    public static string? Uid(JsonObject? obj) => (string?)(obj?["metadata"] as JsonObject)?["uid"];
    public static string? ResourceVersion(JsonObject? obj) => (string?)(obj?["metadata"] as JsonObject)?["resourceVersion"];
    public static long Generation(JsonObject? obj) => (long?)(obj?["metadata"] as JsonObject)?["generation"] ?? 0;
    public static bool IsDeleting(JsonObject? obj) => (obj?["metadata"] as JsonObject)?["deletionTimestamp"] is not null;

    public static Dictionary<string, string> Labels(JsonObject? obj) => StringMap((obj?["metadata"] as JsonObject)?["labels"]);
    public static Dictionary<string, string> Annotations(JsonObject? obj) => StringMap((obj?["metadata"] as JsonObject)?["annotations"]);

    public static List<string> Finalizers(JsonObject? obj) => StringList((obj?["metadata"] as JsonObject)?["finalizers"]);

    /// <summary>A JSON array of strings as a list (empty when absent or not an array).</summary>
    public static List<string> StringList(JsonNode? node) => (node as JsonArray)?.Select(v => (string?)v ?? "").ToList() ?? [];

    public static Dictionary<string, string> StringMap(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject o)
            foreach (var (k, v) in o)
                if (v is JsonValue jv && jv.TryGetValue<string>(out var s)) result[k] = s;
        return result;
    }
}
