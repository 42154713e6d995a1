using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>
/// Plays the Deployment, StatefulSet and Job controllers and the kubelet: after <see cref="DelayedSimController.Delay"/>
/// the status reports the desired replicas as ready and available, for the current generation, and a Job as
/// complete (or failed, when <see cref="FailJob"/> says so).
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
        if (change.Object.StorageKey == "batch/jobs")
        {
            var job = change.Object.Parse();
            if (job["status"] is not JsonObject { } js || js["conditions"] is null) Schedule(cluster, change.Object, FinishJob);
            return Task.CompletedTask;
        }
        if (change.Object.StorageKey is not ("apps/deployments" or "apps/statefulsets")) return Task.CompletedTask;
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
        WriteStatus(cluster, o, (obj, status) =>
        {
            var replicas = (long?)(obj["spec"] as JsonObject)?["replicas"] ?? 1;
            status["observedGeneration"] = ObjectMetaAccess.Generation(obj);
            status["replicas"] = replicas;
            status["readyReplicas"] = replicas;
            status["updatedReplicas"] = replicas;
            status["availableReplicas"] = replicas;
            if (o.StorageKey == "apps/statefulsets") status["currentReplicas"] = replicas;
            else
                status["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Available", ["status"] = "True", ["reason"] = "MinimumReplicasAvailable",
                    ["message"] = "Deployment has minimum availability.", ["lastUpdateTime"] = Now(cluster), ["lastTransitionTime"] = Now(cluster),
                });
        });
    }
}
