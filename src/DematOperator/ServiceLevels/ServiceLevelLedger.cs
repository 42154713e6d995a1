using System.Globalization;
using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>The result of one probe attempt.</summary>
public sealed record ProbeOutcome(string Name, bool Success, string Message, TimeSpan Duration);

/// <summary>
/// The Incidents declared on the API for a ServiceLevel (valid ones only), and what they make of the probes' own record:
/// a declared Incident replaces the probe incident it records (same id), and a probe incident whose Incident a person
/// deleted no longer counts.
/// </summary>
public sealed record DeclaredIncidents(IReadOnlyList<IncidentStatus> Declared, IReadOnlySet<string> DeletedProbeIds)
{
    public static readonly DeclaredIncidents None = new([], new HashSet<string>());

    public IReadOnlyList<IncidentStatus> Effective(IEnumerable<IncidentStatus> probes)
    {
        var declaredIds = Declared.Select(d => d.Id).ToHashSet();
        return [.. Declared, .. probes.Where(p => !declaredIds.Contains(p.Id) && !DeletedProbeIds.Contains(p.Id) && p.Withdrawn != true)];
    }
}

/// <summary>What one round changed, for Events, logs and metrics.</summary>
public sealed record LedgerChanges(
    IReadOnlyList<IncidentStatus> Opened,
    IReadOnlyList<IncidentStatus> Closed,
    IReadOnlyList<MonthFigures> ClosedMonths,
    IReadOnlyList<TimeSpanInterval> NewUnknown)
{
    /// <summary>Closed months computed again because an Incident of theirs was declared, corrected or deleted.</summary>
    public IReadOnlyList<MonthFigures> RevisedMonths { get; init; } = [];
    /// <summary>Probe incidents whose Incident a person deleted this round: no longer counted.</summary>
    public IReadOnlyList<IncidentStatus> Withdrawn { get; init; } = [];
}

/// <summary>
/// The bookkeeping of a ServiceLevel, without I/O: probe streaks against the failure threshold, incidents
/// opened, re-graded and closed from them, periods without data, month rollover into a 13-month history,
/// and the figures of the month so far. The status is its memory, so a restarted operator carries on from
/// the last checkpoint; a gap of more than two intervals since then is unknown time, never up or down.
/// </summary>
public static class ServiceLevelLedger
{
    public const int HistoryMonths = 13;
    /// <summary>Closed incidents kept in status beyond those of the current month.</summary>
    public const int RecentClosedIncidents = 10;

