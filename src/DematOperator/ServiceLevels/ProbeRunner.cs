using DematOperator.Api;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.ServiceLevels;

/// <summary>Runs one probe; abstracted so the ledger can be driven without a network in tests and benchmarks.</summary>
public interface IProbeRunner
{
    Task<ProbeOutcome> RunAsync(string ns, ProbeSpec probe, CancellationToken ct);
}

/// <summary>
/// HTTP(S), TCP and workload-readiness probes. Every attempt has its own timeout, and failures of any kind
/// (DNS, refused, TLS, status, body, missing workload, API error) are a failed probe with a message, never
/// an exception. HTTPS verifies the server's chain against the system store, or only against the CA
/// bundle of a Secret when one is given.
/// </summary>
public sealed class ProbeRunner(KubeClient client) : IProbeRunner, IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    private const int MaxBodyBytes = 1 << 20;
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new();

    public async Task<ProbeOutcome> RunAsync(string ns, ProbeSpec probe, CancellationToken ct)
    {
        var timeout = (Durations.Parse(probe.Timeout) ?? NodaTime.Duration.FromTimeSpan(DefaultTimeout)).ToTimeSpan();
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(timeout);
        var watch = Stopwatch.StartNew();
        try
        {
            var (ok, message) = probe switch
            {
                { Http: { } http } => await HttpAsync(ns, http, attempt.Token),
                { Tcp: { } tcp } => await TcpAsync(tcp, attempt.Token),
                { Workload: { } w } => await WorkloadAsync(ns, w, attempt.Token),
                _ => (false, "no probe kind set"),
            };
            return new ProbeOutcome(probe.Name, ok, message, watch.Elapsed);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeOutcome(probe.Name, false, $"timed out after {timeout.TotalSeconds:0.#}s", watch.Elapsed);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or KubeApiException or KubeConnectionException
                                      or AuthenticationException or CryptographicException or InvalidOperationException or RegexMatchTimeoutException)
        {
            return new ProbeOutcome(probe.Name, false, Describe(e, probe), watch.Elapsed);
        }
    }

    private async Task<(bool, string)> HttpAsync(string ns, HttpProbeSpec spec, CancellationToken ct)
    {
        var http = await ClientForAsync(ns, spec, ct);
        using var request = new HttpRequestMessage(new HttpMethod(spec.Method ?? "GET"), spec.Url);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var code = (int)response.StatusCode;
        var expected = spec.ExpectedStatus is { Count: > 0 } list ? list.Contains(code) : code is >= 200 and < 400;
        if (!expected) return (false, $"HTTP {code}");
        if (spec.BodyMatch is { } pattern)
        {
            var body = await ReadLimitedAsync(response, ct);
            if (!Regex.IsMatch(body, pattern, RegexOptions.None, TimeSpan.FromSeconds(1))) return (false, $"HTTP {code}, body does not match /{pattern}/");
        }
        return (true, $"HTTP {code}");
    }

    private static async Task<string> ReadLimitedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxBodyBytes];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0) read += n;
        return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>One pooled client per trust setting: the system store, no verification, or a given CA bundle (by content).</summary>
    private async Task<HttpClient> ClientForAsync(string ns, HttpProbeSpec spec, CancellationToken ct)
    {
        if (spec.InsecureSkipVerify == true) return _clients.GetOrAdd("insecure", _ => Create((_, _, _, _) => true));
        if (spec.CaBundle is not { } caRef) return _clients.GetOrAdd("system", _ => Create(null));
        var secret = await client.TryGetAsync(Resources.Secrets, ns, caRef.Name, ct)
                     ?? throw new InvalidOperationException($"CA bundle Secret {ns}/{caRef.Name} not found");
        var key = caRef.Key ?? "ca.crt";
        if (secret.Data?.GetValueOrDefault(key) is not { Length: > 0 } pem) throw new InvalidOperationException($"CA bundle Secret {ns}/{caRef.Name} has no key {key}");
        var hash = Convert.ToHexString(SHA256.HashData(pem));
        return _clients.GetOrAdd(hash, _ =>
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(System.Text.Encoding.ASCII.GetString(pem));
            if (roots.Count == 0) throw new InvalidOperationException($"CA bundle Secret {ns}/{caRef.Name} key {key} holds no PEM certificate");
            return Create((_, cert, _, errors) =>
            {
                if (cert is null) return false;
                if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData()));
            });
        });
    }

    private static HttpClient Create(RemoteCertificateValidationCallback? validate)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        if (validate is not null) handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validate };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static async Task<(bool, string)> TcpAsync(TcpProbeSpec spec, CancellationToken ct)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(spec.Host, spec.Port, ct);
        return (true, $"connected to {spec.Host}:{spec.Port}");
    }

    private async Task<(bool, string)> WorkloadAsync(string ns, WorkloadProbeSpec spec, CancellationToken ct)
    {
        var type = spec.Kind == "StatefulSet" ? Resources.StatefulSets : Resources.Deployments;
        var target = spec.Namespace ?? ns;
        var workload = await client.TryGetAsync(type, target, spec.Name, ct);
        if (workload is null) return (false, $"{spec.Kind} {target}/{spec.Name} not found");
        var ready = (int?)workload.Status?["readyReplicas"] ?? 0;
        var need = spec.MinReady ?? 1;
        return ready >= need ? (true, $"{ready} ready") : (false, $"{ready} ready replica(s), {need} needed");
    }

    /// <summary>What failed, in words: a name that does not resolve says DNS and the name (the OS alone says "Resource temporarily unavailable").</summary>
    public static string Describe(Exception e, ProbeSpec? probe = null)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is HttpRequestException) inner = inner.InnerException;
        var text = inner is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } dns
            ? $"DNS: the name {HostOf(probe) ?? "of the endpoint"} does not resolve ({dns.Message})"
            : inner.Message;
        return text.Length > 300 ? text[..300] : text;
    }

    private static string? HostOf(ProbeSpec? probe) => probe switch
    {
        { Http.Url: { } url } when Uri.TryCreate(url, UriKind.Absolute, out var uri) => uri.Host,
        { Tcp.Host: { } host } => host,
        _ => null,
    };

    public void Dispose()
    {
        foreach (var c in _clients.Values) c.Dispose();
    }
}
