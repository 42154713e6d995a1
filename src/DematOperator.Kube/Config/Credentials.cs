using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace DematOperator.Kube.Config;

/// <summary>Supplies the bearer token for each request: static, re-read from a file, or from an exec plugin.</summary>
public sealed class CredentialProvider(ClusterEndpoint endpoint, TimeProvider time)
{
    private static readonly TimeSpan TokenFileRefresh = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _validUntil = DateTimeOffset.MinValue;
    private (string Cert, string Key)? _execCertificate;

    public async ValueTask<string?> TokenAsync(CancellationToken ct)
    {
        var user = endpoint.User;
        if (user.Token is not null) return user.Token;
        if (user.TokenFile is null && user.Exec is null) return null;
        if (_token is not null && time.GetUtcNow() < _validUntil) return _token;
        await _gate.WaitAsync(ct);
        try
        {
            if (_token is not null && time.GetUtcNow() < _validUntil) return _token;
            if (user.TokenFile is not null)
            {
                // Bound service-account tokens rotate; client-go re-reads the file at least every minute.
                _token = (await File.ReadAllTextAsync(user.TokenFile, ct)).Trim();
                _validUntil = time.GetUtcNow() + TokenFileRefresh;
            }
            else await RunExecAsync(user.Exec!, ct);
            return _token;
        }
        finally { _gate.Release(); }
    }

    /// <summary>Forget the cached token (after a 401), so the next request fetches a fresh one.</summary>
    public void Invalidate() => _validUntil = DateTimeOffset.MinValue;

    /// <summary>A client certificate from the kubeconfig or from the exec plugin, if any.</summary>
    public async ValueTask<X509Certificate2?> ClientCertificateAsync(CancellationToken ct)
    {
        var user = endpoint.User;
        if (user.ClientCertificateData is not null && user.ClientKeyData is not null)
            return Pkcs12(X509Certificate2.CreateFromPem(user.ClientCertificateData, user.ClientKeyData));
        if (user.Exec is null) return null;
        if (_execCertificate is null) await TokenAsync(ct);
        return _execCertificate is { } c ? Pkcs12(X509Certificate2.CreateFromPem(c.Cert, c.Key)) : null;
    }

    private static X509Certificate2 Pkcs12(X509Certificate2 c)
    {
        using (c) return X509CertificateLoader.LoadPkcs12(c.Export(X509ContentType.Pkcs12), null);
    }

    private async Task RunExecAsync(ExecConfig exec, CancellationToken ct)
    {
        var info = new JsonObject
        {
            ["apiVersion"] = exec.ApiVersion,
            ["kind"] = "ExecCredential",
            ["spec"] = new JsonObject { ["interactive"] = false },
        };
        if (exec.ProvideClusterInfo)
            info["spec"]!["cluster"] = new JsonObject { ["server"] = endpoint.Server.ToString(), ["insecure-skip-tls-verify"] = endpoint.InsecureSkipTlsVerify };
        var psi = new ProcessStartInfo(exec.Command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in exec.Args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in exec.Env) psi.Environment[k] = v;
        psi.Environment["KUBERNETES_EXEC_INFO"] = info.ToJsonString();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"exec plugin {exec.Command} did not start");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var stdout = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"exec plugin {exec.Command} exited with {process.ExitCode}: {(await process.StandardError.ReadToEndAsync(ct)).Trim()}");
        var response = JsonNode.Parse(stdout) as JsonObject ?? throw new InvalidOperationException("exec plugin wrote no ExecCredential");
        if ((string?)response["apiVersion"] != exec.ApiVersion)
            throw new InvalidOperationException($"exec plugin answered apiVersion {(string?)response["apiVersion"]}, expected {exec.ApiVersion}");
        var status = response["status"] as JsonObject ?? throw new InvalidOperationException("exec plugin answered without status");
        _token = (string?)status["token"];
        if ((string?)status["clientCertificateData"] is { } cert && (string?)status["clientKeyData"] is { } key) _execCertificate = (cert, key);
        _validUntil = DateTimeOffset.TryParse((string?)status["expirationTimestamp"], out var exp) ? exp - TimeSpan.FromSeconds(10) : DateTimeOffset.MaxValue;
    }

    /// <summary>TLS settings: trust only the kubeconfig's CA (or skip checks when told), with an optional SNI override.</summary>
    public async ValueTask<SocketsHttpHandler> CreateHandlerAsync(CancellationToken ct)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            KeepAlivePingDelay = TimeSpan.FromMinutes(3),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = System.Net.DecompressionMethods.GZip,
        };
        var ssl = new SslClientAuthenticationOptions();
        if (endpoint.TlsServerName is not null) ssl.TargetHost = endpoint.TlsServerName;
        if (endpoint.InsecureSkipTlsVerify) ssl.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (endpoint.CertificateAuthorityPem is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(endpoint.CertificateAuthorityPem);
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null) return false;
                if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            };
        }
        if (await ClientCertificateAsync(ct) is { } clientCert) ssl.ClientCertificates = [clientCert];
        handler.SslOptions = ssl;
        return handler;
    }
}
