using DematOperator.ServiceLevels;
using NodaTime;
using static DematOperator.Tests.ParisTime;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>
/// Every figure of one month's status, computed by hand: what `kubectl get sl -o yaml` and the report show. ARGENT (08:00-18:00,
/// Monday to Friday, FR holidays excluded), May 2026 read on Tuesday 12 May at 12:00 Paris.
/// </summary>
public sealed class MonthFiguresTests
{

    private static ServiceLevelSettings Argent()
    {
        var spec = new ServiceLevelSpec
        {
            Tier = "ARGENT", Environment = "production",
            MaintenanceWindows =
            [
                new MaintenanceWindowSpec { Start = "2026-05-11T10:00:00+02:00", End = "2026-05-11T11:00:00+02:00", Description = "upgrade", ApprovalRef = "ADM-1", Impact = "Outage" },
                new MaintenanceWindowSpec { Start = "2026-04-20T10:00:00+02:00", End = "2026-04-20T11:00:00+02:00", Description = "april", ApprovalRef = "ADM-0", Impact = "Outage" },
            ],
        };
        ServiceLevelChecks.Resolve(spec, out var settings).Where(p => !p.Warning).ShouldBeEmpty();
        return settings!;
    }

    private static IncidentStatus Incident(string id, string severity, string start, string? end, string? cause = null, long? gti = null) =>
        new() { Id = id, Severity = severity, Start = Time(start), End = end is null ? null : Time(end), Cause = cause, GtiSeconds = gti };

