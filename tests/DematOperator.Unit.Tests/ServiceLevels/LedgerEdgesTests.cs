using DematOperator.ServiceLevels;
using NodaTime;
using static DematOperator.Tests.ParisTime;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>
/// The ServiceLevel ledger on the edges of its rules, each expected value by hand: when a silence is unknown time, month
/// rollover and its history, incidents kept in status, planned periods, a month judged at its very end, and the figures
/// of incidents that start or end exactly on a month's edge. ARGENT, Europe/Paris, 2026.
/// </summary>
public sealed class LedgerEdgesTests
{
    private static readonly YearMonth May = new(2026, 5);

    private static ServiceLevelSettings Settings(Action<ServiceLevelSpec>? tweak = null)
    {
        var spec = new ServiceLevelSpec
        {
            Tier = "ARGENT", Environment = "production", Interval = "30s",
            Probes = [new ProbeSpec { Name = "api", Http = new HttpProbeSpec { Url = "https://platau.example/health" } }],
        };
        tweak?.Invoke(spec);
        ServiceLevelChecks.Resolve(spec, out var settings).Where(p => !p.Warning).ShouldBeEmpty();
        return settings!;
    }

    private static readonly ProbeOutcome[] Up = [new("api", true, "HTTP 200", TimeSpan.Zero)];

    /// <summary>A status measured until <paramref name="checkpoint"/>, in May, nothing unknown so far.</summary>
    private static ServiceLevelStatus MeasuredUntil(string checkpoint, string month = "2026-05") =>
        new() { CheckpointTime = Time(checkpoint), CurrentMonth = new MonthFigures { Month = month, UnknownPeriods = [] } };

    private static LedgerChanges Advance(ServiceLevelStatus status, string now, ServiceLevelSettings? settings = null, IReadOnlyList<ProbeOutcome>? outcomes = null,
        Instant? observedUntil = null, IReadOnlyList<PlannedInterruption>? planned = null, DeclaredIncidents? declared = null) =>
        ServiceLevelLedger.Advance(status, settings ?? Settings(), At("2026-04-01T00:00:00"), At(now), outcomes ?? Up, observedUntil, planned, declared);

    private static string Spans(IEnumerable<TimeSpanInterval> spans) => string.Join(", ", spans.Select(s => $"{s.Start.InZone(Paris):HH:mm:ss}-{s.End.InZone(Paris):HH:mm:ss}"));

    [Fact]
    public void A_silence_of_two_intervals_is_tolerated_one_tick_more_is_unknown()
    {
        Advance(MeasuredUntil("2026-05-04T10:00:00"), "2026-05-04T10:01:00").NewUnknown.ShouldBeEmpty("exactly two intervals");
        Spans(Advance(MeasuredUntil("2026-05-04T10:00:00"), "2026-05-04T10:01:01").NewUnknown).ShouldBe("10:00:00-10:01:01");
    }

    [Fact]
    public void A_silence_outside_service_hours_is_not_unknown_time()
    {
        var status = MeasuredUntil("2026-05-04T19:00:00");
        Advance(status, "2026-05-05T07:00:00").NewUnknown.ShouldBeEmpty("ARGENT serves 08:00-18:00: nothing was missed");
        status.CurrentMonth!.UnknownPeriods.ShouldBeEmpty();
    }

    [Fact]
    public void What_this_process_measured_since_the_checkpoint_is_not_unknown()
    {
        Advance(MeasuredUntil("2026-05-04T10:00:00"), "2026-05-04T10:05:30", observedUntil: At("2026-05-04T10:05:00")).NewUnknown.ShouldBeEmpty();
        Spans(Advance(MeasuredUntil("2026-05-04T10:00:00"), "2026-05-04T10:05:30", observedUntil: At("2026-05-04T09:00:00")).NewUnknown)
            .ShouldBe("10:00:00-10:05:30", "an older observation does not move the checkpoint back");
    }

