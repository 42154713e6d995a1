using System.Runtime.CompilerServices;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Metrics;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;

namespace DematOperator.TestSupport;

/// <summary>
/// Emulated clusters as the operator meets them once deployed: RBAC enforced, the third-party APIs and our CRDs
/// installed, config/rbac applied, and the operator authenticated as config/rbac's ServiceAccount. Every test that
/// runs a controller does so through <see cref="Operator"/>, so a verb the shipped role lacks fails a test. The
/// test itself sets up and checks the world through <see cref="Admin"/> (system:masters), as an ops engineer would.
/// </summary>
public static class OperatorClusters
{
    public const string Namespace = "dematoperator-system";
    public const string ServiceAccount = "dematoperator";
    private static readonly ConditionalWeakTable<SimCluster, string> Tokens = new();

    public static async Task<SimHost> StartAsync(TimeProvider? time, params string[] clusters)
    {
        var host = await SimHost.StartAsync(new SimHostOptions { Clusters = clusters, Time = time, RbacEnabled = true });
        foreach (var server in host.Servers)
        {
            SimFixture.InstallAllCrds(server.Cluster);
            InstallRbac(server.Cluster);
        }
        return host;
    }

    /// <summary>config/rbac as `kubectl apply -k` would create it; returns a token of the operator's ServiceAccount.</summary>
    public static string InstallRbac(SimCluster cluster) => Tokens.GetValue(cluster, c =>
    {
        KustomizationInstaller.Apply(c, Path.Combine(RepoPaths.Config, "rbac"), Namespace);
        return c.Auth.IssueServiceAccountToken(Namespace, ServiceAccount);
    });

    /// <summary>The operator's client: config/rbac's ServiceAccount, nothing more.</summary>
    public static KubeClient Operator(SimHost host, string cluster, MetricsRegistry? metrics = null, TimeProvider? time = null, KubeClientOptions? options = null)
    {
        var token = InstallRbac(host[cluster].Cluster);
        return new KubeClient(KubeConfigLoader.FromText(host.Kubeconfig([(cluster, token)]), cluster),
            options ?? new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, metrics, time: time);
    }

    /// <summary>The test's own client, cluster-admin.</summary>
    public static KubeClient Admin(SimHost host, string cluster, TimeProvider? time = null, KubeClientOptions? options = null) =>
        new(KubeConfigLoader.FromText(host.Kubeconfig(), cluster), options ?? new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, time: time);

    /// <summary>A kubeconfig whose context <paramref name="cluster"/> authenticates as the operator (for the operator's process, or a Secret it reads).</summary>
    public static string OperatorKubeconfig(SimHost host, string cluster) => host.Kubeconfig([(cluster, InstallRbac(host[cluster].Cluster))]);
}
