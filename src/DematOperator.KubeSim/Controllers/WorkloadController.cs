using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>
/// Plays the Deployment, StatefulSet and Job controllers and the kubelet: after <see cref="DelayedSimController.Delay"/>
/// the status reports the desired replicas as ready and available, for the current generation, and a Job as
/// complete (or failed, when <see cref="FailJob"/> says so). Each ready workload has its pods, Running and Ready,
/// named as the real controllers name them (`name-0`… for a StatefulSet, `name-hash-xxxxx` for a Deployment),
/// owned by the workload (so the garbage collector removes them with it); scaling down removes the surplus.
/// </summary>
public sealed class WorkloadController : DelayedSimController
{
    public override string Name => "workloads";

    /// <summary>Workloads for which this returns true never become ready (a failing rollout).</summary>
    public Func<StoredObject, bool>? NeverReady { get; set; }

    /// <summary>Jobs for which this returns true fail (BackoffLimitExceeded) instead of completing.</summary>
    public Func<StoredObject, bool>? FailJob { get; set; }

    public override Task OnChangeAsync(SimCluster cluster, StoreEvent change, CancellationToken ct)
    {
        if (change.Type == WatchEventType.Deleted) return Task.CompletedTask;
        if (change.Object.StorageKey == BuiltinKeys.Jobs)
        {
            var job = change.Object.Parse();
            if (job["status"] is not JsonObject { } js || js["conditions"] is null) Schedule(cluster, change.Object, FinishJob);
            return Task.CompletedTask;
        }
        if (change.Object.StorageKey is not (BuiltinKeys.Deployments or BuiltinKeys.StatefulSets)) return Task.CompletedTask;
        var obj = change.Object.Parse();
        if (IsSettled(obj) || ObjectMetaAccess.IsDeleting(obj)) return Task.CompletedTask;
        Schedule(cluster, change.Object, Settle);
        return Task.CompletedTask;
    }

    private void FinishJob(SimCluster cluster, StoredObject o)
    {
        var failed = FailJob?.Invoke(o) == true;
        WriteStatus(cluster, o, (_, status) =>
        {
            if (status["conditions"] is not null) return;
            status["startTime"] ??= Now(cluster);
            status[failed ? "failed" : "succeeded"] = 1;
            if (!failed) status["completionTime"] = Now(cluster);
            status["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = failed ? "Failed" : "Complete", ["status"] = "True",
                ["reason"] = failed ? "BackoffLimitExceeded" : "Completed",
                ["message"] = failed ? "Job has reached the specified backoff limit" : "",
                ["lastProbeTime"] = Now(cluster), ["lastTransitionTime"] = Now(cluster),
            });
        });
    }

    private static bool IsSettled(JsonObject obj)
    {
        var replicas = (long?)(obj["spec"] as JsonObject)?["replicas"] ?? 1;
        var status = obj["status"] as JsonObject;
        return (long?)status?["observedGeneration"] == ObjectMetaAccess.Generation(obj)
               && ((long?)status?["readyReplicas"] ?? 0) == replicas && ((long?)status?["replicas"] ?? 0) == replicas;
    }

    private void Settle(SimCluster cluster, StoredObject o)
    {
        if (NeverReady?.Invoke(o) == true) return;
        SyncPods(cluster, o);
        WriteStatus(cluster, o, (obj, status) =>
        {
            var replicas = (long?)(obj["spec"] as JsonObject)?["replicas"] ?? 1;
            status["observedGeneration"] = ObjectMetaAccess.Generation(obj);
            status["replicas"] = replicas;
            status["readyReplicas"] = replicas;
            status["updatedReplicas"] = replicas;
            status["availableReplicas"] = replicas;
            if (o.StorageKey == BuiltinKeys.StatefulSets) status["currentReplicas"] = replicas;
            else
                status["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Available", ["status"] = "True", ["reason"] = "MinimumReplicasAvailable",
                    ["message"] = "Deployment has minimum availability.", ["lastUpdateTime"] = Now(cluster), ["lastTransitionTime"] = Now(cluster),
                });
        });
    }

    private static void SyncPods(SimCluster cluster, StoredObject workload)
    {
        var podDef = cluster.Registry.FindStorage(BuiltinKeys.Pods);
        if (podDef is null) return;
        var obj = workload.Parse();
        var spec = obj["spec"] as JsonObject;
        var replicas = (int)((long?)spec?["replicas"] ?? 1);
        var template = spec?["template"] as JsonObject;
        var statefulSet = workload.StorageKey == BuiltinKeys.StatefulSets;
        var wanted = Enumerable.Range(0, Math.Max(0, replicas)).Select(i => PodName(workload, statefulSet, i)).ToList();
        var owned = cluster.Snapshot(BuiltinKeys.Pods, workload.Namespace)
            .Where(p => (ObjectMetaAccess.Metadata(p.Parse())["ownerReferences"] as JsonArray)?.Any(r => (string?)r?["uid"] == workload.Uid) == true).ToList();
        foreach (var surplus in owned.Where(p => !wanted.Contains(p.Name)))
        {
            try { cluster.Delete(RequestContext.System, podDef, workload.Namespace, surplus.Name, new DeleteOptions()); }
            catch (KubeApiException e) when (e.IsNotFound) { }
        }
        foreach (var name in wanted.Where(n => owned.All(p => p.Name != n)))
        {
            var labels = (template?["metadata"] as JsonObject)?["labels"]?.DeepClone() as JsonObject ?? new JsonObject();
            if (statefulSet) labels["statefulset.kubernetes.io/pod-name"] = name;
            var pod = new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Pod",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name, ["namespace"] = workload.Namespace, ["labels"] = labels,
                    ["ownerReferences"] = new JsonArray(new JsonObject
                    {
                        ["apiVersion"] = "apps/v1", ["kind"] = statefulSet ? "StatefulSet" : "Deployment", ["name"] = workload.Name,
                        ["uid"] = workload.Uid, ["controller"] = true, ["blockOwnerDeletion"] = true,
                    }),
                },
                ["spec"] = (template?["spec"] as JsonObject)?.DeepClone() ?? new JsonObject { ["containers"] = new JsonArray() },
            };
            StoredObject created;
            try { created = cluster.Create(RequestContext.System, podDef, workload.Namespace, pod); }
            catch (KubeApiException e) when (e.IsAlreadyExists) { continue; }
            catch (KubeApiException) { return; }
            WriteStatus(cluster, created, (_, status) =>
            {
                status["phase"] = "Running";
                status["startTime"] = Now(cluster);
                var ip = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(created.Uid));
                status["podIP"] = $"10.128.{ip[0] % 250}.{ip[1] % 250 + 1}";
                status["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "Initialized", ["status"] = "True", ["lastTransitionTime"] = Now(cluster) },
                    new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = Now(cluster) },
                    new JsonObject { ["type"] = "ContainersReady", ["status"] = "True", ["lastTransitionTime"] = Now(cluster) },
                    new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastTransitionTime"] = Now(cluster) });
            });
        }
    }

    /// <summary>`name-0` for a StatefulSet; for a Deployment, `name-<pod-template-hash>-<5 chars>` as its ReplicaSet names pods, stable for a given object.</summary>
    private static string PodName(StoredObject workload, bool statefulSet, int index)
    {
        if (statefulSet) return $"{workload.Name}-{index}";
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{workload.Uid}/{index}"))).ToLowerInvariant();
        var name = $"{workload.Name}-{hash[..10]}-{hash[10..15]}";
        return name.Length <= 253 ? name : name[^253..];
    }
}
