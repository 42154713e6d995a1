using System.Text.Json;
using System.Text.Json.Serialization;
using DematOperator.Api;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>The seven steps of a run, in the order they run.</summary>
public enum DrillStepName { Preflight, Quiesce, Restore, Verify, Measure, Report, Rollback }

public enum StepState { Pending, Running, Succeeded, Failed, Skipped }

/// <summary>How a finished run ended: Refused (preflight said no, nothing was touched), Aborted (asked to stop, or deleted).</summary>
public enum DrillResult { Succeeded, Failed, Aborted, Refused }

public enum DrillPhase { Idle, Running, RollingBack }

public enum DrillMode { Rehearsal, Failover }

public enum DrillTrigger
{
    [JsonStringEnumMemberName("schedule")] Schedule,
    [JsonStringEnumMemberName("manual")] Manual,
}

public enum StepOutcomeKind { Done, Wait, Failed, Skipped }

/// <summary>Where a step stands after one look at the world: done, to look at again later, failed (with a reason), or not applicable.</summary>
public sealed record StepOutcome(StepOutcomeKind Kind, string Message, string? Reason = null, TimeSpan? RetryAfter = null)
{
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);

    public static StepOutcome Done(string message) => new(StepOutcomeKind.Done, message);
    public static StepOutcome Wait(string message, TimeSpan? after = null) => new(StepOutcomeKind.Wait, message, RetryAfter: after ?? Poll);
    /// <summary>The step failed: <paramref name="reason"/> is one of <see cref="DrillReasons"/>, searchable in the docs.</summary>
    public static StepOutcome Fail(string reason, string message) => new(StepOutcomeKind.Failed, message, reason);
    public static StepOutcome Skip(string message) => new(StepOutcomeKind.Skipped, message);
}

/// <summary>
/// The run's transitions, as pure functions of its status: which step is next, what an outcome does to the run,
/// what an interruption (abort, deletion, invalid spec) does, and how the run ended. The steps own the evidence
/// they find (backup, quiesced objects, checks...); this machine owns the control fields (step states, times and
/// messages, the current step, the failure). Every function returns a new status and leaves its input alone.
/// Invariant: once a run has begun Quiesce, it reaches Rollback whatever happens; a refused Preflight touched
/// nothing and ends without Report or Rollback.
/// </summary>
public static class DrillRunMachine
{
    public static readonly DrillStepName[] Order = Enum.GetValues<DrillStepName>();

    public static DrillRunStatus NewRun(string name, DrillMode mode, DrillTrigger trigger, Instant start) => new()
    {
        Name = name,
        Mode = mode,
        Trigger = trigger,
        StartTime = start.ToDateTimeOffset(),
        Step = DrillStepName.Preflight,
        Steps = [.. Order.Select(n => new DrillStep { Name = n, State = StepState.Pending })],
    };

    /// <summary>The step to work on, or null when the run is over and only its ending remains to be written.</summary>
    public static DrillStepName? Current(DrillRunStatus run) => run.Steps.FirstOrDefault(s => s.State is StepState.Pending or StepState.Running)?.Name;

    public static DrillStep StepOf(DrillRunStatus run, DrillStepName name) => run.Steps.First(s => s.Name == name);

    /// <summary>
    /// The run never began Quiesce, the first step that changes anything on the clusters: there is nothing to report on
    /// or undo. (Found by the property test: judging by Preflight's state let a run that had quiesced skip its rollback.)
    /// </summary>
    public static bool TouchedNothing(DrillRunStatus run) => run.Steps.FirstOrDefault(s => s.Name == DrillStepName.Quiesce)?.StartTime is null;

    /// <summary>Marks the current step Running (with its start time) if it was Pending.</summary>
    public static DrillRunStatus Begin(DrillRunStatus run, Instant now)
    {
        var next = Copy(run);
        if (Current(next) is not { } name) return next;
        var step = StepOf(next, name);
        if (step.State == StepState.Pending)
        {
            step.State = StepState.Running;
            step.StartTime = now.ToDateTimeOffset();
        }
        next.Step = name;
        return next;
    }

    /// <summary>Records what the current step found and decides what follows.</summary>
    public static DrillRunStatus Advance(DrillRunStatus run, StepOutcome outcome, Instant now)
    {
        var next = Begin(run, now);
        if (Current(next) is not { } name) return next;
        var step = StepOf(next, name);
        step.Message = outcome.Message;
        if (outcome.Kind == StepOutcomeKind.Wait) return next;
        step.EndTime = now.ToDateTimeOffset();
        step.State = outcome.Kind switch
        {
            StepOutcomeKind.Done => StepState.Succeeded,
            StepOutcomeKind.Skipped => StepState.Skipped,
            _ => StepState.Failed,
        };
        if (outcome.Kind == StepOutcomeKind.Failed && next.FailureReason is null)
        {
            next.FailureReason = $"{name}: {outcome.Message}";
            next.FailureCode = outcome.Reason ?? DrillReasons.StepFailed;
        }
        if (next.FailureReason is not null) SkipToRollback(next, now);
        next.Step = Current(next) ?? name;
        return next;
    }

    /// <summary>
    /// The run must stop (abort, deletion, a spec that became invalid): it is failed with the reason, the step in
    /// flight fails, and only Report and Rollback remain. A run already failed keeps its first reason.
    /// </summary>
    public static DrillRunStatus Interrupt(DrillRunStatus run, string reason, string message, Instant now)
    {
        var next = Copy(run);
        if (Current(next) is null) return next;
        if (next.FailureReason is null) (next.FailureReason, next.FailureCode) = (message, reason);
        SkipToRollback(next, now);
        next.Step = Current(next) ?? next.Step;
        return next;
    }

    /// <summary>
    /// An abort request: during the inspection delay of a successful rehearsal (the Rollback step) it only ends the
    /// wait; anywhere else it interrupts the run.
    /// </summary>
    public static DrillRunStatus Abort(DrillRunStatus run, string request, Instant now)
    {
        var next = Current(run) is DrillStepName.Rollback or null
            ? Copy(run)
            : Interrupt(run, DrillReasons.Aborted, $"aborted ({DrillMarks.AbortAnnotation}={request})", now);
        next.AbortRequested = true;
        return next;
    }

    public static DrillResult Result(DrillRunStatus run) =>
        run.FailureReason is null ? DrillResult.Succeeded
        : run.FailureCode is DrillReasons.Aborted or DrillReasons.Deleted ? DrillResult.Aborted
        : TouchedNothing(run) ? DrillResult.Refused
        : DrillResult.Failed;

    /// <summary>A failed run skips what is left of its work; one stopped at Preflight also skips Report and Rollback (it did nothing).</summary>
    private static void SkipToRollback(DrillRunStatus run, Instant now)
    {
        var untouched = TouchedNothing(run);
        foreach (var s in run.Steps.Where(s => s.State is StepState.Pending or StepState.Running))
        {
            if (!untouched && s.Name is DrillStepName.Report or DrillStepName.Rollback) continue;
            s.State = s.State == StepState.Running ? StepState.Failed : StepState.Skipped;
            s.EndTime ??= now.ToDateTimeOffset();
            s.Message = s.State == StepState.Failed ? run.FailureReason : "skipped: the run failed";
        }
    }

    private static DrillRunStatus Copy(DrillRunStatus run) =>
        JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(run, OperatorJsonContext.Default.DrillRunStatus), OperatorJsonContext.Default.DrillRunStatus)!;
}
