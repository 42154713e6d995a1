using DematOperator.Kube.Metrics;

namespace DematOperator.Backups;

/// <summary>demat_backup_* metrics, labelled by namespace and policy.</summary>
public sealed class BackupPolicyMetrics(MetricsRegistry registry)
{
    public readonly Gauge LastSuccess = registry.Gauge("demat_backup_last_success_timestamp_seconds", "Completion time of the last successful run (Unix seconds).", "namespace", "policy");
    public readonly Gauge RecoveryPoint = registry.Gauge("demat_backup_recovery_point_timestamp_seconds", "Time of the newest restorable data (Unix seconds).", "namespace", "policy");
    public readonly Gauge Rpo = registry.Gauge("demat_backup_rpo_seconds", "Recovery point objective of the policy, in seconds.", "namespace", "policy");
    public readonly Counter Runs = registry.Counter("demat_backup_runs_total", "Runs that ended, by result (succeeded, failed).", "namespace", "policy", "result");
    public readonly Histogram Duration = registry.Histogram("demat_backup_duration_seconds", "Duration of successful runs.", [30, 60, 300, 600, 1800, 3600, 7200, 14400], "namespace", "policy");
    public readonly Gauge Retained = registry.Gauge("demat_backup_retained_runs", "Runs kept by retention.", "namespace", "policy");
    public readonly Counter Missed = registry.Counter("demat_backup_missed_runs_total", "Scheduled slots that did not run (operator down past the starting deadline, or a run still going).", "namespace", "policy");
    public readonly Gauge Suspended = registry.Gauge("demat_backup_suspended", "1 when the policy is suspended.", "namespace", "policy");

    /// <summary>Every series of a deleted policy, counters and histograms included.</summary>
    public int Forget(string ns, string policy) => registry.Forget(("namespace", ns), ("policy", policy));
}
