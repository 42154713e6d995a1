using System.Text.Json;
using System.Text.Json.Nodes;

namespace DematOperator.KubeSim.Store;

/// <summary>
/// Objects are stored with object keys sorted, as the real server's encoding of unstructured objects does,
/// so that a write whose content is unchanged produces the same bytes and is recognised as a no-op.
/// </summary>
public static class Canonical
{
    public static byte[] Serialize(JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Write(writer, node);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter w, JsonNode? node)
    {
        switch (node)
        {
            case null: w.WriteNullValue(); break;
            case JsonObject o:
                w.WriteStartObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(k);
                    Write(w, v);
                }
                w.WriteEndObject();
                break;
            case JsonArray a:
                w.WriteStartArray();
                foreach (var item in a) Write(w, item);
                w.WriteEndArray();
                break;
            default: node.WriteTo(w); break;
        }
    }
}
