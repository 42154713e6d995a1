using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Drills.Steps;

/// <summary>
/// Decides whether the run may touch anything: the target answers, no other drill runs there, and the backup to
/// restore (the engine's choice) is complete, recent enough and holds every production namespace. A refusal leaves the world untouched.
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
        if (await drillLock.TryAcquireAsync(cx.Target, cx.EngineNamespace, cx.RunKey, hold, cx.Now, ct) is { } holder)
            return StepOutcome.Fail(DrillReasons.AnotherDrillRunning, $"another drill is running on the target: {holder}");
        run.SourceReachable = await clusters.SourceReachableAsync(drill, ct);

        if (await cx.Engine.ChooseAsync(cx, ct) is { } refused) return refused;
        var age = Instant.FromDateTimeOffset(run.StartTime) - Instant.FromDateTimeOffset(run.BackupTime!.Value);
        if (age > cx.Settings.Rpo)
            return StepOutcome.Fail(DrillReasons.RecoveryPointTooOld, $"the newest completed backup {run.BackupName} is {Durations.Human(age)} old, older than the {Durations.Human(cx.Settings.Rpo)} RPO: the drill would restore data the contract does not accept");
        foreach (var ns in cx.TargetNamespaces)
        {
            var existing = await cx.Target.TryGetAsync(Resources.Namespaces, null, ns, ct);
            if (existing is not null && existing.Metadata.Labels?.GetValueOrDefault(DrillMarks.RunLabel) != RunLabels.LabelValue(run.Name))
                return StepOutcome.Fail(DrillReasons.NamespaceExists, $"namespace {ns} already exists on the target and was not created by this run: the drill never restores over existing namespaces");
        }
        return StepOutcome.Done($"{cx.Engine.Engine} backup {run.BackupName} ({Durations.Human(age)} old), target reachable, source {(run.SourceReachable == true ? "reachable" : "unreachable")}");
    }
}
