using System.Globalization;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;
using NodaTime;

namespace DematOperator.Drills.Steps;

/// <summary>
/// Gives the target back: every object this run stopped gets its recorded value, and the namespaces this run
/// created (and only those, by their run label) are deleted. A successful rehearsal first waits `rollback.after`
/// for inspection; a successful failover does not roll back at all.
/// </summary>
public sealed class RollbackStep(EventRecorder events) : IDrillStep
{
    private static readonly Duration NamespaceDeletionTimeout = Duration.FromMinutes(15);

    public DrillStepName Name => DrillStepName.Rollback;

    public async Task<StepOutcome> ObserveAsync(DrillRunContext cx, CancellationToken ct)
    {
        var run = cx.Run;
        if (cx.Settings.Failover && run.FailureReason is null)
            return StepOutcome.Skip("failover: production stays on the target and the test environments stay stopped");
        if (run.FailureReason is null && run.VerifiedTime is { } verified && run.AbortRequested != true)
        {
            var until = Instant.FromDateTimeOffset(verified) + cx.Settings.RollbackAfter;
            if (cx.Now < until)
                return StepOutcome.Wait($"kept for inspection until {DrillText.Local(until, cx.Settings.Zone)}; annotate {DrillMarks.AbortAnnotation} to roll back now", (until - cx.Now).ToTimeSpan());
        }
        using var because = KubeClient.Because($"PraDrill {cx.RunKey} rollback");
        var givenBack = 0;
        // The namespaces the run recorded at Quiesce, as well as the spec's: a spec edited during the run must not leave
        // a test environment stopped.
        var namespaces = (await TestEnvironments.NamespacesAsync(cx.Drill, cx.Settings, cx.Target, ct)).Union((run.Quiesced ?? []).Select(q => q.Namespace)).ToList();
        foreach (var ns in namespaces)
        {
            foreach (var kind in ForeignKinds.WorkloadKinds)
                foreach (var w in (await cx.Target.ListAsync(kind, ns, null, ct)).Items.Where(o => QuiescedByThisRun(cx, o)))
                {
                    var replicas = int.TryParse(w.Metadata.Annotations!.GetValueOrDefault(DrillMarks.OriginalReplicasAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 1;
                    await GiveBackAsync(cx, kind, w, new JsonObject { ["replicas"] = replicas }, ct);
                    givenBack++;
                }
            List<CronJob> cronJobs;
            try { cronJobs = (await cx.Target.ListAsync(ForeignKinds.CronJobs, ns, null, ct)).Items; }
            catch (KubeApiException e) when (e.Code == 404) { continue; }
            foreach (var cj in cronJobs.Where(o => QuiescedByThisRun(cx, o)))
            {
                await GiveBackAsync(cx, ForeignKinds.CronJobs, cj, new JsonObject { ["suspend"] = cj.Metadata.Annotations!.GetValueOrDefault(DrillMarks.OriginalSuspendAnnotation) == "true" }, ct);
                givenBack++;
            }
        }
        var remaining = new List<string>();
        foreach (var ns in run.CreatedNamespaces ?? [])
        {
            var existing = await cx.Target.TryGetAsync(Resources.Namespaces, null, ns, ct);
            // Only a namespace carrying this run's label is the drill's to delete.
            if (existing is null || existing.Metadata.Labels?.GetValueOrDefault(DrillMarks.RunLabel) != RunLabels.LabelValue(run.Name)) continue;
            remaining.Add(ns);
            if (existing.Metadata.DeletionTimestamp is null)
            {
                try { await cx.Target.DeleteAsync(Resources.Namespaces, null, ns, new DeleteRequest(PreconditionUid: existing.Metadata.Uid), ct); }
                catch (KubeApiException e) when (e.IsNotFound) { remaining.Remove(ns); }
            }
        }
        if (remaining.Count > 0 && cx.StepElapsed < NamespaceDeletionTimeout)
            return StepOutcome.Wait($"giving back: test environments restored, waiting for {string.Join(", ", remaining)} to be deleted");
        var message = $"{run.Quiesced?.Count ?? givenBack} test-environment object(s) given back, {(run.CreatedNamespaces?.Count ?? 0) - remaining.Count} restored namespace(s) deleted";
        if (remaining.Count > 0) message += $"; still terminating: {string.Join(", ", remaining)}";
        await events.NormalAsync(cx.Drill, "RolledBack", $"run {run.Name}: {message}", ct);
        return StepOutcome.Done(message);
    }

    private static bool QuiescedByThisRun(DrillRunContext cx, KubeObject o) => o.Metadata.Annotations?.GetValueOrDefault(DrillMarks.QuiescedByAnnotation) == cx.RunKey;

    private static Task GiveBackAsync<T>(DrillRunContext cx, ResourceType<T> type, T obj, JsonObject spec, CancellationToken ct) where T : KubeObject
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = obj.Metadata.ResourceVersion,
                ["annotations"] = new JsonObject { [DrillMarks.QuiescedByAnnotation] = null, [DrillMarks.OriginalReplicasAnnotation] = null, [DrillMarks.OriginalSuspendAnnotation] = null },
            },
            ["spec"] = spec,
        };
        return cx.Target.PatchAsync(type, obj.Namespace, obj.Name, PatchType.Merge, patch.ToJsonString(), ct: ct);
    }
}
