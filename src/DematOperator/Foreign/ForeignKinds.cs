using System.Text.Json.Serialization;
using DematOperator.Kube.Api;

namespace DematOperator.Foreign;

/// <summary>
/// Source-generated JSON for the objects DematOperator reads but does not own. Unknown fields are ignored on
/// read; none of these models is ever sent back in an update (only whole objects we create, or merge patches).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(KubeTimeConverter)])]
[JsonSerializable(typeof(VeleroBackup))]
[JsonSerializable(typeof(ObjectList<VeleroBackup>))]
[JsonSerializable(typeof(VeleroRestore))]
[JsonSerializable(typeof(ObjectList<VeleroRestore>))]
[JsonSerializable(typeof(VeleroSchedule))]
[JsonSerializable(typeof(ObjectList<VeleroSchedule>))]
[JsonSerializable(typeof(VolumeSnapshot))]
[JsonSerializable(typeof(ObjectList<VolumeSnapshot>))]
[JsonSerializable(typeof(VolumeSnapshotContent))]
[JsonSerializable(typeof(ObjectList<VolumeSnapshotContent>))]
[JsonSerializable(typeof(VolumeSnapshotClass))]
[JsonSerializable(typeof(ObjectList<VolumeSnapshotClass>))]
[JsonSerializable(typeof(DeleteBackupRequest))]
[JsonSerializable(typeof(ObjectList<DeleteBackupRequest>))]
[JsonSerializable(typeof(Workload))]
[JsonSerializable(typeof(ObjectList<Workload>))]
[JsonSerializable(typeof(CronJob))]
[JsonSerializable(typeof(ObjectList<CronJob>))]
[JsonSerializable(typeof(PersistentVolumeClaim))]
[JsonSerializable(typeof(ObjectList<PersistentVolumeClaim>))]
[JsonSerializable(typeof(Pod))]
[JsonSerializable(typeof(ObjectList<Pod>))]
[JsonSerializable(typeof(Job))]
[JsonSerializable(typeof(ObjectList<Job>))]
[JsonSerializable(typeof(KastenRunAction))]
[JsonSerializable(typeof(ObjectList<KastenRunAction>))]
[JsonSerializable(typeof(KastenBackupAction))]
[JsonSerializable(typeof(ObjectList<KastenBackupAction>))]
[JsonSerializable(typeof(KastenExportAction))]
[JsonSerializable(typeof(ObjectList<KastenExportAction>))]
[JsonSerializable(typeof(KastenRestoreAction))]
[JsonSerializable(typeof(ObjectList<KastenRestoreAction>))]
[JsonSerializable(typeof(KastenRestorePoint))]
[JsonSerializable(typeof(ObjectList<KastenRestorePoint>))]
[JsonSerializable(typeof(KastenRestorePointContent))]
[JsonSerializable(typeof(ObjectList<KastenRestorePointContent>))]
[JsonSerializable(typeof(KastenPolicy))]
[JsonSerializable(typeof(ObjectList<KastenPolicy>))]
[JsonSerializable(typeof(KastenProfile))]
[JsonSerializable(typeof(ObjectList<KastenProfile>))]
[JsonSerializable(typeof(CertificateSigningRequest))]
[JsonSerializable(typeof(ObjectList<CertificateSigningRequest>))]
[JsonSerializable(typeof(CertManagerCertificate))]
[JsonSerializable(typeof(List<Condition>))]
[JsonSerializable(typeof(ObjectList<CertManagerCertificate>))]
public sealed partial class ForeignJsonContext : JsonSerializerContext;

/// <summary>Where the foreign kinds live, typed.</summary>
public static class ForeignKinds
{
    private static readonly ForeignJsonContext Json = ForeignJsonContext.Default;

