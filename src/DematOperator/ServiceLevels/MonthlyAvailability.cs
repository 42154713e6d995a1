using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>An outage (incident) as reported: open ones have no end.</summary>
public sealed record Outage(Instant Start, Instant? End, Severity Severity);

public sealed record IncidentOutcome(Outage Outage, Instant Deadline, bool? WithinGtr);

public sealed record MonthlyReport(
    string Tier,
    YearMonth Month,
    double Objective,
    Duration ServiceTime,
    Duration MaintenanceTime,
    Duration Downtime,
    double Availability,
    bool Met,
    IReadOnlyList<IncidentOutcome> Incidents)
{
    /// <summary>Share of the incidents resolved by their deadline, per severity (null when none was resolved this month).</summary>
    public double? WithinGtrRatio(Severity severity)
    {
        var resolved = Incidents.Where(i => i.Outage.Severity == severity && i.WithinGtr is not null).ToList();
        return resolved.Count == 0 ? null : resolved.Count(i => i.WithinGtr == true) / (double)resolved.Count;
    }

    public Duration ErrorBudget => Duration.FromSeconds(ServiceTime.TotalSeconds * (1 - Objective));
}

/// <summary>
/// The contract's monthly figures, exactly: service time = the month's service windows minus declared
/// maintenance; downtime = the part of blocking outages inside service time; availability =
/// 1 − downtime / service time (1 when the month has no service time). Incidents that start in the month
/// are judged against their GTR deadline.
/// </summary>
public static class MonthlyAvailability
{
    public static MonthlyReport Compute(ServiceCalendar calendar, YearMonth month, IEnumerable<Outage> outages,
        IEnumerable<TimeSpanInterval> maintenance, Instant? now = null)
    {
        var range = calendar.Month(month);
        var windows = calendar.Windows(range.Start, range.End);
        var maintenanceInMonth = Intervals.Intersect(windows, Intervals.Normalize(maintenance));
        var service = Intervals.Subtract(windows, maintenanceInMonth);
        var all = outages.ToList();
        var end = now ?? range.End;
        var blocking = all.Where(o => o.Severity == Severity.Blocking)
            .Select(o => new TimeSpanInterval(o.Start, o.End ?? Instant.Min(end, range.End))).ToList();
        var downtime = Intervals.Total(Intervals.Intersect(service, Intervals.Normalize(blocking)));
        var serviceTime = Intervals.Total(service);
        var availability = serviceTime == Duration.Zero ? 1.0 : 1.0 - downtime.TotalTicks / serviceTime.TotalTicks;
        var incidents = all.Where(o => o.Start >= range.Start && o.Start < range.End).OrderBy(o => o.Start)
            .Select(o =>
            {
                var deadline = calendar.Deadline(o.Start, o.Severity);
                bool? within = o.End is { } e ? e <= deadline : (now is { } n && n > deadline ? false : null);
                return new IncidentOutcome(o, deadline, within);
            }).ToList();
        return new MonthlyReport(calendar.Tier.Name, month, calendar.Tier.Objective, serviceTime, Intervals.Total(maintenanceInMonth),
            downtime, availability, availability >= calendar.Tier.Objective, incidents);
    }
}
