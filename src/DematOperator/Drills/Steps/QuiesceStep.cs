using System.Globalization;
using System.Text.Json.Nodes;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.Drills.Steps;

/// <summary>
/// Stops the test environments on the target to make room: every Deployment and StatefulSet to 0 replicas, every
/// CronJob suspended, each object carrying what it had (so the rollback, even a new leader's, gives it back).
/// </summary>
public sealed class QuiesceStep : IDrillStep
{
    public DrillStepName Name => DrillStepName.Quiesce;

    public async Task<StepOutcome> ObserveAsync(DrillRunContext cx, CancellationToken ct)
    {
        var quiesced = new List<QuiescedObject>();
        using var because = KubeClient.Because($"PraDrill {cx.RunKey} quiesce");
        foreach (var ns in await TestEnvironments.NamespacesAsync(cx.Drill, cx.Settings, cx.Target, ct))
        {
            foreach (var kind in ForeignKinds.WorkloadKinds)
                foreach (var w in (await cx.Target.ListAsync(kind, ns, null, ct)).Items)
                {
                    var original = await StopAsync(cx, kind, w, DrillMarks.OriginalReplicasAnnotation, w.DesiredReplicas.ToString(CultureInfo.InvariantCulture), new JsonObject { ["replicas"] = 0 }, ct);
                    quiesced.Add(new QuiescedObject { Kind = kind.Kind, Namespace = ns, Name = w.Name, Replicas = int.Parse(original, CultureInfo.InvariantCulture) });
                }
            List<CronJob> cronJobs;
            try { cronJobs = (await cx.Target.ListAsync(ForeignKinds.CronJobs, ns, null, ct)).Items; }
            catch (KubeApiException e) when (e.Code == 404) { continue; }
            foreach (var cj in cronJobs)
            {
                var original = await StopAsync(cx, ForeignKinds.CronJobs, cj, DrillMarks.OriginalSuspendAnnotation, cj.Spec?.Suspend == true ? "true" : "false", new JsonObject { ["suspend"] = true }, ct);
                quiesced.Add(new QuiescedObject { Kind = ForeignKinds.CronJobs.Kind, Namespace = ns, Name = cj.Name, Suspend = original == "true" });
            }
        }
        cx.Run.Quiesced = quiesced;
        return StepOutcome.Done($"{quiesced.Count(q => q.Suspend is null)} workload(s) scaled to 0, {quiesced.Count(q => q.Suspend is not null)} CronJob(s) suspended");
    }

    /// <summary>
    /// Stops one object and records on it what it had, in one optimistic write. An object already stopped by this run
    /// keeps its record; one left stopped by an earlier, interrupted run keeps that earlier (true) original.
    /// </summary>
    private static async Task<string> StopAsync<T>(DrillRunContext cx, ResourceType<T> type, T obj, string originalKey, string current, JsonObject stopped, CancellationToken ct)
        where T : KubeObject
    {
        var annotations = obj.Metadata.Annotations ?? [];
        if (annotations.GetValueOrDefault(DrillMarks.QuiescedByAnnotation) == cx.RunKey && annotations.TryGetValue(originalKey, out var recorded)) return recorded;
        var original = annotations.GetValueOrDefault(originalKey) ?? current;
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = obj.Metadata.ResourceVersion,
                ["annotations"] = new JsonObject { [DrillMarks.QuiescedByAnnotation] = cx.RunKey, [originalKey] = original },
            },
            ["spec"] = stopped,
        };
        await cx.Target.PatchAsync(type, obj.Namespace, obj.Name, PatchType.Merge, patch.ToJsonString(), ct: ct);
        return original;
    }
}
