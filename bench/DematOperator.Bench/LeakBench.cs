using System.Diagnostics;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.KubeSim.Hosting;

namespace DematOperator.Bench;

/// <summary>
/// The KubeOps #824 scenario: memory after many watch reconnects and reconciles. An informer whose watch the
/// emulator cuts after every event (10,000 reconnects), then a controller driven through 100,000 reconciles;
/// managed heap (after a full GC) and RSS are sampled along the way and must stay flat.
/// </summary>
internal static class LeakBench
{
    public static async Task<List<string>> RunAsync()
    {
        var rows = new List<string>();
        await using var host = await SimHost.StartAsync(new SimHostOptions { Clusters = ["leak"], Configure = o => o.HistoryLimit = 5_000 });
        var sim = host["leak"].Cluster;
        using var client = new KubeClient(KubeConfigLoader.FromText(host.Kubeconfig(), "leak"), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(5) });
        await client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "leak" } });
        for (var i = 0; i < 1000; i++)
            await client.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = $"cm-{i:D4}", Namespace = "leak" }, Data = new() { ["v"] = "0" } });

        var informer = new Informer<ConfigMap>(client, Resources.ConfigMaps, new InformerOptions { Namespace = "leak", Backoff = new Backoff(TimeProvider.System, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5)) });
        var reconciles = 0L;
        var controller = new Controller("leak", new CountingReconciler(() => Interlocked.Increment(ref reconciles)), new ControllerOptions { MaxConcurrentReconciles = 4, NeedLeaderElection = false }).For(informer);
        using var stop = new CancellationTokenSource();
        var runs = new[] { Task.Run(() => informer.RunAsync(stop.Token)), Task.Run(() => controller.RunAsync(stop.Token)) };
        await informer.WaitForSyncAsync(CancellationToken.None);

        // 10,000 watch reconnects: each update is the last event a watch delivers.
        sim.Faults.DropWatchesAfterEvents = 1;
        var samples = new List<(string When, double Heap, double Rss)>();
        var sw = Stopwatch.StartNew();
        var startWatches = informer.WatchesStarted;
        for (var n = 1; informer.WatchesStarted - startWatches < 10_000; n++)
        {
            await client.PatchAsync(Resources.ConfigMaps, "leak", $"cm-{n % 1000:D4}", PatchType.Merge, new JsonObject { ["data"] = new JsonObject { ["v"] = n.ToString() } }.ToJsonString());
            var done = informer.WatchesStarted - startWatches;
            if (done >= 1_000 && samples.Count == 0 || done >= 5_000 && samples.Count == 1) samples.Add(Sample($"{done:N0} reconnects"));
        }
        samples.Add(Sample($"{informer.WatchesStarted - startWatches:N0} reconnects"));
        sim.Faults.DropWatchesAfterEvents = null;
        rows.Add(Harness.Row("10,000 watch reconnects (emulator cuts every watch after one event), time", $"{sw.Elapsed.TotalSeconds:F0} s, {informer.Relists} relists"));

        // 100,000 reconciles of 1,000 cached objects.
        var before = Interlocked.Read(ref reconciles);
        sw.Restart();
        for (var round = 1; round <= 100; round++)
        {
            foreach (var cm in informer.List()) controller.Queue.Add(new ReconcileRequest(cm.Namespace, cm.Name));
            while (Interlocked.Read(ref reconciles) - before < round * 1000L) await Task.Delay(1);
            if (round is 10 or 50) samples.Add(Sample($"{round * 1000:N0} reconciles"));
        }
        samples.Add(Sample("100,000 reconciles"));
        rows.Add(Harness.Row("100,000 reconciles (4 workers, cache read), time", $"{sw.Elapsed.TotalSeconds:F1} s"));
        foreach (var (when, heap, rss) in samples) rows.Add(Harness.Row($"after {when}: managed heap / RSS (bench process, emulator included)", $"{heap:F1} MiB / {rss:F1} MiB"));
        stop.Cancel();
        try { await Task.WhenAll(runs); } catch (OperationCanceledException) { }
        return rows;
    }

    private static (string, double, double) Sample(string when)
    {
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        return (when, GC.GetTotalMemory(false) / 1048576.0, Harness.RssMiB(Environment.ProcessId));
    }

    private sealed class CountingReconciler(Action done) : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
        {
            done();
            return Task.FromResult(ReconcileResult.Done);
        }
    }
}
