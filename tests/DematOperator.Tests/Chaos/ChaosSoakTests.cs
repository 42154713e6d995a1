using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Certificates;
using DematOperator.Drills;
using DematOperator.Hosting;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.LeaderElection;
using DematOperator.Kube.Manager;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.ServiceLevels;
using DematOperator.Tests.Certificates;
using DematOperator.Tests.ServiceLevels;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Chaos;

/// <summary>
/// Two operator replicas per cluster (sbg: backups, service level, certificates; rbx: the PRA drill) with all four
/// kinds in use, while the API drops watches, answers 500/503/429, expires resourceVersions, becomes unreachable,
/// and leaders are killed and restarted. Invariants are checked all along; after the faults stop, everything
/// converges. CHAOS_SECONDS sets the length of the fault phase (default 60: the form CI runs).
/// </summary>
[Trait("Category", "Chaos")]
public sealed class ChaosSoakTests : IAsyncLifetime
{
    private static readonly ResourceType<DynamicObject> Locations = Resources.Dynamic("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", true);
    private static readonly ResourceType<DynamicObject> Restores = Resources.Dynamic("velero.io", "v1", "restores", "Restore", true);
    private static readonly ResourceType<DynamicObject> CronJobs = Resources.Dynamic("batch", "v1", "cronjobs", "CronJob", true);
    private static readonly ResourceType<DynamicObject> Snapshots = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true);
    private static readonly ResourceType<DynamicObject> Classes = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false);
    private static readonly ResourceType<DynamicObject> SecretsDynamic = Resources.Dynamic("", "v1", "secrets", "Secret", true);

    // Real time has to pass (faults, leases), but from a fixed instant: Tuesday 2 June 2026, 10:00 Paris, inside every
    // tier's service hours, so what the soak checks does not depend on when it runs.
    private readonly FixedStartTimeProvider _clock = new(new DateTimeOffset(2026, 6, 2, 8, 0, 0, TimeSpan.Zero));
    private SimHost _host = null!;
    private readonly FlakyService _service = new();
    private readonly ConcurrentBag<string> _violations = [];

    private sealed class Replica(string cluster, string identity, OperatorManager manager, KubeClient client, Task run, CancellationTokenSource stop)
    {
        public string Cluster { get; } = cluster;
        public string Identity { get; } = identity;
        public OperatorManager Manager { get; } = manager;
        public KubeClient Client { get; } = client;
        public Task Run { get; } = run;
        public CancellationTokenSource Stop { get; } = stop;
        public bool Alive => !Run.IsCompleted;
    }

    private readonly List<Replica> _replicas = [];
    private readonly object _gate = new();
    private readonly List<(string Replica, Exception Error)> _runnableFailures = [];

    /// <summary>What the injected faults can make a runnable die of: its caches not synced in time while the API was unreachable.</summary>
    internal static bool CausedByInjectedFaults(Exception error) => error is TimeoutException t && t.Message.Contains("caches did not sync", StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg", "rbx");
    }

    public async Task DisposeAsync()
    {
        foreach (var r in _replicas.ToList()) await Kill(r);
        await _host.DisposeAsync();
        _service.Dispose();
    }

    private KubeClient Admin(string cluster) => SimClients.For(_host, cluster, options: new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 8 }, time: _clock);

    private Replica Start(string cluster, string identity)
    {
        // Each replica is the operator's ServiceAccount under config/rbac, as deployed.
        var endpoint = KubeConfigLoader.FromText(OperatorClusters.OperatorKubeconfig(_host, cluster), cluster);
        var metrics = new MetricsRegistry();
        var client = new KubeClient(endpoint, new KubeClientOptions { Identity = identity, RetryBaseDelay = TimeSpan.FromMilliseconds(50), MaxRetries = 3, RequestTimeout = TimeSpan.FromSeconds(5) }, metrics, time: _clock);
        var manager = OperatorHost.Build(client, metrics, new OperatorOptions
        {
            LeaseNamespace = "dematoperator-system", MetricsEndpoint = null, ProbeEndpoint = null, Identity = identity, Time = _clock,
            LeaderElectionOverride = new LeaderElectionOptions
            {
                LeaseName = "dematoperator.ops.demat.gouv.fr", LeaseNamespace = "dematoperator-system", Identity = identity,
                LeaseDuration = TimeSpan.FromSeconds(4), RenewDeadline = TimeSpan.FromSeconds(3), RetryPeriod = TimeSpan.FromMilliseconds(400),
            },
        }, endpoint, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        var run = Task.Run(async () =>
        {
            try { await manager.RunAsync(stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or LeaderElectionLostException) { }
            catch (ManagerRunnableFailedException e)
            {
                // A controller or runnable died: the process restarts (the kubelet below). That is only acceptable when the
                // soak caused it (caches that could not sync while the API was down); anything else is a bug it found.
                lock (_gate) _runnableFailures.Add((identity, e.InnerException!));
            }
        });
        var replica = new Replica(cluster, identity, manager, client, run, stop);
        lock (_gate) _replicas.Add(replica);
        return replica;
    }

    private async Task Kill(Replica r)
    {
        await r.Stop.CancelAsync();
        try { await r.Run.WaitAsync(TimeSpan.FromSeconds(60)); }
        catch (TimeoutException)
        {
            var inFlight = string.Join(", ", r.Manager.Controllers.Select(c => $"{c.Name}: queue {c.Queue.Length}, in flight {c.InFlight}"));
            _violations.Add($"replica {r.Identity} did not stop within 60 s; still running: {string.Join(", ", r.Manager.StillRunning)}; {inFlight}");
        }
        lock (_gate) _replicas.Remove(r);
        r.Client.Dispose();
    }

    private async Task SeedAsync(string shared)
    {
        using var sbg = Admin("sbg");
        using var rbx = Admin("rbx");
        foreach (var (c, ns) in new[] { (sbg, "platau-prod"), (sbg, "openshift-adp"), (rbx, "openshift-adp"), (rbx, "preprod"), (rbx, "perf") })
            await c.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        foreach (var c in new[] { sbg, rbx })
            await c.CreateAsync(Locations, new DynamicObject { Metadata = new ObjectMeta { Name = "default", Namespace = "openshift-adp" }, Fields = JsonNode.Parse("""{"spec":{"provider":"aws","objectStorage":{"bucket":"pra"}}}""")!.AsObject() });
        await sbg.CreateAsync(Classes, new DynamicObject { Metadata = new ObjectMeta { Name = "csi" }, Fields = JsonNode.Parse("""{"driver":"x","deletionPolicy":"Delete"}""")!.AsObject() });
        await sbg.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "data-mongodb-0", Namespace = "platau-prod" },
            Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""")!.AsObject(),
        });
        await sbg.CreateAsync(Resources.Deployments, Workload("platau-prod", "platau-api", 2));
        foreach (var (ns, replicas) in new[] { ("preprod", 2), ("perf", 0) })
        {
            await rbx.CreateAsync(Resources.Deployments, Workload(ns, "app", replicas));
            await rbx.CreateAsync(CronJobs, new DynamicObject
            {
                Metadata = new ObjectMeta { Name = "nightly", Namespace = ns },
                Fields = JsonNode.Parse("""{"spec":{"schedule":"0 2 * * *","suspend":false,"jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x"}]}}}}}}""")!.AsObject(),
            });
        }
        foreach (var (name, method) in new[] { ("mongo-snapshots", "CSISnapshot"), ("platau-velero", "Velero") })
            await sbg.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy
            {
                Metadata = new ObjectMeta { Name = name, Namespace = "platau-prod" },
                Spec = new BackupPolicySpec
                {
                    Schedule = "* * * * *", Method = method, Rpo = "4h", Target = new BackupTarget { Namespaces = ["platau-prod"] },
                    CsiSnapshot = method == "CSISnapshot" ? new CsiSnapshotOptions { VolumeSnapshotClassName = "csi" } : null,
                    Retention = new RetentionSpec { KeepLast = 3 },
                },
            });
        await sbg.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel
        {
            Metadata = new ObjectMeta { Name = "platau", Namespace = "platau-prod" },
            Spec = new ServiceLevelSpec { Tier = "OR", Environment = "production", Interval = "2s", FailureThreshold = 1, Probes = [new ProbeSpec { Name = "portal", Timeout = "1s", Http = new HttpProbeSpec { Url = _service.Url } }] },
        });
        var root = TestPki.RootCa(notBefore: _clock.GetUtcNow().AddYears(-1), notAfter: _clock.GetUtcNow().AddYears(10));
        var due = TestPki.Sign(root, "CN=platau.example.gouv.fr", true, _clock.GetUtcNow().AddDays(-60), _clock.GetUtcNow().AddDays(3));
        await sbg.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "igc-ca", Namespace = "platau-prod" }, Type = "kubernetes.io/tls", Data = new() { ["tls.crt"] = Encoding.ASCII.GetBytes(root.CertPem), ["tls.key"] = Encoding.ASCII.GetBytes(root.KeyPem) } });
        await sbg.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "platau-tls", Namespace = "platau-prod", Labels = new() { ["renew"] = "true" } }, Type = "kubernetes.io/tls", Data = new() { ["tls.crt"] = Encoding.ASCII.GetBytes(due.CertPem), ["tls.key"] = Encoding.ASCII.GetBytes(due.KeyPem) } });
        await sbg.CreateAsync(OperatorKinds.CertificateRenewals, new CertificateRenewal
        {
            Metadata = new ObjectMeta { Name = "platau", Namespace = "platau-prod" },
            Spec = new CertificateRenewalSpec { Interval = "10s", Secrets = new ObjectSelection { Selector = new LabelSelectorSpec { MatchLabels = new() { ["renew"] = "true" } } }, Issuer = new IssuerSpec { Ca = new SecretReference { Name = "igc-ca" } } },
        });
        await rbx.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "sbg-kubeconfig", Namespace = "dematoperator-system" }, Data = new() { ["kubeconfig"] = Encoding.UTF8.GetBytes(shared) } });
        await rbx.CreateAsync(OperatorKinds.PraDrills, new PraDrill
        {
            Metadata = new ObjectMeta { Name = "pra", Namespace = "dematoperator-system" },
            Spec = new PraDrillSpec
            {
                Source = new DrillSource { Kubeconfig = new KubeconfigSecretRef { Name = "sbg-kubeconfig", Context = "sbg" }, Namespaces = ["platau-prod"] },
                Backup = new DrillBackup { BackupPolicy = "platau-velero", BackupPolicyNamespace = "platau-prod" },
                Quiesce = new DrillQuiesce { Namespaces = ["preprod", "perf"] },
                Verify = new DrillVerify { Timeout = "2m" },
            },
        });
    }

    private static DynamicObject Workload(string ns, string name, int replicas) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Fields = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas, ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } }, ["spec"] = JsonNode.Parse("""{"containers":[{"name":"c","image":"x"}]}""") },
            },
        },
    };

    /// <summary>The invariants that must hold at every instant, checked on the emulators' stores directly.</summary>
    private void CheckInvariants()
    {
        lock (_gate)
            foreach (var cluster in new[] { "sbg", "rbx" })
            {
                var leaders = _replicas.Where(r => r.Cluster == cluster && r.Alive && r.Manager.Elector?.IsLeader == true).Select(r => r.Identity).ToList();
                if (leaders.Count > 1) _violations.Add($"{cluster}: two leaders at once: {string.Join(", ", leaders)}");
            }
        var sbg = _host["sbg"].Cluster;
        foreach (var secret in sbg.Snapshot("/secrets"))
        {
            var obj = secret.Parse();
            if ((string?)obj["type"] != "kubernetes.io/tls") continue;
            try
            {
                var crt = Encoding.ASCII.GetString(Convert.FromBase64String((string)obj["data"]!["tls.crt"]!));
                var key = Encoding.ASCII.GetString(Convert.FromBase64String((string)obj["data"]!["tls.key"]!));
                using var k = Pki.ParseKey(key, "tls.key");
                if (!Pki.KeyMatches(Pki.ParseChain(crt, "tls.crt")[0], k)) _violations.Add($"Secret {secret.Namespace}/{secret.Name}: certificate and key do not match (half-written)");
            }
            catch (Exception e) when (e is PkiException or FormatException) { _violations.Add($"Secret {secret.Namespace}/{secret.Name}: unreadable ({e.Message})"); }
        }
        // Isolation: a rehearsal restores production's workloads onto rbx, never our resources (they would act there).
        foreach (var kind in new[] { "backuppolicies", "servicelevels", "certificaterenewals" })
            if (_host["rbx"].Cluster.Snapshot($"ops.demat.gouv.fr/{kind}").FirstOrDefault() is { } restored)
                _violations.Add($"rbx holds {kind} {restored.Namespace}/{restored.Name}: a rehearsal restored a resource of ours");
        // One Restore per drill run, ever.
        var restores = _host["rbx"].Cluster.Snapshot("velero.io/restores").GroupBy(r => r.Labels.GetValueOrDefault(DrillMarks.RunLabel)).Where(g => g.Count() > 1).ToList();
        foreach (var g in restores) _violations.Add($"run {g.Key} has {g.Count()} Restores");
    }

    [Fact]
    public async Task Under_faults_and_leader_kills_the_invariants_hold_and_everything_converges()
    {
        var faultSeconds = int.TryParse(Environment.GetEnvironmentVariable("CHAOS_SECONDS"), out var s) ? s : 60;
        await SeedAsync(OperatorClusters.OperatorKubeconfig(_host, "sbg"));
        foreach (var cluster in new[] { "sbg", "rbx" }) { Start(cluster, $"{cluster}-a"); Start(cluster, $"{cluster}-b"); }
        using var watchdog = new CancellationTokenSource();
        var checker = Task.Run(async () =>
        {
            while (!watchdog.IsCancellationRequested)
            {
                CheckInvariants();
                try { await Task.Delay(150, watchdog.Token); } catch (OperationCanceledException) { }
            }
        });
        // The kubelet: a replica whose process ended (lease lost, a controller failed) is started again.
        var kubelet = Task.Run(async () =>
        {
            while (!watchdog.IsCancellationRequested)
            {
                List<Replica> dead;
                lock (_gate) dead = _replicas.Where(r => !r.Alive).ToList();
                foreach (var r in dead) { await Kill(r); Start(r.Cluster, r.Identity); }
                try { await Task.Delay(500, watchdog.Token); } catch (OperationCanceledException) { }
            }
        });
        using var rbxAdmin = Admin("rbx");
        // The drill starts once a production backup reached rbx (one is asked for at once, not at the next minute);
        // it then runs through the faults.
        using (var sbgFirst = Admin("sbg"))
            await sbgFirst.PatchAsync(OperatorKinds.BackupPolicies, "platau-prod", "platau-velero", PatchType.Merge, """{"metadata":{"annotations":{"ops.demat.gouv.fr/run-now":"first"}}}""");
        await Eventually.HoldsAsync(() => _host["rbx"].Cluster.Snapshot("velero.io/backups").Any(b => (string?)b.Parse()["status"]?["phase"] == "Completed"), "a backup synced to rbx", TimeSpan.FromSeconds(180));
        await rbxAdmin.PatchAsync(OperatorKinds.PraDrills, "dematoperator-system", "pra", PatchType.Merge, """{"metadata":{"annotations":{"ops.demat.gouv.fr/run-now":"chaos"}}}""");

        var random = new Random(20261122);
        var faultPhase = System.Diagnostics.Stopwatch.StartNew();
        var kills = 0;
        while (faultPhase.Elapsed < TimeSpan.FromSeconds(faultSeconds))
        {
            var target = random.Next(2) == 0 ? "sbg" : "rbx";
            var faults = _host[target].Cluster.Faults;
            switch (random.Next(6))
            {
                case 0:
                    var rule = faults.FailRequests(new[] { 500, 503, 429 }[random.Next(3)], rate: 0.3, retryAfterSeconds: 1);
                    await Task.Delay(2000);
                    faults.Remove(rule);
                    break;
                case 1:
                    faults.DropWatchesAfterEvents = 3;
                    await Task.Delay(2000);
                    faults.DropWatchesAfterEvents = null;
                    break;
                case 2:
                    faults.ExpireNextWatch();
                    faults.ExpireNextWatch();
                    await Task.Delay(500);
                    break;
                case 3:
                    faults.Unreachable = true;
                    await Task.Delay(1500);
                    faults.Unreachable = false;
                    break;
                case 4:
                    Replica? leader;
                    lock (_gate) leader = _replicas.FirstOrDefault(r => r.Cluster == target && r.Manager.Elector?.IsLeader == true);
                    if (leader is not null)
                    {
                        await Kill(leader);
                        kills++;
                        Start(target, leader.Identity);
                    }
                    break;
                default:
                    _service.Up = !_service.Up;
                    await Task.Delay(1000);
                    break;
            }
        }
        foreach (var c in new[] { "sbg", "rbx" }) _host[c].Cluster.Faults.Clear();
        _service.Up = true;

        // Convergence once the faults stop.
        using var sbgAdmin = Admin("sbg");
        await Eventually.HoldsAsync(async () => (await rbxAdmin.GetAsync(OperatorKinds.PraDrills, "dematoperator-system", "pra")).Status?.History is { Count: > 0 } h && (await rbxAdmin.GetAsync(OperatorKinds.PraDrills, "dematoperator-system", "pra")).Status!.CurrentRun is null,
            "the drill ended (succeeded, or failed and rolled back)", TimeSpan.FromSeconds(180));
        if ((await rbxAdmin.GetAsync(OperatorKinds.PraDrills, "dematoperator-system", "pra")).Status!.History![0].Result == DrillResult.Refused)
        {
            // Refused at preflight under the faults (target unreachable...): that proves nothing about rollback; run it again, calm.
            await rbxAdmin.PatchAsync(OperatorKinds.PraDrills, "dematoperator-system", "pra", PatchType.Merge, """{"metadata":{"annotations":{"ops.demat.gouv.fr/run-now":"chaos-again"}}}""");
            await Eventually.HoldsAsync(async () => (await rbxAdmin.GetAsync(OperatorKinds.PraDrills, "dematoperator-system", "pra")).Status?.History is { Count: > 1 } && (await rbxAdmin.GetAsync(OperatorKinds.PraDrills, "dematoperator-system", "pra")).Status!.CurrentRun is null,
                "the second drill ended", TimeSpan.FromSeconds(120));
        }
        var history = (await rbxAdmin.GetAsync(OperatorKinds.PraDrills, "dematoperator-system", "pra")).Status!.History!;
        history[0].Result.ShouldBeOneOf([DrillResult.Succeeded, DrillResult.Failed, DrillResult.Aborted], "a run went past preflight, so its rollback is what is checked below");
        await Eventually.HoldsAsync(async () => await rbxAdmin.TryGetAsync(Resources.Namespaces, null, "platau-prod") is null, "no drill namespace left", TimeSpan.FromSeconds(120));
        foreach (var (ns, replicas) in new[] { ("preprod", 2), ("perf", 0) })
        {
            var app = await rbxAdmin.GetAsync(Resources.Deployments, ns, "app");
            ((int?)app.Spec!["replicas"]).ShouldBe(replicas, $"{ns} replicas given back");
            app.Metadata.Annotations?.Keys.ShouldNotContain(DrillMarks.QuiescedByAnnotation);
            ((bool?)(await rbxAdmin.GetAsync(CronJobs, ns, "nightly")).Spec!["suspend"]).ShouldBe(false, $"{ns} CronJob resumed");
        }
        foreach (var policy in new[] { "mongo-snapshots", "platau-velero" })
        {
            BackupPolicy? seen = null;
            try
            {
                await Eventually.HoldsAsync(async () => Conditions.IsTrue((seen = await sbgAdmin.GetAsync(OperatorKinds.BackupPolicies, "platau-prod", policy)).Status?.Conditions, "RecoveryPointObjectiveMet"),
                    $"{policy}: RPO met after the faults", TimeSpan.FromSeconds(120));
            }
            catch (Xunit.Sdk.XunitException e)
            {
                var snapshots = _host["sbg"].Cluster.Snapshot("snapshot.storage.k8s.io/volumesnapshots")
                    .Select(v => $"{v.Name}:{v.Parse()["status"]?["readyToUse"]}").TakeLast(5);
                string replicas;
                lock (_gate)
                    replicas = string.Join(" | ", _replicas.Where(r => r.Cluster == "sbg").Select(r => $"{r.Identity} leader={r.Manager.Elector?.IsLeader} " +
                        string.Join(",", r.Manager.Metrics.Scrape().Split('\n').Where(l => l.StartsWith("controller_runtime_reconcile_total{controller=\"backuppolicy\"", StringComparison.Ordinal)).Select(l => l[(l.IndexOf("result", StringComparison.Ordinal))..]))));
                throw new Xunit.Sdk.XunitException($"{e.Message}; replicas {replicas}; last run {seen?.Status?.LastRun?.Name} {seen?.Status?.LastRun?.Phase} {seen?.Status?.LastRun?.Error}; " +
                    $"conditions {string.Join(", ", seen?.Status?.Conditions?.Select(c => $"{c.Type}={c.Status} {c.Reason}") ?? [])}; snapshots {string.Join(" ", snapshots)}");
            }
        }
        await Eventually.HoldsAsync(async () => (await sbgAdmin.GetAsync(OperatorKinds.CertificateRenewals, "platau-prod", "platau")).Status?.Items?.SingleOrDefault(i => i.Name == "platau-tls")?.LastRenewal is not null,
            "the due certificate renewed", TimeSpan.FromSeconds(120));
        var checkpoint = _clock.GetUtcNow();
        await Eventually.HoldsAsync(async () => (await sbgAdmin.GetAsync(OperatorKinds.ServiceLevels, "platau-prod", "platau")).Status?.CheckpointTime > checkpoint,
            "the ServiceLevel measures again", TimeSpan.FromSeconds(120));
        // No backup slot ran twice, by meaning: one run per policy and slot (or run-now request) on both clusters.
        var runObjects = new[] { "sbg", "rbx" }.SelectMany(c =>
            _host[c].Cluster.Snapshot("velero.io/backups").Select(b => RunObject.From(c, "Backup", b))
                .Concat(_host[c].Cluster.Snapshot("snapshot.storage.k8s.io/volumesnapshots").Select(v => RunObject.From(c, "VolumeSnapshot", v)))).ToList();
        runObjects.Count(o => o.Kind == "Backup" && o.Cluster == "sbg").ShouldBeGreaterThan(0, "the Velero policy ran");
        runObjects.Count(o => o.Kind == "VolumeSnapshot").ShouldBeGreaterThan(0, "the CSI policy ran");
        RunAudit.DuplicateRuns(runObjects).ShouldBeEmpty();
        // Nothing on rbx started a backup, a snapshot or a deletion: every run object there came from sbg (sync, restore).
        _host["rbx"].Cluster.Requests.Count(k => k is "create backups.velero.io" or "create volumesnapshots.snapshot.storage.k8s.io" or "create deletebackuprequests.velero.io")
            .ShouldBe(0, "the recovery site made no backup of its own during rehearsals");
        await watchdog.CancelAsync();
        await checker;
        await kubelet;
        CheckInvariants();
        _violations.ShouldBeEmpty();
        lock (_gate)
            _runnableFailures.Where(f => !CausedByInjectedFaults(f.Error)).Select(f => $"{f.Replica}: {f.Error}").ShouldBeEmpty("a controller died of something the soak did not cause");
        kills.ShouldBeGreaterThan(0, "leaders were killed during the soak");
    }
}
