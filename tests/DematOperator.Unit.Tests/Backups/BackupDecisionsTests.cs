using DematOperator.Api;
using DematOperator.Backups;
using NodaTime;
using NodaTime.Text;

namespace DematOperator.Tests.Backups;

/// <summary>The scheduling rules of a BackupPolicy and Go's duration syntax, on hand-written cases.</summary>
public sealed class BackupDecisionsTests
{
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
    private static readonly CronSchedule Hourly = CronSchedule.Parse("0 * * * *");
    private static Instant At(string local) => LocalDateTimePattern.GeneralIso.Parse($"2026-06-02T{local}").Value.InZoneLeniently(Paris).ToInstant();

    private static SlotDecision Decide(string now, string? deadline = null, bool runActive = false, bool suspended = false) =>
        BackupDecisions.Decide(Hourly, Paris, At("10:00:00"), At(now), deadline is null ? null : Durations.Parse(deadline), runActive, suspended);

    [Fact]
    public void No_slot_since_the_last_one_is_nothing_to_do() => Decide("10:59:59").ShouldBe(new SlotDecision(null, null, 0, false));

    [Fact]
    public void The_latest_slot_runs_and_older_ones_are_missed_never_replayed()
    {
        Decide("11:05:00").ShouldBe(new SlotDecision(At("11:00:00"), At("11:00:00"), 0, false));
        Decide("13:05:00").ShouldBe(new SlotDecision(At("13:00:00"), At("13:00:00"), 2, false));
    }

    [Fact]
    public void A_suspended_policy_runs_nothing_and_counts_nothing_missed() =>
        Decide("13:05:00", suspended: true).ShouldBe(new SlotDecision(null, At("13:00:00"), 0, false));

    [Fact]
    public void Past_the_starting_deadline_the_latest_slot_is_missed_too()
    {
        Decide("13:30:00", deadline: "30m").ShouldBe(new SlotDecision(At("13:00:00"), At("13:00:00"), 2, false), "exactly at the deadline it still runs");
        Decide("13:30:01", deadline: "30m").ShouldBe(new SlotDecision(null, At("13:00:00"), 3, false));
        Decide("13:30:01", deadline: "30m", runActive: true).ShouldBe(new SlotDecision(null, At("13:00:00"), 3, false), "too late, whether a run is going or not");
    }

    [Fact]
    public void One_run_at_a_time_a_slot_that_comes_while_one_runs_is_skipped() =>
        Decide("13:05:00", runActive: true).ShouldBe(new SlotDecision(null, At("13:00:00"), 3, true));

    [Fact]
    public void The_recovery_point_objective_flips_an_rpo_after_the_data() =>
        BackupDecisions.RpoDeadline(At("10:00:00"), Duration.FromHours(4)).ShouldBe(At("14:00:00"));

    [Theory]
    [InlineData("1500ms", 1.5)]
    [InlineData("2500us", 0.0025)]
    [InlineData("2500\u00B5s", 0.0025)]
    [InlineData("2500\u03BCs", 0.0025)]
    [InlineData("1000000000ns", 1)]
    [InlineData(" 4h ", 4 * 3600)]
    [InlineData("1h1m1s", 3661)]
    [InlineData("876000h", 100L * 365 * 24 * 3600)]
    public void More_go_durations(string text, double seconds) => Durations.Parse(text)!.Value.TotalSeconds.ShouldBe(seconds, 1e-9);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_duration_is_null(string? text) => Durations.Parse(text).ShouldBeNull();

    [Theory]
    [InlineData("4", "\"4\" is not a duration like 4h, 30m or 1h30m")]
    [InlineData("4hx", "\"4hx\" is not a duration like 4h, 30m or 1h30m")]
    [InlineData("h4", "\"h4\" is not a duration like 4h, 30m or 1h30m")]
    [InlineData("1..5h", "\"1..5h\" is not a duration like 4h, 30m or 1h30m")]
    [InlineData("876001h", "\"876001h\" is longer than a century")]
    public void Refused_durations_say_why(string text, string message) =>
        Should.Throw<FormatException>(() => Durations.Parse(text)).Message.ShouldBe(message);

    [Theory]
    [InlineData(2 * 3600, "2h")]
    [InlineData(2 * 3600 + 30 * 60, "2h30m")]
    [InlineData(3600 + 59, "1h")]
    [InlineData(3600, "1h")]
    [InlineData(3599, "59m")]
    [InlineData(45 * 60, "45m")]
    [InlineData(90, "1m")]
    [InlineData(60, "1m")]
    [InlineData(59, "59s")]
    [InlineData(0, "0s")]
    [InlineData(30 * 3600, "30h")]
    public void Durations_as_people_write_them(int seconds, string text) => Durations.Human(Duration.FromSeconds(seconds)).ShouldBe(text);
}
