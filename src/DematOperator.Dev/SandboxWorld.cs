using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DematOperator.Dev;

/// <summary>
/// What the sandbox's clusters point at instead of real services: a small local HTTP service that plays
/// Plat'AU's health endpoints (and its outages, on demand), a TLS endpoint serving the portal certificate,
/// and an IGC-like PKI (root, intermediate, leaf certificates) for the CertificateRenewal samples.
/// </summary>
internal sealed class SandboxWorld : IAsyncDisposable
{
    private readonly IHost _web;
    private volatile bool _outage;

    public int HttpPort { get; }
    public int TlsPort { get; }
    public Pem Root { get; }
    public Pem Intermediate { get; }
    public Pem PortalCertificate { get; }

    public sealed record Pem(X509Certificate2 Certificate, AsymmetricAlgorithm Key)
    {
        public string CertificatePem => Certificate.ExportCertificatePem() + "\n";
        public string KeyPem => (Key is RSA r ? r.ExportPkcs8PrivateKeyPem() : ((ECDsa)Key).ExportPkcs8PrivateKeyPem()) + "\n";
    }

    private readonly TimeProvider _time;

    private SandboxWorld(int httpPort, int tlsPort, TimeProvider time)
    {
        _time = time;
        HttpPort = httpPort;
        TlsPort = tlsPort;
        var now = time.GetUtcNow();
        Root = Issue(null, "CN=IGC Racine (sandbox),O=Ministere,C=FR", now.AddYears(-2), now.AddYears(10), ca: true);
        Intermediate = Issue(Root, "CN=IGC Serveurs (sandbox),O=Ministere,C=FR", now.AddYears(-1), now.AddYears(5), ca: true);
        PortalCertificate = Leaf("portal.platau.example.gouv.fr", 300);
        using var served = X509Certificate2.CreateFromPem(PortalCertificate.CertificatePem, PortalCertificate.KeyPem);
        var tlsCertificate = X509CertificateLoader.LoadPkcs12(served.Export(X509ContentType.Pkcs12), null);
        _web = new HostBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureWebHost(w => w
                .UseKestrel(k =>
                {
                    k.Listen(IPAddress.Loopback, httpPort);
                    k.Listen(IPAddress.Loopback, tlsPort, l => l.UseHttps(tlsCertificate));
                })
                .Configure(app => app.Run(Serve)))
            .Build();
    }

    public static async Task<SandboxWorld> StartAsync(int httpPort, int tlsPort, TimeProvider time)
    {
        var world = new SandboxWorld(httpPort, tlsPort, time);
        await world._web.StartAsync();
        return world;
    }

    /// <summary>Health endpoints answer 200 (503 during a simulated outage); POST /_sandbox/outage toggles it.</summary>
    private async Task Serve(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path == "/_sandbox/outage" && HttpMethods.IsPost(context.Request.Method))
        {
            _outage = !_outage;
            await context.Response.WriteAsync(_outage ? "outage started\n" : "outage over\n");
            return;
        }
        context.Response.StatusCode = _outage ? 503 : 200;
        await context.Response.WriteAsync(path.Contains("actuator", StringComparison.Ordinal)
            ? (_outage ? """{"status":"DOWN"}""" : """{"status":"UP"}""")
            : (_outage ? "unavailable\n" : "ok\n"));
    }

    public Pem Leaf(string dnsName, int daysLeft, int daysOld = 60) =>
        Issue(Intermediate, $"CN={dnsName},O=Ministere,C=FR", _time.GetUtcNow().AddDays(-daysOld), _time.GetUtcNow().AddDays(daysLeft), ca: false, dnsName);

    private static Pem Issue(Pem? issuer, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, bool ca, string? dnsName = null)
    {
        var key = ca ? (AsymmetricAlgorithm)RSA.Create(3072) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (dnsName is not null)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(dnsName);
            request.CertificateExtensions.Add(san.Build());
        }
        if (issuer is null) return new Pem(request.CreateSelfSigned(notBefore, notAfter), key);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        var generator = X509SignatureGenerator.CreateForRSA((RSA)issuer.Key, RSASignaturePadding.Pkcs1);
        return new Pem(request.Create(issuer.Certificate.SubjectName, generator, notBefore, notAfter, serial), key);
    }

    /// <summary>
    /// The samples are written for real clusters: in the sandbox, `*.svc` probe and check targets point at the
    /// local service, endpoints at the local TLS port, and a rehearsal rolls back at once instead of after the
    /// inspection delay.
    /// </summary>
    public void Adapt(JsonObject obj)
    {
        var kind = (string?)obj["kind"];
        var spec = obj["spec"] as JsonObject;
        if (spec is null) return;
        foreach (var probe in (spec["probes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (probe["http"] is JsonObject http) http["url"] = Local((string?)http["url"]);
            if (probe["tcp"] is JsonObject tcp && ((string?)tcp["host"])?.EndsWith(".svc", StringComparison.Ordinal) == true)
            {
                tcp["host"] = "127.0.0.1";
                tcp["port"] = HttpPort;
            }
        }
        if (kind == "PraDrill")
        {
            foreach (var check in (spec["verify"]?["http"] as JsonArray ?? []).OfType<JsonObject>()) check["url"] = Local((string?)check["url"]);
            if (spec["rollback"] is JsonObject rollback) rollback["after"] = "0s";
        }
        foreach (var endpoint in (spec["endpoints"] as JsonArray ?? []).OfType<JsonObject>())
        {
            endpoint["serverName"] = (string?)endpoint["host"];
            endpoint["host"] = "127.0.0.1";
            endpoint["port"] = TlsPort;
        }
    }

    private string? Local(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Host.EndsWith(".svc", StringComparison.Ordinal)
            ? $"http://127.0.0.1:{HttpPort}{u.PathAndQuery}"
            : url;

    public static JsonObject TlsSecretData(string crt, string key, string? ca = null)
    {
        var data = new JsonObject
        {
            ["tls.crt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(crt)),
            ["tls.key"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(key)),
        };
        if (ca is not null) data["ca.crt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(ca));
        return data;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _web.StopAsync(stop.Token); } catch (OperationCanceledException) { }
        _web.Dispose();
    }
}
