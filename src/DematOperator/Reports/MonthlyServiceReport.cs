using DematOperator.Api;
using System.Text.RegularExpressions;
using DematOperator.Backups;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Reports;

/// <summary>One ServiceLevel's month; <see cref="Figure"/> holds the availability told honestly (coverage, range, insufficient data).</summary>
public sealed record AvailabilityRow(string Cluster, string Namespace, string Name, string Tier, string Environment, double Objective,
    long ServiceSeconds, long DowntimeSeconds, long UnknownSeconds, long MaintenanceSeconds, string? Note, AvailabilityFigure Figure, double? WithoutExclusions = null)
{
    public double? Availability => Figure.Availability;
    public bool? Met => Figure.Met;
}

/// <summary>A tier and environment's month (IND_DISP), by the same rule as each ServiceLevel's.</summary>
public sealed record GroupAvailabilityRow(string Tier, string Environment, double Objective, long ServiceSeconds, long DowntimeSeconds, long UnknownSeconds, int ServiceLevels,
    AvailabilityFigure Figure)
{
    public double? Availability => Figure.Availability;
    public bool? Met => Figure.Met;
}

public sealed record IncidentSeverityRow(string Severity, int Count, int Resolved, int WithinGtr, double? WithinGtrRatio, int OpenAtMonthEnd);

public sealed record IncidentRow(string Cluster, string ServiceLevel, string Severity, Instant Start, Instant? End, Instant Deadline, bool? WithinGtr,
    string Tier = "", string Environment = "", string? Cause = null, string? Ticket = null, long? GtiSeconds = null, bool Withdrawn = false);

/// <summary>A maintenance window of the month, excluded from service time or not (approval, impact).</summary>
public sealed record MaintenanceRow(string Cluster, string ServiceLevel, Instant Start, Instant End, string? Description, string? ApprovalRef, string Impact, bool Excluded);

/// <summary>One indicator of the contract for a tier and environment (CCTP: IND_DISP, IND_INC, IND_SUP, and the GTI measured).</summary>
public sealed record IndicatorRow(string Tier, string Environment, string Indicator, double? Value, double? Objective, bool? Met, string Meaning);

public sealed record BackupRow(string Cluster, string Namespace, string Policy, string Method, Duration Rpo, double? RpoMetRatio, int Succeeded, int Failed,
    long Missed, Duration? OldestRecoveryPointAge, string? Note)
{
    /// <summary>Of the successful runs, how many are application-consistent (captured inside a freeze whose pre-hooks all succeeded).</summary>
    public int ApplicationConsistent { get; init; }
    /// <summary>The recovery point's age, hour by hour over the month (null before the first recovery point): the HTML report's curve.</summary>
    public IReadOnlyList<(Instant At, Duration? Age)> AgeByHour { get; init; } = [];
    /// <summary>The part of the month the RPO ratio covers: from the month's start, or the policy's creation, or the oldest run retention kept; to the month's end or now.</summary>
    public (Instant From, Instant Until)? Measured { get; init; }
}

/// <summary>One day of a tier and environment: the service time, the downtime and the time without data, for the daily chart.</summary>
public sealed record DailyAvailabilityRow(string Tier, string Environment, LocalDate Day, long ServiceSeconds, long DowntimeSeconds, long UnknownSeconds)
{
    public double? Availability => ServiceSeconds - UnknownSeconds <= 0 ? null : 1 - DowntimeSeconds / (double)(ServiceSeconds - UnknownSeconds);
}

public sealed record DrillRow(string Cluster, string Namespace, string Drill, string Run, string Mode, string Result, Instant Start, long? RtoSeconds, long? RpoSeconds, bool? RtoMet, bool? RpoMet, string? Report);

public sealed record PraSummary(Instant? LastSuccess, string? LastSuccessDrill, long? LastRtoSeconds, long? LastRpoSeconds, int? DaysUntilYearlyDeadline);

