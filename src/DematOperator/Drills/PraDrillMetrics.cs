using DematOperator.Kube.Metrics;

namespace DematOperator.Drills;

/// <summary>demat_pra_drill_* metrics, labelled by namespace and drill.</summary>
public sealed class PraDrillMetrics(MetricsRegistry registry)
{
    public readonly Gauge LastRun = registry.Gauge("demat_pra_drill_last_run_timestamp_seconds", "Start of the last finished run (Unix seconds).", "namespace", "drill");
    public readonly Gauge LastSuccess = registry.Gauge("demat_pra_drill_last_success_timestamp_seconds", "End of the last successful run (Unix seconds; 0 when none).", "namespace", "drill");
    public readonly Gauge Rto = registry.Gauge("demat_pra_drill_rto_seconds", "Achieved RTO of the last run that measured it.", "namespace", "drill");
    public readonly Gauge Rpo = registry.Gauge("demat_pra_drill_rpo_seconds", "Achieved RPO of the last run that measured it.", "namespace", "drill");
    public readonly Gauge Objective = registry.Gauge("demat_pra_drill_objective_seconds", "RTO and RPO objectives.", "namespace", "drill", "objective");
    public readonly Counter Runs = registry.Counter("demat_pra_drill_runs_total", "Runs that ended, by result (succeeded, failed, aborted, refused).", "namespace", "drill", "result");
    public readonly Gauge Running = registry.Gauge("demat_pra_drill_running", "1 while a run is in progress.", "namespace", "drill");
    public readonly Gauge CoverageGaps = registry.Gauge("demat_pra_drill_coverage_gaps", "Production objects the drill would not bring back (not_backed_up) or has not rehearsed since they appeared (not_rehearsed; 1 while no run succeeded).", "namespace", "drill", "gap");
    public readonly Gauge StepDuration = registry.Gauge("demat_pra_drill_step_duration_seconds", "Duration of each step of the last run.", "namespace", "drill", "step");

    /// <summary>Every series of a deleted drill, the runs counter included.</summary>
    public int Forget(string ns, string drill) => registry.Forget(("namespace", ns), ("drill", drill));

    public void ForgetCoverage(string ns, string drill)
    {
        foreach (var gap in new[] { "not_backed_up", "not_rehearsed" }) CoverageGaps.Remove(ns, drill, gap);
    }
}
