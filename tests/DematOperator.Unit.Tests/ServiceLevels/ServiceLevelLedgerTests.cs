using DematOperator.ServiceLevels;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;
using static DematOperator.Tests.ParisTime;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>The ServiceLevel bookkeeping driven round by round, on hand-computed ARGENT days of May 2026 (Europe/Paris, UTC+2).</summary>
public sealed class ServiceLevelLedgerTests
{

    private static ServiceLevelSettings Settings(string tier = "ARGENT", Action<ServiceLevelSpec>? tweak = null)
    {
        var spec = new ServiceLevelSpec
        {
            Tier = tier, Environment = "production",
            Probes = [new ProbeSpec { Name = "api", Http = new HttpProbeSpec { Url = "https://platau.example/health" } },
                      new ProbeSpec { Name = "search", Critical = false, Tcp = new TcpProbeSpec { Host = "search.example", Port = 9200 } }],
        };
        tweak?.Invoke(spec);
        ServiceLevelChecks.Resolve(spec, out var settings).Where(p => !p.Warning).ShouldBeEmpty();
        return settings!;
    }

    /// <summary>Rounds every 30 s from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    private static LedgerChanges[] Rounds(ServiceLevelStatus status, ServiceLevelSettings settings, string from, string to, bool api = true, bool search = true,
        IReadOnlyList<PlannedInterruption>? planned = null)
    {
        var changes = new List<LedgerChanges>();
        for (var t = At(from); t < At(to); t += Duration.FromSeconds(30))
            changes.Add(ServiceLevelLedger.Advance(status, settings, At("2026-05-04T09:00:00"), t,
                [new ProbeOutcome("api", api, api ? "HTTP 200" : "HTTP 503", TimeSpan.FromMilliseconds(20)), new ProbeOutcome("search", search, "", TimeSpan.Zero)], planned: planned));
        return [.. changes];
    }

    [Fact]
    public void A_probe_incident_starts_and_ends_on_whole_seconds_so_its_GTR_deadline_has_no_fraction()
    {
        var settings = Settings();
        var status = new ServiceLevelStatus();
        var down = new ProbeOutcome[] { new("api", false, "HTTP 503", TimeSpan.FromMilliseconds(20)), new("search", true, "", TimeSpan.Zero) };
        // Rounds at a quarter of a second past the minute, as a real clock gives them.
        var first = At("2026-05-04T10:00:00") + Duration.FromMilliseconds(250);
        for (var t = first; t < first + Duration.FromMinutes(2); t += Duration.FromSeconds(30))
            ServiceLevelLedger.Advance(status, settings, At("2026-05-04T09:00:00"), t, down);
        var incident = status.Incidents!.Single();
        incident.Start.ShouldBe(At("2026-05-04T10:00:00").ToDateTimeOffset(), "floored to the second the first failure was seen in");
        (incident.Deadline.Ticks % TimeSpan.TicksPerSecond).ShouldBe(0);
        incident.Deadline.ShouldBe(At("2026-05-04T14:00:00").ToDateTimeOffset(), "ARGENT blocking: 4 h of service time");
    }

    [Fact]
    public void Time_a_PRA_drill_stops_the_environment_is_planned_no_incident_opens_and_failures_count_anew_after_it()
    {
        var status = new ServiceLevelStatus();
        var settings = Settings(tweak: s => s.Environment = "preprod");
        Rounds(status, settings, "2026-05-04T10:00:00", "2026-05-04T10:30:00");
        // The drill stops the environment from 10:30 to 11:30 (its Quiesce began at 10:30).
        var drill = new PlannedInterruption(PlannedReasons.PraDrill, "PraDrill dematoperator-system/pra run pra-1", At("2026-05-04T10:30:00"));
        var during = Rounds(status, settings, "2026-05-04T10:30:00", "2026-05-04T11:30:00", api: false, search: false, planned: [drill]);
        during.SelectMany(c => c.Opened).ShouldBeEmpty("a planned interruption is not an outage");
        status.State.ShouldBe("Planned");
        status.PlannedPeriods.ShouldHaveSingleItem().Reason.ShouldBe(PlannedReasons.PraDrill);
        // Back, but still down for one round: the threshold of 2 counts from after the drill.
        var after = Rounds(status, settings, "2026-05-04T11:30:00", "2026-05-04T11:30:30", api: false);
        after.SelectMany(c => c.Opened).ShouldBeEmpty("failures during the drill do not count towards the threshold");
        Rounds(status, settings, "2026-05-04T11:30:30", "2026-05-04T12:00:00");
        status.Incidents.ShouldBeEmpty();
        var month = status.CurrentMonth!;
        month.PlannedSeconds.ShouldBe(3570, "10:30 to the last round seen in progress, 11:29:30");
        month.MaintenanceSeconds.ShouldBe(3570);
        month.DowntimeSeconds.ShouldBe(0);
        month.Availability.ShouldBe(1);
        month.ServiceSeconds.ShouldBe(4 * 3600 - 30 - 3570, "08:00 to the last round, 11:59:30, less the planned time");
    }

    [Fact]
    public void A_new_resource_reports_the_service_time_before_its_first_round_as_unknown()
    {
        var status = new ServiceLevelStatus();
        var settings = Settings();
        var first = Rounds(status, settings, "2026-05-04T10:00:00", "2026-05-04T10:00:01").Single();
        // 1 May is a holiday and 2-3 May a weekend: only Monday 4 May 08:00-10:00 is service time before the first round.
        first.NewUnknown.ShouldHaveSingleItem();
        status.CurrentMonth!.UnknownSeconds.ShouldBe(7200);
        status.CurrentMonth.ServiceSeconds.ShouldBe(7200);
        // Nothing measured yet: no availability at all, never 100 %.
        status.CurrentMonth.Availability.ShouldBeNull();
        status.CurrentMonth.AvailabilityPercent.ShouldBe("—");
        status.CurrentMonth.Coverage.ShouldBe(0);
        (status.CurrentMonth.AvailabilityLow, status.CurrentMonth.AvailabilityHigh).ShouldBe((0.0, 1.0), "the range: the unknown 2 h counted down, then up");
        status.CurrentMonth.InsufficientData.ShouldBe(true);
        status.CurrentMonth.Met.ShouldBeNull();
        status.State.ShouldBe("Up");
        status.CheckpointTime.ShouldBe(At("2026-05-04T10:00:00").ToDateTimeOffset());
    }

    [Fact]
    public void A_critical_probe_down_past_the_threshold_opens_a_blocking_incident_from_its_first_failure()
    {
        var status = new ServiceLevelStatus();
        var settings = Settings();
        Rounds(status, settings, "2026-05-04T10:00:00", "2026-05-04T10:00:30");
        var failing = Rounds(status, settings, "2026-05-04T10:00:30", "2026-05-04T10:31:00", api: false);
        failing[0].Opened.ShouldBeEmpty("one failure is below the threshold of 2");
        var incident = failing[1].Opened.ShouldHaveSingleItem();
        incident.Severity.ShouldBe("blocking");
        incident.Start.ShouldBe(At("2026-05-04T10:00:30").ToDateTimeOffset());
        incident.Deadline.ShouldBe(At("2026-05-04T14:00:30").ToDateTimeOffset(), "ARGENT blocking GTR is 4 service hours");
        incident.Probes.ShouldBe(["api"]);
        status.State.ShouldBe("Down");
        var recovered = Rounds(status, settings, "2026-05-04T10:31:00", "2026-05-04T10:31:30").Single();
        var closed = recovered.Closed.ShouldHaveSingleItem();
        closed.End.ShouldBe(At("2026-05-04T10:31:00").ToDateTimeOffset());
        closed.WithinGtr.ShouldBe(true);
        status.State.ShouldBe("Up");
        // Known service time 08:00 is unknown until 10:00; 10:00-10:31 known, 30.5 min of it down.
        status.CurrentMonth!.DowntimeSeconds.ShouldBe(1830);
        status.CurrentMonth.ServiceSeconds.ShouldBe(2 * 3600 + 31 * 60);
        status.CurrentMonth.Availability!.Value.ShouldBe(1 - 1830.0 / (31 * 60), 1e-12);
    }

    [Fact]
    public void A_non_critical_probe_degrades_and_a_critical_one_then_regrades_the_incident_to_blocking()
    {
        var status = new ServiceLevelStatus();
        var settings = Settings();
        Rounds(status, settings, "2026-05-05T09:00:00", "2026-05-05T09:10:00", search: false);
        status.State.ShouldBe("Degraded");
        var major = status.Incidents!.ShouldHaveSingleItem();
        major.Severity.ShouldBe("major");
        major.Deadline.ShouldBe(At("2026-05-05T17:00:00").ToDateTimeOffset(), "ARGENT major GTR is 8 service hours");
        var both = Rounds(status, settings, "2026-05-05T09:10:00", "2026-05-05T09:11:00", api: false, search: false);
        var blocking = both.SelectMany(c => c.Opened).ShouldHaveSingleItem();
        blocking.Severity.ShouldBe("blocking");
        blocking.Start.ShouldBe(At("2026-05-05T09:10:00").ToDateTimeOffset(), "dated from the critical probe's first failure");
        status.Incidents!.Single(i => i.Severity == "major").End.ShouldBe(blocking.Start);
        status.CurrentMonth!.DowntimeSeconds.ShouldBe(30, "only the blocking part counts as downtime");
    }

    [Fact]
    public void An_incident_outside_service_hours_starts_its_gtr_clock_at_the_next_opening()
    {
        var status = new ServiceLevelStatus();
        var settings = Settings();
        // Friday 22 May 2026, 19:00: the next ARGENT window opens Tuesday 26 May (Whit Monday 25 May is a holiday).
        Rounds(status, settings, "2026-05-22T19:00:00", "2026-05-22T19:05:00", api: false);
        var incident = status.Incidents!.ShouldHaveSingleItem();
        incident.Deadline.ShouldBe(At("2026-05-26T12:00:00").ToDateTimeOffset());
        status.State.ShouldBe("Down", "the state never hides an open blocking incident, in service hours or not");
        status.CurrentMonth!.DowntimeSeconds.ShouldBe(0);
    }

    [Fact]
    public void A_gap_of_more_than_two_intervals_is_unknown_time_not_downtime_and_incidents_stay_open_until_seen_recovered()
    {
        var status = new ServiceLevelStatus();
        var settings = Settings();
        Rounds(status, settings, "2026-05-04T10:00:00", "2026-05-04T11:00:00", api: false);
        var downtimeBefore = status.CurrentMonth!.DowntimeSeconds;
        // The operator is down from 11:00 (last checkpoint 10:59:30) until 13:00.
        var after = Rounds(status, settings, "2026-05-04T13:00:00", "2026-05-04T13:00:30").Single();
        after.NewUnknown.ShouldHaveSingleItem().ShouldBe(new TimeSpanInterval(At("2026-05-04T10:59:30"), At("2026-05-04T13:00:00")));
        status.CurrentMonth!.UnknownSeconds.ShouldBe(7200 + 7230);
        status.CurrentMonth.DowntimeSeconds.ShouldBe(downtimeBefore);
        var closed = after.Closed.ShouldHaveSingleItem();
        closed.End.ShouldBe(At("2026-05-04T13:00:00").ToDateTimeOffset(), "recovery is only known when seen");
        status.CurrentMonth.UnknownPeriods!.Count.ShouldBe(2);
    }

    [Fact]
    public void A_closed_month_is_computed_again_when_an_Incident_of_it_is_declared_or_corrected_and_only_then()
    {
        var status = new ServiceLevelStatus();
        var settings = Settings();
        Rounds(status, settings, "2026-05-29T16:00:00", "2026-05-29T18:00:00");
        Rounds(status, settings, "2026-06-01T09:00:00", "2026-06-01T09:00:01");
        var may = status.History!.ShouldHaveSingleItem();
        (may.DowntimeSeconds, may.Incidents).ShouldBe((0L, 0));
        may.UnknownPeriods.ShouldNotBeNull("kept with the closed month, so it can be computed again");

        // In June, a ticket says ARGENT was down on 29 May from 16:30 to 17:00 (service time).
        var ticket = new IncidentStatus
        {
            Id = "incident/ticket-0042", Severity = "blocking", Start = At("2026-05-29T16:30:00").ToDateTimeOffset(), End = At("2026-05-29T17:00:00").ToDateTimeOffset(),
            Incident = "ticket-0042", Cause = "Platform", Ticket = "INC-0042",
        };
        var declared = new DeclaredIncidents([ticket], new HashSet<string>());
        var round = ServiceLevelLedger.Advance(status, settings, At("2026-05-04T09:00:00"), At("2026-06-01T09:00:30"), [new ProbeOutcome("api", true, "", TimeSpan.Zero)], declared: declared);
        var revised = round.RevisedMonths.ShouldHaveSingleItem();
        revised.Month.ShouldBe("2026-05");
        revised.DowntimeSeconds.ShouldBe(1800);
        revised.IncidentList!.ShouldHaveSingleItem().Ticket.ShouldBe("INC-0042");
        status.History!.Single().DowntimeSeconds.ShouldBe(1800);
        ServiceLevelLedger.Advance(status, settings, At("2026-05-04T09:00:00"), At("2026-06-01T09:01:00"), [new ProbeOutcome("api", true, "", TimeSpan.Zero)], declared: declared)
            .RevisedMonths.ShouldBeEmpty("nothing changed since: the month is not computed again");

        // Requalified as an application anomaly: May's downtime goes back to none, the incident stays listed.
        var application = new DeclaredIncidents([new IncidentStatus { Id = ticket.Id, Severity = ticket.Severity, Start = ticket.Start, End = ticket.End, Incident = ticket.Incident, Cause = "Application" }], new HashSet<string>());
        ServiceLevelLedger.Advance(status, settings, At("2026-05-04T09:00:00"), At("2026-06-01T09:01:30"), [new ProbeOutcome("api", true, "", TimeSpan.Zero)], declared: application)
            .RevisedMonths.ShouldHaveSingleItem().DowntimeSeconds.ShouldBe(0);
        status.History!.Single().Incidents.ShouldBe(1);
    }

    [Fact]
    public void The_month_rolls_into_history_which_keeps_thirteen_months()
    {
        var status = new ServiceLevelStatus();
        var settings = Settings();
        Rounds(status, settings, "2026-05-29T17:59:00", "2026-05-29T17:59:31", api: false);
        var rollover = Rounds(status, settings, "2026-06-01T08:00:00", "2026-06-01T08:00:01").Single();
        var may = rollover.ClosedMonths.ShouldHaveSingleItem();
        may.Month.ShouldBe("2026-05");
        may.Met.ShouldBeNull("May was measured only 30 s (while down): far below the coverage threshold, no verdict");
        may.InsufficientData.ShouldBe(true);
        may.Availability.ShouldBe(0, "the 30 s measured were down");
        status.History!.ShouldHaveSingleItem().Month.ShouldBe("2026-05");
        status.CurrentMonth!.Month.ShouldBe("2026-06");
        for (var m = 7; m <= 21; m++)
        {
            var month = new YearMonth(2026, 1).PlusMonths(m - 1);
            var monday = month.OnDayOfMonth(1).Next(IsoDayOfWeek.Monday).At(new LocalTime(9, 0)).InZoneLeniently(Paris).ToInstant();
            ServiceLevelLedger.Advance(status, settings, At("2026-05-04T09:00:00"), monday, [new ProbeOutcome("api", true, "", TimeSpan.Zero)]);
        }
        status.History!.Count.ShouldBe(ServiceLevelLedger.HistoryMonths);
        status.History[0].Month.ShouldBe("2027-08");
        status.History.Select(h => h.Month).ShouldBeInOrder(SortDirection.Descending);
    }

    [Fact]
    public void Maintenance_and_overrides_are_honoured_and_bad_input_is_named()
    {
        var settings = Settings("BRONZE", s =>
        {
            s.Objective = "99.9";
            s.Gtr = new GtrSpec { Blocking = "1d" };
            s.MaintenanceWindows = [new MaintenanceWindowSpec { Start = "2026-05-04T10:00:00+02:00", End = "2026-05-04T12:00:00+02:00", ApprovalRef = "ADM-2026-17" }];
        });
        settings.Tier.Objective.ShouldBe(0.999);
        settings.Calendar.Deadline(At("2026-05-04T17:00:00"), Severity.Blocking).ShouldBe(At("2026-05-05T17:00:00"));
        var status = new ServiceLevelStatus();
        Rounds(status, settings, "2026-05-04T09:00:00", "2026-05-04T13:00:00", api: false);
        status.CurrentMonth!.MaintenanceSeconds.ShouldBe(7200);
        status.CurrentMonth.DowntimeSeconds.ShouldBe(3600 - 30 + 3600 - 30 + 30, "09:00:00-10:00 and 12:00-13:00, the last round's 30 s not yet elapsed");
        status.CurrentMonth.AvailabilityWithoutExclusions.ShouldBe(0, "down the whole time measured, maintenance included");
        status.CurrentMonth.MaintenanceWindows.ShouldHaveSingleItem().Excluded.ShouldBe(true);

        // Without the Administration's agreement, the same window is not excluded (a warning says why); with impact None, neither.
        foreach (var (approval, impact, warned) in new[] { ((string?)null, "Outage", true), ("ADM-2026-18", "None", false) })
        {
            var spec = new ServiceLevelSpec { Tier = "BRONZE", Environment = "production", Probes = [new ProbeSpec { Name = "api", Http = new HttpProbeSpec { Url = "https://platau.example/health" } }],
                MaintenanceWindows = [new MaintenanceWindowSpec { Start = "2026-05-04T10:00:00+02:00", End = "2026-05-04T12:00:00+02:00", ApprovalRef = approval, Impact = impact }] };
            var problems = ServiceLevelChecks.Resolve(spec, out var unapproved);
            problems.Any(p => p.Reason == "UnapprovedMaintenance" && p.Warning).ShouldBe(warned);
            var other = new ServiceLevelStatus();
            Rounds(other, unapproved!, "2026-05-04T09:00:00", "2026-05-04T13:00:00", api: false);
            other.CurrentMonth!.MaintenanceSeconds.ShouldBe(0);
            other.CurrentMonth.MaintenanceWindows.ShouldHaveSingleItem().Excluded.ShouldBe(false);
        }

        string Reason(Action<ServiceLevelSpec> tweak)
        {
            var spec = new ServiceLevelSpec { Tier = "OR", Environment = "production" };
            tweak(spec);
            return ServiceLevelChecks.Resolve(spec, out var s).First(p => !p.Warning).Reason;
        }
        Reason(s => s.Tier = "PLATINE").ShouldBe("UnknownTier");
        Reason(s => s.TimeZone = "Europe/Strasbourg").ShouldBe("UnknownTimeZone");
        Reason(s => s.Interval = "soon").ShouldBe("InvalidDuration");
        Reason(s => s.Probes = [new ProbeSpec { Name = "x", Http = new HttpProbeSpec { Url = "ftp://x" } }]).ShouldBe("InvalidUrl");
        Reason(s => s.Probes = [new ProbeSpec { Name = "x" }]).ShouldBe("InvalidProbe");
        Reason(s => s.MaintenanceWindows =
        [
            new MaintenanceWindowSpec { Start = "2026-05-04T10:00:00+02:00", End = "2026-05-04T12:00:00+02:00" },
            new MaintenanceWindowSpec { Start = "2026-05-04T11:00:00+02:00", End = "2026-05-04T13:00:00+02:00" },
        ]).ShouldBe("OverlappingMaintenanceWindows");
        Reason(s => s.Gtr = new GtrSpec { Major = "2 weeks" }).ShouldBe("InvalidGtr");
        Reason(s => s.ServiceHours = new ServiceHoursSpec { Opens = "20:00", Closes = "06:00" }).ShouldBe("InvalidServiceHours");
    }

    [Fact]
    public void Any_probe_history_keeps_downtime_within_known_service_time_and_incidents_disjoint() =>
        Prop.ForAll(Gen.ListOf(Gen.Elements(0, 1, 2, 3)).ToArbitrary(), rounds =>
        {
            var status = new ServiceLevelStatus();
            var settings = Settings("OR");
            var t = At("2026-05-09T19:50:00");
            foreach (var r in rounds)
            {
                // 3 is a missed round: the operator skips two intervals, which must become unknown time.
                t += Duration.FromSeconds(r == 3 ? 120 : 30);
                ServiceLevelLedger.Advance(status, settings, At("2026-05-01T00:00:00"), t,
                    [new ProbeOutcome("api", r != 1, "", TimeSpan.Zero), new ProbeOutcome("search", r != 2, "", TimeSpan.Zero)]);
            }
            var m = status.CurrentMonth;
            if (m is null) return true;
            var ordered = (status.Incidents ?? []).OrderBy(i => i.Start).ToList();
            var disjoint = ordered.Zip(ordered.Skip(1)).All(p => p.First.End is { } e && e <= p.Second.Start);
            var honest = m.Availability is null ? m.ServiceSeconds == m.UnknownSeconds : m.Availability is >= 0 and <= 1 && m.AvailabilityLow <= m.Availability && m.Availability <= m.AvailabilityHigh;
            return honest && m.DowntimeSeconds <= m.ServiceSeconds - m.UnknownSeconds && disjoint
                   && ordered.Count(i => i.End is null) <= 1;
        }).QuickCheckThrowOnFailure();

    /// <summary>
    /// Failure threshold 2, rounds every 30 s. api fails at 10:00 and 10:00:30: blocking from 10:00. At 10:01 api is back and
    /// search (not critical) down since 10:00:30: the grade falls to major, from now. api fails again at 10:01:30 and 10:02:
    /// blocking again, from 10:01:30.
    /// </summary>
    [Fact]
    public void Grades_change_with_the_probes_a_downgrade_starts_now_an_escalation_at_the_first_failure()
    {
        var settings = Settings();
        var status = new ServiceLevelStatus();
        LedgerChanges Round(string time, bool api, bool search) => ServiceLevelLedger.Advance(status, settings, At("2026-05-04T09:00:00"), At(time),
            [new ProbeOutcome("api", api, api ? "HTTP 200" : "HTTP 503", TimeSpan.Zero), new ProbeOutcome("search", search, search ? "open" : "connection refused", TimeSpan.Zero)]);
        Round("2026-05-04T09:59:30", true, true);
        Round("2026-05-04T10:00:00", false, true).Opened.ShouldBeEmpty();
        status.State.ShouldBe("Up", "one failure is below the threshold");
        Round("2026-05-04T10:00:30", false, false).Opened.Select(i => i.Severity).ShouldBe(["blocking"], "api's second failure");
        status.Incidents![0].Start.ShouldBe(At("2026-05-04T10:00:00").ToDateTimeOffset());
        status.Incidents[0].Id.ShouldBe("20260504T100000-blocking");
        status.Incidents[0].Message.ShouldBe("api: HTTP 503");
        (status.State, status.OpenIncidents, status.WorstOpenSeverity).ShouldBe(("Down", 1, "blocking"));
        var down = Round("2026-05-04T10:01:00", true, false);
        down.Closed.Select(i => (i.Severity, i.End)).ShouldBe([("blocking", (DateTimeOffset?)At("2026-05-04T10:01:00").ToDateTimeOffset())]);
        var major = down.Opened.Single();
        (major.Severity, major.Start, major.Id, major.Message).ShouldBe(("major", At("2026-05-04T10:01:00").ToDateTimeOffset(), "20260504T100100-major", "search: connection refused"),
            "a downgrade starts now, not when search first failed");
        (status.State, status.WorstOpenSeverity).ShouldBe(("Degraded", "major"));
        Round("2026-05-04T10:01:30", false, false).Opened.ShouldBeEmpty("api's first failure of a new streak");
        var escalated = Round("2026-05-04T10:02:00", false, false);
        escalated.Closed.Single().Severity.ShouldBe("major");
        escalated.Opened.Single().Start.ShouldBe(At("2026-05-04T10:01:30").ToDateTimeOffset(), "an escalation is dated from the blocking probe's first failure");
        (status.State, status.OpenIncidents).ShouldBe(("Down", 1));
    }

    [Fact]
    public void The_state_outside_service_hours_and_without_probes()
    {
        var status = new ServiceLevelStatus();
        ServiceLevelLedger.Advance(status, Settings(), At("2026-05-04T09:00:00"), At("2026-05-04T19:00:00"),
            [new ProbeOutcome("api", true, "HTTP 200", TimeSpan.Zero), new ProbeOutcome("search", true, "", TimeSpan.Zero)]);
        status.State.ShouldBe("OutsideServiceHours");
        var none = new ServiceLevelStatus();
        ServiceLevelLedger.Advance(none, Settings(tweak: s => s.Probes = []), At("2026-05-04T09:00:00"), At("2026-05-04T10:00:00"), []);
        none.State.ShouldBe("Unknown");
    }

    [Fact]
    public void Declared_incidents_replace_probe_incidents_and_deleted_or_withdrawn_ones_no_longer_count()
    {
        IncidentStatus Probe(string id, bool? withdrawn = null) => new() { Id = id, Severity = "blocking", Start = At("2026-05-04T10:00:00").ToDateTimeOffset(), Withdrawn = withdrawn };
        var declared = new DeclaredIncidents([Probe("a"), Probe("ticket")], new HashSet<string> { "b" });
        declared.Effective([Probe("a"), Probe("b"), Probe("c", withdrawn: true), Probe("d"), Probe("e", withdrawn: false)]).Select(i => i.Id)
            .ShouldBe(["a", "ticket", "d", "e"]);
    }

    [Fact]
    public void The_worst_open_severity_is_the_worst_of_all_open_incidents()
    {
        var status = new ServiceLevelStatus();
        var declared = new DeclaredIncidents(
            [new IncidentStatus { Id = "m", Severity = "minor", Start = At("2026-05-04T10:00:00").ToDateTimeOffset() },
             new IncidentStatus { Id = "j", Severity = "major", Start = At("2026-05-04T10:05:00").ToDateTimeOffset() }], new HashSet<string>());
        ServiceLevelLedger.Advance(status, Settings(), At("2026-05-04T09:00:00"), At("2026-05-04T10:10:00"),
            [new ProbeOutcome("api", true, "HTTP 200", TimeSpan.Zero), new ProbeOutcome("search", true, "", TimeSpan.Zero)], declared: declared);
        (status.OpenIncidents, status.WorstOpenSeverity, status.State).ShouldBe((2, "major", "Up"));
    }
}
