using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Certificates;
using DematOperator.Drills;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.ServiceLevels;

namespace DematOperator.Bench;

/// <summary>
/// The shipped operator with 100 / 1,000 / 5,000 custom resources of mixed kinds (40 % BackupPolicies, 30 %
/// ServiceLevels, 20 % CertificateRenewals, 10 % PraDrills): time to reconcile all, steady-state CPU, RSS and
/// API requests, and the latency from a spec change to its status write.
/// </summary>
internal static class ScaleBench
{
    public static async Task<List<string>> RunAsync(string root, int[] sizes)
    {
        var rows = new List<string>();
        foreach (var n in sizes) rows.AddRange(await OneAsync(root, n));
        return rows;
    }

    private static async Task<List<string>> OneAsync(string root, int n)
    {
        var rows = new List<string>();
        var exe = Path.Combine(root, "artifacts", "operator", "DematOperator");
        var dir = Directory.CreateTempSubdirectory("bench-scale-").FullName;
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        using var sim = Harness.Start("dotnet", $"{Path.Combine(root, "src", "DematOperator.Dev", "bin", "Release", "net10.0", "DematOperator.Dev.dll")} sim --clusters bench --kubeconfig-out {kubeconfig} --crds {Path.Combine(root, "config", "crd", "bases")}");
        while (!File.Exists(kubeconfig)) await Task.Delay(100);
        await Task.Delay(1000);
        using var admin = new KubeClient(KubeConfigLoader.FromFiles([kubeconfig]));
        foreach (var ns in new[] { "dematoperator-system", "apps", "openshift-adp" })
            await admin.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        var metricsPort = Harness.FreePort();
        using var op = Harness.Start(exe, $"run --kubeconfig {kubeconfig} --leader-election-namespace dematoperator-system --metrics-bind-address 127.0.0.1:{metricsPort} --health-probe-bind-address 127.0.0.1:{Harness.FreePort()}",
            new() { ["LOG_LEVEL"] = "Warning", ["DOTNET_GCgen0size"] = "200000" });
        op.BeginOutputReadLine();
        op.BeginErrorReadLine();
        await Task.Delay(TimeSpan.FromSeconds(10));

        var sw = Stopwatch.StartNew();
        var counts = (bp: n * 4 / 10, sl: n * 3 / 10, cr: n * 2 / 10, pra: n - n * 4 / 10 - n * 3 / 10 - n * 2 / 10);
        await MixedResources.CreateAsync(admin, n, offset: 0);
        Task<int> Reconciled() => MixedResources.ReconciledAsync(admin);
        while (await Reconciled() < n) await Task.Delay(250);
        var toReconcile = sw.Elapsed;

        await Task.Delay(TimeSpan.FromSeconds(20));
        var cpu0 = Harness.CpuSeconds(op.Id);
        var (reads0, writes0) = await RequestsAsync(metricsPort);
        var window = TimeSpan.FromSeconds(60);
        await Task.Delay(window);
        var cpu = Harness.CpuSeconds(op.Id) - cpu0;
        var (reads1, writes1) = await RequestsAsync(metricsPort);
        var rss = Harness.RssMiB(op.Id);

        // Latency from a spec change to its status write, seen through a watch as a user's tool would.
        var policies = (await admin.ListAsync(OperatorKinds.BackupPolicies, "apps")).Items.Take(Math.Min(200, counts.bp)).ToList();
        var patched = new ConcurrentDictionary<string, (long Generation, long Ticks)>();
        var latencies = new ConcurrentBag<double>();
        using var stopWatch = new CancellationTokenSource();
        var list = await admin.ListAsync(OperatorKinds.BackupPolicies, "apps", new ListRequest(Limit: 1));
        var watcher = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in admin.WatchAsync(OperatorKinds.BackupPolicies, "apps", new WatchRequest(list.Metadata.ResourceVersion, TimeoutSeconds: 300), stopWatch.Token))
                    if (patched.TryGetValue(e.Object.Name, out var p) && e.Object.Status?.ObservedGeneration >= p.Generation && patched.TryRemove(e.Object.Name, out _))
                        latencies.Add(Stopwatch.GetElapsedTime(p.Ticks).TotalMilliseconds);
            }
            catch (OperationCanceledException) { }
        });
        await Task.Delay(500);
        foreach (var p in policies)
        {
            var ticks = Stopwatch.GetTimestamp();
            var updated = await admin.PatchAsync(OperatorKinds.BackupPolicies, "apps", p.Name, PatchType.Merge, """{"spec":{"rpo":"5h"}}""");
            patched[p.Name] = (updated.Metadata.Generation ?? 2, ticks);
            await Task.Delay(20);
        }
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!patched.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(100);
        await stopWatch.CancelAsync();
        await watcher;
        var sorted = latencies.Order().ToList();
        double P(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

        var label = n.ToString("N0", CultureInfo.InvariantCulture);
        rows.Add(Harness.Row($"{label} resources: start to all reconciled", $"{toReconcile.TotalSeconds:F1} s"));
        rows.Add(Harness.Row($"{label} resources: steady-state CPU", $"{cpu / window.TotalSeconds * 100:F1} % of one core"));
        rows.Add(Harness.Row($"{label} resources: RSS", $"{rss:F1} MiB"));
        rows.Add(Harness.Row($"{label} resources: API requests per minute in steady state", $"{reads1 - reads0:F0} reads, {writes1 - writes0:F0} writes"));
        rows.Add(Harness.Row($"{label} resources: change → status write latency (200 changes)", $"p50 {P(0.5):F0} ms, p99 {P(0.99):F0} ms{(patched.IsEmpty ? "" : $", {patched.Count} not seen")}"));
        op.Kill(entireProcessTree: true);
        sim.Kill(entireProcessTree: true);
        return rows;
    }

    private static async Task<(double Reads, double Writes)> RequestsAsync(int port)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        double reads = 0, writes = 0;
        foreach (var l in text.Split('\n').Where(l => l.StartsWith("rest_client_requests_total{", StringComparison.Ordinal)))
        {
            var v = double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            if (l.Contains("method=\"GET\"") || l.Contains("method=\"WATCH\"")) reads += v; else writes += v;
        }
        return (reads, writes);
    }
}
