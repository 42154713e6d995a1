using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Drills.Steps;

/// <summary>
/// Decides whether the run may touch anything: the target answers, no other drill runs there, and the backup to
/// restore is complete, recent enough and holds every production namespace. A refusal leaves the world untouched.
/// </summary>
public sealed class PreflightStep(DrillClusters clusters, DrillLock drillLock) : IDrillStep
{
    public DrillStepName Name => DrillStepName.Preflight;

    public async Task<StepOutcome> ObserveAsync(DrillRunContext cx, CancellationToken ct)
    {
        var (drill, run) = (cx.Drill, cx.Run);
        if (!await DrillClusters.ReachableAsync(cx.Target, ct))
            return StepOutcome.Fail(DrillReasons.TargetUnreachable, "the target cluster is unreachable");
        var hold = cx.Settings.RestoreTimeout + cx.Settings.VerifyTimeout + cx.Settings.RollbackAfter + Duration.FromHours(2);
        if (await drillLock.TryAcquireAsync(cx.Target, cx.VeleroNamespace, cx.RunKey, hold, cx.Now, ct) is { } holder)
            return StepOutcome.Fail(DrillReasons.AnotherDrillRunning, $"another drill is running on the target: {holder}");
        run.SourceReachable = await clusters.SourceReachableAsync(drill, ct);

        var selector = drill.Spec.Backup.BackupPolicy is { Length: > 0 } policy
            ? RunLabels.Selector(drill.Spec.Backup.BackupPolicyNamespace ?? drill.Namespace!, policy)
            : $"{VeleroLabels.ScheduleName}={drill.Spec.Backup.VeleroSchedule}";
        List<VeleroBackup> backups;
        try { backups = (await cx.Target.ListAsync(ForeignKinds.VeleroBackups, cx.VeleroNamespace, new ListRequest(selector), ct)).Items; }
        catch (KubeApiException e) when (e.Code == 404) { return StepOutcome.Fail(DrillReasons.VeleroNotInstalled, "the velero.io API is not installed on the target cluster"); }
        var newest = backups.Where(b => b.Status?.Phase == VeleroPhases.Completed).MaxBy(b => b.DataTime);
        if (newest is null) return StepOutcome.Fail(DrillReasons.NoCompletedBackup, $"no completed Velero backup matches {selector} in {cx.VeleroNamespace}");
        var notInBackup = drill.Spec.Source.Namespaces.Where(ns => !newest.Holds(ns)).ToList();
        if (notInBackup.Count > 0)
        {
            var included = newest.Spec?.IncludedNamespaces ?? [];
            var excluded = newest.Spec?.ExcludedNamespaces ?? [];
            return StepOutcome.Fail(DrillReasons.BackupMissesNamespace,
                $"backup {newest.Name} does not hold {string.Join(", ", notInBackup)} (it includes {(included.Count == 0 ? "every namespace" : string.Join(", ", included))}{(excluded.Count > 0 ? $", excludes {string.Join(", ", excluded)}" : "")})");
        }
        var age = Instant.FromDateTimeOffset(run.StartTime) - Instant.FromDateTimeOffset(newest.DataTime);
        if (age > cx.Settings.Rpo)
            return StepOutcome.Fail(DrillReasons.RecoveryPointTooOld, $"the newest completed backup {newest.Name} is {Durations.Human(age)} old, older than the {Durations.Human(cx.Settings.Rpo)} RPO: the drill would restore data the contract does not accept");
        foreach (var ns in cx.TargetNamespaces)
        {
            var existing = await cx.Target.TryGetAsync(Resources.Namespaces, null, ns, ct);
            if (existing is not null && existing.Metadata.Labels?.GetValueOrDefault(DrillMarks.RunLabel) != RunLabels.LabelValue(run.Name))
                return StepOutcome.Fail(DrillReasons.NamespaceExists, $"namespace {ns} already exists on the target and was not created by this run: the drill never restores over existing namespaces");
        }
        run.BackupName = newest.Name;
        run.BackupTime = newest.DataTime;
        return StepOutcome.Done($"backup {newest.Name} ({Durations.Human(age)} old), target reachable, source {(run.SourceReachable == true ? "reachable" : "unreachable")}");
    }
}
