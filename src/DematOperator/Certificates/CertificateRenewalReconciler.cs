using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>
/// Watches the certificates a CertificateRenewal selects (TLS Secrets, inline Route certificates, served
/// endpoints), renews the due ones from the internal CA (or has cert-manager re-issue its own), keeps the
/// previous material, rolls the workloads using a renewed Secret, and reports every certificate in status
/// and metrics. A bad certificate is an <c>Error</c> item; the others go on.
/// </summary>
public sealed class CertificateRenewalReconciler(
    KubeClient client,
    Informer<CertificateRenewal> renewals,
    EventRecorder events,
    CertificateMetrics metrics,
    ILogger<CertificateRenewalReconciler> log) : IReconciler
{
    public const string RenewedAtAnnotation = Group.AnnotationPrefix + "renewed-at";
    public const string SerialAnnotation = Group.AnnotationPrefix + "serial";
    public const string RevisionAnnotation = Group.AnnotationPrefix + "revision";
    public const string CertManagerNameAnnotation = "cert-manager.io/certificate-name";
    public static readonly ResourceType<DynamicObject> Routes = Resources.Dynamic("route.openshift.io", "v1", "routes", "Route", true);
    public static readonly ResourceType<DynamicObject> CertManagerCertificates = Resources.Dynamic("cert-manager.io", "v1", "certificates", "Certificate", true);
    private static readonly ResourceType<DynamicObject> SecretsDynamic = Resources.Dynamic("", "v1", "secrets", "Secret", true);
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly Duration ExpiringSoon = Duration.FromDays(30);
    public const int MaxStatusItems = 500;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<string[]>> _exported = new();

    /// <summary>Everything one pass needs: the resource, its settings, the CA (loaded once, on first need).</summary>
    private sealed class Pass(CertificateRenewal cr, RenewalSettings settings, Instant now) : IDisposable
    {
        public CertificateRenewal Cr { get; } = cr;
        public RenewalSettings Settings { get; } = settings;
        public Instant Now { get; } = now;
        public Pki.Authority? Ca;
        public string? CaProblem;
        public bool CaLoaded;
        public readonly List<CertificateStatusItem> Items = [];
        public readonly List<(string Source, CertificateStatusItem Item, string Result)> Renewals = [];
        /// <summary>A write of this pass lost a race (409): the pass ends normally, then is retried at once with backoff.</summary>
        public bool Conflicted;
        public void Dispose() => Ca?.Dispose();
    }

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        var cr = renewals.Get(request.Namespace, request.Name);
        var key = $"{request.Namespace}/{request.Name}";
        if (cr is null || cr.IsDeleting)
        {
            if (_exported.TryRemove(key, out var gone)) metrics.Forget(gone);
            return ReconcileResult.Done;
        }
        var problems = CertificateRenewalChecks.Resolve(cr.Spec, out var settings);
        if (settings is null)
        {
            var p = problems.First(x => !x.Warning);
            await SetInvalidAsync(cr, p.Reason, $"{p.Field}: {p.Message}", ct);
            return ReconcileResult.Done;
        }
        var now = Instant.FromDateTimeOffset(client.Time.GetUtcNow());
        using var pass = new Pass(cr, settings, now);
        foreach (var secret in await SelectAsync(cr, cr.Spec.Secrets, Resources.Secrets, pass, "Secret", ct))
            await IsolatedAsync(pass, "Secret", secret.Namespace!, secret.Name, () => HandleSecretAsync(pass, secret, ct), ct);
        if (cr.Spec.Routes is not null)
            foreach (var route in await SelectAsync(cr, cr.Spec.Routes, Routes, pass, "Route", ct))
                await IsolatedAsync(pass, "Route", route.Namespace!, route.Name, () => HandleRouteAsync(pass, route, ct), ct);
        foreach (var endpoint in cr.Spec.Endpoints ?? [])
            await IsolatedAsync(pass, "Endpoint", cr.Namespace!, endpoint.Name, () => HandleEndpointAsync(pass, endpoint, ct), ct);

        var items = pass.Items.OrderBy(i => i.Source).ThenBy(i => i.Namespace).ThenBy(i => i.Name).ToList();
        var next = items.Where(i => i.RenewalTime is not null && i.State is "Valid" or "Renewed").Select(i => i.RenewalTime!.Value).DefaultIfEmpty().Min();
        await ObjectWriter.UpdateStatusAsync(client, OperatorKinds.CertificateRenewals, cr, c =>
        {
            var st = c.Status ??= new CertificateRenewalStatus();
            st.Conditions ??= [];
            st.ObservedGeneration = c.Metadata.Generation;
            // Status must stay far below etcd's 1.5 MiB object limit: the most urgent items are listed, the counts cover all.
            st.Items = items.Count <= MaxStatusItems ? items
                : items.OrderBy(i => i.State is "Valid" ? 1 : 0).ThenBy(i => i.NotAfter ?? DateTimeOffset.MinValue).Take(MaxStatusItems)
                    .OrderBy(i => i.Source).ThenBy(i => i.Namespace).ThenBy(i => i.Name).ToList();
            st.Certificates = items.Count;
            st.ExpiringSoon = items.Count(i => i.NotAfter is { } na && Instant.FromDateTimeOffset(na) - now < ExpiringSoon);
            st.NextRenewalTime = next == default ? null : next;
            st.Counts = items.GroupBy(i => i.State).ToDictionary(g => g.Key, g => g.Count());
            var errors = items.Count(i => i.State is "Error" or "Expired");
            Conditions.Set(st.Conditions, Conditions.Make("Ready", true, problems.Any(p => p.Warning) ? "MonitorOnly" : "Watching",
                problems.FirstOrDefault(p => p.Warning)?.Message ?? $"{items.Count} certificate(s) watched", c.Metadata.Generation), client.Time.GetUtcNow());
            Conditions.Set(st.Conditions, Conditions.Make("CertificatesHealthy", errors == 0, errors == 0 ? "AllValid" : "CertificatesNeedAttention",
                errors == 0 ? "no certificate in error or expired" : string.Join("; ", items.Where(i => i.State is "Error" or "Expired").Take(5).Select(i => $"{i.Source} {i.Namespace}/{i.Name}: {i.Message}")),
                c.Metadata.Generation), client.Time.GetUtcNow());
        }, ct);
        // No "last check" timestamp in status: it would turn every quiet pass into a write.
        Export(key, items, pass);
        if (pass.Conflicted) return ReconcileResult.RetrySoon;

        var wake = settings.Interval;
        if (next != default && Instant.FromDateTimeOffset(next) > now && Instant.FromDateTimeOffset(next) - now < wake) wake = Instant.FromDateTimeOffset(next) - now + Duration.FromSeconds(1);
        if (settings.Window is { } window && items.Any(i => i.State == "RenewalDue") && window.Next(now, settings.WindowZone) is { } opens && opens - now < wake)
            wake = opens - now + Duration.FromSeconds(1);
        return ReconcileResult.After(wake.ToTimeSpan());
    }

    /// <summary>
    /// One certificate's surprise (a malformed object, a library exception) is that certificate's Error, never the
    /// others' problem. API failures still end the pass, to be retried with backoff.
    /// </summary>
    private async Task IsolatedAsync(Pass pass, string source, string ns, string name, Func<Task> handle, CancellationToken ct)
    {
        try { await handle(); }
        catch (Exception e) when (e is not (KubeApiException or KubeConnectionException) && !(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            log.LogError(e, "unexpected failure handling {Source} {Namespace}/{Name}", source, ns, name);
            var item = pass.Items.LastOrDefault(i => i.Source == source && i.Namespace == ns && i.Name == name);
            if (item is null) pass.Items.Add(item = new CertificateStatusItem { Source = source, Namespace = ns, Name = name });
            Fail(item, $"unexpected {e.GetType().Name}: {e.Message}");
        }
    }

    // ---------------------------------------------------------------- selection

    private async Task<List<DynamicObject>> SelectAsync<T>(CertificateRenewal cr, ObjectSelection? selection, ResourceType<T> type, Pass pass, string source, CancellationToken ct) where T : KubeObject
    {
        var result = new List<DynamicObject>();
        if (selection is null) return result;
        var dynamicType = Resources.Dynamic(type.Group, type.Version, type.Plural, type.Kind, true);
        var selector = selection.Selector?.ToSelector().ToString();
        foreach (var ns in selection.Namespaces is { Count: > 0 } list ? list : [cr.Namespace!])
        {
            try
            {
                if (selection.Names is { Count: > 0 } names)
                    foreach (var name in names)
                    {
                        var obj = await client.TryGetAsync(dynamicType, ns, name, ct);
                        if (obj is null) pass.Items.Add(new CertificateStatusItem { Source = source, Namespace = ns, Name = name, State = "Error", Message = $"{source} not found" });
                        else result.Add(obj);
                    }
                else result.AddRange((await client.ListAllAsync(dynamicType, ns, new ListRequest(selector), ct)).Items);
            }
            catch (KubeApiException e) when (e.Code is 403 or 404)
            {
                pass.Items.Add(new CertificateStatusItem { Source = source, Namespace = ns, Name = "*", State = "Error",
                    Message = e.Code == 404 ? $"the {type.Group}/{type.Plural} API is not installed" : $"not allowed to read {type.Plural} in {ns}: {e.Message}" });
            }
        }
        return result;
    }

    // ---------------------------------------------------------------- Secrets

    private async Task HandleSecretAsync(Pass pass, DynamicObject secretObj, CancellationToken ct)
    {
        var data = secretObj.Fields?["data"] as JsonObject;
        var type = (string?)secretObj.Fields?["type"];
        if (type != "kubernetes.io/tls") return;
        var item = new CertificateStatusItem { Source = "Secret", Namespace = secretObj.Namespace!, Name = secretObj.Name };
        pass.Items.Add(item);
        item.LastRenewal = RenewedAt(secretObj);
        string crtPem, keyPem;
        try
        {
            crtPem = Decode(data, "tls.crt") ?? throw new PkiException("the Secret has no tls.crt");
            keyPem = Decode(data, "tls.key") ?? throw new PkiException("the Secret has no tls.key");
        }
        catch (FormatException) { Fail(item, "the Secret's data is not base64"); return; }
        catch (PkiException e) { Fail(item, e.Message); return; }
        List<X509Certificate2> chain;
        AsymmetricAlgorithm key;
        try
        {
            chain = Pki.ParseChain(crtPem, "tls.crt");
            key = Pki.ParseKey(keyPem, "tls.key");
        }
        catch (PkiException e) { Fail(item, e.Message); return; }
        using var keyScope = key;
        var facts = Describe(item, chain[0], pass);
        if (!Pki.KeyMatches(chain[0], key)) { Fail(item, "tls.key does not match the certificate of tls.crt"); return; }
        if (item.State is not ("RenewalDue" or "Expired")) { await RollOutAsync(pass, secretObj, item, ct); return; }

        var certManagerName = secretObj.Metadata.Annotations?.GetValueOrDefault(CertManagerNameAnnotation);
        if (pass.Cr.Spec.Issuer?.CertManager == true)
        {
            if (certManagerName is null) { item.Message = "due, but not managed by cert-manager (no cert-manager.io/certificate-name annotation)"; return; }
            await TriggerCertManagerAsync(pass, item, certManagerName, ct);
            return;
        }
        if (certManagerName is not null) { item.Message = $"due; managed by cert-manager Certificate {certManagerName}: set issuer.certManager to have it re-issued"; return; }
        if (await SignAsync(pass, item, facts, chain[0], key, ct) is not { } renewed) return;
        using var because = KubeClient.Because($"CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name} renews Secret {item.Namespace}/{item.Name}");
        // The previous material first: whatever happens next, an ops engineer can roll back by hand.
        await KeepPreviousAsync(pass, item.Namespace, RunLabels.Fit($"{item.Name}-previous", 253), data!, secretObj.Name, ct);
        var revision = int.TryParse(secretObj.Metadata.Annotations?.GetValueOrDefault(RevisionAnnotation), out var r) ? r + 1 : 1;
        var updated = ObjectWriter.Copy(SecretsDynamic, secretObj);
        updated.Metadata.Annotations ??= [];
        updated.Metadata.Annotations[RenewedAtAnnotation] = pass.Now.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        updated.Metadata.Annotations[SerialAnnotation] = renewed.Facts.Serial;
        updated.Metadata.Annotations[RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
        updated.Fields!["data"] = new JsonObject
        {
            ["tls.crt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(renewed.CertificateChainPem)),
            ["tls.key"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(renewed.PrivateKeyPem)),
            ["ca.crt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(renewed.CaPem)),
        };
        try
        {
            // One update with the version we read: the Secret is either all old or all new, and a concurrent change wins.
            secretObj = await client.UpdateAsync(SecretsDynamic, updated, ct);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            item.Message = "the Secret changed while it was being renewed: read again and retried";
            pass.Conflicted = true;
            return;
        }
        var before = item.Serial;
        Describe(item, X509Certificate2.CreateFromPem(renewed.CertificateChainPem), pass);
        item.State = "Renewed";
        item.LastRenewal = pass.Now.ToDateTimeOffset();
        item.Message = $"renewed (serial {before} → {renewed.Facts.Serial}, revision {revision}); previous material in Secret {item.Name}-previous";
        pass.Renewals.Add(("Secret", item, "success"));
        log.LogWarning("renewed certificate of Secret {Namespace}/{Name}: serial {Old} -> {New}, valid until {NotAfter}", item.Namespace, item.Name, before, renewed.Facts.Serial, renewed.Facts.NotAfter);
        var text = $"certificate of Secret {item.Namespace}/{item.Name} renewed: serial {renewed.Facts.Serial}, valid until {renewed.Facts.NotAfter}";
        await events.NormalAsync(pass.Cr, "CertificateRenewed", text, ct);
        await events.NormalAsync(secretObj, "CertificateRenewed", text + $" (by CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name})", ct);
        await RollOutAsync(pass, secretObj, item, ct);
    }

    /// <summary>
    /// The renewal of a due certificate of any source, up to the verified new material: monitor-only and
    /// maintenance-window waits, the CA, signing. Null when nothing is to be written (the item says why).
    /// </summary>
    private async Task<RenewedCertificate?> SignAsync(Pass pass, CertificateStatusItem item, CertificateFacts facts, X509Certificate2 current, AsymmetricAlgorithm key, CancellationToken ct)
    {
        if (pass.Cr.Spec.Issuer?.Ca is null) { item.Message = "due; monitor only (no issuer)"; return null; }
        if (!InWindow(pass, facts, item)) return null;
        var ca = await LoadCaAsync(pass, ct);
        if (ca is null)
        {
            Fail(item, $"cannot renew: {pass.CaProblem}");
            pass.Renewals.Add((item.Source, item, "failed"));
            return null;
        }
        try { return Pki.Renew(current, ca, pass.Settings.Key, pass.Settings.RotateKey ? null : key, pass.Settings.Validity, pass.Now); }
        catch (Exception e) when (e is PkiException or CryptographicException)
        {
            Fail(item, $"renewal failed, nothing written: {e.Message}");
            pass.Renewals.Add((item.Source, item, "failed"));
            await events.WarningAsync(pass.Cr, "RenewalFailed", $"{item.Source} {item.Namespace}/{item.Name}: {e.Message}", ct);
            return null;
        }
    }

    private static DateTimeOffset? RenewedAt(KubeObject obj) =>
        DateTimeOffset.TryParse(obj.Metadata.Annotations?.GetValueOrDefault(RenewedAtAnnotation), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    /// <summary>`cmctl renew`: the Certificate's Issuing condition, reason ManuallyTriggered, through its status subresource.</summary>
    private async Task TriggerCertManagerAsync(Pass pass, CertificateStatusItem item, string certificateName, CancellationToken ct)
    {
        DynamicObject? certificate;
        try { certificate = await client.TryGetAsync(CertManagerCertificates, item.Namespace, certificateName, ct); }
        catch (KubeApiException e) when (e.Code == 404) { Fail(item, "the cert-manager.io API is not installed"); return; }
        if (certificate is null) { Fail(item, $"cert-manager Certificate {certificateName} not found"); return; }
        var conditions = certificate.Status?["conditions"] as JsonArray ?? [];
        if (conditions.Any(c => (string?)c?["type"] == "Issuing" && (string?)c?["status"] == "True"))
        {
            item.Message = $"cert-manager is re-issuing Certificate {certificateName}";
            return;
        }
        var status = certificate.Status ?? new JsonObject();
        var list = new JsonArray([.. conditions.Where(c => (string?)c?["type"] != "Issuing").Select(c => c!.DeepClone())]);
        list.Add(new JsonObject
        {
            ["type"] = "Issuing", ["status"] = "True", ["reason"] = "ManuallyTriggered",
            ["message"] = "Certificate re-issuance manually triggered",
            ["lastTransitionTime"] = pass.Now.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["observedGeneration"] = certificate.Metadata.Generation,
        });
        status["conditions"] = list;
        certificate.Fields!["status"] = status;
        using var because = KubeClient.Because($"CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name} triggers cert-manager re-issuance");
        try { await client.UpdateStatusAsync(CertManagerCertificates, certificate, ct); }
        catch (KubeApiException e) when (e.IsConflict) { item.Message = "Certificate changed while triggering: read again and retried"; pass.Conflicted = true; return; }
        item.Message = $"cert-manager re-issuance of Certificate {certificateName} triggered";
        pass.Renewals.Add(("Secret", item, "triggered"));
        await events.NormalAsync(pass.Cr, "ReissuanceTriggered", $"cert-manager Certificate {item.Namespace}/{certificateName} re-issuance triggered (Issuing=True, ManuallyTriggered)", ct);
    }

    /// <summary>Rolls the workloads that use a Secret renewed by us, once per serial, never a paused Deployment.</summary>
    private async Task RollOutAsync(Pass pass, DynamicObject secret, CertificateStatusItem item, CancellationToken ct)
    {
        if (pass.Cr.Spec.Rollout?.Enabled != true) return;
        if (secret.Metadata.Annotations?.GetValueOrDefault(SerialAnnotation) is not { } serial) return;
        var annotation = Group.AnnotationPrefix + RunLabels.Fit($"cert-{secret.Name}", 63);
        foreach (var type in new[] { Resources.Deployments, Resources.StatefulSets })
            foreach (var w in (await client.ListAsync(type, secret.Namespace, null, ct)).Items)
            {
                var template = w.Spec?["template"] as JsonObject;
                if (template is null || !UsesSecret(template["spec"] as JsonObject, secret.Name)) continue;
                if ((string?)template["metadata"]?["annotations"]?[annotation] == serial) continue;
                if (type == Resources.Deployments && (bool?)w.Spec?["paused"] == true)
                {
                    item.Message = (item.Message is null ? "" : item.Message + "; ") + $"Deployment {w.Name} is paused: not rolled";
                    continue;
                }
                var patch = new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [annotation] = serial } } } } };
                using var because = KubeClient.Because($"CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name} rolls {type.Kind} {w.Namespace}/{w.Name} for Secret {secret.Name}");
                await client.PatchAsync(type, w.Namespace, w.Name, PatchType.Merge, patch.ToJsonString(), ct: ct);
                await events.NormalAsync(pass.Cr, "RolledOut", $"{type.Kind} {w.Namespace}/{w.Name} rolled for the renewed certificate of Secret {secret.Name} (serial {serial})", ct);
            }
    }

    private static bool UsesSecret(JsonObject? podSpec, string secret)
    {
        if (podSpec is null) return false;
        foreach (var v in podSpec["volumes"] as JsonArray ?? [])
        {
            if ((string?)v?["secret"]?["secretName"] == secret) return true;
            if ((v?["projected"]?["sources"] as JsonArray ?? []).Any(s => (string?)s?["secret"]?["name"] == secret)) return true;
        }
        foreach (var c in (podSpec["containers"] as JsonArray ?? []).Concat(podSpec["initContainers"] as JsonArray ?? []))
        {
            if ((c?["envFrom"] as JsonArray ?? []).Any(e => (string?)e?["secretRef"]?["name"] == secret)) return true;
            if ((c?["env"] as JsonArray ?? []).Any(e => (string?)e?["valueFrom"]?["secretKeyRef"]?["name"] == secret)) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- Routes

    private async Task HandleRouteAsync(Pass pass, DynamicObject route, CancellationToken ct)
    {
        var tls = route.Spec?["tls"] as JsonObject;
        if (tls?["certificate"] is null) return;
        var item = new CertificateStatusItem { Source = "Route", Namespace = route.Namespace!, Name = route.Name };
        pass.Items.Add(item);
        List<X509Certificate2> chain;
        AsymmetricAlgorithm key;
        try
        {
            chain = Pki.ParseChain((string?)tls["certificate"] ?? "", "spec.tls.certificate");
            key = Pki.ParseKey((string?)tls["key"] ?? "", "spec.tls.key");
        }
        catch (PkiException e) { Fail(item, e.Message); return; }
        using var keyScope = key;
        var facts = Describe(item, chain[0], pass);
        item.LastRenewal = RenewedAt(route);
        if (!Pki.KeyMatches(chain[0], key)) { Fail(item, "spec.tls.key does not match spec.tls.certificate"); return; }
        if (item.State is not ("RenewalDue" or "Expired")) return;
        if (await SignAsync(pass, item, facts, chain[0], key, ct) is not { } renewed) return;
        using var because = KubeClient.Because($"CertificateRenewal {pass.Cr.Namespace}/{pass.Cr.Name} renews Route {item.Namespace}/{item.Name}");
        var previous = new JsonObject
        {
            ["tls.crt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes((string?)tls["certificate"] ?? "")),
            ["tls.key"] = Convert.ToBase64String(Encoding.ASCII.GetBytes((string?)tls["key"] ?? "")),
        };
        if ((string?)tls["caCertificate"] is { } oldCa) previous["ca.crt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(oldCa));
        await KeepPreviousAsync(pass, item.Namespace, RunLabels.Fit($"route-{item.Name}-previous", 253), previous, $"route {item.Name}", ct);
        var newTls = new JsonObject { ["certificate"] = renewed.CertificateChainPem, ["key"] = renewed.PrivateKeyPem };
        if (tls["caCertificate"] is not null) newTls["caCertificate"] = renewed.CaPem;
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = route.Metadata.ResourceVersion,
                ["annotations"] = new JsonObject
                {
                    [RenewedAtAnnotation] = pass.Now.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    [SerialAnnotation] = renewed.Facts.Serial,
                },
            },
            ["spec"] = new JsonObject { ["tls"] = newTls },
        };
        try { await client.PatchAsync(Routes, item.Namespace, item.Name, PatchType.Merge, patch.ToJsonString(), ct: ct); }
        catch (KubeApiException e) when (e.IsConflict) { item.Message = "the Route changed while it was being renewed: read again and retried"; pass.Conflicted = true; return; }
        Describe(item, X509Certificate2.CreateFromPem(renewed.CertificateChainPem), pass);
        item.State = "Renewed";
        item.LastRenewal = pass.Now.ToDateTimeOffset();
        item.Message = $"renewed (serial {renewed.Facts.Serial}); previous material in Secret route-{item.Name}-previous";
        pass.Renewals.Add(("Route", item, "success"));
        await events.NormalAsync(pass.Cr, "CertificateRenewed", $"certificate of Route {item.Namespace}/{item.Name} renewed: serial {renewed.Facts.Serial}, valid until {renewed.Facts.NotAfter}", ct);
    }

    // ---------------------------------------------------------------- endpoints

    private async Task HandleEndpointAsync(Pass pass, EndpointSpec endpoint, CancellationToken ct)
    {
        var item = new CertificateStatusItem { Source = "Endpoint", Namespace = pass.Cr.Namespace!, Name = endpoint.Name };
        pass.Items.Add(item);
        X509Certificate2 served;
        try { served = await HandshakeAsync(endpoint, ct); }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            Fail(item, $"unreachable: {endpoint.Host}:{endpoint.Port ?? 443}: {(e is OperationCanceledException ? "timed out" : e.Message)}");
            return;
        }
        Describe(item, served, pass);
        if (item.State == "RenewalDue") item.Message = "due: the endpoint is monitored only; renew its source";
        if (endpoint.Secret is not { } reference) return;
        var ns = reference.Namespace ?? pass.Cr.Namespace!;
        var secret = await client.TryGetAsync(Resources.Secrets, ns, reference.Name, ct);
        if (secret?.Data?.GetValueOrDefault("tls.crt") is not { } crt) { Fail(item, $"backing Secret {ns}/{reference.Name} not found or without tls.crt"); return; }
        X509Certificate2 expected;
        try { expected = Pki.ParseChain(Encoding.ASCII.GetString(crt), $"Secret {ns}/{reference.Name} tls.crt")[0]; }
        catch (PkiException e) { Fail(item, e.Message); return; }
        var current = expected.SerialNumber == served.SerialNumber;
        metrics.ServedCurrent.WithLabels(item.Namespace, item.Name, "Endpoint", served.Subject).Set(current ? 1 : 0);
        // The Secret holds a newer certificate than the one served: the server did not pick the renewal up.
        if (!current && (expected.NotBefore.ToUniversalTime() > served.NotBefore.ToUniversalTime() || expected.NotAfter.ToUniversalTime() > served.NotAfter.ToUniversalTime()))
            Fail(item, $"served certificate is not the renewed one: {endpoint.Host}:{endpoint.Port ?? 443} serves serial {served.SerialNumber}, Secret {ns}/{reference.Name} holds {expected.SerialNumber}; restart or reload the server");
    }

    private static async Task<X509Certificate2> HandshakeAsync(EndpointSpec endpoint, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HandshakeTimeout);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port ?? 443, timeout.Token);
        X509Certificate2? seen = null;
        // Observation only: whatever the chain, we want to read what is served.
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            // A copy: the stream disposes the certificate it hands to the callback.
            if (cert is not null) seen = X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
            return true;
        });
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = endpoint.ServerName ?? endpoint.Host }, timeout.Token);
        return seen ?? throw new IOException("the server sent no certificate");
    }

    // ---------------------------------------------------------------- helpers

    private CertificateFacts Describe(CertificateStatusItem item, X509Certificate2 leaf, Pass pass)
    {
        var facts = CertificateFacts.Of(leaf);
        var renewal = Pki.RenewalTime(facts, pass.Settings.RenewBefore, pass.Settings.RenewBeforePercentage);
        item.Subject = facts.Subject;
        item.DnsNames = facts.DnsNames.Count > 0 ? [.. facts.DnsNames] : null;
        item.Issuer = facts.Issuer;
        item.Serial = facts.Serial;
        item.NotBefore = facts.NotBefore.ToDateTimeOffset();
        item.NotAfter = facts.NotAfter.ToDateTimeOffset();
        item.RenewalTime = renewal.ToDateTimeOffset();
        item.State = pass.Now >= facts.NotAfter ? "Expired" : pass.Now >= renewal ? "RenewalDue" : "Valid";
        item.Message = item.State switch { "Expired" => "expired", "RenewalDue" => "due for renewal", _ => null };
        return facts;
    }

    /// <summary>Outside the maintenance window a renewal waits, unless the certificate would expire before the next window opens.</summary>
    private static bool InWindow(Pass pass, CertificateFacts facts, CertificateStatusItem item)
    {
        if (pass.Settings.Window is not { } window) return true;
        var zone = pass.Settings.WindowZone;
        var lastOpening = window.Between(pass.Now - Duration.FromDays(400), pass.Now, zone, limit: 1_000_000).LastOrDefault();
        if (lastOpening != default && pass.Now < lastOpening + pass.Settings.WindowLength) return true;
        var next = window.Next(pass.Now, zone);
        if (next is null || facts.NotAfter <= next.Value) return true;
        item.Message = $"due; waiting for the maintenance window at {next.Value.InZone(zone).ToString("yyyy-MM-dd HH:mm x", CultureInfo.InvariantCulture)}";
        return false;
    }

    private async Task<Pki.Authority?> LoadCaAsync(Pass pass, CancellationToken ct)
    {
        if (pass.CaLoaded) return pass.Ca;
        pass.CaLoaded = true;
        var reference = pass.Cr.Spec.Issuer!.Ca!;
        var ns = reference.Namespace ?? pass.Cr.Namespace!;
        var secret = await client.TryGetAsync(Resources.Secrets, ns, reference.Name, ct);
        if (secret is null) { pass.CaProblem = $"CA Secret {ns}/{reference.Name} not found"; return null; }
        string? Text(string k) => secret.Data?.GetValueOrDefault(k) is { } b ? Encoding.ASCII.GetString(b) : null;
        try
        {
            pass.Ca = Pki.LoadAuthority(Text("tls.crt") ?? throw new PkiException("the CA Secret has no tls.crt"),
                Text("tls.key") ?? throw new PkiException("the CA Secret has no tls.key"), Text("ca.crt"), pass.Now);
        }
        catch (PkiException e) { pass.CaProblem = $"CA Secret {ns}/{reference.Name}: {e.Message}"; }
        return pass.Ca;
    }

    private async Task KeepPreviousAsync(Pass pass, string ns, string name, JsonObject data, string of, CancellationToken ct)
    {
        var secrets = SecretsDynamic;
        var previous = new DynamicObject
        {
            Metadata = new ObjectMeta
            {
                Name = name, Namespace = ns,
                Labels = new() { ["app.kubernetes.io/managed-by"] = "dematoperator" },
                Annotations = new() { [Group.AnnotationPrefix + "previous-of"] = of, [RenewedAtAnnotation] = pass.Now.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) },
            },
            Fields = new JsonObject { ["type"] = "kubernetes.io/tls", ["data"] = data.DeepClone() },
        };
        try { await client.CreateAsync(secrets, previous, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = await client.GetAsync(secrets, ns, name, ct);
            existing.Fields!["data"] = data.DeepClone();
            existing.Metadata.Annotations = previous.Metadata.Annotations;
            await client.UpdateAsync(secrets, existing, ct);
        }
    }

    private static string? Decode(JsonObject? data, string key) =>
        (string?)data?[key] is { Length: > 0 } b64 ? Encoding.ASCII.GetString(Convert.FromBase64String(b64)) : null;

    private static void Fail(CertificateStatusItem item, string message)
    {
        item.State = "Error";
        item.Message = message;
    }

    private void Export(string key, List<CertificateStatusItem> items, Pass pass)
    {
        var exported = new List<string[]>();
        foreach (var i in items)
        {
            var labels = new[] { i.Namespace, i.Name, i.Source, i.Subject ?? "" };
            exported.Add(labels);
            metrics.Ready.WithLabels(labels).Set(i.State is "Valid" or "Renewed" ? 1 : 0);
            if (i.NotAfter is { } na) metrics.Expiration.WithLabels(labels).Set(na.ToUnixTimeSeconds());
            if (i.NotBefore is { } nb) metrics.NotBefore.WithLabels(labels).Set(nb.ToUnixTimeSeconds());
            if (i.RenewalTime is { } rt) metrics.Renewal.WithLabels(labels).Set(rt.ToUnixTimeSeconds());
        }
        foreach (var (source, item, result) in pass.Renewals)
            metrics.Renewals.WithLabels(item.Namespace, item.Name, source, item.Subject ?? "", result).Inc();
        if (_exported.TryGetValue(key, out var before)) metrics.Forget(before.Where(b => !exported.Any(e => e.SequenceEqual(b))).ToList());
        _exported[key] = exported;
    }

    private Task SetInvalidAsync(CertificateRenewal cr, string reason, string message, CancellationToken ct) =>
        InvalidSpec.ReportAsync(client, OperatorKinds.CertificateRenewals, cr, c => c.Status ??= new CertificateRenewalStatus(), events, reason, message, ct);
}
