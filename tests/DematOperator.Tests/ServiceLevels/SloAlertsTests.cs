using System.Text.Json.Nodes;
using DematOperator.Kube.Crd;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Tests.ServiceLevels;

public sealed class SloAlertsTests
{
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];

    [Fact]
    public void Service_hour_budgets_give_smaller_factors_than_a_720h_month()
    {
        var argentHours = SloAlerts.MonthlyServiceHours(ServiceTier.Argent, 2026, Paris, HolidayCalendar.France);
        var orHours = SloAlerts.MonthlyServiceHours(ServiceTier.Or, 2026, Paris, HolidayCalendar.France);
        // 2026: 261 weekdays minus 9 holidays on weekdays = 252 days of 10 h; OR: 313 Monday-Saturdays of 14 h.
        argentHours.ShouldBe(252 * 10 / 12.0, 1e-9);
        orHours.ShouldBe(313 * 14 / 12.0, 1e-9);
        var page = SloAlerts.For(ServiceTier.Argent, argentHours)[0];
        page.Factor.ShouldBe(0.02 * argentHours, 1e-9);
        page.Factor.ShouldBeLessThan(14.4);
        SloAlerts.For(ServiceTier.Or, orHours)[0].Factor.ShouldBe(0.02 * orHours, 1e-9);
    }

    [Fact]
    public async Task Generated_rules_pass_promtool_and_the_page_fires_on_a_fast_burn_only()
    {
        var hours = SloAlerts.MonthlyServiceHours(ServiceTier.Argent, 2026, Paris, HolidayCalendar.France);
        var group = SloAlerts.RuleGroup("platau-prod", "platau", ServiceTier.Argent, 0.995, hours);
        var dir = Directory.CreateTempSubdirectory("slo-").FullName;
        File.WriteAllText(Path.Combine(dir, "slo.yaml"), DematOperator.Dev.YamlWriter.Write(new JsonObject { ["groups"] = new JsonArray(group) }));
        // Service time advances 60 s per minute; downtime 30 s per minute for the last hour (50 % errors: far past
        // the page threshold), or 0 (no alert).
        File.WriteAllText(Path.Combine(dir, "slo_test.yaml"), """
            rule_files: [slo.yaml]
            evaluation_interval: 1m
            tests:
            - interval: 1m
              input_series:
              - series: 'demat_sla_service_seconds_total{namespace="platau-prod",servicelevel="platau"}'
                values: '0+60x120'
              - series: 'demat_sla_downtime_seconds_total{namespace="platau-prod",servicelevel="platau"}'
                values: '0x60 0+30x60'
              alert_rule_test:
              - eval_time: 50m
                alertname: DematErrorBudgetBurn
                exp_alerts: []
              - eval_time: 120m
                alertname: DematErrorBudgetBurn
                exp_alerts:
                - exp_labels: {severity: critical, tier: ARGENT, window: 1h}
                  exp_annotations:
                    summary: platau-prod/platau is burning its ARGENT error budget
                    description: "At this rate 2 % of the month's error budget (0.5 % of ~210 service hours) goes in 1 service hours (burn rate 4.2)."
                - exp_labels: {severity: critical, tier: ARGENT, window: 6h}
                  exp_annotations:
                    summary: platau-prod/platau is burning its ARGENT error budget
                    description: "At this rate 5 % of the month's error budget (0.5 % of ~210 service hours) goes in 6 service hours (burn rate 1.75)."
                - exp_labels: {severity: warning, tier: ARGENT, window: 5d}
                  exp_annotations:
                    summary: platau-prod/platau is burning its ARGENT error budget
                    description: "At this rate 10 % of the month's error budget (0.5 % of ~210 service hours) goes in 30 service hours (burn rate 0.7)."
            """);
        (await ManifestTests.Promtool(dir, "check", "rules", "slo.yaml")).ShouldBe("");
        (await ManifestTests.Promtool(dir, "test", "rules", "slo_test.yaml")).ShouldBe("");
    }
}
