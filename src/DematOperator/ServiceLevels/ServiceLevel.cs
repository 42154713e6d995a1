using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.ServiceLevels;

[KubernetesKind(Group.Name, Group.Version, "ServiceLevel", "servicelevels", ShortNames = ["sl"], Categories = [Group.Category],
    Description = "ServiceLevel measures an environment's availability in its tier's service hours (OR, ARGENT, BRONZE) and incidents against the GTR.")]
[PrinterColumn("Tier", "string", ".spec.tier", Order = 1)]
[PrinterColumn("Environment", "string", ".spec.environment", Order = 2)]
[PrinterColumn("State", "string", ".status.state", Order = 3)]
[PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Order = 4)]
public sealed class ServiceLevel : KubeObject
{
    [RequiredField] public ServiceLevelSpec Spec { get; set; } = new();
    public ServiceLevelStatus? Status { get; set; }
}

public sealed class ServiceLevelSpec
{
    [RequiredField, EnumValues("OR", "ARGENT", "BRONZE")] public string Tier { get; set; } = "";
    [RequiredField, Doc("Environment measured, e.g. production, preprod."), Length(1, 63)] public string Environment { get; set; } = "";
    [Default("\"Europe/Paris\"")] public string? TimeZone { get; set; }
    [Doc("Public holiday calendar."), EnumValues("FR", "FR-ALSACE-MOSELLE", "none"), Default("\"FR\"")] public string? Holidays { get; set; }
}

public sealed class ServiceLevelStatus : CommonStatus
{
    [EnumValues("Up", "Down", "Degraded", "OutsideServiceHours", "Unknown")] public string? State { get; set; }
}
