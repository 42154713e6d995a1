using System.Globalization;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>What the reconciler does with one certificate, as <see cref="CertificatePolicies.Decide"/> chooses it.</summary>
public enum CertificateAction
{
    /// <summary>Nothing to do: not due (a stale signature request is withdrawn).</summary>
    Valid,
    /// <summary>Due, but nobody here may renew it (no issuer, an endpoint, another manager's Secret).</summary>
    MonitorOnly,
    /// <summary>Due, and the issuer named in the spec cannot be used.</summary>
    Misconfigured,
    /// <summary>The material is broken and the subject unknown: nothing can be renewed from it.</summary>
    CannotRenew,
    /// <summary>cert-manager's own Secret: have cert-manager re-issue it, as `cmctl renew` does.</summary>
    DelegateToCertManager,
    /// <summary>Due, waiting for the maintenance window.</summary>
    WaitForWindow,
    /// <summary>Sign with the internal CA and install.</summary>
    Sign,
    /// <summary>Generate a key and ask the external signer with a CertificateSigningRequest.</summary>
    RequestSignature,
    /// <summary>A CertificateSigningRequest is out; its approval or its certificate has not come back.</summary>
    AwaitSignature,
    /// <summary>The external signer's certificate verified: install it.</summary>
    Install,
    /// <summary>The signer denied or failed the request, or its certificate did not verify: the old certificate stays until the retry.</summary>
    Refused,
}

/// <summary>The CamelCase reasons of status.items[].reason, of the Events and of the Ready condition.</summary>
public static class CertificateReasons
{
    // Why a certificate needs a new one (cert-manager's trigger vocabulary, policies/constants.go).
    public const string DoesNotExist = "DoesNotExist", MissingData = "MissingData", InvalidCertificate = "InvalidCertificate",
        InvalidKeyPair = "InvalidKeyPair", Expired = "Expired", Renewing = "Renewing", UpToDate = "UpToDate";
    // What stops or carries a renewal.
    public const string EndpointMonitorOnly = "EndpointMonitorOnly", NoIssuer = "NoIssuer", ManagedByCertManager = "ManagedByCertManager",
        NotManagedByCertManager = "NotManagedByCertManager", IssuerNotReady = "IssuerNotReady", OutsideMaintenanceWindow = "OutsideMaintenanceWindow",
        AwaitingApproval = "AwaitingApproval", AwaitingCertificate = "AwaitingCertificate", SignatureDenied = "SignatureDenied",
        SignatureFailed = "SignatureFailed", CertificateRejected = "CertificateRejected", Signed = "Signed", Retrying = "Retrying";
    // Ready=False: a reference named in the spec does not resolve.
    public const string SecretNotFound = "SecretNotFound", RouteNotFound = "RouteNotFound", IssuerNotFound = "IssuerNotFound", IssuerInvalid = "IssuerInvalid";
    // Ready=True.
    public const string Watching = "Watching", MonitorOnly = "MonitorOnly";
}

public enum IssuerKind { None, Ca, External, CertManager }

/// <summary>What the watched object holds.</summary>
public enum MaterialState
{
    Present,
    /// <summary>The Secret of a listed certificate does not exist yet.</summary>
    Missing,
    MissingData,
    Malformed,
    KeyMismatch,
}

/// <summary>Where the CertificateSigningRequest of a certificate stands.</summary>
public enum SignatureRequestState { Pending, Approved, Signed, Denied, Failed, Rejected }

public sealed record SignatureRequestFacts(string Name, SignatureRequestState State, string? Message = null, Instant? RetryAt = null);

/// <summary>Everything the decision about one certificate depends on, gathered by the reconciler; no I/O behind it.</summary>
public sealed record CertificateSnapshot
{
    public required CertificateSource Source { get; init; }
    public required Instant Now { get; init; }
    /// <summary>Named in spec.certificates: its subject is known without the Secret, so it can be (re)created.</summary>
    public bool Listed { get; init; }
    public MaterialState Material { get; init; } = MaterialState.Present;
    public string? MaterialProblem { get; init; }
    public CertificateFacts? Current { get; init; }
    public Instant? RenewalTime { get; init; }
    public string? CertManagerName { get; init; }
    public IssuerKind Issuer { get; init; }
    public string? IssuerProblem { get; init; }
    public string? SignerName { get; init; }
    /// <summary>The next opening of the maintenance window when outside one; null inside a window or without one.</summary>
    public ZonedDateTime? WindowOpensAt { get; init; }
    public SignatureRequestFacts? Request { get; init; }
    /// <summary>Renewed or Created by the operator within the last check interval (what `kubectl get` should still show); null otherwise.</summary>
    public CertificateState? Recent { get; init; }

    public bool IsExpired => Current is { } c && Now >= c.NotAfter;
}

