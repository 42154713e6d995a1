using System.Security.Cryptography;
using System.Text;
using DematOperator.Api;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>A certificate's request to the external signer as found: its CSR, its key Secret, what the signer answered.</summary>
public sealed class PendingSignature
{
    public CertificateSigningRequest? Request { get; init; }
    public Secret? KeySecret { get; init; }
    public SignatureRequestFacts? Facts { get; init; }
    /// <summary>The signed material, verified, when the signer's certificate passed every check.</summary>
    public RenewedCertificate? Signed { get; init; }
    /// <summary>The refusal to write into status now (its Event goes with it), or the one status already holds.</summary>
    public SigningFailure? Failure { get; init; }
    public bool NewlyRefused { get; init; }
    public string? RequestName => Request?.Name ?? Facts?.Name;
}

/// <summary>
/// The life of a signature asked of an external signer through certificates.k8s.io/v1. The new key is generated
/// here and kept in a Secret of its own beside the target (`&lt;target&gt;-next-key`, never logged nor in status)
/// owned by the CertificateSigningRequest, so the garbage collector deletes it with the request: once the certificate
/// is installed, on a refusal, when kube-controller-manager's csrcleaner drops an unanswered request after 24 h
/// (pkg/controller/certificates/cleaner), or with the CertificateRenewal. The operator never deletes a Secret itself.
/// Refusals are remembered in status (lastSigningFailure), so the backoff holds however long the CSR lives.
/// </summary>
public sealed class SignatureRequests(KubeClient client)
{
    public const string RequestAnnotation = Group.AnnotationPrefix + "signing-request";
    public const string TargetAnnotation = Group.AnnotationPrefix + "signing-target";
    /// <summary>On key Secrets and CSRs: the CertificateRenewal's uid, to find them again.</summary>
    public const string RenewalUidLabel = Group.AnnotationPrefix + "certificaterenewal-uid";
    public const string KeyForLabel = Group.AnnotationPrefix + "next-key-for";

    public static string KeySecretName(string target) => KubeNames.Fit($"{target}-next-key", 253);

    /// <summary>
    /// Where the request of a target stands, from the cluster and the refusal status remembers; null when nothing is
    /// out and no refusal holds. Throws <see cref="PkiException"/> when the key Secret's name is taken by someone else.
    /// </summary>
    public async Task<PendingSignature?> ObserveAsync(string ns, string target, CertificateTemplate? requested, string? trustBundle,
        CertificateStatusItem? previous, Instant now, CancellationToken ct)
    {
        var keySecret = await client.TryGetAsync(Resources.Secrets, ns, KeySecretName(target), ct);
        if (keySecret is not null && keySecret.Metadata.Labels?.GetValueOrDefault(KeyForLabel) != KubeNames.Fit(target, 63))
            throw new PkiException($"Secret {ns}/{keySecret.Name} exists and is not the operator's key Secret for {target}: rename it");
        var name = keySecret?.Metadata.Annotations?.GetValueOrDefault(RequestAnnotation) ?? previous?.SignatureRequest;
        var csr = name is null ? null : await client.TryGetAsync(ForeignKinds.CertificateSigningRequests, null, name, ct);
        var failure = previous?.LastSigningFailure;
        if (csr is null)
        {
            // Nothing out; a remembered refusal still holds until its retry time.
            if (failure is not null && StateOf(failure.Reason) is { } refusedState)
                return new PendingSignature { Failure = failure, Facts = new(failure.Request, refusedState, failure.Message, Retry(failure)) };
            return null;
        }
        if (csr.Condition(CsrConditions.Denied) is { } denied) return Refused(SignatureRequestState.Denied, Because(denied));
        if (csr.Condition(CsrConditions.Failed) is { } failed) return Refused(SignatureRequestState.Failed, Because(failed));
        if (csr.Status?.Certificate is { Length: > 0 } certificate)
        {
            try
            {
                var key = keySecret?.Data?.GetValueOrDefault("tls.key") ?? throw new PkiException($"the key of CertificateSigningRequest {csr.Name} is gone (Secret {ns}/{KeySecretName(target)})");
                var signed = Pki.AcceptSigned(Encoding.ASCII.GetString(certificate), Encoding.ASCII.GetString(key),
                    trustBundle ?? throw new PkiException("no trust anchor to check the signed certificate against"),
                    requested ?? throw new PkiException("the requested names are unknown"), now);
                return new PendingSignature { Request = csr, KeySecret = keySecret, Facts = new(csr.Name, SignatureRequestState.Signed), Signed = signed };
            }
            catch (Exception e) when (e is PkiException or CryptographicException)
            {
                return Refused(SignatureRequestState.Rejected, e.Message);
            }
        }
        // A request whose key Secret is gone can never be installed: asked again.
        if (keySecret is null) return null;
        var approved = csr.Condition(CsrConditions.Approved) is not null;
        return new PendingSignature { Request = csr, KeySecret = keySecret, Facts = new(csr.Name, approved ? SignatureRequestState.Approved : SignatureRequestState.Pending) };

        PendingSignature Refused(SignatureRequestState state, string message)
        {
            var known = failure?.Request == csr.Name;
            var recorded = known ? failure! : new SigningFailure
            {
                Request = csr.Name, Reason = ReasonOf(state), Message = message, Time = now.ToDateTimeOffset(), Attempts = (failure?.Attempts ?? 0) + 1,
            };
            return new PendingSignature { Request = csr, KeySecret = keySecret, Failure = recorded, NewlyRefused = !known, Facts = new(csr.Name, state, recorded.Message, Retry(recorded)) };
        }
    }

