using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Certificates;

[KubernetesKind(Group.Name, Group.Version, "CertificateRenewal", "certificaterenewals", ShortNames = ["certrenewal"], Categories = [Group.Category],
    Description = "CertificateRenewal watches TLS certificates (Secrets, Routes, endpoints), renews them from the internal CA before expiry and rolls what uses them.")]
[PrinterColumn("Certificates", "integer", ".status.certificates", Order = 1)]
[PrinterColumn("Expiring Soon", "integer", ".status.expiringSoon", Order = 2)]
[PrinterColumn("Errors", "integer", ".status.errors", Order = 3)]
[PrinterColumn("Next Renewal", "string", ".status.nextRenewalTime", Order = 4)]
[PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Order = 5)]
public sealed class CertificateRenewal : KubeObject
{
    [RequiredField] public CertificateRenewalSpec Spec { get; set; } = new();
    public CertificateRenewalStatus? Status { get; set; }
}

public sealed class CertificateRenewalSpec
{
    [Doc("kubernetes.io/tls Secrets to watch (and renew).")] public ObjectSelection? Secrets { get; set; }
    [Doc("OpenShift Routes with an inline spec.tls certificate to watch (and renew).")] public ObjectSelection? Routes { get; set; }
    [Doc("Network endpoints whose served certificate is checked by a TLS handshake (monitoring only).")] public List<EndpointSpec>? Endpoints { get; set; }
    [Doc("Certificates to create in this namespace when their Secret does not exist yet; then renewed like the others.")]
    public List<ManagedCertificateSpec>? Certificates { get; set; }
    [Doc("What becomes of the Secrets created for spec.certificates when this resource is deleted or a certificate leaves the list."),
     EnumValues(CertificateDeletionPolicy.Retain, CertificateDeletionPolicy.Delete), Default("\"Retain\"")]
    public string? DeletionPolicy { get; set; }
    [Doc("Renew this long before expiry (Go duration, default 720h); exclusive with renewBeforePercentage."), Pattern(Group.DurationPattern)]
    public string? RenewBefore { get; set; }
    [Doc("Renew when this share of the lifetime remains; exclusive with renewBefore."), Range(1, 99)]
    public int? RenewBeforePercentage { get; set; }
    [Doc("Who renews: the internal CA, cert-manager, or nobody (monitor only) when absent.")] public IssuerSpec? Issuer { get; set; }
    [Doc("Settings of renewed certificates.")] public NewCertificateSpec? Certificate { get; set; }
    [Doc("Roll the Deployments and StatefulSets that use a renewed Secret.")] public RolloutSpec? Rollout { get; set; }
    [Doc("Renewals wait for this window unless the certificate would expire before the next one.")] public MaintenanceWindowSchedule? MaintenanceWindow { get; set; }
    [Doc("How often certificates are checked (Go duration)."), Default("\"1h\""), Pattern(Group.DurationPattern)] public string? Interval { get; set; }
}

public sealed class ObjectSelection
{
    [Doc("Namespaces to look in; the CertificateRenewal's own namespace when empty.")] public List<string>? Namespaces { get; set; }
    [Doc("Names of the objects (in those namespaces); all matching the selector when empty.")] public List<string>? Names { get; set; }
    [Doc("Label selector on the objects.")] public LabelSelectorSpec? Selector { get; set; }
}

public sealed class EndpointSpec
{
    [RequiredField, Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] public string Name { get; set; } = "";
    [RequiredField] public string Host { get; set; } = "";
    [Default("443"), Range(1, 65535)] public int? Port { get; set; }
    [Doc("SNI server name; the host when empty.")] public string? ServerName { get; set; }
    [Doc("The Secret that should back this endpoint: the status says when the served certificate is not its current one.")]
    public SecretReference? Secret { get; set; }
}

public sealed class SecretReference
{
    [RequiredField] public string Name { get; set; } = "";
    [Doc("The CertificateRenewal's namespace when empty.")] public string? Namespace { get; set; }
}

