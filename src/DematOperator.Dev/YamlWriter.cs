using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DematOperator.Dev;

/// <summary>Block-style YAML for generated manifests: stable, readable, and quoting only what YAML would misread.</summary>
public static class YamlWriter
{
    public static string Write(JsonNode node)
    {
        var sb = new StringBuilder();
        WriteNode(sb, node, 0, inList: false);
        return sb.ToString();
    }

    private static void WriteNode(StringBuilder sb, JsonNode? node, int indent, bool inList)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                var first = true;
                foreach (var (k, v) in o)
                {
                    if (!(first && inList)) sb.Append(' ', indent);
                    first = false;
                    sb.Append(Key(k)).Append(':');
                    WriteValueAfterKey(sb, v, indent);
                }
                break;
            case JsonArray a when a.Count > 0:
                foreach (var item in a)
                {
                    sb.Append(' ', indent).Append("- ");
                    if (item is JsonObject io && io.Count > 0) WriteNode(sb, io, indent + 2, inList: true);
                    else if (item is JsonArray ia && ia.Count > 0) { sb.Append('\n'); WriteNode(sb, ia, indent + 2, false); }
                    else sb.Append(Scalar(item)).Append('\n');
                }
                break;
            default:
                sb.Append(' ', indent).Append(Scalar(node)).Append('\n');
                break;
        }
    }

    private static void WriteValueAfterKey(StringBuilder sb, JsonNode? v, int indent)
    {
        switch (v)
        {
            case JsonObject vo when vo.Count > 0:
                sb.Append('\n');
                WriteNode(sb, vo, indent + 2, false);
                break;
            case JsonArray va when va.Count > 0:
                sb.Append('\n');
                WriteNode(sb, va, indent, false);
                break;
            default:
                sb.Append(' ').Append(Scalar(v)).Append('\n');
                break;
        }
    }

    private static string Key(string k) => NeedsQuotes(k) ? Quote(k) : k;

    private static string Scalar(JsonNode? n)
    {
        switch (n)
        {
            case null: return "null";
            case JsonObject: return "{}";
            case JsonArray: return "[]";
        }
        return n.GetValueKind() switch
        {
            JsonValueKind.String => NeedsQuotes(n.GetValue<string>()) ? Quote(n.GetValue<string>()) : n.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => n.ToJsonString(),
            _ => "null",
        };
    }

    private static bool NeedsQuotes(string s) =>
        s.Length == 0 || s != s.Trim() || s.IndexOfAny([':', '#', '\'', '"', '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', '`', '\n', '\\']) >= 0
        || s[0] is '-' or '?' || IsAmbiguous(s);

    private static bool IsAmbiguous(string s) =>
        s is "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~" or "True" or "False" or "Null" or "NULL" or "Yes" or "No" or "On" or "Off" or "y" or "n"
        || double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || s.StartsWith("0x", StringComparison.Ordinal);

    /// <summary>A JSON string is a valid YAML double-quoted scalar, escapes and newlines included.</summary>
    private static string Quote(string s) => JsonSerializer.Serialize(s, QuoteOptions);

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
