using System.Diagnostics;
using System.Globalization;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Certificates;
using DematOperator.Drills;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.ThirdParty;
using DematOperator.ServiceLevels;

namespace DematOperator.Bench;

/// <summary>
/// The shipped Native AOT operator beside the previous trimmed JIT build, measured in one run on the same machine
/// against the same emulator (in this process, so that its request counter tells Lease renewals from other writes):
/// idle RSS, RSS with 1,000 and 5,000 resources of the scale mix, process start to /readyz with 1,000 resources,
/// steady-state writes and CPU, and the size of the published folder. Where memory goes: smaps_rollup's anonymous
/// and file-backed parts.
/// </summary>
internal static class AotBench
{
    private sealed record Build(string Name, string Folder);

    public static async Task<List<string>> RunAsync(string root)
    {
        var builds = new[] { new Build("Native AOT", Path.Combine(root, "artifacts", "operator")), new Build("trimmed JIT", Path.Combine(root, "artifacts", "operator-jit")) };
        foreach (var b in builds)
            if (!File.Exists(Path.Combine(b.Folder, "DematOperator"))) throw new FileNotFoundException("run `make publish publish-jit` first", b.Folder);
        var results = new Dictionary<string, Dictionary<string, string>>();
        foreach (var b in builds) results[b.Name] = await MeasureAsync(root, b);
        var rows = new List<string> { $"| measure | {string.Join(" | ", builds.Select(b => b.Name))} |", $"|---|{string.Join("|", builds.Select(_ => "---"))}|" };
        foreach (var measure in results[builds[0].Name].Keys)
        {
            var line = $"| {measure} | {string.Join(" | ", builds.Select(b => results[b.Name].GetValueOrDefault(measure, "")))} |";
            Console.WriteLine(line);
            rows.Add(line);
        }
        return rows;
    }