/// <summary>A policy's finding: a CamelCase reason and a message for a person.</summary>
public readonly record struct Finding(string Reason, string Message);

public sealed record CertificateDecision(CertificateAction Action, string Reason, string Message);

/// <summary>
/// The decision about one certificate as a chain of small pure policies, in cert-manager's manner
/// (internal/controller/certificates/policies): first the triggers, which say why a new certificate is needed, then
/// the gates, which say what may be done about it. Table-tested one by one.
/// </summary>
public static class CertificatePolicies
{
    public delegate Finding? Trigger(CertificateSnapshot s);
    public delegate CertificateDecision? Gate(CertificateSnapshot s, Finding why);

    public static readonly Trigger[] Triggers = [SecretDoesNotExist, SecretIsMissingData, CertificateIsInvalid, KeyPairMismatch, CertificateHasExpired, CertificateNearingExpiry];

    public static readonly Gate[] Gates =
    [
        EndpointsAreMonitoredOnly, BrokenMaterialCannotBeRenewed, SecretManagedByCertManager, CertManagerWithoutItsSecret, NoIssuer,
        IssuerNotUsable, SignatureInFlight, OutsideMaintenanceWindow, Issue,
    ];

    public static CertificateDecision Decide(CertificateSnapshot s)
    {
        Finding? why = null;
        foreach (var trigger in Triggers)
            if ((why = trigger(s)) is not null) break;
        if (why is not { } reason) return new(CertificateAction.Valid, CertificateReasons.UpToDate, "");
        foreach (var gate in Gates)
            if (gate(s, reason) is { } decision) return decision;
        throw new InvalidOperationException("the last gate always decides");
    }

    // ------------------------------------------------------------------ triggers

    public static Finding? SecretDoesNotExist(CertificateSnapshot s) =>
        s.Material == MaterialState.Missing ? new(CertificateReasons.DoesNotExist, "the Secret does not exist yet") : null;

    public static Finding? SecretIsMissingData(CertificateSnapshot s) =>
        s.Material == MaterialState.MissingData ? new(CertificateReasons.MissingData, s.MaterialProblem ?? "the Secret lacks tls.crt or tls.key") : null;

    public static Finding? CertificateIsInvalid(CertificateSnapshot s) =>
        s.Material == MaterialState.Malformed ? new(CertificateReasons.InvalidCertificate, s.MaterialProblem ?? "the certificate cannot be read") : null;

    public static Finding? KeyPairMismatch(CertificateSnapshot s) =>
        s.Material == MaterialState.KeyMismatch ? new(CertificateReasons.InvalidKeyPair, s.MaterialProblem ?? "the key does not match the certificate") : null;

    public static Finding? CertificateHasExpired(CertificateSnapshot s) =>
        s.IsExpired ? new(CertificateReasons.Expired, "expired") : null;

    public static Finding? CertificateNearingExpiry(CertificateSnapshot s) =>
        s.RenewalTime is { } at && s.Now >= at ? new(CertificateReasons.Renewing, "due for renewal") : null;

    // ------------------------------------------------------------------ gates

    public static CertificateDecision? EndpointsAreMonitoredOnly(CertificateSnapshot s, Finding why) =>
        s.Source == CertificateSource.Endpoint ? new(CertificateAction.MonitorOnly, CertificateReasons.EndpointMonitorOnly, $"{why.Message}: the endpoint is monitored only; renew its source") : null;

    /// <summary>A watched Secret or Route with unreadable material: its subject is unknown, so no successor can be made.</summary>
    public static CertificateDecision? BrokenMaterialCannotBeRenewed(CertificateSnapshot s, Finding why) =>
        !s.Listed && s.Material != MaterialState.Present ? new(CertificateAction.CannotRenew, why.Reason, why.Message) : null;

    public static CertificateDecision? SecretManagedByCertManager(CertificateSnapshot s, Finding why) => s.CertManagerName switch
    {
        null => null,
        var name when s.Issuer == IssuerKind.CertManager => new(CertificateAction.DelegateToCertManager, why.Reason, $"{why.Message}; cert-manager Certificate {name} re-issues it"),
        var name => new(CertificateAction.MonitorOnly, CertificateReasons.ManagedByCertManager, $"due; managed by cert-manager Certificate {name}: set issuer.certManager to have it re-issued"),
    };

    public static CertificateDecision? CertManagerWithoutItsSecret(CertificateSnapshot s, Finding why) =>
        s.Issuer == IssuerKind.CertManager
            ? new(CertificateAction.MonitorOnly, CertificateReasons.NotManagedByCertManager, "due, but not managed by cert-manager (no cert-manager.io/certificate-name annotation)")
            : null;

