using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>
/// CertificateRenewal in the one shape: Load the resource from the cache, Resolve its spec, Observe each certificate
/// (<see cref="CertificateObserver"/>), Decide with the pure policy chain (<see cref="CertificatePolicies"/>), Apply the
/// action (<see cref="CertificateWrites"/>, <see cref="SignatureRequests"/>), then write the status. A bad certificate
/// is that certificate's Error; a reference of the spec that does not resolve makes Ready=False; the others go on.
/// </summary>
public sealed class CertificateRenewalReconciler : IReconciler
{
    public const string CertManagerNameAnnotation = "cert-manager.io/certificate-name";
    public const string RenewedAtAnnotation = CertificateWrites.RenewedAtAnnotation;
    public const string SerialAnnotation = CertificateWrites.SerialAnnotation;
    public const string RevisionAnnotation = CertificateWrites.RevisionAnnotation;
    /// <summary>Held while the resource has signature requests out or Secrets to delete with it.</summary>
    public const string Finalizer = Group.AnnotationPrefix + "certificates";
    public static readonly ResourceType<DynamicObject> Routes = CertificateWrites.Routes;
    public static readonly ResourceType<DynamicObject> CertManagerCertificates = Resources.Dynamic("cert-manager.io", "v1", "certificates", "Certificate", true);
    private static readonly ResourceType<DynamicObject> SecretsDynamic = Resources.Dynamic("", "v1", "secrets", "Secret", true);
    private static readonly Duration ExpiringSoon = Duration.FromDays(30);
    public const int MaxStatusItems = 500;

    private readonly KubeClient _client;
    private readonly Informer<CertificateRenewal> _renewals;
    private readonly EventRecorder _events;
    private readonly CertificateMetrics _metrics;
    private readonly ILogger<CertificateRenewalReconciler> _log;
    private readonly SignatureRequests _requests;
    private readonly CertificateObserver _observer;
    private readonly CertificateWrites _writes;
    private readonly ConcurrentDictionary<string, List<string[]>> _exported = new();

    /// <summary>How many resources the reconciler remembers something of (a leak test checks it returns to zero).</summary>
    internal int Remembered => _exported.Count;

    public CertificateRenewalReconciler(KubeClient client, Informer<CertificateRenewal> renewals, EventRecorder events, CertificateMetrics metrics, ILogger<CertificateRenewalReconciler> log)
    {
        (_client, _renewals, _events, _metrics, _log) = (client, renewals, events, metrics, log);
        _requests = new SignatureRequests(client);
        _observer = new CertificateObserver(client, _requests);
        _writes = new CertificateWrites(client, events);
    }

    /// <summary>One pass over one resource: what it found, what it did, what must be reported.</summary>
    private sealed class Pass(CertificateRenewal cr, RenewalPassFacts facts) : IDisposable
    {
        public CertificateRenewal Cr { get; } = cr;
        public RenewalPassFacts Facts { get; } = facts;
        public RenewalSettings Settings => Facts.Settings;
        public Instant Now => Facts.Now;
        public readonly List<CertificateStatusItem> Items = [];
        public readonly List<(CertificateStatusItem Item, string Result)> Renewals = [];
        /// <summary>References of the spec that do not resolve: Ready=False.</summary>
        public readonly List<Finding> Misconfigured = [];
        public readonly List<IssuerFacts> Issuers = [];
        /// <summary>When a refused signature is to be asked again: the pass wakes up for it.</summary>
        public Instant? NextRetry;
        /// <summary>A write of this pass lost a race (409): the pass ends normally, then is retried at once with backoff.</summary>
        public bool Conflicted;
        public void Dispose() { foreach (var i in Issuers) i.Dispose(); }
    }

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        // Load
        var cr = _renewals.Get(request.Namespace, request.Name);
        var key = $"{request.Namespace}/{request.Name}";
        if (cr is null)
        {
            if (_exported.TryRemove(key, out var gone)) _metrics.Forget(gone);
            return ReconcileResult.Done;
        }
        if (cr.IsDeleting) return await FinalizeAsync(cr, key, ct);

