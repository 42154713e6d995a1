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
}

public sealed class VolumeSnapshotStatus
{
    public bool? ReadyToUse { get; set; }
    /// <summary>When the storage system cut the snapshot: the data's instant.</summary>
    public DateTimeOffset? CreationTime { get; set; }
    public string? BoundVolumeSnapshotContentName { get; set; }
    public VolumeSnapshotError? Error { get; set; }
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
