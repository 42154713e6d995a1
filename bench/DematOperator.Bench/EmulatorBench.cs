using System.Diagnostics;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.Store;

namespace DematOperator.Bench;

/// <summary>Emulator throughput: writes per second (in process and over HTTPS), watch fan-out, memory with 10,000 objects.</summary>
internal static class EmulatorBench
{
    public static async Task<List<string>> RunAsync()
    {
        var rows = new List<string>();
        // In process: the store and its pipeline alone (schema, canonical JSON, history, watch dispatch).
        var cluster = new SimCluster("bench");
        var cm = cluster.Registry.Find("", "v1", "configmaps")!;
        for (var warm = 0; warm < 2000; warm++) cluster.Create(RequestContext.System, cm, "default", Obj($"warm-{warm}"));
        var sw = Stopwatch.StartNew();
        const int n = 20_000;
        for (var i = 0; i < n; i++) cluster.Create(RequestContext.System, cm, "default", Obj($"o-{i}"));
        rows.Add(Harness.Row("emulator writes/s, in process (creates of 1 KiB ConfigMaps)", $"{n / sw.Elapsed.TotalSeconds:N0}"));

        await using var host = await SimHost.StartAsync(new SimHostOptions { Clusters = ["bench"] });
        var endpoint = KubeConfigLoader.FromText(host.Kubeconfig(), "bench");
        var sim = host["bench"].Cluster;
        // Over HTTPS with our client, 16 concurrent writers (what an operator fleet would do).
        using (var client = new KubeClient(endpoint))
        {
            await client.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "warmup", Namespace = "default" } });
            const int httpWrites = 10_000;
            var next = -1;
            sw.Restart();
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < httpWrites)
                    await client.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = $"h-{i}", Namespace = "default" }, Data = new() { ["payload"] = new string('x', 1024) } });
            }));
            rows.Add(Harness.Row("emulator writes/s over HTTPS (16 concurrent clients)", $"{httpWrites / sw.Elapsed.TotalSeconds:N0}"));

            // Fan-out: 10 watchers over HTTPS each receive every one of 5,000 updates.
            const int watchers = 10, events = 5_000;
            var rv = sim.CurrentResourceVersion.ToString();
            var received = new int[watchers];
            using var stop = new CancellationTokenSource();
            var watchTasks = Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
            {
                using var wc = new KubeClient(endpoint);
                await foreach (var e in wc.WatchAsync(Resources.ConfigMaps, "default", new WatchRequest(rv, AllowBookmarks: false), stop.Token))
                    if (Interlocked.Increment(ref received[w]) >= events) return;
            })).ToArray();
            sw.Restart();
            for (var i = 0; i < events; i++)
                sim.Create(RequestContext.System, sim.Registry.Find("", "v1", "configmaps")!, "default", Obj($"f-{i}"));
            await Task.WhenAll(watchTasks);
            rows.Add(Harness.Row($"watch fan-out: {events:N0} events to {watchers} HTTPS watchers", $"{events * watchers / sw.Elapsed.TotalSeconds:N0} deliveries/s ({sw.Elapsed.TotalSeconds:F2} s)"));
        }

        // Memory with 10,000 stored objects (on top of the empty emulator).
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        var before = GC.GetTotalMemory(true);
        var mem = new SimCluster("mem", new SimClusterOptions { HistoryLimit = 1000 });
        var memDef = mem.Registry.Find("", "v1", "configmaps")!;
        for (var i = 0; i < 10_000; i++) mem.Create(RequestContext.System, memDef, "default", Obj($"m-{i}"));
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        var after = GC.GetTotalMemory(true);
        rows.Add(Harness.Row("emulator managed memory for 10,000 objects (1 KiB data each)", $"{(after - before) / 1048576.0:F1} MiB"));
        GC.KeepAlive(mem);
        rows.Add(Harness.Row("bench process RSS after the emulator runs", $"{Harness.RssMiB(Environment.ProcessId):F0} MiB"));
        return rows;
    }

    private static JsonObject Obj(string name) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = "bench" } },
        ["data"] = new JsonObject { ["payload"] = new string('x', 1024) },
    };
}