    private static Instant Retry(SigningFailure f) => Instant.FromDateTimeOffset(f.Time) + CertificatePolicies.RetryBackoff(f.Attempts);

    private static string ReasonOf(SignatureRequestState state) => state switch
    {
        SignatureRequestState.Denied => CertificateReasons.SignatureDenied,
        SignatureRequestState.Failed => CertificateReasons.SignatureFailed,
        _ => CertificateReasons.CertificateRejected,
    };

    private static SignatureRequestState? StateOf(string reason) => reason switch
    {
        CertificateReasons.SignatureDenied => SignatureRequestState.Denied,
        CertificateReasons.SignatureFailed => SignatureRequestState.Failed,
        CertificateReasons.CertificateRejected => SignatureRequestState.Rejected,
        _ => null,
    };

    private static string Because(CertificateSigningRequestCondition c) =>
        string.Join(": ", new[] { c.Reason, c.Message }.Where(x => !string.IsNullOrEmpty(x))) is { Length: > 0 } text ? text : "no reason given";

    /// <summary>
    /// Asks for a signature: the request first, then its key Secret owned by it. A pass that stops in between leaves a
    /// request without key, replaced at the next pass (its name is the same: one per attempt). Null when the key
    /// Secret of an earlier request is still there (the garbage collector has not taken it yet): to be tried again.
    /// </summary>
    public async Task<string?> RequestAsync(CertificateRenewal cr, string ns, string target, string targetDescription, CertificateTemplate template,
        ExternalIssuerSpec issuer, KeySpec keySpec, AsymmetricAlgorithm? keepKey, PendingSignature? previous, CancellationToken ct)
    {
        if (previous?.Request is { } stale) await DeleteRequestAsync(stale.Name, ct);
        var attempt = (previous?.Failure?.Attempts ?? 0) + 1;
        string keyPem;
        if (keepKey is not null) keyPem = Pki.ToPem(keepKey);
        else { using var generated = keySpec.Generate(); keyPem = Pki.ToPem(generated); }
        using var key = Pki.ParseKey(keyPem, "the new key");
        var requestName = KubeNames.Fit($"{ns}-{target}-{attempt}", 253);
        var csr = new CertificateSigningRequest
        {
            Metadata = new ObjectMeta
            {
                Name = requestName,
                Labels = new() { [KubeNames.ManagedByLabel] = KubeNames.ManagedByValue, [RenewalUidLabel] = cr.Metadata.Uid ?? "" },
                Annotations = new() { [TargetAnnotation] = targetDescription, [CertificateRenewalController.RenewalAnnotation] = $"{cr.Namespace}/{cr.Name}" },
            },
            Spec = new CertificateSigningRequestSpec
            {
                Request = Encoding.ASCII.GetBytes(Pki.SigningRequestPem(template, key)),
                SignerName = issuer.SignerName,
                ExpirationSeconds = issuer.ExpirationSeconds,
                Usages = [.. CertificateTemplate.SigningRequestUsages],
            },
        };
        CertificateSigningRequest created;
        try { created = await client.CreateAsync(ForeignKinds.CertificateSigningRequests, csr, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            // Left by a pass that stopped before its key was kept: that request can never be installed.
            await DeleteRequestAsync(requestName, ct);
            created = await client.CreateAsync(ForeignKinds.CertificateSigningRequests, csr, ct);
        }
        var keySecret = new Secret
        {
            Metadata = new ObjectMeta
            {
                Name = KeySecretName(target), Namespace = ns,
                Labels = new() { [KubeNames.ManagedByLabel] = KubeNames.ManagedByValue, [RenewalUidLabel] = cr.Metadata.Uid ?? "", [KeyForLabel] = KubeNames.Fit(target, 63) },
                Annotations = new() { [RequestAnnotation] = requestName, [TargetAnnotation] = targetDescription },
                OwnerReferences = [new OwnerReference { ApiVersion = "certificates.k8s.io/v1", Kind = "CertificateSigningRequest", Name = requestName, Uid = created.Metadata.Uid ?? "" }],
            },
            Type = "Opaque",
            Data = new() { ["tls.key"] = Encoding.ASCII.GetBytes(keyPem) },
        };
        try { await client.CreateAsync(Resources.Secrets, keySecret, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            await DeleteRequestAsync(requestName, ct);
            return null;
        }
        return requestName;
    }

    /// <summary>Installed, refused or no longer needed: the request goes, and the garbage collector takes its key Secret with it.</summary>
    public async Task DeleteRequestAsync(string name, CancellationToken ct)
    {
        try { await client.DeleteAsync(ForeignKinds.CertificateSigningRequests, null, name, ct: ct); }
        catch (KubeApiException e) when (e.Code == 404) { }
    }

    /// <summary>Everything a deleted CertificateRenewal left out: its requests (their keys follow them).</summary>
    public async Task DeleteAllAsync(CertificateRenewal cr, CancellationToken ct)
    {
        var selector = new ListRequest($"{RenewalUidLabel}={cr.Metadata.Uid}");
        foreach (var csr in (await client.ListAllAsync(ForeignKinds.CertificateSigningRequests, null, selector, ct)).Items)
            await DeleteRequestAsync(csr.Name, ct);
    }
}
