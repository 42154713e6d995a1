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

    /// <summary>Go duration syntax (`4h`, `90m`, `1h30m`, `720h`, `1.5h`) as Kubernetes writes durations.</summary>
    public static Duration? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var total = 0.0;
        var i = 0;
        var s = text.Trim();
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i || !double.TryParse(s[start..i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n))
                throw new FormatException($"\"{text}\" is not a duration like 4h, 30m or 1h30m");
            var unitStart = i;
            // Go's time.ParseDuration takes both micro signs, U+00B5 and U+03BC (unitMap in time/format.go).
            while (i < s.Length && (char.IsAsciiLetter(s[i]) || s[i] is '\u00B5' or '\u03BC')) i++;
            total += s[unitStart..i] switch
            {
                "h" => n * 3600, "m" => n * 60, "s" => n, "ms" => n / 1000, "us" or "\u00B5s" or "\u03BCs" => n / 1e6, "ns" => n / 1e9,
                _ => throw new FormatException($"\"{text}\" is not a duration like 4h, 30m or 1h30m"),
            };
        }
        if (total > 100L * 365 * 24 * 3600) throw new FormatException($"\"{text}\" is longer than a century");
        return Duration.FromSeconds(total);
    }
}
