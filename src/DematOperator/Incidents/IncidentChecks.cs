using DematOperator.Api;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Incidents;

public sealed record IncidentProblem(string Reason, string Message);

/// <summary>
/// When an Incident is bad input: it then gets Ready=False and an Event, and never changes the figures. The same rules
/// decide in the Incident's controller (its status) and the ServiceLevel's (what it counts).
/// </summary>
public static class IncidentChecks
{
    /// <summary>A start later than this after now is a typo, not a planned incident.</summary>
    public static readonly Duration FutureTolerance = Duration.FromMinutes(5);

    public static IncidentProblem? Validate(Incident incident, ServiceLevel? serviceLevel, ServiceLevelSettings? settings, IEnumerable<Incident> others, Instant now)
    {
        if (Basic(incident, now) is { } basic) return basic;
        var name = incident.Spec.ServiceLevelRef.Name;
        if (serviceLevel is null) return new("UnknownServiceLevel", $"ServiceLevel {incident.Namespace}/{name} does not exist");
        if (settings is null) return new("ServiceLevelInvalid", $"ServiceLevel {incident.Namespace}/{name} is invalid: its figures cannot take this incident");
        // Two Incidents of one ServiceLevel and severity over the same time are one outage written twice: the first
        // written stands, the later one is refused (edit the first instead). Only Incidents that stand can refuse
        // another: a refused duplicate (open, so reaching to now) must never shadow a later, real outage.
        var standing = new List<Incident>();
        foreach (var o in others
                     .Where(o => o.Metadata.Uid != incident.Metadata.Uid && o.Spec.ServiceLevelRef.Name == name)
                     .Where(o => o.Spec.Severity == incident.Spec.Severity && Basic(o, now) is null)
                     .Where(o => Before(o, incident))
                     .OrderBy(o => o.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue).ThenBy(o => o.Name, StringComparer.Ordinal))
            if (!standing.Any(s => Overlap(s, o, now))) standing.Add(o);
        var earlier = standing.FirstOrDefault(o => Overlap(o, incident, now));
        return earlier is null ? null
            : new("Overlapping", $"overlaps Incident {earlier.Name} ({earlier.Spec.Severity}, from {PersonTime.Format(earlier.Spec.StartTime)}) of the same ServiceLevel: edit that one instead");
    }

    private static IncidentProblem? Basic(Incident i, Instant now) => Check(i.Spec, now).FirstOrDefault() is { } p ? new(p.Reason, p.Message) : null;

    /// <summary>What can be told of an Incident without a cluster: the same rules for the operator and for `validate`.</summary>
    public static IEnumerable<SpecProblem> Check(IncidentSpec spec, Instant now)
    {
        if (spec.Severity is not (IncidentValues.Blocking or IncidentValues.Major or IncidentValues.Minor))
            yield return new("spec.severity", "InvalidSeverity", $"severity \"{spec.Severity}\" is not Blocking, Major or Minor");
        if (spec.Cause is not (null or IncidentValues.Platform or IncidentValues.Application or IncidentValues.External))
            yield return new("spec.cause", "InvalidCause", $"cause \"{spec.Cause}\" is not Platform, Application or External");
        if (spec.ResolvedTime is { } resolved && resolved < spec.StartTime)
            yield return new("spec.resolvedTime", "ResolvedBeforeStart", $"resolvedTime {PersonTime.Format(resolved)} is before startTime {PersonTime.Format(spec.StartTime)}");
        if (spec.AcknowledgedTime is { } ack && ack < spec.StartTime)
            yield return new("spec.acknowledgedTime", "AcknowledgedBeforeStart", $"acknowledgedTime {PersonTime.Format(ack)} is before startTime {PersonTime.Format(spec.StartTime)}");
        if (Instant.FromDateTimeOffset(spec.StartTime) > now + FutureTolerance)
            yield return new("spec.startTime", "StartInFuture", $"startTime {PersonTime.Format(spec.StartTime)} is in the future");
    }

    /// <summary>Written first: by creation time, then by name (ordinal, as the standing ones are ordered).</summary>
    private static bool Before(Incident a, Incident b)
    {
        var byTime = (a.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue).CompareTo(b.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue);
        return byTime < 0 || (byTime == 0 && string.CompareOrdinal(a.Name, b.Name) < 0);
    }

    private static bool Overlap(Incident a, Incident b, Instant now)
    {
        var (aStart, aEnd) = (Instant.FromDateTimeOffset(a.Spec.StartTime), a.Spec.ResolvedTime is { } ae ? Instant.FromDateTimeOffset(ae) : now);
        var (bStart, bEnd) = (Instant.FromDateTimeOffset(b.Spec.StartTime), b.Spec.ResolvedTime is { } be ? Instant.FromDateTimeOffset(be) : now);
        return aStart < bEnd && bStart < aEnd;
    }

    /// <summary>A valid Incident as the ledger counts it; probe incidents keep their ledger id, so the Incident replaces them.</summary>
    public static IncidentStatus ToLedger(Incident i, ServiceCalendar calendar)
    {
        var severity = Enum.Parse<Severity>(i.Spec.Severity);
        var start = Instant.FromDateTimeOffset(i.Spec.StartTime);
        var deadline = calendar.Deadline(start, severity);
        return new IncidentStatus
        {
            Id = i.Metadata.Labels?.GetValueOrDefault(IncidentValues.IncidentIdLabel) ?? $"incident/{i.Name}",
            Severity = ServiceLevelLedger.SeverityName(severity),
            Start = i.Spec.StartTime,
            End = i.Spec.ResolvedTime,
            Deadline = deadline.ToDateTimeOffset(),
            WithinGtr = i.Spec.ResolvedTime is { } end ? Instant.FromDateTimeOffset(end) <= deadline : null,
            Message = i.Spec.Summary,
            Incident = i.Name,
            Cause = i.Spec.Cause ?? IncidentValues.Platform,
            Ticket = i.Spec.Ticket,
            Qualification = i.Spec.Qualification ?? IncidentValues.Operator,
            AcknowledgedTime = i.Spec.AcknowledgedTime,
            GtiSeconds = i.Spec.AcknowledgedTime is { } ack
                ? (long)Intervals.Total(calendar.Windows(start, Instant.Max(start, Instant.FromDateTimeOffset(ack)))).TotalSeconds
                : null,
        };
    }
}
