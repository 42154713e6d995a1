using DematOperator.Backups;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;
using NodaTime.Text;

namespace DematOperator.Tests.Backups;

public sealed class CronScheduleTests
{
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
    private static readonly DateTimeZone Utc = DateTimeZone.Utc;
    private static Instant Utc_(string s) => InstantPattern.General.Parse(s).Value;
    private static string Local(Instant? i, DateTimeZone z) => i!.Value.InZone(z).ToString("yyyy-MM-dd HH:mm o<g>", null);

    [Theory]
    [InlineData("*/15 * * * *", "2026-05-12T10:07:00Z", "2026-05-12T10:15:00Z")]
    [InlineData("0 */2 * * *", "2026-05-12T10:00:00Z", "2026-05-12T12:00:00Z")]
    [InlineData("30 1-23/3 * * *", "2026-05-12T02:00:00Z", "2026-05-12T04:30:00Z")]
    [InlineData("0 8 * * MON-FRI", "2026-05-15T09:00:00Z", "2026-05-18T08:00:00Z")]
    [InlineData("0 0 1 JAN,jul *", "2026-05-12T00:00:00Z", "2026-07-01T00:00:00Z")]
    [InlineData("0 0 * * 7", "2026-05-12T00:00:00Z", "2026-05-17T00:00:00Z")]
    [InlineData("@hourly", "2026-05-12T10:59:00Z", "2026-05-12T11:00:00Z")]
    [InlineData("@daily", "2026-05-12T10:00:00Z", "2026-05-13T00:00:00Z")]
    [InlineData("@weekly", "2026-05-12T10:00:00Z", "2026-05-17T00:00:00Z")]
    [InlineData("@monthly", "2026-05-12T10:00:00Z", "2026-06-01T00:00:00Z")]
    [InlineData("@yearly", "2026-05-12T10:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("0 0 29 2 *", "2026-05-12T00:00:00Z", "2028-02-29T00:00:00Z")]
    // Both day fields restricted: either matches (13th or Friday).
    [InlineData("0 12 13 * FRI", "2026-05-12T00:00:00Z", "2026-05-13T12:00:00Z")]
    [InlineData("0 12 13 * FRI", "2026-05-13T13:00:00Z", "2026-05-15T12:00:00Z")]
    public void Next_slot_in_utc(string cron, string after, string expected) =>
        CronSchedule.Parse(cron).Next(Utc_(after), Utc).ShouldBe(Utc_(expected));

    [Fact]
    public void Spring_forward_runs_the_missing_slot_at_the_first_instant_after_the_gap()
    {
        // 29 March 2026: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
        var s = CronSchedule.Parse("30 2 * * *");
        var next = s.Next(Utc_("2026-03-28T12:00:00Z"), Paris);
        Local(next, Paris).ShouldBe("2026-03-29 03:00 +02");
        Local(s.Next(next!.Value, Paris), Paris).ShouldBe("2026-03-30 02:30 +02");
    }

    [Fact]
    public void Fall_back_runs_an_ambiguous_slot_once()
    {
        // 25 October 2026: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
        var s = CronSchedule.Parse("30 2 * * *");
        var first = s.Next(Utc_("2026-10-24T12:00:00Z"), Paris)!.Value;
        Local(first, Paris).ShouldBe("2026-10-25 02:30 +02");
        Local(s.Next(first, Paris), Paris).ShouldBe("2026-10-26 02:30 +01");
        var quarter = CronSchedule.Parse("*/30 * * * *").Between(Utc_("2026-10-24T23:45:00Z"), Utc_("2026-10-25T02:45:00Z"), Paris).Select(i => Local(i, Paris)).ToList();
        quarter.ShouldBe(["2026-10-25 02:00 +02", "2026-10-25 02:30 +02", "2026-10-25 03:00 +01", "2026-10-25 03:30 +01"]);
    }

    [Fact]
    public void Longest_gap_shows_a_schedule_that_cannot_meet_a_4h_rpo()
    {
        CronSchedule.Parse("0 */2 * * *").LongestGap(Utc_("2026-01-01T00:00:00Z"), Utc).ShouldBe(Duration.FromHours(2));
        // In Paris the repeated hour of the autumn night runs once: 02:00 CEST to 04:00 CET is 3 hours.
        CronSchedule.Parse("0 */2 * * *").LongestGap(Utc_("2026-01-01T00:00:00Z"), Paris).ShouldBe(Duration.FromHours(3));
        CronSchedule.Parse("0 1 * * *").LongestGap(Utc_("2026-01-01T00:00:00Z"), Paris).ShouldBe(Duration.FromHours(25));
        CronSchedule.Parse("0 8,12,16 * * MON-FRI").LongestGap(Utc_("2026-01-01T00:00:00Z"), Utc).ShouldBe(Duration.FromHours(64));
        // Every 4 h in Paris: the autumn night holds one 5-hour gap.
        CronSchedule.Parse("0 */4 * * *").LongestGap(Utc_("2026-01-01T00:00:00Z"), Paris).ShouldBe(Duration.FromHours(5));
    }

    [Theory]
    [InlineData("* * * *", "has 4 fields")]
    [InlineData("60 * * * *", "out of range 0-59")]
    [InlineData("0 24 * * *", "out of range 0-23")]
    [InlineData("0 0 0 * *", "out of range 1-31")]
    [InlineData("0 0 * 13 *", "out of range 1-12")]
    [InlineData("0 0 * * FUN", "not a valid day of week")]
    [InlineData("*/0 * * * *", "bad step")]
    [InlineData("5-1 * * * *", "goes backwards")]
    [InlineData("0 0 31 2 *", "never runs")]
    [InlineData("@every 5m", "unknown macro")]
    [InlineData("0 21 * 3 SAT#2", "not a valid day of week")]
    [InlineData("1,,2 * * * *", "empty list item")]
    public void Bad_expressions_say_what_is_wrong(string cron, string message) =>
        Should.Throw<CronFormatException>(() => CronSchedule.Parse(cron)).Message.ShouldContain(message);

    private static readonly Gen<string> Field60 = Gen.OneOf(Gen.Constant("*"), Gen.Choose(1, 30).Select(n => $"*/{n}"), Gen.Choose(0, 59).Select(n => n.ToString()),
        Gen.Choose(0, 58).SelectMany(a => Gen.Choose(a + 1, 59).Select(b => $"{a}-{b}")));
    private static readonly Gen<string> Hours = Gen.OneOf(Gen.Constant("*"), Gen.Choose(1, 12).Select(n => $"*/{n}"), Gen.Choose(0, 23).Select(n => n.ToString()));
    private static readonly Gen<string> Dows = Gen.OneOf(Gen.Constant("*"), Gen.Constant("MON-FRI"), Gen.Choose(0, 6).Select(n => n.ToString()), Gen.Constant("SAT,SUN"));
    private static readonly Gen<string> Expressions = Field60.SelectMany(m => Hours.SelectMany(h => Dows.Select(d => $"{m} {h} * * {d}")));

    [Fact]
    public void Next_is_strictly_later_matches_the_expression_and_nothing_matches_in_between() =>
        Prop.ForAll(Expressions.ToArbitrary(), Gen.Choose(0, 365 * 24 * 60).ToArbitrary(), (cron, minutes) =>
        {
            var s = CronSchedule.Parse(cron);
            var after = Utc_("2026-01-01T00:00:00Z") + Duration.FromMinutes(minutes) + Duration.FromSeconds(17);
            var next = s.Next(after, Paris)!.Value;
            var local = next.InZone(Paris).LocalDateTime;
            var matches = s.MatchesDate(local.Date) && s.MatchesTime(local.TimeOfDay)
                          // or the first instant after a DST gap that swallowed a matching time
                          || Paris.GetZoneInterval(next).Start == next;
            var minute = Instant.FromUnixTimeSeconds(after.ToUnixTimeSeconds() / 60 * 60 + 60);
            var noneBetween = true;
            for (var t = minute; t < next && noneBetween; t += Duration.FromMinutes(1))
            {
                var l = t.InZone(Paris).LocalDateTime;
                if (s.MatchesDate(l.Date) && s.MatchesTime(l.TimeOfDay) && Paris.MapLocal(l).Count == 1) noneBetween = false;
            }
            return next > after && matches && noneBetween;
        }).QuickCheckThrowOnFailure();

    /// <summary>The definition of a slot, by brute force: the earliest resolved matching wall-clock minute after `after`.</summary>
    private static Instant? ReferenceNext(CronSchedule s, Instant after, DateTimeZone zone)
    {
        var local = after.InZone(zone).LocalDateTime;
        var from = local.Date.PlusDays(-1).AtMidnight();
        Instant? best = null;
        for (var l = from; l < from.PlusDays(9); l = l.PlusMinutes(1))
        {
            if (!s.MatchesDate(l.Date) || !s.MatchesTime(l.TimeOfDay)) continue;
            var map = zone.MapLocal(l);
            var instant = map.Count switch { 0 => map.LateInterval.Start, _ => map.First().ToInstant() };
            if (instant > after && (best is null || instant < best)) best = instant;
        }
        return best;
    }

    [Fact]
    public void Next_around_both_dst_nights_is_the_earliest_matching_wall_clock_time_after_the_instant() =>
        Prop.ForAll(Expressions.ToArbitrary(), Gen.Elements(Utc_("2026-03-29T01:00:00Z"), Utc_("2026-10-25T01:00:00Z")).ToArbitrary(), Gen.Choose(-4 * 3600, 4 * 3600).ToArbitrary(),
            (cron, night, seconds) =>
            {
                var s = CronSchedule.Parse(cron);
                var after = night + Duration.FromSeconds(seconds);
                return s.Next(after, Paris) == ReferenceNext(s, after, Paris);
            }).QuickCheckThrowOnFailure();
}