    /// <summary>
    /// Service time so far: 4-7 and 11 May (10 h each; 1 and 8 May are holidays) and 08:00-12:00 on the 12th = 54 h, less the
    /// approved maintenance (11 May 10:00-11:00) and a planned interruption (a drill, 7 May 10:00-11:00): 52 h. Unknown: 4 May
    /// 08:00-09:00. Down: a Platform outage 4 May 09:00-09:30 (the Application one on the 5th is listed, not counted; the
    /// April one ended at 08:00 on the 4th, before service began). The whole month's service time is 170 h - 2 h = 168 h, so its
    /// budget is 0.5 % of it, 50 min 24 s.
    /// </summary>
    [Fact]
    public void A_month_so_far_every_figure()
    {
        IncidentStatus[] incidents =
        [
            Incident("april", "blocking", "2026-04-30T17:00:00", "2026-05-04T08:00:00"),
            Incident("portal", "blocking", "2026-05-04T09:00:00", "2026-05-04T09:30:00", gti: 600),
            Incident("app-bug", "blocking", "2026-05-05T09:00:00", "2026-05-05T10:00:00", cause: "Application"),
            Incident("slow", "major", "2026-05-06T09:00:00", "2026-05-07T09:00:00"),
            Incident("typo", "minor", "2026-05-11T10:00:00", null),
        ];
        var f = ServiceLevelLedger.Figures(Argent(), new YearMonth(2026, 5), incidents, [new TimeSpanInterval(At("2026-05-04T08:00:00"), At("2026-05-04T09:00:00"))],
            At("2026-05-12T12:00:00"), [new TimeSpanInterval(At("2026-05-07T10:00:00"), At("2026-05-07T11:00:00"))]);

        (f.Month, f.Objective).ShouldBe(("2026-05", 0.995));
        (f.ServiceSeconds, f.UnknownSeconds, f.DowntimeSeconds, f.MaintenanceSeconds, f.PlannedSeconds).ShouldBe((52 * 3600L, 3600L, 1800L, 7200L, 3600L));
        f.Availability!.Value.ShouldBe(1 - 1800.0 / (51 * 3600), 1e-12);
        (f.AvailabilityPercent, f.CoveragePercent).ShouldBe(("99.020%", "98.077%"));
        f.Coverage!.Value.ShouldBe(51 / 52.0, 1e-12);
        f.AvailabilityLow!.Value.ShouldBe(1 - (1800.0 + 3600) / (52 * 3600), 1e-12);
        f.AvailabilityHigh!.Value.ShouldBe(1 - 1800.0 / (52 * 3600), 1e-12);
        f.AvailabilityWithoutExclusions!.Value.ShouldBe(1 - 1800.0 / (53 * 3600), 1e-12, "54 h of service, 1 h unknown, nothing excluded");
        f.InsufficientData.ShouldBeNull();
        f.ErrorBudgetRemaining!.Value.ShouldBe(1 - 1800 / 3024.0, 1e-12);
        f.ErrorBudgetRemainingPercent.ShouldBe("40.476%");
        (f.Met, f.Verdict).ShouldBe((true, "atteint"), "so far: 30 min spent of the month's 50 min 24 s");

        f.Incidents.ShouldBe(4, "those that started in May");
        f.BySeverity!.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value.Count}/{p.Value.Resolved}/{p.Value.WithinGtr}/{p.Value.Open}")
            .ShouldBe(["blocking 2/2/2/0", "major 1/1/0/0", "minor 1/0/0/1"]);
        f.IncidentList!.Select(i => $"{i.Id} {i.Severity} {PersonTimeOf(i.Deadline)} {i.WithinGtr}").ShouldBe(
        [
            "portal blocking 2026-05-04T13:00:00+02:00 True",
            "app-bug blocking 2026-05-05T13:00:00+02:00 True",
            "slow major 2026-05-06T17:00:00+02:00 False",
            // Minor: 5 service days of 10 h from 11 May 10:00; Ascension (14 May) is not one.
            "typo minor 2026-05-19T10:00:00+02:00 ",
        ]);
        f.MaintenanceWindows!.Select(w => $"{w.Description} {w.ApprovalRef} {w.Impact} {w.Excluded} {PersonTimeOf(w.Start)}").ShouldBe(["upgrade ADM-1 Outage True 2026-05-11T10:00:00+02:00"]);
        f.Indicators!.Select(i => $"{i.Name} {i.Value:0.######} {i.Objective} {i.Met} {i.Meaning}").ShouldBe(
        [
            "IND_DISP02 0.990196 0.995 False disponibilité du socle technique",
            "IND_INC02 1 0.9 True 2 / 2 incident(s) critique(s) résolu(s) dans la GTR",
            "IND_SUP01 0   incidents critiques ouverts",
            "IND_SUP02 0   incidents majeurs ouverts",
            "IND_SUP03 1   incidents mineurs ouverts",
            "GTI_BLOCKING 600   GTI moyenne mesurée sur 1 incident(s) critique(s), en secondes de service",
            "GTI_MAJOR    sans objet : aucune prise en compte datée",
            "GTI_MINOR    sans objet : aucune prise en compte datée",
        ]);
    }

    /// <summary>The same month once ended (read on 1 June): the verdict is the availability against the objective, no longer the budget so far.</summary>
    [Fact]
    public void An_ended_month_is_judged_on_its_availability()
    {
        var down = Incident("long", "blocking", "2026-05-12T10:00:00", "2026-05-12T10:52:00");
        var ended = ServiceLevelLedger.Figures(Argent(), new YearMonth(2026, 5), [down], [], At("2026-06-01T00:00:00"));
        (ended.ServiceSeconds, ended.DowntimeSeconds, ended.PlannedSeconds, ended.Met, ended.Verdict).ShouldBe((169 * 3600L, 52 * 60L, null, false, "non atteint"));
        ended.BySeverity!["blocking"].Open.ShouldBe(0);
        var open = ServiceLevelLedger.Figures(Argent(), new YearMonth(2026, 5), [Incident("open", "blocking", "2026-05-29T17:00:00", null)], [], At("2026-06-03T00:00:00"));
        (open.BySeverity!["blocking"].Resolved, open.BySeverity["blocking"].Open).ShouldBe((0, 1), "still open at the end of the month");
        var closedAtEnd = ServiceLevelLedger.Figures(Argent(), new YearMonth(2026, 5), [Incident("x", "blocking", "2026-05-29T17:00:00", "2026-06-01T00:00:00")], [],
            At("2026-06-03T00:00:00"));
        (closedAtEnd.BySeverity!["blocking"].Resolved, closedAtEnd.BySeverity["blocking"].Open).ShouldBe((1, 0), "closed exactly at the month's end");
        ServiceLevelLedger.Figures(Argent(), new YearMonth(2026, 5), [], [], At("2026-06-01T00:00:00")).BySeverity.ShouldBeNull();
        ServiceLevelLedger.Figures(Argent(), new YearMonth(2026, 5), [], [], At("2026-06-01T00:00:00")).IncidentList.ShouldBeNull();
    }

    [Fact]
    public void Severities_and_causes_as_the_ledger_writes_them()
    {
        ServiceLevelLedger.ToOutage(Incident("a", "major", "2026-05-04T09:00:00", null)).ShouldBe(new Outage(At("2026-05-04T09:00:00"), null, Severity.Major, true));
        ServiceLevelLedger.ToOutage(Incident("a", "unknown", "2026-05-04T09:00:00", null)).Severity.ShouldBe(Severity.Blocking, "unreadable: the worst");
        ServiceLevelLedger.ToOutage(Incident("a", "minor", "2026-05-04T09:00:00", null, cause: "Platform")).CountsAsDowntime.ShouldBeTrue();
        ServiceLevelLedger.ToOutage(Incident("a", "minor", "2026-05-04T09:00:00", null, cause: "External")).CountsAsDowntime.ShouldBeFalse();
        new[] { "blocking", "major", "minor", "Blocking" }.Select(ServiceLevelLedger.ParseSeverity).ShouldBe([Severity.Blocking, Severity.Major, Severity.Minor, null]);
        ServiceLevelLedger.SeverityName(Severity.Major).ShouldBe("major");
    }

    [Fact]
    public void In_service_is_the_service_window_at_this_instant()
    {
        var calendar = Argent().Calendar;
        ServiceLevelLedger.InService(calendar, At("2026-05-12T08:00:00")).ShouldBeTrue();
        ServiceLevelLedger.InService(calendar, At("2026-05-12T07:59:59")).ShouldBeFalse();
        ServiceLevelLedger.InService(calendar, At("2026-05-12T18:00:00")).ShouldBeFalse();
        ServiceLevelLedger.InService(calendar, At("2026-05-14T10:00:00")).ShouldBeFalse("Ascension");
    }

    private static string PersonTimeOf(DateTimeOffset t) => DematOperator.Api.PersonTime.Format(t);
}
