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
}
