using DematOperator.Kube.Metrics;

namespace DematOperator.ServiceLevels;

/// <summary>demat_sla_* and demat_probe_* metrics, labelled by namespace, servicelevel, tier and environment.</summary>
public sealed class ServiceLevelMetrics(MetricsRegistry registry)
{
    private static readonly string[] Sl = ["namespace", "servicelevel", "tier", "environment"];
    public readonly Gauge Availability = registry.Gauge("demat_sla_availability_ratio", "Availability in service hours: the current month so far, or the previous month.", [.. Sl, "period"]);
    public readonly Gauge Coverage = registry.Gauge("demat_sla_coverage_ratio", "Measured service time / service time of the current month so far (below spec.minimumCoverage: insufficient data).", Sl);
    public readonly Gauge Objective = registry.Gauge("demat_sla_objective_ratio", "Monthly availability objective.", Sl);
    public readonly Gauge BudgetRemaining = registry.Gauge("demat_sla_error_budget_remaining_ratio", "Share of this month's error budget not yet spent (negative when overspent).", Sl);
    public readonly Counter ServiceSeconds = registry.Counter("demat_sla_service_seconds_total", "Service time measured (advances only inside service hours, outside maintenance).", Sl);
    public readonly Counter DowntimeSeconds = registry.Counter("demat_sla_downtime_seconds_total", "Service time with a blocking incident open.", Sl);
    public readonly Gauge UnknownSeconds = registry.Gauge("demat_sla_unknown_seconds", "Service time of this month without data (operator down).", Sl);
    public readonly Gauge InServiceHours = registry.Gauge("demat_sla_in_service_hours", "1 inside a service window.", Sl);
    public readonly Gauge Up = registry.Gauge("demat_sla_up", "1 when no critical probe is down.", Sl);
    public readonly Gauge ProbeSuccess = registry.Gauge("demat_probe_success", "1 when the probe's last attempt succeeded.", [.. Sl, "probe"]);
    public readonly Gauge ProbeDuration = registry.Gauge("demat_probe_duration_seconds", "Duration of the probe's last attempt.", [.. Sl, "probe"]);
    public readonly Counter Incidents = registry.Counter("demat_sla_incidents_total", "Incidents opened, by severity.", [.. Sl, "severity"]);
    public readonly Gauge IncidentsOpen = registry.Gauge("demat_sla_incidents_open", "Incidents open, by severity.", [.. Sl, "severity"]);
    public readonly Gauge WithinGtr = registry.Gauge("demat_sla_incidents_within_gtr_ratio", "Share of this month's resolved incidents resolved within their GTR.", [.. Sl, "severity"]);
    public readonly Gauge GtrDeadline = registry.Gauge("demat_sla_incident_gtr_deadline_timestamp_seconds", "Earliest GTR deadline of the open incidents (Unix seconds).", [.. Sl, "severity"]);

    public readonly Gauge Indicator = registry.Gauge("demat_indicator_value", "The contract's indicators of the current month so far (IND_DISP availability ratio, IND_INC share within GTR, IND_SUP open count, GTI_* mean seconds); absent when sans objet or insufficient data.", [.. Sl, "indicator"]);
    public readonly Gauge IndicatorObjective = registry.Gauge("demat_indicator_objective", "Objective of each indicator that has one (IND_DISP, IND_INC).", [.. Sl, "indicator"]);

    /// <summary>Every series of a deleted ServiceLevel, counters included, whatever tier or environment it was labelled with.</summary>
    public int Forget(string ns, string serviceLevel) => registry.Forget(("namespace", ns), ("servicelevel", serviceLevel));
}