    [Theory]
    [InlineData("2026-12", "2027-01-04T10:00:00", "2026-12")]
    [InlineData("2026-01", "2026-02-02T10:00:00", "2026-01")]
    public void A_new_month_closes_the_previous_one_into_the_history(string current, string now, string closed)
    {
        var status = MeasuredUntil(now, current);
        status.CheckpointTime = Time(now).AddMinutes(-1);
        Advance(status, now).ClosedMonths.Select(m => m.Month).ShouldBe([closed]);
        status.History!.Select(m => m.Month).ShouldBe([closed]);
    }

    [Fact]
    public void An_unreadable_month_in_the_status_is_taken_as_this_month_never_a_crash()
    {
        var status = MeasuredUntil("2026-05-04T09:59:30", "2026-13");
        Advance(status, "2026-05-04T10:00:00").ClosedMonths.ShouldBeEmpty();
        status.CurrentMonth!.Month.ShouldBe("2026-05");
    }

    [Fact]
    public void The_history_keeps_thirteen_months()
    {
        var status = MeasuredUntil("2026-05-04T09:59:30", "2025-01");
        Advance(status, "2026-05-04T10:00:00").ClosedMonths.Count.ShouldBe(16, "January 2025 to April 2026");
        status.History!.Select(m => m.Month).ShouldBe([.. Enumerable.Range(0, 13).Select(k => new YearMonth(2026, 4).PlusMonths(-k).ToString("yyyy-MM", null))]);
    }

    /// <summary>
    /// Incidents kept in status: every one that ended in this month or is open, and the ten most recent older ones. One that
    /// ended exactly when the month began is older.
    /// </summary>
    [Fact]
    public void Status_keeps_this_month_s_incidents_and_the_ten_most_recent_older_ones()
    {
        IncidentStatus Closed(string id, string start, string end) => new() { Id = id, Severity = "blocking", Start = Time(start), End = Time(end), Deadline = Time(end) };
        var status = MeasuredUntil("2026-05-04T09:59:30");
        status.Incidents =
        [
            .. Enumerable.Range(1, 13).Select(d => Closed($"apr-{d:00}", $"2026-04-{d:00}T10:00:00", $"2026-04-{d:00}T11:00:00")),
            Closed("edge", "2026-04-30T23:00:00", "2026-05-01T00:00:00"),
            Closed("relevant", "2026-05-02T10:00:00", "2026-05-02T11:00:00"),
        ];
        Advance(status, "2026-05-04T10:00:00");
        status.Incidents!.Select(i => i.Id).ShouldBe(["relevant", "edge", .. Enumerable.Range(5, 9).Reverse().Select(d => $"apr-{d:00}")]);
    }

    /// <summary>ARGENT blocking GTR: 4 h of service time. Down from 10:00, seen back at 14:00: closed exactly at its deadline, within it.</summary>
    [Fact]
    public void A_probe_incident_closed_exactly_at_its_deadline_is_within_the_GTR_and_names_every_probe_down()
    {
        var settings = Settings(s => s.Probes = [.. s.Probes!, new ProbeSpec { Name = "portal", Http = new HttpProbeSpec { Url = "https://portal.example/" } }]);
        ProbeOutcome[] down = [new("api", false, "HTTP 503", TimeSpan.Zero), new("portal", false, "HTTP 502", TimeSpan.Zero)];
        ProbeOutcome[] up = [new("api", true, "HTTP 200", TimeSpan.Zero), new("portal", true, "HTTP 200", TimeSpan.Zero)];
        var status = MeasuredUntil("2026-05-04T09:59:30");
        Advance(status, "2026-05-04T10:00:00", settings, down);
        var opened = Advance(status, "2026-05-04T10:00:30", settings, down).Opened.Single();
        (opened.Message, opened.Deadline).ShouldBe(("api: HTTP 503; portal: HTTP 502", Time("2026-05-04T14:00:00")));
        var closed = Advance(status, "2026-05-04T14:00:00", settings, up).Closed.Single();
        (closed.End, closed.WithinGtr).ShouldBe((Time("2026-05-04T14:00:00"), true));
    }

