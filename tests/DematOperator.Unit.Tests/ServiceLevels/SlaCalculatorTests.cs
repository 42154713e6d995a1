using DematOperator.ServiceLevels;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;
using static DematOperator.Tests.ParisTime;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>The calculator on months computed by hand, and its invariants as properties.</summary>
public sealed class SlaCalculatorTests
{
    private static ServiceCalendar Calendar(ServiceTier tier, string holidays = "FR") => new(tier, Paris, HolidayCalendar.Parse(holidays)!);
    private static MonthlyReport Month(ServiceTier tier, int year, int month, IEnumerable<Outage>? outages = null, IEnumerable<TimeSpanInterval>? maintenance = null) =>
        MonthlyAvailability.Compute(Calendar(tier), new YearMonth(year, month), outages ?? [], maintenance ?? []);
    private static Outage Down(string from, string to, Severity s = Severity.Blocking) => new(At(from), At(to), s);

    [Theory]
    [InlineData(2024, 3, 31)]
    [InlineData(2025, 4, 20)]
    [InlineData(2026, 4, 5)]
    [InlineData(2027, 3, 28)]
    [InlineData(2038, 4, 25)]
    [InlineData(2285, 3, 22)]
    public void Easter_follows_the_gregorian_computus(int year, int month, int day) =>
        HolidayCalendar.EasterSunday(year).ShouldBe(new LocalDate(year, month, day));

    [Fact]
    public void May_2026_holidays_fr_and_alsace_moselle()
    {
        var fr = HolidayCalendar.France;
        foreach (var d in new[] { 1, 8, 14, 25 }) fr.IsHoliday(new LocalDate(2026, 5, d)).ShouldBeTrue($"May {d}");
        fr.IsHoliday(new LocalDate(2026, 5, 15)).ShouldBeFalse();
        fr.IsHoliday(new LocalDate(2026, 4, 6)).ShouldBeTrue("Easter Monday");
        fr.IsHoliday(new LocalDate(2026, 4, 3)).ShouldBeFalse("Good Friday is not national");
        var am = HolidayCalendar.Parse("FR-ALSACE-MOSELLE")!;
        am.IsHoliday(new LocalDate(2026, 4, 3)).ShouldBeTrue();
        am.IsHoliday(new LocalDate(2026, 12, 26)).ShouldBeTrue();
        HolidayCalendar.Parse("none")!.IsHoliday(new LocalDate(2026, 12, 25)).ShouldBeFalse();
        HolidayCalendar.Parse("none", [new LocalDate(2026, 6, 2)])!.IsHoliday(new LocalDate(2026, 6, 2)).ShouldBeTrue();
    }

    [Fact]
    public void Argent_may_2026_has_17_service_days_of_10_hours()
    {
        // 21 weekdays minus 1 May (Fri), 8 May (Fri), Ascension 14 May (Thu), Whit Monday 25 May.
        var r = Month(ServiceTier.Argent, 2026, 5);
        r.ServiceTime.ShouldBe(Duration.FromHours(170));
        r.Availability.ShouldBe(1.0);
        r.Met.ShouldBeTrue();
    }

    [Fact]
    public void Or_may_2026_counts_holidays_and_saturdays()
    {
        // 31 days minus 5 Sundays, 14 h each; OR includes public holidays.
        Month(ServiceTier.Or, 2026, 5).ServiceTime.ShouldBe(Duration.FromHours(26 * 14));
    }

    [Fact]
    public void Dst_months_have_743_and_745_hours_but_wall_clock_service_windows()
    {
        var cal = Calendar(ServiceTier.Argent);
        cal.Month(new YearMonth(2026, 3)).Length.ShouldBe(Duration.FromHours(743));
        cal.Month(new YearMonth(2026, 10)).Length.ShouldBe(Duration.FromHours(745));
        Month(ServiceTier.Argent, 2026, 3).ServiceTime.ShouldBe(Duration.FromHours(22 * 10));
        Month(ServiceTier.Or, 2026, 10).ServiceTime.ShouldBe(Duration.FromHours(27 * 14));
        // The window of the Monday after the spring change opens at 08:00 local, i.e. 06:00 UTC.
        cal.WindowOf(new LocalDate(2026, 3, 30))!.Value.Start.ShouldBe(Instant.FromUtc(2026, 3, 30, 6, 0));
        cal.WindowOf(new LocalDate(2026, 3, 27))!.Value.Start.ShouldBe(Instant.FromUtc(2026, 3, 27, 7, 0));
    }

