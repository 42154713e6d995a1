using System.Text.Json.Nodes;

namespace DematOperator.KubeSim.Schema;

/// <summary>
/// The JSONPath subset used by CRD printer columns and scale subresources: `.a.b`, `.a[0]`, `.a[*].b`,
/// and filters `.a[?(@.type=="Ready")].status`.
/// </summary>
public static class JsonPaths
{
    public static JsonNode? Get(JsonNode? root, string path) => Select(root, path).FirstOrDefault();

    public static IEnumerable<JsonNode?> Select(JsonNode? root, string path)
    {
        IEnumerable<JsonNode?> current = [root];
        foreach (var step in Steps(path))
            current = current.SelectMany(n => Apply(n, step)).ToList();
        return current.Where(n => n is not null);
    }

    public static void Set(JsonObject root, string path, JsonNode? value)
    {
        var steps = Steps(path).ToList();
        JsonObject node = root;
        for (var i = 0; i < steps.Count - 1; i++)
        {
            if (node[steps[i]] is not JsonObject child) node[steps[i]] = child = new JsonObject();
            node = child;
        }
        node[steps[^1]] = value;
    }

    private static IEnumerable<string> Steps(string path)
    {
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}')) p = p[1..^1];
        if (p.StartsWith('$')) p = p[1..];
        var i = 0;
        while (i < p.Length)
        {
            if (p[i] == '.') { i++; continue; }
            if (p[i] == '[')
            {
                var depth = 0;
                var start = i;
                for (; i < p.Length; i++)
                {
                    if (p[i] == '[') depth++;
                    else if (p[i] == ']' && --depth == 0) break;
                }
                yield return p[start..Math.Min(i + 1, p.Length)];
                i++;
                continue;
            }
            var s = i;
            while (i < p.Length && p[i] != '.' && p[i] != '[') i++;
            yield return p[s..i];
        }
    }

    private static IEnumerable<JsonNode?> Apply(JsonNode? node, string step)
    {
        if (!step.StartsWith('['))
        {
            if (node is JsonObject o && o.TryGetPropertyValue(step, out var v)) yield return v;
            yield break;
        }
        var inner = step[1..^1].Trim();
        if (node is not JsonArray a) yield break;
        if (inner == "*") { foreach (var item in a) yield return item; yield break; }
        if (int.TryParse(inner, out var idx))
        {
            if (idx < 0) idx += a.Count;
            if (idx >= 0 && idx < a.Count) yield return a[idx];
            yield break;
        }
        if (inner.StartsWith("?(@.", StringComparison.Ordinal) && inner.EndsWith(')'))
        {
            var expr = inner[4..^1];
            var eq = expr.IndexOf("==", StringComparison.Ordinal);
            if (eq < 0) yield break;
            var field = expr[..eq].Trim();
            var expected = expr[(eq + 2)..].Trim().Trim('"', '\'');
            foreach (var item in a)
                if (item is JsonObject io && Get(io, "." + field) is JsonValue fv && fv.ToString() == expected) yield return item;
        }
    }
}
