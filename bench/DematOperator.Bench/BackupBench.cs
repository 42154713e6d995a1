using System.Diagnostics;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.ThirdParty;
using DematOperator.KubeSim.Store;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;

namespace DematOperator.Bench;

/// <summary>1,000 BackupPolicies over 5,000 PVCs: slot computation time and API requests per scheduling tick.</summary>
internal static class BackupBench
{
    private static readonly string[] Schedules = ["0 */4 * * *", "*/15 * * * *", "30 1-23/3 * * *", "0 2 * * *", "0 8,12,16 * * MON-FRI"];

    public static async Task<List<string>> RunAsync(string root)
    {
        var rows = new List<string>();
        var zone = DateTimeZoneProviders.Tzdb["Europe/Paris"];
        var now = SystemClock.Instance.GetCurrentInstant();
        var parsed = Enumerable.Range(0, 1000).Select(i => CronSchedule.Parse(Schedules[i % Schedules.Length])).ToList();
        var sw = Stopwatch.StartNew();
        foreach (var s in parsed) s.Next(now, zone);
        rows.Add(Harness.Row("next slot of 1,000 policies (Europe/Paris)", $"{sw.Elapsed.TotalMilliseconds:F1} ms"));
        sw.Restart();
        foreach (var expr in Schedules) CronSchedule.Parse(expr).LongestGap(now, zone);
        rows.Add(Harness.Row("longest gap over a year, 5 distinct schedules (cached per schedule and day)", $"{sw.Elapsed.TotalMilliseconds:F0} ms"));

        var start = DateTimeOffset.UtcNow;
        var clock = new ManualTimeProvider(new DateTimeOffset(start.Ticks - start.Ticks % TimeSpan.TicksPerHour, TimeSpan.Zero).AddMinutes(50));
        await using var host = await SimHost.StartAsync(new SimHostOptions { Clusters = ["bench"], Time = clock, Configure = o => o.HistoryLimit = 200_000 });
        var sim = host["bench"].Cluster;
        host["bench"].Controllers.Snapshots.Delay = TimeSpan.Zero;
        ThirdPartyApis.Install(sim);
        CrdInstaller.InstallPath(sim, Path.Combine(root, "config", "crd", "bases"));
        var nsDef = sim.Registry.Find("", "v1", "namespaces")!;
        var pvcDef = sim.Registry.Find("", "v1", "persistentvolumeclaims")!;
        var policyDef = sim.Registry.Find("ops.demat.gouv.fr", "v1alpha1", "backuppolicies")!;
        sim.Create(RequestContext.System, sim.Registry.Find("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses")!, null,
            JsonNode.Parse("""{"metadata":{"name":"std"},"driver":"x","deletionPolicy":"Delete"}""")!.AsObject());
        for (var n = 0; n < 200; n++)
        {
            var ns = $"app-{n:D3}";
            sim.Create(RequestContext.System, nsDef, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
            for (var p = 0; p < 25; p++)
                sim.Create(RequestContext.System, pvcDef, ns, JsonNode.Parse(
                    "{\"metadata\":{\"name\":\"pvc-" + p + "\",\"labels\":{\"group\":\"g" + p % 5 + "\"}},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}")!.AsObject());
            for (var g = 0; g < 5; g++)
                sim.Create(RequestContext.System, policyDef, ns, new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = $"policy-{g}" },
                    ["spec"] = new JsonObject
                    {
                        ["schedule"] = Schedules[(n * 5 + g) % Schedules.Length], ["timeZone"] = "Europe/Paris", ["method"] = "CSISnapshot",
                        ["target"] = new JsonObject { ["namespaces"] = new JsonArray(ns), ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["group"] = $"g{g}" } } },
                        ["csiSnapshot"] = new JsonObject { ["volumeSnapshotClassName"] = "std" },
                        ["retention"] = new JsonObject { ["keepLast"] = 3 },
                    },
                });
        }
        using var client = new KubeClient(KubeConfigLoader.FromText(host.Kubeconfig(), "bench"), time: clock);
        var informer = new Informer<BackupPolicy>(client, OperatorKinds.BackupPolicies);
        var controller = BackupPolicyController.Create(client, informer, new EventRecorder(client, "bench"), new MetricsRegistry(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var runs = new[] { Task.Run(() => informer.RunAsync(stop.Token)), Task.Run(() => controller.RunAsync(stop.Token)) };
        sw.Restart();
        await WaitQuiet(controller, () => informer.List().Count(p => p.Status?.ObservedGeneration == 1) == 1000);
        rows.Add(Harness.Row("first reconcile of 1,000 policies over 5,000 PVCs (4 workers, HTTPS)", $"{sw.Elapsed.TotalSeconds:F1} s, {sim.Requests.Snapshot().Values.Sum() / 1000.0:F1} API requests per policy"));
        sim.Requests.Reset();
        var before = controller.Reconciles;
        clock.Advance(TimeSpan.FromMinutes(10));
        sw.Restart();
        await WaitQuiet(controller, () => true);
        var reconciles = controller.Reconciles - before;
        var requests = sim.Requests.Snapshot();
        rows.Add(Harness.Row("scheduling tick at hh:00 (slots of 400 policies due, 5 PVCs each)",
            $"{reconciles} reconciles in {sw.Elapsed.TotalSeconds:F1} s; {requests.Values.Sum()} API requests ({requests.Where(r => r.Key.StartsWith("create")).Sum(r => r.Value)} creates, {requests.Where(r => r.Key.StartsWith("update")).Sum(r => r.Value)} status writes)"));
        stop.Cancel();
        await Task.WhenAll(runs);
        return rows;
    }

    private static async Task WaitQuiet(DematOperator.Kube.Controllers.Controller controller, Func<bool> done)
    {
        var quietSince = DateTime.UtcNow;
        var last = controller.Reconciles;
        while (true)
        {
            await Task.Delay(200);
            if (controller.Reconciles != last) { last = controller.Reconciles; quietSince = DateTime.UtcNow; continue; }
            if (DateTime.UtcNow - quietSince > TimeSpan.FromSeconds(2) && controller.Queue.Length == 0 && done()) return;
            if (DateTime.UtcNow - quietSince > TimeSpan.FromSeconds(60)) return;
        }
    }
}
