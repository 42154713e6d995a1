using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Restores;

[KubernetesKind(Group.Name, Group.Version, "RestoreRequest", "restorerequests", ShortNames = ["rr"], Categories = [Group.Category],
    Description = "RestoreRequest restores, once, a namespace (or part of it) from a BackupPolicy's recovery point into the same namespace or a new one: the catalogue's \"restauration sur demande\".")]
[PrinterColumn("Policy", "string", ".spec.backupPolicy", Order = 1)]
[PrinterColumn("Phase", "string", ".status.phase", Order = 2)]
[PrinterColumn("Recovery Point", "date", ".status.recoveryPoint.time", Order = 3)]
[PrinterColumn("Consistency", "string", ".status.recoveryPoint.consistency", Order = 4)]
[PrinterColumn("Target", "string", ".status.targetNamespace", Order = 5)]
[PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Order = 6)]
[PrinterColumn("Reason", "string", ".status.conditions[?(@.type==\"Ready\")].reason", Order = 7)]
public sealed class RestoreRequest : KubeObject
{
    [RequiredField] public RestoreRequestSpec Spec { get; set; } = new();
    public RestoreRequestStatus? Status { get; set; }
}

public sealed class RestoreRequestSpec
{
    [RequiredField, Doc("The BackupPolicy, in this namespace, whose recovery point is restored."), Length(1, 253)] public string BackupPolicy { get; set; } = "";
    [Doc("A run of the policy, by name (status.lastRun.name, `kubectl get volumesnapshots,backups.velero.io,runactions -l ops.demat.gouv.fr/backup-run`); the newest successful run when empty.")]
    public string? Run { get; set; }
    [Doc("Or the newest successful run whose data is older than this instant (RFC 3339), e.g. just before a faulty deployment.")] public DateTimeOffset? Before { get; set; }
    [Doc("Which of the policy's target namespaces to restore; this namespace when empty.")] public string? SourceNamespace { get; set; }
    [Doc("Where to restore: this namespace (the default), or a namespace that does not exist yet, which the request creates. An existing other namespace is refused: it may hold another team's objects.")]
    public string? TargetNamespace { get; set; }
    [Doc("Restore into another cluster (Velero: the Backup synced there from the shared storage location; Kasten: the export its K10 imported), through a kubeconfig Secret of this namespace. CSI snapshots stay on their storage: not possible.")]
    public KubeconfigSecretRef? TargetCluster { get; set; }
    public RestoreSelection? Include { get; set; }
    [Doc("Only list what would be restored (status.plan) and whether anything would be overwritten; restore nothing."), Default("false")] public bool? DryRun { get; set; }
    [Doc("none: refuse when an object to restore already exists in the target; update: replace it."), EnumValues("none", "update"), Default("\"none\"")]
    public string? ExistingResourcePolicy { get; set; }
    [Doc("How long the restore may take."), Default("\"1h\""), Pattern(Group.DurationPattern)] public string? Timeout { get; set; }
}

[Doc("A subset of what the recovery point holds; everything when empty.")]
public sealed class RestoreSelection
{
    [Doc("Kinds to restore (e.g. ConfigMap, Deployment, PersistentVolumeClaim).")] public List<string>? Kinds { get; set; }
    [Doc("Only objects with these labels.")] public LabelSelectorSpec? Selector { get; set; }
    [Doc("Only the PersistentVolumeClaims, with their data (the only choice for CSISnapshot, whose recovery points hold nothing else)."), Default("false")] public bool? PvcsOnly { get; set; }
}

public enum RestorePhase { Pending, Planned, Restoring, Succeeded, Failed }

public sealed class RestoreRequestStatus : CommonStatus
{
    public RestorePhase? Phase { get; set; }
    [Doc("The recovery point chosen when the request started: kept, so a newer backup meanwhile changes nothing.")] public ChosenRecoveryPoint? RecoveryPoint { get; set; }
    public string? SourceNamespace { get; set; }
    public string? TargetNamespace { get; set; }
    [Doc("The engine's objects doing the restore (a Velero Restore, K10 RestoreAction, or PersistentVolumeClaims).")] public string? RestoreName { get; set; }
    [Doc("What is (or would be) restored: Kind/name, at most 200 entries.")] public List<string>? Plan { get; set; }
    public int? PlannedItems { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    public DateTimeOffset? CompletionTime { get; set; }
    [Doc("Why it failed, as a CamelCase reason documented in docs/restorerequest.md.")] public string? FailureReason { get; set; }
    public string? Message { get; set; }
    [Doc("The ConfigMap holding report.md and report.json.")] public string? Report { get; set; }
}

public sealed class ChosenRecoveryPoint
{
    public string Run { get; set; } = "";
    public DateTimeOffset? Time { get; set; }
    [Doc("Application or Crash, as the run says.")] public string? Consistency { get; set; }
    public string? Method { get; set; }
}

/// <summary>Why a RestoreRequest ended Failed (status.failureReason), each documented in docs/restorerequest.md.</summary>
public static class RestoreReasons
{
    public const string PolicyNotFound = nameof(PolicyNotFound);
    public const string NoRecoveryPoint = nameof(NoRecoveryPoint);
    public const string RunNotFound = nameof(RunNotFound);
    public const string NamespaceNotBackedUp = nameof(NamespaceNotBackedUp);
    public const string TargetNamespaceNotAllowed = nameof(TargetNamespaceNotAllowed);
    public const string WouldOverwrite = nameof(WouldOverwrite);
    public const string NothingToRestore = nameof(NothingToRestore);
    public const string RestoreFailed = nameof(RestoreFailed);
    public const string RestoreTimedOut = nameof(RestoreTimedOut);
    public const string NothingRestored = nameof(NothingRestored);
    public const string SpecChanged = nameof(SpecChanged);
    public const string SnapshotsAreLocal = nameof(SnapshotsAreLocal);
    public const string NotOnTargetCluster = nameof(NotOnTargetCluster);
    public const string TargetClusterUnusable = nameof(TargetClusterUnusable);
}
