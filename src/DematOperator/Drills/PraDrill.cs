using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Drills;

[KubernetesKind(Group.Name, Group.Version, "PraDrill", "pradrills", ShortNames = ["pra"], Categories = [Group.Category],
    Description = "PraDrill rehearses (or runs) the disaster-recovery plan: production restored from SBG backups onto RBX, measured against RTO and RPO.")]
[PrinterColumn("Mode", "string", ".spec.mode", Order = 1)]
[PrinterColumn("Phase", "string", ".status.phase", Order = 2)]
[PrinterColumn("Step", "string", ".status.currentRun.step", Order = 3)]
[PrinterColumn("Last Result", "string", ".status.lastResult", Order = 4)]
[PrinterColumn("RTO", "string", ".status.lastRto", Order = 5)]
[PrinterColumn("Last Success", "date", ".status.lastSuccessfulTime", Order = 6)]
[PrinterColumn("Next Run", "string", ".status.nextScheduleTime", Order = 7)]
[PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Order = 8)]
public sealed class PraDrill : KubeObject
{
    [RequiredField] public PraDrillSpec Spec { get; set; } = new();
    public PraDrillStatus? Status { get; set; }
}

public sealed class PraDrillSpec
{
    [Doc("Cron expression of scheduled rehearsals (at least yearly, in off-hours)."), Length(1, 256)] public string? Schedule { get; set; }
    [Doc("IANA time zone of the schedule and of the times the reports show."), Default("\"Europe/Paris\"")] public string? TimeZone { get; set; }
    [Doc("No scheduled runs while true; on-demand runs still start."), Default("false")] public bool? Suspend { get; set; }
    [Doc("Rehearsal restores, verifies, measures and rolls back; Failover is the real PRA (no rollback, needs ops.demat.gouv.fr/confirm-failover)."),
     EnumValues("Rehearsal", "Failover"), Default("\"Rehearsal\"")]
    public string? Mode { get; set; }
    [Doc("The contract's objectives the run is measured against: RTO 2h and RPO 4h by default (CCTP).")] public DrillObjectives? Objectives { get; set; }
    [RequiredField, Doc("Production: the cluster (SBG) and the namespaces the PRA restores.")] public DrillSource Source { get; set; } = new();
    [Doc("The recovery cluster; the local cluster (where the operator runs) when absent.")] public DrillTarget? Target { get; set; }
    [RequiredField, Doc("Which backups the drill restores: the engine (Velero or Kasten) and the BackupPolicy or Schedule that makes them.")]
    public DrillBackup Backup { get; set; } = new();
    [Doc("How production is restored on the target: namespace names and the time allowed.")] public DrillRestore? Restore { get; set; }
    [Doc("Test environments stopped on the target to make room, and given back exactly afterwards.")] public DrillQuiesce? Quiesce { get; set; }
    [Doc("What proves the restored production serves: workloads ready, HTTP checks, a Job, commands whose output shows the data came back.")]
    public DrillVerify? Verify { get; set; }
    [Doc("When and how a rehearsal gives the target back: restored namespaces deleted, test environments restored exactly.")] public DrillRollback? Rollback { get; set; }
    [Doc("Runs kept in status.history."), Default("10"), Range(1, 50)] public int? HistoryLimit { get; set; }
    [Doc("What the PRA must cover on the source: production that no backup of the drill holds, or that appeared since its last successful run, makes CoverageComplete False.")]
    public DrillCoverage? Coverage { get; set; }
}

public sealed class DrillCoverage
{
    [RequiredField, Doc("The production namespaces, on the source cluster.")] public LabelSelectorSpec NamespaceSelector { get; set; } = new();
}

public sealed class DrillObjectives
{
    [Doc("Recovery time objective: from the run's start to verified service."), Default("\"2h\""), Pattern(Group.DurationPattern)] public string? Rto { get; set; }
    [Doc("Recovery point objective: maximum age of the restored data at the run's start."), Default("\"4h\""), Pattern(Group.DurationPattern)] public string? Rpo { get; set; }
}

