using System.Diagnostics;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;

namespace DematOperator.Bench;

/// <summary>The operator process: idle RSS, RSS and CPU with 1,000 custom resources cached, reconciles per second.</summary>
internal static class OperatorBench
{
    public static async Task<List<string>> RunAsync(string root)
    {
        var rows = new List<string>();
        // The shipped form (make publish: self-contained, trimmed) is what is measured.
        var exe = Path.Combine(root, "artifacts", "operator", "DematOperator");
        if (!File.Exists(exe)) throw new FileNotFoundException("run `make publish` first", exe);
        var dir = Directory.CreateTempSubdirectory("bench-op-").FullName;
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        using var sim = Harness.Start("dotnet", $"{Path.Combine(root, "src", "DematOperator.Dev", "bin", "Release", "net10.0", "DematOperator.Dev.dll")} sim --clusters bench --kubeconfig-out {kubeconfig} --crds {Path.Combine(root, "config", "crd", "bases")}");
        while (!File.Exists(kubeconfig)) await Task.Delay(100);
        await Task.Delay(500);
        var endpoint = KubeConfigLoader.FromFiles([kubeconfig]);
        using var admin = new KubeClient(endpoint);
        await admin.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "dematoperator-system" } });
        await admin.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "platau-prod" } });

        var metricsPort = Harness.FreePort();
        using var op = Harness.Start(exe, $"run --kubeconfig {kubeconfig} --leader-election-namespace dematoperator-system --metrics-bind-address 127.0.0.1:{metricsPort} --health-probe-bind-address 127.0.0.1:{Harness.FreePort()}",
            new() { ["LOG_LEVEL"] = "Warning", ["DOTNET_GCgen0size"] = "200000" });
        op.BeginOutputReadLine();
        op.BeginErrorReadLine();
        await Task.Delay(TimeSpan.FromSeconds(20));
        var idle = Harness.RssMiB(op.Id);
        rows.Add(Harness.Row("operator idle RSS (Release, 20 s after start, leading, 4 informers)", $"{idle:F1} MiB"));

        var cpuBefore = Harness.CpuSeconds(op.Id);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
            await admin.CreateAsync(OperatorKinds.BackupPolicies, new Backups.BackupPolicy
            {
                Metadata = new ObjectMeta { Name = $"policy-{i:D4}", Namespace = "platau-prod", Labels = new() { ["bench"] = "true" } },
                Spec = new Backups.BackupPolicySpec
                {
                    Schedule = "0 */2 * * *", Method = "Velero", TimeZone = "Europe/Paris",
                    Target = new Backups.BackupTarget { Namespaces = ["platau-prod"] },
                    Retention = new Backups.RetentionSpec { KeepLast = 6, KeepDaily = 7 },
                },
            });
        await Task.Delay(TimeSpan.FromSeconds(10));
        var cpu = Harness.CpuSeconds(op.Id) - cpuBefore;
        var loaded = Harness.RssMiB(op.Id);
        rows.Add(Harness.Row("operator RSS with 1,000 BackupPolicies cached", $"{loaded:F1} MiB"));
        rows.Add(Harness.Row("operator CPU to ingest 1,000 BackupPolicies (+10 s settle)", $"{cpu:F2} s over {sw.Elapsed.TotalSeconds:F0} s"));
        op.Kill(entireProcessTree: true);

        // Reconciles per second: one controller, 4 workers, each reconcile reads the cache and makes a no-op status write check.
        using var client = new KubeClient(endpoint);
        var informer = new Informer<Backups.BackupPolicy>(client, OperatorKinds.BackupPolicies);
        var count = 0;
        var controller = new Controller("bench", new BenchReconciler(informer, client, () => Interlocked.Increment(ref count)),
            new ControllerOptions { MaxConcurrentReconciles = 4 }).For(informer);
        using var stop = new CancellationTokenSource();
        var runs = new[] { Task.Run(() => informer.RunAsync(stop.Token)), Task.Run(() => controller.RunAsync(stop.Token)) };
        await informer.WaitForSyncAsync(CancellationToken.None);
        while (Volatile.Read(ref count) < 1000) await Task.Delay(50);
        var rounds = 5;
        var start = Volatile.Read(ref count);
        sw.Restart();
        for (var r = 0; r < rounds; r++)
        {
            foreach (var p in informer.List()) controller.Queue.Add(new ReconcileRequest(p.Namespace, p.Name));
            while (Volatile.Read(ref count) - start < (r + 1) * 1000) await Task.Delay(5);
        }
        rows.Add(Harness.Row("reconciles/s (cache read + condition computed, no-op skipped, 4 workers)", $"{rounds * 1000 / sw.Elapsed.TotalSeconds:N0}"));
        stop.Cancel();
        await Task.WhenAll(runs);
        sim.Kill(entireProcessTree: true);
        return rows;
    }

    private sealed class BenchReconciler(Informer<Backups.BackupPolicy> cache, KubeClient client, Action done) : IReconciler
    {
        public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
        {
            var p = cache.Get(request.Namespace, request.Name);
            if (p is not null)
                await ObjectWriter.UpdateStatusAsync(client, OperatorKinds.BackupPolicies, p, x =>
                {
                    x.Status ??= new Backups.BackupPolicyStatus();
                    x.Status.Conditions ??= [];
                    x.Status.ObservedGeneration = x.Metadata.Generation;
                    Conditions.Set(x.Status.Conditions, Conditions.Make("Ready", true, "Benchmark", "steady", x.Metadata.Generation), DateTimeOffset.UnixEpoch);
                }, ct);
            done();
            return ReconcileResult.Done;
        }
    }
}