    private static async Task<Dictionary<string, string>> MeasureAsync(string root, Build build)
    {
        var m = new Dictionary<string, string>();
        var exe = Path.Combine(build.Folder, "DematOperator");
        m["published folder"] = $"{Directory.EnumerateFiles(build.Folder).Sum(f => new FileInfo(f).Length) / 1048576.0:F1} MiB, {Directory.EnumerateFiles(build.Folder).Count()} file(s)";
        var (host, cluster, kubeconfig, admin) = await MixedResources.EmulatorAsync(root, "aot");
        await using var hostScope = host;
        using var adminScope = admin;

        // Idle: leading, 4+ informers, TLS to the API, nothing to reconcile.
        using (var op = Start(exe, kubeconfig, out _, out _))
        {
            await Task.Delay(TimeSpan.FromSeconds(20));
            var (anon, file) = Rollup(op.Id);
            m["idle RSS (20 s, leading, informers, TLS)"] = $"{Harness.RssMiB(op.Id):F1} MiB (anon {anon:F1}, file {file:F1})";
            op.Kill(entireProcessTree: true);
        }

        await MixedResources.CreateAsync(admin, 1000, offset: 0, quiet: true);
        // Start to /readyz with 1,000 resources waiting: informers synced, leader elected.
        var sw = Stopwatch.StartNew();
        using (var op = Start(exe, kubeconfig, out var metricsPort, out var probePort))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
            while (sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                try { if ((await http.GetAsync($"http://127.0.0.1:{probePort}/readyz")).IsSuccessStatusCode) break; }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                await Task.Delay(10);
            }
            m["process start to /readyz, 1,000 resources"] = $"{sw.Elapsed.TotalMilliseconds:F0} ms";
            while (await MixedResources.ReconciledAsync(admin) < 1000) await Task.Delay(250);
            await Task.Delay(TimeSpan.FromSeconds(20));
            var (anon, file) = Rollup(op.Id);
            m["RSS, 1,000 mixed resources reconciled"] = $"{Harness.RssMiB(op.Id):F1} MiB (anon {anon:F1}, file {file:F1})";
            var cpu0 = Harness.CpuSeconds(op.Id);
            var before = cluster.Requests.Snapshot();
            var window = TimeSpan.FromSeconds(60);
            await Task.Delay(window);
            var cpu = Harness.CpuSeconds(op.Id) - cpu0;
            var after = cluster.Requests.Snapshot();
            static bool IsWrite(string k) => k.StartsWith("create ", StringComparison.Ordinal) || k.StartsWith("update ", StringComparison.Ordinal) || k.StartsWith("patch ", StringComparison.Ordinal) || k.StartsWith("delete", StringComparison.Ordinal);
            var writes = after.Where(p => IsWrite(p.Key)).ToDictionary(p => p.Key, p => p.Value - before.GetValueOrDefault(p.Key));
            var leases = writes.Where(p => p.Key.EndsWith(" leases.coordination.k8s.io", StringComparison.Ordinal)).Sum(p => p.Value);
            var others = writes.Where(p => !p.Key.EndsWith(" leases.coordination.k8s.io", StringComparison.Ordinal) && p.Value > 0).ToList();
            m["steady state, 1,000 resources, nothing due: writes in 60 s other than Lease renewals"] = $"{others.Sum(p => p.Value)}{(others.Count > 0 ? " (" + string.Join(", ", others.Select(p => $"{p.Key} {p.Value}")) + ")" : "")}; {leases} Lease renewals";
            m["steady state, 1,000 resources: CPU"] = $"{cpu / window.TotalSeconds * 100:F2} % of one core";
            // The memory trimmer checks every minute: after the steady window, the first burst's slack is given back.
            (anon, file) = Rollup(op.Id);
            m["RSS, 1,000 mixed resources, after the 60 s steady window"] = $"{Harness.RssMiB(op.Id):F1} MiB (anon {anon:F1}, file {file:F1})";

            await MixedResources.CreateAsync(admin, 4000, offset: 1000, quiet: true);
            while (await MixedResources.ReconciledAsync(admin) < 5000) await Task.Delay(500);
            await Task.Delay(TimeSpan.FromSeconds(20));
            (anon, file) = Rollup(op.Id);
            m["RSS, 5,000 mixed resources reconciled"] = $"{Harness.RssMiB(op.Id):F1} MiB (anon {anon:F1}, file {file:F1})";
            // Two minutes at least since the trim of the 1,000 stage (MemoryTrimPolicy.MinimumGap), then the next check.
            await Task.Delay(TimeSpan.FromSeconds(130));
            (anon, file) = Rollup(op.Id);
            m["RSS, 5,000 mixed resources, 150 s after reconciled"] = $"{Harness.RssMiB(op.Id):F1} MiB (anon {anon:F1}, file {file:F1})";
            op.Kill(entireProcessTree: true);
        }
        return m;
    }

    private static Process Start(string exe, string kubeconfig, out int metricsPort, out int probePort)
    {
        metricsPort = Harness.FreePort();
        probePort = Harness.FreePort();
        var op = Harness.Start(exe, $"run --kubeconfig {kubeconfig} --leader-election-namespace dematoperator-system --metrics-bind-address 127.0.0.1:{metricsPort} --health-probe-bind-address 127.0.0.1:{probePort}",
            new() { ["LOG_LEVEL"] = "Warning", ["DOTNET_GCgen0size"] = "200000" });
        op.BeginOutputReadLine();
        op.BeginErrorReadLine();
        return op;
    }

    /// <summary>Anonymous (heaps, stacks) and file-backed (the executable, shared libraries) resident MiB.</summary>
    private static (double Anon, double File) Rollup(int pid)
    {
        double anon = 0, file = 0;
        foreach (var line in System.IO.File.ReadLines($"/proc/{pid}/smaps_rollup"))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            if (parts[0] == "Anonymous:") anon = long.Parse(parts[1], CultureInfo.InvariantCulture) / 1024.0;
            if (parts[0] == "Rss:") file = long.Parse(parts[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        return (anon, file - anon);
    }
}

/// <summary>The scale mix of docs/performance.md: 40 % BackupPolicies, 30 % ServiceLevels, 20 % CertificateRenewals, 10 % PraDrills.</summary>
internal static class MixedResources
{
    /// <summary>An in-process emulator with the third-party APIs, our CRDs and the bench namespaces, and an admin client.</summary>
    public static async Task<(SimHost Host, SimCluster Cluster, string Kubeconfig, KubeClient Admin)> EmulatorAsync(string root, string name, int? historyLimit = null)
    {
        var host = await SimHost.StartAsync(new SimHostOptions { Clusters = [name], Configure = historyLimit is { } h ? o => o.HistoryLimit = h : null });
        var cluster = host[name].Cluster;
        ThirdPartyApis.Install(cluster);
        CrdInstaller.InstallPath(cluster, Path.Combine(root, "config", "crd", "bases"));
        var kubeconfig = Path.Combine(Directory.CreateTempSubdirectory($"bench-{name}-").FullName, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, host.Kubeconfig());
        var admin = new KubeClient(KubeConfigLoader.FromFiles([kubeconfig]));
        foreach (var ns in new[] { "dematoperator-system", "apps", "openshift-adp" })
            await admin.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        return (host, cluster, kubeconfig, admin);
    }

    /// <param name="quiet">Backups once a year (1 January, 03:00): nothing falls due while steady state is measured.</param>
    public static Task CreateAsync(KubeClient admin, int n, int offset, bool quiet = false) =>
        Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (j, ct) =>
        {
            var i = offset + j;
            var name = $"r-{i:D5}";
            switch (i % 10)
            {
                case < 4:
                    await admin.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy { Metadata = new ObjectMeta { Name = name, Namespace = "apps" },
                        Spec = new BackupPolicySpec { Schedule = quiet ? "0 3 1 1 *" : $"{i % 60} * * * *", Method = "Velero", Rpo = "4h", Target = new BackupTarget { Namespaces = ["apps"] } } }, ct);
                    break;
                case < 7:
                    await admin.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel { Metadata = new ObjectMeta { Name = name, Namespace = "apps" },
                        Spec = new ServiceLevelSpec { Tier = "ARGENT", Environment = "preprod", Interval = "5m", Probes = [new ProbeSpec { Name = "api", Workload = new WorkloadProbeSpec { Kind = "Deployment", Name = "api" } }] } }, ct);
                    break;
                case < 9:
                    await admin.CreateAsync(OperatorKinds.CertificateRenewals, new CertificateRenewal { Metadata = new ObjectMeta { Name = name, Namespace = "apps" },
                        Spec = new CertificateRenewalSpec { Secrets = new ObjectSelection { Names = ["none"] }, Interval = "1h" } }, ct);
                    break;
                default:
                    await admin.CreateAsync(OperatorKinds.PraDrills, new PraDrill { Metadata = new ObjectMeta { Name = name, Namespace = "apps" },
                        Spec = new PraDrillSpec { Schedule = "0 21 14 3 *", Source = new DrillSource { Namespaces = ["prod"] }, Backup = new DrillBackup { VeleroSchedule = "daily" } } }, ct);
                    break;
            }
        });

    public static async Task<int> ReconciledAsync(KubeClient admin)
    {
        var total = 0;
        total += (await admin.ListAllAsync(OperatorKinds.BackupPolicies, "apps")).Items.Count(o => o.Status?.ObservedGeneration == o.Metadata.Generation);
        total += (await admin.ListAllAsync(OperatorKinds.ServiceLevels, "apps")).Items.Count(o => o.Status?.ObservedGeneration == o.Metadata.Generation);
        total += (await admin.ListAllAsync(OperatorKinds.CertificateRenewals, "apps")).Items.Count(o => o.Status?.ObservedGeneration == o.Metadata.Generation);
        total += (await admin.ListAllAsync(OperatorKinds.PraDrills, "apps")).Items.Count(o => o.Status?.ObservedGeneration == o.Metadata.Generation);
        return total;
    }
}

