using System.Text.Json.Serialization;
using DematOperator.Backups;
using DematOperator.Certificates;
using DematOperator.Drills;
using DematOperator.Incidents;
using DematOperator.Kube.Api;
using DematOperator.ServiceLevels;

namespace DematOperator.Api;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    Converters = [typeof(KubeTimeConverter)])]
[JsonSerializable(typeof(BackupPolicy))]
[JsonSerializable(typeof(ObjectList<BackupPolicy>))]
[JsonSerializable(typeof(PraDrill))]
[JsonSerializable(typeof(ObjectList<PraDrill>))]
[JsonSerializable(typeof(ServiceLevel))]
[JsonSerializable(typeof(ObjectList<ServiceLevel>))]
[JsonSerializable(typeof(CertificateRenewal))]
[JsonSerializable(typeof(ObjectList<CertificateRenewal>))]
[JsonSerializable(typeof(Incident))]
[JsonSerializable(typeof(ObjectList<Incident>))]
[JsonSerializable(typeof(DematOperator.Restores.RestoreRequest))]
[JsonSerializable(typeof(ObjectList<DematOperator.Restores.RestoreRequest>))]
[JsonSerializable(typeof(LabelSelectorSpec))]
public sealed partial class OperatorJsonContext : JsonSerializerContext;

/// <summary>Where each of our kinds lives on the API server.</summary>
public static class OperatorKinds
{
    public static readonly ResourceType<BackupPolicy> BackupPolicies = new(Group.Name, Group.Version, "backuppolicies", "BackupPolicy", true,
        OperatorJsonContext.Default.BackupPolicy, OperatorJsonContext.Default.ObjectListBackupPolicy);
    public static readonly ResourceType<PraDrill> PraDrills = new(Group.Name, Group.Version, "pradrills", "PraDrill", true,
        OperatorJsonContext.Default.PraDrill, OperatorJsonContext.Default.ObjectListPraDrill);
    public static readonly ResourceType<ServiceLevel> ServiceLevels = new(Group.Name, Group.Version, "servicelevels", "ServiceLevel", true,
        OperatorJsonContext.Default.ServiceLevel, OperatorJsonContext.Default.ObjectListServiceLevel);
    public static readonly ResourceType<CertificateRenewal> CertificateRenewals = new(Group.Name, Group.Version, "certificaterenewals", "CertificateRenewal", true,
        OperatorJsonContext.Default.CertificateRenewal, OperatorJsonContext.Default.ObjectListCertificateRenewal);
    public static readonly ResourceType<Incident> Incidents = new(Group.Name, Group.Version, "incidents", "Incident", true,
        OperatorJsonContext.Default.Incident, OperatorJsonContext.Default.ObjectListIncident);
    public static readonly ResourceType<DematOperator.Restores.RestoreRequest> RestoreRequests = new(Group.Name, Group.Version, "restorerequests", "RestoreRequest", true,
        OperatorJsonContext.Default.RestoreRequest, OperatorJsonContext.Default.ObjectListRestoreRequest);

    /// <summary>
    /// Our kinds as Velero names resources (`plural.group`). A PRA rehearsal's Restore excludes them: a BackupPolicy,
    /// ServiceLevel, CertificateRenewal or PraDrill copied from production must not act on the recovery site.
    /// </summary>
    public static readonly string[] GroupResources = [BackupPolicies.GroupResource, PraDrills.GroupResource, ServiceLevels.GroupResource, CertificateRenewals.GroupResource, Incidents.GroupResource, RestoreRequests.GroupResource];

    /// <summary>Our kinds as (group, plural), as K10's resource filters name them.</summary>
    public static IEnumerable<(string Group, string Resource)> GroupAndResources => GroupResources.Select(gr => (Group.Name, gr[..gr.IndexOf('.')]));

    /// <summary>
    /// What Kubernetes and OpenShift make in every namespace: never a sign that a restore brought anything, never a
    /// conflict. The CA ConfigMaps, the default ServiceAccount, and every Secret made for a ServiceAccount (tokens,
    /// OpenShift's dockercfg pull secrets), which carry its name as an annotation.
    /// </summary>
    public static bool IsAutomatic(KubeObject o) =>
        o.Name is "kube-root-ca.crt" or "openshift-service-ca.crt" or "default"
        || o.Metadata.Annotations?.ContainsKey("kubernetes.io/service-account.name") == true;

    /// <summary>The resource classes the CRD generator turns into config/crd.</summary>
    public static readonly Type[] All = [typeof(BackupPolicy), typeof(PraDrill), typeof(ServiceLevel), typeof(CertificateRenewal), typeof(Incident), typeof(DematOperator.Restores.RestoreRequest)];
}