    /// <param name="observedUntil">Until when this process is known to have measured (its previous round), if later than the checkpoint.</param>
    /// <param name="planned">Interruptions planned right now (a PRA drill stopping this environment): recorded as planned time, no incident opens.</param>
    /// <param name="declared">The Incident resources of this ServiceLevel: the figures count them, with the probes' incidents they do not replace.</param>
    public static LedgerChanges Advance(ServiceLevelStatus status, ServiceLevelSettings settings, Instant created, Instant now, IReadOnlyList<ProbeOutcome>? outcomes,
        Instant? observedUntil = null, IReadOnlyList<PlannedInterruption>? planned = null, DeclaredIncidents? declared = null)
    {
        declared ??= DeclaredIncidents.None;
        var calendar = settings.Calendar;
        var zone = calendar.Zone;
        var incidents = status.Incidents ??= [];
        RecordPlanned(status, planned ?? [], calendar, now);
        var newUnknown = new List<TimeSpanInterval>();
        var unknown = (status.CurrentMonth?.UnknownPeriods ?? []).Select(p => new TimeSpanInterval(Instant.FromDateTimeOffset(p.Start), Instant.FromDateTimeOffset(p.End))).ToList();
        var thisMonth = YearMonthOf(now, zone);
        var since = status.CheckpointTime is { } cp ? Instant.FromDateTimeOffset(cp) : (Instant?)null;
        if (observedUntil is { } seen && (since is null || seen > since)) since = seen;
        // No data since the last checkpoint (operator down, no leader), or since the month began for a new resource.
        var gapStart = since ?? calendar.Month(YearMonthOf(created, zone)).Start;
        if (now - gapStart > settings.Interval * 2 || since is null)
        {
            var gap = new TimeSpanInterval(gapStart, now);
            if (Intervals.Total(Intervals.Intersect(calendar.Windows(gap.Start, gap.End), [gap])) > Duration.Zero)
            {
                newUnknown.Add(gap);
                unknown.Add(gap);
                // Incidents open across the gap stay open: their end is the first observation of recovery, so a
                // GTR is never judged met on time the operator did not see; the gap's time is unknown, not downtime.
            }
        }

        var closedMonths = new List<MonthFigures>();
        var month = status.CurrentMonth?.Month is { } m && TryMonth(m) is { } parsed ? parsed : thisMonth;
        for (var guard = 0; month < thisMonth && guard < 240; guard++, month = month.PlusMonths(1))
        {
            var figures = Figures(settings, month, declared.Effective(incidents), unknown, now, PlannedOf(status));
            figures.UnknownPeriods = Periods(unknown, calendar.Month(month));
            closedMonths.Add(figures);
            status.History = [figures, .. (status.History ?? []).Where(h => h.Month != figures.Month)];
            if (status.History.Count > HistoryMonths) status.History.RemoveRange(HistoryMonths, status.History.Count - HistoryMonths);
        }

        var opened = new List<IncidentStatus>();
        var closed = new List<IncidentStatus>();
        if (outcomes is not null && planned is { Count: > 0 })
        {
            // The environment is stopped on purpose: failures are expected and counted from scratch once it is back,
            // so an incident is never dated inside the planned time.
            status.Probes = Track(status.Probes ?? [], settings, outcomes, now);
            foreach (var p in status.Probes) (p.ConsecutiveFailures, p.FailingSince) = (0, null);
            status.State = "Planned";
        }
        else if (outcomes is not null)
        {
            status.Probes = Track(status.Probes ?? [], settings, outcomes, now);
            var down = status.Probes.Where(p => p.Up == false).ToList();
            var critical = settings.Probes.Where(p => p.Critical != false).Select(p => p.Name).ToHashSet();
            var blockingDown = down.Where(p => critical.Contains(p.Name)).ToList();
            var wanted = blockingDown.Count > 0 ? Severity.Blocking : down.Count > 0 ? Severity.Major : (Severity?)null;
            var current = incidents.FirstOrDefault(i => i.End is null);
            var currentSeverity = current is null ? (Severity?)null : ParseSeverity(current.Severity);
            if (currentSeverity != wanted)
            {
                var cause = wanted == Severity.Blocking ? blockingDown : down;
                // The outage began with the first failure of the streak, not when the threshold was reached. An
                // escalation to blocking is dated the same way (never before the incident it replaces); any other
                // change of grade starts now.
                var start = wanted is null ? now : current is null || wanted == Severity.Blocking
                    ? Instant.Max(Instant.FromDateTimeOffset(cause.Min(p => p.FailingSince!.Value)), current is null ? Instant.MinValue : Instant.FromDateTimeOffset(current.Start))
                    : now;
                // To the second, as people read and tickets carry times (the GTR deadline then has no microseconds);
                // floored, so the outage never starts later than the probes saw it.
                start = Instant.FromUnixTimeSeconds(start.ToUnixTimeSeconds());
                if (current is not null)
                {
                    current.End = start.ToDateTimeOffset();
                    current.WithinGtr = current.End <= current.Deadline;
                    closed.Add(current);
                }
                if (wanted is { } severity)
                {
                    var incident = new IncidentStatus
                    {
                        Id = $"{start.InZone(zone):yyyyMMdd'T'HHmmss}-{SeverityName(severity)}",
                        Severity = SeverityName(severity),
                        Start = start.ToDateTimeOffset(),
                        Deadline = calendar.Deadline(start, severity).ToDateTimeOffset(),
                        Probes = cause.Select(p => p.Name).ToList(),
                        Message = string.Join("; ", cause.Select(p => $"{p.Name}: {p.Message}")),
                    };
                    incidents.Insert(0, incident);
                    opened.Add(incident);
                }
            }
            status.State = !InService(calendar, now)
                ? "OutsideServiceHours"
                : wanted switch { Severity.Blocking => "Down", Severity.Major => "Degraded", _ => settings.Probes.Count == 0 ? "Unknown" : "Up" };
        }

        var withdrawn = incidents.Where(i => i.Withdrawn != true && declared.DeletedProbeIds.Contains(i.Id)).ToList();
        foreach (var w in withdrawn) w.Withdrawn = true;
        var effective = declared.Effective(incidents);
        var open = effective.Where(i => i.End is null).ToList();
        status.OpenIncidents = open.Count;
        status.WorstOpenSeverity = open.Select(i => ParseSeverity(i.Severity) ?? Severity.Blocking).Order().Select(SeverityName).FirstOrDefault();
        // STATE never hides an open blocking incident of the platform, in service hours or not.
        if (open.Any(i => ToOutage(i) is { Severity: Severity.Blocking, CountsAsDowntime: true })) status.State = "Down";
        status.CurrentMonth = Figures(settings, thisMonth, effective, unknown, now, PlannedOf(status));
        status.CurrentMonth.UnknownPeriods = Periods(unknown, calendar.Month(thisMonth));
        var revised = Revise(status, settings, declared, effective, now);
        status.Incidents = Prune(incidents, calendar.Month(thisMonth).Start);
        status.CheckpointTime = now.ToDateTimeOffset();
        return new LedgerChanges(opened, closed, closedMonths, newUnknown) { RevisedMonths = revised, Withdrawn = withdrawn };
    }

