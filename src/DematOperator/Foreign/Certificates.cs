using DematOperator.Kube.Api;

namespace DematOperator.Foreign;

/// <summary>
/// certificates.k8s.io/v1 CertificateSigningRequest (k8s.io/api certificates/v1 types.go), cluster-scoped: how a
/// certificate is asked of a signer whose key is not in the cluster. The spec is immutable once created.
/// </summary>
public sealed class CertificateSigningRequest : KubeObject
{
    public CertificateSigningRequestSpec Spec { get; set; } = new();
    public CertificateSigningRequestStatus? Status { get; set; }

    public CertificateSigningRequestCondition? Condition(string type) => Status?.Conditions?.FirstOrDefault(c => c.Type == type);
}

public sealed class CertificateSigningRequestSpec
{
    /// <summary>The PEM "CERTIFICATE REQUEST" (base64 once more on the wire).</summary>
    public byte[]? Request { get; set; }
    public string SignerName { get; set; } = "";
    public int? ExpirationSeconds { get; set; }
    public List<string>? Usages { get; set; }
    /// <summary>Set by the API server: who created it.</summary>
    public string? Username { get; set; }
}

public sealed class CertificateSigningRequestStatus
{
    public List<CertificateSigningRequestCondition>? Conditions { get; set; }
    /// <summary>PEM certificates set by the signer once approved: the leaf first, then intermediates.</summary>
    public byte[]? Certificate { get; set; }
}

public sealed class CertificateSigningRequestCondition
{
    public string Type { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public DateTimeOffset? LastUpdateTime { get; set; }
    public DateTimeOffset? LastTransitionTime { get; set; }
}

/// <summary>Condition types of a CertificateSigningRequest: Approved and Denied through /approval, Failed through /status.</summary>
public static class CsrConditions
{
    public const string Approved = "Approved", Denied = "Denied", Failed = "Failed";
}

/// <summary>cert-manager.io/v1 Certificate: only what re-issuance needs (its conditions).</summary>
public sealed class CertManagerCertificate : KubeObject
{
    public CertManagerCertificateStatus? Status { get; set; }
}

public sealed class CertManagerCertificateStatus
{
    public List<Condition>? Conditions { get; set; }
}

/// <summary>cert-manager's condition vocabulary (pkg/apis/certmanager/v1/types_certificate.go; cmctl renew).</summary>
public static class CertManagerConditions
{
    public const string Issuing = "Issuing";
    public const string ManuallyTriggered = "ManuallyTriggered";
    public const string ManuallyTriggeredMessage = "Certificate re-issuance manually triggered";
}
