using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>An issuer as this pass found it: the CA loaded, or the external signer's trust anchor, or why neither is usable.</summary>
public sealed class IssuerFacts : IDisposable
{
    public IssuerKind Kind { get; init; }
    public Pki.Authority? Ca { get; init; }
    public ExternalIssuerSpec? External { get; init; }
    public string? TrustBundle { get; init; }
    public string? Problem { get; init; }
    /// <summary>Ready=False reason for a reference of the spec that does not resolve (IssuerNotFound, IssuerInvalid).</summary>
    public string? ReadyReason { get; init; }

    public void Dispose() => Ca?.Dispose();
}

/// <summary>One certificate as observed: the facts for the policies, the status item, and what the writes need.</summary>
public sealed class ObservedCertificate : IDisposable
{
    public required CertificateSnapshot Snapshot { get; init; }
    public required CertificateStatusItem Item { get; init; }
    public DynamicObject? Object { get; init; }
    public X509Certificate2? Leaf { get; init; }
    public AsymmetricAlgorithm? Key { get; init; }
    public CertificateTemplate? Template { get; init; }
    public IssuerFacts? Issuer { get; init; }
    public PendingSignature? Pending { get; init; }
    public ManagedCertificate? Listed { get; init; }

    public CertificateSource Source => Snapshot.Source;
    /// <summary>The name the key Secret and the request are made for.</summary>
    public string Target => Source == CertificateSource.Route ? $"route-{Item.Name}" : Item.Name;

    public void Dispose() => Key?.Dispose();
}

