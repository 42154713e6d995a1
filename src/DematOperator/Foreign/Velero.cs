namespace DematOperator.Foreign;

/// <summary>velero.io/v1 Backup, as far as DematOperator reads it (velero pkg/apis/velero/v1/backup_types.go).</summary>
public sealed class VeleroBackup : Kube.Api.KubeObject
{
    public VeleroBackupSpec? Spec { get; set; }
    public VeleroBackupStatus? Status { get; set; }

    /// <summary>When its data was taken: the start (the snapshot instant), else the object's creation.</summary>
    public DateTimeOffset DataTime => Status?.StartTimestamp ?? Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch;

    /// <summary>
    /// Whether the backup holds a namespace: Velero's includedNamespaces (empty or `*` for every namespace) minus
    /// excludedNamespaces, which wins.
    /// </summary>
    public bool Holds(string ns)
    {
        var included = Spec?.IncludedNamespaces ?? [];
        return (included.Count == 0 || included.Contains("*") || included.Contains(ns)) && !(Spec?.ExcludedNamespaces ?? []).Contains(ns);
    }
}

public sealed class VeleroBackupSpec
{
    public List<string>? IncludedNamespaces { get; set; }
    public List<string>? ExcludedNamespaces { get; set; }
    public string? StorageLocation { get; set; }
    public bool? SnapshotVolumes { get; set; }
    /// <summary>A Go duration (`720h0m0s`), kept as Velero writes it.</summary>
    public string? Ttl { get; set; }
    public bool? SnapshotMoveData { get; set; }
    public Api.LabelSelectorSpec? LabelSelector { get; set; }
    /// <summary>Commands Velero runs in pods before and after backing them up (backup_types.go BackupHooks).</summary>
    public VeleroBackupHooks? Hooks { get; set; }
}

public sealed class VeleroBackupHooks
{
    public List<VeleroResourceHook>? Resources { get; set; }
}

public sealed class VeleroResourceHook
{
    public string Name { get; set; } = "";
    public List<string>? IncludedNamespaces { get; set; }
    public List<string>? IncludedResources { get; set; }
    public Api.LabelSelectorSpec? LabelSelector { get; set; }
    public List<VeleroHook>? Pre { get; set; }
    public List<VeleroHook>? Post { get; set; }
}

public sealed class VeleroHook
{
    public VeleroExecHook? Exec { get; set; }
}

public sealed class VeleroExecHook
{
    public List<string> Command { get; set; } = [];
    public string? Container { get; set; }
    /// <summary>`Fail` (Velero's default: the pod's remaining hooks are skipped and the backup is PartiallyFailed) or `Continue`.</summary>
    public string? OnError { get; set; }
    /// <summary>A Go duration.</summary>
    public string? Timeout { get; set; }
}

/// <summary>What Velero's Backup and Restore statuses share.</summary>
public class VeleroOperationStatus
{
    public string? Phase { get; set; }
    public DateTimeOffset? StartTimestamp { get; set; }
    public DateTimeOffset? CompletionTimestamp { get; set; }
    public string? FailureReason { get; set; }
    public List<string>? ValidationErrors { get; set; }
    public int? Errors { get; set; }
    public int? Warnings { get; set; }
}

public sealed class VeleroBackupStatus : VeleroOperationStatus
{
    public VeleroBackupProgress? Progress { get; set; }
    public VeleroHookStatus? HookStatus { get; set; }
}

public sealed class VeleroHookStatus
{
    /// <summary>Hooks Velero ran (pre and post, each pod), whatever their outcome.</summary>
    public int? HooksAttempted { get; set; }
    public int? HooksFailed { get; set; }
}

public sealed class VeleroBackupProgress
{
    public int? TotalItems { get; set; }
    public int? ItemsBackedUp { get; set; }
}

/// <summary>velero.io/v1 Restore: what a drill creates and then watches (velero pkg/apis/velero/v1/restore_types.go).</summary>
public sealed class VeleroRestore : Kube.Api.KubeObject
{
    public VeleroRestoreSpec? Spec { get; set; }
    public VeleroRestoreStatus? Status { get; set; }
}

public sealed class VeleroRestoreSpec
{
    public string? BackupName { get; set; }
    public List<string>? IncludedNamespaces { get; set; }
    public List<string>? IncludedResources { get; set; }
    public List<string>? ExcludedResources { get; set; }
    public Api.LabelSelectorSpec? LabelSelector { get; set; }
    public Dictionary<string, string>? NamespaceMapping { get; set; }
    public bool? RestorePVs { get; set; }
    /// <summary>`none` (the default: an object that exists is left as it is and warned about) or `update`.</summary>
    public string? ExistingResourcePolicy { get; set; }
}

public sealed class VeleroRestoreStatus : VeleroOperationStatus
{
    public VeleroRestoreProgress? Progress { get; set; }
}

public sealed class VeleroRestoreProgress
{
    public int? TotalItems { get; set; }
    public int? ItemsRestored { get; set; }
}

/// <summary>
/// Velero's phases (BackupPhase, RestorePhase). Kept as strings: a newer Velero may add one, which must read as
/// "not finished", never fail to decode.
/// </summary>
public static class VeleroPhases
{
    public const string New = "New";
    public const string InProgress = "InProgress";
    public const string Completed = "Completed";
    public const string PartiallyFailed = "PartiallyFailed";
    public const string Failed = "Failed";
    public const string FailedValidation = "FailedValidation";

    public static bool IsFailure(string? phase) => phase is PartiallyFailed or Failed or FailedValidation;
}

/// <summary>Labels Velero puts on what it restores and on synced backups.</summary>
public static class VeleroLabels
{
    public const string RestoreName = "velero.io/restore-name";
    public const string BackupName = "velero.io/backup-name";
    public const string ScheduleName = "velero.io/schedule-name";
}

/// <summary>velero.io/v1 Schedule: what its backups hold (its template), for the drill's coverage.</summary>
public sealed class VeleroSchedule : Kube.Api.KubeObject
{
    public VeleroScheduleSpec? Spec { get; set; }
}

public sealed class VeleroScheduleSpec
{
    public VeleroBackupTemplate? Template { get; set; }
}

public sealed class VeleroBackupTemplate
{
    public List<string>? IncludedNamespaces { get; set; }
    public List<string>? ExcludedNamespaces { get; set; }
    public System.Text.Json.Nodes.JsonObject? LabelSelector { get; set; }
}
