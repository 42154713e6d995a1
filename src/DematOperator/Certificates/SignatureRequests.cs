using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DematOperator.Api;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>A certificate's outstanding request to the external signer: its key Secret, its CSR, and what the signer answered.</summary>
public sealed class PendingSignature
{
    public required Secret KeySecret { get; init; }
    public CertificateSigningRequest? Request { get; init; }
    public int Attempts { get; init; }
    /// <summary>The refusal already recorded on the key Secret (its Event was sent then).</summary>
    public bool RefusalRecorded { get; init; }
    public SignatureRequestFacts? Facts { get; init; }
    /// <summary>The signed material, verified, when the signer's certificate passed every check.</summary>
    public RenewedCertificate? Signed { get; init; }
    public string RequestName => KeySecret.Metadata.Annotations?.GetValueOrDefault(SignatureRequests.RequestAnnotation) ?? "";
}

/// <summary>
/// The life of a signature asked of an external signer through certificates.k8s.io/v1. The new key is generated
/// here and kept in a Secret of its own beside the target (`&lt;target&gt;-next-key`, never logged nor in status) until
/// the signed certificate is installed; the CertificateSigningRequest carries the same subject and SANs. All the
/// request's state lives in the cluster (the key Secret's annotations), so a restart resumes it.
/// </summary>
public sealed class SignatureRequests(KubeClient client)
{
    public const string RequestAnnotation = Group.AnnotationPrefix + "signing-request";
    public const string AttemptsAnnotation = Group.AnnotationPrefix + "signing-attempts";
    public const string RefusedAtAnnotation = Group.AnnotationPrefix + "signing-refused-at";
    public const string RefusalAnnotation = Group.AnnotationPrefix + "signing-refusal";
    public const string RefusalStateAnnotation = Group.AnnotationPrefix + "signing-refusal-state";
    public const string TargetAnnotation = Group.AnnotationPrefix + "signing-target";
    /// <summary>On key Secrets and CSRs: the CertificateRenewal's uid, to clean up after it.</summary>
    public const string RenewalUidLabel = Group.AnnotationPrefix + "certificaterenewal-uid";
    public const string KeyForLabel = Group.AnnotationPrefix + "next-key-for";

    public static string KeySecretName(string target) => KubeNames.Fit($"{target}-next-key", 253);

