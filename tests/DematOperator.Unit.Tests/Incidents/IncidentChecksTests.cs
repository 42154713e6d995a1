using DematOperator.Incidents;
using DematOperator.Kube.Api;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Tests.Incidents;

/// <summary>Which Incident stands when two describe the same outage: pure, on hand-written timelines.</summary>
public sealed class IncidentChecksTests
{
    private static readonly DateTimeOffset Day = new(2026, 5, 4, 0, 0, 0, TimeSpan.FromHours(2));
    private static readonly Instant Now = Instant.FromDateTimeOffset(Day.AddHours(18));

    private static (ServiceLevel Sl, ServiceLevelSettings Settings) Or()
    {
        var sl = new ServiceLevel { Metadata = new ObjectMeta { Name = "platau", Namespace = "p" }, Spec = new ServiceLevelSpec { Tier = "OR", Environment = "production" } };
        ServiceLevelChecks.Resolve(sl.Spec, out var settings).Where(p => !p.Warning).ShouldBeEmpty();
        return (sl, settings!);
    }

    /// <param name="created">Hours after midnight when it was written (its creationTimestamp).</param>
    private static Incident Inc(string name, double created, double start, double? resolved, string severity = "Blocking") => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "p", Uid = name, CreationTimestamp = Day.AddHours(created) },
        Spec = new IncidentSpec
        {
            ServiceLevelRef = new LocalRef { Name = "platau" }, Severity = severity, StartTime = Day.AddHours(start),
            ResolvedTime = resolved is { } r ? Day.AddHours(r) : null,
        },
    };

    /// <summary>The names refused, each with the one it overlaps, for every Incident of the timeline.</summary>
    private static Dictionary<string, string?> Verdicts(params Incident[] all)
    {
        var (sl, settings) = Or();
        return all.ToDictionary(i => i.Name, i => IncidentChecks.Validate(i, sl, settings, all, Now) is { } p ? $"{p.Reason}: {p.Message.Split(" (")[0].Split(" is ")[0]}" : null);
    }

    [Fact]
    public void A_refused_duplicate_never_refuses_a_later_outage()
    {
        // 10:00-11:00 declared from a ticket; an open duplicate from 10:30 written at 12:00 (refused); a real outage
        // 14:00-15:00 written at 16:00. The duplicate, open, reaches to now and so overlaps the outage: it must not count.
        var verdicts = Verdicts(Inc("declared", 11, 10, 11), Inc("duplicate", 12, 10.5, null), Inc("outage", 16, 14, 15));
        verdicts["declared"].ShouldBeNull();
        verdicts["duplicate"].ShouldBe("Overlapping: overlaps Incident declared");
        verdicts["outage"].ShouldBeNull("a refused Incident never changes whether another counts");
    }

    [Fact]
    public void The_first_written_stands_and_a_chain_of_overlaps_is_judged_against_the_standing_ones_only()
    {
        // a stands; b overlaps a (refused); c overlaps b only, so c stands; d overlaps c (refused).
        var verdicts = Verdicts(Inc("a", 20, 1, 3), Inc("b", 21, 2, 5), Inc("c", 22, 4, 7), Inc("d", 23, 6, 8));
        verdicts.ShouldBe(new Dictionary<string, string?>
        {
            ["a"] = null, ["b"] = "Overlapping: overlaps Incident a", ["c"] = null, ["d"] = "Overlapping: overlaps Incident c",
        });
    }

    [Fact]
    public void Other_severities_and_invalid_incidents_never_refuse()
    {
        var verdicts = Verdicts(Inc("blocking", 20, 1, 3), Inc("minor", 21, 2, 5, "Minor"), Inc("backwards", 19, 4, 2), Inc("later", 22, 3.5, 4));
        verdicts["minor"].ShouldBeNull("another severity is another incident");
        verdicts["backwards"].ShouldBe("ResolvedBeforeStart: resolvedTime 2026-05-04T02:00:00+02:00");
        verdicts["later"].ShouldBeNull("an invalid Incident refuses nothing");
    }

    [Fact]
    public void Same_creation_time_is_ordered_by_name_ordinally()
    {
        var verdicts = Verdicts(Inc("inc-b", 20, 1, 3), Inc("inc-a", 20, 2, 4), Inc("inca", 20, 2.5, 3.5));
        verdicts["inc-a"].ShouldBeNull();
        verdicts["inc-b"].ShouldBe("Overlapping: overlaps Incident inc-a");
        verdicts["inca"].ShouldBe("Overlapping: overlaps Incident inc-a");
    }

    [Fact]
    public void Another_service_level_s_incident_never_refuses()
    {
        var other = Inc("other", 20, 1, 3);
        other.Spec.ServiceLevelRef = new LocalRef { Name = "another" };
        Verdicts(other, Inc("mine", 21, 2, 4))["mine"].ShouldBeNull();
    }

    [Fact]
    public void Standing_is_decided_by_creation_time_before_the_name()
    {
        // b written at 20:00, a at 21:00, both before x: b stands and refuses a; x overlaps a only, so x stands.
        var verdicts = Verdicts(Inc("b", 20, 1, 3), Inc("a", 21, 2, 5), Inc("x", 22, 4, 6));
        verdicts.ShouldBe(new Dictionary<string, string?> { ["b"] = null, ["a"] = "Overlapping: overlaps Incident b", ["x"] = null });
    }

    [Fact]
    public void Incidents_that_only_touch_do_not_overlap()
    {
        Verdicts(Inc("a", 20, 1, 3), Inc("b", 21, 3, 5))["b"].ShouldBeNull("b starts when a ends");
        Verdicts(Inc("a", 20, 3, 5), Inc("b", 21, 1, 3))["b"].ShouldBeNull("b ends when a starts");
        Verdicts(Inc("a", 20, 3, null), Inc("b", 21, 1, 3.01))["b"].ShouldBe("Overlapping: overlaps Incident a", "an open incident reaches to now");
    }

    [Fact]
    public void The_refusal_names_the_standing_incident_its_severity_and_start()
    {
        var (sl, settings) = Or();
        var all = new[] { Inc("declared", 11, 10, 11), Inc("duplicate", 12, 10.5, null) };
        IncidentChecks.Validate(all[1], sl, settings, all, Now).ShouldBe(new IncidentProblem("Overlapping",
            "overlaps Incident declared (Blocking, from 2026-05-04T10:00:00+02:00) of the same ServiceLevel: edit that one instead"));
        IncidentChecks.Validate(all[1], null, null, all, Now).ShouldBe(new IncidentProblem("UnknownServiceLevel", "ServiceLevel p/platau does not exist"));
        IncidentChecks.Validate(all[1], sl, null, all, Now)
            .ShouldBe(new IncidentProblem("ServiceLevelInvalid", "ServiceLevel p/platau is invalid: its figures cannot take this incident"));
    }

    private static string Problems(IncidentSpec spec) => string.Join(" | ", IncidentChecks.Check(spec, Now).Select(p => $"{p.Field} {p.Reason}: {p.Message}"));

    private static IncidentSpec Spec(double start, double? resolved = null, double? acknowledged = null, string severity = "Blocking", string? cause = null) => new()
    {
        ServiceLevelRef = new LocalRef { Name = "platau" }, Severity = severity, Cause = cause, StartTime = Day.AddHours(start),
        ResolvedTime = resolved is { } r ? Day.AddHours(r) : null, AcknowledgedTime = acknowledged is { } a ? Day.AddHours(a) : null,
    };

    [Fact]
    public void The_checks_without_a_cluster_name_the_field_and_what_is_wrong()
    {
        Problems(Spec(10, 11, 10.5)).ShouldBe("");
        Problems(Spec(10, 10, 10)).ShouldBe("", "resolved and acknowledged at the start are allowed");
        foreach (var ok in new[] { "Blocking", "Major", "Minor" }) Problems(Spec(10, severity: ok)).ShouldBe("");
        foreach (var ok in new[] { "Platform", "Application", "External" }) Problems(Spec(10, cause: ok)).ShouldBe("");
        Problems(Spec(10, severity: "Critical")).ShouldBe("spec.severity InvalidSeverity: severity \"Critical\" is not Blocking, Major or Minor");
        Problems(Spec(10, cause: "Weather")).ShouldBe("spec.cause InvalidCause: cause \"Weather\" is not Platform, Application or External");
        Problems(Spec(10, resolved: 9)).ShouldBe("spec.resolvedTime ResolvedBeforeStart: resolvedTime 2026-05-04T09:00:00+02:00 is before startTime 2026-05-04T10:00:00+02:00");
        Problems(Spec(10, acknowledged: 9.5))
            .ShouldBe("spec.acknowledgedTime AcknowledgedBeforeStart: acknowledgedTime 2026-05-04T09:30:00+02:00 is before startTime 2026-05-04T10:00:00+02:00");
        // Now is 18:00: five minutes ahead is a clock's drift, more is a typo.
        var drift = Spec(0);
        drift.StartTime = Day.AddHours(18).AddMinutes(5);
        Problems(drift).ShouldBe("");
        drift.StartTime = Day.AddHours(18).AddMinutes(5).AddSeconds(1);
        Problems(drift).ShouldBe("spec.startTime StartInFuture: startTime 2026-05-04T18:05:01+02:00 is in the future");
        Problems(Spec(19, resolved: 18, severity: "Critical", cause: "Weather")).Split(" | ").Select(p => p.Split(' ')[0])
            .ShouldBe(["spec.severity", "spec.cause", "spec.resolvedTime", "spec.startTime"], "every problem, in the order of the spec");
    }

    /// <summary>
    /// OR: service hours 06:00-20:00 Monday to Saturday, blocking GTR 2 h of service time. Started Monday 4 May 19:00: one
    /// hour that evening, one hour from 06:00 on Tuesday, so the deadline is Tuesday 07:00.
    /// </summary>
    [Theory]
    [InlineData(24 + 7.0, true)]
    [InlineData(24 + 7.001, false)]
    [InlineData(null, null)]
    public void An_incident_in_the_ledger_has_its_deadline_in_service_time(double? resolved, bool? withinGtr)
    {
        var (_, settings) = Or();
        var incident = Inc("portal-down", 20, 19, resolved);
        incident.Spec.Summary = "portal unreachable";
        var ledger = IncidentChecks.ToLedger(incident, settings.Calendar);
        ledger.Id.ShouldBe("incident/portal-down");
        ledger.Severity.ShouldBe("blocking");
        (ledger.Start, ledger.End).ShouldBe((Day.AddHours(19), resolved is { } r ? Day.AddHours(r) : (DateTimeOffset?)null));
        ledger.Deadline.ShouldBe(Day.AddHours(24 + 7));
        ledger.WithinGtr.ShouldBe(withinGtr);
        (ledger.Message, ledger.Incident, ledger.Cause, ledger.Qualification, ledger.Ticket).ShouldBe(("portal unreachable", "portal-down", "Platform", "Operator", null));
        (ledger.AcknowledgedTime, ledger.GtiSeconds).ShouldBe((null, null));
    }

    [Fact]
    public void A_probe_incident_keeps_its_ledger_id_and_a_person_s_values_are_kept()
    {
        var (_, settings) = Or();
        var incident = Inc("inc-0001", 20, 19, null, "Major");
        incident.Metadata.Labels = new() { [IncidentValues.IncidentIdLabel] = "probe-1" };
        (incident.Spec.Cause, incident.Spec.Qualification, incident.Spec.Ticket) = ("External", "Administration", "INC-42");
        incident.Spec.AcknowledgedTime = Day.AddHours(24 + 6).AddMinutes(10);
        var ledger = IncidentChecks.ToLedger(incident, settings.Calendar);
        (ledger.Id, ledger.Severity, ledger.Cause, ledger.Qualification, ledger.Ticket).ShouldBe(("probe-1", "major", "External", "Administration", "INC-42"));
        ledger.AcknowledgedTime.ShouldBe(Day.AddHours(24 + 6).AddMinutes(10));
        ledger.GtiSeconds.ShouldBe(3600 + 600, "19:00-20:00 on Monday and 06:00-06:10 on Tuesday");
    }
}