        // Resolve
        var problems = CertificateRenewalChecks.Resolve(cr.Spec, out var settings);
        if (settings is null)
        {
            var p = problems.First(x => !x.Warning);
            await InvalidSpec.ReportAsync(_client, OperatorKinds.CertificateRenewals, cr, c => c.Status ??= new CertificateRenewalStatus(), _events, p.Reason, $"{p.Field}: {p.Message}", ct);
            return ReconcileResult.Done;
        }
        if (NeedsFinalizer(cr, settings)) cr = await ObjectWriter.AddFinalizerAsync(_client, OperatorKinds.CertificateRenewals, cr, Finalizer, ct);
        else if (cr.Metadata.Finalizers?.Contains(Finalizer) == true)
        {
            await _requests.DeleteAllAsync(cr, ct);
            cr = await ObjectWriter.RemoveFinalizerAsync(_client, OperatorKinds.CertificateRenewals, cr, Finalizer, ct);
        }

        // Observe, Decide, Apply: certificate by certificate.
        var now = Instant.FromDateTimeOffset(_client.Time.GetUtcNow());
        using var pass = new Pass(cr, new RenewalPassFacts(settings, now, RenewalPassFacts.NextOpeningWhenOutside(settings, now), cr.Status?.Items ?? []));
        var mainIssuer = await IssuerAsync(pass, cr.Spec.Issuer, "spec.issuer", ct);
        await SecretsAsync(pass, mainIssuer, ct);
        if (cr.Spec.Routes is not null) await RoutesAsync(pass, mainIssuer, ct);
        foreach (var endpoint in cr.Spec.Endpoints ?? [])
            await IsolatedAsync(pass, CertificateSource.Endpoint, cr.Namespace!, endpoint.Name, () => EndpointAsync(pass, endpoint, ct), ct);
        await ReconcileCreatedAsync(pass, ct);