    [Fact]
    public void Outages_across_window_edges_midnight_month_end_overlaps_and_maintenance()
    {
        var r = Month(ServiceTier.Argent, 2026, 5,
            [
                Down("2026-05-12T17:30:00", "2026-05-12T19:00:00"),       // 30 min inside, crosses the 18:00 edge
                Down("2026-05-20T23:00:00", "2026-05-21T09:00:00"),       // crosses midnight: 08:00-09:00...
                Down("2026-05-29T17:00:00", "2026-06-01T09:00:00"),       // crosses the month end: 1 h in May
                Down("2026-05-19T10:00:00", "2026-05-19T11:00:00"),
                Down("2026-05-19T10:30:00", "2026-05-19T11:30:00"),       // overlaps: 1 h 30 in all
                Down("2026-05-16T10:00:00", "2026-05-16T12:00:00"),       // Saturday: outside service hours
                Down("2026-05-14T09:00:00", "2026-05-14T12:00:00"),       // Ascension: no service
                Down("2026-05-06T09:00:00", "2026-05-06T12:00:00", Severity.Major), // major: no downtime
            ],
            [new TimeSpanInterval(At("2026-05-21T08:30:00"), At("2026-05-21T09:30:00"))]); // ...minus 08:30-09:00 in maintenance
        r.ServiceTime.ShouldBe(Duration.FromHours(169));
        r.MaintenanceTime.ShouldBe(Duration.FromHours(1));
        r.Downtime.ShouldBe(Duration.FromMinutes(30 + 30 + 60 + 90));
        r.Availability.ShouldBe(1 - 3.5 / 169, 1e-12);
        r.Met.ShouldBeFalse();
    }

    [Theory]
    // ARGENT blocking 4 h from Friday 17:00: 1 h on Friday, 3 h on Monday.
    [InlineData("ARGENT", Severity.Blocking, "2026-05-29T17:00:00", "2026-06-01T11:00:00")]
    // Starting on a Saturday: the clock starts at Monday's opening.
    [InlineData("ARGENT", Severity.Blocking, "2026-05-16T10:00:00", "2026-05-18T12:00:00")]
    // Starting before opening time.
    [InlineData("ARGENT", Severity.Major, "2026-05-19T06:00:00", "2026-05-19T16:00:00")]
    // ARGENT minor, 5 days of 10 h from Monday 10:00 across the 8 May holiday and a weekend.
    [InlineData("ARGENT", Severity.Minor, "2026-05-04T10:00:00", "2026-05-12T10:00:00")]
    // OR blocking 2 h from Sunday evening: Monday 06:00 + 2 h.
    [InlineData("OR", Severity.Blocking, "2026-05-10T21:00:00", "2026-05-11T08:00:00")]
    // OR minor, 2 days of 14 h from Saturday 19:00: 1 h Saturday, 14 h Monday, 13 h Tuesday.
    [InlineData("OR", Severity.Minor, "2026-05-09T19:00:00", "2026-05-12T19:00:00")]
    // BRONZE major, 2 days of 10 h from Thursday 12:00 before Ascension... on 2026-05-13 (Wed): 6 h Wed, Thu is a holiday, 10 h Fri, 4 h Mon.
    [InlineData("BRONZE", Severity.Major, "2026-05-13T12:00:00", "2026-05-18T12:00:00")]
    public void Gtr_deadlines_count_only_service_time(string tier, Severity severity, string start, string deadline) =>
        Calendar(ServiceTier.Parse(tier)!).Deadline(At(start), severity).ShouldBe(At(deadline));

    [Fact]
    public void Incidents_are_judged_against_their_deadline_and_counted_per_severity()
    {
        var r = Month(ServiceTier.Argent, 2026, 5,
            [
                Down("2026-05-29T17:00:00", "2026-06-01T11:00:00"),   // exactly at the deadline: within
                Down("2026-05-26T09:00:00", "2026-05-26T13:30:00"),   // 4 h 30 of service time: late
                new Outage(At("2026-05-27T09:00:00"), null, Severity.Blocking), // still open: not judged
                Down("2026-04-30T17:00:00", "2026-05-04T09:00:00"),   // started in April: not this month's incident
            ]);
        r.Incidents.Count.ShouldBe(3);
        r.Incidents.Select(i => i.WithinGtr).ShouldBe([false, null, true]);
        r.WithinGtrRatio(Severity.Blocking).ShouldBe(0.5);
        r.WithinGtrRatio(Severity.Minor).ShouldBeNull();
    }