public sealed class DrillSource
{
    [Doc("Kubeconfig of the production cluster; the local cluster when absent. It may be unreachable: the drill works from the shared backup storage.")]
    public KubeconfigSecretRef? Kubeconfig { get; set; }
    [RequiredField, Doc("Production namespaces to restore."), Items(1)] public List<string> Namespaces { get; set; } = [];
}

public sealed class DrillTarget
{
    [Doc("Kubeconfig of the recovery cluster; the local cluster when absent.")] public KubeconfigSecretRef? Kubeconfig { get; set; }
}

public sealed class DrillBackup
{
    [Doc("The engine whose backups the drill restores: Velero (a Backup synced from the shared storage location) or Kasten (an exported RestorePoint the target's K10 imported)."),
     EnumValues("Velero", "Kasten"), Default("\"Velero\"")]
    public string? Engine { get; set; }
    [Doc("A BackupPolicy of that engine's method: with Velero its newest completed backup is restored; with Kasten it tells the coverage what is backed up.")] public string? BackupPolicy { get; set; }
    [Doc("Namespace of the BackupPolicy; the PraDrill's when empty.")] public string? BackupPolicyNamespace { get; set; }
    [Doc("Or a Velero Schedule name whose newest completed backup is restored.")] public string? VeleroSchedule { get; set; }
    [Doc("Namespace of Velero on the target."), Default("\"openshift-adp\"")] public string? VeleroNamespace { get; set; }
    [Doc("With engine Kasten: where K10 runs on the target and which export it restores from.")] public DrillKasten? Kasten { get; set; }
}

public sealed class DrillKasten
{
    [Doc("Namespace of K10 on the target (its location profiles, and the drill's lock)."), Default("\"kasten-io\""), Length(1, 63)] public string? Namespace { get; set; }
    [RequiredField, Doc("The location profile production exports to: only restore points exported there (and imported on the target) are restored."), Length(1, 253)]
    public string ExportProfile { get; set; } = "";
}

public sealed class DrillRestore
{
    [Doc("Restore production namespaces under other names (source: target); same names when empty.")] public Dictionary<string, string>? NamespaceMapping { get; set; }
    [Doc("How long the restore (Velero Restore or K10 RestoreActions) may take."), Default("\"1h\""), Pattern(Group.DurationPattern)] public string? Timeout { get; set; }
}

public sealed class DrillQuiesce
{
    [Doc("Test environments by name (PreProd, Validation, Démonstrateur, Performance): their Deployments and StatefulSets scaled to 0, CronJobs suspended.")]
    public List<string>? Namespaces { get; set; }
    [Doc("Or by label.")] public LabelSelectorSpec? NamespaceSelector { get; set; }
}

public sealed class DrillVerify
{
    [Doc("Time allowed for the whole verification."), Default("\"30m\""), Pattern(Group.DurationPattern)] public string? Timeout { get; set; }
    [Doc("Wait for every restored Deployment and StatefulSet to be ready."), Default("true")] public bool? Workloads { get; set; }
    [Doc("HTTP checks that must answer as expected.")] public List<DrillHttpCheck>? Http { get; set; }
    [Doc("A verification Job (e.g. smoke tests) created in the first restored namespace; it must succeed.")] public DrillJob? Job { get; set; }
    [Doc("Commands run in restored pods whose output proves the data came back (a count of collections, of rows...).")] public List<DrillExecCheck>? Exec { get; set; }
}

public sealed class DrillExecCheck
{
    [RequiredField, Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] public string Name { get; set; } = "";
    [Doc("Production namespace (as in source.namespaces) whose restored copy holds the pod; the first one when empty.")] public string? Namespace { get; set; }
    [Doc("A ready pod of this restored workload runs the command.")] public WorkloadRef? Workload { get; set; }
    [Doc("Or this pod, by name (e.g. mongodb-0).")] public string? Pod { get; set; }
    [Doc("Container of the pod; the first one when empty.")] public string? Container { get; set; }
    [RequiredField, Items(1), Doc("The command and its arguments, run without a shell (e.g. [mongosh, --quiet, --eval, 'db.getCollectionNames().length']).")]
    public List<string> Command { get; set; } = [];
    [RequiredField, Doc("What the output (stdout, trimmed) must show.")] public DrillExpectedOutput Expect { get; set; } = new();
    [Doc("Time allowed for one run of the command."), Default("\"1m\""), Pattern(Group.DurationPattern)] public string? Timeout { get; set; }
}

