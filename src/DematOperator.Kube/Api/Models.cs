using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DematOperator.Kube.Api;

public sealed class OwnerReference
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
    public string Uid { get; set; } = "";
    public bool? Controller { get; set; }
    public bool? BlockOwnerDeletion { get; set; }
}

public sealed class ObjectMeta
{
    public string? Name { get; set; }
    public string? GenerateName { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public long? Generation { get; set; }
    public DateTimeOffset? CreationTimestamp { get; set; }
    public DateTimeOffset? DeletionTimestamp { get; set; }
    public long? DeletionGracePeriodSeconds { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public List<OwnerReference>? OwnerReferences { get; set; }
    public List<string>? Finalizers { get; set; }
    /// <summary>Kept opaque: informers drop it to bound memory (controller-runtime's TransformStripManagedFields).</summary>
    public JsonElement? ManagedFields { get; set; }
}

/// <summary>metav1.Condition.</summary>
public sealed class Condition
{
    public string Type { get; set; } = "";
    public string Status { get; set; } = "Unknown";
    public long? ObservedGeneration { get; set; }
    public DateTimeOffset LastTransitionTime { get; set; }
    public string Reason { get; set; } = "";
    public string Message { get; set; } = "";
}

/// <summary>Every object: type meta plus object meta. Typed kinds derive from it.</summary>
public abstract class KubeObject
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ObjectMeta Metadata { get; set; } = new();

    [JsonIgnore] public string Name => Metadata.Name ?? "";
    [JsonIgnore] public string? Namespace => Metadata.Namespace;
    [JsonIgnore] public bool IsDeleting => Metadata.DeletionTimestamp is not null;
}

/// <summary>An object of any kind, with its other top-level fields (spec, status, data...) as JSON.</summary>
[JsonConverter(typeof(DynamicObjectConverter))]
public sealed class DynamicObject : KubeObject
{
    public JsonObject? Fields { get; set; }

    [JsonIgnore] public JsonObject? Spec => Fields?["spec"] as JsonObject;
    [JsonIgnore] public JsonObject? Status => Fields?["status"] as JsonObject;
}

/// <summary>apiVersion, kind and metadata typed; every other top-level field kept as JSON in <see cref="DynamicObject.Fields"/>.</summary>
public sealed class DynamicObjectConverter : JsonConverter<DynamicObject>
{
    public override DynamicObject? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (JsonNode.Parse(ref reader) is not JsonObject o) return null;
        var result = new DynamicObject
        {
            ApiVersion = (string?)o["apiVersion"],
            Kind = (string?)o["kind"],
            Metadata = o["metadata"]?.Deserialize(KubeJsonContext.Default.ObjectMeta) ?? new ObjectMeta(),
        };
        o.Remove("apiVersion");
        o.Remove("kind");
        o.Remove("metadata");
        result.Fields = o;
        return result;
    }

    public override void Write(Utf8JsonWriter writer, DynamicObject value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        if (value.ApiVersion is not null) writer.WriteString("apiVersion", value.ApiVersion);
        if (value.Kind is not null) writer.WriteString("kind", value.Kind);
        writer.WritePropertyName("metadata");
        JsonSerializer.Serialize(writer, value.Metadata, KubeJsonContext.Default.ObjectMeta);
        foreach (var (k, v) in value.Fields ?? [])
        {
            if (k is "apiVersion" or "kind" or "metadata") continue;
            writer.WritePropertyName(k);
            if (v is null) writer.WriteNullValue(); else v.WriteTo(writer);
        }
        writer.WriteEndObject();
    }
}

public sealed class ListMeta
{
    public string? ResourceVersion { get; set; }
    public string? Continue { get; set; }
    public long? RemainingItemCount { get; set; }
}

public sealed class ObjectList<T> where T : KubeObject
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ListMeta Metadata { get; set; } = new();
    public List<T> Items { get; set; } = [];
}

public sealed class LeaseSpec
{
    public string? HolderIdentity { get; set; }
    public int? LeaseDurationSeconds { get; set; }
    public DateTimeOffset? AcquireTime { get; set; }
    public DateTimeOffset? RenewTime { get; set; }
    public int? LeaseTransitions { get; set; }
}

public sealed class Lease : KubeObject
{
    public LeaseSpec Spec { get; set; } = new();
}

public sealed class ObjectReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public string? FieldPath { get; set; }
}

public sealed class EventSource
{
    public string? Component { get; set; }
    public string? Host { get; set; }
}

/// <summary>core/v1 Event, the kind `kubectl describe` shows.</summary>
public sealed class CoreEvent : KubeObject
{
    public ObjectReference InvolvedObject { get; set; } = new();
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public EventSource? Source { get; set; }
    public DateTimeOffset? FirstTimestamp { get; set; }
    public DateTimeOffset? LastTimestamp { get; set; }
    public int? Count { get; set; }
    public string? Type { get; set; }
    public string? ReportingComponent { get; set; }
    public string? ReportingInstance { get; set; }
    public string? Action { get; set; }
}

public sealed class Secret : KubeObject
{
    public Dictionary<string, byte[]>? Data { get; set; }
    public Dictionary<string, string>? StringData { get; set; }
    public string? Type { get; set; }
    public bool? Immutable { get; set; }
}

public sealed class ConfigMap : KubeObject
{
    public Dictionary<string, string>? Data { get; set; }
    public bool? Immutable { get; set; }
}

public sealed class WatchEvent<T> where T : KubeObject
{
    public string Type { get; set; } = "";
    public T? Object { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    Converters = [typeof(KubeTimeConverter)])]
[JsonSerializable(typeof(DynamicObject))]
[JsonSerializable(typeof(ObjectMeta))]
[JsonSerializable(typeof(ObjectList<DynamicObject>))]
[JsonSerializable(typeof(Lease))]
[JsonSerializable(typeof(ObjectList<Lease>))]
[JsonSerializable(typeof(CoreEvent))]
[JsonSerializable(typeof(ObjectList<CoreEvent>))]
[JsonSerializable(typeof(Secret))]
[JsonSerializable(typeof(ObjectList<Secret>))]
[JsonSerializable(typeof(ConfigMap))]
[JsonSerializable(typeof(ObjectList<ConfigMap>))]
[JsonSerializable(typeof(Condition))]
[JsonSerializable(typeof(List<Condition>))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonArray))]
public sealed partial class KubeJsonContext : JsonSerializerContext;
