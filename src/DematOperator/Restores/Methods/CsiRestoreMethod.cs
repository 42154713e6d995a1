using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;
using NodaTime;

namespace DematOperator.Restores.Methods;

/// <summary>
/// CSI: one PersistentVolumeClaim per snapshot of the run, named as the claim it was taken of, its data from the
/// snapshot. A claim's dataSource must be a VolumeSnapshot of its own namespace (cross-namespace sources need an
/// alpha gate Kubernetes 1.24 lacks), so restoring elsewhere binds, in the target, a new VolumeSnapshot to a
/// pre-provisioned VolumeSnapshotContent with the same storage snapshot handle (deletionPolicy Retain: deleting
/// the copy never deletes production's snapshot).
/// </summary>
public sealed class CsiRestoreMethod : IRestoreMethod
{
    public BackupMethod Method => BackupMethod.CSISnapshot;

    private static async Task<List<VolumeSnapshot>> SnapshotsAsync(RestoreContext cx, CancellationToken ct)
    {
        var selector = $"{RunLabels.Selector(cx.Policy.Namespace!, cx.Policy.Name)},{RunLabels.Run}={RunLabels.LabelValue(cx.Run.Name)}";
        var snapshots = (await cx.Client.ListAsync(ForeignKinds.VolumeSnapshots, cx.Source, new ListRequest(selector), ct)).Items;
        if (cx.Selector is not { } wanted) return snapshots;
        // The selection is on the claims' labels; a claim that no longer exists cannot be matched and is kept.
        var kept = new List<VolumeSnapshot>();
        foreach (var s in snapshots)
        {
            var claim = s.Spec?.Source?.PersistentVolumeClaimName is { } pvc ? await cx.Client.TryGetAsync(ForeignKinds.PersistentVolumeClaims, cx.Source, pvc, ct) : null;
            if (claim is null || wanted.Matches(claim.Metadata.Labels ?? [])) kept.Add(s);
        }
        return kept;
    }

    public async Task<RestorePlan> PlanAsync(RestoreContext cx, CancellationToken ct)
    {
        if (cx.Kinds is { } kinds && !kinds.Contains("PersistentVolumeClaim")) return new RestorePlan([], 0, true);
        var items = (await SnapshotsAsync(cx, ct)).Select(s => $"PersistentVolumeClaim/{s.Spec?.Source?.PersistentVolumeClaimName}").Distinct().Order(StringComparer.Ordinal).ToList();
        return new RestorePlan(items, items.Count, true);
    }

    /// <summary>A claim's data cannot be replaced in place: an existing claim of the same name is a conflict whatever the policy.</summary>
    public async Task<List<string>> ConflictsAsync(RestoreContext cx, RestorePlan plan, CancellationToken ct)
    {
        var existing = new List<string>();
        foreach (var item in plan.Items)
            if (await cx.Client.TryGetAsync(ForeignKinds.PersistentVolumeClaims, cx.Target, item["PersistentVolumeClaim/".Length..], ct) is { } pvc
                && pvc.Metadata.Labels?.GetValueOrDefault(RestoreMarks.RequestLabel) != RunLabels.LabelValue(cx.Request.Name))
                existing.Add(item);
        return existing;
    }

    /// <summary>Snapshots stay on the storage that cut them: never on another cluster.</summary>
    public Task<string?> MissingOnTargetAsync(RestoreContext cx, CancellationToken ct) =>
        Task.FromResult(cx.OtherCluster ? "CSI snapshots stay on the source cluster's storage: restore another cluster from a Velero or Kasten recovery point" : null);

