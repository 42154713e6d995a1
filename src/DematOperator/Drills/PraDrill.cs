using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Drills;

[KubernetesKind(Group.Name, Group.Version, "PraDrill", "pradrills", ShortNames = ["pra"], Categories = [Group.Category],
    Description = "PraDrill rehearses (or runs) the disaster-recovery plan: production restored from SBG backups onto RBX, measured against RTO and RPO.")]
[PrinterColumn("Mode", "string", ".spec.mode", Order = 1)]
[PrinterColumn("Phase", "string", ".status.phase", Order = 2)]
[PrinterColumn("Last Success", "date", ".status.lastSuccessfulTime", Order = 3)]
[PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Order = 4)]
public sealed class PraDrill : KubeObject
{
    [RequiredField] public PraDrillSpec Spec { get; set; } = new();
    public PraDrillStatus? Status { get; set; }
}

public sealed class PraDrillSpec
{
    [Doc("Cron expression of scheduled rehearsals (at least yearly, in off-hours)."), Length(1, 256)] public string? Schedule { get; set; }
    [Default("\"Europe/Paris\"")] public string? TimeZone { get; set; }
    [Default("false")] public bool? Suspend { get; set; }
    [Doc("Rehearsal restores, verifies, measures and rolls back; Failover is the real PRA."), EnumValues("Rehearsal", "Failover"), Default("\"Rehearsal\"")]
    public string? Mode { get; set; }
    public DrillObjectives? Objectives { get; set; }
    [RequiredField] public DrillSource Source { get; set; } = new();
    public DrillTarget? Target { get; set; }
}

public sealed class DrillObjectives
{
    [Default("\"2h\""), Pattern(Group.DurationPattern)] public string? Rto { get; set; }
    [Default("\"4h\""), Pattern(Group.DurationPattern)] public string? Rpo { get; set; }
}

public sealed class DrillSource
{
    [Doc("Kubeconfig of the production cluster; the local cluster when absent.")] public KubeconfigSecretRef? Kubeconfig { get; set; }
    [RequiredField, Items(1)] public List<string> Namespaces { get; set; } = [];
}

public sealed class DrillTarget
{
    [Doc("Kubeconfig of the recovery cluster; the local cluster when absent.")] public KubeconfigSecretRef? Kubeconfig { get; set; }
    [Doc("Test-environment namespaces stopped to make room, and given back afterwards.")] public List<string>? StopNamespaces { get; set; }
}

public sealed class PraDrillStatus : CommonStatus
{
    public string? Phase { get; set; }
    public DateTimeOffset? LastSuccessfulTime { get; set; }
    public DateTimeOffset? NextScheduleTime { get; set; }
}