    /// <summary>What stands of the request for a target; null when none is out. Throws <see cref="PkiException"/> when the key Secret's name is taken by someone else.</summary>
    public async Task<PendingSignature?> ObserveAsync(string ns, string target, CertificateTemplate? requested, string? trustBundle, Instant now, CancellationToken ct)
    {
        var keySecret = await client.TryGetAsync(Resources.Secrets, ns, KeySecretName(target), ct);
        if (keySecret is null) return null;
        if (keySecret.Metadata.Labels?.GetValueOrDefault(KeyForLabel) != KubeNames.Fit(target, 63))
            throw new PkiException($"Secret {ns}/{keySecret.Name} exists and is not the operator's key Secret for {target}: rename it");
        var annotations = keySecret.Metadata.Annotations ?? [];
        var attempts = int.TryParse(annotations.GetValueOrDefault(AttemptsAnnotation), CultureInfo.InvariantCulture, out var n) ? n : 1;
        var name = annotations.GetValueOrDefault(RequestAnnotation) ?? "";
        if (annotations.GetValueOrDefault(RefusedAtAnnotation) is { } refusedText
            && DateTimeOffset.TryParse(refusedText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var refusedAt)
            && Enum.TryParse<SignatureRequestState>(annotations.GetValueOrDefault(RefusalStateAnnotation), out var refusedState))
        {
            var retry = Instant.FromDateTimeOffset(refusedAt) + CertificatePolicies.RetryBackoff(attempts);
            return new PendingSignature
            {
                KeySecret = keySecret, Attempts = attempts, RefusalRecorded = true,
                Facts = new(name, refusedState, annotations.GetValueOrDefault(RefusalAnnotation), retry),
            };
        }
        var csr = name.Length == 0 ? null : await client.TryGetAsync(ForeignKinds.CertificateSigningRequests, null, name, ct);
        // Gone before it was answered (kube-controller-manager's csrcleaner deletes pending requests after 24 h): asked again with the same key.
        if (csr is null) return new PendingSignature { KeySecret = keySecret, Attempts = attempts };
        var retryAt = now + CertificatePolicies.RetryBackoff(attempts);
        if (csr.Condition(CsrConditions.Denied) is { } denied)
            return Refused(SignatureRequestState.Denied, Because(denied));
        if (csr.Condition(CsrConditions.Failed) is { } failed)
            return Refused(SignatureRequestState.Failed, Because(failed));
        if (csr.Status?.Certificate is { Length: > 0 } certificate)
        {
            try
            {
                var key = Encoding.ASCII.GetString(keySecret.Data?.GetValueOrDefault("tls.key") ?? throw new PkiException($"key Secret {keySecret.Name} has no tls.key"));
                var signed = Pki.AcceptSigned(Encoding.ASCII.GetString(certificate), key, trustBundle ?? throw new PkiException("no trust anchor to check the signed certificate against"),
                    requested ?? throw new PkiException("the requested names are unknown"), now);
                return new PendingSignature { KeySecret = keySecret, Request = csr, Attempts = attempts, Facts = new(name, SignatureRequestState.Signed), Signed = signed };
            }
            catch (Exception e) when (e is PkiException or CryptographicException)
            {
                return Refused(SignatureRequestState.Rejected, e.Message);
            }
        }
        var approved = csr.Condition(CsrConditions.Approved) is not null;
        return new PendingSignature { KeySecret = keySecret, Request = csr, Attempts = attempts, Facts = new(name, approved ? SignatureRequestState.Approved : SignatureRequestState.Pending) };

        PendingSignature Refused(SignatureRequestState state, string message) =>
            new() { KeySecret = keySecret, Request = csr, Attempts = attempts, Facts = new(name, state, message, retryAt) };
    }

    private static string Because(CertificateSigningRequestCondition c) =>
        string.Join(": ", new[] { c.Reason, c.Message }.Where(x => !string.IsNullOrEmpty(x))) is { Length: > 0 } text ? text : "no reason given";

