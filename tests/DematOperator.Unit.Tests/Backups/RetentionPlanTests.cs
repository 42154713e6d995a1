using DematOperator.Backups;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;

namespace DematOperator.Tests.Backups;

public sealed class RetentionPlanTests
{
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
    private static readonly Instant Origin = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static List<BackupRun> EveryTwoHours(int days) =>
        Enumerable.Range(0, days * 12).Select(i => new BackupRun($"run-{i:D4}", Origin + Duration.FromHours(2 * i), true)).ToList();

    [Fact]
    public void Gfs_keeps_the_last_runs_and_the_newest_of_each_day_week_and_month()
    {
        var runs = EveryTwoHours(70);
        var d = RetentionPlan.Decide(runs, new RetentionLimits(KeepLast: 6, KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 3), Paris);
        var newest = runs[^1];
        d.Keep.ShouldContain(newest);
        d.Keep.Take(6).ShouldBe(runs.TakeLast(6).Reverse());
        // The newest run of each of the 7 newest local days.
        var daily = runs.GroupBy(r => r.Time.InZone(Paris).Date).OrderByDescending(g => g.Key).Take(7).Select(g => g.Max(r => r.Time));
        foreach (var t in daily) d.Keep.ShouldContain(r => r.Time == t);
        d.Keep.Count.ShouldBeLessThanOrEqualTo(6 + 7 + 4 + 3);
        (d.Keep.Count + d.Delete.Count).ShouldBe(runs.Count);
    }

    [Fact]
    public void The_newest_successful_run_survives_limits_of_zero_and_failed_runs_are_kept_apart()
    {
        var runs = new List<BackupRun>
        {
            new("ok-old", Origin, true), new("ok-new", Origin + Duration.FromHours(1), true),
            new("failed-1", Origin + Duration.FromHours(2), false), new("failed-2", Origin + Duration.FromHours(3), false),
        };
        var d = RetentionPlan.Decide(runs, new RetentionLimits(KeepFailed: 1), Paris);
        d.Keep.Select(r => r.Name).ShouldBe(["failed-2", "ok-new"]);
        d.Delete.Select(r => r.Name).ShouldBe(["failed-1", "ok-old"]);
    }

    [Fact]
    public void Days_are_local_days()
    {
        // 23:30 UTC on 10 May is 01:30 on 11 May in Paris: a different local day from 21:00 UTC.
        var runs = new List<BackupRun> { new("a", Instant.FromUtc(2026, 5, 10, 21, 0), true), new("b", Instant.FromUtc(2026, 5, 10, 23, 30), true) };
        RetentionPlan.Decide(runs, new RetentionLimits(KeepDaily: 2), Paris).Keep.Count.ShouldBe(2);
        RetentionPlan.Decide(runs, new RetentionLimits(KeepDaily: 2), DateTimeZone.Utc).Keep.Count.ShouldBe(1);
    }

    private static readonly Gen<List<BackupRun>> Runs = Gen.ListOf(Gen.Choose(0, 400 * 24).SelectMany(h => Gen.Elements(true, true, true, false).Select(ok => (h, ok))))
        .Select(xs => xs.Distinct().Select((x, i) => new BackupRun($"r{i}", Origin + Duration.FromHours(x.h), x.ok)).ToList());
    private static readonly Gen<RetentionLimits> Limits = Gen.Choose(0, 5).SelectMany(a => Gen.Choose(0, 5).SelectMany(b => Gen.Choose(0, 5).SelectMany(c =>
        Gen.Choose(0, 5).SelectMany(d => Gen.Choose(0, 3).SelectMany(e => Gen.Choose(0, 3).Select(f => new RetentionLimits(a, b, c, d, e, 0, f)))))));

    [Fact]
    public void Keeps_the_newest_success_never_more_than_the_limits_and_is_stable() =>
        Prop.ForAll(Runs.ToArbitrary(), Limits.ToArbitrary(), (runs, limits) =>
        {
            var d = RetentionPlan.Decide(runs, limits, Paris);
            var newest = runs.Where(r => r.Succeeded).OrderByDescending(r => r.Time).FirstOrDefault();
            var keptOk = d.Keep.Count(r => r.Succeeded);
            var keptFailed = d.Keep.Count(r => !r.Succeeded);
            var again = RetentionPlan.Decide(d.Keep, limits, Paris);
            return (newest is null || d.Keep.Contains(newest))
                   && keptOk <= Math.Max(1, limits.Total)
                   && keptFailed <= limits.KeepFailed
                   && d.Keep.Count + d.Delete.Count == runs.Count
                   && again.Delete.Count == 0;
        }).QuickCheckThrowOnFailure();
}
