using System.Globalization;
using System.Text.Json.Nodes;
using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>One multi-window burn-rate alert: fire when both windows burn the monthly budget this fast.</summary>
public sealed record BurnRateAlert(string Severity, string LongWindow, string ShortWindow, double BudgetFraction, double LongWindowServiceHours, double Factor);

/// <summary>
/// Multi-window burn-rate alerting (Google SRE workbook) for a budget that only exists in service hours.
/// The error ratio is measured in service time only (`demat_sla_downtime_seconds_total` and
/// `demat_sla_service_seconds_total` advance only inside service windows), so the burn-rate factor that
/// consumes a given share of the monthly budget in a window is share × (service hours of the month /
/// service hours of the window), not share × 720 h / window as for a round-the-clock SLO. An OR month has
/// about 364 service hours, an ARGENT or BRONZE month about 210: their factors are 4-7 rather than 14.4.
/// </summary>
public static class SloAlerts
{
    /// <summary>Mean service hours of a month for a tier over a year (holidays included), which fixes the factors.</summary>
    public static double MonthlyServiceHours(ServiceTier tier, int year, DateTimeZone zone, HolidayCalendar holidays)
    {
        var calendar = new ServiceCalendar(tier, zone, holidays);
        var total = Enumerable.Range(1, 12).Sum(m =>
        {
            var month = calendar.Month(new YearMonth(year, m));
            return Intervals.Total(calendar.Windows(month.Start, month.End)).TotalHours;
        });
        return total / 12;
    }

    /// <summary>Page on 2 % of the budget in 1 h or 5 % in 6 h of service time; ticket on 10 % in 3 service days.</summary>
    public static IReadOnlyList<BurnRateAlert> For(ServiceTier tier, double monthServiceHours)
    {
        var day = tier.ServiceDay.TotalHours;
        BurnRateAlert Alert(string severity, string longWindow, string shortWindow, double share, double windowServiceHours) =>
            new(severity, longWindow, shortWindow, share, windowServiceHours, share * monthServiceHours / windowServiceHours);
        return
        [
            Alert("critical", "1h", "5m", 0.02, 1),
            Alert("critical", "6h", "30m", 0.05, 6),
            // Three service days span more wall-clock time (nights, weekends): the window is taken in wall-clock
            // time large enough to hold them, and the factor from their service hours.
            Alert("warning", "5d", "6h", 0.10, 3 * day),
        ];
    }

    /// <summary>The burn-rate rules of a tier, over the error ratio that <paramref name="ratio"/> writes for a window.</summary>
    private static IEnumerable<JsonObject> BurnRules(ServiceTier tier, double objective, double monthServiceHours, Func<string, string> ratio, string summary)
    {
        var budget = 1 - objective;
        foreach (var a in For(tier, monthServiceHours))
        {
            var threshold = (a.Factor * budget).ToString("0.######", CultureInfo.InvariantCulture);
            yield return new JsonObject
            {
                ["alert"] = "DematErrorBudgetBurn",
                ["expr"] = $"{ratio(a.LongWindow)} > {threshold} and {ratio(a.ShortWindow)} > {threshold}",
                ["labels"] = new JsonObject { ["severity"] = a.Severity, ["tier"] = tier.Name, ["window"] = a.LongWindow },
                ["annotations"] = new JsonObject
                {
                    ["summary"] = summary,
                    ["description"] = $"At this rate {a.BudgetFraction:P0} of the month's error budget ({budget:P1} of ~{monthServiceHours:0} service hours) goes in {a.LongWindowServiceHours:0.#} service hours (burn rate {a.Factor:0.##}).",
                },
            };
        }
    }

