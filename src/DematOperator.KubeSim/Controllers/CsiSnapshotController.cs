using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>
/// Plays the CSI external-snapshotter and the volume binder: a VolumeSnapshot gets a bound
/// VolumeSnapshotContent and becomes readyToUse with its creationTime and restoreSize; PVCs bind, and a PVC
/// whose dataSource is a VolumeSnapshot binds only once that snapshot is ready.
/// </summary>
public sealed class CsiSnapshotController : DelayedSimController
{
    private const string Snapshots = "snapshot.storage.k8s.io/volumesnapshots";
    private const string Pvcs = BuiltinKeys.PersistentVolumeClaims;
    private const string Contents = "snapshot.storage.k8s.io/volumesnapshotcontents";

    public override string Name => "csi-snapshots";

    /// <summary>Snapshots for which this returns a message fail with that error.</summary>
    public Func<StoredObject, string?>? FailWith { get; set; }

    /// <summary>Claims for which this returns true stay Pending (no storage for them: a lost volume, a full pool).</summary>
    public Func<StoredObject, bool>? NeverBind { get; set; }

    public override Task OnChangeAsync(SimCluster cluster, StoreEvent change, CancellationToken ct)
    {
        var o = change.Object;
        if (change.Type == WatchEventType.Deleted)
        {
            if (o.StorageKey == Snapshots) DeleteContent(cluster, o);
            return Task.CompletedTask;
        }
        if (o.StorageKey == Snapshots)
        {
            var obj = o.Parse();
            var status = obj["status"] as JsonObject;
            if (status?["boundVolumeSnapshotContentName"] is null && status?["error"] is null && !ObjectMetaAccess.IsDeleting(obj))
                Schedule(cluster, o, CutSnapshot);
            if (status?["readyToUse"] is JsonValue r && r.GetValue<bool>())
                foreach (var pvc in cluster.Snapshot(Pvcs, o.Namespace)) Schedule(cluster, pvc, BindClaim, TimeSpan.Zero);
        }
        else if (o.StorageKey == Contents && o.Parse() is var content && (string?)content["spec"]?["source"]?["snapshotHandle"] is { } handle && content["status"]?["snapshotHandle"] is null)
        {
            Schedule(cluster, o, (c, stored) => ProvisionContent(c, stored, handle), TimeSpan.Zero);
        }
        else if (o.StorageKey == Pvcs && (string?)(o.Parse()["status"] as JsonObject)?["phase"] == "Pending")
        {
            Schedule(cluster, o, BindClaim, TimeSpan.Zero);
        }
        return Task.CompletedTask;
    }

    /// <summary>A pre-provisioned content (a storage snapshot that exists already): ready with the original's time and size.</summary>
    private static void ProvisionContent(SimCluster cluster, StoredObject content, string handle)
    {
        var original = cluster.Snapshot(Contents).Select(c => c.Parse()).FirstOrDefault(c => (string?)c["status"]?["snapshotHandle"] == handle && (string?)c["spec"]?["source"]?["snapshotHandle"] is null);
        WriteStatus(cluster, content, (_, status) =>
        {
            status["snapshotHandle"] = handle;
            status["readyToUse"] = original is not null;
            if (original?["status"] is JsonObject o)
            {
                status["creationTime"] = o["creationTime"]?.DeepClone();
                status["restoreSize"] = o["restoreSize"]?.DeepClone();
            }
        });
    }

