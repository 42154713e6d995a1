using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;

namespace DematOperator.ServiceLevels;

/// <summary>The monthly report as JSON (for tools) and as text an ops engineer pastes into the monthly review.</summary>
public static class SlaReportWriter
{
    private static readonly OffsetDateTimePattern Rfc3339 = OffsetDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'sso<Z+HH:mm>");
    private static readonly Severity[] Severities = [Severity.Blocking, Severity.Major, Severity.Minor];

    public static JsonObject Json(MonthlyReport report, DateTimeZone zone)
    {
        string Time(Instant i) => Rfc3339.Format(i.InZone(zone).ToOffsetDateTime());
        var ratios = new JsonObject();
        foreach (var s in Severities) ratios[Name(s)] = report.WithinGtrRatio(s) is { } r ? JsonValue.Create(r) : null;
        return new JsonObject
        {
            ["tier"] = report.Tier,
            ["month"] = report.Month.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            ["timeZone"] = zone.Id,
            ["objective"] = report.Objective,
            ["serviceSeconds"] = (long)report.ServiceTime.TotalSeconds,
            ["maintenanceSeconds"] = (long)report.MaintenanceTime.TotalSeconds,
            ["downtimeSeconds"] = (long)report.Downtime.TotalSeconds,
            ["availability"] = report.Availability,
            ["met"] = report.Met,
            ["errorBudgetSeconds"] = (long)report.ErrorBudget.TotalSeconds,
            ["incidents"] = new JsonArray([.. report.Incidents.Select(i => (JsonNode)new JsonObject
            {
                ["start"] = Time(i.Outage.Start),
                ["end"] = i.Outage.End is { } e ? Time(e) : null,
                ["severity"] = Name(i.Outage.Severity),
                ["deadline"] = Time(i.Deadline),
                ["withinGtr"] = i.WithinGtr,
            })]),
            ["withinGtrRatio"] = ratios,
        };
    }

    public static string Text(MonthlyReport report, DateTimeZone zone, ServiceTier tier)
    {
        string Time(Instant i) => i.InZone(zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        string Hours(Duration d) => $"{d.TotalHours:0.##} h";
        var sb = new StringBuilder();
        sb.AppendLine($"Service level report, {report.Month.ToString("yyyy-MM", CultureInfo.InvariantCulture)}, tier {report.Tier} ({zone.Id})");
        sb.AppendLine($"  Service hours:   {tier.Opens:HH:mm}-{tier.Closes:HH:mm}, {string.Join(", ", tier.Days.Order().Select(d => d.ToString()[..3]))}, public holidays {(tier.HolidaysAreServiceDays ? "included" : "excluded")}");
        sb.AppendLine($"  Service time:    {Hours(report.ServiceTime)} (maintenance excluded: {Hours(report.MaintenanceTime)})");
        sb.AppendLine($"  Downtime:        {Hours(report.Downtime)} (error budget {Hours(report.ErrorBudget)})");
        sb.AppendLine($"  Availability:    {report.Availability * 100:0.000} % (objective {report.Objective * 100:0.0} %): {(report.Met ? "MET" : "NOT MET")}");
        sb.AppendLine($"  Incidents:       {report.Incidents.Count}");
        foreach (var s in Severities)
        {
            var count = report.Incidents.Count(i => i.Outage.Severity == s);
            var ratio = report.WithinGtrRatio(s);
            sb.AppendLine($"    {Name(s),-9} {count,3}, GTR {tier.For(s)}, resolved within GTR: {(ratio is { } r ? $"{r * 100:0.#} %" : "n/a")}");
        }
        if (report.Incidents.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("  start              end                severity  deadline           within GTR");
            foreach (var i in report.Incidents)
                sb.AppendLine($"  {Time(i.Outage.Start)}   {(i.Outage.End is { } e ? Time(e) : "open            ")}   {Name(i.Outage.Severity),-8}  {Time(i.Deadline)}   {(i.WithinGtr is { } w ? (w ? "yes" : "NO") : "open")}");
        }
        return sb.ToString();
    }

    public static string Name(Severity s) => s.ToString().ToLowerInvariant();
}