    public async Task StartAsync(RestoreContext cx, CancellationToken ct)
    {
        foreach (var snapshot in await SnapshotsAsync(cx, ct))
        {
            var claim = snapshot.Spec?.Source?.PersistentVolumeClaimName;
            if (claim is null || snapshot.Status?.ReadyToUse != true) continue;
            var original = await cx.Client.TryGetAsync(ForeignKinds.PersistentVolumeClaims, cx.Source, claim, ct);
            var dataSource = snapshot.Name;
            if (cx.Target != cx.Source)
            {
                dataSource = KubeNames.Fit($"{cx.Request.Name}-{claim}", 253);
                var content = await cx.Client.TryGetAsync(ForeignKinds.VolumeSnapshotContents, null, snapshot.Status.BoundVolumeSnapshotContentName ?? "", ct);
                if (content?.Status?.SnapshotHandle is not { } handle) continue;
                var copyName = KubeNames.Fit($"{cx.ObjectName}-{claim}", 253);
                await ObjectWriter.CreateOrGetAsync(cx.Client, ForeignKinds.VolumeSnapshotContents, new VolumeSnapshotContent
                {
                    Metadata = new ObjectMeta { Name = copyName, Labels = cx.Labels() },
                    Spec = new VolumeSnapshotContentSpec
                    {
                        DeletionPolicy = "Retain", Driver = content.Spec?.Driver, VolumeSnapshotClassName = content.Spec?.VolumeSnapshotClassName,
                        Source = new VolumeSnapshotContentSource { SnapshotHandle = handle },
                        VolumeSnapshotRef = new VolumeSnapshotRef { ApiVersion = "snapshot.storage.k8s.io/v1", Kind = "VolumeSnapshot", Name = dataSource, Namespace = cx.Target },
                    },
                }, ct);
                await ObjectWriter.CreateOrGetAsync(cx.Client, ForeignKinds.VolumeSnapshots, new VolumeSnapshot
                {
                    Metadata = new ObjectMeta { Name = dataSource, Namespace = cx.Target, Labels = cx.Labels() },
                    Spec = new VolumeSnapshotSpec { VolumeSnapshotClassName = content.Spec?.VolumeSnapshotClassName, Source = new VolumeSnapshotSource { VolumeSnapshotContentName = copyName } },
                }, ct);
            }
            await ObjectWriter.CreateOrGetAsync(cx.Client, ForeignKinds.PersistentVolumeClaims, new PersistentVolumeClaim
            {
                Metadata = new ObjectMeta { Name = claim, Namespace = cx.Target, Labels = new(original?.Metadata.Labels ?? []) { [RestoreMarks.RequestLabel] = RunLabels.LabelValue(cx.Request.Name) } },
                Spec = new PvcSpec
                {
                    AccessModes = original?.Spec?.AccessModes ?? ["ReadWriteOnce"], StorageClassName = original?.Spec?.StorageClassName, VolumeMode = original?.Spec?.VolumeMode,
                    Resources = new PvcResources { Requests = new() { ["storage"] = snapshot.Status.RestoreSize ?? original?.Spec?.Resources?.Requests?.GetValueOrDefault("storage") ?? "1Gi" } },
                    DataSource = new PvcDataSource { ApiGroup = "snapshot.storage.k8s.io", Kind = "VolumeSnapshot", Name = dataSource },
                },
            }, ct);
        }
    }

    public async Task<RestoreProgress> ObserveAsync(RestoreContext cx, Duration elapsed, Duration timeout, CancellationToken ct)
    {
        var claims = (await cx.Client.ListAsync(ForeignKinds.PersistentVolumeClaims, cx.Target, new ListRequest($"{RestoreMarks.RequestLabel}={RunLabels.LabelValue(cx.Request.Name)}"), ct)).Items;
        var plan = await PlanAsync(cx, ct);
        if (claims.Count >= plan.Count && claims.All(c => c.IsBound))
            return claims.Count == 0 ? RestoreProgress.Failed(RestoreReasons.NothingRestored, "no claim was restored")
                : RestoreProgress.Succeeded($"{claims.Count} PersistentVolumeClaim(s) restored and Bound in {cx.Target}: {string.Join(", ", claims.Select(c => c.Name).Order(StringComparer.Ordinal))}");
        var pending = plan.Items.Count - claims.Count(c => c.IsBound);
        if (elapsed > timeout) return RestoreProgress.Failed(RestoreReasons.RestoreTimedOut, $"{pending} claim(s) not Bound after {Api.Durations.Human(timeout)}");
        return RestoreProgress.Running($"{claims.Count(c => c.IsBound)}/{plan.Items.Count} claim(s) Bound");
    }
}
