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

    private static BackupRun Ok(string local, string? name = null) =>
        new(name ?? local, NodaTime.Text.LocalDateTimePattern.GeneralIso.Parse(local).Value.InZoneLeniently(Paris).ToInstant(), true);

    private static string[] Kept(RetentionLimits limits, params BackupRun[] runs) => [.. RetentionPlan.Decide(runs, limits, Paris).Keep.Select(r => r.Name)];

    /// <summary>Each period alone, with one more period of runs than it keeps: the newest run of each of the newest N periods, newest first.</summary>
    [Fact]
    public void Each_period_keeps_the_newest_run_of_its_newest_periods()
    {
        BackupRun[] hours = [Ok("2026-06-02T10:10:00"), Ok("2026-06-02T10:40:00"), Ok("2026-06-02T11:05:00"), Ok("2026-06-02T11:50:00"), Ok("2026-06-02T12:30:00")];
        Kept(new RetentionLimits(KeepHourly: 2), hours).ShouldBe(["2026-06-02T12:30:00", "2026-06-02T11:50:00"]);
        BackupRun[] weeks = [Ok("2026-06-01T10:00:00"), Ok("2026-06-07T10:00:00"), Ok("2026-06-08T10:00:00"), Ok("2026-06-10T10:00:00"), Ok("2026-06-15T10:00:00")];
        Kept(new RetentionLimits(KeepWeekly: 2), weeks).ShouldBe(["2026-06-15T10:00:00", "2026-06-10T10:00:00"], "ISO weeks start on Monday");
        BackupRun[] months = [Ok("2026-04-30T10:00:00"), Ok("2026-05-01T10:00:00"), Ok("2026-05-31T10:00:00"), Ok("2026-06-01T10:00:00")];
        Kept(new RetentionLimits(KeepMonthly: 2), months).ShouldBe(["2026-06-01T10:00:00", "2026-05-31T10:00:00"]);
        BackupRun[] years = [Ok("2024-12-31T10:00:00"), Ok("2025-01-01T10:00:00"), Ok("2025-12-31T10:00:00"), Ok("2026-01-01T10:00:00")];
        Kept(new RetentionLimits(KeepYearly: 2), years).ShouldBe(["2026-01-01T10:00:00", "2025-12-31T10:00:00"]);
        BackupRun[] days = [Ok("2026-06-01T23:30:00"), Ok("2026-06-02T00:30:00"), Ok("2026-06-02T23:00:00"), Ok("2026-06-03T01:00:00")];
        Kept(new RetentionLimits(KeepDaily: 2), days).ShouldBe(["2026-06-03T01:00:00", "2026-06-02T23:00:00"], "days of Paris, not of UTC");
        Kept(new RetentionLimits(KeepLast: 2), days).ShouldBe(["2026-06-03T01:00:00", "2026-06-02T23:00:00"]);
        Kept(new RetentionLimits(), days).ShouldBe(["2026-06-03T01:00:00"], "the newest recovery point is always kept");
    }

    [Fact]
    public void Runs_of_the_same_instant_are_ordered_by_name()
    {
        var d = RetentionPlan.Decide([Ok("2026-06-02T10:00:00", "run-a"), Ok("2026-06-02T10:00:00", "run-b")], new RetentionLimits(KeepLast: 1), Paris);
        d.Keep.Select(r => r.Name).ShouldBe(["run-b"]);
        d.Delete.Select(r => r.Name).ShouldBe(["run-a"]);
    }

    [Fact]
    public void The_total_is_every_kept_period() => new RetentionLimits(1, 2, 3, 4, 5, 6).Total.ShouldBe(21);

    /// <summary>The newest two runs share a period: the period, not the run, is what is counted.</summary>
    [Fact]
    public void Runs_of_one_period_count_once()
    {
        Kept(new RetentionLimits(KeepHourly: 2), Ok("2026-06-02T11:30:00"), Ok("2026-06-02T12:10:00"), Ok("2026-06-02T12:40:00"))
            .ShouldBe(["2026-06-02T12:40:00", "2026-06-02T11:30:00"]);
        Kept(new RetentionLimits(KeepDaily: 2), Ok("2026-06-01T10:00:00"), Ok("2026-06-02T09:00:00"), Ok("2026-06-02T12:00:00"))
            .ShouldBe(["2026-06-02T12:00:00", "2026-06-01T10:00:00"]);
        Kept(new RetentionLimits(KeepMonthly: 2), Ok("2026-05-20T10:00:00"), Ok("2026-06-01T10:00:00"), Ok("2026-06-15T10:00:00"))
            .ShouldBe(["2026-06-15T10:00:00", "2026-05-20T10:00:00"]);
        Kept(new RetentionLimits(KeepYearly: 2), Ok("2025-06-01T10:00:00"), Ok("2026-01-01T10:00:00"), Ok("2026-06-01T10:00:00"))
            .ShouldBe(["2026-06-01T10:00:00", "2025-06-01T10:00:00"]);
    }
}
