using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Hooks;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Backups;

/// <summary>
/// Application-consistent CSI runs against the emulator: the MongoDB preset freezes a secondary, every PVC of the
/// StatefulSet is captured inside that one freeze, and the thaw runs whatever happened, restarts included.
/// </summary>
public sealed class BackupHookTests : IAsyncLifetime
{
    private static readonly ResourceType<DynamicObject> Classes = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false);
    private const string Ns = "platau-prod";
    private readonly ManualTimeProvider _clock = new(TestClock.Start);
    private readonly MetricsRegistry _metrics = new();
    private SimHost _host = null!;
    private KubeClient _client = null!;
    /// <summary>The operator's own client: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;
    /// <summary>Each command the pods ran, with the run's snapshots that existed and had been cut at that moment.</summary>
    private readonly List<(ExecCall Call, int Snapshots, int Cut)> _log = [];

    private SimCluster Cluster => _host["sbg"].Cluster;

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg");
        _client = OperatorClusters.Admin(_host, "sbg", _clock);
        _operator = OperatorClusters.Operator(_host, "sbg", _metrics, _clock);
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = Ns } });
        await TestObjects.Workload(_client, Resources.StatefulSets, Ns, "mongodb", 3);
        for (var i = 0; i < 3; i++)
            await _client.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
            {
                Metadata = new ObjectMeta { Name = $"data-mongodb-{i}", Namespace = Ns, Labels = new() { ["app"] = "mongodb" } },
                Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}}}""")!.AsObject(),
            });
        await _client.CreateAsync(Classes, new DynamicObject { Metadata = new ObjectMeta { Name = "csi-ceph-rbd" }, Fields = JsonNode.Parse("""{"driver":"rbd.csi.ceph.com","deletionPolicy":"Delete"}""")!.AsObject() });
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "openshift-adp" } });
        await _client.CreateAsync(Resources.Dynamic("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", true), new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "default", Namespace = "openshift-adp" }, Fields = JsonNode.Parse("""{"spec":{"provider":"aws","objectStorage":{"bucket":"pra"}}}""")!.AsObject(),
        });
        // The emulated pods start on the shared clock.
        await TestObjects.AdvanceUntil(_clock, async () => (await _client.ListAsync(ForeignKinds.Pods, Ns)).Items.Count(p => p.IsRunningAndReady) == 3, "mongodb pods ready", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>mongosh answers like MongoDB 6; a pod named in <paramref name="primary"/> is the primary and refuses the lock.</summary>
    private void Mongo(string primary = "mongodb-0", Func<ExecCall, ExecAnswer?>? overrideAnswer = null) => Cluster.Exec.Answer(c => c.Namespace == Ns, call =>
    {
        var snapshots = Cluster.Snapshot("snapshot.storage.k8s.io/volumesnapshots").Select(s => s.Parse()).ToList();
        lock (_log) _log.Add((call, snapshots.Count, snapshots.Count(s => s["status"]?["creationTime"] is not null)));
        if (overrideAnswer?.Invoke(call) is { } answer) return answer;
        var script = call.Command[^1];
        if (script.Contains("fsyncLock()")) return call.Pod == primary ? new ExecAnswer(3, "refusing to lock the primary\n") : ExecAnswer.Ok("{ info: 'now locked against writes', lockCount: 1, ok: 1 }\n");
        return script.Contains("fsyncUnlock()") ? ExecAnswer.Ok("{ info: 'fsyncUnlock completed', lockCount: 0, ok: 1 }\n") : new ExecAnswer(127, "", "unknown command");
    });

    private Task Create(string name, List<BackupHook>? hooks, string schedule = "30 * * * *", string method = "CSISnapshot") => _client.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy
    {
        Metadata = new ObjectMeta { Name = name, Namespace = Ns },
        Spec = new BackupPolicySpec
        {
            Schedule = schedule, Rpo = "4h", Method = method, CsiSnapshot = method == "CSISnapshot" ? new CsiSnapshotOptions { VolumeSnapshotClassName = "csi-ceph-rbd" } : null,
            Target = new BackupTarget { Namespaces = [Ns] }, Hooks = hooks,
        },
    });

    private static List<BackupHook> MongoHook(string onError = "Fail") =>
        [new BackupHook { Name = "mongodb", Workload = new WorkloadRef { Kind = "StatefulSet", Name = "mongodb" }, Preset = HookPresets.MongoDb6, OnError = onError }];

    private RunningOperator StartOperator()
    {
        var informer = new Informer<BackupPolicy>(_operator, OperatorKinds.BackupPolicies);
        var controller = BackupPolicyController.Create(_operator, informer, new EventRecorder(_operator, "dematoperator"), _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        return new RunningOperator(Task.WhenAll(informer.RunAsync(stop.Token), controller.RunAsync(stop.Token)), stop);
    }

    private Task<BackupPolicy> Policy(string name) => _client.GetAsync(OperatorKinds.BackupPolicies, Ns, name);
    private Task AdvanceUntil(Func<Task<bool>> condition, string what) => TestObjects.AdvanceUntil(_clock, condition, what, TimeSpan.FromSeconds(30), TimeSpan.FromHours(2));
    private List<(ExecCall Call, int Snapshots, int Cut)> Log() { lock (_log) return [.. _log]; }
    private static bool Locks(ExecCall c) => c.Command[^1].Contains("fsyncLock()");
    private static bool Unlocks(ExecCall c) => c.Command[^1].Contains("fsyncUnlock()");

    [Fact]
    public async Task The_MongoDB_preset_freezes_a_secondary_captures_every_volume_inside_the_freeze_and_thaws_it()
    {
        Mongo();
        await Create("mongo", MongoHook());
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await Policy("mongo")).Status?.LastRun?.Phase == "Succeeded", "an application-consistent run");

        var log = Log();
        log.Select(l => Locks(l.Call) ? "lock" : Unlocks(l.Call) ? "unlock" : "other").ShouldBe(["lock", "unlock"], "one freeze, one thaw, in that order");
        log.ShouldAllBe(l => l.Call.Pod == "mongodb-2", "a secondary (the last pod), never the primary; thawed on the pod that was frozen");
        log[0].Snapshots.ShouldBe(0, "nothing captured before the freeze");
        log[1].Cut.ShouldBe(3, "every PVC of the StatefulSet was cut inside the one freeze");
        var snapshots = (await _client.ListAsync(ForeignKinds.VolumeSnapshots, Ns)).Items;
        snapshots.Count.ShouldBe(3);
        snapshots.ShouldAllBe(s => s.Metadata.Annotations![RunLabels.ConsistencyAnnotation] == "Application");
        var policy = await Policy("mongo");
        policy.Status!.LastRun!.Consistency.ShouldBe("Application");
        policy.Status.RecoveryPointConsistency.ShouldBe("Application");
        policy.Status.ActiveHooks.ShouldBeNull();
        // The monthly report says how many of the month's recovery points are application-consistent.
        var now = NodaTime.Instant.FromDateTimeOffset(_clock.GetUtcNow());
        var paris = NodaTime.DateTimeZoneProviders.Tzdb["Europe/Paris"];
        var report = DematOperator.Reports.MonthlyServiceReport.Build([await DematOperator.Reports.ReportSnapshot.GatherAsync(_client, "sbg", default)],
            new NodaTime.YearMonth(now.InZone(paris).Year, now.InZone(paris).Month), paris, now);
        var row = report.Backups.Single(b => b.Policy == "mongo");
        row.Succeeded.ShouldBe(1);
        row.ApplicationConsistent.ShouldBe(1);
    }

    [Fact]
    public async Task A_capture_that_fails_is_still_thawed_and_the_run_fails()
    {
        Mongo();
        _host["sbg"].Controllers.Snapshots.FailWith = s => s.Name.EndsWith("data-mongodb-1") ? "rbd: image busy" : null;
        await Create("mongo", MongoHook());
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await Policy("mongo")).Status is { LastRun.Phase: "Failed", ActiveHooks: null }, "the failed capture ended");
        Log().Select(l => Locks(l.Call) ? "lock" : "unlock").ShouldBe(["lock", "unlock"], "the thaw ran after the failed capture");
        (await Policy("mongo")).Status!.LastRun!.Error!.ShouldContain("rbd: image busy");
    }

    [Fact]
    public async Task A_pre_hook_that_fails_captures_nothing_thaws_anyway_and_says_why()
    {
        // The preset refuses to lock a primary; here the last pod is the primary.
        Mongo(primary: "mongodb-2");
        await Create("mongo", MongoHook());
        await using var op = StartOperator();
        // The end of the hooks and the policy's status are two writes: wait for both.
        await AdvanceUntil(async () => (await Policy("mongo")).Status is { LastHookFailure: not null, ActiveHooks: null, LastRun.Phase: "Failed" }, "the run ended on its pre-hook");
        Log().Select(l => Locks(l.Call) ? "lock" : "unlock").ShouldBe(["lock", "unlock"], "a failed pre-hook may have frozen something: its post-hook runs");
        (await _client.ListAsync(ForeignKinds.VolumeSnapshots, Ns)).Items.ShouldBeEmpty("onError Fail: nothing captured");
        var policy = await Policy("mongo");
        policy.Status!.LastRun!.Phase.ShouldBe("Failed");
        policy.Status.LastRun.Error!.ShouldContain("pre-hook mongodb failed");
        policy.Status.LastRun.Error.ShouldContain("refusing to lock the primary");
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Select(e => e.Reason).ToHashSet() is var reasons
                                                && reasons.Contains("PreHookFailed") && reasons.Contains("RunFailed"), "PreHookFailed and RunFailed Events");
        _metrics.Scrape().ShouldContain("demat_backup_runs_total{namespace=\"platau-prod\",policy=\"mongo\",result=\"failed\"} 1");
    }

    [Fact]
    public async Task With_onError_Continue_a_failed_pre_hook_gives_a_crash_consistent_capture_that_says_so()
    {
        Mongo(primary: "mongodb-2");
        await Create("mongo", MongoHook(onError: "Continue"));
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await Policy("mongo")).Status?.LastRun?.Phase == "Succeeded", "a run");
        var policy = await Policy("mongo");
        policy.Status!.LastRun!.Consistency.ShouldBe("Crash");
        policy.Status.RecoveryPointConsistency.ShouldBe("Crash");
        (await _client.ListAsync(ForeignKinds.VolumeSnapshots, Ns)).Items.ShouldAllBe(s => s.Metadata.Annotations![RunLabels.ConsistencyAnnotation] == "Crash");
    }

    [Fact]
    public async Task An_operator_that_stopped_during_a_pre_hook_thaws_on_restart_and_never_freezes_twice()
    {
        Mongo();
        await Create("mongo", MongoHook(), schedule: "0 0 1 1 *");
        // What the status holds when the operator stopped while the lock command was running on mongodb-2.
        await ObjectWriter.UpdateStatusAsync(_client, OperatorKinds.BackupPolicies, await Policy("mongo"), p => (p.Status ??= new BackupPolicyStatus()).ActiveHooks = new HookRun
        {
            Run = "mongo-202605120100", Slot = _clock.GetUtcNow(), Phase = HookPhase.Quiescing, StartTime = _clock.GetUtcNow(),
            Hooks = [new HookStep { Name = "mongodb", Pod = "mongodb-2", Pre = HookState.Running, Post = HookState.Pending }],
        }, CancellationToken.None);
        await using var op = StartOperator();
        await Eventually.HoldsAsync(async () => (await Policy("mongo")).Status is { ActiveHooks: null, LastHookFailure: not null }, "the interrupted run ended");
        Log().Select(l => Locks(l.Call) ? "lock" : "unlock").ShouldBe(["unlock"], "thawed once, never locked again");
        Log()[0].Call.Pod.ShouldBe("mongodb-2");
        (await Policy("mongo")).Status!.LastHookFailure!.Error!.ShouldContain("interrupted");
        (await _client.ListAsync(ForeignKinds.VolumeSnapshots, Ns)).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task With_Velero_the_hooks_are_Velero_s_own_in_the_chosen_pod_and_the_run_says_Application()
    {
        Mongo();
        await Create("velero", MongoHook(), method: "Velero");
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await Policy("velero")).Status?.LastRun?.Phase == "Succeeded", "a Velero run");
        Log().Select(l => (Locks(l.Call) ? "lock" : "unlock", l.Call.Pod)).ShouldBe([("lock", "mongodb-2"), ("unlock", "mongodb-2")], "Velero ran the freeze and the thaw in the secondary");
        var backup = (await _client.ListAsync(ForeignKinds.VeleroBackups, "openshift-adp")).Items.Single();
        var hook = backup.Spec!.Hooks!.Resources!.Single();
        hook.LabelSelector!.MatchLabels!["statefulset.kubernetes.io/pod-name"].ShouldBe("mongodb-2");
        hook.Pre!.Single().Exec!.OnError.ShouldBe("Fail");
        backup.Status!.HookStatus!.HooksAttempted.ShouldBe(2);
        (await Policy("velero")).Status!.RecoveryPointConsistency.ShouldBe("Application");
    }

    [Fact]
    public async Task When_Velero_skips_the_thaw_after_a_failed_pre_hook_the_operator_runs_it()
    {
        Mongo(primary: "mongodb-2");
        await Create("velero", MongoHook(), method: "Velero");
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await _client.ListAsync(ForeignKinds.VeleroBackups, "openshift-adp")).Items.SingleOrDefault()?.Metadata.Annotations?.ContainsKey(RunLabels.ThawedAnnotation) == true,
            "the thaw Velero skipped was run");
        Log().Select(l => Locks(l.Call) ? "lock" : "unlock").ShouldBe(["lock", "unlock"], "Velero skipped the pod's post-hook; the operator thawed it, once");
        var backup = (await _client.ListAsync(ForeignKinds.VeleroBackups, "openshift-adp")).Items.Single();
        backup.Status!.Phase.ShouldBe("PartiallyFailed");
        backup.Metadata.Annotations![RunLabels.ThawedAnnotation].ShouldContain("mongodb on mongodb-2: thawed");
        await Eventually.HoldsAsync(async () => (await Policy("velero")).Status?.LastRun?.Phase == "Failed", "the run reported failed");
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Any(e => e.Reason == "ThawedAfterVelero"), "the ThawedAfterVelero Event");
        // Looked at again, the thaw is not repeated: a reconcile that provably ran after the thaw (an annotation wakes the
        // policy; the reconcile counter moves past it) ran no command.
        var before = Reconciled.Count(_metrics, BackupPolicyController.Name);
        await _client.PatchAsync(OperatorKinds.BackupPolicies, Ns, "velero", PatchType.Merge, """{"metadata":{"annotations":{"look-again":"1"}}}""");
        await Eventually.HoldsAsync(() => Reconciled.Count(_metrics, BackupPolicyController.Name) > before, "the policy reconciled again");
        Log().Count.ShouldBe(2);
    }

    [Fact]
    public async Task The_Elasticsearch_preset_snapshots_through_its_API_instead_of_its_volumes()
    {
        await TestObjects.Workload(_client, Resources.StatefulSets, Ns, "search", 1);
        await _client.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "data-search-0", Namespace = Ns },
            Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}}}""")!.AsObject(),
        });
        await TestObjects.AdvanceUntil(_clock, async () => (await _client.ListAsync(ForeignKinds.Pods, Ns)).Items.Any(p => p.Name == "search-0" && p.IsRunningAndReady), "search-0 ready", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        Cluster.Exec.Answer(c => c.Pod == "search-0", call =>
        {
            lock (_log) _log.Add((call, 0, 0));
            return ExecAnswer.Ok("""{"snapshot":{"state":"SUCCESS"}}""");
        });
        await Create("search", [new BackupHook { Name = "search", Workload = new WorkloadRef { Kind = "StatefulSet", Name = "search" }, Preset = HookPresets.Elasticsearch7, Repository = "ovh-s3" }]);
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await Policy("search")).Status?.LastRun?.Phase == "Succeeded", "a run");
        var run = (await Policy("search")).Status!.LastRun!.Name!;
        var call = Log().Single().Call;
        call.Command.ShouldBe(["curl", "-sf", "-XPUT", $"http://localhost:9200/_snapshot/ovh-s3/{run}?wait_for_completion=true"]);
        var claims = (await _client.ListAsync(ForeignKinds.VolumeSnapshots, Ns)).Items.Select(v => v.Spec!.Source!.PersistentVolumeClaimName).Order().ToList();
        claims.ShouldBe(["data-mongodb-0", "data-mongodb-1", "data-mongodb-2"], "Elasticsearch's own volume is captured by its snapshot API, not by a volume snapshot");
        (await Policy("search")).Status!.RecoveryPointConsistency.ShouldBe("Application");
    }

    [Fact]
    public void The_Elasticsearch_preset_needs_its_repository_and_a_CSI_policy()
    {
        var spec = new BackupPolicySpec
        {
            Schedule = "@hourly", Method = "Velero", Target = new BackupTarget { Namespaces = [Ns] },
            Hooks = [new BackupHook { Name = "search", Workload = new WorkloadRef { Kind = "StatefulSet", Name = "search" }, Preset = HookPresets.Elasticsearch7 }],
        };
        var problems = BackupPolicyChecks.Check(spec, NodaTime.Instant.FromUtc(2026, 5, 1, 0, 0)).Where(p => !p.Warning).Select(p => p.Reason).ToList();
        problems.ShouldContain("MissingRepository");
        problems.ShouldContain("HooksUnsupported");
    }

    [Theory]
    // preset, the command its docs give (written here, not read from the preset), whether the database answers it
    [InlineData(HookPresets.PostgreSql, "psql -U postgres -v ON_ERROR_STOP=1 -c CHECKPOINT", true)]
    [InlineData(HookPresets.PostgreSql, "psql -U postgres -v ON_ERROR_STOP=1 -c CHECKPOINT", false)]
    [InlineData(HookPresets.RabbitMq, "rabbitmqctl export_definitions /var/lib/rabbitmq/mnesia/definitions.json", true)]
    [InlineData(HookPresets.RabbitMq, "rabbitmqctl export_definitions /var/lib/rabbitmq/mnesia/definitions.json", false)]
    public async Task The_PostgreSQL_and_RabbitMQ_presets_run_their_command_once_before_the_capture_and_a_failure_captures_nothing(string preset, string command, bool answers)
    {
        var calls = new List<(string Command, string Pod, int SnapshotsBefore)>();
        Cluster.Exec.Answer(c => c.Namespace == Ns, call =>
        {
            lock (calls) calls.Add((string.Join(' ', call.Command), call.Pod, Cluster.Snapshot("snapshot.storage.k8s.io/volumesnapshots").Count));
            return answers ? ExecAnswer.Ok("ok\n") : new ExecAnswer(2, "", "could not connect to server");
        });
        await Create("db", [new BackupHook { Name = "db", Workload = new WorkloadRef { Kind = "StatefulSet", Name = "mongodb" }, Preset = preset }]);
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await Policy("db")).Status is { ActiveHooks: null, LastRun.Phase: "Succeeded" or "Failed" }, "the run ended");
        List<(string Command, string Pod, int SnapshotsBefore)> seen;
        lock (calls) seen = [.. calls];
        seen.Select(c => c.Command).ShouldBe([command], "one command, no thaw: neither preset freezes anything");
        seen[0].SnapshotsBefore.ShouldBe(0, "run before the capture");
        var run = (await Policy("db")).Status!.LastRun!;
        if (answers)
        {
            run.Phase.ShouldBe("Succeeded");
            run.Consistency.ShouldBe("Application");
            (await _client.ListAsync(ForeignKinds.VolumeSnapshots, Ns)).Items.Count.ShouldBe(3);
        }
        else
        {
            run.Phase.ShouldBe("Failed");
            run.Error!.ShouldContain("could not connect to server");
            (await _client.ListAsync(ForeignKinds.VolumeSnapshots, Ns)).Items.ShouldBeEmpty("onError Fail: nothing captured");
        }
    }

    [Fact]
    public async Task Without_hooks_a_recovery_point_is_crash_consistent()
    {
        await Create("plain", null);
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await Policy("plain")).Status?.LastRun?.Phase == "Succeeded", "a run");
        (await Policy("plain")).Status!.RecoveryPointConsistency.ShouldBe("Crash");
        Log().ShouldBeEmpty();
    }
}
