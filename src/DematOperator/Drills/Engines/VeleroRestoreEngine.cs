using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Drills.Steps;
using DematOperator.Engines.Velero;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;

namespace DematOperator.Drills.Engines;

/// <summary>
/// Velero/OADP: the newest completed Backup of the drill's BackupPolicy (or Velero Schedule) that Velero synced
/// from the shared storage location onto the target, restored by one Restore named after the run.
/// </summary>
public sealed class VeleroRestoreEngine : IRestoreEngine
{
    public BackupMethod Engine => BackupMethod.Velero;

    public string Namespace(PraDrill drill) => drill.Spec.Backup.VeleroNamespace ?? "openshift-adp";

    public async Task<StepOutcome?> ChooseAsync(DrillRunContext cx, CancellationToken ct)
    {
        var drill = cx.Drill;
        var ns = Namespace(drill);
        var selector = drill.Spec.Backup.BackupPolicy is { Length: > 0 } policy
            ? RunLabels.Selector(drill.Spec.Backup.BackupPolicyNamespace ?? drill.Namespace!, policy)
            : $"{VeleroLabels.ScheduleName}={drill.Spec.Backup.VeleroSchedule}";
        List<VeleroBackup> backups;
        try { backups = (await cx.Target.ListAsync(ForeignKinds.VeleroBackups, ns, new ListRequest(selector), ct)).Items; }
        catch (KubeApiException e) when (e.Code == 404) { return StepOutcome.Fail(DrillReasons.VeleroNotInstalled, "the velero.io API is not installed on the target cluster"); }
        var newest = backups.Where(b => b.Status?.Phase == VeleroPhases.Completed).MaxBy(b => b.DataTime);
        if (newest is null) return StepOutcome.Fail(DrillReasons.NoCompletedBackup, $"no completed Velero backup matches {selector} in {ns}");
        var notInBackup = drill.Spec.Source.Namespaces.Where(n => !newest.Holds(n)).ToList();
        if (notInBackup.Count > 0)
        {
            var included = newest.Spec?.IncludedNamespaces ?? [];
            var excluded = newest.Spec?.ExcludedNamespaces ?? [];
            return StepOutcome.Fail(DrillReasons.BackupMissesNamespace,
                $"backup {newest.Name} does not hold {string.Join(", ", notInBackup)} (it includes {(included.Count == 0 ? "every namespace" : string.Join(", ", included))}{(excluded.Count > 0 ? $", excludes {string.Join(", ", excluded)}" : "")})");
        }
        cx.Run.BackupName = newest.Name;
        cx.Run.BackupTime = newest.DataTime;
        return null;
    }

    public async Task<StepOutcome> RestoreAsync(DrillRunContext cx, CancellationToken ct)
    {
        var run = cx.Run;
        run.RestoreName = run.Name;
        var restore = await cx.Target.TryGetAsync(ForeignKinds.VeleroRestores, Namespace(cx.Drill), run.Name, ct)
                      ?? await ObjectWriter.CreateOrGetAsync(cx.Target, ForeignKinds.VeleroRestores, NewRestore(cx), ct);
        var reading = VeleroRestoreReading.Of(restore, run.Name);
        if (reading.Kind == RestoreReadingKind.Failed) return StepOutcome.Fail(DrillReasons.RestoreFailed, reading.Failure!);
        if (reading.Kind == RestoreReadingKind.Completed)
        {
            var items = reading.ItemsRestored;
            var empty = new List<string>();
            var restored = new ListRequest($"{VeleroLabels.RestoreName}={RunLabels.LabelValue(run.Name)}", Limit: 1);
            foreach (var ns in cx.TargetNamespaces)
                if (!await RestoreEngines.HoldsAnyAsync(cx.Target, ns, restored, null, ct)) empty.Add(ns);
            if (items == 0 || empty.Count > 0)
                return StepOutcome.Fail(DrillReasons.NothingRestored,
                    $"Velero Restore {run.Name} completed but restored {(items == 0 ? "nothing" : $"nothing into {string.Join(", ", empty)}")}: a drill that restored nothing proves nothing");
            return StepOutcome.Done($"Velero Restore {run.Name} completed: {items} item(s)"
                                    + (cx.Settings.Failover ? "" : "; DematOperator's own resources excluded (rehearsal)"));
        }
        if (cx.StepElapsed > cx.Settings.RestoreTimeout)
            return StepOutcome.Fail(DrillReasons.RestoreTimedOut, $"Velero Restore {run.Name} not completed after {Durations.Human(cx.Settings.RestoreTimeout)} (phase {reading.Phase})");
        return StepOutcome.Wait($"Velero Restore {run.Name}: {reading.Phase}");
    }

    public async Task<(string Name, DateTimeOffset DataTime)?> RestoredAsync(DrillRunContext cx, CancellationToken ct)
    {
        var ns = Namespace(cx.Drill);
        if (cx.Run.RestoreName is { } restoreName
            && await cx.Target.TryGetAsync(ForeignKinds.VeleroRestores, ns, restoreName, ct) is { Spec.BackupName: { Length: > 0 } restored }
            && await cx.Target.TryGetAsync(ForeignKinds.VeleroBackups, ns, restored, ct) is { } backup)
            return (backup.Name, backup.DataTime);
        return null;
    }

    private VeleroRestore NewRestore(DrillRunContext cx)
    {
        var labels = RestoreEngines.RunLabelsOf(cx);
        labels["app.kubernetes.io/managed-by"] = "dematoperator";
        return new VeleroRestore
        {
            Metadata = new ObjectMeta { Name = cx.Run.Name, Namespace = Namespace(cx.Drill), Labels = labels },
            Spec = new VeleroRestoreSpec
            {
                BackupName = cx.Run.BackupName,
                IncludedNamespaces = [.. cx.Drill.Spec.Source.Namespaces],
                NamespaceMapping = cx.Drill.Spec.Source.Namespaces.Where(s => cx.Settings.TargetNamespace(s) != s).ToDictionary(s => s, cx.Settings.TargetNamespace),
                RestorePVs = true,
                ExistingResourcePolicy = "none",
                // Isolation: a rehearsal restores production's workloads and data, never our own resources, which would
                // otherwise run on RBX (backups into production's chain, probes, certificate writes, drills). A failover
                // restores them on purpose: production now lives on RBX and its duties move with it.
                ExcludedResources = cx.Rehearsal ? [.. OperatorKinds.GroupResources] : null,
            },
        };
    }
}
