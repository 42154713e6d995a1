using System.Text.Json.Nodes;

namespace DematOperator.KubeSim.Store;

public enum WatchEventType { Added, Modified, Deleted }

/// <summary>An object as persisted: canonical JSON bytes plus the few fields lists and watches filter on.</summary>
public sealed class StoredObject
{
    public required string StorageKey { get; init; }
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public required string Uid { get; init; }
    public required long ResourceVersion { get; init; }
    public required byte[] Json { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    public required IReadOnlyList<string> OwnerUids { get; init; }

    public JsonObject Parse() => JsonNode.Parse(Json)!.AsObject();
    public string Key => Namespace.Length == 0 ? Name : $"{Namespace}/{Name}";
}

public sealed record StoreEvent(long ResourceVersion, WatchEventType Type, StoredObject Object, StoredObject? Previous, DateTimeOffset At);

/// <summary>A reference to one stored object, for indexes (owners, uids).</summary>
public readonly record struct ObjectKey(string StorageKey, string Namespace, string Name);