    [Fact]
    public void A_probe_incident_whose_Incident_a_person_deleted_is_withdrawn_once()
    {
        var status = MeasuredUntil("2026-05-04T09:59:30");
        status.Incidents = [new IncidentStatus { Id = "probe-1", Severity = "blocking", Start = Time("2026-05-04T09:00:00"), End = Time("2026-05-04T09:30:00") }];
        var deleted = new DeclaredIncidents([], new HashSet<string> { "probe-1" });
        Advance(status, "2026-05-04T10:00:00", declared: deleted).Withdrawn.Select(i => i.Id).ShouldBe(["probe-1"]);
        status.Incidents!.Single().Withdrawn.ShouldBe(true);
        Advance(status, "2026-05-04T10:00:30", declared: deleted).Withdrawn.ShouldBeEmpty("already withdrawn");
        status.CurrentMonth!.DowntimeSeconds.ShouldBe(0);
    }

    [Fact]
    public void Planned_periods_one_per_source_and_reason_never_from_the_future_forgotten_after_the_history()
    {
        var status = MeasuredUntil("2026-05-04T09:59:30");
        status.PlannedPeriods =
        [
            new PlannedPeriodStatus { Start = Time("2025-03-01T10:00:00"), End = Time("2025-03-31T10:00:00"), Reason = "PraDrill", Source = "old" },
            new PlannedPeriodStatus { Start = Time("2025-03-31T10:00:00"), End = Time("2025-04-01T00:00:00"), Reason = "PraDrill", Source = "edge" },
        ];
        Advance(status, "2026-05-04T10:00:00", planned: [new PlannedInterruption("PraDrill", "run-1", At("2026-05-04T09:00:00")),
            new PlannedInterruption("Other", "run-1", At("2026-05-04T11:00:00"))]);
        status.PlannedPeriods!.Select(p => $"{p.Source} {p.Reason} {PersonTime(p.Start)} {PersonTime(p.End)}").ShouldBe(
        [
            "edge PraDrill 2025-03-31T10:00:00+02:00 2025-04-01T00:00:00+02:00",
            "run-1 PraDrill 2026-05-04T09:00:00+02:00 2026-05-04T10:00:00+02:00",
            "run-1 Other 2026-05-04T10:00:00+02:00 2026-05-04T10:00:00+02:00",
        ]);
        var quiet = MeasuredUntil("2026-05-04T09:59:30");
        quiet.PlannedPeriods = [new PlannedPeriodStatus { Start = Time("2025-03-01T10:00:00"), End = Time("2025-03-31T10:00:00"), Reason = "PraDrill", Source = "old" }];
        Advance(quiet, "2026-05-04T10:00:00");
        quiet.PlannedPeriods.ShouldBeNull("thirteen months on, nothing planned is left to report");
    }

    private static string PersonTime(DateTimeOffset t) => DematOperator.Api.PersonTime.Format(t);

    private static IncidentStatus Incident(string id, string start, string? end) => new() { Id = id, Severity = "blocking", Start = Time(start), End = end is null ? null : Time(end) };

    /// <summary>
    /// May 2026 read at its very end (1 June 00:00), with 10 h unknown (12 May) and 50 minutes down: within the whole
    /// month's 51-minute budget, but 1 - 50 min / 160 h = 99.479 % &lt; 99.5 %. An ended month is judged on its availability.
    /// </summary>
    [Fact]
    public void A_month_read_at_its_very_end_is_judged_ended()
    {
        IncidentStatus[] down = [Incident("d", "2026-05-19T10:00:00", "2026-05-19T10:50:00")];
        TimeSpanInterval[] unknown = [new(At("2026-05-12T08:00:00"), At("2026-05-12T18:00:00"))];
        var atEnd = ServiceLevelLedger.Figures(Settings(), May, down, unknown, At("2026-06-01T00:00:00"));
        (atEnd.Met, atEnd.Verdict).ShouldBe((false, "non atteint"));
        var before = ServiceLevelLedger.Figures(Settings(), May, down, unknown, At("2026-05-31T23:59:59"));
        (before.Met, before.Verdict).ShouldBe((true, "atteint"), "so far: 50 of the month's 51 minutes spent");
    }

