using System.Text;
using DematOperator.KubeSim.Controllers;

namespace DematOperator.KubeSim.Hosting;

public sealed class SimHostOptions
{
    public IReadOnlyList<string> Clusters { get; init; } = ["sim"];
    public bool InsecureHttp { get; init; }
    public bool RbacEnabled { get; init; }
    public TimeProvider? Time { get; init; }
    public Action<SimClusterOptions>? Configure { get; init; }
}

/// <summary>
/// Hosts one or more emulated clusters in this process, each on its own 127.0.0.1 port, sharing one Velero
/// object store (as SBG and RBX share a BackupStorageLocation), and writes a kubeconfig for them.
/// </summary>
public sealed class SimHost : IAsyncDisposable
{
    private readonly List<SimServer> _servers = [];

    private SimHost(SimCertificates? certificates) => Certificates = certificates;

    public SimCertificates? Certificates { get; }
    public SharedObjectStore ObjectStore { get; } = new();
    /// <summary>Kasten's locations: local snapshots and the export profiles' object storage, shared like Velero's.</summary>
    public SharedObjectStore KastenStore { get; } = new();
    public IReadOnlyList<SimServer> Servers => _servers;
    public SimServer this[string name] => _servers.Single(s => s.Cluster.Name == name);

    public static async Task<SimHost> StartAsync(SimHostOptions options)
    {
        var host = new SimHost(options.InsecureHttp ? null : SimCertificates.Generate(options.Time));
        foreach (var name in options.Clusters)
        {
            var clusterOptions = new SimClusterOptions { RbacEnabled = options.RbacEnabled };
            options.Configure?.Invoke(clusterOptions);
            var cluster = new SimCluster(name, clusterOptions, options.Time);
            cluster.Auth.Required = !options.InsecureHttp || options.RbacEnabled;
            var server = new SimServer(cluster, host.Certificates);
            server.Controllers.Velero.ObjectStore = host.ObjectStore;
            server.Controllers.Kasten.Store = host.KastenStore;
            host._servers.Add(server);
            await server.StartAsync();
        }
        return host;
    }

    /// <summary>A kubeconfig with one context per cluster (named after it, the first one current), using the admin token.</summary>
    public string Kubeconfig() => Kubeconfig(_servers.Select(s => (s.Cluster.Name, s.Cluster.Auth.AdminToken)).ToList());

    /// <summary>A kubeconfig whose users are the given tokens, e.g. a service account's, for RBAC tests.</summary>
    public string Kubeconfig(IReadOnlyList<(string Cluster, string Token)> users)
    {
        var sb = new StringBuilder();
        sb.AppendLine("apiVersion: v1");
        sb.AppendLine("kind: Config");
        sb.AppendLine($"current-context: {users[0].Cluster}");
        sb.AppendLine("clusters:");
        foreach (var (name, _) in users)
        {
            var server = this[name];
            sb.AppendLine($"- name: {name}");
            sb.AppendLine("  cluster:");
            sb.AppendLine($"    server: {server.Url}");
            if (Certificates is not null)
                sb.AppendLine($"    certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(Certificates.CaPem))}");
        }
        sb.AppendLine("users:");
        foreach (var (name, token) in users)
        {
            sb.AppendLine($"- name: {name}-user");
            sb.AppendLine("  user:");
            sb.AppendLine($"    token: {token}");
        }
        sb.AppendLine("contexts:");
        foreach (var (name, _) in users)
        {
            sb.AppendLine($"- name: {name}");
            sb.AppendLine("  context:");
            sb.AppendLine($"    cluster: {name}");
            sb.AppendLine($"    user: {name}-user");
            sb.AppendLine("    namespace: default");
        }
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
    }
}