    private static List<PeriodStatus> Periods(IEnumerable<TimeSpanInterval> spans, TimeSpanInterval month) =>
        Intervals.Normalize(spans.Select(u => Clip(u, month)).Where(u => !u.IsEmpty))
            .Select(u => new PeriodStatus { Start = u.Start.ToDateTimeOffset(), End = u.End.ToDateTimeOffset() }).ToList();

    /// <summary>
    /// A closed month that a declared Incident touches is computed again (an Incident corrected from a ticket after the month
    /// ended still moves that month's figures), from the unknown periods kept with it. Returns the months whose figures changed.
    /// </summary>
    private static List<MonthFigures> Revise(ServiceLevelStatus status, ServiceLevelSettings settings, DeclaredIncidents declared, IReadOnlyList<IncidentStatus> effective, Instant now)
    {
        var revised = new List<MonthFigures>();
        if (status.History is not { Count: > 0 } history) return revised;
        for (var k = 0; k < history.Count; k++)
        {
            if (TryMonth(history[k].Month) is not { } month || history[k].UnknownPeriods is null) continue;
            var range = settings.Calendar.Month(month);
            bool Touches(IncidentStatus i) => Instant.FromDateTimeOffset(i.Start) >= range.Start && Instant.FromDateTimeOffset(i.Start) < range.End;
            // Recomputed only when the month's incidents are no longer those it was computed from (an Incident declared,
            // corrected or deleted since).
            static string Key(IncidentStatus i) => $"{i.Id}|{i.Start:O}|{i.End:O}|{i.Severity}|{i.Cause ?? "Platform"}";
            var now_ = effective.Where(Touches).Select(Key).Order(StringComparer.Ordinal);
            var then = (history[k].IncidentList ?? []).Select(Key).Order(StringComparer.Ordinal);
            if (now_.SequenceEqual(then)) continue;
            var unknown = history[k].UnknownPeriods!.Select(p => new TimeSpanInterval(Instant.FromDateTimeOffset(p.Start), Instant.FromDateTimeOffset(p.End)));
            var figures = Figures(settings, month, effective, unknown, now, PlannedOf(status));
            figures.UnknownPeriods = history[k].UnknownPeriods;
            if (System.Text.Json.JsonSerializer.Serialize(figures, Api.OperatorJsonContext.Default.MonthFigures) == System.Text.Json.JsonSerializer.Serialize(history[k], Api.OperatorJsonContext.Default.MonthFigures)) continue;
            history[k] = figures;
            revised.Add(figures);
        }
        return revised;
    }

