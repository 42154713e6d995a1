using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>
/// The parts of kube-controller-manager an operator relies on for deletion: the garbage collector
/// (ownerReferences with background, foreground and orphan propagation), the namespace controller
/// (empties a Terminating namespace, then finalizes it) and the CRD cleanup finalizer.
/// </summary>
public sealed class GarbageCollector : SimController
{
    private readonly HashSet<string> _goneOwners = [];
    private readonly HashSet<ObjectKey> _pendingObjects = [];
    private readonly HashSet<string> _terminatingNamespaces = [];
    private readonly HashSet<string> _terminatingCrds = [];

    public override string Name => "garbage-collector";

    public override Task OnChangeAsync(SimCluster cluster, StoreEvent change, CancellationToken ct)
    {
        var o = change.Object;
        if (change.Type == WatchEventType.Deleted)
        {
            _goneOwners.Add(o.Uid);
            return Task.CompletedTask;
        }
        if (o.OwnerUids.Count > 0 && o.OwnerUids.Any(u => !cluster.UidExists(u))) _pendingObjects.Add(new ObjectKey(o.StorageKey, o.Namespace, o.Name));
        var obj = o.Parse();
        if (!ObjectMetaAccess.IsDeleting(obj)) return Task.CompletedTask;
        if (o.StorageKey == BuiltinKeys.Namespaces) _terminatingNamespaces.Add(o.Name);
        else if (o.StorageKey == BuiltinKeys.Crds) _terminatingCrds.Add(o.Name);
        var finalizers = ObjectMetaAccess.Finalizers(obj);
        if (finalizers.Contains(SimCluster.Finalizers.Foreground) || finalizers.Contains(SimCluster.Finalizers.Orphan))
            _pendingObjects.Add(new ObjectKey(o.StorageKey, o.Namespace, o.Name));
        return Task.CompletedTask;
    }

    public override Task OnTickAsync(SimCluster cluster, CancellationToken ct)
    {
        foreach (var uid in _goneOwners.ToList())
        {
            foreach (var dep in cluster.DependentsOf(uid)) _pendingObjects.Add(dep);
            _goneOwners.Remove(uid);
        }
        foreach (var key in _pendingObjects.ToList())
            if (ProcessObject(cluster, key)) _pendingObjects.Remove(key);
        foreach (var ns in _terminatingNamespaces.ToList())
            if (ProcessNamespace(cluster, ns)) _terminatingNamespaces.Remove(ns);
        foreach (var crd in _terminatingCrds.ToList())
            if (ProcessCrd(cluster, crd)) _terminatingCrds.Remove(crd);
        return Task.CompletedTask;
    }