    /// <summary>A VolumeSnapshot bound to a pre-provisioned content (spec.source.volumeSnapshotContentName).</summary>
    private void BindToContent(SimCluster cluster, StoredObject snapshot, string contentName)
    {
        var content = cluster.TryGet(Contents, null, contentName)?.Parse();
        var status = content?["status"] as JsonObject;
        if (content is null || status?["readyToUse"] is not JsonValue ready || !ready.GetValue<bool>())
        {
            // The content may not be provisioned yet: look again later, as the snapshot-controller does.
            if (content is not null) Schedule(cluster, snapshot, (c, s) => BindToContent(c, s, contentName));
            else WriteStatus(cluster, snapshot, (_, st) => { st["readyToUse"] = false; st["error"] = new JsonObject { ["message"] = $"volumesnapshotcontent \"{contentName}\" not found", ["time"] = Now(cluster) }; });
            return;
        }
        var created = status["creationTime"] is JsonValue ns && ns.TryGetValue<long>(out var nanos) ? DateTimeOffset.FromUnixTimeMilliseconds(nanos / 1_000_000) : cluster.Time.GetUtcNow();
        var bytes = status["restoreSize"] is JsonValue rs && rs.TryGetValue<long>(out var b) ? b : 0;
        WriteStatus(cluster, snapshot, (_, st) =>
        {
            st["boundVolumeSnapshotContentName"] = contentName;
            st["creationTime"] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
            st["readyToUse"] = true;
            st["restoreSize"] = bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{bytes >> 30}Gi" : $"{bytes}";
        });
    }

    private void CutSnapshot(SimCluster cluster, StoredObject snapshot)
    {
        var obj = snapshot.Parse();
        var spec = obj["spec"] as JsonObject;
        if ((string?)(spec?["source"] as JsonObject)?["volumeSnapshotContentName"] is { } preProvisioned)
        {
            BindToContent(cluster, snapshot, preProvisioned);
            return;
        }
        var pvcName = (string?)(spec?["source"] as JsonObject)?["persistentVolumeClaimName"];
        var className = (string?)spec?["volumeSnapshotClassName"];
        var classes = Def(cluster, "snapshot.storage.k8s.io", "volumesnapshotclasses");
        StoredObject? snapshotClass = null;
        if (classes is not null)
            snapshotClass = className is null
                ? cluster.Snapshot(classes.StorageKey).FirstOrDefault(c => ObjectMetaAccess.Annotations(c.Parse()).GetValueOrDefault("snapshot.storage.kubernetes.io/is-default-class") == "true")
                : cluster.TryGet(classes.StorageKey, null, className);
        var pvc = pvcName is null ? null : cluster.TryGet(Pvcs, snapshot.Namespace, pvcName);
        var error = FailWith?.Invoke(snapshot)
                    ?? (pvcName is null ? "spec.source.persistentVolumeClaimName is required for dynamic snapshots" : null)
                    ?? (pvc is null ? $"failed to take snapshot: persistentvolumeclaims \"{pvcName}\" not found" : null)
                    ?? (snapshotClass is null ? $"failed to get input parameters to create snapshot {snapshot.Name}: \"volumesnapshotclass \\\"{className ?? "(default)"}\\\" not found\"" : null);
        if (error is not null)
        {
            WriteStatus(cluster, snapshot, (_, status) =>
            {
                status["readyToUse"] = false;
                status["error"] = new JsonObject { ["message"] = error, ["time"] = Now(cluster) };
            });
            return;
        }
        var size = (string?)(((pvc!.Parse()["spec"] as JsonObject)?["resources"] as JsonObject)?["requests"] as JsonObject)?["storage"] ?? "1Gi";
        var contentName = $"snapcontent-{snapshot.Uid}";
        var contents = Def(cluster, "snapshot.storage.k8s.io", "volumesnapshotcontents");
        var classObj = snapshotClass!.Parse();
        var creation = cluster.Time.GetUtcNow();
        if (contents is not null && cluster.TryGet(contents.StorageKey, null, contentName) is null)
        {
            var content = cluster.Create(RequestContext.System, contents, null, new JsonObject
            {
                ["apiVersion"] = contents.GroupVersion, ["kind"] = "VolumeSnapshotContent",
                ["metadata"] = new JsonObject { ["name"] = contentName },
                ["spec"] = new JsonObject
                {
                    ["deletionPolicy"] = (string?)classObj["deletionPolicy"] ?? "Delete",
                    ["driver"] = (string?)classObj["driver"] ?? "sim.csi.k8s.io",
                    ["volumeSnapshotClassName"] = snapshotClass.Name,
                    ["source"] = new JsonObject { ["volumeHandle"] = $"vol-{pvc.Uid}" },
                    ["volumeSnapshotRef"] = new JsonObject
                    {
                        ["apiVersion"] = "snapshot.storage.k8s.io/v1", ["kind"] = "VolumeSnapshot",
                        ["name"] = snapshot.Name, ["namespace"] = snapshot.Namespace, ["uid"] = snapshot.Uid,
                    },
                },
            });
            WriteStatus(cluster, content, (_, status) =>
            {
                status["snapshotHandle"] = $"snap-{snapshot.Uid}";
                status["creationTime"] = creation.ToUnixTimeMilliseconds() * 1_000_000;
                status["restoreSize"] = QuantityBytes(size);
                status["readyToUse"] = true;
            });
        }
        WriteStatus(cluster, snapshot, (_, status) =>
        {
            status["boundVolumeSnapshotContentName"] = contentName;
            status["creationTime"] = creation.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
            status["readyToUse"] = true;
            status["restoreSize"] = size;
        });
    }

