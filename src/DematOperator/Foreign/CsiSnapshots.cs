namespace DematOperator.Foreign;

/// <summary>snapshot.storage.k8s.io/v1 VolumeSnapshot (external-snapshotter client/apis/volumesnapshot/v1/types.go).</summary>
public sealed class VolumeSnapshot : Kube.Api.KubeObject
{
    public VolumeSnapshotSpec? Spec { get; set; }
    public VolumeSnapshotStatus? Status { get; set; }
}

public sealed class VolumeSnapshotSpec
{
    public string? VolumeSnapshotClassName { get; set; }
    public VolumeSnapshotSource? Source { get; set; }
}

public sealed class VolumeSnapshotSource
{
    public string? PersistentVolumeClaimName { get; set; }
    /// <summary>A pre-provisioned snapshot: bound to this existing content (how a snapshot is reused in another namespace).</summary>
    public string? VolumeSnapshotContentName { get; set; }
}

public sealed class VolumeSnapshotStatus
{
    public bool? ReadyToUse { get; set; }
    /// <summary>When the storage system cut the snapshot: the data's instant.</summary>
    public DateTimeOffset? CreationTime { get; set; }
    public string? BoundVolumeSnapshotContentName { get; set; }
    public VolumeSnapshotError? Error { get; set; }
    /// <summary>The size a volume restored from it needs (a quantity, e.g. 10Gi).</summary>
    public string? RestoreSize { get; set; }
}

/// <summary>snapshot.storage.k8s.io/v1 VolumeSnapshotContent, cluster-scoped: the storage's snapshot behind a VolumeSnapshot.</summary>
public sealed class VolumeSnapshotContent : Kube.Api.KubeObject
{
    public VolumeSnapshotContentSpec? Spec { get; set; }
    public VolumeSnapshotContentStatus? Status { get; set; }
}

public sealed class VolumeSnapshotContentSpec
{
    /// <summary>Retain (the storage's snapshot outlives this object) or Delete.</summary>
    public string? DeletionPolicy { get; set; }
    public string? Driver { get; set; }
    public string? VolumeSnapshotClassName { get; set; }
    public VolumeSnapshotContentSource? Source { get; set; }
    public VolumeSnapshotRef? VolumeSnapshotRef { get; set; }
}

public sealed class VolumeSnapshotContentSource
{
    public string? SnapshotHandle { get; set; }
    public string? VolumeHandle { get; set; }
}

public sealed class VolumeSnapshotRef
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
}

public sealed class VolumeSnapshotContentStatus
{
    public string? SnapshotHandle { get; set; }
    public bool? ReadyToUse { get; set; }
}

public sealed class VolumeSnapshotError
{
    public string? Message { get; set; }
}

/// <summary>snapshot.storage.k8s.io/v1 VolumeSnapshotClass: only whether it exists.</summary>
public sealed class VolumeSnapshotClass : Kube.Api.KubeObject
{
    public string? Driver { get; set; }
}

/// <summary>velero.io/v1 DeleteBackupRequest: how a Velero backup and its data are deleted.</summary>
public sealed class DeleteBackupRequest : Kube.Api.KubeObject
{
    public DeleteBackupRequestSpec Spec { get; set; } = new();
}

public sealed class DeleteBackupRequestSpec
{
    public string BackupName { get; set; } = "";
}