    /// <summary>True when nothing is left to do for this object.</summary>
    private static bool ProcessObject(SimCluster cluster, ObjectKey key)
    {
        var stored = cluster.TryGet(key.StorageKey, key.Namespace, key.Name);
        var def = cluster.Registry.FindStorage(key.StorageKey);
        if (stored is null || def is null) return true;
        var obj = stored.Parse();
        var ns = key.Namespace.Length == 0 ? null : key.Namespace;
        var finalizers = ObjectMetaAccess.Finalizers(obj);
        if (ObjectMetaAccess.IsDeleting(obj) && finalizers.Contains(SimCluster.Finalizers.Orphan))
        {
            foreach (var dep in cluster.DependentsOf(stored.Uid)) RemoveOwnerReference(cluster, dep, stored.Uid);
            RemoveFinalizer(cluster, def, ns, key.Name, SimCluster.Finalizers.Orphan);
            return false;
        }
        if (ObjectMetaAccess.IsDeleting(obj) && finalizers.Contains(SimCluster.Finalizers.Foreground))
        {
            var dependents = cluster.DependentsOf(stored.Uid);
            if (dependents.Count == 0)
            {
                RemoveFinalizer(cluster, def, ns, key.Name, SimCluster.Finalizers.Foreground);
                return true;
            }
            foreach (var dep in dependents) DeleteQuietly(cluster, dep, PropagationPolicy.Foreground);
            return false;
        }
        var refs = (ObjectMetaAccess.Metadata(obj)["ownerReferences"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (refs.Count == 0) return true;
        var live = refs.Where(r => cluster.UidExists((string?)r["uid"] ?? "")).ToList();
        if (live.Count == 0) DeleteQuietly(cluster, key, PropagationPolicy.Background);
        return true;
    }

    private static bool ProcessNamespace(SimCluster cluster, string ns)
    {
        var nsObj = cluster.TryGet(BuiltinKeys.Namespaces, null, ns);
        if (nsObj is null) return true;
        var remaining = 0;
        foreach (var def in cluster.Registry.All.Where(d => d.Namespaced && d.IsStorageVersion && !d.IsVirtual).DistinctBy(d => d.StorageKey))
            foreach (var o in cluster.Snapshot(def.StorageKey, ns))
            {
                remaining++;
                if (!ObjectMetaAccess.IsDeleting(o.Parse())) DeleteQuietly(cluster, new ObjectKey(def.StorageKey, ns, o.Name), PropagationPolicy.Background);
            }
        if (remaining > 0) return false;
        var nsDef = cluster.Registry.Find("", "v1", "namespaces")!;
        var obj = nsObj.Parse();
        obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray() };
        try { cluster.UpdateNamespaceSpec(RequestContext.System, nsDef, ns, obj); }
        catch (KubeApiException e) when (e.IsNotFound || e.IsConflict) { }
        return cluster.TryGet(BuiltinKeys.Namespaces, null, ns) is null;
    }

    private static bool ProcessCrd(SimCluster cluster, string crdName)
    {
        var crdDef = cluster.Registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
        var crd = cluster.TryGet(crdDef.StorageKey, null, crdName);
        if (crd is null) return true;
        var spec = crd.Parse()["spec"] as JsonObject;
        var storageKey = $"{(string?)spec?["group"]}/{(string?)(spec?["names"] as JsonObject)?["plural"]}";
        var objects = cluster.Snapshot(storageKey);
        foreach (var o in objects)
            if (!ObjectMetaAccess.IsDeleting(o.Parse())) DeleteQuietly(cluster, new ObjectKey(storageKey, o.Namespace, o.Name), PropagationPolicy.Background);
        if (objects.Count > 0) return false;
        RemoveFinalizer(cluster, crdDef, null, crdName, SimCluster.Finalizers.CrdCleanup);
        return cluster.TryGet(crdDef.StorageKey, null, crdName) is null;
    }

    private static void DeleteQuietly(SimCluster cluster, ObjectKey key, PropagationPolicy policy)
    {
        var def = cluster.Registry.FindStorage(key.StorageKey);
        if (def is null) return;
        try { cluster.Delete(RequestContext.System, def, key.Namespace.Length == 0 ? null : key.Namespace, key.Name, new DeleteOptions(policy)); }
        catch (KubeApiException e) when (e.IsNotFound) { }
    }

    private static void RemoveFinalizer(SimCluster cluster, ResourceDefinition def, string? ns, string name, string finalizer)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var stored = cluster.TryGet(def.StorageKey, ns, name);
            if (stored is null) return;
            var obj = stored.Parse();
            var list = ObjectMetaAccess.Finalizers(obj);
            if (!list.Remove(finalizer)) return;
            ObjectMetaAccess.Metadata(obj)["finalizers"] = new JsonArray([.. list.Select(f => (JsonNode)JsonValue.Create(f)!)]);
            try { cluster.Update(RequestContext.System, def, ns, name, obj); return; }
            catch (KubeApiException e) when (e.IsConflict) { }
            catch (KubeApiException e) when (e.IsNotFound) { return; }
        }
    }

    private static void RemoveOwnerReference(SimCluster cluster, ObjectKey key, string ownerUid)
    {
        var def = cluster.Registry.FindStorage(key.StorageKey);
        if (def is null) return;
        var ns = key.Namespace.Length == 0 ? null : key.Namespace;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var stored = cluster.TryGet(key.StorageKey, ns, key.Name);
            if (stored is null) return;
            var obj = stored.Parse();
            var meta = ObjectMetaAccess.Metadata(obj);
            var refs = (meta["ownerReferences"] as JsonArray)?.OfType<JsonObject>().Where(r => (string?)r["uid"] != ownerUid).Select(r => (JsonNode)r.DeepClone()).ToArray() ?? [];
            if (refs.Length == 0) meta.Remove("ownerReferences"); else meta["ownerReferences"] = new JsonArray(refs);
            try { cluster.Update(RequestContext.System, def, ns, key.Name, obj); return; }
            catch (KubeApiException e) when (e.IsConflict) { }
            catch (KubeApiException e) when (e.IsNotFound) { return; }
        }
    }
}