    [Fact]
    public void The_share_within_the_gtr_counts_only_judged_incidents_of_that_severity()
    {
        var r = Month(ServiceTier.Argent, 2026, 5,
            [
                Down("2026-05-04T09:00:00", "2026-05-04T10:00:00"), Down("2026-05-05T09:00:00", "2026-05-05T10:00:00"),
                Down("2026-05-06T09:00:00", "2026-05-06T18:00:00"),                     // 9 h of service time: late
                Down("2026-05-07T09:00:00", "2026-05-07T18:00:00", Severity.Major),   // another severity
                new Outage(At("2026-05-11T09:00:00"), null, Severity.Blocking),         // open: not judged
            ]);
        r.WithinGtrRatio(Severity.Blocking).ShouldBe(2 / 3.0);
        r.WithinGtrRatio(Severity.Major).ShouldBe(0.0, "ARGENT's major GTR is 8 h of service time: 9 h is late");
    }

    /// <summary>
    /// ARGENT, May 2026: 170 h of service time, objective 99.5 %, so 51 minutes of budget. Exactly 51 minutes down is
    /// exactly the objective: met, and nothing of the budget is left.
    /// </summary>
    [Fact]
    public void Availability_equal_to_the_objective_meets_it_and_the_budget_is_spent()
    {
        var r = Month(ServiceTier.Argent, 2026, 5, [Down("2026-05-12T10:00:00", "2026-05-12T10:51:00")]);
        r.ErrorBudget.ShouldBe(Duration.FromMinutes(51));
        r.Availability.ShouldBe(1 - 51 / 10_200.0);
        r.Met.ShouldBeTrue("≥ the objective, not >");
        r.ErrorBudgetRemaining.ShouldBe(0, 1e-12);
        var thirty = Month(ServiceTier.Argent, 2026, 5, [Down("2026-05-12T10:00:00", "2026-05-12T10:30:00")]);
        thirty.ErrorBudgetRemaining.ShouldBe(1 - 30 / 51.0, 1e-12);
        Month(ServiceTier.Argent, 2026, 5, [Down("2026-05-12T10:00:00", "2026-05-12T11:42:00")]).ErrorBudgetRemaining.ShouldBe(-1, 1e-12, "overspent twice over");
        (thirty with { Objective = 1 }).ErrorBudgetRemaining.ShouldBe(1, "no budget at all: nothing to spend");
    }

    [Fact]
    public void Figures_so_far_stop_at_now_and_keep_the_whole_month_s_service_time_for_the_budget()
    {
        // Read on Tuesday 12 May at 12:00: 5 service days before (4-7 and 11 May; 1 and 8 May are holidays) and 08:00-12:00.
        var r = MonthlyAvailability.Compute(Calendar(ServiceTier.Argent), new YearMonth(2026, 5),
            [new Outage(At("2026-05-12T10:00:00"), null, Severity.Blocking)], [], At("2026-05-12T12:00:00"));
        r.ServiceTime.ShouldBe(Duration.FromHours(5 * 10 + 4));
        r.MonthServiceTime.ShouldBe(Duration.FromHours(170));
        r.Downtime.ShouldBe(Duration.FromHours(2), "an open outage runs until now");
        r.Incidents.Single().WithinGtr.ShouldBeNull("its 4 h deadline has not come");
        var later = MonthlyAvailability.Compute(Calendar(ServiceTier.Argent), new YearMonth(2026, 5),
            [new Outage(At("2026-05-12T10:00:00"), null, Severity.Blocking)], [], At("2026-05-12T14:00:00"));
        later.Incidents.Single().WithinGtr.ShouldBeNull("exactly at its deadline, an open incident has not missed it yet");
        var past = MonthlyAvailability.Compute(Calendar(ServiceTier.Argent), new YearMonth(2026, 5),
            [new Outage(At("2026-05-12T10:00:00"), null, Severity.Blocking)], [], At("2026-05-12T14:00:01"));
        past.Incidents.Single().WithinGtr.ShouldBe(false);
    }

    [Fact]
    public void Nothing_known_is_no_downtime_and_incidents_belong_to_the_month_they_start_in()
    {
        var allUnknown = MonthlyAvailability.Compute(Calendar(ServiceTier.Argent), new YearMonth(2026, 5), [Down("2026-05-12T10:00:00", "2026-05-12T11:00:00")], [],
            unknown: [new TimeSpanInterval(At("2026-05-01T00:00:00"), At("2026-06-01T00:00:00"))]);
        (allUnknown.Availability, allUnknown.Downtime, allUnknown.UnknownTime).ShouldBe((1.0, Duration.Zero, Duration.FromHours(170)));
        var edges = Month(ServiceTier.Argent, 2026, 5, [Down("2026-05-01T00:00:00", "2026-05-01T01:00:00"), Down("2026-06-01T00:00:00", "2026-06-01T01:00:00")]);
        edges.Incidents.Select(i => i.Outage.Start).ShouldBe([At("2026-05-01T00:00:00")], "the first instant of the month is in it, the first of June is not");
    }

