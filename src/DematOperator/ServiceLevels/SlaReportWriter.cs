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

    /// <summary>In French, the contract's words, every time ISO 8601 with its offset (as the monthly report).</summary>
    public static string Text(MonthlyReport report, DateTimeZone zone, ServiceTier tier)
    {
        var inv = CultureInfo.InvariantCulture;
        string Time(Instant i) => Api.PersonTime.Format(i, zone);
        string Hours(Duration d) => d.TotalHours.ToString("0.##", inv) + " h";
        string Pct(double ratio, string format) => (ratio * 100).ToString(format, inv) + " %";
        string Gtr(Gtr g) => g.InDays ? $"{g.Amount} jour(s) de service" : $"{g.Amount} h de service";
        string[] days = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
        var sb = new StringBuilder();
        sb.AppendLine($"Rapport de niveau de service, {report.Month.ToString("yyyy-MM", inv)}, palier {report.Tier} ({zone.Id})");
        var weekDays = string.Join(", ", tier.Days.Order().Select(d => days[(int)d - 1]));
        sb.AppendLine($"  Heures de service : {tier.Opens.ToString("HH:mm", inv)}-{tier.Closes.ToString("HH:mm", inv)}, {weekDays}, "
                      + $"jours fériés {(tier.HolidaysAreServiceDays ? "inclus" : "exclus")}");
        sb.AppendLine($"  Temps de service : {Hours(report.ServiceTime)} (maintenance exclue : {Hours(report.MaintenanceTime)})");
        sb.AppendLine($"  Indisponibilité :  {Hours(report.Downtime)} (budget d'indisponibilité {Hours(report.ErrorBudget)})");
        sb.AppendLine($"  Disponibilité :    {Pct(report.Availability, "0.000")} (objectif {Pct(report.Objective, "0.0")}) : "
                      + (report.Met ? "atteint" : "NON ATTEINT"));
        sb.AppendLine($"  Incidents :        {report.Incidents.Count}");
        foreach (var s in Severities)
        {
            var count = report.Incidents.Count(i => i.Outage.Severity == s);
            var ratio = report.WithinGtrRatio(s);
            sb.AppendLine($"    {ContractIndicators.FrenchSeverity(s),-9} {count,3}, GTR {Gtr(tier.For(s))}, "
                          + $"résolus dans la GTR : {(ratio is { } r ? Pct(r, "0.#") : "sans objet")}");
        }
        if (report.Incidents.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("  début                       fin                         gravité    échéance GTR                dans la GTR");
            foreach (var i in report.Incidents)
            {
                var end = i.Outage.End is { } e ? Time(e) : "en cours                 ";
                var within = i.WithinGtr is { } w ? (w ? "oui" : "NON") : "en cours";
                sb.AppendLine($"  {Time(i.Outage.Start)}   {end}   {ContractIndicators.FrenchSeverity(i.Outage.Severity),-9}  {Time(i.Deadline)}   {within}");
            }
        }
        return sb.ToString();
    }

    public static string Name(Severity s) => s.ToString().ToLowerInvariant();
}