    /// <summary>Updates each probe's streak: down after <c>FailureThreshold</c> consecutive failures, up at the first success.</summary>
    private static List<ProbeStatus> Track(List<ProbeStatus> previous, ServiceLevelSettings settings, IReadOnlyList<ProbeOutcome> outcomes, Instant now)
    {
        var result = new List<ProbeStatus>();
        foreach (var spec in settings.Probes)
        {
            var p = previous.FirstOrDefault(x => x.Name == spec.Name) ?? new ProbeStatus { Name = spec.Name };
            if (outcomes.FirstOrDefault(o => o.Name == spec.Name) is not { } o) { result.Add(p); continue; }
            var wasUp = p.Up;
            if (o.Success)
            {
                p.ConsecutiveFailures = 0;
                p.FailingSince = null;
                p.Up = true;
            }
            else
            {
                p.ConsecutiveFailures = (p.ConsecutiveFailures ?? 0) + 1;
                p.FailingSince ??= now.ToDateTimeOffset();
                if (p.ConsecutiveFailures >= settings.FailureThreshold) p.Up = false;
                else p.Up ??= true;
            }
            if (p.Up != wasUp) p.LastTransitionTime = now.ToDateTimeOffset();
            p.Message = o.Message;
            result.Add(p);
        }
        return result;
    }

    /// <summary>
    /// Extends the period of each interruption in progress to now (or opens it from its start), and forgets periods
    /// older than the history kept. A period ends where it was last seen: at most one interval early.
    /// </summary>
    private static void RecordPlanned(ServiceLevelStatus status, IReadOnlyList<PlannedInterruption> planned, ServiceCalendar calendar, Instant now)
    {
        if (planned.Count == 0 && status.PlannedPeriods is null) return;
        var periods = status.PlannedPeriods ??= [];
        foreach (var p in planned)
        {
            if (periods.FirstOrDefault(x => x.Source == p.Source && x.Reason == p.Reason) is { } known) known.End = now.ToDateTimeOffset();
            else periods.Add(new PlannedPeriodStatus { Start = Instant.Min(p.Start, now).ToDateTimeOffset(), End = now.ToDateTimeOffset(), Reason = p.Reason, Source = p.Source });
        }
        var oldest = calendar.Month(YearMonthOf(now, calendar.Zone).PlusMonths(-HistoryMonths)).Start;
        periods.RemoveAll(x => Instant.FromDateTimeOffset(x.End) < oldest);
        if (periods.Count == 0) status.PlannedPeriods = null;
    }

    private static List<TimeSpanInterval> PlannedOf(ServiceLevelStatus status) =>
        [.. (status.PlannedPeriods ?? []).Select(p => new TimeSpanInterval(Instant.FromDateTimeOffset(p.Start), Instant.FromDateTimeOffset(p.End))).Where(i => !i.IsEmpty)];