    public static readonly ResourceType<VeleroBackup> VeleroBackups = new("velero.io", "v1", "backups", "Backup", true, Json.VeleroBackup, Json.ObjectListVeleroBackup);
    public static readonly ResourceType<VeleroRestore> VeleroRestores = new("velero.io", "v1", "restores", "Restore", true, Json.VeleroRestore, Json.ObjectListVeleroRestore);
    public static readonly ResourceType<VeleroSchedule> VeleroSchedules = new("velero.io", "v1", "schedules", "Schedule", true, Json.VeleroSchedule, Json.ObjectListVeleroSchedule);
    public static readonly ResourceType<DeleteBackupRequest> DeleteBackupRequests = new("velero.io", "v1", "deletebackuprequests", "DeleteBackupRequest", true, Json.DeleteBackupRequest, Json.ObjectListDeleteBackupRequest);
    public static readonly ResourceType<VolumeSnapshot> VolumeSnapshots = new("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true, Json.VolumeSnapshot, Json.ObjectListVolumeSnapshot);
    public static readonly ResourceType<VolumeSnapshotContent> VolumeSnapshotContents = new("snapshot.storage.k8s.io", "v1", "volumesnapshotcontents", "VolumeSnapshotContent", false, Json.VolumeSnapshotContent, Json.ObjectListVolumeSnapshotContent);
    public static readonly ResourceType<VolumeSnapshotClass> VolumeSnapshotClasses = new("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false, Json.VolumeSnapshotClass, Json.ObjectListVolumeSnapshotClass);
    public static readonly ResourceType<Workload> Deployments = new("apps", "v1", "deployments", "Deployment", true, Json.Workload, Json.ObjectListWorkload);
    public static readonly ResourceType<Workload> StatefulSets = new("apps", "v1", "statefulsets", "StatefulSet", true, Json.Workload, Json.ObjectListWorkload);
    public static readonly ResourceType<CronJob> CronJobs = new("batch", "v1", "cronjobs", "CronJob", true, Json.CronJob, Json.ObjectListCronJob);
    public static readonly ResourceType<Job> Jobs = new("batch", "v1", "jobs", "Job", true, Json.Job, Json.ObjectListJob);
    public static readonly ResourceType<PersistentVolumeClaim> PersistentVolumeClaims = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, Json.PersistentVolumeClaim, Json.ObjectListPersistentVolumeClaim);
    public static readonly ResourceType<Pod> Pods = new("", "v1", "pods", "Pod", true, Json.Pod, Json.ObjectListPod);

    // Veeam Kasten K10 (an aggregated API on a real cluster; CRDs of our own in the emulator).
    public static readonly ResourceType<KastenRunAction> KastenRunActions = new("actions.kio.kasten.io", "v1alpha1", "runactions", "RunAction", true, Json.KastenRunAction, Json.ObjectListKastenRunAction);
    public static readonly ResourceType<KastenBackupAction> KastenBackupActions = new("actions.kio.kasten.io", "v1alpha1", "backupactions", "BackupAction", true, Json.KastenBackupAction, Json.ObjectListKastenBackupAction);
    public static readonly ResourceType<KastenExportAction> KastenExportActions = new("actions.kio.kasten.io", "v1alpha1", "exportactions", "ExportAction", true, Json.KastenExportAction, Json.ObjectListKastenExportAction);
    public static readonly ResourceType<KastenRestoreAction> KastenRestoreActions = new("actions.kio.kasten.io", "v1alpha1", "restoreactions", "RestoreAction", true, Json.KastenRestoreAction, Json.ObjectListKastenRestoreAction);
    public static readonly ResourceType<KastenRestorePoint> KastenRestorePoints = new("apps.kio.kasten.io", "v1alpha1", "restorepoints", "RestorePoint", true, Json.KastenRestorePoint, Json.ObjectListKastenRestorePoint);
    public static readonly ResourceType<KastenRestorePointContent> KastenRestorePointContents = new("apps.kio.kasten.io", "v1alpha1", "restorepointcontents", "RestorePointContent", false, Json.KastenRestorePointContent, Json.ObjectListKastenRestorePointContent);
    public static readonly ResourceType<KastenPolicy> KastenPolicies = new("config.kio.kasten.io", "v1alpha1", "policies", "Policy", true, Json.KastenPolicy, Json.ObjectListKastenPolicy);
    public static readonly ResourceType<KastenProfile> KastenProfiles = new("config.kio.kasten.io", "v1alpha1", "profiles", "Profile", true, Json.KastenProfile, Json.ObjectListKastenProfile);

    public static readonly ResourceType<CertificateSigningRequest> CertificateSigningRequests = new("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false,
        Json.CertificateSigningRequest, Json.ObjectListCertificateSigningRequest);
    public static readonly ResourceType<CertManagerCertificate> CertManagerCertificates = new("cert-manager.io", "v1", "certificates", "Certificate", true,
        Json.CertManagerCertificate, Json.ObjectListCertManagerCertificate);

    /// <summary>The workload kinds a drill restores, stops and checks.</summary>
    public static readonly ResourceType<Workload>[] WorkloadKinds = [Deployments, StatefulSets];
}
