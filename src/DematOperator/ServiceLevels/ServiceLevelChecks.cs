using System.Globalization;
using System.Text.RegularExpressions;
using DematOperator.Api;
using DematOperator.Backups;
using NodaTime;
using NodaTime.Text;

namespace DematOperator.ServiceLevels;

/// <summary>A ServiceLevel's spec resolved against its tier preset: what the probes, the calendar and the alerts use.</summary>
public sealed record ServiceLevelSettings(
    ServiceTier Tier,
    ServiceCalendar Calendar,
    IReadOnlyList<TimeSpanInterval> Maintenance,
    IReadOnlyList<ProbeSpec> Probes,
    Duration Interval,
    int FailureThreshold,
    Duration AlertAfter,
    double MinimumCoverage = AvailabilityFigure.DefaultCoverageThreshold,
    IReadOnlyList<MaintenanceWindow>? Windows = null)
{
    /// <summary>Every declared window, excluded or not.</summary>
    public IReadOnlyList<MaintenanceWindow> MaintenanceWindows => Windows ?? [];
}

/// <summary>A declared maintenance window: excluded from service time only when the Administration approved it and it has an impact.</summary>
public sealed record MaintenanceWindow(TimeSpanInterval Span, string? Description, string? ApprovalRef, string Impact)
{
    public bool Excluded => !string.IsNullOrWhiteSpace(ApprovalRef) && Impact != "None";
}

/// <summary>The checks of a ServiceLevel that need no cluster: used by the controller and by `validate`.</summary>
public static class ServiceLevelChecks
{
    public static IEnumerable<SpecProblem> Check(ServiceLevelSpec spec) => Resolve(spec, out _);