/// <summary>
/// Bounded state: the shipped operator through 10,000 creations and deletions of each of five kinds (in batches of
/// 1,000, each reconciled before it is deleted). RSS and the managed heap after each kind must stay flat: what a
/// reconciler remembers of an object goes with it.
/// </summary>
internal static class ChurnBench
{
    public static async Task<List<string>> RunAsync(string root, int perKind = 10_000)
    {
        var rows = new List<string>();
        var exe = Path.Combine(root, "artifacts", "operator", "DematOperator");
        if (!File.Exists(exe)) throw new FileNotFoundException("run `make publish` first", exe);
        var (host, _, kubeconfig, admin) = await MixedResources.EmulatorAsync(root, "churn", historyLimit: 20_000);
        await using var _h = host;
        using var _a = admin;
        await admin.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel { Metadata = new ObjectMeta { Name = "anchor", Namespace = "apps" },
            Spec = new ServiceLevelSpec { Tier = "ARGENT", Environment = "preprod", Interval = "5m", Probes = [new ProbeSpec { Name = "api", Workload = new WorkloadProbeSpec { Kind = "Deployment", Name = "api" } }] } });
        var metricsPort = Harness.FreePort();
        using var op = Harness.Start(exe, $"run --kubeconfig {kubeconfig} --leader-election-namespace dematoperator-system --metrics-bind-address 127.0.0.1:{metricsPort} --health-probe-bind-address 127.0.0.1:{Harness.FreePort()}",
            new() { ["LOG_LEVEL"] = "Warning", ["DOTNET_GCgen0size"] = "200000" });
        op.BeginOutputReadLine();
        op.BeginErrorReadLine();
        await Task.Delay(TimeSpan.FromSeconds(15));
        using var http = new HttpClient();
        async Task<string> Sample() => $"RSS {Harness.RssMiB(op.Id):F1} MiB, managed heap {await HeapMiB():F1} MiB";
        async Task<double> HeapMiB()
        {
            var line = (await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith("dotnet_gc_heap_size_bytes ", StringComparison.Ordinal));
            return line is null ? double.NaN : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture) / 1048576.0;
        }
        rows.Add(Harness.Row("churn: before", await Sample()));
        var kinds = new (string Name, Func<int, Task> Create, Func<int, Task> Delete, Func<Task<int>> Count)[]
        {
            ("BackupPolicy", i => admin.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy { Metadata = new ObjectMeta { Name = $"bp-{i}", Namespace = "apps" },
                Spec = new BackupPolicySpec { Schedule = $"{i % 60} * * * *", Method = "Velero", Rpo = "4h", Target = new BackupTarget { Namespaces = ["apps"] } } }),
                i => admin.DeleteAsync(OperatorKinds.BackupPolicies, "apps", $"bp-{i}"), async () => (await admin.ListAllAsync(OperatorKinds.BackupPolicies, "apps")).Items.Count(o => o.Status?.ObservedGeneration is not null)),
            ("ServiceLevel", i => admin.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel { Metadata = new ObjectMeta { Name = $"sl-{i}", Namespace = "apps" },
                Spec = new ServiceLevelSpec { Tier = "ARGENT", Environment = "preprod", Interval = "5m", Probes = [new ProbeSpec { Name = "api", Workload = new WorkloadProbeSpec { Kind = "Deployment", Name = "api" } }] } }),
                i => admin.DeleteAsync(OperatorKinds.ServiceLevels, "apps", $"sl-{i}"), async () => (await admin.ListAllAsync(OperatorKinds.ServiceLevels, "apps")).Items.Count(o => o.Name != "anchor" && o.Status?.ObservedGeneration is not null)),
            ("CertificateRenewal", i => admin.CreateAsync(OperatorKinds.CertificateRenewals, new CertificateRenewal { Metadata = new ObjectMeta { Name = $"cr-{i}", Namespace = "apps" },
                Spec = new CertificateRenewalSpec { Secrets = new ObjectSelection { Names = ["none"] }, Interval = "1h" } }),
                i => admin.DeleteAsync(OperatorKinds.CertificateRenewals, "apps", $"cr-{i}"), async () => (await admin.ListAllAsync(OperatorKinds.CertificateRenewals, "apps")).Items.Count(o => o.Status?.ObservedGeneration is not null)),
            ("PraDrill", i => admin.CreateAsync(OperatorKinds.PraDrills, new PraDrill { Metadata = new ObjectMeta { Name = $"pra-{i}", Namespace = "apps" },
                Spec = new PraDrillSpec { Schedule = "0 21 14 3 *", Source = new DrillSource { Namespaces = ["prod"] }, Backup = new DrillBackup { VeleroSchedule = "daily" } } }),
                i => admin.DeleteAsync(OperatorKinds.PraDrills, "apps", $"pra-{i}"), async () => (await admin.ListAllAsync(OperatorKinds.PraDrills, "apps")).Items.Count(o => o.Status?.ObservedGeneration is not null)),
            ("Incident", i => admin.CreateAsync(OperatorKinds.Incidents, new Incidents.Incident { Metadata = new ObjectMeta { Name = $"inc-{i}", Namespace = "apps" },
                Spec = new Incidents.IncidentSpec { ServiceLevelRef = new Incidents.LocalRef { Name = "anchor" }, Severity = "Minor", StartTime = DateTimeOffset.UtcNow.AddHours(-1), ResolvedTime = DateTimeOffset.UtcNow } }),
                i => admin.DeleteAsync(OperatorKinds.Incidents, "apps", $"inc-{i}"), async () => (await admin.ListAllAsync(OperatorKinds.Incidents, "apps")).Items.Count(o => o.Status?.ObservedGeneration is not null)),
        };
        const int Batch = 1000;
        // CHURN_KINDS=ServiceLevel,PraDrill limits a run to those kinds.
        foreach (var kind in kinds.Where(k => Environment.GetEnvironmentVariable("CHURN_KINDS") is not { } only || only.Split(',').Contains(k.Name)))
        {
            var sw = Stopwatch.StartNew();
            for (var start = 0; start < perKind; start += Batch)
            {
                var batch = Enumerable.Range(start, Math.Min(Batch, perKind - start)).ToList();
                await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) => await kind.Create(i));
                var deadline = DateTime.UtcNow.AddMinutes(2);
                while (await kind.Count() < batch.Count && DateTime.UtcNow < deadline) await Task.Delay(200);
                await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) => await kind.Delete(i));
            }
            await Task.Delay(TimeSpan.FromSeconds(10));
            rows.Add(Harness.Row($"churn: after {perKind:N0} {kind.Name} created, reconciled and deleted ({sw.Elapsed.TotalSeconds:F0} s)", await Sample()));
        }
        await Task.Delay(TimeSpan.FromSeconds(30));
        rows.Add(Harness.Row("churn: 30 s later", await Sample()));
        // The memory trimmer checks every minute.
        await Task.Delay(TimeSpan.FromSeconds(90));
        rows.Add(Harness.Row("churn: 2 min later", await Sample()));
        op.Kill(entireProcessTree: true);
        return rows;
    }
}