    [Fact]
    public void So_far_a_downtime_equal_to_the_budget_still_meets_it()
    {
        var f = ServiceLevelLedger.Figures(Settings(), May, [Incident("d", "2026-05-19T10:00:00", "2026-05-19T10:51:00")], [], At("2026-05-29T18:00:00"));
        (f.DowntimeSeconds, f.Met).ShouldBe((51 * 60L, true));
    }

    [Fact]
    public void Planned_time_counts_up_to_now_and_up_to_the_month_s_end()
    {
        TimeSpanInterval[] ongoing = [new(At("2026-05-12T10:00:00"), At("2026-05-12T14:00:00"))];
        ServiceLevelLedger.Figures(Settings(), May, [], [], At("2026-05-12T12:00:00"), ongoing).PlannedSeconds.ShouldBe(2 * 3600);
        TimeSpanInterval[] across = [new(At("2026-05-29T17:00:00"), At("2026-06-01T10:00:00"))];
        ServiceLevelLedger.Figures(Settings(), May, [], [], At("2026-06-03T12:00:00"), across).PlannedSeconds.ShouldBe(3600, "29 May 17:00-18:00; June is June's");
    }

    [Fact]
    public void Maintenance_windows_that_only_touch_the_month_are_not_listed()
    {
        var settings = Settings(s => s.MaintenanceWindows =
        [
            new MaintenanceWindowSpec { Start = "2026-04-30T20:00:00+02:00", End = "2026-05-01T00:00:00+02:00", ApprovalRef = "ADM-1" },
            new MaintenanceWindowSpec { Start = "2026-06-01T00:00:00+02:00", End = "2026-06-01T02:00:00+02:00", ApprovalRef = "ADM-2" },
        ]);
        ServiceLevelLedger.Figures(settings, May, [], [], At("2026-06-03T00:00:00")).MaintenanceWindows.ShouldBeNull();
    }

    [Fact]
    public void A_month_with_no_service_time_yet_shows_no_percentages()
    {
        var f = ServiceLevelLedger.Figures(Settings(), May, [], [], At("2026-05-01T20:00:00"));
        (f.AvailabilityPercent, f.CoveragePercent).ShouldBe(("—", "—"));
    }

