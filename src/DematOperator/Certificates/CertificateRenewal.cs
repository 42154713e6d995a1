using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Certificates;

[KubernetesKind(Group.Name, Group.Version, "CertificateRenewal", "certificaterenewals", ShortNames = ["certrenewal"], Categories = [Group.Category],
    Description = "CertificateRenewal watches TLS certificates (Secrets, Routes, endpoints), renews them from the internal CA before expiry and rolls what uses them.")]
[PrinterColumn("Certificates", "integer", ".status.certificates", Order = 1)]
[PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Order = 2)]
public sealed class CertificateRenewal : KubeObject
{
    [RequiredField] public CertificateRenewalSpec Spec { get; set; } = new();
    public CertificateRenewalStatus? Status { get; set; }
}

public sealed class CertificateRenewalSpec
{
    [Doc("Renew this long before expiry (Go duration); exclusive with renewBeforePercentage."), Pattern(Group.DurationPattern)]
    public string? RenewBefore { get; set; }
    [Doc("Renew when this share of the lifetime remains; exclusive with renewBefore."), Range(1, 99)]
    public int? RenewBeforePercentage { get; set; }
    [Doc("kubernetes.io/tls Secrets to watch, by name.")] public List<string>? SecretNames { get; set; }
    [Doc("kubernetes.io/tls Secrets to watch, by label.")] public LabelSelectorSpec? SecretSelector { get; set; }
}

public sealed class CertificateRenewalStatus : CommonStatus
{
    [Doc("How many certificates are watched.")] public int? Certificates { get; set; }
}
