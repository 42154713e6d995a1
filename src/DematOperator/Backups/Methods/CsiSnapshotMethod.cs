using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups.Hooks;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;
using NodaTime;

namespace DematOperator.Backups.Methods;

/// <summary>CSI: one VolumeSnapshot per selected PVC, in the PVC's namespace; the run is done when all are readyToUse.</summary>
public sealed class CsiSnapshotMethod(KubeClient client, EventRecorder events) : IBackupMethod, ICaptureObserver
{
    public BackupMethod Method => BackupMethod.CSISnapshot;

    public async Task CheckInstalledAsync(BackupPolicy policy, CancellationToken ct)
    {
        var className = policy.Spec.CsiSnapshot!.VolumeSnapshotClassName;
        // A missing object and a missing API both answer 404: ask the collection first.
        try { await client.ListAsync(ForeignKinds.VolumeSnapshotClasses, null, new ListRequest(Limit: 1), ct); }
        catch (KubeApiException e) when (e.Code == 404)
        {
            throw new InvalidPolicyException("CsiSnapshotsNotInstalled", "the snapshot.storage.k8s.io API is not installed on this cluster", transient: true);
        }
        if (await client.TryGetAsync(ForeignKinds.VolumeSnapshotClasses, null, className, ct) is null)
            throw new InvalidPolicyException("MissingSnapshotClass", $"VolumeSnapshotClass \"{className}\" does not exist", transient: true);
    }

    public async Task<bool> StartAsync(BackupPolicy policy, BackupSettings settings, string run, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> annotations, CancellationToken ct)
    {
        var pvcSelector = policy.Spec.Target.Selector?.ToSelector().ToString();
        var created = 0;
        foreach (var n in settings.Namespaces)
            foreach (var pvc in (await client.ListAsync(ForeignKinds.PersistentVolumeClaims, n, new ListRequest(pvcSelector), ct)).Items)
            {
                // A hook that captures its workload's data itself (Elasticsearch's snapshot API): its claims are not snapshotted.
                if (settings.Hooks.Any(h => h.CapturesItsOwnData && h.Namespace == n && ClaimOf(pvc.Name, h.Workload.Name))) continue;
                var snapshot = new VolumeSnapshot
                {
                    Metadata = new ObjectMeta { Name = KubeNames.Fit($"{run}-{pvc.Name}", 253), Namespace = n, Labels = new(labels), Annotations = new(annotations) },
                    Spec = new VolumeSnapshotSpec { VolumeSnapshotClassName = policy.Spec.CsiSnapshot!.VolumeSnapshotClassName, Source = new VolumeSnapshotSource { PersistentVolumeClaimName = pvc.Name } },
                };
                // An existing object of this run is adopted: a restart mid-run never starts the slot twice.
                if (await RunObjects.CreateAsync(client, ForeignKinds.VolumeSnapshots, snapshot, policy, ct)) created++;
            }
        if (created == 0 && !(await client.ListAsync(ForeignKinds.VolumeSnapshots, settings.Namespaces[0], new ListRequest($"{RunLabels.Selector(policy.Namespace!, policy.Name)},{RunLabels.Run}={RunLabels.LabelValue(run)}"), ct)).Items.Any())
            await events.WarningAsync(policy, "NothingToSnapshot", "no PersistentVolumeClaim matches the target: the run took no snapshot", ct);
        return created > 0;
    }

    /// <summary>A StatefulSet's claims are named `&lt;template&gt;-&lt;statefulset&gt;-&lt;ordinal&gt;`.</summary>
    private static bool ClaimOf(string claim, string statefulSet) =>
        System.Text.RegularExpressions.Regex.IsMatch(claim, $"^.+-{System.Text.RegularExpressions.Regex.Escape(statefulSet)}-\\d+$");

    public async Task<List<ObservedRun>> ObserveAsync(BackupPolicy policy, BackupSettings settings, Instant now, CancellationToken ct)
    {
        var selector = RunLabels.Selector(policy.Namespace!, policy.Name);
        var snapshots = new List<VolumeSnapshot>();
        foreach (var n in settings.Namespaces) snapshots.AddRange((await client.ListAsync(ForeignKinds.VolumeSnapshots, n, new ListRequest(selector), ct)).Items);
        var runs = new List<ObservedRun>();
        foreach (var group in snapshots.GroupBy(s => s.Metadata.Labels?.GetValueOrDefault(RunLabels.Run) ?? s.Name))
        {
            var run = RunObservation.FromSnapshots(group.Key, group.ToList());
            if (run.Phase == RunPhase.Running && now - run.Started > settings.CsiTimeout)
            {
                // The timeout is written on the objects, so the verdict survives restarts (status is not the source of truth).
                var reason = $"snapshots not ready after {Durations.Human(settings.CsiTimeout)}";
                foreach (var s in group)
                    await client.PatchAsync(ForeignKinds.VolumeSnapshots, s.Namespace, s.Name, PatchType.Merge,
                        new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [RunLabels.FailedAnnotation] = reason } } }.ToJsonString(), ct: ct);
                run = run with { Phase = RunPhase.Failed, Error = reason };
            }
            runs.Add(run);
        }
        return runs;
    }

    /// <summary>
    /// Whether the run's point in time is fixed: every snapshot has its creationTime (the storage cut it; readyToUse may
    /// come later, but the volume may be written again), or one failed. The thaw follows at once.
    /// </summary>
    public async Task<HookOutcome?> CapturedAsync(BackupPolicy policy, BackupSettings settings, string run, Instant since, Instant now, CancellationToken ct)
    {
        var selector = new ListRequest($"{RunLabels.Selector(policy.Namespace!, policy.Name)},{RunLabels.Run}={RunLabels.LabelValue(run)}");
        var snapshots = new List<VolumeSnapshot>();
        foreach (var n in settings.Namespaces) snapshots.AddRange((await client.ListAsync(ForeignKinds.VolumeSnapshots, n, selector, ct)).Items);
        if (snapshots.FirstOrDefault(s => s.Status?.Error?.Message is not null || s.Metadata.Annotations?.ContainsKey(RunLabels.FailedAnnotation) == true) is { } failed)
            return new HookOutcome.CaptureFailed($"snapshot {failed.Namespace}/{failed.Name} failed: {failed.Status?.Error?.Message ?? failed.Metadata.Annotations![RunLabels.FailedAnnotation]}");
        if (snapshots.All(s => s.Status?.CreationTime is not null)) return new HookOutcome.Captured();
        if (now - since > settings.CsiTimeout) return new HookOutcome.CaptureFailed($"snapshots not cut after {Durations.Human(settings.CsiTimeout)}");
        return null;
    }

    public async Task DeleteAsync(BackupPolicy policy, IReadOnlyList<string> namespaces, string run, CancellationToken ct)
    {
        var selector = $"{RunLabels.Selector(policy.Namespace!, policy.Name)},{RunLabels.Run}={RunLabels.LabelValue(run)}";
        foreach (var n in namespaces)
            foreach (var s in (await client.ListAsync(ForeignKinds.VolumeSnapshots, n, new ListRequest(selector), ct)).Items)
            {
                try { await client.DeleteAsync(ForeignKinds.VolumeSnapshots, n, s.Name, new DeleteRequest(PreconditionUid: s.Metadata.Uid), ct); }
                catch (KubeApiException e) when (e.IsNotFound) { }
            }
    }
}
