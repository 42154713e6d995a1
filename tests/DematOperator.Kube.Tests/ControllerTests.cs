using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.LeaderElection;
using DematOperator.Kube.Manager;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.TestSupport;

namespace DematOperator.Kube.Tests;

/// <summary>Controllers: no writes when nothing changed, isolation of failures, no key in two workers, leader-only reconciles.</summary>
public sealed class ControllerTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static readonly ResourceType<DynamicObject> Policies = Resources.Dynamic("ops.demat.gouv.fr", "v1alpha1", "backuppolicies", "BackupPolicy", true);

    private sealed class Reconciler(Func<ReconcileRequest, CancellationToken, Task<ReconcileResult>> body) : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct) => body(request, ct);
    }

    private async Task<string> Namespace(KubeClient c)
    {
        var ns = "c-" + Guid.NewGuid().ToString("N")[..8];
        await c.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        return ns;
    }

    private static DynamicObject Policy(string ns, string name) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Fields = JsonNode.Parse("""{"spec":{"schedule":"0 * * * *","method":"Velero","target":{"namespaces":["a"]}}}""")!.AsObject(),
    };

    [Fact]
    public async Task A_status_reconcile_that_changes_nothing_makes_no_write()
    {
        using var client = SimClients.For(sim.Host, "sim");
        var ns = await Namespace(client);
        await client.CreateAsync(Policies, Policy(ns, "steady"));
        var informer = new Informer<DynamicObject>(client, Policies, new InformerOptions { Namespace = ns });
        var clock = new DematOperator.KubeSim.Hosting.ManualTimeProvider(TestClock.Start);
        var reconciles = 0;
        var controller = new Controller("steady", new Reconciler(async (req, ct) =>
        {
            // Counted when the reconcile ends: a write it made is then already in the emulator's request log.
            using var counted = new Finally(() => Interlocked.Increment(ref reconciles));
            var current = informer.Get(req.Namespace, req.Name);
            if (current is null) return ReconcileResult.Done;
            await ObjectWriter.UpdateStatusAsync(client, Policies, current, p =>
            {
                var conditions = (p.Status?["conditions"]?.Deserialize(KubeJsonContext.Default.ListCondition)) ?? [];
                Conditions.Set(conditions, Conditions.Make("Ready", true, "Reconciled", "all good", p.Metadata.Generation), clock.GetUtcNow());
                p.Fields!["status"] = new JsonObject
                {
                    ["observedGeneration"] = p.Metadata.Generation,
                    ["conditions"] = System.Text.Json.JsonSerializer.SerializeToNode(conditions, KubeJsonContext.Default.ListCondition),
                };
            }, ct);
            return ReconcileResult.Done;
        })).For(informer);
        using var stop = new CancellationTokenSource();
        var runs = new[] { Task.Run(() => informer.RunAsync(stop.Token)), Task.Run(() => controller.RunAsync(stop.Token)) };
        await Eventually.HoldsAsync(async () => (await client.GetAsync(Policies, ns, "steady")).Status?["observedGeneration"] is not null, "first status write");
        // The status write comes back as an event: its reconcile (a no-op) is the second one.
        await Eventually.HoldsAsync(() => informer.Get(ns, "steady")?.Status?["observedGeneration"] is not null && controller.Queue.Length == 0 && reconciles >= 2, "status event reconciled");
        sim.Cluster.Requests.Reset();
        var before = reconciles;
        for (var i = 0; i < 5; i++) controller.Queue.Add(new ReconcileRequest(ns, "steady"));
        await Eventually.HoldsAsync(() => reconciles > before && controller.Queue.Length == 0, "requeued reconcile ran");
        sim.Cluster.Requests.Writes.ShouldBe(0);
        stop.Cancel();
        await Task.WhenAll(runs);
    }

    [Fact]
    public async Task A_failing_object_is_retried_with_backoff_and_never_blocks_the_others()
    {
        using var client = SimClients.For(sim.Host, "sim");
        var ns = await Namespace(client);
        foreach (var n in new[] { "good-1", "bad", "good-2" }) await client.CreateAsync(Policies, Policy(ns, n));
        var informer = new Informer<DynamicObject>(client, Policies, new InformerOptions { Namespace = ns });
        var done = new ConcurrentDictionary<string, int>();
        var inFlight = new ConcurrentDictionary<string, int>();
        var overlap = false;
        var metrics = new MetricsRegistry();
        var controller = new Controller("isolation", new Reconciler(async (req, ct) =>
        {
            if (inFlight.AddOrUpdate(req.Name, 1, (_, v) => v + 1) > 1) overlap = true;
            try
            {
                await Task.Delay(20, ct);
                done.AddOrUpdate(req.Name, 1, (_, v) => v + 1);
                if (req.Name == "bad") throw new InvalidOperationException("boom");
                return ReconcileResult.Done;
            }
            finally { inFlight.AddOrUpdate(req.Name, 0, (_, v) => v - 1); }
        }), new ControllerOptions { MaxConcurrentReconciles = 4 }, metrics).For(informer);
        using var stop = new CancellationTokenSource();
        var runs = new[] { Task.Run(() => informer.RunAsync(stop.Token)), Task.Run(() => controller.RunAsync(stop.Token)) };
        for (var i = 0; i < 20; i++) controller.Queue.Add(new ReconcileRequest(ns, "bad"));
        await Eventually.HoldsAsync(() => done.GetValueOrDefault("good-1") >= 1 && done.GetValueOrDefault("good-2") >= 1 && done.GetValueOrDefault("bad") >= 4, "good ones done, bad one retried");
        overlap.ShouldBeFalse();
        controller.Queue.NumRequeues(new ReconcileRequest(ns, "bad")).ShouldBeGreaterThanOrEqualTo(3);
        var text = metrics.Scrape();
        text.ShouldContain("controller_runtime_reconcile_total{controller=\"isolation\",result=\"error\"}");
        text.ShouldContain("controller_runtime_reconcile_total{controller=\"isolation\",result=\"success\"} 2");
        text.ShouldContain("controller_runtime_reconcile_panics_total{controller=\"isolation\"}");
        (await Promtool.CheckMetricsAsync(text)).ShouldBe("");
        stop.Cancel();
        await Task.WhenAll(runs);
    }

    private sealed class RecordingReporter(ConcurrentDictionary<string, int> attempts) : IReconcileFailureReporter
    {
        public readonly ConcurrentQueue<string> Calls = new();
        public Task FailedAsync(ReconcileRequest request, Exception error, int attempt, CancellationToken ct)
        {
            // How many attempts had run when the failure was reported: the report comes before the retry.
            Calls.Enqueue($"failed {request.Name} {attempt} after {attempts[request.Name]} attempt(s): {error.Message}");
            return Task.CompletedTask;
        }
        public Task RecoveredAsync(ReconcileRequest request, CancellationToken ct)
        {
            Calls.Enqueue($"recovered {request.Name} after {attempts[request.Name]} attempt(s)");
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Each_failed_attempt_is_reported_before_its_retry_conflicts_are_not_and_the_first_success_after_is()
    {
        var attempts = new ConcurrentDictionary<string, int>();
        var reporter = new RecordingReporter(attempts);
        var controller = new Controller("reported", new Reconciler((req, _) =>
        {
            var n = attempts.AddOrUpdate(req.Name, 1, (_, v) => v + 1);
            return req.Name switch
            {
                "refused" when n <= 2 => throw new KubeApiException(new ApiStatus(403, ApiStatus.ReasonForbidden, "configmaps is forbidden")),
                "raced" when n == 1 => throw new KubeApiException(ApiStatus.Conflict("configmaps", "", "raced")),
                _ => Task.FromResult(ReconcileResult.Done),
            };
        }), new ControllerOptions { FailureReporter = reporter });
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => controller.RunAsync(stop.Token));
        foreach (var name in new[] { "refused", "raced", "fine" }) controller.Queue.Add(new ReconcileRequest("ns", name));
        await Eventually.HoldsAsync(() => reporter.Calls.Count == 3 && attempts.GetValueOrDefault("raced") == 2 && attempts.GetValueOrDefault("fine") == 1, "retried until it succeeds");
        reporter.Calls.ShouldBe([
            "failed refused 1 after 1 attempt(s): 403 Forbidden: configmaps is forbidden",
            "failed refused 2 after 2 attempt(s): 403 Forbidden: configmaps is forbidden",
            "recovered refused after 3 attempt(s)"]);
        stop.Cancel();
        await run;
    }

    [Fact]
    public async Task Requeue_after_brings_the_object_back_and_terminal_errors_are_not_retried()
    {
        using var client = SimClients.For(sim.Host, "sim");
        var ns = await Namespace(client);
        await client.CreateAsync(Policies, Policy(ns, "later"));
        await client.CreateAsync(Policies, Policy(ns, "hopeless"));
        var informer = new Informer<DynamicObject>(client, Policies, new InformerOptions { Namespace = ns });
        var counts = new ConcurrentDictionary<string, int>();
        var controller = new Controller("requeue", new Reconciler((req, _) =>
        {
            var n = counts.AddOrUpdate(req.Name, 1, (_, v) => v + 1);
            if (req.Name == "hopeless") throw new TerminalReconcileException("spec can never work");
            return Task.FromResult(n < 3 ? ReconcileResult.After(TimeSpan.FromMilliseconds(100)) : ReconcileResult.Done);
        })).For(informer);
        using var stop = new CancellationTokenSource();
        var runs = new[] { Task.Run(() => informer.RunAsync(stop.Token)), Task.Run(() => controller.RunAsync(stop.Token)) };
        await Eventually.HoldsAsync(() => counts.GetValueOrDefault("later") == 3 && counts.GetValueOrDefault("hopeless") == 1, "requeued twice; the terminal one tried");
        // Nothing is queued or waiting any more: neither object can be reconciled again.
        await Eventually.HoldsAsync(() => controller.Queue.Length == 0 && controller.Queue.Waiting == 0, "queue drained");
        controller.Queue.NumRequeues(new ReconcileRequest(ns, "hopeless")).ShouldBe(0, "a terminal error is forgotten, not retried");
        counts["hopeless"].ShouldBe(1);
        counts["later"].ShouldBe(3);
        stop.Cancel();
        await Task.WhenAll(runs);
    }

    [Fact]
    public async Task A_leader_whose_controller_dies_gives_up_the_lease_and_fails_instead_of_idling()
    {
        using var client = SimClients.For(sim.Host, "sim");
        var ns = await Namespace(client);
        var manager = new OperatorManager(client, new MetricsRegistry(), new ManagerOptions
        {
            LeaderElection = new LeaderElectionOptions
            {
                LeaseName = "dies-" + ns, LeaseNamespace = ns, Identity = "doomed",
                LeaseDuration = TimeSpan.FromSeconds(3), RenewDeadline = TimeSpan.FromSeconds(2), RetryPeriod = TimeSpan.FromMilliseconds(300),
            },
        });
        // A kind that does not exist: its cache never syncs, so the controller gives up after its sync timeout.
        var missing = manager.AddInformer(new Informer<DynamicObject>(client, Resources.Dynamic("nowhere.example", "v1", "ghosts", "Ghost", true), new InformerOptions { Namespace = ns }));
        manager.AddController(new Controller("ghosts", new Reconciler((_, _) => Task.FromResult(ReconcileResult.Done)),
            new ControllerOptions { CacheSyncTimeout = TimeSpan.FromSeconds(1) }).For(missing));
        var failed = await Should.ThrowAsync<ManagerRunnableFailedException>(() => manager.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        failed.Message.ShouldContain("caches did not sync");
        var lease = await client.GetAsync(Resources.Leases, ns, "dies-" + ns);
        (lease.Spec.HolderIdentity ?? "").ShouldBeEmpty("the lease is released for a healthy replica");
    }

    [Fact]
    public async Task Only_the_leader_reconciles_and_its_successor_takes_over()
    {
        using var setup = SimClients.For(sim.Host, "sim");
        var ns = await Namespace(setup);
        await setup.CreateAsync(Policies, Policy(ns, "p"));
        var reconciledBy = new ConcurrentDictionary<string, int>();
        (OperatorManager Manager, CancellationTokenSource Stop, Task Run) StartReplica(string id)
        {
            var client = SimClients.For(sim.Host, "sim");
            var manager = new OperatorManager(client, new MetricsRegistry(), new ManagerOptions
            {
                LeaderElection = new LeaderElectionOptions
                {
                    LeaseName = "replicas-" + ns, LeaseNamespace = ns, Identity = id, ReleaseOnCancel = false,
                    LeaseDuration = TimeSpan.FromSeconds(3), RenewDeadline = TimeSpan.FromSeconds(2), RetryPeriod = TimeSpan.FromMilliseconds(300),
                },
            });
            var informer = manager.AddInformer(new Informer<DynamicObject>(client, Policies, new InformerOptions { Namespace = ns }));
            var controller = new Controller("leader-only", new Reconciler((req, _) =>
            {
                reconciledBy.AddOrUpdate(id, 1, (_, v) => v + 1);
                return Task.FromResult(ReconcileResult.After(TimeSpan.FromMilliseconds(100)));
            })).For(informer);
            manager.AddController(controller);
            var stop = new CancellationTokenSource();
            return (manager, stop, Task.Run(async () =>
            {
                try { await manager.RunAsync(stop.Token); } catch (LeaderElectionLostException) { }
            }));
        }
        var one = StartReplica("one");
        var two = StartReplica("two");
        // The leader requeues every 100 ms: ten of its reconciles while both replicas run, none by the other.
        await Eventually.HoldsAsync(() => reconciledBy.Values.Sum() >= 10, "the leader reconciles again and again");
        reconciledBy.Count.ShouldBe(1, "only one replica reconciled");
        var (leader, follower, followerId) = reconciledBy.ContainsKey("one") ? (one, two, "two") : (two, one, "one");
        leader.Stop.Cancel();
        await leader.Run;
        await Eventually.HoldsAsync(() => reconciledBy.ContainsKey(followerId), "the follower takes over", TimeSpan.FromSeconds(10));
        follower.Stop.Cancel();
        await follower.Run;
    }

    private sealed class Finally(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
