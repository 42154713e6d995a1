using DematOperator.Kube.Api;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.Store;
using DematOperator.KubeSim.ThirdParty;
using Xunit;

namespace DematOperator.TestSupport;

/// <summary>Emulated clusters for a test class, with the third-party and our CRDs installed and a kubeconfig on disk.</summary>
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
        foreach (var server in Host.Servers) InstallAllCrds(server.Cluster);
        await File.WriteAllTextAsync(KubeconfigPath, Host.Kubeconfig());
    }

    /// <summary>The third-party APIs the operator drives (as this project describes them) and our own kinds.</summary>
    public static void InstallAllCrds(SimCluster cluster)
    {
        ThirdPartyApis.Install(cluster);
        InstallCrds(cluster, Path.Combine(RepoPaths.Config, "crd", "bases"));
    }

    public static void InstallCrds(SimCluster cluster, string path) => CrdInstaller.InstallPath(cluster, path);

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public static class Eventually
{
    /// <summary>
    /// Polls until the condition holds, failing with <paramref name="what"/> after the timeout. The timeout is a bound
    /// on elapsed time (a monotonic stopwatch), never a reading of the calendar.
    /// </summary>
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Polls until the value is not null and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> value, string what, TimeSpan? timeout = null) where T : class
    {
        T? result = null;
        await HoldsAsync(async () => (result = await value()) is not null, what, timeout);
        return result!;
    }

    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (elapsed.Elapsed > limit) throw new Xunit.Sdk.XunitException($"timed out waiting for: {what}");
            await Task.Delay(25);
        }
    }
}

public static class SimClients
{
    /// <summary>A runtime client for one emulated cluster, through its kubeconfig (TLS, token).</summary>
    public static DematOperator.Kube.Client.KubeClient For(SimHost host, string cluster, DematOperator.Kube.Metrics.MetricsRegistry? metrics = null,
        DematOperator.Kube.Client.KubeClientOptions? options = null, string? token = null, TimeProvider? time = null)
    {
        var kubeconfig = token is null ? host.Kubeconfig() : host.Kubeconfig([(cluster, token)]);
        var endpoint = DematOperator.Kube.Config.KubeConfigLoader.FromText(kubeconfig, cluster);
        return new DematOperator.Kube.Client.KubeClient(endpoint, options ?? new DematOperator.Kube.Client.KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 3 }, metrics, time: time);
    }
}

public static class Reconciled
{
    /// <summary>Reconciles finished so far (every result), summed over the controllers of a registry: proof a controller handled an event before a test asserts that nothing else happened.</summary>
    public static long Count(DematOperator.Kube.Metrics.MetricsRegistry metrics, string? controller = null) =>
        metrics.Scrape().Split('\n')
            .Where(l => l.StartsWith("controller_runtime_reconcile_total{", StringComparison.Ordinal) && (controller is null || l.Contains($"controller=\"{controller}\"", StringComparison.Ordinal)))
            .Sum(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