    private static void DeleteContent(SimCluster cluster, StoredObject snapshot)
    {
        var contents = Def(cluster, "snapshot.storage.k8s.io", "volumesnapshotcontents");
        if (contents is null) return;
        var content = cluster.TryGet(contents.StorageKey, null, $"snapcontent-{snapshot.Uid}");
        if (content is null || (string?)(content.Parse()["spec"] as JsonObject)?["deletionPolicy"] == "Retain") return;
        try { cluster.Delete(RequestContext.System, contents, null, content.Name, new DeleteOptions()); }
        catch (KubeApiException e) when (e.IsNotFound) { }
    }

    private void BindClaim(SimCluster cluster, StoredObject pvc)
    {
        if (NeverBind?.Invoke(pvc) == true) return;
        var obj = pvc.Parse();
        if ((string?)(obj["status"] as JsonObject)?["phase"] != "Pending") return;
        var spec = obj["spec"] as JsonObject;
        var source = (spec?["dataSource"] ?? spec?["dataSourceRef"]) as JsonObject;
        if ((string?)source?["kind"] == "VolumeSnapshot")
        {
            var snapshots = Def(cluster, "snapshot.storage.k8s.io", "volumesnapshots");
            var snap = snapshots is null ? null : cluster.TryGet(snapshots.StorageKey, pvc.Namespace, (string?)source["name"] ?? "");
            var ready = (snap?.Parse()["status"] as JsonObject)?["readyToUse"] is JsonValue r && r.GetValue<bool>();
            if (!ready) return;
        }
        var size = (string?)((spec?["resources"] as JsonObject)?["requests"] as JsonObject)?["storage"] ?? "1Gi";
        var volumeName = $"pvc-{pvc.Uid}";
        if (string.IsNullOrEmpty((string?)spec?["volumeName"]))
        {
            obj["spec"]!["volumeName"] = volumeName;
            try { cluster.Update(RequestContext.System, cluster.Registry.FindStorage(Pvcs)!, pvc.Namespace, pvc.Name, obj); }
            catch (KubeApiException) { return; }
        }
        WriteStatus(cluster, pvc, (_, status) =>
        {
            status["phase"] = "Bound";
            status["capacity"] = new JsonObject { ["storage"] = size };
            status["accessModes"] = spec?["accessModes"]?.DeepClone() ?? new JsonArray("ReadWriteOnce");
        });
    }

    private static long QuantityBytes(string quantity)
    {
        var units = new (string Suffix, long Factor)[] { ("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("Ti", 1L << 40), ("k", 1000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000) };
        foreach (var (suffix, factor) in units)
            if (quantity.EndsWith(suffix, StringComparison.Ordinal) && long.TryParse(quantity[..^suffix.Length], out var n)) return n * factor;
        return long.TryParse(quantity, out var plain) ? plain : 0;
    }
}
