using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>Shared plumbing of the simulated controllers: delayed steps on the cluster's clock and safe status writes.</summary>
public abstract class DelayedSimController : SimController
{
    private readonly List<(DateTimeOffset Due, ObjectKey Key, Action<SimCluster, StoredObject> Step)> _due = [];

    /// <summary>How long the simulated work takes (a snapshot being cut, pods starting, a backup uploading).</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(300);

    protected void Schedule(SimCluster cluster, StoredObject o, Action<SimCluster, StoredObject> step, TimeSpan? delay = null) =>
        _due.Add((cluster.Time.GetUtcNow() + (delay ?? Delay), new ObjectKey(o.StorageKey, o.Namespace, o.Name), step));

    public override Task OnTickAsync(SimCluster cluster, CancellationToken ct)
    {
        var now = cluster.Time.GetUtcNow();
        var ready = _due.Where(d => d.Due <= now).ToList();
        _due.RemoveAll(d => d.Due <= now);
        foreach (var (_, key, step) in ready)
        {
            var current = cluster.TryGet(key.StorageKey, key.Namespace.Length == 0 ? null : key.Namespace, key.Name);
            if (current is not null) step(cluster, current);
        }
        return Task.CompletedTask;
    }

    protected static ResourceDefinition? Def(SimCluster cluster, string group, string plural) =>
        cluster.Registry.All.FirstOrDefault(d => d.Group == group && d.Plural == plural && d.IsStorageVersion);

    /// <summary>Read-modify-write of .status through /status, retried on conflict.</summary>
    protected static void WriteStatus(SimCluster cluster, StoredObject o, Action<JsonObject, JsonObject> mutate)
    {
        var def = cluster.Registry.FindStorage(o.StorageKey);
        if (def is null) return;
        var ns = o.Namespace.Length == 0 ? null : o.Namespace;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = cluster.TryGet(o.StorageKey, ns, o.Name);
            if (current is null) return;
            var obj = current.Parse();
            var status = obj["status"] as JsonObject ?? new JsonObject();
            obj["status"] = status;
            mutate(obj, status);
            try
            {
                cluster.Update(RequestContext.System, def, ns, o.Name, obj, def.HasStatus ? Subresource.Status : Subresource.None);
                return;
            }
            catch (KubeApiException e) when (e.IsConflict) { }
            catch (KubeApiException e) when (e.IsNotFound) { return; }
        }
    }

    protected static string Now(SimCluster cluster) => cluster.Timestamp();
}
