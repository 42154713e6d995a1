using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Backups;

[KubernetesKind(Group.Name, Group.Version, "BackupPolicy", "backuppolicies", ShortNames = ["bp"], Categories = [Group.Category],
    Description = "BackupPolicy schedules CSI snapshots, Velero backups or Kasten K10 backups of namespaces and proves the recovery point objective (RPO).")]
[PrinterColumn("Method", "string", ".spec.method", Order = 1)]
[PrinterColumn("Schedule", "string", ".spec.schedule", Order = 2)]
[PrinterColumn("RPO", "string", ".spec.rpo", Order = 3)]
[PrinterColumn("RPO Met", "string", ".status.conditions[?(@.type==\"RecoveryPointObjectiveMet\")].status", Order = 4)]
[PrinterColumn("Recovery Point", "date", ".status.recoveryPoint", Order = 5)]
[PrinterColumn("Next Run", "string", ".status.nextScheduleTime", Order = 6)]
[PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Order = 7)]
public sealed class BackupPolicy : KubeObject
{
    [RequiredField] public BackupPolicySpec Spec { get; set; } = new();
    public BackupPolicyStatus? Status { get; set; }
}

public sealed class BackupPolicySpec
{
    [RequiredField, Doc("Standard 5-field cron expression (names and @hourly/@daily/@weekly/@monthly/@yearly accepted)."), Length(1, 256)]
    public string Schedule { get; set; } = "";
    [Doc("IANA time zone the schedule and GFS retention are evaluated in."), Default("\"UTC\""), Length(1, 64)]
    public string? TimeZone { get; set; }
    [Doc("Stops scheduling new runs; existing backups are kept."), Default("false")]
    public bool? Suspend { get; set; }
    [Doc("How late a missed slot may still start (Go duration); older missed slots are counted as missed."), Pattern(Group.DurationPattern)]
    public string? StartingDeadline { get; set; }
    [Doc("Recovery point objective: the newest restorable data must never be older than this."), Default("\"4h\""), Pattern(Group.DurationPattern)]
    public string? Rpo { get; set; }
    [RequiredField] public BackupTarget Target { get; set; } = new();
    [RequiredField, EnumValues("CSISnapshot", "Velero", "Kasten"),
     Doc("The engine: CSISnapshot (VolumeSnapshots of the selected claims, in the cluster), Velero (OADP Backups to object storage, restorable on another cluster) or Kasten (K10 actions and RestorePoints).")]
    public string Method { get; set; } = "";
    [Doc("With method CSISnapshot: the VolumeSnapshotClass to use.")] public CsiSnapshotOptions? CsiSnapshot { get; set; }
    [Doc("With method Velero: where Velero runs and stores, and how it takes volumes.")] public VeleroOptions? Velero { get; set; }
    public KastenOptions? Kasten { get; set; }
    public RetentionSpec? Retention { get; set; }
    [Doc("Commands run in a workload's pods around each run's capture, for application-consistent recovery points (CSISnapshot: run by the operator; Velero: as Velero's backup hooks, the operator thawing what Velero skipped). The post-hook runs whatever happened after its pre-hook.")]
    public List<BackupHook>? Hooks { get; set; }
    [Doc("What happens to the backups when the policy is deleted."), EnumValues("Retain", "Delete"), Default("\"Retain\"")]
    public string? DeletionPolicy { get; set; }
}

[Doc("What to back up.")]
public sealed class BackupTarget
{
    /// <summary>The namespaces listed and those the selector matches, as the controller, restores and the report resolve them.</summary>
    public async Task<List<string>> ResolveAsync(Kube.Client.KubeClient client, CancellationToken ct)
    {
        var names = new List<string>(Namespaces ?? []);
        if (NamespaceSelector is { } selector)
            names.AddRange((await client.ListAsync(Resources.Namespaces, null, new Kube.Client.ListRequest(selector.ToSelector().ToString()), ct)).Items.Select(n => n.Name));
        return [.. names.Distinct()];
    }

    [Doc("Namespaces to back up.")] public List<string>? Namespaces { get; set; }
    [Doc("Alternatively, namespaces whose labels match.")] public LabelSelectorSpec? NamespaceSelector { get; set; }
    [Doc("Only PersistentVolumeClaims (and, for Velero, objects) with these labels.")] public LabelSelectorSpec? Selector { get; set; }
}

public sealed class CsiSnapshotOptions
{
    [RequiredField, Doc("VolumeSnapshotClass used for every snapshot.")] public string VolumeSnapshotClassName { get; set; } = "";
    [Doc("How long a run may wait for its snapshots to be readyToUse."), Default("\"10m\""), Pattern(Group.DurationPattern)]
    public string? Timeout { get; set; }
}

public sealed class VeleroOptions
{
    [Doc("Namespace where Velero (or OADP) runs."), Default("\"openshift-adp\"")] public string? Namespace { get; set; }
    [Doc("BackupStorageLocation name; shared between SBG and RBX for cross-site recovery."), Default("\"default\"")] public string? StorageLocation { get; set; }
    [Doc("Velero TTL of each backup."), Pattern(Group.DurationPattern)] public string? Ttl { get; set; }
    [Doc("Take volume snapshots as part of the backup."), Default("true")] public bool? SnapshotVolumes { get; set; }
    [Doc("Move snapshot data to the object storage (needed to restore on another site).")] public bool? SnapshotMoveData { get; set; }
}