    public static MonthFigures Figures(ServiceLevelSettings settings, YearMonth month, IEnumerable<IncidentStatus> incidents, IEnumerable<TimeSpanInterval> unknown, Instant now,
        IReadOnlyList<TimeSpanInterval>? planned = null)
    {
        planned ??= [];
        var report = MonthlyAvailability.Compute(settings.Calendar, month, incidents.Select(ToOutage), [.. settings.Maintenance, .. planned], now, unknown);
        var range = settings.Calendar.Month(month);
        var windows = settings.Calendar.Windows(range.Start, now < range.End ? Instant.Max(now, range.Start) : range.End);
        var plannedInService = Intervals.Total(Intervals.Intersect(windows, Intervals.Normalize(planned)));
        var ended = now >= settings.Calendar.Month(month).End;
        var honest = AvailabilityFigure.Of((long)report.ServiceTime.TotalSeconds, (long)report.UnknownTime.TotalSeconds, (long)report.Downtime.TotalSeconds,
            settings.Tier.Objective, settings.MinimumCoverage);
        // As if nothing were excluded: the report shows both (CCTP: maintenance "ne doit pas engendrer de perte d'exploitation").
        var unexcluded = MonthlyAvailability.Compute(settings.Calendar, month, incidents.Select(ToOutage), [], now, unknown);
        var monthRange = settings.Calendar.Month(month);
        // "So far" for the current month: met while the downtime stays within the whole month's budget. Null: nothing to judge.
        bool? metSoFar = honest.Availability is null ? null : ended ? honest.Met : report.Downtime <= report.ErrorBudget;
        var figures = new MonthFigures
        {
            AvailabilityWithoutExclusions = AvailabilityFigure.Of((long)unexcluded.ServiceTime.TotalSeconds, (long)unexcluded.UnknownTime.TotalSeconds,
                (long)unexcluded.Downtime.TotalSeconds, settings.Tier.Objective, settings.MinimumCoverage).Availability,
            MaintenanceWindows = settings.MaintenanceWindows.Where(w => w.Span.Start < monthRange.End && monthRange.Start < w.Span.End).Select(w => new MaintenanceWindowStatus
            {
                Start = w.Span.Start.ToDateTimeOffset(), End = w.Span.End.ToDateTimeOffset(), Description = w.Description, ApprovalRef = w.ApprovalRef, Impact = w.Impact, Excluded = w.Excluded,
            }).ToList() is { Count: > 0 } list ? list : null,
            Month = month.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            Objective = settings.Tier.Objective,
            Availability = honest.Availability,
            AvailabilityPercent = honest.Availability is { } a ? Percent(a) : "—",
            Coverage = honest.Coverage,
            CoveragePercent = honest.Coverage is { } c ? Percent(c) : "—",
            AvailabilityLow = honest.Low,
            AvailabilityHigh = honest.High,
            InsufficientData = honest.InsufficientData ? true : null,
            ServiceSeconds = (long)report.ServiceTime.TotalSeconds,
            DowntimeSeconds = (long)report.Downtime.TotalSeconds,
            UnknownSeconds = (long)report.UnknownTime.TotalSeconds,
            MaintenanceSeconds = (long)report.MaintenanceTime.TotalSeconds,
            PlannedSeconds = plannedInService == Duration.Zero ? null : (long)plannedInService.TotalSeconds,
            ErrorBudgetRemaining = report.ErrorBudgetRemaining,
            ErrorBudgetRemainingPercent = Percent(report.ErrorBudgetRemaining),
            Met = honest.InsufficientData ? null : metSoFar,
            Verdict = MonthVerdict.Of(honest.InsufficientData, metSoFar),
            Incidents = report.Incidents.Count,
            BySeverity = report.Incidents.Count == 0 ? null : report.Incidents.GroupBy(i => SeverityName(i.Outage.Severity)).ToDictionary(g => g.Key, g => new IncidentTally
            {
                Count = g.Count(),
                Resolved = g.Count(i => i.Outage.End is { } e && e <= Instant.Min(now, settings.Calendar.Month(month).End)),
                WithinGtr = g.Count(i => i.WithinGtr == true && i.Outage.End is { } e && e <= Instant.Min(now, settings.Calendar.Month(month).End)),
                Open = g.Count(i => i.Outage.End is not { } e || e > Instant.Min(now, settings.Calendar.Month(month).End)),
            }),
            IncidentList = report.Incidents.Count == 0 ? null : incidents
                .Where(i => Instant.FromDateTimeOffset(i.Start) >= settings.Calendar.Month(month).Start && Instant.FromDateTimeOffset(i.Start) < settings.Calendar.Month(month).End)
                .OrderBy(i => i.Start).Take(50).Select(i =>
                {
                    var outage = ToOutage(i);
                    var deadline = settings.Calendar.Deadline(outage.Start, outage.Severity);
                    return new IncidentStatus
                    {
                        Id = i.Id, Severity = i.Severity, Start = i.Start, End = i.End, Deadline = deadline.ToDateTimeOffset(),
                        WithinGtr = outage.End is { } e ? e <= deadline : null, Incident = i.Incident, Cause = i.Cause, Ticket = i.Ticket, Qualification = i.Qualification,
                        AcknowledgedTime = i.AcknowledgedTime, GtiSeconds = i.GtiSeconds,
                    };
                }).ToList(),
        };
        var until = Instant.Min(now, monthRange.End);
        // IND_INC judges the incidents that started in the month; IND_SUP counts those open at its end (or now), whenever they began.
        var overlapping = incidents.Where(inc => Instant.FromDateTimeOffset(inc.Start) < monthRange.End && (inc.End is not { } e || Instant.FromDateTimeOffset(e) > monthRange.Start))
            .Select(inc => { var o = ToOutage(inc); return new IncidentFacts(o.Severity, o.Start, o.End, settings.Calendar.Deadline(o.Start, o.Severity), inc.GtiSeconds); })
            .ToList();
        figures.Indicators = [.. ContractIndicators.Compute(settings.Tier.Name, honest, settings.Tier.Objective, [.. overlapping.Where(f => f.Start >= monthRange.Start)], until, overlapping)
            .Select(v => new IndicatorStatus { Name = v.Indicator, Value = v.Value, Objective = v.Objective, Met = v.Met, Meaning = v.Meaning })];
        return figures;
    }

