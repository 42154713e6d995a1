using System.Collections.Concurrent;
using System.Text;
using DematOperator.Kube.Api;
using DematOperator.Kube.Config;
using DematOperator.Kube.Metrics;
using Microsoft.Extensions.Logging;

namespace DematOperator.Kube.Client;

/// <summary>A kubeconfig Secret that cannot be used, with a message a person can act on.</summary>
public sealed class RemoteClusterException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Clients for other clusters (the PRA drill talks to SBG and RBX), one per kubeconfig Secret. A client is
/// rebuilt when the Secret changes (its resourceVersion), and disposed when replaced. The kubeconfig's
/// credentials never leave memory and are never logged.
/// </summary>
public sealed class RemoteClusters(KubeClient local, MetricsRegistry? metrics = null, ILoggerFactory? loggers = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, (string ResourceVersion, KubeClient Client)> _clients = new();

    public async Task<KubeClient> ForSecretAsync(string ns, string secretName, string key = "kubeconfig", string? context = null, CancellationToken ct = default)
    {
        var secret = await local.TryGetAsync(Resources.Secrets, ns, secretName, ct)
            ?? throw new RemoteClusterException($"Secret {ns}/{secretName} holding the kubeconfig does not exist");
        var cacheKey = $"{ns}/{secretName}/{key}/{context}";
        if (_clients.TryGetValue(cacheKey, out var cached) && cached.ResourceVersion == secret.Metadata.ResourceVersion) return cached.Client;
        if (secret.Data?.GetValueOrDefault(key) is not { Length: > 0 } bytes)
            throw new RemoteClusterException($"Secret {ns}/{secretName} has no key \"{key}\"");
        ClusterEndpoint endpoint;
        try { endpoint = KubeConfigLoader.FromText(Encoding.UTF8.GetString(bytes), context); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or YamlDotNet.Core.YamlException or UriFormatException)
        {
            // The exception text of a YAML parser can quote the document: keep only its type.
            throw new RemoteClusterException($"Secret {ns}/{secretName} key \"{key}\" is not a usable kubeconfig ({Describe(e)})");
        }
        var client = new KubeClient(endpoint, new KubeClientOptions { Identity = local.Identity }, metrics, loggers, local.Time);
        var previous = _clients.TryGetValue(cacheKey, out var old) ? old.Client : null;
        _clients[cacheKey] = (secret.Metadata.ResourceVersion ?? "", client);
        previous?.Dispose();
        return client;
    }

    private static string Describe(Exception e) => e switch
    {
        YamlDotNet.Core.YamlException y => $"YAML error at line {y.Start.Line}",
        InvalidOperationException => e.Message,
        _ => e.GetType().Name,
    };

    public void Dispose()
    {
        foreach (var (_, c) in _clients.Values) c.Dispose();
        _clients.Clear();
    }
}
