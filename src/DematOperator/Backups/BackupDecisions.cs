using NodaTime;

namespace DematOperator.Backups;

/// <summary>The scheduling decision for one reconcile: which slot to run now, which were missed.</summary>
public sealed record SlotDecision(Instant? RunSlot, Instant? LatestSlot, int Missed, bool SkippedBecauseBusy);

/// <summary>Pure scheduling rules of a BackupPolicy (no I/O): missed slots, starting deadline, one run at a time.</summary>
public static class BackupDecisions
{
    /// <summary>
    /// Slots in (lastScheduled, now]: the most recent runs if it is within the starting deadline and nothing runs;
    /// every older one is missed (never replayed); the most recent one is missed too when too late, or skipped when
    /// a run is still going.
    /// </summary>
    public static SlotDecision Decide(CronSchedule schedule, DateTimeZone zone, Instant lastScheduled, Instant now, Duration? startingDeadline, bool runActive, bool suspended)
    {
        var slots = schedule.Between(lastScheduled, now, zone, limit: 1_000_000).ToList();
        if (slots.Count == 0) return new SlotDecision(null, null, 0, false);
        var latest = slots[^1];
        var missed = slots.Count - 1;
        if (suspended) return new SlotDecision(null, latest, 0, false);
        if (startingDeadline is { } deadline && now - latest > deadline) return new SlotDecision(null, latest, missed + 1, false);
        if (runActive) return new SlotDecision(null, latest, missed + 1, true);
        return new SlotDecision(latest, latest, missed, false);
    }

    /// <summary>The instant the recovery point becomes older than the RPO (when RecoveryPointObjectiveMet flips).</summary>
    public static Instant RpoDeadline(Instant recoveryPoint, Duration rpo) => recoveryPoint + rpo;
}