public sealed class DrillExpectedOutput
{
    [Doc("A regular expression (.NET syntax) the output must match.")] public string? Regex { get; set; }
    [Doc("The output must be a number at least this big.")] public long? Minimum { get; set; }
}

public sealed class DrillHttpCheck
{
    [RequiredField, Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] public string Name { get; set; } = "";
    [RequiredField] public string Url { get; set; } = "";
    [Doc("Expected status codes; 200-399 when empty.")] public List<int>? ExpectedStatus { get; set; }
    [Default("false")] public bool? InsecureSkipVerify { get; set; }
}

public sealed class DrillJob
{
    [Doc("Namespace of the Job; the first restored namespace when empty.")] public string? Namespace { get; set; }
    [RequiredField, Doc("A batch/v1 JobSpec."), PreserveUnknownFields] public JsonObject Template { get; set; } = new();
}

public sealed class DrillRollback
{
    [Doc("How long a successful rehearsal stays up for inspection before it is rolled back (Go duration)."), Default("\"0s\""), Pattern(Group.DurationPattern)]
    public string? After { get; set; }
}

public sealed class PraDrillStatus : CommonStatus
{
    public DrillPhase? Phase { get; set; }
    public DrillRunStatus? CurrentRun { get; set; }
    [Doc("Result of the last finished run.")] public DrillResult? LastResult { get; set; }
    [Doc("Achieved RTO of the last finished run.")] public string? LastRto { get; set; }
    public DateTimeOffset? LastRunTime { get; set; }
    public DateTimeOffset? LastSuccessfulTime { get; set; }
    public DateTimeOffset? LastScheduleTime { get; set; }
    public DateTimeOffset? NextScheduleTime { get; set; }
    [Doc("The last ops.demat.gouv.fr/run-now value acted on.")] public string? LastRunNowRequest { get; set; }
    [Doc("The last ops.demat.gouv.fr/abort value acted on.")] public string? LastAbortRequest { get; set; }
    [Doc("Finished runs, newest first.")] public List<DrillRunSummary>? History { get; set; }
    [Doc("Production the PRA does not cover (spec.coverage), as last assessed on the source.")] public List<CoverageGap>? CoverageGaps { get; set; }
}

public sealed class CoverageGap
{
    [EnumValues("Namespace", "PersistentVolumeClaim", "Deployment", "StatefulSet")] public string Kind { get; set; } = "";
    public string Namespace { get; set; } = "";
    public string Name { get; set; } = "";
    [EnumValues("NotBackedUp", "NotRehearsed")] public string Gap { get; set; } = "";
    public string Message { get; set; } = "";
}

public sealed class DrillRunStatus
{
    public string Name { get; set; } = "";
    public DrillMode Mode { get; set; }
    public DrillTrigger Trigger { get; set; }
    [Doc("The simulated disaster: RTO counts from here.")] public DateTimeOffset StartTime { get; set; }
    public DrillStepName? Step { get; set; }
    public List<DrillStep> Steps { get; set; } = [];
    [Doc("Set when the run failed or was aborted: the rollback follows.")] public string? FailureReason { get; set; }
    [Doc("Why, as a CamelCase reason documented in docs/pradrill.md (NothingRestored, RecoveryPointTooOld...).")] public string? FailureCode { get; set; }
    [Doc("An abort was requested: no more waiting, roll back now.")] public bool? AbortRequested { get; set; }
    public string? BackupName { get; set; }
    [Doc("When the restored data was taken (the backup's start).")] public DateTimeOffset? BackupTime { get; set; }
    public string? RestoreName { get; set; }
    [Doc("What the run restores, per production namespace (Kasten: one exported restore point content each).")] public List<DrillRecoveryPoint>? RecoveryPoints { get; set; }
    [Doc("Namespaces this run created on the target (the only ones its rollback deletes).")] public List<string>? CreatedNamespaces { get; set; }
    [Doc("Workloads this run stopped, with what they had.")] public List<QuiescedObject>? Quiesced { get; set; }
    public DateTimeOffset? VerifiedTime { get; set; }
    public long? RtoSeconds { get; set; }
    public long? RpoSeconds { get; set; }
    public bool? SourceReachable { get; set; }
    public List<string>? Checks { get; set; }
    [Doc("What each exec check printed (truncated, secrets of the restored namespaces redacted).")] public List<ExecEvidence>? Outputs { get; set; }
    public string? Report { get; set; }
}

