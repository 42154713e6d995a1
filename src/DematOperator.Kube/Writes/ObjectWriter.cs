using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.Kube.Writes;

/// <summary>
/// The write disciplines every controller shares: status through /status and only when it changed,
/// conflicts retried on a fresh read, finalizers added and removed with a JSON Patch `test` so that no one
/// else's finalizer is lost.
/// </summary>
public static class ObjectWriter
{
    /// <summary>
    /// Applies <paramref name="mutate"/> to the object's status and writes it through /status if the object
    /// changed; on 409 re-reads and re-applies. Returns the stored object (unchanged if no write).
    /// </summary>
    public static Task<T> UpdateStatusAsync<T>(KubeClient client, ResourceType<T> rt, T current, Action<T> mutate, CancellationToken ct, int attempts = 5) where T : KubeObject =>
        MutateAsync(client, rt, current, mutate, working => client.UpdateStatusAsync(rt, working, ct), ct, attempts);

    /// <summary>Same discipline for the main resource (spec, metadata).</summary>
    public static Task<T> UpdateAsync<T>(KubeClient client, ResourceType<T> rt, T current, Action<T> mutate, CancellationToken ct, int attempts = 5) where T : KubeObject =>
        MutateAsync(client, rt, current, mutate, working => client.UpdateAsync(rt, working, ct), ct, attempts);

    private static async Task<T> MutateAsync<T>(KubeClient client, ResourceType<T> rt, T current, Action<T> mutate, Func<T, Task<T>> write, CancellationToken ct, int attempts) where T : KubeObject
    {
        for (var attempt = 1; ; attempt++)
        {
            var working = Copy(rt, current);
            mutate(working);
            if (Same(rt, working, current)) return current;
            try { return await write(working); }
            catch (KubeApiException e) when (e.IsConflict && attempt < attempts)
            {
                current = await client.GetAsync(rt, current.Metadata.Namespace, current.Name, ct);
            }
        }
    }

    /// <summary>Creates an object with a deterministic name, or adopts the one already there (a restart, a new leader).</summary>
    public static async Task<T> CreateOrGetAsync<T>(KubeClient client, ResourceType<T> rt, T obj, CancellationToken ct) where T : KubeObject
    {
        try { return await client.CreateAsync(rt, obj, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists) { return await client.GetAsync(rt, obj.Metadata.Namespace, obj.Name, ct); }
    }

    public static T Copy<T>(ResourceType<T> rt, T obj) where T : KubeObject =>
        JsonSerializer.Deserialize(JsonSerializer.Serialize(obj, rt.TypeInfo), rt.TypeInfo)!;

    /// <summary>Equal as JSON trees: key order (the server sorts keys, we may not) does not count as a change.</summary>
    public static bool Same<T>(ResourceType<T> rt, T a, T b) where T : KubeObject =>
        JsonNode.DeepEquals(JsonSerializer.SerializeToNode(a, rt.TypeInfo), JsonSerializer.SerializeToNode(b, rt.TypeInfo));

    /// <summary>Adds a finalizer unless present: `test` the list as we saw it, then append.</summary>
    public static async Task<T> AddFinalizerAsync<T>(KubeClient client, ResourceType<T> rt, T obj, string finalizer, CancellationToken ct) where T : KubeObject
    {
        if (obj.Metadata.Finalizers?.Contains(finalizer) == true) return obj;
        var ops = new JsonArray();
        if (obj.Metadata.Finalizers is null)
        {
            ops.Add((JsonNode)new JsonObject { ["op"] = "test", ["path"] = "/metadata/finalizers", ["value"] = null });
            ops.Add((JsonNode)new JsonObject { ["op"] = "add", ["path"] = "/metadata/finalizers", ["value"] = new JsonArray(finalizer) });
        }
        else
        {
            ops.Add((JsonNode)new JsonObject { ["op"] = "test", ["path"] = "/metadata/finalizers", ["value"] = new JsonArray([.. obj.Metadata.Finalizers.Select(f => (JsonNode)JsonValue.Create(f)!)]) });
            ops.Add((JsonNode)new JsonObject { ["op"] = "add", ["path"] = "/metadata/finalizers/-", ["value"] = finalizer });
        }
        return await PatchWithRetryAsync(client, rt, obj, ops, f => f.Contains(finalizer), f => AddFinalizerAsync(client, rt, f, finalizer, ct), ct);
    }

    /// <summary>Removes our finalizer by index, guarded by a `test` of that index's value.</summary>
    public static async Task<T> RemoveFinalizerAsync<T>(KubeClient client, ResourceType<T> rt, T obj, string finalizer, CancellationToken ct) where T : KubeObject
    {
        var index = obj.Metadata.Finalizers?.IndexOf(finalizer) ?? -1;
        if (index < 0) return obj;
        var ops = new JsonArray(
            new JsonObject { ["op"] = "test", ["path"] = $"/metadata/finalizers/{index}", ["value"] = finalizer },
            new JsonObject { ["op"] = "remove", ["path"] = $"/metadata/finalizers/{index}" });
        return await PatchWithRetryAsync(client, rt, obj, ops, f => !f.Contains(finalizer), f => RemoveFinalizerAsync(client, rt, f, finalizer, ct), ct);
    }

    private static async Task<T> PatchWithRetryAsync<T>(KubeClient client, ResourceType<T> rt, T obj, JsonArray ops, Func<List<string>, bool> done,
        Func<T, Task<T>> retry, CancellationToken ct) where T : KubeObject
    {
        try
        {
            return await client.PatchAsync(rt, obj.Metadata.Namespace, obj.Name, PatchType.Json, ops.ToJsonString(), ct: ct);
        }
        catch (KubeApiException e) when (e.IsInvalid || e.IsConflict)
        {
            // Someone changed the finalizers since we read them: look again.
            var fresh = await client.GetAsync(rt, obj.Metadata.Namespace, obj.Name, ct);
            return done(fresh.Metadata.Finalizers ?? []) ? fresh : await retry(fresh);
        }
    }
}
