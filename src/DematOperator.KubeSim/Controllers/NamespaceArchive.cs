using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>
/// What the simulated backup engines (Velero, Kasten) share: capturing the objects of namespaces into an archive,
/// and recreating one archived object in a namespace as a restore does (server-set fields dropped, no status).
/// </summary>
public static class NamespaceArchive
{
    /// <summary>Kinds no backup engine captures: events, leases, pods (the workloads recreate them), and the engines' own objects.</summary>
    private static readonly HashSet<string> NeverCaptured =
    [
        BuiltinKeys.Events, BuiltinKeys.EventsV1, "coordination.k8s.io/leases", BuiltinKeys.Pods,
        "velero.io/backups", "velero.io/restores", "velero.io/schedules", "velero.io/backupstoragelocations", "velero.io/deletebackuprequests",
    ];

    private static readonly string[] EngineGroups = ["actions.kio.kasten.io", "apps.kio.kasten.io", "config.kio.kasten.io"];
    private static readonly string[] ServerFields = ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers"];

    public enum Outcome { Created, Updated, Existed, Failed }

    /// <summary>The namespaced objects <paramref name="include"/> accepts, of the kinds <paramref name="kinds"/> accepts.</summary>
    public static List<JsonObject> Capture(SimCluster cluster, Func<ResourceDefinition, bool> kinds, Func<StoredObject, bool> include)
    {
        var items = new List<JsonObject>();
        foreach (var def in cluster.Registry.All.Where(d => d.Namespaced && d.IsStorageVersion && !d.IsVirtual && !NeverCaptured.Contains(d.StorageKey)
                                                            && !EngineGroups.Contains(d.Group) && kinds(d)).DistinctBy(d => d.StorageKey))
            foreach (var o in cluster.Snapshot(def.StorageKey))
                if (include(o)) items.Add(o.Parse());
        return items;
    }

    public static ResourceDefinition? KindOf(SimCluster cluster, JsonObject item)
    {
        var apiVersion = (string?)item["apiVersion"] ?? "v1";
        var slash = apiVersion.IndexOf('/');
        return cluster.Registry.FindKind(slash < 0 ? "" : apiVersion[..slash], slash < 0 ? apiVersion : apiVersion[(slash + 1)..], (string?)item["kind"] ?? "");
    }

    /// <summary>Creates the namespace if it does not exist, with these labels.</summary>
    public static void EnsureNamespace(SimCluster cluster, string name, JsonObject labels)
    {
        if (cluster.TryGet(BuiltinKeys.Namespaces, null, name) is not null) return;
        cluster.Create(RequestContext.System, cluster.Registry.Find("", "v1", "namespaces")!, null, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels },
        });
    }

    /// <summary>
    /// Recreates one archived object in <paramref name="targetNs"/>, with <paramref name="labels"/> added; an object
    /// that exists is left alone, or replaced when <paramref name="update"/> (the engines' existing-resource policy).
    /// </summary>
    public static Outcome Restore(SimCluster cluster, JsonObject item, string targetNs, IReadOnlyDictionary<string, string> labels, bool update)
    {
        var obj = (JsonObject)item.DeepClone();
        var meta = ObjectMetaAccess.Metadata(obj);
        foreach (var f in ServerFields) meta.Remove(f);
        meta["namespace"] = targetNs;
        var objLabels = meta["labels"] as JsonObject ?? new JsonObject();
        foreach (var (k, v) in labels) objLabels[k] = v;
        meta["labels"] = objLabels;
        obj.Remove("status");
        // A restored claim binds to a new volume: the old one belongs to the source.
        if ((string?)obj["kind"] == "PersistentVolumeClaim" && obj["spec"] is JsonObject ps) ps.Remove("volumeName");
        var def = KindOf(cluster, obj);
        if (def is null) return Outcome.Failed;
        try
        {
            cluster.Create(RequestContext.System, def, targetNs, obj);
            return Outcome.Created;
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            if (!update) return Outcome.Existed;
            try
            {
                var current = cluster.Get(def, targetNs, ObjectMetaAccess.Name(obj)!);
                meta["resourceVersion"] = current.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
                cluster.Update(RequestContext.System, def, targetNs, current.Name, obj);
                return Outcome.Updated;
            }
            catch (KubeApiException) { return Outcome.Existed; }
        }
        catch (KubeApiException) { return Outcome.Failed; }
    }
}