    public static CertificateDecision? NoIssuer(CertificateSnapshot s, Finding why) =>
        s.Issuer == IssuerKind.None ? new(CertificateAction.MonitorOnly, CertificateReasons.NoIssuer, $"{Due(why)}; monitor only (no issuer)") : null;

    public static CertificateDecision? IssuerNotUsable(CertificateSnapshot s, Finding why) =>
        s.IssuerProblem is { } problem ? new(CertificateAction.Misconfigured, CertificateReasons.IssuerNotReady, $"cannot renew: {problem}") : null;

    /// <summary>
    /// External signing: ask once, then wait for the signer; a refusal is kept until its retry time, then asked again. A
    /// request may go out at any time (asking disturbs nothing); only installing waits for the window.
    /// </summary>
    public static CertificateDecision? SignatureInFlight(CertificateSnapshot s, Finding why)
    {
        if (s.Issuer != IssuerKind.External) return null;
        var request = s.Request;
        return request?.State switch
        {
            null => new(CertificateAction.RequestSignature, why.Reason, $"{why.Message}; a signature is requested from {s.SignerName}"),
            SignatureRequestState.Pending => new(CertificateAction.AwaitSignature, CertificateReasons.AwaitingApproval,
                $"{Due(why)}; CertificateSigningRequest {request.Name} waits for approval (signer {s.SignerName})"),
            SignatureRequestState.Approved => new(CertificateAction.AwaitSignature, CertificateReasons.AwaitingCertificate,
                $"{Due(why)}; CertificateSigningRequest {request.Name} is approved and waits for the signer's certificate"),
            SignatureRequestState.Denied or SignatureRequestState.Failed or SignatureRequestState.Rejected when request.RetryAt is { } retry && retry <= s.Now =>
                new(CertificateAction.RequestSignature, CertificateReasons.Retrying, $"{Due(why)}; the last request was refused ({request.Message}): asked again"),
            SignatureRequestState.Denied => Refused(CertificateReasons.SignatureDenied, $"CertificateSigningRequest {request.Name} was denied"),
            SignatureRequestState.Failed => Refused(CertificateReasons.SignatureFailed, $"the signer failed CertificateSigningRequest {request.Name}"),
            SignatureRequestState.Rejected => Refused(CertificateReasons.CertificateRejected, $"the certificate signed for CertificateSigningRequest {request.Name} was not installed"),
            _ => null,
        };

        CertificateDecision Refused(string reason, string what) =>
            new(CertificateAction.Refused, reason, $"{what}: {request.Message}; the current certificate stays"
                + (request.RetryAt is { } at ? $"; asked again at {At(at)}" : ""));
    }

    /// <summary>Outside the maintenance window a renewal waits, unless the certificate would expire before the window opens or there is nothing to disturb yet.</summary>
    public static CertificateDecision? OutsideMaintenanceWindow(CertificateSnapshot s, Finding why)
    {
        if (s.WindowOpensAt is not { } opens || s.Current is not { } current || s.Material != MaterialState.Present) return null;
        if (current.NotAfter <= opens.ToInstant()) return null;
        var what = s.Request?.State == SignatureRequestState.Signed ? "signed; installing waits" : "due; waiting";
        return new(CertificateAction.WaitForWindow, CertificateReasons.OutsideMaintenanceWindow,
            $"{what} for the maintenance window at {Api.PersonTime.Format(opens.ToInstant(), opens.Zone)}");
    }

    public static CertificateDecision? Issue(CertificateSnapshot s, Finding why) => s.Issuer == IssuerKind.External
        ? new(CertificateAction.Install, CertificateReasons.Signed, $"CertificateSigningRequest {s.Request?.Name} signed and verified")
        : new(CertificateAction.Sign, why.Reason, why.Message);

    // ------------------------------------------------------------------ helpers

    /// <summary>A refused request is asked again after 1 h, doubling up to 32 h (cert-manager's issuance backoff).</summary>
    public static Duration RetryBackoff(int attempts) =>
        Duration.FromHours(Math.Min(32, Math.Pow(2, Math.Max(0, attempts - 1))));

    /// <summary>What status.items[].state shows for a decision before anything is applied.</summary>
    public static CertificateState StateOf(CertificateSnapshot s, CertificateDecision d) => d.Action switch
    {
        CertificateAction.Valid => s.Recent ?? CertificateState.Valid,
        CertificateAction.Misconfigured or CertificateAction.CannotRenew or CertificateAction.Refused => CertificateState.Error,
        _ when s.IsExpired => CertificateState.Expired,
        CertificateAction.RequestSignature or CertificateAction.AwaitSignature => CertificateState.Pending,
        _ => CertificateState.RenewalDue,
    };

    private static string Due(Finding why) => why.Reason == CertificateReasons.Renewing ? "due" : why.Message;

    private static string At(Instant at) => at.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