    /// <summary>
    /// The static twin of the per-ServiceLevel rules, for clusters where the operator does not manage
    /// PrometheusRules: one group per tier, thresholds from the tier's mean monthly service hours, alerts per
    /// (namespace, servicelevel, environment) through the `tier` label of the metrics.
    /// </summary>
    public static JsonObject StaticPrometheusRule(int year, DateTimeZone zone, HolidayCalendar holidays)
    {
        var groups = new JsonArray();
        foreach (var tier in new[] { ServiceTier.Or, ServiceTier.Argent, ServiceTier.Bronze })
        {
            var hours = MonthlyServiceHours(tier, year, zone, holidays);
            const string by = "namespace, servicelevel, environment";
            string Ratio(string window) =>
                $"(sum by ({by}) (rate(demat_sla_downtime_seconds_total{{tier=\"{tier.Name}\"}}[{window}])) / sum by ({by}) (rate(demat_sla_service_seconds_total{{tier=\"{tier.Name}\"}}[{window}])))";
            var rules = new JsonArray([.. BurnRules(tier, tier.Objective, hours, Ratio,
                "{{ $labels.namespace }}/{{ $labels.servicelevel }} is burning its " + tier.Name + " error budget")]);
            groups.Add((JsonNode)new JsonObject { ["name"] = $"demat-sla-{tier.Name.ToLowerInvariant()}", ["rules"] = rules });
        }
        groups.Add((JsonNode)new JsonObject
        {
            ["name"] = "demat-sla",
            ["rules"] = new JsonArray(
                new JsonObject
                {
                    ["alert"] = "DematServiceDown",
                    ["expr"] = "max by (namespace, servicelevel, tier, environment) (demat_sla_up) == 0 and max by (namespace, servicelevel, tier, environment) (demat_sla_in_service_hours) == 1",
                    ["for"] = "2m",
                    ["labels"] = new JsonObject { ["severity"] = "critical" },
                    ["annotations"] = new JsonObject
                    {
                        ["summary"] = "{{ $labels.namespace }}/{{ $labels.servicelevel }} ({{ $labels.tier }}) is down during service hours",
                        ["description"] = "A critical probe fails: a blocking incident is open and its GTR clock is running.",
                    },
                },
                new JsonObject
                {
                    ["alert"] = "DematMonthlyObjectiveAtRisk",
                    ["expr"] = "max by (namespace, servicelevel, tier, environment) (demat_sla_error_budget_remaining_ratio) < 0.25",
                    ["labels"] = new JsonObject { ["severity"] = "warning" },
                    ["annotations"] = new JsonObject
                    {
                        ["summary"] = "{{ $labels.namespace }}/{{ $labels.servicelevel }}: less than a quarter of this month's error budget is left",
                        ["description"] = "The {{ $labels.tier }} objective of this month is at risk.",
                    },
                },
                GtrRule("demat_sla_incident_gtr_deadline_timestamp_seconds", "min by (namespace, servicelevel, tier, environment, severity)", "{{ $labels.namespace }}/{{ $labels.servicelevel }}")),
        });
        return new JsonObject
        {
            ["apiVersion"] = "monitoring.coreos.com/v1",
            ["kind"] = "PrometheusRule",
            ["metadata"] = new JsonObject
            {
                ["name"] = "dematoperator-servicelevels",
                ["namespace"] = "dematoperator-system",
                ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = "dematoperator" },
            },
            ["spec"] = new JsonObject { ["groups"] = groups },
        };
    }

    /// <summary>An open incident whose GTR deadline is less than 30 minutes away (or already passed).</summary>
    private static JsonObject GtrRule(string series, string aggregate, string who) => new()
    {
        ["alert"] = "DematIncidentGtrAtRisk",
        ["expr"] = $"{aggregate} ({series}) - time() < 1800",
        ["labels"] = new JsonObject { ["severity"] = "warning" },
        ["annotations"] = new JsonObject
        {
            ["summary"] = who + ": an open {{ $labels.severity }} incident reaches its GTR deadline in less than 30 minutes",
            ["description"] = "Resolve the incident or escalate: past the deadline it counts against the GTR indicator.",
        },
    };

    /// <summary>A duration as Prometheus writes it (`2m`, `90s`, `1h`).</summary>
    private static string Go(Duration d) => d.TotalSeconds % 3600 == 0 && d > Duration.Zero ? $"{d.TotalHours:0}h"
        : d.TotalSeconds % 60 == 0 && d > Duration.Zero ? $"{d.TotalMinutes:0}m" : $"{Math.Max(0, Math.Round(d.TotalSeconds)):0}s";

    /// <summary>The Prometheus rule group for one ServiceLevel (labels namespace and servicelevel).</summary>
    public static JsonObject RuleGroup(string ns, string name, ServiceTier tier, double objective, double monthServiceHours, Duration? alertAfter = null)
    {
        var downFor = Go(alertAfter ?? Duration.FromMinutes(2));
        var selector = $"namespace=\"{ns}\",servicelevel=\"{name}\"";
        string Ratio(string window) =>
            $"(sum(rate(demat_sla_downtime_seconds_total{{{selector}}}[{window}])) / sum(rate(demat_sla_service_seconds_total{{{selector}}}[{window}])))";
        var rules = new JsonArray();
        rules.Add((JsonNode)new JsonObject
        {
            ["alert"] = "DematServiceDown",
            ["expr"] = $"max(demat_sla_up{{{selector}}}) == 0 and max(demat_sla_in_service_hours{{{selector}}}) == 1",
            ["for"] = downFor,
            ["labels"] = new JsonObject { ["severity"] = "critical", ["tier"] = tier.Name },
            ["annotations"] = new JsonObject
            {
                ["summary"] = $"{ns}/{name} ({tier.Name}) is down during service hours",
                ["description"] = $"A critical probe of {ns}/{name} fails: a blocking incident is open and its GTR clock is running ({tier.Blocking}).",
            },
        });
        foreach (var rule in BurnRules(tier, objective, monthServiceHours, Ratio, $"{ns}/{name} is burning its {tier.Name} error budget")) rules.Add((JsonNode)rule);
        rules.Add((JsonNode)new JsonObject
        {
            ["alert"] = "DematMonthlyObjectiveAtRisk",
            ["expr"] = $"max(demat_sla_error_budget_remaining_ratio{{{selector}}}) < 0.25",
            ["labels"] = new JsonObject { ["severity"] = "warning", ["tier"] = tier.Name },
            ["annotations"] = new JsonObject
            {
                ["summary"] = $"{ns}/{name}: less than a quarter of this month's error budget is left",
                ["description"] = $"The {tier.Name} objective ({objective:P1}) of this month is at risk.",
            },
        });
        rules.Add((JsonNode)GtrRule($"demat_sla_incident_gtr_deadline_timestamp_seconds{{{selector}}}", "min by (severity)", $"{ns}/{name}"));
        return new JsonObject { ["name"] = $"demat-sla-{ns}-{name}", ["rules"] = rules };
    }
}
