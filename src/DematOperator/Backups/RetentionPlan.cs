using System.Globalization;
using NodaTime;
using NodaTime.Calendars;

namespace DematOperator.Backups;

/// <summary>One run a policy created: when its data was taken, and whether it is a recovery point.</summary>
public sealed record BackupRun(string Name, Instant Time, bool Succeeded);

/// <summary>How many runs to keep: the last N, and the newest of each of N hours, days, ISO weeks, months, years.</summary>
public sealed record RetentionLimits(int KeepLast = 0, int KeepHourly = 0, int KeepDaily = 0, int KeepWeekly = 0, int KeepMonthly = 0, int KeepYearly = 0, int KeepFailed = 3)
{
    public int Total => KeepLast + KeepHourly + KeepDaily + KeepWeekly + KeepMonthly + KeepYearly;
}

/// <summary>
/// Grandfather-father-son retention (as restic and borg define it), with periods taken in the policy's time
/// zone. The newest successful run is always kept, whatever the limits: deleting the only recovery point is
/// never an option. Failed runs are kept separately (the newest <c>KeepFailed</c>) for inspection.
/// </summary>
public static class RetentionPlan
{
    public sealed record Decision(IReadOnlyList<BackupRun> Keep, IReadOnlyList<BackupRun> Delete);

    public static Decision Decide(IEnumerable<BackupRun> runs, RetentionLimits limits, DateTimeZone zone)
    {
        var all = runs.OrderByDescending(r => r.Time).ThenByDescending(r => r.Name, StringComparer.Ordinal).ToList();
        var successful = all.Where(r => r.Succeeded).ToList();
        var keep = new HashSet<BackupRun>();
        if (successful.Count > 0) keep.Add(successful[0]);
        foreach (var r in successful.Take(limits.KeepLast)) keep.Add(r);
        KeepNewestPerPeriod(successful, limits.KeepHourly, r => r.Time.InZone(zone).ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture), keep);
        KeepNewestPerPeriod(successful, limits.KeepDaily, r => r.Time.InZone(zone).Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), keep);
        KeepNewestPerPeriod(successful, limits.KeepWeekly, r =>
        {
            var d = r.Time.InZone(zone).Date;
            return $"{WeekYearRules.Iso.GetWeekYear(d)}-W{WeekYearRules.Iso.GetWeekOfWeekYear(d)}";
        }, keep);
        KeepNewestPerPeriod(successful, limits.KeepMonthly, r => r.Time.InZone(zone).ToString("yyyy-MM", CultureInfo.InvariantCulture), keep);
        KeepNewestPerPeriod(successful, limits.KeepYearly, r => r.Time.InZone(zone).Year.ToString(CultureInfo.InvariantCulture), keep);
        foreach (var r in all.Where(r => !r.Succeeded).Take(limits.KeepFailed)) keep.Add(r);
        return new Decision(all.Where(keep.Contains).ToList(), all.Where(r => !keep.Contains(r)).ToList());
    }

    /// <summary>Walking from newest to oldest, the first run met in each new period is kept, for <paramref name="count"/> periods.</summary>
    private static void KeepNewestPerPeriod(List<BackupRun> newestFirst, int count, Func<BackupRun, string> period, HashSet<BackupRun> keep)
    {
        if (count <= 0) return;
        var seen = new HashSet<string>();
        foreach (var r in newestFirst)
        {
            if (!seen.Add(period(r))) continue;
            keep.Add(r);
            if (seen.Count >= count) return;
        }
    }
}