    /// <summary>Resolves the spec; <paramref name="settings"/> is null when a problem (not a warning) was found.</summary>
    public static List<SpecProblem> Resolve(ServiceLevelSpec spec, out ServiceLevelSettings? settings)
    {
        var problems = new List<SpecProblem>();
        settings = null;
        var tier = ServiceTier.Parse(spec.Tier);
        if (tier is null) problems.Add(new("spec.tier", "UnknownTier", $"\"{spec.Tier}\" is not a tier: use OR, ARGENT or BRONZE"));
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(spec.TimeZone ?? "Europe/Paris");
        if (zone is null) problems.Add(new("spec.timeZone", "UnknownTimeZone", $"\"{spec.TimeZone}\" is not an IANA time zone (e.g. Europe/Paris)"));
        var extra = new List<LocalDate>();
        foreach (var (d, i) in (spec.ExtraHolidays ?? []).Select((d, i) => (d, i)))
        {
            var parsed = LocalDatePattern.Iso.Parse(d);
            if (parsed.Success) extra.Add(parsed.Value);
            else problems.Add(new($"spec.extraHolidays[{i}]", "InvalidDate", $"\"{d}\" is not a date like 2026-06-02"));
        }
        var holidays = HolidayCalendar.Parse(spec.Holidays ?? "FR", extra);
        if (holidays is null) problems.Add(new("spec.holidays", "UnknownCalendar", $"\"{spec.Holidays}\" is not FR, FR-ALSACE-MOSELLE or none"));

        if (tier is not null) tier = Override(tier, spec, problems);

        var maintenance = new List<TimeSpanInterval>();
        var windows = new List<MaintenanceWindow>();
        foreach (var (w, i) in (spec.MaintenanceWindows ?? []).Select((w, i) => (w, i)))
        {
            var start = OffsetDateTimePattern.ExtendedIso.Parse(w.Start);
            var end = OffsetDateTimePattern.ExtendedIso.Parse(w.End);
            if (!start.Success) problems.Add(new($"spec.maintenanceWindows[{i}].start", "InvalidTime", $"\"{w.Start}\" is not an RFC 3339 time with offset"));
            if (!end.Success) problems.Add(new($"spec.maintenanceWindows[{i}].end", "InvalidTime", $"\"{w.End}\" is not an RFC 3339 time with offset"));
            if (!start.Success || !end.Success) continue;
            var span = new TimeSpanInterval(start.Value.ToInstant(), end.Value.ToInstant());
            if (span.IsEmpty) { problems.Add(new($"spec.maintenanceWindows[{i}]", "InvalidMaintenanceWindow", "end is not after start")); continue; }
            var overlap = windows.FindIndex(m => m.Span.Start < span.End && span.Start < m.Span.End);
            if (overlap >= 0)
                problems.Add(new($"spec.maintenanceWindows[{i}]", "OverlappingMaintenanceWindows", $"overlaps maintenanceWindows[{overlap}]: merge them into one window"));
            var window = new MaintenanceWindow(span, w.Description, w.ApprovalRef, w.Impact ?? "Outage");
            if (window.Impact is not ("None" or "Degraded" or "Outage"))
                problems.Add(new($"spec.maintenanceWindows[{i}].impact", "InvalidImpact", $"\"{window.Impact}\" is not None, Degraded or Outage"));
            else if (window.Impact != "None" && !window.Excluded)
                problems.Add(new($"spec.maintenanceWindows[{i}]", "UnapprovedMaintenance", "no approvalRef: the window is not excluded from service time until the Administration's agreement is referenced", Warning: true));
            windows.Add(window);
            // Overlap is judged on every window; only approved windows with an impact leave the service time.
            if (window.Excluded) maintenance.Add(span);
        }

        var probes = spec.Probes ?? [];
        var names = new HashSet<string>();
        foreach (var (p, i) in probes.Select((p, i) => (p, i)))
        {
            var field = $"spec.probes[{i}]";
            if (!names.Add(p.Name)) problems.Add(new($"{field}.name", "DuplicateProbe", $"probe name \"{p.Name}\" is used twice"));
            var kinds = (p.Http is null ? 0 : 1) + (p.Tcp is null ? 0 : 1) + (p.Workload is null ? 0 : 1);
            if (kinds != 1) problems.Add(new(field, "InvalidProbe", "set exactly one of http, tcp or workload"));
            problems.AddRange(DurationProblem($"{field}.timeout", p.Timeout, max: Duration.FromMinutes(1)));
            if (p.Http is { } http)
            {
                if (!Uri.TryCreate(http.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || string.IsNullOrEmpty(url.Host))
                    problems.Add(new($"{field}.http.url", "InvalidUrl", $"\"{http.Url}\" is not an absolute http:// or https:// URL"));
                if (http.BodyMatch is { } pattern)
                {
                    try { _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1)); }
                    catch (ArgumentException e) { problems.Add(new($"{field}.http.bodyMatch", "InvalidRegex", e.Message)); }
                }
                foreach (var code in http.ExpectedStatus ?? [])
                    if (code is < 100 or > 599) problems.Add(new($"{field}.http.expectedStatus", "InvalidStatus", $"{code} is not an HTTP status code"));
            }
            if (p.Tcp is { } tcp && Uri.CheckHostName(tcp.Host) == UriHostNameType.Unknown)
                problems.Add(new($"{field}.tcp.host", "InvalidHost", $"\"{tcp.Host}\" is not a host name or IP address"));
        }
        if (probes.Count == 0) problems.Add(new("spec.probes", "NoProbes", "no probe: the state is never measured, all service time is unknown", Warning: true));
        var interval = DurationOrDefault("spec.interval", spec.Interval, Duration.FromSeconds(30), problems, min: Duration.FromSeconds(1));
        var alertAfter = DurationOrDefault("spec.alertAfter", spec.AlertAfter, Duration.FromMinutes(2), problems, min: Duration.Zero);

        var minimumCoverage = AvailabilityFigure.DefaultCoverageThreshold;
        if (spec.MinimumCoverage is { } mc)
        {
            if (decimal.TryParse(mc, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100) minimumCoverage = (double)(percent / 100);
            else problems.Add(new("spec.minimumCoverage", "InvalidMinimumCoverage", $"\"{mc}\" is not a percentage between 0 and 100, e.g. 90"));
        }
        if (tier is null || zone is null || holidays is null || problems.Any(p => !p.Warning)) return problems;
        settings = new ServiceLevelSettings(tier, new ServiceCalendar(tier, zone, holidays), maintenance, probes, interval, spec.FailureThreshold ?? 2, alertAfter, minimumCoverage, windows);
        return problems;
    }

