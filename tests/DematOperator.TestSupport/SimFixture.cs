using DematOperator.Kube.Api;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.Store;
using Xunit;

namespace DematOperator.TestSupport;

/// <summary>Emulated clusters for a test class, with the upstream CRDs installed and a kubeconfig on disk.</summary>
public class SimFixture : IAsyncLifetime
{
    private readonly SimHostOptions _options;
    public SimFixture() : this(new SimHostOptions { Clusters = ["sim"] }) { }
    protected SimFixture(SimHostOptions options) => _options = options;

    public SimHost Host { get; private set; } = null!;
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kubesim-").FullName;
    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");
    public Kubectl Kubectl => new(KubeconfigPath);
    public SimCluster Cluster => Host.Servers[0].Cluster;

    public async Task InitializeAsync()
    {
        Host = await SimHost.StartAsync(_options);
        foreach (var server in Host.Servers)
        {
            InstallCrds(server.Cluster, RepoPaths.UpstreamCrds);
            InstallCrds(server.Cluster, Path.Combine(RepoPaths.Config, "crd", "bases"));
        }
        await File.WriteAllTextAsync(KubeconfigPath, Host.Kubeconfig());
    }

    public static void InstallCrds(SimCluster cluster, string dir)
    {
        var def = cluster.Registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
        foreach (var file in System.IO.Directory.EnumerateFiles(dir, "*.yaml"))
            foreach (var crd in YamlDocuments.ParseObjects(File.ReadAllText(file)).Where(o => (string?)o["kind"] == "CustomResourceDefinition"))
            {
                try { cluster.Create(RequestContext.System, def, null, crd); }
                catch (KubeApiException e) when (e.IsAlreadyExists) { }
            }
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public static class Eventually
{
    /// <summary>Polls until the condition holds, failing with <paramref name="what"/> after the timeout.</summary>
    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for: {what}");
            await Task.Delay(25);
        }
    }

    /// <summary>Polls until the value is not null and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> value, string what, TimeSpan? timeout = null) where T : class
    {
        T? result = null;
        await HoldsAsync(async () => (result = await value()) is not null, what, timeout);
        return result!;
    }

    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for: {what}");
            await Task.Delay(25);
        }
    }
}

public static class SimClients
{
    /// <summary>A runtime client for one emulated cluster, through its kubeconfig (TLS, token).</summary>
    public static DematOperator.Kube.Client.KubeClient For(SimHost host, string cluster, DematOperator.Kube.Metrics.MetricsRegistry? metrics = null,
        DematOperator.Kube.Client.KubeClientOptions? options = null, string? token = null)
    {
        var kubeconfig = token is null ? host.Kubeconfig() : host.Kubeconfig([(cluster, token)]);
        var endpoint = DematOperator.Kube.Config.KubeConfigLoader.FromText(kubeconfig, cluster);
        return new DematOperator.Kube.Client.KubeClient(endpoint, options ?? new DematOperator.Kube.Client.KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 3 }, metrics);
    }
}