/// <summary>A certificate the resource creates: its Secret, its names and who signs it.</summary>
public sealed class ManagedCertificateSpec
{
    [RequiredField, Doc("The kubernetes.io/tls Secret to create in this namespace."), Pattern("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    public string SecretName { get; set; } = "";
    [Doc("Subject common name; the first DNS name when empty."), Length(1, 64)] public string? CommonName { get; set; }
    [Doc("Subject alternative names."), Items(1)] public List<string>? DnsNames { get; set; }
    [Doc("Who signs it; spec.issuer when empty (cert-manager cannot create certificates here).")] public IssuerSpec? Issuer { get; set; }
}

public static class CertificateDeletionPolicy
{
    public const string Retain = "Retain", Delete = "Delete";
}

public sealed class IssuerSpec
{
    [Doc("A Secret holding the internal CA (tls.crt = the CA then its chain, tls.key, optional ca.crt = the root).")] public SecretReference? Ca { get; set; }
    [Doc("An external signer (the ministry's IGC) reached through Kubernetes CertificateSigningRequests: its CA key never enters the cluster.")]
    public ExternalIssuerSpec? External { get; set; }
    [Doc("The Secrets are managed by cert-manager: never write them, trigger cert-manager's re-issuance as `cmctl renew` does.")] public bool? CertManager { get; set; }
}

public sealed class ExternalIssuerSpec
{
    [RequiredField, Doc("spec.signerName of the CertificateSigningRequests, e.g. igc.developpement-durable.gouv.fr/server."),
     Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+/.+$")]
    public string SignerName { get; set; } = "";
    [Doc("Requested validity (spec.expirationSeconds); the signer may give another."), Range(600, 2147483647)] public int? ExpirationSeconds { get; set; }
    [RequiredField, Doc("The IGC's root (and intermediates) that a signed certificate must chain to before it is installed.")]
    public TrustAnchorReference TrustAnchor { get; set; } = new();
}

public sealed class TrustAnchorReference
{
    [EnumValues("ConfigMap", "Secret"), Default("\"ConfigMap\"")] public string? Kind { get; set; }
    [RequiredField] public string Name { get; set; } = "";
    [Doc("The CertificateRenewal's namespace when empty.")] public string? Namespace { get; set; }
    [Doc("The key holding the PEM bundle."), Default("\"ca.crt\"")] public string? Key { get; set; }
}

public sealed class NewCertificateSpec
{
    [Doc("Validity of renewed certificates (Go duration), clamped to the CA's."), Default("\"2160h\""), Pattern(Group.DurationPattern)] public string? Duration { get; set; }
    public PrivateKeySpec? PrivateKey { get; set; }
}

public sealed class PrivateKeySpec
{
    [EnumValues("RSA", "ECDSA"), Default("\"RSA\"")] public string? Algorithm { get; set; }
    [Doc("2048, 3072, 4096 for RSA; 256 or 384 for ECDSA.")] public int? Size { get; set; }
    [Doc("Always: a new key at each renewal; Never: keep the current key."), EnumValues("Always", "Never"), Default("\"Always\"")] public string? RotationPolicy { get; set; }
}

public sealed class RolloutSpec
{
    [Doc("Patch the pod template of the workloads that mount or reference a renewed Secret (never a paused Deployment)."), Default("false")]
    public bool? Enabled { get; set; }
}

public sealed class MaintenanceWindowSchedule
{
    [RequiredField, Doc("Cron expression of window openings.")] public string Schedule { get; set; } = "";
    [RequiredField, Doc("Window length (Go duration)."), Pattern(Group.DurationPattern)] public string Duration { get; set; } = "";
    [Default("\"Europe/Paris\"")] public string? TimeZone { get; set; }
}

public sealed class CertificateRenewalStatus : CommonStatus
{
    [Doc("How many certificates are watched.")] public int? Certificates { get; set; }
    [Doc("Certificates expiring within 30 days.")] public int? ExpiringSoon { get; set; }
    [Doc("The earliest planned renewal.")] public DateTimeOffset? NextRenewalTime { get; set; }
    [Doc("Certificates per state.")] public Dictionary<string, int>? Counts { get; set; }
    [Doc("Certificates in error or expired.")] public int? Errors { get; set; }
    public List<CertificateStatusItem>? Items { get; set; }
}

public sealed class CertificateStatusItem
{
    [EnumValues("Secret", "Route", "Endpoint")] public string Source { get; set; } = "";
    public string Namespace { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Subject { get; set; }
    public List<string>? DnsNames { get; set; }
    public string? Issuer { get; set; }
    public string? Serial { get; set; }
    public DateTimeOffset? NotBefore { get; set; }
    public DateTimeOffset? NotAfter { get; set; }
    public DateTimeOffset? RenewalTime { get; set; }
    [EnumValues(nameof(CertificateState.Valid), nameof(CertificateState.RenewalDue), nameof(CertificateState.Pending), nameof(CertificateState.Renewed),
        nameof(CertificateState.Created), nameof(CertificateState.Expired), nameof(CertificateState.Error))]
    public string State { get; set; } = "";
    [Doc("Why it is in that state (CamelCase).")] public string? Reason { get; set; }
    public DateTimeOffset? LastRenewal { get; set; }
    [Doc("The CertificateSigningRequest waiting for the external signer.")] public string? SignatureRequest { get; set; }
    [Doc("The external signer's last refusal; the next request waits for its backoff (1 h, doubling up to 32 h).")] public SigningFailure? LastSigningFailure { get; set; }
    public string? Message { get; set; }
}

/// <summary>A refused signature: remembered in status, as cert-manager keeps lastFailureTime and failedIssuanceAttempts.</summary>
public sealed class SigningFailure
{
    [Doc("The refused CertificateSigningRequest.")] public string Request { get; set; } = "";
    [EnumValues(CertificateReasons.SignatureDenied, CertificateReasons.SignatureFailed, CertificateReasons.CertificateRejected)] public string Reason { get; set; } = "";
    public string? Message { get; set; }
    public DateTimeOffset Time { get; set; }
    [Doc("Refusals in a row.")] public int Attempts { get; set; }
}

/// <summary>The state of one watched certificate, as status.items[].state shows it.</summary>
public enum CertificateState
{
    /// <summary>Not due yet.</summary>
    Valid,
    /// <summary>Past its renewal time and not renewed (waiting for a window, monitor only, handed to cert-manager).</summary>
    RenewalDue,
    /// <summary>A signature was requested from the external signer and has not come back.</summary>
    Pending,
    /// <summary>Renewed in this check.</summary>
    Renewed,
    /// <summary>Created in this check (spec.certificates).</summary>
    Created,
    Expired,
    Error,
}

/// <summary>Where a watched certificate lives.</summary>
public enum CertificateSource { Secret, Route, Endpoint }
