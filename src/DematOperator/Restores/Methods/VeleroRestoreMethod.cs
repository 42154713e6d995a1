using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Engines.Velero;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;
using NodaTime;

namespace DematOperator.Restores.Methods;

/// <summary>
/// Velero: one Restore of the run's Backup, named after the request, with the source namespace mapped to the
/// target, the selection as includedResources and labelSelector, and existingResourcePolicy as asked. A Backup's
/// contents live in object storage (Velero lists them through a DownloadRequest), so the plan is its summary.
/// </summary>
public sealed class VeleroRestoreMethod : IRestoreMethod
{
    public BackupMethod Method => BackupMethod.Velero;

    private static async Task<VeleroBackup?> BackupAsync(RestoreContext cx, CancellationToken ct)
    {
        var selector = $"{RunLabels.Selector(cx.Policy.Namespace!, cx.Policy.Name)},{RunLabels.Run}={RunLabels.LabelValue(cx.Run.Name)}";
        return (await cx.Client.ListAsync(ForeignKinds.VeleroBackups, VeleroMethod.Namespace(cx.Policy), new ListRequest(selector), ct)).Items.FirstOrDefault();
    }

    public async Task<RestorePlan> PlanAsync(RestoreContext cx, CancellationToken ct)
    {
        if (await BackupAsync(cx, ct) is not { } backup || !backup.Holds(cx.Source)) return new RestorePlan([], 0, false);
        var what = cx.Kinds is { } kinds ? string.Join(", ", kinds) : "every kind";
        var items = backup.Status?.Progress?.TotalItems ?? 0;
        return new RestorePlan([$"{cx.Source} from Velero Backup {backup.Name}: {what}{(cx.Selector is { } s ? $" with labels {s}" : "")} (the backup holds {items} item(s) across its namespaces)"], Math.Max(items, 1), false);
    }

    public Task<List<string>> ConflictsAsync(RestoreContext cx, RestorePlan plan, CancellationToken ct) =>
        RestoreTargets.ExistingAsync(cx.TargetClient, cx.Target, cx.Kinds, cx.Selector, ct);

    /// <summary>On another cluster, its Velero must already hold the Backup (synced from the shared storage location).</summary>
    public async Task<string?> MissingOnTargetAsync(RestoreContext cx, CancellationToken ct)
    {
        if (!cx.OtherCluster || await BackupAsync(cx, ct) is not { } backup) return null;
        return await cx.TargetClient.TryGetAsync(ForeignKinds.VeleroBackups, VeleroMethod.Namespace(cx.Policy), backup.Name, ct) is { Status.Phase: VeleroPhases.Completed } ? null
            : $"Velero on the target cluster has no completed Backup {backup.Name}: do both clusters share its storage location ({backup.Spec?.StorageLocation})?";
    }

    public async Task StartAsync(RestoreContext cx, CancellationToken ct)
    {
        var backup = await BackupAsync(cx, ct);
        if (backup is null) return;
        await ObjectWriter.CreateOrGetAsync(cx.TargetClient, ForeignKinds.VeleroRestores, new VeleroRestore
        {
            Metadata = new ObjectMeta { Name = cx.ObjectName, Namespace = VeleroMethod.Namespace(cx.Policy), Labels = cx.Labels() },
            Spec = new VeleroRestoreSpec
            {
                BackupName = backup.Name, IncludedNamespaces = [cx.Source],
                NamespaceMapping = cx.Target == cx.Source ? null : new() { [cx.Source] = cx.Target },
                IncludedResources = cx.Kinds?.Select(RestoreTargets.GroupResource).ToList(), LabelSelector = cx.Request.Spec.Include?.Selector,
                RestorePVs = true, ExistingResourcePolicy = cx.Update ? "update" : "none",
                // Our own kinds are never restored on demand: a copied BackupPolicy or ServiceLevel would act twice.
                ExcludedResources = [.. OperatorKinds.GroupResources],
            },
        }, ct);
    }

    public async Task<RestoreProgress> ObserveAsync(RestoreContext cx, Duration elapsed, Duration timeout, CancellationToken ct)
    {
        var restore = await cx.TargetClient.TryGetAsync(ForeignKinds.VeleroRestores, VeleroMethod.Namespace(cx.Policy), cx.ObjectName, ct);
        var reading = VeleroRestoreReading.Of(restore, cx.ObjectName);
        if (reading.Kind == RestoreReadingKind.Failed) return RestoreProgress.Failed(RestoreReasons.RestoreFailed, reading.Failure!);
        if (reading.Kind == RestoreReadingKind.Completed)
        {
            var restored = reading.ItemsRestored;
            // The plan counts the whole Backup (Velero lists a Backup's contents only through object storage); the Restore takes
            // one namespace of it, less our own kinds and what the selection leaves out: say so when the numbers differ.
            var planned = cx.Request.Status?.PlannedItems;
            var why = planned is { } p && p != restored
                ? $" (the plan counted the Backup's {p} item(s) across all its namespaces and kinds; the Restore takes {cx.Source} only, "
                  + $"without DematOperator's kinds{(cx.Kinds is null && cx.Selector is null ? "" : ", and only the selection")})"
                : "";
            return restored == 0 ? RestoreProgress.Failed(RestoreReasons.NothingRestored, $"Velero Restore {cx.ObjectName} completed but restored nothing")
                : RestoreProgress.Succeeded($"Velero Restore {cx.ObjectName} completed: {restored} item(s) into {cx.Target}{why}"
                                            + (reading.Warnings > 0 ? $", {reading.Warnings} warning(s) (existing objects left as they were)" : ""));
        }
        if (elapsed > timeout) return RestoreProgress.Failed(RestoreReasons.RestoreTimedOut, $"Velero Restore {cx.ObjectName} not completed after {Durations.Human(timeout)}");
        return RestoreProgress.Running($"Velero Restore {cx.ObjectName}: {reading.Phase}");
    }
}