[Doc("Veeam Kasten K10: each slot runs a K10 Policy (a RunAction) or, without one, backs up each target namespace (a BackupAction); the RestorePoints are the recovery points.")]
public sealed class KastenOptions
{
    [Doc("Namespace where K10 runs and its Policies and Profiles live."), Default("\"kasten-io\""), Length(1, 63)] public string? Namespace { get; set; }
    [Doc("A K10 Policy (config.kio.kasten.io) to run at each slot; it must select the target namespaces. Its own retention then applies: spec.retention is ignored."), Length(1, 253)]
    public string? Policy { get; set; }
    [Doc("A K10 location Profile every run must also be exported to (the shared storage a drill on the recovery site restores from). With a policy, its export action must write there; without, DematOperator exports each RestorePoint."), Length(1, 253)]
    public string? ExportProfile { get; set; }
}

[Doc("Freeze a database before its volumes are captured and thaw it after.")]
public sealed class BackupHook
{
    [RequiredField, Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] public string Name { get; set; } = "";
    [Doc("Namespace of the workload, one of the targets; the first target namespace when empty.")] public string? Namespace { get; set; }
    [RequiredField, Doc("The workload whose pod runs the commands; all its PersistentVolumeClaims are captured within one freeze.")] public WorkloadRef Workload { get; set; } = new();
    [Doc("Ready-made commands: MongoDB6 (db.fsyncLock/fsyncUnlock on a secondary), PostgreSQL (CHECKPOINT), RabbitMQ (definitions exported onto the data volume), Elasticsearch7 (a snapshot through its API into `repository`, instead of snapshotting its volumes). Explicit pre/post replace the preset's."),
     EnumValues("MongoDB6", "PostgreSQL", "RabbitMQ", "Elasticsearch7")]
    public string? Preset { get; set; }
    [Doc("Elasticsearch7: the snapshot repository registered in the cluster (PUT _snapshot/<repository>), e.g. an S3 repository on the shared object storage."), Pattern("^[a-z0-9][-_a-z0-9]{0,254}$")]
    public string? Repository { get; set; }
    [Doc("Container of the pod; the pod's first when empty.")] public string? Container { get; set; }
    [Doc("Which ready pod runs the commands, by name: First, or Last (a MongoDB replica set's secondary is usually the last). Default: the preset's, else First."), EnumValues("First", "Last")]
    public string? Pod { get; set; }
    public HookCommand? Pre { get; set; }
    public HookCommand? Post { get; set; }
    [Doc("A failed pre-hook: Fail the run (nothing captured, the post-hook still runs), or Continue with a crash-consistent capture."), EnumValues("Fail", "Continue"), Default("\"Fail\"")]
    public string? OnError { get; set; }
}

public sealed class HookCommand
{
    [RequiredField, Items(1), Doc("The command and its arguments, run without a shell.")] public List<string> Command { get; set; } = [];
    [Doc("How long it may take."), Default("\"1m\""), Pattern(Group.DurationPattern)] public string? Timeout { get; set; }
}

[Doc("Grandfather-father-son retention, computed in the policy's time zone.")]
public sealed class RetentionSpec
{
    [Range(0)] public int? KeepLast { get; set; }
    [Range(0)] public int? KeepHourly { get; set; }
    [Range(0)] public int? KeepDaily { get; set; }
    [Range(0)] public int? KeepWeekly { get; set; }
    [Range(0)] public int? KeepMonthly { get; set; }
    [Range(0)] public int? KeepYearly { get; set; }
    [Doc("How many failed runs to keep for inspection."), Range(0), Default("3")] public int? KeepFailed { get; set; }
}

public sealed class BackupRunRef
{
    public string? Name { get; set; }
    public string? Phase { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    public DateTimeOffset? CompletionTime { get; set; }
    public string? Error { get; set; }
    [Doc("Application (every pre-hook succeeded before the capture) or Crash (no hooks, or a pre-hook failed with onError Continue).")]
    public string? Consistency { get; set; }
}

public sealed class BackupPolicyStatus : CommonStatus
{
    public DateTimeOffset? LastScheduleTime { get; set; }
    public DateTimeOffset? NextScheduleTime { get; set; }
    public DateTimeOffset? LastSuccessfulTime { get; set; }
    [Doc("Time of the newest restorable data.")] public DateTimeOffset? RecoveryPoint { get; set; }
    public BackupRunRef? LastRun { get; set; }
    public int? RetainedRuns { get; set; }
    public long? MissedRuns { get; set; }
    [Doc("Missed slots per month (yyyy-MM in the policy's time zone), the last 13 months.")] public Dictionary<string, long>? MissedByMonth { get; set; }
    [Doc("The last ops.demat.gouv.fr/run-now value acted on.")] public string? LastRunNowRequest { get; set; }
    [Doc("The last ops.demat.gouv.fr/run-before value acted on, and when: the rollback point must complete after that and before the change.")]
    public string? RunBeforeRequest { get; set; }
    public DateTimeOffset? RunBeforeRequestedAt { get; set; }
    [Doc("Consistency of the recovery point: Application or Crash.")] public string? RecoveryPointConsistency { get; set; }
    [Doc("The run whose hooks are going (CSISnapshot): kept here so that a restart never freezes twice and always thaws.")]
    public Hooks.HookRun? ActiveHooks { get; set; }
    [Doc("The last run that ended before any capture because a pre-hook failed (onError Fail).")] public BackupRunRef? LastHookFailure { get; set; }
}
