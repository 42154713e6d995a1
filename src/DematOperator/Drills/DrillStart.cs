using DematOperator.Backups;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>What an idle drill should do now.</summary>
public sealed record StartDecision(DrillTrigger? Trigger, bool NeedsConfirmation, Instant? LatestSlot, Instant? NextSlot, int Missed, string? RunNowRequest);

/// <summary>
/// When an idle drill starts a run (pure): a new run-now value starts one (a failover only once confirmed with the
/// same value), else a due schedule slot; slots that passed while the operator was away are counted, never replayed.
/// </summary>
public static class DrillStart
{
    public static StartDecision Decide(DrillSettings settings, bool suspended, IReadOnlyDictionary<string, string> annotations, PraDrillStatus? status, Instant created, Instant now)
    {
        var runNow = annotations.GetValueOrDefault(DrillMarks.RunNowAnnotation);
        var newRequest = !string.IsNullOrEmpty(runNow) && runNow != status?.LastRunNowRequest;
        var scheduled = settings.Schedule is { } schedule && !settings.Failover ? schedule : null;
        var lastScheduled = status?.LastScheduleTime is { } ls ? Instant.FromDateTimeOffset(ls) : created;
        var slots = scheduled is null
            ? new SlotDecision(null, null, 0, false)
            : BackupDecisions.Decide(scheduled, settings.Zone, lastScheduled, now, Duration.FromHours(1), false, suspended);
        var next = scheduled is not null && !suspended ? scheduled.Next(now, settings.Zone) : null;
        if (newRequest && settings.Failover && annotations.GetValueOrDefault(DrillMarks.ConfirmFailoverAnnotation) != runNow)
            return new StartDecision(null, true, slots.LatestSlot, next, slots.Missed, runNow);
        DrillTrigger? trigger = newRequest ? DrillTrigger.Manual : slots.RunSlot is not null ? DrillTrigger.Schedule : null;
        return new StartDecision(trigger, false, slots.LatestSlot, next, slots.Missed, newRequest ? runNow : null);
    }
}
