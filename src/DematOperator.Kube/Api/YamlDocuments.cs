using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DematOperator.Kube.Api;

/// <summary>One YAML document of a multi-document file, as JSON, with where it starts and where each field is.</summary>
public sealed record YamlDocument(JsonNode? Root, int Line, IReadOnlyDictionary<string, int> FieldLines)
{
    /// <summary>The line of a field path like `spec.retention.keepDaily` (or of its nearest parent), for `file:line` messages.</summary>
    public int LineOf(string path)
    {
        var p = path;
        while (p.Length > 0)
        {
            if (FieldLines.TryGetValue(p, out var line)) return line;
            var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            p = cut > 0 ? p[..cut] : "";
        }
        return Line;
    }
}

/// <summary>
/// YAML to JSON the way kubectl does it (YAML 1.2 core schema for plain scalars, quoted scalars are strings),
/// keeping line numbers so that offline validation can point at the offending line.
/// </summary>
public static partial class YamlDocuments
{
    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)$")] private static partial Regex Integer();
    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")] private static partial Regex Float();

    public static IReadOnlyList<YamlDocument> Parse(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var result = new List<YamlDocument>();
        foreach (var doc in stream.Documents)
        {
            var lines = new Dictionary<string, int>();
            var root = Convert(doc.RootNode, "", lines);
            // Re-parsed nodes are backed by JsonElement, which converts to any numeric type ((int), (double)...),
            // unlike in-memory JsonValue<long>.
            var normalized = root is null ? null : JsonNode.Parse(root.ToJsonString());
            result.Add(new YamlDocument(normalized, (int)doc.RootNode.Start.Line, lines));
        }
        return result;
    }

    public static IEnumerable<JsonObject> ParseObjects(string text) =>
        Parse(text).Select(d => d.Root).OfType<JsonObject>();

    private static JsonNode? Convert(YamlNode node, string path, Dictionary<string, int> lines)
    {
        lines.TryAdd(path, (int)node.Start.Line);
        switch (node)
        {
            case YamlMappingNode map:
                var o = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    var key = ((YamlScalarNode)k).Value ?? "";
                    var childPath = path.Length == 0 ? key : $"{path}.{key}";
                    lines.TryAdd(childPath, (int)k.Start.Line);
                    o[key] = Convert(v, childPath, lines);
                }
                return o;
            case YamlSequenceNode seq:
                var a = new JsonArray();
                var i = 0;
                foreach (var item in seq.Children) a.Add(Convert(item, $"{path}[{i++}]", lines));
                return a;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                return null;
        }
    }

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style != ScalarStyle.Plain) return JsonValue.Create(v);
        if (!s.Tag.IsEmpty && !s.Tag.IsNonSpecific && s.Tag.Value == "tag:yaml.org,2002:str") return JsonValue.Create(v);
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (Integer().IsMatch(v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (Float().IsMatch(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