    public static Outage ToOutage(IncidentStatus i) =>
        new(Instant.FromDateTimeOffset(i.Start), i.End is { } e ? Instant.FromDateTimeOffset(e) : null, ParseSeverity(i.Severity) ?? Severity.Blocking,
            CountsAsDowntime: i.Cause is null or "Platform");

    private static List<IncidentStatus> Prune(List<IncidentStatus> incidents, Instant monthStart)
    {
        var keep = new List<IncidentStatus>();
        var olderClosed = 0;
        foreach (var i in incidents.OrderByDescending(i => i.Start))
        {
            var relevant = i.End is null || Instant.FromDateTimeOffset(i.End.Value) > monthStart;
            if (relevant || olderClosed++ < RecentClosedIncidents) keep.Add(i);
        }
        return keep;
    }

    public static bool InService(ServiceCalendar calendar, Instant now) => calendar.Windows(now, now + Duration.FromTicks(1)).Count > 0;

    private static TimeSpanInterval Clip(TimeSpanInterval s, TimeSpanInterval range) => new(Instant.Max(s.Start, range.Start), Instant.Min(s.End, range.End));

    public static YearMonth YearMonthOf(Instant i, DateTimeZone zone) { var d = i.InZone(zone).Date; return new YearMonth(d.Year, d.Month); }

    private static YearMonth? TryMonth(string text) =>
        text.Length == 7 && int.TryParse(text[..4], out var y) && int.TryParse(text[5..], out var mo) && mo is >= 1 and <= 12 ? new YearMonth(y, mo) : null;

    public static string SeverityName(Severity s) => s.ToString().ToLowerInvariant();

    public static Severity? ParseSeverity(string s) => s switch { "blocking" => Severity.Blocking, "major" => Severity.Major, "minor" => Severity.Minor, _ => null };

    private static string Percent(double ratio) => (ratio * 100).ToString("0.000", CultureInfo.InvariantCulture) + "%";
}