public sealed class DrillRecoveryPoint
{
    public string Namespace { get; set; } = "";
    public string Name { get; set; } = "";
    public DateTimeOffset? DataTime { get; set; }
}

public sealed class ExecEvidence
{
    public string Name { get; set; } = "";
    public string Pod { get; set; } = "";
    public string Command { get; set; } = "";
    public int? ExitCode { get; set; }
    public string Output { get; set; } = "";
    public bool Passed { get; set; }
}

public sealed class DrillStep
{
    public DrillStepName Name { get; set; }
    public StepState State { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    public DateTimeOffset? EndTime { get; set; }
    public string? Message { get; set; }
}

public sealed class QuiescedObject
{
    [EnumValues("Deployment", "StatefulSet", "CronJob")] public string Kind { get; set; } = "";
    public string Namespace { get; set; } = "";
    public string Name { get; set; } = "";
    public int? Replicas { get; set; }
    public bool? Suspend { get; set; }
}

public sealed class DrillRunSummary
{
    public string Name { get; set; } = "";
    public DrillMode Mode { get; set; }
    public DrillResult Result { get; set; }
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset? EndTime { get; set; }
    public long? RtoSeconds { get; set; }
    public long? RpoSeconds { get; set; }
    public bool? RtoMet { get; set; }
    public bool? RpoMet { get; set; }
    public string? BackupName { get; set; }
    public string? Report { get; set; }
    [Doc("Why a run did not succeed, as a CamelCase reason documented in docs/pradrill.md.")] public string? Reason { get; set; }
    public string? Message { get; set; }
    [Doc("Each step's state, times and message as the run left them (status.currentRun.steps while it runs).")] public List<DrillStep>? Steps { get; set; }
}

/// <summary>Why a drill run did not succeed: the reasons of history[].reason, each documented in docs/pradrill.md.</summary>
public static class DrillReasons
{
    public const string AnotherDrillRunning = nameof(AnotherDrillRunning);
    public const string TargetUnreachable = nameof(TargetUnreachable);
    public const string VeleroNotInstalled = nameof(VeleroNotInstalled);
    public const string KastenNotInstalled = nameof(KastenNotInstalled);
    public const string NoCompletedBackup = nameof(NoCompletedBackup);
    public const string RecoveryPointTooOld = nameof(RecoveryPointTooOld);
    public const string BackupMissesNamespace = nameof(BackupMissesNamespace);
    public const string NamespaceExists = nameof(NamespaceExists);
    public const string RestoreFailed = nameof(RestoreFailed);
    public const string RestoreTimedOut = nameof(RestoreTimedOut);
    public const string NothingRestored = nameof(NothingRestored);
    public const string WorkloadNotReady = nameof(WorkloadNotReady);
    public const string VolumeNotBound = nameof(VolumeNotBound);
    public const string HttpCheckFailed = nameof(HttpCheckFailed);
    public const string JobFailed = nameof(JobFailed);
    public const string DataCheckFailed = nameof(DataCheckFailed);
    public const string NoVerification = nameof(NoVerification);
    public const string RecoveryTimeTooLong = nameof(RecoveryTimeTooLong);
    public const string Aborted = nameof(Aborted);
    public const string Deleted = nameof(Deleted);
    public const string SpecInvalid = nameof(SpecInvalid);
    public const string StepFailed = nameof(StepFailed);
}