    /// <summary>
    /// Asks for a signature: the key first (kept whatever happens next), then the request naming it. A retry after a
    /// refusal gets a fresh key and a new request; a request lost before its answer is made again with the same key.
    /// </summary>
    public async Task<string> RequestAsync(CertificateRenewal cr, string ns, string target, string targetDescription, CertificateTemplate template,
        ExternalIssuerSpec issuer, KeySpec keySpec, AsymmetricAlgorithm? keepKey, PendingSignature? previous, Instant now, CancellationToken ct)
    {
        var reuse = previous is { RefusalRecorded: false, Facts: null } && previous.KeySecret.Data?.GetValueOrDefault("tls.key") is not null;
        var attempts = previous is null ? 1 : reuse ? previous.Attempts : previous.Attempts + 1;
        string keyPem;
        if (reuse) keyPem = Encoding.ASCII.GetString(previous!.KeySecret.Data!["tls.key"]);
        else if (keepKey is not null) keyPem = Pki.ToPem(keepKey);
        else { using var generated = keySpec.Generate(); keyPem = Pki.ToPem(generated); }
        using var key = Pki.ParseKey(keyPem, "the new key");
        var requestName = KubeNames.Fit($"{ns}-{target}-{attempts}", 253);
        var labels = new Dictionary<string, string>
        {
            [KubeNames.ManagedByLabel] = KubeNames.ManagedByValue,
            [RenewalUidLabel] = cr.Metadata.Uid ?? "",
            [KeyForLabel] = KubeNames.Fit(target, 63),
        };
        var annotations = new Dictionary<string, string>
        {
            [RequestAnnotation] = requestName,
            [AttemptsAnnotation] = attempts.ToString(CultureInfo.InvariantCulture),
            [TargetAnnotation] = targetDescription,
        };
        var data = new Dictionary<string, byte[]> { ["tls.key"] = Encoding.ASCII.GetBytes(keyPem) };
        if (previous is null)
            await client.CreateAsync(Resources.Secrets, new Secret
            {
                Metadata = new ObjectMeta { Name = KeySecretName(target), Namespace = ns, Labels = labels, Annotations = annotations },
                Type = "Opaque", Data = data,
            }, ct);
        else
        {
            var keySecret = previous.KeySecret;
            keySecret.Metadata.Labels = labels;
            keySecret.Metadata.Annotations = annotations;
            keySecret.Data = data;
            await client.UpdateAsync(Resources.Secrets, keySecret, ct);
        }
        var csr = new CertificateSigningRequest
        {
            Metadata = new ObjectMeta
            {
                Name = requestName,
                Labels = new() { [KubeNames.ManagedByLabel] = KubeNames.ManagedByValue, [RenewalUidLabel] = cr.Metadata.Uid ?? "" },
                Annotations = new() { [TargetAnnotation] = targetDescription, [Group.AnnotationPrefix + "certificaterenewal"] = $"{cr.Namespace}/{cr.Name}" },
            },
            Spec = new CertificateSigningRequestSpec
            {
                Request = Encoding.ASCII.GetBytes(Pki.SigningRequestPem(template, key)),
                SignerName = issuer.SignerName,
                ExpirationSeconds = issuer.ExpirationSeconds,
                Usages = [.. CertificateTemplate.SigningRequestUsages],
            },
        };
        try { await client.CreateAsync(ForeignKinds.CertificateSigningRequests, csr, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            // Ours from a pass that stopped after creating it; its request carries another key: replace it.
            await client.DeleteAsync(ForeignKinds.CertificateSigningRequests, null, requestName, ct: ct);
            await client.CreateAsync(ForeignKinds.CertificateSigningRequests, csr, ct);
        }
        return requestName;
    }

    /// <summary>Records the signer's refusal on the key Secret once: the retry time counts from it, and the Event is sent only then.</summary>
    public async Task RecordRefusalAsync(PendingSignature pending, Instant now, CancellationToken ct)
    {
        var keySecret = pending.KeySecret;
        keySecret.Metadata.Annotations ??= [];
        keySecret.Metadata.Annotations[RefusedAtAnnotation] = now.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        keySecret.Metadata.Annotations[RefusalStateAnnotation] = pending.Facts!.State.ToString();
        keySecret.Metadata.Annotations[RefusalAnnotation] = pending.Facts.Message ?? "";
        // The key of a refused request is never used: drop it now rather than keep it for the retry.
        keySecret.Data = [];
        await client.UpdateAsync(Resources.Secrets, keySecret, ct);
    }

    /// <summary>Installed or no longer needed: the key Secret and the request go.</summary>
    public async Task ForgetAsync(string ns, PendingSignature pending, CancellationToken ct)
    {
        if (pending.RequestName.Length > 0)
            try { await client.DeleteAsync(ForeignKinds.CertificateSigningRequests, null, pending.RequestName, ct: ct); }
            catch (KubeApiException e) when (e.Code == 404) { }
        try { await client.DeleteAsync(Resources.Secrets, ns, pending.KeySecret.Name, ct: ct); }
        catch (KubeApiException e) when (e.Code == 404) { }
    }

    /// <summary>Everything a deleted CertificateRenewal left out: its key Secrets and its requests.</summary>
    public async Task ForgetAllAsync(CertificateRenewal cr, IEnumerable<string> namespaces, CancellationToken ct)
    {
        var selector = new ListRequest($"{RenewalUidLabel}={cr.Metadata.Uid}");
        foreach (var csr in (await client.ListAllAsync(ForeignKinds.CertificateSigningRequests, null, selector, ct)).Items)
            try { await client.DeleteAsync(ForeignKinds.CertificateSigningRequests, null, csr.Name, ct: ct); }
            catch (KubeApiException e) when (e.Code == 404) { }
        foreach (var ns in namespaces.Distinct())
            foreach (var secret in (await client.ListAllAsync(Resources.Secrets, ns, selector, ct)).Items)
                try { await client.DeleteAsync(Resources.Secrets, ns, secret.Name, ct: ct); }
                catch (KubeApiException e) when (e.Code == 404) { }
    }
}