    private static ServiceTier Override(ServiceTier tier, ServiceLevelSpec spec, List<SpecProblem> problems)
    {
        if (spec.Objective is { } o)
        {
            if (decimal.TryParse(o, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is > 0 and < 100)
                tier = tier with { Objective = (double)(percent / 100) };
            else problems.Add(new("spec.objective", "InvalidObjective", $"\"{o}\" is not a percentage between 0 and 100, e.g. 99.8"));
        }
        if (spec.ServiceHours is { } hours)
        {
            if (hours.Days is { } days)
            {
                var set = new HashSet<IsoDayOfWeek>();
                foreach (var d in days)
                    if (Enum.TryParse<IsoDayOfWeek>(d, ignoreCase: true, out var day) && day != IsoDayOfWeek.None) set.Add(day);
                    else problems.Add(new("spec.serviceHours.days", "InvalidDay", $"\"{d}\" is not a day name like Monday"));
                tier = tier with { Days = set };
            }
            var opens = Time("spec.serviceHours.opens", hours.Opens, tier.Opens, problems);
            var closes = hours.Closes == "24:00" ? LocalTime.Midnight : Time("spec.serviceHours.closes", hours.Closes, tier.Closes, problems);
            if (closes != LocalTime.Midnight && closes <= opens)
                problems.Add(new("spec.serviceHours", "InvalidServiceHours", $"closes ({closes:HH:mm}) must be after opens ({opens:HH:mm})"));
            tier = tier with { Opens = opens, Closes = closes, HolidaysAreServiceDays = hours.HolidaysAreServiceDays ?? tier.HolidaysAreServiceDays };
        }
        if (spec.Gtr is { } gtr)
            tier = tier with
            {
                Blocking = ParseGtr("spec.gtr.blocking", gtr.Blocking, tier.Blocking, problems),
                Major = ParseGtr("spec.gtr.major", gtr.Major, tier.Major, problems),
                Minor = ParseGtr("spec.gtr.minor", gtr.Minor, tier.Minor, problems),
            };
        return tier;
    }

    private static LocalTime Time(string field, string? text, LocalTime fallback, List<SpecProblem> problems)
    {
        if (text is null) return fallback;
        var parsed = LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(text);
        if (parsed.Success) return parsed.Value;
        problems.Add(new(field, "InvalidTime", $"\"{text}\" is not a time like 08:00"));
        return fallback;
    }

    private static Gtr ParseGtr(string field, string? text, Gtr fallback, List<SpecProblem> problems)
    {
        if (text is null) return fallback;
        var m = Regex.Match(text, "^([1-9][0-9]{0,3})(h|d)$");
        if (m.Success) return new Gtr(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value == "d");
        problems.Add(new(field, "InvalidGtr", $"\"{text}\" is not a GTR like 4h (service hours) or 2d (service days)"));
        return fallback;
    }

    private static IEnumerable<SpecProblem> DurationProblem(string field, string? text, Duration max)
    {
        Duration? d;
        try { d = Durations.Parse(text); }
        catch (FormatException e) { return [new SpecProblem(field, "InvalidDuration", e.Message)]; }
        if (d is { } v && (v <= Duration.Zero || v > max)) return [new SpecProblem(field, "InvalidDuration", $"must be between 0 and {max.TotalSeconds:0}s")];
        return [];
    }

    private static Duration DurationOrDefault(string field, string? text, Duration fallback, List<SpecProblem> problems, Duration min)
    {
        try
        {
            var d = Durations.Parse(text) ?? fallback;
            if (d >= min && d <= Duration.FromDays(1)) return d;
            problems.Add(new(field, "InvalidDuration", $"must be between {min.TotalSeconds:0}s and 24h"));
        }
        catch (FormatException e) { problems.Add(new(field, "InvalidDuration", e.Message)); }
        return fallback;
    }
}
