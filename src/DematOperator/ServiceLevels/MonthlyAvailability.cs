using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>
/// An outage (incident) as reported: open ones have no end. <paramref name="CountsAsDowntime"/> is false for causes the
/// availability indicator leaves out (CCTP: "anomalies applicatives … ne sont pas concernés"): listed, and counted for the GTR.
/// </summary>
public sealed record Outage(Instant Start, Instant? End, Severity Severity, bool CountsAsDowntime = true);

public sealed record IncidentOutcome(Outage Outage, Instant Deadline, bool? WithinGtr);

public sealed record MonthlyReport(
    string Tier,
    YearMonth Month,
    double Objective,
    Duration ServiceTime,
    Duration MaintenanceTime,
    Duration Downtime,
    Duration UnknownTime,
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

    /// <summary>The month's error budget: (1 − objective) × the service time of the whole month.</summary>
    public Duration ErrorBudget => Duration.FromSeconds(MonthServiceTime.TotalSeconds * (1 - Objective));

    /// <summary>Service time of the whole month (equal to ServiceTime once the month has ended).</summary>
    public Duration MonthServiceTime { get; init; } = ServiceTime;

    /// <summary>Share of the month's budget not yet spent (negative when overspent; 1 when there is no budget).</summary>
    public double ErrorBudgetRemaining => ErrorBudget == Duration.Zero ? 1 : 1 - Downtime.TotalTicks / ErrorBudget.TotalTicks;
}

/// <summary>
/// The contract's monthly figures, exactly: service time = the month's service windows minus declared
/// maintenance; downtime = the part of blocking outages of the platform inside service time; availability =
/// 1 − downtime / service time (1 when the month has no service time). Incidents that start in the month
/// are judged against their GTR deadline.
/// </summary>
public static class MonthlyAvailability
{
    /// <param name="now">When set inside the month, figures are "so far": service time stops at now and open outages run until now.</param>
    /// <param name="unknown">Periods without data: their service time counts neither as up nor as down.</param>
    public static MonthlyReport Compute(ServiceCalendar calendar, YearMonth month, IEnumerable<Outage> outages,
        IEnumerable<TimeSpanInterval> maintenance, Instant? now = null, IEnumerable<TimeSpanInterval>? unknown = null)
    {
        var range = calendar.Month(month);
        var until = now is { } n0 && n0 < range.End ? Instant.Max(n0, range.Start) : range.End;
        var monthWindows = calendar.Windows(range.Start, range.End);
        var maintenanceSpans = Intervals.Normalize(maintenance);
        var monthService = Intervals.Subtract(monthWindows, Intervals.Intersect(monthWindows, maintenanceSpans));
        var windows = calendar.Windows(range.Start, until);
        var maintenanceInMonth = Intervals.Intersect(windows, maintenanceSpans);
        var service = Intervals.Subtract(windows, maintenanceInMonth);
        var unknownInService = Intervals.Intersect(service, Intervals.Normalize(unknown ?? []));
        var known = Intervals.Subtract(service, unknownInService);
        var all = outages.ToList();
        var blocking = all.Where(o => o.Severity == Severity.Blocking && o.CountsAsDowntime)
            .Select(o => new TimeSpanInterval(o.Start, o.End ?? until)).ToList();
        var downtime = Intervals.Total(Intervals.Intersect(known, Intervals.Normalize(blocking)));
        var serviceTime = Intervals.Total(service);
        var knownTime = Intervals.Total(known);
        var availability = knownTime == Duration.Zero ? 1.0 : 1.0 - downtime.TotalTicks / knownTime.TotalTicks;
        var incidents = all.Where(o => o.Start >= range.Start && o.Start < range.End).OrderBy(o => o.Start)
            .Select(o =>
            {
                var deadline = calendar.Deadline(o.Start, o.Severity);
                bool? within = o.End is { } e ? e <= deadline : (now is { } n && n > deadline ? false : null);
                return new IncidentOutcome(o, deadline, within);
            }).ToList();
        return new MonthlyReport(calendar.Tier.Name, month, calendar.Tier.Objective, serviceTime, Intervals.Total(maintenanceInMonth),
            downtime, Intervals.Total(unknownInService), availability, availability >= calendar.Tier.Objective, incidents)
        { MonthServiceTime = Intervals.Total(monthService) };
    }
}
