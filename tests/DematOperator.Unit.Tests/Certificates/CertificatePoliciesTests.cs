using DematOperator.Certificates;
using NodaTime;

namespace DematOperator.Tests.Certificates;

/// <summary>Each policy of the chain on its own, then the chain, as tables: the decision depends on the snapshot alone.</summary>
public sealed class CertificatePoliciesTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 12, 1, 10, 0);
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];

    private static CertificateFacts Facts(double daysLeft) =>
        new("CN=portal.example.gouv.fr", ["portal.example.gouv.fr"], "CN=IGC", "01", Now - Duration.FromDays(60), Now + Duration.FromDays(daysLeft));

    /// <summary>A certificate of 90 days renewing 30 days before expiry: due when fewer than 30 days are left.</summary>
    private static CertificateSnapshot Snapshot(double daysLeft = 60, IssuerKind issuer = IssuerKind.Ca, MaterialState material = MaterialState.Present,
        CertificateSource source = CertificateSource.Secret, bool listed = false, string? certManager = null, string? issuerProblem = null,
        double? windowInHours = null, SignatureRequestFacts? request = null)
    {
        var facts = material is MaterialState.Present or MaterialState.KeyMismatch ? Facts(daysLeft) : null;
        return new CertificateSnapshot
        {
            Source = source, Now = Now, Listed = listed, Material = material, MaterialProblem = material == MaterialState.Present ? null : "broken",
            Current = facts, RenewalTime = facts is null ? null : facts.NotAfter - Duration.FromDays(30), CertManagerName = certManager,
            Issuer = issuer, IssuerProblem = issuerProblem, SignerName = "igc.example.gouv.fr/server",
            WindowOpensAt = windowInHours is { } h ? (Now + Duration.FromHours(h)).InZone(Paris) : null, Request = request,
        };
    }

    private static SignatureRequestFacts Request(SignatureRequestState state, double? retryInHours = null) =>
        new("platau-prod-portal-tls-1", state, state is SignatureRequestState.Denied ? "Refused: not our host" : "refused", retryInHours is { } h ? Now + Duration.FromHours(h) : null);

    public static TheoryData<string, CertificateSnapshot, string?> TriggerCases => new()
    {
        { nameof(CertificatePolicies.SecretDoesNotExist), Snapshot(material: MaterialState.Missing, listed: true), CertificateReasons.DoesNotExist },
        { nameof(CertificatePolicies.SecretDoesNotExist), Snapshot(), null },
        { nameof(CertificatePolicies.SecretIsMissingData), Snapshot(material: MaterialState.MissingData), CertificateReasons.MissingData },
        { nameof(CertificatePolicies.SecretIsMissingData), Snapshot(), null },
        { nameof(CertificatePolicies.CertificateIsInvalid), Snapshot(material: MaterialState.Malformed), CertificateReasons.InvalidCertificate },
        { nameof(CertificatePolicies.CertificateIsInvalid), Snapshot(), null },
        { nameof(CertificatePolicies.KeyPairMismatch), Snapshot(material: MaterialState.KeyMismatch), CertificateReasons.InvalidKeyPair },
        { nameof(CertificatePolicies.KeyPairMismatch), Snapshot(), null },
        { nameof(CertificatePolicies.CertificateHasExpired), Snapshot(daysLeft: -1), CertificateReasons.Expired },
        { nameof(CertificatePolicies.CertificateHasExpired), Snapshot(daysLeft: 1), null },
        { nameof(CertificatePolicies.CertificateNearingExpiry), Snapshot(daysLeft: 29), CertificateReasons.Renewing },
        { nameof(CertificatePolicies.CertificateNearingExpiry), Snapshot(daysLeft: 31), null },
    };

    [Theory, MemberData(nameof(TriggerCases))]
    public void Each_trigger_says_why_a_new_certificate_is_needed_or_nothing(string trigger, CertificateSnapshot snapshot, string? reason)
    {
        var policy = CertificatePolicies.Triggers.Single(t => t.Method.Name == trigger);
        policy(snapshot)?.Reason.ShouldBe(reason);
        policy(snapshot).HasValue.ShouldBe(reason is not null);
    }

    private static readonly Finding Due = new(CertificateReasons.Renewing, "due for renewal");

    public static TheoryData<string, CertificateSnapshot, CertificateAction?, string?> GateCases => new()
    {
        { nameof(CertificatePolicies.EndpointsAreMonitoredOnly), Snapshot(source: CertificateSource.Endpoint), CertificateAction.MonitorOnly, CertificateReasons.EndpointMonitorOnly },
        { nameof(CertificatePolicies.EndpointsAreMonitoredOnly), Snapshot(), null, null },
        { nameof(CertificatePolicies.BrokenMaterialCannotBeRenewed), Snapshot(material: MaterialState.Malformed), CertificateAction.CannotRenew, CertificateReasons.Renewing },
        { nameof(CertificatePolicies.BrokenMaterialCannotBeRenewed), Snapshot(material: MaterialState.Malformed, listed: true), null, null },
        { nameof(CertificatePolicies.BrokenMaterialCannotBeRenewed), Snapshot(), null, null },
        { nameof(CertificatePolicies.SecretManagedByCertManager), Snapshot(certManager: "portal", issuer: IssuerKind.CertManager), CertificateAction.DelegateToCertManager, CertificateReasons.Renewing },
        { nameof(CertificatePolicies.SecretManagedByCertManager), Snapshot(certManager: "portal", issuer: IssuerKind.Ca), CertificateAction.MonitorOnly, CertificateReasons.ManagedByCertManager },
        { nameof(CertificatePolicies.SecretManagedByCertManager), Snapshot(), null, null },
        { nameof(CertificatePolicies.CertManagerWithoutItsSecret), Snapshot(issuer: IssuerKind.CertManager), CertificateAction.MonitorOnly, CertificateReasons.NotManagedByCertManager },
        { nameof(CertificatePolicies.CertManagerWithoutItsSecret), Snapshot(), null, null },
        { nameof(CertificatePolicies.NoIssuer), Snapshot(issuer: IssuerKind.None), CertificateAction.MonitorOnly, CertificateReasons.NoIssuer },
        { nameof(CertificatePolicies.NoIssuer), Snapshot(), null, null },
        { nameof(CertificatePolicies.IssuerNotUsable), Snapshot(issuerProblem: "CA Secret x not found"), CertificateAction.Misconfigured, CertificateReasons.IssuerNotReady },
        { nameof(CertificatePolicies.IssuerNotUsable), Snapshot(), null, null },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.External), CertificateAction.RequestSignature, CertificateReasons.Renewing },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Pending)), CertificateAction.AwaitSignature, CertificateReasons.AwaitingApproval },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Approved)), CertificateAction.AwaitSignature, CertificateReasons.AwaitingCertificate },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Denied, 1)), CertificateAction.Refused, CertificateReasons.SignatureDenied },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Failed, 1)), CertificateAction.Refused, CertificateReasons.SignatureFailed },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Rejected, 1)), CertificateAction.Refused, CertificateReasons.CertificateRejected },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Denied, -1)), CertificateAction.RequestSignature, CertificateReasons.Retrying },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Signed)), null, null },
        { nameof(CertificatePolicies.SignatureInFlight), Snapshot(issuer: IssuerKind.Ca), null, null },
        { nameof(CertificatePolicies.OutsideMaintenanceWindow), Snapshot(daysLeft: 20, windowInHours: 6), CertificateAction.WaitForWindow, CertificateReasons.OutsideMaintenanceWindow },
        { nameof(CertificatePolicies.OutsideMaintenanceWindow), Snapshot(daysLeft: 0.1, windowInHours: 6), null, null },
        { nameof(CertificatePolicies.OutsideMaintenanceWindow), Snapshot(daysLeft: 20), null, null },
        { nameof(CertificatePolicies.OutsideMaintenanceWindow), Snapshot(material: MaterialState.Missing, listed: true, windowInHours: 6), null, null },
        { nameof(CertificatePolicies.Issue), Snapshot(issuer: IssuerKind.Ca), CertificateAction.Sign, CertificateReasons.Renewing },
        { nameof(CertificatePolicies.Issue), Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Signed)), CertificateAction.Install, CertificateReasons.Signed },
    };

    [Theory, MemberData(nameof(GateCases))]
    public void Each_gate_decides_or_passes(string gate, CertificateSnapshot snapshot, CertificateAction? action, string? reason)
    {
        var decision = CertificatePolicies.Gates.Single(g => g.Method.Name == gate)(snapshot, Due);
        ((CertificateAction?)decision?.Action).ShouldBe(action);
        decision?.Reason.ShouldBe(reason);
    }

    public static TheoryData<string, CertificateSnapshot, CertificateAction, CertificateState> ChainCases => new()
    {
        { "a valid certificate", Snapshot(), CertificateAction.Valid, CertificateState.Valid },
        { "due, internal CA", Snapshot(daysLeft: 10), CertificateAction.Sign, CertificateState.RenewalDue },
        { "expired, internal CA", Snapshot(daysLeft: -1), CertificateAction.Sign, CertificateState.Expired },
        { "due, waiting for the window", Snapshot(daysLeft: 10, windowInHours: 6), CertificateAction.WaitForWindow, CertificateState.RenewalDue },
        { "due, would expire before the window", Snapshot(daysLeft: 0.1, windowInHours: 6), CertificateAction.Sign, CertificateState.RenewalDue },
        { "due, no issuer", Snapshot(daysLeft: 10, issuer: IssuerKind.None), CertificateAction.MonitorOnly, CertificateState.RenewalDue },
        { "expired, no issuer", Snapshot(daysLeft: -1, issuer: IssuerKind.None), CertificateAction.MonitorOnly, CertificateState.Expired },
        { "due, CA missing", Snapshot(daysLeft: 10, issuerProblem: "not found"), CertificateAction.Misconfigured, CertificateState.Error },
        { "valid, CA missing: nothing to sign yet", Snapshot(issuerProblem: "not found"), CertificateAction.Valid, CertificateState.Valid },
        { "a watched Secret with a broken certificate", Snapshot(material: MaterialState.Malformed), CertificateAction.CannotRenew, CertificateState.Error },
        { "a watched Secret with a broken certificate and no issuer", Snapshot(material: MaterialState.Malformed, issuer: IssuerKind.None), CertificateAction.CannotRenew, CertificateState.Error },
        { "a listed Secret with a broken certificate is issued again", Snapshot(material: MaterialState.Malformed, listed: true), CertificateAction.Sign, CertificateState.RenewalDue },
        { "a listed Secret that does not exist", Snapshot(material: MaterialState.Missing, listed: true), CertificateAction.Sign, CertificateState.RenewalDue },
        { "a listed Secret that does not exist, external signer", Snapshot(material: MaterialState.Missing, listed: true, issuer: IssuerKind.External), CertificateAction.RequestSignature, CertificateState.Pending },
        { "a listed Secret that does not exist, outside the window", Snapshot(material: MaterialState.Missing, listed: true, windowInHours: 6), CertificateAction.Sign, CertificateState.RenewalDue },
        { "due, external, nothing asked yet", Snapshot(daysLeft: 10, issuer: IssuerKind.External), CertificateAction.RequestSignature, CertificateState.Pending },
        { "due, external, asked even outside the window", Snapshot(daysLeft: 10, issuer: IssuerKind.External, windowInHours: 6), CertificateAction.RequestSignature, CertificateState.Pending },
        { "due, external, waiting for approval", Snapshot(daysLeft: 10, issuer: IssuerKind.External, request: Request(SignatureRequestState.Pending)), CertificateAction.AwaitSignature, CertificateState.Pending },
        { "expired, external, waiting for approval", Snapshot(daysLeft: -1, issuer: IssuerKind.External, request: Request(SignatureRequestState.Pending)), CertificateAction.AwaitSignature, CertificateState.Expired },
        { "due, external, signed", Snapshot(daysLeft: 10, issuer: IssuerKind.External, request: Request(SignatureRequestState.Signed)), CertificateAction.Install, CertificateState.RenewalDue },
        { "due, external, signed, outside the window", Snapshot(daysLeft: 10, issuer: IssuerKind.External, windowInHours: 6, request: Request(SignatureRequestState.Signed)), CertificateAction.WaitForWindow, CertificateState.RenewalDue },
        { "due, external, denied", Snapshot(daysLeft: 10, issuer: IssuerKind.External, request: Request(SignatureRequestState.Denied, 1)), CertificateAction.Refused, CertificateState.Error },
        { "due, external, denied, retry time passed", Snapshot(daysLeft: 10, issuer: IssuerKind.External, request: Request(SignatureRequestState.Denied, -1)), CertificateAction.RequestSignature, CertificateState.Pending },
        { "valid again with a request out", Snapshot(issuer: IssuerKind.External, request: Request(SignatureRequestState.Pending)), CertificateAction.Valid, CertificateState.Valid },
        { "due, trust anchor missing", Snapshot(daysLeft: 10, issuer: IssuerKind.External, issuerProblem: "not found"), CertificateAction.Misconfigured, CertificateState.Error },
        { "cert-manager's Secret, cert-manager issuer", Snapshot(daysLeft: 10, certManager: "portal", issuer: IssuerKind.CertManager), CertificateAction.DelegateToCertManager, CertificateState.RenewalDue },
        { "cert-manager's Secret, CA issuer: never written", Snapshot(daysLeft: 10, certManager: "portal"), CertificateAction.MonitorOnly, CertificateState.RenewalDue },
        { "cert-manager issuer, not cert-manager's Secret", Snapshot(daysLeft: 10, issuer: IssuerKind.CertManager), CertificateAction.MonitorOnly, CertificateState.RenewalDue },
        { "an endpoint due", Snapshot(daysLeft: 10, source: CertificateSource.Endpoint, issuer: IssuerKind.None), CertificateAction.MonitorOnly, CertificateState.RenewalDue },
    };

    [Theory, MemberData(nameof(ChainCases))]
    public void The_chain_decides_one_action_and_state(string what, CertificateSnapshot snapshot, CertificateAction action, CertificateState state)
    {
        var decision = CertificatePolicies.Decide(snapshot);
        decision.Action.ShouldBe(action, what);
        CertificatePolicies.StateOf(snapshot, decision).ShouldBe(state, what);
    }

    [Fact]
    public void Every_policy_is_in_the_chain_and_has_a_case()
    {
        var triggers = CertificatePolicies.Triggers.Select(t => t.Method.Name).ToList();
        var gates = CertificatePolicies.Gates.Select(g => g.Method.Name).ToList();
        TriggerCases.Select(c => (string)c[0]).Distinct().Order().ShouldBe(triggers.Order());
        GateCases.Select(c => (string)c[0]).Distinct().Order().ShouldBe(gates.Order());
        gates[^1].ShouldBe(nameof(CertificatePolicies.Issue), "the last gate always decides");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 32)]
    [InlineData(20, 32)]
    public void A_refused_request_is_asked_again_after_a_doubling_wait_capped_at_32_hours(int attempts, int hours) =>
        CertificatePolicies.RetryBackoff(attempts).ShouldBe(Duration.FromHours(hours));

    [Fact]
    public void A_refusal_says_how_to_retry_at_once()
    {
        var decision = CertificatePolicies.Decide(Snapshot(daysLeft: 10, issuer: IssuerKind.External, request: Request(SignatureRequestState.Denied, 2)));
        decision.Message.ShouldContain("Refused: not our host");
        decision.Message.ShouldContain("the current certificate stays");
        decision.Message.ShouldContain("CertificateSigningRequest platau-prod-portal-tls-1 was denied");
        decision.Message.ShouldContain("asked again at 2026-12-01T12:00:00Z");
    }

    private const string Csr = "CertificateSigningRequest platau-prod-portal-tls-1";

    /// <summary>Every path of the chain with the whole decision a person reads in status.items[] and the Events, written by hand.</summary>
    public static TheoryData<string, CertificateSnapshot, CertificateDecision> Messages => new()
    {
        { "not due", Snapshot(), new(CertificateAction.Valid, CertificateReasons.UpToDate, "") },
        { "due exactly now", Snapshot(daysLeft: 30), new(CertificateAction.Sign, CertificateReasons.Renewing, "due for renewal") },
        { "expires exactly now", Snapshot(daysLeft: 0), new(CertificateAction.Sign, CertificateReasons.Expired, "expired") },
        { "listed, not created yet", Snapshot(material: MaterialState.Missing, listed: true), new(CertificateAction.Sign, CertificateReasons.DoesNotExist, "the Secret does not exist yet") },
        { "endpoint", Snapshot(daysLeft: 29, source: CertificateSource.Endpoint),
            new(CertificateAction.MonitorOnly, CertificateReasons.EndpointMonitorOnly, "due for renewal: the endpoint is monitored only; renew its source") },
        { "broken, problem told", Snapshot(material: MaterialState.Malformed), new(CertificateAction.CannotRenew, CertificateReasons.InvalidCertificate, "broken") },
        { "missing data, problem told", Snapshot(material: MaterialState.MissingData), new(CertificateAction.CannotRenew, CertificateReasons.MissingData, "broken") },
        { "key mismatch, problem told", Snapshot(material: MaterialState.KeyMismatch), new(CertificateAction.CannotRenew, CertificateReasons.InvalidKeyPair, "broken") },
        { "missing data, untold", Snapshot(material: MaterialState.MissingData) with { MaterialProblem = null },
            new(CertificateAction.CannotRenew, CertificateReasons.MissingData, "the Secret lacks tls.crt or tls.key") },
        { "malformed, untold", Snapshot(material: MaterialState.Malformed) with { MaterialProblem = null },
            new(CertificateAction.CannotRenew, CertificateReasons.InvalidCertificate, "the certificate cannot be read") },
        { "key mismatch, untold", Snapshot(material: MaterialState.KeyMismatch) with { MaterialProblem = null },
            new(CertificateAction.CannotRenew, CertificateReasons.InvalidKeyPair, "the key does not match the certificate") },
        { "cert-manager's, delegated", Snapshot(daysLeft: 29, certManager: "portal", issuer: IssuerKind.CertManager),
            new(CertificateAction.DelegateToCertManager, CertificateReasons.Renewing, "due for renewal; cert-manager Certificate portal re-issues it") },
        { "cert-manager's, other issuer", Snapshot(daysLeft: 29, certManager: "portal"),
            new(CertificateAction.MonitorOnly, CertificateReasons.ManagedByCertManager, "due; managed by cert-manager Certificate portal: set issuer.certManager to have it re-issued") },
        { "cert-manager issuer, not its Secret", Snapshot(daysLeft: 29, issuer: IssuerKind.CertManager),
            new(CertificateAction.MonitorOnly, CertificateReasons.NotManagedByCertManager, "due, but not managed by cert-manager (no cert-manager.io/certificate-name annotation)") },
        { "no issuer, due", Snapshot(daysLeft: 29, issuer: IssuerKind.None), new(CertificateAction.MonitorOnly, CertificateReasons.NoIssuer, "due; monitor only (no issuer)") },
        { "no issuer, expired", Snapshot(daysLeft: -1, issuer: IssuerKind.None), new(CertificateAction.MonitorOnly, CertificateReasons.NoIssuer, "expired; monitor only (no issuer)") },
        { "issuer unusable", Snapshot(daysLeft: 29, issuerProblem: "ClusterIssuer igc not found"),
            new(CertificateAction.Misconfigured, CertificateReasons.IssuerNotReady, "cannot renew: ClusterIssuer igc not found") },
        { "external, to ask", Snapshot(daysLeft: 29, issuer: IssuerKind.External),
            new(CertificateAction.RequestSignature, CertificateReasons.Renewing, "due for renewal; a signature is requested from igc.example.gouv.fr/server") },
        { "external, pending", Snapshot(daysLeft: 29, issuer: IssuerKind.External, request: Request(SignatureRequestState.Pending)),
            new(CertificateAction.AwaitSignature, CertificateReasons.AwaitingApproval, $"due; {Csr} waits for approval (signer igc.example.gouv.fr/server)") },
        { "external, approved, expired", Snapshot(daysLeft: -1, issuer: IssuerKind.External, request: Request(SignatureRequestState.Approved)),
            new(CertificateAction.AwaitSignature, CertificateReasons.AwaitingCertificate, $"expired; {Csr} is approved and waits for the signer's certificate") },
        { "external, denied, retry due now", Snapshot(daysLeft: 29, issuer: IssuerKind.External, request: Request(SignatureRequestState.Denied, 0)),
            new(CertificateAction.RequestSignature, CertificateReasons.Retrying, "due; the last request was refused (Refused: not our host): asked again") },
        { "external, denied, retry later", Snapshot(daysLeft: 29, issuer: IssuerKind.External, request: Request(SignatureRequestState.Denied, 2)),
            new(CertificateAction.Refused, CertificateReasons.SignatureDenied, $"{Csr} was denied: Refused: not our host; the current certificate stays; asked again at 2026-12-01T12:00:00Z") },
        { "external, failed", Snapshot(daysLeft: 29, issuer: IssuerKind.External, request: Request(SignatureRequestState.Failed)),
            new(CertificateAction.Refused, CertificateReasons.SignatureFailed, $"the signer failed {Csr}: refused; the current certificate stays") },
        { "external, rejected", Snapshot(daysLeft: 29, issuer: IssuerKind.External, request: Request(SignatureRequestState.Rejected)),
            new(CertificateAction.Refused, CertificateReasons.CertificateRejected, $"the certificate signed for {Csr} was not installed: refused; the current certificate stays") },
        { "external, signed, window later", Snapshot(daysLeft: 29, issuer: IssuerKind.External, windowInHours: 2, request: Request(SignatureRequestState.Signed)),
            new(CertificateAction.WaitForWindow, CertificateReasons.OutsideMaintenanceWindow, "signed; installing waits for the maintenance window at 2026-12-01T13:00:00+01:00") },
        { "CA, window later", Snapshot(daysLeft: 29, windowInHours: 2),
            new(CertificateAction.WaitForWindow, CertificateReasons.OutsideMaintenanceWindow, "due; waiting for the maintenance window at 2026-12-01T13:00:00+01:00") },
        { "CA, expires before the window", Snapshot(daysLeft: 29, windowInHours: 29 * 24), new(CertificateAction.Sign, CertificateReasons.Renewing, "due for renewal") },
        { "external, signed, in the window", Snapshot(daysLeft: 29, issuer: IssuerKind.External, request: Request(SignatureRequestState.Signed)),
            new(CertificateAction.Install, CertificateReasons.Signed, $"{Csr} signed and verified") },
    };

    [Theory, MemberData(nameof(Messages))]
    public void Each_path_decides_its_action_reason_and_message(string what, CertificateSnapshot snapshot, CertificateDecision decision) =>
        CertificatePolicies.Decide(snapshot).ShouldBe(decision, what);

    [Fact]
    public void A_valid_certificate_shows_what_this_check_did_to_it()
    {
        var valid = CertificatePolicies.Decide(Snapshot());
        CertificatePolicies.StateOf(Snapshot() with { Recent = CertificateState.Renewed }, valid).ShouldBe(CertificateState.Renewed);
        CertificatePolicies.StateOf(Snapshot(), valid).ShouldBe(CertificateState.Valid);
    }
}