/// <summary>
/// Gathers what the policies decide on: the selected Secrets and Routes (and the listed ones that do not exist yet),
/// their material, their issuer, the maintenance window and any outstanding signature request. Reads only.
/// </summary>
public sealed class CertificateObserver(KubeClient client, SignatureRequests requests)
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    public async Task<IssuerFacts> LoadIssuerAsync(CertificateRenewal cr, IssuerSpec? issuer, Instant now, CancellationToken ct)
    {
        var kind = CertificateRenewalChecks.KindOf(issuer);
        switch (kind)
        {
            case IssuerKind.Ca:
                var reference = issuer!.Ca!;
                var ns = reference.Namespace ?? cr.Namespace!;
                var secret = await client.TryGetAsync(Resources.Secrets, ns, reference.Name, ct);
                if (secret is null) return new IssuerFacts { Kind = kind, Problem = $"CA Secret {ns}/{reference.Name} not found", ReadyReason = CertificateReasons.IssuerNotFound };
                string? Text(string k) => secret.Data?.GetValueOrDefault(k) is { } b ? Encoding.ASCII.GetString(b) : null;
                try
                {
                    var ca = Pki.LoadAuthority(Text("tls.crt") ?? throw new PkiException("the CA Secret has no tls.crt"),
                        Text("tls.key") ?? throw new PkiException("the CA Secret has no tls.key"), Text("ca.crt"), now);
                    return new IssuerFacts { Kind = kind, Ca = ca };
                }
                catch (PkiException e)
                {
                    return new IssuerFacts { Kind = kind, Problem = $"CA Secret {ns}/{reference.Name}: {e.Message}", ReadyReason = CertificateReasons.IssuerInvalid };
                }
            case IssuerKind.External:
                var external = issuer!.External!;
                var anchor = external.TrustAnchor;
                var anchorNs = anchor.Namespace ?? cr.Namespace!;
                var key = anchor.Key ?? "ca.crt";
                var what = $"trust anchor {anchor.Kind ?? "ConfigMap"} {anchorNs}/{anchor.Name}";
                string? bundle = anchor.Kind == "Secret"
                    ? (await client.TryGetAsync(Resources.Secrets, anchorNs, anchor.Name, ct)) is { } s ? s.Data?.GetValueOrDefault(key) is { } b ? Encoding.ASCII.GetString(b) : "" : null
                    : (await client.TryGetAsync(Resources.ConfigMaps, anchorNs, anchor.Name, ct)) is { } cm ? cm.Data?.GetValueOrDefault(key) ?? "" : null;
                if (bundle is null) return new IssuerFacts { Kind = kind, External = external, Problem = $"{what} not found", ReadyReason = CertificateReasons.IssuerNotFound };
                try
                {
                    if (!Pki.ParseChain(bundle, $"{what} key {key}").Any(Pki.SelfSigned)) throw new PkiException($"{what} holds no root (self-signed) certificate");
                }
                catch (PkiException e) { return new IssuerFacts { Kind = kind, External = external, Problem = e.Message, ReadyReason = CertificateReasons.IssuerInvalid }; }
                return new IssuerFacts { Kind = kind, External = external, TrustBundle = bundle };
            default:
                return new IssuerFacts { Kind = kind };
        }
    }

    /// <summary>The Secrets and Routes a selection names or matches; the names not found are returned apart (a misconfiguration).</summary>
    public async Task<(List<DynamicObject> Found, List<(string Namespace, string Name)> Missing, List<CertificateStatusItem> Unreadable)> SelectAsync(
        CertificateRenewal cr, ObjectSelection? selection, ResourceType<DynamicObject> type, CertificateSource source, CancellationToken ct)
    {
        var found = new List<DynamicObject>();
        var missing = new List<(string, string)>();
        var unreadable = new List<CertificateStatusItem>();
        if (selection is null) return (found, missing, unreadable);
        var selector = selection.Selector?.ToSelector().ToString();
        foreach (var ns in selection.Namespaces is { Count: > 0 } list ? list : [cr.Namespace!])
        {
            try
            {
                if (selection.Names is { Count: > 0 } names)
                    foreach (var name in names)
                    {
                        if (await client.TryGetAsync(type, ns, name, ct) is { } obj) found.Add(obj);
                        else missing.Add((ns, name));
                    }
                else found.AddRange((await client.ListAllAsync(type, ns, new ListRequest(selector), ct)).Items);
            }
            catch (KubeApiException e) when (e.Code is 403 or 404)
            {
                unreadable.Add(new CertificateStatusItem
                {
                    Source = source.ToString(), Namespace = ns, Name = "*", State = nameof(CertificateState.Error),
                    Message = e.Code == 404 ? $"the {type.Group}/{type.Plural} API is not installed" : $"not allowed to read {type.Plural} in {ns}: {e.Message}",
                });
            }
        }
        return (found, missing, unreadable);
    }

    /// <summary>A kubernetes.io/tls Secret, or the place of a listed one that does not exist yet (<paramref name="secret"/> null). Null for other Secret types.</summary>
    public async Task<ObservedCertificate?> ObserveSecretAsync(RenewalPassFacts pass, string ns, string name, DynamicObject? secret, ManagedCertificate? listed,
        IssuerFacts issuer, CancellationToken ct)
    {
        if (secret is not null && (string?)secret.Fields?["type"] != "kubernetes.io/tls") return null;
        string? crt = null, key = null;
        var material = MaterialState.Present;
        string? problem = null;
        if (secret is null) material = MaterialState.Missing;
        else
        {
            var data = secret.Fields?["data"] as JsonObject;
            try
            {
                crt = Decode(data, "tls.crt");
                key = Decode(data, "tls.key");
                if (crt is null || key is null) (material, problem) = (MaterialState.MissingData, $"the Secret has no {(crt is null ? "tls.crt" : "tls.key")}");
            }
            catch (FormatException) { (material, problem) = (MaterialState.Malformed, "the Secret's data is not base64"); }
        }
        return await ObserveMaterialAsync(pass, CertificateSource.Secret, ns, name, secret, crt, key, "tls.crt", "tls.key", material, problem, listed, issuer, ct);
    }

    /// <summary>A Route with an inline certificate; null for a Route without one.</summary>
    public async Task<ObservedCertificate?> ObserveRouteAsync(RenewalPassFacts pass, DynamicObject route, IssuerFacts issuer, CancellationToken ct)
    {
        var tls = route.Spec?["tls"] as JsonObject;
        if (tls?["certificate"] is null) return null;
        return await ObserveMaterialAsync(pass, CertificateSource.Route, route.Namespace!, route.Name, route, (string?)tls["certificate"] ?? "", (string?)tls["key"] ?? "",
            "spec.tls.certificate", "spec.tls.key", MaterialState.Present, null, null, issuer, ct);
    }

    private async Task<ObservedCertificate> ObserveMaterialAsync(RenewalPassFacts pass, CertificateSource source, string ns, string name, DynamicObject? obj,
        string? crtPem, string? keyPem, string crtField, string keyField, MaterialState material, string? problem, ManagedCertificate? listed, IssuerFacts issuer, CancellationToken ct)
    {
        var item = new CertificateStatusItem { Source = source.ToString(), Namespace = ns, Name = name, LastRenewal = obj is null ? null : RenewedAt(obj) };
        X509Certificate2? leaf = null;
        AsymmetricAlgorithm? key = null;
        CertificateFacts? facts = null;
        if (material == MaterialState.Present)
        {
            try
            {
                leaf = Pki.ParseChain(crtPem!, crtField)[0];
                key = Pki.ParseKey(keyPem!, keyField);
                facts = CertificateFacts.Of(leaf);
                if (!Pki.KeyMatches(leaf, key)) (material, problem) = (MaterialState.KeyMismatch, $"{keyField} does not match the certificate of {crtField}");
            }
            catch (PkiException e) { (material, problem) = (MaterialState.Malformed, e.Message); }
        }
        var template = listed is not null ? CertificateTemplate.ForServer(listed.CommonName, listed.DnsNames)
            : leaf is not null ? CertificateTemplate.From(leaf) : null;
        if (facts is null && template is not null)
        {
            item.Subject = template.Subject.Name;
            item.DnsNames = template.DnsNames.Count > 0 ? [.. template.DnsNames] : null;
        }
        PendingSignature? pending = null;
        string? requestProblem = null;
        if (issuer.Kind == IssuerKind.External)
        {
            var previous = pass.Previous(source, ns, name);
            try { pending = await requests.ObserveAsync(ns, source == CertificateSource.Route ? $"route-{name}" : name, template, issuer.TrustBundle, previous, pass.Now, ct); }
            catch (PkiException e) { requestProblem = e.Message; }
        }
        var renewal = facts is null ? (Instant?)null : Pki.RenewalTime(facts, pass.Settings.RenewBefore, pass.Settings.RenewBeforePercentage);
        var snapshot = new CertificateSnapshot
        {
            Source = source, Now = pass.Now, Listed = listed is not null, Material = material, MaterialProblem = problem,
            Current = facts, RenewalTime = renewal,
            CertManagerName = obj?.Metadata.Annotations?.GetValueOrDefault(CertificateRenewalReconciler.CertManagerNameAnnotation),
            Issuer = issuer.Kind, IssuerProblem = issuer.Problem ?? requestProblem, SignerName = issuer.External?.SignerName,
            WindowOpensAt = pass.WindowOpensAt, Request = pending?.Facts, Recent = obj is null ? null : RecentIssue(obj, pass),
        };
        return new ObservedCertificate
        {
            Snapshot = snapshot, Item = item, Object = obj, Leaf = leaf, Key = key, Template = template, Issuer = issuer, Pending = pending, Listed = listed,
        };
    }

    /// <summary>An endpoint: the certificate it serves, read by a TLS handshake (observation only, any chain), against the Secret meant to back it.</summary>
    public async Task<(CertificateSnapshot? Snapshot, CertificateStatusItem Item, bool? ServesCurrent)> ObserveEndpointAsync(RenewalPassFacts pass, CertificateRenewal cr, EndpointSpec endpoint, CancellationToken ct)
    {
        var item = new CertificateStatusItem { Source = nameof(CertificateSource.Endpoint), Namespace = cr.Namespace!, Name = endpoint.Name };
        X509Certificate2 served;
        try { served = await HandshakeAsync(endpoint, ct); }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            Fail(item, CertificateReasons.InvalidCertificate, $"unreachable: {endpoint.Host}:{endpoint.Port ?? 443}: {(e is OperationCanceledException ? "timed out" : e.Message)}");
            return (null, item, null);
        }
        var facts = CertificateFacts.Of(served);
        var snapshot = new CertificateSnapshot
        {
            Source = CertificateSource.Endpoint, Now = pass.Now, Current = facts,
            RenewalTime = Pki.RenewalTime(facts, pass.Settings.RenewBefore, pass.Settings.RenewBeforePercentage),
        };
        if (endpoint.Secret is not { } reference) return (snapshot, item, null);
        var ns = reference.Namespace ?? cr.Namespace!;
        var secret = await client.TryGetAsync(Resources.Secrets, ns, reference.Name, ct);
        if (secret?.Data?.GetValueOrDefault("tls.crt") is not { } crt)
        {
            Fail(item, CertificateReasons.MissingData, $"backing Secret {ns}/{reference.Name} not found or without tls.crt");
            return (snapshot, item, null);
        }
        X509Certificate2 expected;
        try { expected = Pki.ParseChain(Encoding.ASCII.GetString(crt), $"Secret {ns}/{reference.Name} tls.crt")[0]; }
        catch (PkiException e) { Fail(item, CertificateReasons.InvalidCertificate, e.Message); return (snapshot, item, null); }
        var current = expected.SerialNumber == served.SerialNumber;
        // The Secret holds a newer certificate than the one served: the server did not pick the renewal up.
        if (!current && (expected.NotBefore.ToUniversalTime() > served.NotBefore.ToUniversalTime() || expected.NotAfter.ToUniversalTime() > served.NotAfter.ToUniversalTime()))
            Fail(item, "ServedCertificateStale", $"served certificate is not the renewed one: {endpoint.Host}:{endpoint.Port ?? 443} serves serial {served.SerialNumber}, Secret {ns}/{reference.Name} holds {expected.SerialNumber}; restart or reload the server");
        return (snapshot, item, current);
    }

    private static async Task<X509Certificate2> HandshakeAsync(EndpointSpec endpoint, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HandshakeTimeout);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port ?? 443, timeout.Token);
        X509Certificate2? seen = null;
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            // A copy: the stream disposes the certificate it hands to the callback.
            if (cert is not null) seen = X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
            return true;
        });
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = endpoint.ServerName ?? endpoint.Host }, timeout.Token);
        return seen ?? throw new IOException("the server sent no certificate");
    }

    public static void Fail(CertificateStatusItem item, string reason, string message)
    {
        item.State = nameof(CertificateState.Error);
        item.Reason = reason;
        item.Message = message;
    }

    private static string? Decode(JsonObject? data, string key) =>
        (string?)data?[key] is { Length: > 0 } b64 ? Encoding.ASCII.GetString(Convert.FromBase64String(b64)) : null;

    /// <summary>Issued by the operator less than one check interval ago: Created for a Secret it made (revision 1), else Renewed.</summary>
    private static CertificateState? RecentIssue(KubeObject obj, RenewalPassFacts pass)
    {
        if (RenewedAt(obj) is not { } at || pass.Now >= Instant.FromDateTimeOffset(at) + pass.Settings.Interval) return null;
        var created = obj.Metadata.Labels?.ContainsKey(CertificateWrites.CreatedByLabel) == true && obj.Metadata.Annotations?.GetValueOrDefault(CertificateWrites.RevisionAnnotation) == "1";
        return created ? CertificateState.Created : CertificateState.Renewed;
    }

    private static DateTimeOffset? RenewedAt(KubeObject obj) =>
        DateTimeOffset.TryParse(obj.Metadata.Annotations?.GetValueOrDefault(CertificateWrites.RenewedAtAnnotation), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}

/// <summary>What every certificate of one pass shares: the settings, the clock, the window.</summary>
public sealed record RenewalPassFacts(RenewalSettings Settings, Instant Now, ZonedDateTime? WindowOpensAt, IReadOnlyList<CertificateStatusItem> PreviousItems)
{
    /// <summary>What the last status said of a certificate: where a refusal's backoff is remembered.</summary>
    public CertificateStatusItem? Previous(CertificateSource source, string ns, string name) =>
        PreviousItems.FirstOrDefault(i => i.Source == source.ToString() && i.Namespace == ns && i.Name == name);

    /// <summary>Inside a window, or without one: null. Outside: when the next one opens.</summary>
    public static ZonedDateTime? NextOpeningWhenOutside(RenewalSettings settings, Instant now)
    {
        if (settings.Window is not { } window) return null;
        var zone = settings.WindowZone;
        var lastOpening = window.Between(now - Duration.FromDays(400), now, zone, limit: 1_000_000).LastOrDefault();
        if (lastOpening != default && now < lastOpening + settings.WindowLength) return null;
        return window.Next(now, zone) is { } next ? next.InZone(zone) : null;
    }
}
