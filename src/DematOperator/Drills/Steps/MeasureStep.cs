using DematOperator.Api;
using DematOperator.Foreign;
using NodaTime;

namespace DematOperator.Drills.Steps;

/// <summary>
/// RTO: from the run's start (the simulated disaster) to verified service. RPO: the age, at the run's start, of the
/// data the restore actually restored, read again from the engine's restore objects rather than trusted from
/// Preflight. Either beyond its objective fails the run: the proof the contract asks for was not given.
/// </summary>
public sealed class MeasureStep : IDrillStep
{
    public DrillStepName Name => DrillStepName.Measure;

    public async Task<StepOutcome> ObserveAsync(DrillRunContext cx, CancellationToken ct)
    {
        var run = cx.Run;
        var start = Instant.FromDateTimeOffset(run.StartTime);
        if (await cx.Engine.RestoredAsync(cx, ct) is { } restored) (run.BackupName, run.BackupTime) = (restored.Name, restored.DataTime);
        if (run.BackupTime is { } data) run.RpoSeconds = (long)(start - Instant.FromDateTimeOffset(data)).TotalSeconds;
        if (run.VerifiedTime is { } verified) run.RtoSeconds = (long)(Instant.FromDateTimeOffset(verified) - start).TotalSeconds;
        if (run.RtoSeconds is not { } rto || run.RpoSeconds is not { } rpo)
            return StepOutcome.Fail(DrillReasons.StepFailed, "nothing to measure: the run has no verified time or no restored backup");
        var text = $"RTO {Durations.Human(Duration.FromSeconds(rto))} (objective {Durations.Human(cx.Settings.Rto)}); RPO {Durations.Human(Duration.FromSeconds(rpo))} (objective {Durations.Human(cx.Settings.Rpo)})";
        if (rpo > cx.Settings.Rpo.TotalSeconds)
            return StepOutcome.Fail(DrillReasons.RecoveryPointTooOld, $"{text}: the restored backup {run.BackupName} is older than the RPO");
        if (rto > cx.Settings.Rto.TotalSeconds)
            return StepOutcome.Fail(DrillReasons.RecoveryTimeTooLong, $"{text}: production took longer than the RTO to come back");
        return StepOutcome.Done($"{text}: both met");
    }
}