        // Status
        var items = pass.Items.OrderBy(i => i.Source).ThenBy(i => i.Namespace).ThenBy(i => i.Name).ToList();
        var next = items.Where(i => i.RenewalTime is not null && i.State is nameof(CertificateState.Valid) or nameof(CertificateState.Renewed) or nameof(CertificateState.Created))
            .Select(i => i.RenewalTime!.Value).DefaultIfEmpty().Min();
        var ready = pass.Misconfigured.Count > 0
            ? Conditions.Make("Ready", false, pass.Misconfigured[0].Reason, string.Join("; ", pass.Misconfigured.Select(m => m.Message)), cr.Metadata.Generation)
            : Conditions.Make("Ready", true, problems.Any(p => p.Warning) ? CertificateReasons.MonitorOnly : CertificateReasons.Watching,
                problems.FirstOrDefault(p => p.Warning)?.Message ?? $"{items.Count} certificate(s) watched", cr.Metadata.Generation);
        var before = Conditions.Find(cr.Status?.Conditions, "Ready");
        await ObjectWriter.UpdateStatusAsync(_client, OperatorKinds.CertificateRenewals, cr, c => WriteStatus(c, items, next, ready, now), ct);
        // One Event per distinct misconfiguration: the same problem found again at the next check is not repeated.
        if (pass.Misconfigured.Count > 0 && (before?.Status != "False" || before.Reason != ready.Reason || before.Message != ready.Message))
            await _events.WarningAsync(cr, ready.Reason, ready.Message, ct);
        // No "last check" timestamp in status: it would turn every quiet pass into a write.
        Export(key, items, pass);
        if (pass.Conflicted) return ReconcileResult.RetrySoon;
        var wake = WakeUp(settings, items, next, now, pass.Facts.WindowOpensAt);
        if (pass.NextRetry is { } retry && retry > now && retry - now < wake) wake = retry - now + Duration.FromSeconds(1);
        return ReconcileResult.After(wake.ToTimeSpan());
    }

    private void WriteStatus(CertificateRenewal c, List<CertificateStatusItem> items, DateTimeOffset next, Condition ready, Instant now)
    {
        var st = c.Status ??= new CertificateRenewalStatus();
        st.Conditions ??= [];
        st.ObservedGeneration = c.Metadata.Generation;
        static bool Quiet(CertificateStatusItem i) => i.State is nameof(CertificateState.Valid);
        // Status must stay far below etcd's 1.5 MiB object limit: the most urgent items are listed, the counts cover all.
        st.Items = items.Count <= MaxStatusItems ? items
            : items.OrderBy(i => Quiet(i) ? 1 : 0).ThenBy(i => i.NotAfter ?? DateTimeOffset.MinValue).Take(MaxStatusItems)
                .OrderBy(i => i.Source).ThenBy(i => i.Namespace).ThenBy(i => i.Name).ToList();
        st.Certificates = items.Count;
        st.ExpiringSoon = items.Count(i => i.NotAfter is { } na && Instant.FromDateTimeOffset(na) - now < ExpiringSoon);
        st.NextRenewalTime = next == default ? null : next;
        st.Counts = items.GroupBy(i => i.State).ToDictionary(g => g.Key, g => g.Count());
        var errors = items.Where(i => i.State is nameof(CertificateState.Error) or nameof(CertificateState.Expired)).ToList();
        st.Errors = errors.Count;
        Conditions.Set(st.Conditions, ready, _client.Time.GetUtcNow());
        Conditions.Set(st.Conditions, Conditions.Make("CertificatesHealthy", errors.Count == 0, errors.Count == 0 ? "AllValid" : "CertificatesNeedAttention",
            errors.Count == 0 ? "no certificate in error or expired" : string.Join("; ", errors.Take(5).Select(i => $"{i.Source} {i.Namespace}/{i.Name}: {i.Message}")),
            c.Metadata.Generation), _client.Time.GetUtcNow());
    }

    private static Duration WakeUp(RenewalSettings settings, List<CertificateStatusItem> items, DateTimeOffset next, Instant now, ZonedDateTime? windowOpensAt)
    {
        var wake = settings.Interval;
        if (next != default && Instant.FromDateTimeOffset(next) > now && Instant.FromDateTimeOffset(next) - now < wake) wake = Instant.FromDateTimeOffset(next) - now + Duration.FromSeconds(1);
        if (windowOpensAt is { } opens && items.Any(i => i.Reason == CertificateReasons.OutsideMaintenanceWindow) && opens.ToInstant() - now < wake)
            wake = opens.ToInstant() - now + Duration.FromSeconds(1);
        return wake;
    }

    /// <summary>Signature requests are cluster-scoped: nothing deletes them with the resource but the resource's finalizer.</summary>
    private static bool NeedsFinalizer(CertificateRenewal cr, RenewalSettings settings) =>
        CertificateRenewalChecks.KindOf(cr.Spec.Issuer) == IssuerKind.External
        || settings.Managed.Any(m => CertificateRenewalChecks.KindOf(m.Issuer) == IssuerKind.External);

    private async Task<IssuerFacts> IssuerAsync(Pass pass, IssuerSpec? spec, string field, CancellationToken ct)
    {
        var issuer = await _observer.LoadIssuerAsync(pass.Cr, spec, pass.Now, ct);
        pass.Issuers.Add(issuer);
        if (issuer.ReadyReason is { } reason && !pass.Misconfigured.Any(m => m.Message.EndsWith(issuer.Problem!, StringComparison.Ordinal)))
            pass.Misconfigured.Add(new(reason, $"{field}: {issuer.Problem}"));
        return issuer;
    }

    // ---------------------------------------------------------------- observe, decide, apply

    private async Task SecretsAsync(Pass pass, IssuerFacts mainIssuer, CancellationToken ct)
    {
        var cr = pass.Cr;
        var (found, missing, unreadable) = await _observer.SelectAsync(cr, cr.Spec.Secrets, SecretsDynamic, CertificateSource.Secret, ct);
        pass.Items.AddRange(unreadable);
        var listed = pass.Settings.Managed.ToDictionary(m => m.SecretName);
        foreach (var (ns, name) in missing.Where(m => !(m.Namespace == cr.Namespace && listed.ContainsKey(m.Name))))
        {
            pass.Items.Add(new CertificateStatusItem { Source = nameof(CertificateSource.Secret), Namespace = ns, Name = name, State = nameof(CertificateState.Error), Reason = CertificateReasons.SecretNotFound, Message = "Secret not found" });
            pass.Misconfigured.Add(new(CertificateReasons.SecretNotFound, $"spec.secrets.names: Secret {ns}/{name} not found"));
        }
        foreach (var secret in found.Where(s => !(s.Namespace == cr.Namespace && listed.ContainsKey(s.Name))))
            await IsolatedAsync(pass, CertificateSource.Secret, secret.Namespace!, secret.Name, async () =>
            {
                using var observed = await _observer.ObserveSecretAsync(pass.Facts, secret.Namespace!, secret.Name, secret, null, mainIssuer, ct);
                if (observed is not null) await HandleAsync(pass, observed, ct);
            }, ct);
        foreach (var managed in pass.Settings.Managed)
        {
            var issuer = ReferenceEquals(managed.Issuer, cr.Spec.Issuer) ? mainIssuer : await IssuerAsync(pass, managed.Issuer, $"spec.certificates[{managed.SecretName}].issuer", ct);
            await IsolatedAsync(pass, CertificateSource.Secret, cr.Namespace!, managed.SecretName, async () =>
            {
                var secret = found.FirstOrDefault(s => s.Namespace == cr.Namespace && s.Name == managed.SecretName)
                             ?? await _client.TryGetAsync(SecretsDynamic, cr.Namespace, managed.SecretName, ct);
                using var observed = await _observer.ObserveSecretAsync(pass.Facts, cr.Namespace!, managed.SecretName, secret, managed, issuer, ct);
                if (observed is null)
                {
                    pass.Items.Add(new CertificateStatusItem { Source = nameof(CertificateSource.Secret), Namespace = cr.Namespace!, Name = managed.SecretName, State = nameof(CertificateState.Error),
                        Reason = CertificateReasons.InvalidCertificate, Message = "a Secret of this name exists and is not of type kubernetes.io/tls: rename spec.certificates[].secretName" });
                    return;
                }
                await HandleAsync(pass, observed, ct);
            }, ct);
        }
    }

    private async Task RoutesAsync(Pass pass, IssuerFacts issuer, CancellationToken ct)
    {
        var (found, missing, unreadable) = await _observer.SelectAsync(pass.Cr, pass.Cr.Spec.Routes, Routes, CertificateSource.Route, ct);
        pass.Items.AddRange(unreadable);
        foreach (var (ns, name) in missing)
        {
            pass.Items.Add(new CertificateStatusItem { Source = nameof(CertificateSource.Route), Namespace = ns, Name = name, State = nameof(CertificateState.Error), Reason = CertificateReasons.RouteNotFound, Message = "Route not found" });
            pass.Misconfigured.Add(new(CertificateReasons.RouteNotFound, $"spec.routes.names: Route {ns}/{name} not found"));
        }
        foreach (var route in found)
            await IsolatedAsync(pass, CertificateSource.Route, route.Namespace!, route.Name, async () =>
            {
                using var observed = await _observer.ObserveRouteAsync(pass.Facts, route, issuer, ct);
                if (observed is not null) await HandleAsync(pass, observed, ct);
            }, ct);
    }

    private async Task EndpointAsync(Pass pass, EndpointSpec endpoint, CancellationToken ct)
    {
        var (snapshot, item, servesCurrent) = await _observer.ObserveEndpointAsync(pass.Facts, pass.Cr, endpoint, ct);
        pass.Items.Add(item);
        if (snapshot is not null)
        {
            var failed = item.State == nameof(CertificateState.Error) ? (item.Reason, item.Message) : default;
            Describe(item, snapshot, CertificatePolicies.Decide(snapshot));
            if (failed.Reason is not null) (item.State, item.Reason, item.Message) = (nameof(CertificateState.Error), failed.Reason, failed.Message);
        }
        if (servesCurrent is { } current && item.Subject is { } subject)
            _metrics.ServedCurrent.WithLabels(item.Namespace, item.Name, nameof(CertificateSource.Endpoint), subject).Set(current ? 1 : 0);
    }

    private async Task HandleAsync(Pass pass, ObservedCertificate o, CancellationToken ct)
    {
        var decision = CertificatePolicies.Decide(o.Snapshot);
        var item = o.Item;
        pass.Items.Add(item);
        Describe(item, o.Snapshot, decision);
        item.SignatureRequest = o.Pending?.Request?.Name is { } pendingName && decision.Action is CertificateAction.AwaitSignature or CertificateAction.WaitForWindow or CertificateAction.Install ? pendingName : null;
        // A refusal holds in status until the certificate is installed or no longer needs one.
        item.LastSigningFailure = decision.Action is CertificateAction.Valid or CertificateAction.Install ? null : o.Pending?.Failure;
        switch (decision.Action)
        {
            case CertificateAction.Valid:
                if (o.Pending?.Request is { } withdrawn)
                {
                    await _requests.DeleteRequestAsync(withdrawn.Name, ct);
                    await _events.NormalAsync(pass.Cr, "SignatureWithdrawn", $"{o.Source} {item.Namespace}/{item.Name} needs no new certificate: request {withdrawn.Name} and its key withdrawn", ct);
                }
                if (o.Source == CertificateSource.Secret && o.Object is not null && pass.Cr.Spec.Rollout?.Enabled == true) Note(item, await _writes.RollOutAsync(pass.Cr, o.Object, ct));
                break;
            case CertificateAction.Misconfigured:
                pass.Renewals.Add((item, "failed"));
                break;
            case CertificateAction.DelegateToCertManager:
                using (KubeClient.Because($"CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name} triggers cert-manager re-issuance"))
                {
                    var name = o.Snapshot.CertManagerName!;
                    bool? triggered;
                    try { triggered = await _writes.TriggerCertManagerAsync(item.Namespace, name, pass.Now, ct); }
                    catch (PkiException e) { CertificateObserver.Fail(item, CertificateReasons.ManagedByCertManager, e.Message); break; }
                    catch (KubeApiException e) when (e.Code == 404) { CertificateObserver.Fail(item, CertificateReasons.ManagedByCertManager, "the cert-manager.io API is not installed"); break; }
                    if (triggered is null) { item.Message = "Certificate changed while triggering: read again and retried"; pass.Conflicted = true; break; }
                    if (triggered == false) { item.Message = $"cert-manager is re-issuing Certificate {name}"; break; }
                    item.Message = $"cert-manager re-issuance of Certificate {name} triggered";
                    pass.Renewals.Add((item, "triggered"));
                    await _events.NormalAsync(pass.Cr, "ReissuanceTriggered", $"cert-manager Certificate {item.Namespace}/{name} re-issuance triggered (Issuing=True, ManuallyTriggered)", ct);
                }
                break;
            case CertificateAction.Sign:
                RenewedCertificate material;
                try
                {
                    material = Pki.Issue(o.Template ?? throw new PkiException("the certificate's names are unknown"), o.Issuer!.Ca!, pass.Settings.Key,
                        pass.Settings.RotateKey ? null : o.Key, pass.Settings.Validity, pass.Now);
                }
                catch (Exception e) when (e is PkiException or CryptographicException)
                {
                    CertificateObserver.Fail(item, "RenewalFailed", $"renewal failed, nothing written: {e.Message}");
                    pass.Renewals.Add((item, "failed"));
                    await _events.WarningAsync(pass.Cr, "RenewalFailed", $"{o.Source} {item.Namespace}/{item.Name}: {e.Message}", ct);
                    break;
                }
                await InstallAsync(pass, o, material, "signed by the internal CA", ct);
                break;
            case CertificateAction.RequestSignature:
                using (KubeClient.Because($"CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name} requests a signature for {o.Source} {item.Namespace}/{item.Name}"))
                {
                    var external = o.Issuer!.External!;
                    var requested = await _requests.RequestAsync(pass.Cr, item.Namespace, o.Target, $"{o.Source} {item.Namespace}/{item.Name}", o.Template!, external,
                        pass.Settings.Key, pass.Settings.RotateKey ? null : o.Key, o.Pending, ct);
                    if (requested is null) { item.Message = "the key Secret of the previous request is not gone yet: asked again shortly"; pass.Conflicted = true; break; }
                    item.SignatureRequest = requested;
                    item.Message = $"{decision.Message}: CertificateSigningRequest {requested} waits for approval";
                    await _events.NormalAsync(pass.Cr, "SignatureRequested",
                        $"CertificateSigningRequest {requested} (signer {external.SignerName}) created for {o.Source} {item.Namespace}/{item.Name}: approve it with `kubectl certificate approve {requested}`, then the signer sets its status.certificate", ct);
                }
                break;
            case CertificateAction.Install:
                var pending = o.Pending!;
                var approval = pending.Request?.Condition(Foreign.CsrConditions.Approved);
                if (await InstallAsync(pass, o, pending.Signed!,
                        $"signed through CertificateSigningRequest {pending.RequestName} (approved: {approval?.Reason ?? "?"}{(string.IsNullOrEmpty(approval?.Message) ? "" : $", {approval.Message}")})", ct))
                    await _requests.DeleteRequestAsync(pending.RequestName!, ct);
                break;
            case CertificateAction.Refused:
                if (o.Snapshot.Request?.RetryAt is { } retryAt && (pass.NextRetry is null || retryAt < pass.NextRetry)) pass.NextRetry = retryAt;
                if (o.Pending is { NewlyRefused: true })
                {
                    pass.Renewals.Add((item, "failed"));
                    await _events.WarningAsync(pass.Cr, decision.Reason, $"{o.Source} {item.Namespace}/{item.Name}: {decision.Message}", ct);
                }
                // Once status remembers the refusal (the pass after it was seen), the request and its key are of no further use.
                else if (o.Pending?.Request is { } refusedRequest) await _requests.DeleteRequestAsync(refusedRequest.Name, ct);
                break;
        }
    }

    /// <summary>Writes verified material to its place; true once it is stored (false on a lost race, to be read again).</summary>
    private async Task<bool> InstallAsync(Pass pass, ObservedCertificate o, RenewedCertificate material, string how, CancellationToken ct)
    {
        var item = o.Item;
        var created = o.Object is null;
        using var because = KubeClient.Because($"CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name} {(created ? "creates" : "renews")} {o.Source} {item.Namespace}/{item.Name}");
        var result = o.Source == CertificateSource.Route ? await _writes.ReplaceRouteAsync(o.Object!, material, pass.Now, ct)
            : created ? await _writes.CreateSecretAsync(pass.Cr, item.Name, material, pass.Settings.DeleteCreated, pass.Now, ct)
            : await _writes.ReplaceSecretAsync(o.Object!, material, pass.Now, ct);
        if (result.Conflicted)
        {
            item.Message = $"the {o.Source} changed while it was being {(created ? "created" : "renewed")}: read again and retried";
            pass.Conflicted = true;
            return false;
        }
        var before = item.Serial;
        using (var leaf = X509Certificate2.CreateFromPem(material.CertificateChainPem)) Describe(item, CertificateFacts.Of(leaf), pass.Facts);
        item.State = created ? nameof(CertificateState.Created) : nameof(CertificateState.Renewed);
        item.Reason = created ? CertificateReasons.DoesNotExist : o.Snapshot.IsExpired ? CertificateReasons.Expired : CertificateReasons.Renewing;
        item.LastRenewal = pass.Now.ToDateTimeOffset();
        item.SignatureRequest = null;
        var previous = CertificateWrites.PreviousName(o.Source, item.Name);
        item.Message = created ? $"created (serial {material.Facts.Serial}), {how}"
            : $"renewed (serial {before} → {material.Facts.Serial}{(result.Revision > 0 ? $", revision {result.Revision}" : "")}), {how}; previous material in Secret {previous}";
        pass.Renewals.Add((item, "success"));
        // A renewal or a creation is the resource doing its job: Information, never Warning (alerting reads Warnings).
        _log.LogInformation("{Verb} certificate of {Source} {Namespace}/{Name}: serial {Old} -> {New}, valid until {NotAfter}",
            created ? "created" : "renewed", o.Source, item.Namespace, item.Name, before, material.Facts.Serial, material.Facts.NotAfter);
        var text = $"certificate of {o.Source} {item.Namespace}/{item.Name} {(created ? "created" : "renewed")}: serial {material.Facts.Serial}, valid until {material.Facts.NotAfter}, {how}";
        var reason = created ? "CertificateCreated" : "CertificateRenewed";
        await _events.NormalAsync(pass.Cr, reason, text, ct);
        if (o.Source == CertificateSource.Secret && result.Stored is { } stored)
        {
            await _events.NormalAsync(stored, reason, text + $" (by CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name})", ct);
            if (pass.Cr.Spec.Rollout?.Enabled == true) Note(item, await _writes.RollOutAsync(pass.Cr, stored, ct));
        }
        return true;
    }

    /// <summary>
    /// Secrets created for spec.certificates: owned by the resource while deletionPolicy is Delete (the garbage
    /// collector deletes them with it, and the operator never deletes a Secret itself), not owned under Retain; one whose
    /// entry left the list is released, kept as anyone's Secret.
    /// </summary>
    private async Task ReconcileCreatedAsync(Pass pass, CancellationToken ct)
    {
        if (pass.Cr.Metadata.Uid is not { } uid) return;
        var listed = pass.Settings.Managed.Select(m => m.SecretName).ToHashSet();
        var created = await _client.ListAllAsync(Resources.Secrets, pass.Cr.Namespace, new ListRequest($"{CertificateWrites.CreatedByLabel}={uid}"), ct);
        foreach (var secret in created.Items)
        {
            var keep = listed.Contains(secret.Name) || secret.Metadata.Annotations?.GetValueOrDefault(CertificateWrites.PreviousOfAnnotation) is { } of && listed.Contains(of);
            var owned = keep && pass.Settings.DeleteCreated;
            if (keep && CertificateWrites.IsOwnedBy(secret, pass.Cr) == owned) continue;
            using var because = KubeClient.Because($"CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name} {(keep ? "applies deletionPolicy to" : "releases")} Secret {secret.Name}");
            await _writes.SetOwnershipAsync(secret, pass.Cr, owned, keep, ct);
            if (!keep) await _events.NormalAsync(pass.Cr, "CertificateReleased", $"Secret {secret.Namespace}/{secret.Name} left spec.certificates: kept, no longer renewed", ct);
        }
    }

    private async Task<ReconcileResult> FinalizeAsync(CertificateRenewal cr, string key, CancellationToken ct)
    {
        if (_exported.TryRemove(key, out var gone)) _metrics.Forget(gone);
        if (cr.Metadata.Finalizers?.Contains(Finalizer) != true) return ReconcileResult.Done;
        await _requests.DeleteAllAsync(cr, ct);
        await ObjectWriter.RemoveFinalizerAsync(_client, OperatorKinds.CertificateRenewals, cr, Finalizer, ct);
        return ReconcileResult.Done;
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// One certificate's surprise (a malformed object, a library exception) is that certificate's Error, never the
    /// others' problem. API failures still end the pass, to be retried with backoff.
    /// </summary>
    private async Task IsolatedAsync(Pass pass, CertificateSource source, string ns, string name, Func<Task> handle, CancellationToken ct)
    {
        try { await handle(); }
        catch (Exception e) when (e is not (KubeApiException or KubeConnectionException) && !(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            _log.LogError(e, "unexpected failure handling {Source} {Namespace}/{Name}", source, ns, name);
            var item = pass.Items.LastOrDefault(i => i.Source == source.ToString() && i.Namespace == ns && i.Name == name);
            if (item is null) pass.Items.Add(item = new CertificateStatusItem { Source = source.ToString(), Namespace = ns, Name = name });
            CertificateObserver.Fail(item, "UnexpectedError", $"unexpected {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The item as the facts and the decision describe it, before anything is applied.</summary>
    private static void Describe(CertificateStatusItem item, CertificateSnapshot s, CertificateDecision d)
    {
        if (s.Current is { } facts) Describe(item, facts, s.RenewalTime);
        item.State = CertificatePolicies.StateOf(s, d).ToString();
        item.Reason = d.Reason;
        item.Message = d.Action == CertificateAction.Valid ? null : d.Message;
    }

    private static void Describe(CertificateStatusItem item, CertificateFacts facts, RenewalPassFacts pass) =>
        Describe(item, facts, Pki.RenewalTime(facts, pass.Settings.RenewBefore, pass.Settings.RenewBeforePercentage));

    private static void Describe(CertificateStatusItem item, CertificateFacts facts, Instant? renewal)
    {
        item.Subject = facts.Subject;
        item.DnsNames = facts.DnsNames.Count > 0 ? [.. facts.DnsNames] : null;
        item.Issuer = facts.Issuer;
        item.Serial = facts.Serial;
        item.NotBefore = facts.NotBefore.ToDateTimeOffset();
        item.NotAfter = facts.NotAfter.ToDateTimeOffset();
        item.RenewalTime = renewal?.ToDateTimeOffset();
    }

    private static void Note(CertificateStatusItem item, List<string> notes)
    {
        foreach (var n in notes) item.Message = (item.Message is null ? "" : item.Message + "; ") + n;
    }

    private void Export(string key, List<CertificateStatusItem> items, Pass pass)
    {
        var exported = new List<string[]>();
        foreach (var i in items)
        {
            var labels = new[] { i.Namespace, i.Name, i.Source, i.Subject ?? "" };
            exported.Add(labels);
            _metrics.Ready.WithLabels(labels).Set(i.State is nameof(CertificateState.Valid) or nameof(CertificateState.Renewed) or nameof(CertificateState.Created) ? 1 : 0);
            if (i.NotAfter is { } na) _metrics.Expiration.WithLabels(labels).Set(na.ToUnixTimeSeconds());
            if (i.NotBefore is { } nb) _metrics.NotBefore.WithLabels(labels).Set(nb.ToUnixTimeSeconds());
            if (i.RenewalTime is { } rt) _metrics.Renewal.WithLabels(labels).Set(rt.ToUnixTimeSeconds());
        }
        foreach (var (item, result) in pass.Renewals)
            _metrics.Renewals.WithLabels(item.Namespace, item.Name, item.Source, item.Subject ?? "", result).Inc();
        if (_exported.TryGetValue(key, out var before)) _metrics.Forget(before.Where(b => !exported.Any(e => e.SequenceEqual(b))).ToList());
        _exported[key] = exported;
    }
}