    // ---- properties

    private static readonly Instant MayStart = At("2026-05-01T00:00:00");

    private static Gen<Outage> Outages => Gen.Choose(0, 31 * 24 * 4).SelectMany(s => Gen.Choose(1, 48 * 4).SelectMany(len =>
        Gen.Elements(Severity.Blocking, Severity.Major, Severity.Minor).Select(sev =>
            new Outage(MayStart + Duration.FromMinutes(15 * s), MayStart + Duration.FromMinutes(15 * (s + len)), sev))));

    [Fact]
    public void Availability_stays_between_zero_and_one() =>
        Prop.ForAll(Gen.ListOf(Outages).ToArbitrary(), outages =>
        {
            var r = Month(ServiceTier.Argent, 2026, 5, outages);
            return r.Availability is >= 0 and <= 1;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Adding_an_outage_never_raises_availability() =>
        Prop.ForAll(Gen.ListOf(Outages).ToArbitrary(), Outages.ToArbitrary(), (outages, extra) =>
            Month(ServiceTier.Or, 2026, 5, [.. outages, extra]).Availability <= Month(ServiceTier.Or, 2026, 5, outages).Availability + 1e-12)
        .QuickCheckThrowOnFailure();

    [Fact]
    public void Outages_outside_service_hours_change_nothing() =>
        Prop.ForAll(Gen.ListOf(Outages).ToArbitrary(), Gen.Choose(0, 30).ToArbitrary(), (outages, dayIndex) =>
        {
            var cal = Calendar(ServiceTier.Argent);
            var date = new LocalDate(2026, 5, 1).PlusDays(dayIndex);
            // 18:00 to 08:00 the next day is never service time for ARGENT.
            var night = new Outage(date.At(new LocalTime(18, 0)).InZoneLeniently(Paris).ToInstant(), date.PlusDays(1).At(new LocalTime(8, 0)).InZoneLeniently(Paris).ToInstant(), Severity.Blocking);
            var without = MonthlyAvailability.Compute(cal, new YearMonth(2026, 5), outages, []);
            var with = MonthlyAvailability.Compute(cal, new YearMonth(2026, 5), [.. outages, night], []);
            return with.Downtime == without.Downtime;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_deadline_is_never_earlier_than_the_gtr_and_lies_in_service_time() =>
        Prop.ForAll(Outages.ToArbitrary(), o =>
        {
            var cal = Calendar(ServiceTier.Bronze);
            var deadline = cal.Deadline(o.Start, o.Severity);
            var gtr = ServiceTier.Bronze.For(o.Severity).ServiceTime(ServiceTier.Bronze.ServiceDay);
            var served = Intervals.Total(cal.Windows(o.Start, deadline));
            return deadline - o.Start >= gtr && served == gtr;
        }).QuickCheckThrowOnFailure();
}

public sealed class OutageCsvTests
{
    [Fact]
    public void Parses_outages_with_default_severity_and_open_incidents()
    {
        var list = OutageCsv.ParseOutages("start,end,severity\n# comment\n2026-05-12T17:30:00+02:00,2026-05-12T19:00:00+02:00,major\n2026-05-13T08:00:00Z,,\n", "o.csv");
        list.Count.ShouldBe(2);
        list[0].Severity.ShouldBe(Severity.Major);
        list[1].Severity.ShouldBe(Severity.Blocking);
        list[1].End.ShouldBeNull();
    }

    [Theory]
    [InlineData("begin,end\n", 1, "header")]
    [InlineData("start,end\n2026-05-12T17:30:00,2026-05-12T19:00:00+02:00\n", 2, "RFC 3339")]
    [InlineData("start,end,severity\n2026-05-12T17:30:00Z,2026-05-12T19:00:00Z,critical\n", 2, "severity")]
    [InlineData("start,end\n\n2026-05-12T19:00:00Z,2026-05-12T17:00:00Z\n", 3, "before start")]
    public void Malformed_lines_say_where(string csv, int line, string message)
    {
        var e = Should.Throw<InputException>(() => OutageCsv.ParseOutages(csv, "x.csv"));
        e.Line.ShouldBe(line);
        e.Message.ShouldContain(message);
        e.Message.ShouldStartWith($"x.csv:{line}:");
    }
}