    /// <summary>
    /// Incidents on May's edges, read on 3 June. "first" starts exactly when May begins (a holiday: its 4 h deadline is Monday
    /// 4 May 12:00); "exact" ends exactly at its deadline; "at-end" ends exactly when May ends (deadline 1 June 11:00: Friday
    /// 29 May 17:00-18:00, then 08:00-11:00); "late" was open when May ended and closed on 2 June, "after-end" too but closed
    /// on 1 June within its GTR; "june" starts exactly when June begins and is not May's.
    /// </summary>
    [Fact]
    public void Incidents_on_the_month_s_edges()
    {
        IncidentStatus[] incidents =
        [
            Incident("first", "2026-05-01T00:00:00", "2026-05-01T01:00:00"),
            Incident("exact", "2026-05-12T10:00:00", "2026-05-12T14:00:00"),
            Incident("at-end", "2026-05-29T17:00:00", "2026-06-01T00:00:00"),
            Incident("late", "2026-05-29T17:30:00", "2026-06-02T10:00:00"),
            Incident("after-end", "2026-05-29T17:30:00", "2026-06-01T10:00:00"),
            Incident("june", "2026-06-01T00:00:00", "2026-06-01T01:00:00"),
        ];
        var f = ServiceLevelLedger.Figures(Settings(), May, incidents, [], At("2026-06-03T12:00:00"));
        f.IncidentList!.Select(i => $"{i.Id} {PersonTime(i.Deadline)} {i.WithinGtr}").ShouldBe(
        [
            "first 2026-05-04T12:00:00+02:00 True",
            "exact 2026-05-12T14:00:00+02:00 True",
            "at-end 2026-06-01T11:00:00+02:00 True",
            "late 2026-06-01T11:30:00+02:00 False",
            "after-end 2026-06-01T11:30:00+02:00 True",
        ]);
        var tally = f.BySeverity!["blocking"];
        (tally.Count, tally.Resolved, tally.WithinGtr, tally.Open).ShouldBe((5, 3, 3, 2), "late and after-end were open when May ended");
        var indicators = f.Indicators!.ToDictionary(i => i.Name);
        (indicators["IND_INC02"].Value, indicators["IND_INC02"].Meaning).ShouldBe((1.0, "3 / 3 incident(s) critique(s) résolu(s) dans la GTR"),
            "late's deadline (1 June 11:30) had not passed when May ended");
        indicators["IND_SUP01"].Value.ShouldBe(2, "late and after-end, open when May ended; june is not May's");
    }

    [Fact]
    public void A_status_month_decades_old_closes_at_most_twenty_years_of_months()
    {
        var status = MeasuredUntil("2026-05-04T09:59:30", "2000-01");
        Advance(status, "2026-05-04T10:00:00").ClosedMonths.Count.ShouldBe(240, "bounded work on a corrupted status");
        status.CurrentMonth!.Month.ShouldBe("2026-05");
    }

    [Fact]
    public void An_empty_list_of_planned_interruptions_plans_nothing()
    {
        var status = MeasuredUntil("2026-05-04T09:59:00");
        ProbeOutcome[] down = [new("api", false, "HTTP 503", TimeSpan.Zero)];
        Advance(status, "2026-05-04T09:59:30", outcomes: down, planned: []);
        Advance(status, "2026-05-04T10:00:00", outcomes: down, planned: []).Opened.Count.ShouldBe(1);
        status.State.ShouldBe("Down");
    }

    [Fact]
    public void A_planned_round_keeps_what_the_probes_were_before_it()
    {
        var status = MeasuredUntil("2026-05-04T09:59:30");
        Advance(status, "2026-05-04T10:00:00");
        var since = status.Probes!.Single().LastTransitionTime;
        Advance(status, "2026-05-04T10:00:30", planned: [new PlannedInterruption("PraDrill", "run-1", At("2026-05-04T10:00:30"))]);
        status.Probes!.Single().LastTransitionTime.ShouldBe(since, "still up: no transition");
    }

    /// <summary>The probes are down but the Administration qualified the outage as an application anomaly: not downtime, yet STATE says what the probes see.</summary>
    [Fact]
    public void The_state_says_what_the_probes_see_even_when_the_outage_is_not_counted()
    {
        var status = MeasuredUntil("2026-05-04T09:59:00");
        ProbeOutcome[] down = [new("api", false, "HTTP 503", TimeSpan.Zero)];
        Advance(status, "2026-05-04T09:59:30", outcomes: down);
        Advance(status, "2026-05-04T10:00:00", outcomes: down);
        var probeIncident = status.Incidents!.Single();
        var requalified = new IncidentStatus { Id = probeIncident.Id, Severity = "blocking", Start = probeIncident.Start, Cause = "Application" };
        Advance(status, "2026-05-04T10:00:30", outcomes: down, declared: new DeclaredIncidents([requalified], new HashSet<string>()));
        status.State.ShouldBe("Down");
        status.CurrentMonth!.DowntimeSeconds.ShouldBe(0);
    }
}