public sealed record CertificateRow(string Cluster, string Namespace, string Name, string Source, string Subject, string State, Instant? NotAfter, Instant? LastRenewal, string? Message)
{
    /// <summary>Why it is in its state, CamelCase (status.items[].reason): the French report says it in French from this.</summary>
    public string? Reason { get; init; }
}

public sealed record CoverageRow(string Cluster, string Kind, string Namespace, string Name, bool Covered);

/// <summary>A cluster the report was asked to read: read, or why not (its figures are then missing, and the report says so).</summary>
public sealed record ClusterSource(string Name, string? Error = null)
{
    public bool Read => Error is null;
}

/// <summary>The contract's monthly indicators, from the live state of one or several clusters.</summary>
public sealed record MonthlyServiceReport(
    YearMonth Month,
    DateTimeZone Zone,
    Instant GeneratedAt,
    IReadOnlyList<AvailabilityRow> Availability,
    IReadOnlyList<GroupAvailabilityRow> AvailabilityByTier,
    IReadOnlyList<IncidentSeverityRow> Incidents,
    IReadOnlyList<IncidentRow> IncidentList,
    IReadOnlyList<BackupRow> Backups,
    IReadOnlyList<DrillRow> Drills,
    PraSummary Pra,
    IReadOnlyList<CertificateRow> RenewedCertificates,
    IReadOnlyList<CertificateRow> FailingCertificates,
    IReadOnlyList<CertificateRow> ExpiringCertificates,
    IReadOnlyList<CoverageRow> Coverage)
{
    public IReadOnlyList<IndicatorRow> Indicators { get; init; } = [];
    public IReadOnlyList<MaintenanceRow> Maintenance { get; init; } = [];
    public IReadOnlyList<DailyAvailabilityRow> Daily { get; init; } = [];
    /// <summary>Every cluster asked for, read or not; the snapshots' clusters when the caller gave none.</summary>
    public IReadOnlyList<ClusterSource> Sources { get; init; } = [];
    public IReadOnlyList<string> Unread => [.. Sources.Where(c => !c.Read).Select(c => c.Name)];
    public double? CoverageRatio => Coverage.Count == 0 ? null : Coverage.Count(c => c.Covered) / (double)Coverage.Count;

    /// <summary>Builds the report of <paramref name="month"/> from snapshots taken at <paramref name="now"/>.</summary>
    /// <param name="unread">Clusters that were asked for and could not be read, with the reason.</param>
    public static MonthlyServiceReport Build(IReadOnlyList<ReportSnapshot> snapshots, YearMonth month, DateTimeZone zone, Instant now,
        IReadOnlyList<ClusterSource>? unread = null) =>
        BuildFigures(snapshots, month, zone, now) with { Sources = [.. snapshots.Select(s => new ClusterSource(s.Cluster)), .. unread ?? []] };

    private static MonthlyServiceReport BuildFigures(IReadOnlyList<ReportSnapshot> snapshots, YearMonth month, DateTimeZone zone, Instant now)
    {
        var start = zone.AtStartOfDay(month.OnDayOfMonth(1)).ToInstant();
        var end = zone.AtStartOfDay(month.PlusMonths(1).OnDayOfMonth(1)).ToInstant();
        var until = Instant.Min(end, now);
        var key = month.ToString("yyyy-MM", null);

        var availability = new List<AvailabilityRow>();
        var incidentList = new List<IncidentRow>();
        var maintenance = new List<MaintenanceRow>();
        var daily = new List<DailyAvailabilityRow>();
        var tallies = new Dictionary<string, IncidentTally>();
        foreach (var snap in snapshots)
            foreach (var sl in snap.ServiceLevels)
            {
                var figures = sl.Status?.History?.FirstOrDefault(h => h.Month == key)
                              ?? (sl.Status?.CurrentMonth?.Month == key ? sl.Status.CurrentMonth : null);
                var created = Instant.FromDateTimeOffset(sl.Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch);
                var tier = ServiceTier.Parse(sl.Spec.Tier);
                var objective = figures?.Objective ?? tier?.Objective ?? 0;
                if (figures is null)
                {
                    availability.Add(new AvailabilityRow(snap.Cluster, sl.Namespace!, sl.Name, sl.Spec.Tier, sl.Spec.Environment, objective, 0, 0, 0, 0,
                        created >= end ? "créé après le mois" : "aucun chiffre détenu pour ce mois", AvailabilityFigure.Of(0, 0, 0, objective)));
                    continue;
                }
                var notes = new List<string>();
                if (created > start) notes.Add($"mesuré depuis le {Local(created, zone)} (créé en cours de mois)");
                else if (figures.UnknownSeconds > 0) notes.Add($"{Hours(figures.UnknownSeconds ?? 0)} de temps de service sans mesure (opérateur arrêté), exclues du calcul");
                if (figures.PlannedSeconds is > 0 and var planned)
                    notes.Add($"dont {Hours(planned)} d'exercice PRA (environnement arrêté par le PraDrill, temps planifié exclu du service, raison PraDrill)");
                if (sl.Status?.CurrentMonth?.Month == key && now < end) notes.Add("mois en cours");
                ServiceLevelChecks.Resolve(sl.Spec, out var slSettings);
                var figure = AvailabilityFigure.Of(figures.ServiceSeconds ?? 0, figures.UnknownSeconds ?? 0, figures.DowntimeSeconds ?? 0, objective,
                    slSettings?.MinimumCoverage ?? AvailabilityFigure.DefaultCoverageThreshold);
                if (figure.InsufficientData)
                    notes.Add($"données insuffisantes : {(figure.Coverage ?? 0) * 100:0.0} % du temps de service mesuré".Replace(',', '.'));
                availability.Add(new AvailabilityRow(snap.Cluster, sl.Namespace!, sl.Name, sl.Spec.Tier, sl.Spec.Environment, objective,
                    figures.ServiceSeconds ?? 0, figures.DowntimeSeconds ?? 0, figures.UnknownSeconds ?? 0, figures.MaintenanceSeconds ?? 0,
                    notes.Count == 0 ? null : string.Join("; ", notes), figure, figures.AvailabilityWithoutExclusions));
                if (slSettings is not null) daily.AddRange(DaysOf(sl, slSettings, figures, start, until));
                maintenance.AddRange((figures.MaintenanceWindows ?? []).Select(w => new MaintenanceRow(snap.Cluster, $"{sl.Namespace}/{sl.Name}",
                    Instant.FromDateTimeOffset(w.Start), Instant.FromDateTimeOffset(w.End), w.Description, w.ApprovalRef, w.Impact, w.Excluded)));
                foreach (var (severity, tally) in figures.BySeverity ?? [])
                {
                    var sum = tallies.TryGetValue(severity, out var t) ? t : tallies[severity] = new IncidentTally();
                    sum.Count += tally.Count;
                    sum.Resolved += tally.Resolved;
                    sum.WithinGtr += tally.WithinGtr;
                    sum.Open += tally.Open;
                }
                var list = figures.IncidentList ?? [];
                incidentList.AddRange(list.Select(i => new IncidentRow(snap.Cluster, $"{sl.Namespace}/{sl.Name}", i.Severity, Instant.FromDateTimeOffset(i.Start),
                    i.End is { } e ? Instant.FromDateTimeOffset(e) : null, Instant.FromDateTimeOffset(i.Deadline), i.WithinGtr, sl.Spec.Tier, sl.Spec.Environment, i.Cause, i.Ticket, i.GtiSeconds)));
                // A probe incident whose Incident a person deleted is shown, marked, so the deletion's effect on the month is visible.
                incidentList.AddRange((sl.Status?.Incidents ?? []).Where(i => i.Withdrawn == true && i.Start >= start.ToDateTimeOffset() && i.Start < end.ToDateTimeOffset())
                    .Select(i => new IncidentRow(snap.Cluster, $"{sl.Namespace}/{sl.Name}", i.Severity, Instant.FromDateTimeOffset(i.Start), i.End is { } e ? Instant.FromDateTimeOffset(e) : null,
                        Instant.FromDateTimeOffset(i.Deadline), i.WithinGtr, sl.Spec.Tier, sl.Spec.Environment, i.Cause, i.Ticket, i.GtiSeconds, Withdrawn: true)));
            }
        // Every ServiceLevel of the tier counts, measured or not: its unmeasured time is unknown time of the tier.
        var byTier = availability.GroupBy(a => (a.Tier, a.Environment)).Select(g =>
        {
            var service = g.Sum(a => a.ServiceSeconds);
            var unknown = g.Sum(a => a.UnknownSeconds);
            var down = g.Sum(a => a.DowntimeSeconds);
            var objective = g.Max(a => a.Objective);
            return new GroupAvailabilityRow(g.Key.Tier, g.Key.Environment, objective, service, down, unknown, g.Count(), AvailabilityFigure.Of(service, unknown, down, objective));
        }).OrderBy(r => r.Tier).ThenBy(r => r.Environment).ToList();
        var incidents = new[] { "blocking", "major", "minor" }.Select(s =>
        {
            var t = tallies.GetValueOrDefault(s) ?? new IncidentTally();
            return new IncidentSeverityRow(s, t.Count, t.Resolved, t.WithinGtr, t.Resolved == 0 ? null : t.WithinGtr / (double)t.Resolved, t.Open);
        }).ToList();

        var backups = snapshots.SelectMany(s => s.BackupPolicies.Select(p => Backup(s.Cluster, p.Policy, p.Runs, start, until, zone))).ToList();

        var drills = new List<DrillRow>();
        Instant? lastSuccess = null;
        (string Drill, long? Rto, long? Rpo)? lastSuccessRun = null;
        foreach (var snap in snapshots)
            foreach (var d in snap.Drills)
                foreach (var h in d.Status?.History ?? [])
                {
                    var runStart = Instant.FromDateTimeOffset(h.StartTime);
                    if (runStart >= start && runStart < end)
                        drills.Add(new DrillRow(snap.Cluster, d.Namespace!, d.Name, h.Name, h.Mode.ToString(), h.Result.ToString(), runStart, h.RtoSeconds, h.RpoSeconds, h.RtoMet, h.RpoMet, h.Report));
                    if (h.Result == DematOperator.Drills.DrillResult.Succeeded && h.EndTime is { } ended && Instant.FromDateTimeOffset(ended) < end && (lastSuccess is null || Instant.FromDateTimeOffset(ended) > lastSuccess))
                    {
                        lastSuccess = Instant.FromDateTimeOffset(ended);
                        lastSuccessRun = ($"{d.Namespace}/{d.Name}", h.RtoSeconds, h.RpoSeconds);
                    }
                }
        var deadlineDays = lastSuccess is { } ls ? (int)Math.Floor((ls + Duration.FromDays(365) - until).TotalDays) : (int?)null;
        var pra = new PraSummary(lastSuccess, lastSuccessRun?.Drill, lastSuccessRun?.Rto, lastSuccessRun?.Rpo, deadlineDays);

        var certificates = snapshots.SelectMany(s => s.CertificateRenewals.SelectMany(c => (c.Status?.Items ?? []).Select(i => new CertificateRow(s.Cluster, i.Namespace, i.Name, i.Source,
            i.Subject ?? "", i.State, i.NotAfter is { } na ? Instant.FromDateTimeOffset(na) : null, i.LastRenewal is { } lr ? Instant.FromDateTimeOffset(lr) : null, i.Message) { Reason = i.Reason })))
            .DistinctBy(c => (c.Cluster, c.Source, c.Namespace, c.Name)).ToList();
        var renewed = certificates.Where(c => c.LastRenewal is { } r && r >= start && r < end).ToList();
        var failing = certificates.Where(c => c.State is "Error" or "Expired").ToList();
        var expiring = certificates.Where(c => c.NotAfter is { } na && na - until < Duration.FromDays(30) && c.State is not "Error").ToList();

        var coverage = snapshots.SelectMany(s => s.ProductionWorkloads.Select(w => new CoverageRow(w.Cluster, w.Kind, w.Namespace, w.Name,
            snapshots.Where(o => o.Cluster == w.Cluster).SelectMany(o => o.ServiceLevels).Any(sl => Probes(sl, w))))).ToList();

        // The indicators per tier and environment: IND_DISP from the group's availability, IND_INC and the GTI from the
        // incidents that started in the month, IND_SUP from those open at its end (or now).
        var indicators = byTier.SelectMany(g =>
        {
            var facts = incidentList.Where(i => i.Tier == g.Tier && i.Environment == g.Environment && !i.Withdrawn)
                .Select(i => { var severity = Enum.TryParse<Severity>(i.Severity, true, out var sv) ? sv : Severity.Blocking; return new IncidentFacts(severity, i.Start, i.End, i.Deadline, i.GtiSeconds); })
                .ToList();
            return ContractIndicators.Compute(g.Tier, g.Figure, g.Objective, facts, until)
                .Select(v => new IndicatorRow(g.Tier, g.Environment, v.Indicator, v.Value, v.Objective, v.Met, v.Meaning));
        }).ToList();

        return new MonthlyServiceReport(month, zone, now, availability.OrderBy(a => a.Environment).ThenBy(a => a.Namespace).ThenBy(a => a.Name).ToList(), byTier, incidents,
            incidentList.OrderBy(i => i.Start).ToList(), backups, drills.OrderBy(d => d.Start).ToList(), pra, renewed, failing, expiring, coverage) {
            Indicators = indicators, Maintenance = maintenance.OrderBy(w => w.Start).ToList(),
            Daily = daily.GroupBy(d => (d.Tier, d.Environment, d.Day))
                .Select(g => new DailyAvailabilityRow(g.Key.Tier, g.Key.Environment, g.Key.Day, g.Sum(d => d.ServiceSeconds), g.Sum(d => d.DowntimeSeconds), g.Sum(d => d.UnknownSeconds)))
                .OrderBy(d => d.Tier).ThenBy(d => d.Environment).ThenBy(d => d.Day).ToList(),
        };
    }

    /// <summary>
    /// Share of the month during which the recovery point met the RPO, from the policy's runs still present:
    /// at each instant the recovery point is the newest data of the runs completed by then.
    /// </summary>
    public static BackupRow Backup(string cluster, BackupPolicy policy, IReadOnlyList<ObservedRun> runs, Instant start, Instant until, DateTimeZone zone)
    {
        Duration rpo;
        try { rpo = Durations.Parse(policy.Spec.Rpo) ?? ContractDefaults.Rpo; }
        catch (FormatException e)
        {
            // The policy itself is Ready=False for this; the report says so rather than guess an objective.
            return new BackupRow(cluster, policy.Namespace!, policy.Name, policy.Spec.Method, Duration.Zero, null, 0, 0, 0, null, $"RPO invalide : {e.Message}");
        }
        var created = Instant.FromDateTimeOffset(policy.Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch);
        var from = Instant.Max(start, created);
        var inMonth = runs.Where(r => r.Started >= start && r.Started < until).ToList();
        var succeeded = runs.Where(r => r.Phase == RunPhase.Succeeded && r.Completed is not null && r.RecoveryPoint is not null).OrderBy(r => r.Completed).ToList();
        string? note = null;
        if (from >= until) return new BackupRow(cluster, policy.Namespace!, policy.Name, policy.Spec.Method, rpo, null, 0, 0, 0, null, "créé après le mois");
        if (created > start) note = $"mesuré depuis le {Local(created, zone)} (créé en cours de mois)";
        // Retention may have removed the runs that covered the start of the month: that part is not known.
        var earliest = runs.Count == 0 ? (Instant?)null : runs.Min(r => r.Started);
        if (earliest is { } first && first > from + rpo && created < first)
        {
            note = $"les sauvegardes antérieures au {Local(first, zone)} n'existent plus (rétention) : cette partie du mois n'est pas comptée";
            from = first;
        }
        var met = Duration.Zero;
        var worst = (Duration?)null;
        Instant? point = null;
        var cursor = from;
        var index = 0;
        // The recovery point in force at the window's start.
        while (index < succeeded.Count && succeeded[index].Completed <= from) { point = Max(point, succeeded[index].RecoveryPoint); index++; }
        while (cursor < until)
        {
            var next = index < succeeded.Count ? Instant.Min(succeeded[index].Completed!.Value, until) : until;
            if (point is { } p)
            {
                var metUntil = Instant.Min(next, p + rpo);
                if (metUntil > cursor) met += metUntil - cursor;
                var age = next - p;
                if (worst is null || age > worst) worst = age;
            }
            cursor = next;
            if (index < succeeded.Count) { point = Max(point, succeeded[index].RecoveryPoint); index++; }
        }
        var span = until - from;
        var ages = new List<(Instant, Duration?)>();
        Instant? newest = null;
        var k = 0;
        for (var t = from; t < until; t += Duration.FromHours(1))
        {
            while (k < succeeded.Count && succeeded[k].Completed <= t) { newest = Max(newest, succeeded[k].RecoveryPoint); k++; }
            ages.Add((t, newest is { } n ? t - n : null));
        }
        // The curve ends where the measure ends: a run of the last hour shows, as the title counts it.
        while (k < succeeded.Count && succeeded[k].Completed <= until) { newest = Max(newest, succeeded[k].RecoveryPoint); k++; }
        if (newest is { } last && (ages.Count == 0 || ages[^1].Item1 < until)) ages.Add((until, until - last));
        return new BackupRow(cluster, policy.Namespace!, policy.Name, policy.Spec.Method, rpo, span > Duration.Zero ? met / span : null,
            inMonth.Count(r => r.Phase == RunPhase.Succeeded), inMonth.Count(r => r.Phase == RunPhase.Failed), policy.Status?.MissedByMonth?.GetValueOrDefault(start.InZone(zone).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture)) ?? 0, worst, note)
        { AgeByHour = ages, Measured = (from, until), ApplicationConsistent = inMonth.Count(r => r.Phase == RunPhase.Succeeded && r.Consistency == DematOperator.Backups.Hooks.RecoveryConsistency.Application) };
    }

    /// <summary>A ServiceLevel's month day by day, by the rules of its figures: service windows less what was excluded, blocking platform downtime, time without data.</summary>
    private static IEnumerable<DailyAvailabilityRow> DaysOf(ServiceLevel sl, ServiceLevelSettings settings, MonthFigures figures, Instant start, Instant until)
    {
        var zone = settings.Calendar.Zone;
        var excluded = settings.Maintenance.Concat((sl.Status?.PlannedPeriods ?? []).Select(p => new TimeSpanInterval(Instant.FromDateTimeOffset(p.Start), Instant.FromDateTimeOffset(p.End)))).ToList();
        var unknown = Intervals.Normalize((figures.UnknownPeriods ?? []).Select(p => new TimeSpanInterval(Instant.FromDateTimeOffset(p.Start), Instant.FromDateTimeOffset(p.End))));
        var down = Intervals.Normalize((figures.IncidentList ?? []).Select(ServiceLevelLedger.ToOutage).Where(o => o is { Severity: Severity.Blocking, CountsAsDowntime: true })
            .Select(o => new TimeSpanInterval(o.Start, o.End ?? until)));
        for (var day = start.InZone(zone).Date; day.AtStartOfDayInZone(zone).ToInstant() < until; day = day.PlusDays(1))
        {
            var from = Instant.Max(start, day.AtStartOfDayInZone(zone).ToInstant());
            var to = Instant.Min(until, day.PlusDays(1).AtStartOfDayInZone(zone).ToInstant());
            var service = Intervals.Subtract(settings.Calendar.Windows(from, to), Intervals.Normalize(excluded));
            var unknownToday = Intervals.Intersect(service, unknown);
            var known = Intervals.Subtract(service, unknownToday);
            yield return new DailyAvailabilityRow(sl.Spec.Tier, sl.Spec.Environment, day, (long)Intervals.Total(service).TotalSeconds,
                (long)Intervals.Total(Intervals.Intersect(known, down)).TotalSeconds, (long)Intervals.Total(unknownToday).TotalSeconds);
        }
    }

    private static Instant? Max(Instant? a, Instant? b) => a is null ? b : b is null ? a : Instant.Max(a.Value, b.Value);

    /// <summary>A ServiceLevel probes a workload by a workload probe, or by an HTTP/TCP probe of `name.namespace.svc`.</summary>
    private static bool Probes(ServiceLevel sl, ProductionWorkload w)
    {
        foreach (var p in sl.Spec.Probes ?? [])
        {
            if (p.Workload is { } wl && wl.Kind == w.Kind && wl.Name == w.Name && (wl.Namespace ?? sl.Namespace) == w.Namespace) return true;
            var host = p.Http is { } h && Uri.TryCreate(h.Url, UriKind.Absolute, out var u) ? u.Host : p.Tcp?.Host;
            if (host is not null && Regex.IsMatch(host, $@"^{Regex.Escape(w.Name)}\.{Regex.Escape(w.Namespace)}(\.svc(\..*)?)?$")) return true;
        }
        return false;
    }

    public static string Local(Instant i, DateTimeZone zone) => Api.PersonTime.Format(i, zone);

    /// <summary>Invariant: the report reads the same whatever the machine's culture.</summary>
    public static string Hours(long seconds) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seconds / 3600.0:0.00} h");

    /// <summary>
    /// `report --year YYYY --maintenance`: every declared window of the year, as the ServiceLevels declare them, with
    /// whether it is excluded from service time (approved, with an impact): the planning to validate with the Administration.
    /// </summary>
    public static string MaintenancePlanningCsv(IReadOnlyList<ReportSnapshot> snapshots, int year, DateTimeZone zone)
    {
        var rows = new List<string> { "cluster,namespace,servicelevel,start,end,impact,approval_ref,excluded,description" };
        static string Q(string? s) => s is null ? "" : s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        string Iso(Instant i) => Api.PersonTime.Format(i, zone);
        var from = new LocalDate(year, 1, 1).AtStartOfDayInZone(zone).ToInstant();
        var to = new LocalDate(year + 1, 1, 1).AtStartOfDayInZone(zone).ToInstant();
        foreach (var snap in snapshots)
            foreach (var sl in snap.ServiceLevels.OrderBy(s => s.Namespace).ThenBy(s => s.Name))
            {
                ServiceLevelChecks.Resolve(sl.Spec, out var settings);
                foreach (var w in (settings?.MaintenanceWindows ?? []).Where(w => w.Span.Start < to && from < w.Span.End).OrderBy(w => w.Span.Start))
                    rows.Add(string.Join(',', Q(snap.Cluster), Q(sl.Namespace), Q(sl.Name), Iso(w.Span.Start), Iso(w.Span.End), w.Impact, Q(w.ApprovalRef), w.Excluded ? "true" : "false", Q(w.Description)));
            }
        return string.Concat(rows.Select(r => r + "\n"));
    }
}
