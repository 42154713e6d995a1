using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.ThirdParty;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Backups;

/// <summary>BackupPolicy against the emulator, with one manual clock for the emulator and the operator.</summary>
public sealed class BackupPolicyControllerTests : IAsyncLifetime
{
    private static readonly ResourceType<DynamicObject> Snapshots = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true);
    private static readonly ResourceType<DynamicObject> Classes = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false);
    private static readonly ResourceType<DynamicObject> VeleroBackups = Resources.Dynamic("velero.io", "v1", "backups", "Backup", true);
    private static readonly ResourceType<DynamicObject> Locations = Resources.Dynamic("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", true);
    private static readonly ResourceType<DynamicObject> DeleteRequests = Resources.Dynamic("velero.io", "v1", "deletebackuprequests", "DeleteBackupRequest", true);

    private readonly ManualTimeProvider _clock = new(TestClock.Start);

    private SimHost _host = null!;
    private KubeClient _client = null!;
    /// <summary>The operator's own client: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;
    private readonly MetricsRegistry _metrics = new();

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg");
        _client = OperatorClusters.Admin(_host, "sbg", _clock);
        _operator = OperatorClusters.Operator(_host, "sbg", _metrics, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        foreach (var ns in new[] { "platau-prod", "openshift-adp" })
            await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        foreach (var pvc in new[] { "mongo-0", "mongo-1" })
            await _client.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
            {
                Metadata = new ObjectMeta { Name = pvc, Namespace = "platau-prod", Labels = new() { ["app"] = "mongo" } },
                Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}}}""")!.AsObject(),
            });
        await _client.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "cache", Namespace = "platau-prod", Labels = new() { ["app"] = "redis" } },
            Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""")!.AsObject(),
        });
        await _client.CreateAsync(Classes, new DynamicObject { Metadata = new ObjectMeta { Name = "csi-ceph-rbd" }, Fields = JsonNode.Parse("""{"driver":"rbd.csi.ceph.com","deletionPolicy":"Delete"}""")!.AsObject() });
        await _client.CreateAsync(Locations, new DynamicObject { Metadata = new ObjectMeta { Name = "default", Namespace = "openshift-adp" }, Fields = JsonNode.Parse("""{"spec":{"provider":"aws","objectStorage":{"bucket":"pra"}}}""")!.AsObject() });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
    }

    private RunningOperator StartOperator()
    {
        var informer = new Informer<BackupPolicy>(_operator, OperatorKinds.BackupPolicies);
        var controller = BackupPolicyController.Create(_operator, informer, new EventRecorder(_operator, "dematoperator"), _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        return new RunningOperator(Task.WhenAll(informer.RunAsync(stop.Token), controller.RunAsync(stop.Token)), stop);
    }

    private Task<BackupPolicy> Policy(string name) => _client.GetAsync(OperatorKinds.BackupPolicies, "platau-prod", name);

    private async Task Create(string name, string method, string schedule = "30 * * * *", Action<BackupPolicySpec>? tweak = null)
    {
        var spec = new BackupPolicySpec
        {
            Schedule = schedule, TimeZone = "Europe/Paris", Rpo = "4h", Method = method,
            Target = new BackupTarget { Namespaces = ["platau-prod"], Selector = new LabelSelectorSpec { MatchLabels = new() { ["app"] = "mongo" } } },
            CsiSnapshot = method == "CSISnapshot" ? new CsiSnapshotOptions { VolumeSnapshotClassName = "csi-ceph-rbd" } : null,
        };
        tweak?.Invoke(spec);
        await _client.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy { Metadata = new ObjectMeta { Name = name, Namespace = "platau-prod" }, Spec = spec });
    }

    /// <summary>Moves the shared clock forward in steps until the condition holds (timers and simulated controllers fire on the way).</summary>
    private Task AdvanceUntil(Func<Task<bool>> condition, string what, TimeSpan step, TimeSpan max) => TestObjects.AdvanceUntil(_clock, condition, what, step, max);

    private static Condition? Cond(BackupPolicy p, string type) => Conditions.Find(p.Status?.Conditions, type);

    private long Reconciles() => Reconciled.Count(_metrics);

    /// <summary>Wakes the controller with an annotation (its predicate passes annotation changes) and waits for that reconcile to end.</summary>
    private async Task PokeAndWaitAsync(string policy)
    {
        var before = Reconciles();
        await _client.PatchAsync(OperatorKinds.BackupPolicies, "platau-prod", policy, PatchType.Merge,
            new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["test.demat/poke"] = before.ToString(System.Globalization.CultureInfo.InvariantCulture) } } }.ToJsonString());
        await Eventually.HoldsAsync(() => Reconciles() > before, $"{policy} reconciled after the poke");
    }

    [Fact]
    public async Task Csi_policy_snapshots_selected_pvcs_on_schedule_and_flags_the_rpo_at_the_exact_instant()
    {
        await Create("mongo", "CSISnapshot");
        await using var op = StartOperator();
        await Eventually.HoldsAsync(async () => (await Policy("mongo")).Status?.NextScheduleTime is not null, "next run computed");
        var p = await Policy("mongo");
        Cond(p, "Ready")!.Status.ShouldBe("True");
        Cond(p, "RecoveryPointObjectiveMet")!.Reason.ShouldBe("NoRecoveryPoint");
        Cond(p, "ScheduleMeetsObjective")!.Status.ShouldBe("True");
        p.Status!.NextScheduleTime!.Value.Minute.ShouldBe(30);

        await AdvanceUntil(async () => Cond(await Policy("mongo"), "RecoveryPointObjectiveMet")?.Status == "True", "first run succeeds", TimeSpan.FromSeconds(30), TimeSpan.FromHours(2));
        var snaps = (await _client.ListAsync(Snapshots, "platau-prod")).Items;
        snaps.Select(s => (string?)s.Spec!["source"]!["persistentVolumeClaimName"]).Order().ShouldBe(["mongo-0", "mongo-1"]);
        snaps.ShouldAllBe(s => s.Metadata.Labels![RunLabels.Policy] == "mongo");
        p = await Policy("mongo");
        p.Status!.LastRun!.Phase.ShouldBe("Succeeded");
        p.Status.LastRun.Name.ShouldMatch(@"^mongo-\d{12}$");
        var recoveryPoint = p.Status.RecoveryPoint!.Value;

        await _client.PatchAsync(OperatorKinds.BackupPolicies, "platau-prod", "mongo", PatchType.Merge, """{"spec":{"suspend":true}}""");
        await Eventually.HoldsAsync(async () => Cond(await Policy("mongo"), "Ready")?.Reason == "Suspended", "suspended");
        var flip = recoveryPoint + TimeSpan.FromHours(4);
        _clock.Advance(flip - _clock.GetUtcNow() - TimeSpan.FromSeconds(1));
        // A reconcile one second before the flip still finds the objective met.
        await PokeAndWaitAsync("mongo");
        Cond(await Policy("mongo"), "RecoveryPointObjectiveMet")!.Status.ShouldBe("True");
        _clock.Advance(TimeSpan.FromSeconds(2));
        await Eventually.HoldsAsync(async () => Cond(await Policy("mongo"), "RecoveryPointObjectiveMet")?.Reason == "RecoveryPointTooOld", "RPO flips at its instant");
        (await _client.ListAsync(Resources.Events, "platau-prod")).Items.ShouldContain(e => e.Reason == "RecoveryPointObjectiveMissed");
        var scrape = _metrics.Scrape();
        scrape.ShouldContain("demat_backup_rpo_seconds{namespace=\"platau-prod\",policy=\"mongo\"} 14400");
        scrape.ShouldContain("demat_backup_suspended{namespace=\"platau-prod\",policy=\"mongo\"} 1");
        scrape.ShouldContain("demat_backup_runs_total{namespace=\"platau-prod\",policy=\"mongo\",result=\"succeeded\"} 1");
        (await DematOperator.Kube.Tests.Promtool.CheckMetricsAsync(scrape)).ShouldBe("");
    }

    [Fact]
    public async Task Velero_policy_backs_up_prunes_with_delete_backup_requests_and_runs_on_demand_once()
    {
        await Create("velero", "Velero", "*/20 * * * *", s => s.Retention = new RetentionSpec { KeepLast = 1, KeepFailed = 1 });
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await _client.ListAsync(DeleteRequests, "openshift-adp")).Items.Count >= 2, "two older backups pruned", TimeSpan.FromMinutes(2), TimeSpan.FromHours(3));
        await AdvanceUntil(async () => (await _client.ListAsync(VeleroBackups, "openshift-adp", new ListRequest($"{RunLabels.Policy}=velero"))).Items.Count == 1, "one backup kept", TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10));
        var p = await Policy("velero");
        Cond(p, "RecoveryPointObjectiveMet")!.Status.ShouldBe("True");
        p.Status!.RetainedRuns.ShouldBe(1);
        var kept = (await _client.ListAsync(VeleroBackups, "openshift-adp")).Items.Single();
        ((string?)kept.Spec!["includedNamespaces"]![0]).ShouldBe("platau-prod");
        ((string?)kept.Spec["labelSelector"]!["matchLabels"]!["app"]).ShouldBe("mongo");

        var before = (await _client.ListAsync(VeleroBackups, "openshift-adp")).Items.Count(b => b.Metadata.Labels![RunLabels.Trigger] == "manual");
        await _client.PatchAsync(OperatorKinds.BackupPolicies, "platau-prod", "velero", PatchType.Merge, """{"metadata":{"annotations":{"ops.demat.gouv.fr/run-now":"ticket-1234"}}}""");
        await Eventually.HoldsAsync(async () => (await Policy("velero")).Status?.LastRunNowRequest == "ticket-1234", "run-now acknowledged");
        var manual = (await _client.ListAsync(VeleroBackups, "openshift-adp")).Items.Count(b => b.Metadata.Labels![RunLabels.Trigger] == "manual");
        manual.ShouldBe(before + 1);
        // Re-applying the same YAML (same annotation value) does not run again.
        await _client.PatchAsync(OperatorKinds.BackupPolicies, "platau-prod", "velero", PatchType.Merge, """{"spec":{"rpo":"5h"}}""");
        await Eventually.HoldsAsync(async () => (await Policy("velero")).Status?.ObservedGeneration == 2, "spec change reconciled");
        (await _client.ListAsync(VeleroBackups, "openshift-adp")).Items.Count(b => b.Metadata.Labels![RunLabels.Trigger] == "manual").ShouldBe(manual);
    }

    [Fact]
    public async Task Two_same_named_policies_in_different_namespaces_never_mix_their_runs_recovery_points_or_retention()
    {
        // Both back up with Velero into the one namespace Velero has, with the same name and schedule: their run names collide.
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "rieau-prod" } });
        await Create("nightly", "Velero", "*/20 * * * *", s => s.Retention = new RetentionSpec { KeepLast = 2, KeepFailed = 1 });
        await _client.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy
        {
            Metadata = new ObjectMeta { Name = "nightly", Namespace = "rieau-prod" },
            Spec = new BackupPolicySpec { Schedule = "*/20 * * * *", TimeZone = "Europe/Paris", Rpo = "4h", Method = "Velero", Target = new BackupTarget { Namespaces = ["rieau-prod"] }, Retention = new RetentionSpec { KeepLast = 1, KeepFailed = 1 } },
        });
        // The rieau backups fail: its recovery point must not borrow platau's.
        _host["sbg"].Controllers.Velero.FailBackup = b => b.Parse()["spec"]?["includedNamespaces"]?[0]?.GetValue<string>() == "rieau-prod" ? "bucket quota exceeded" : null;
        await using var op = StartOperator();
        async Task<List<DynamicObject>> BackupsOf(string ns) =>
            (await _client.ListAsync(VeleroBackups, "openshift-adp", new ListRequest(RunLabels.Selector(ns, "nightly")))).Items;
        await AdvanceUntil(async () => (await BackupsOf("platau-prod")).Count(b => (string?)b.Status?["phase"] == "Completed") >= 2 && (await BackupsOf("rieau-prod")).Count >= 2,
            "both policies ran several slots", TimeSpan.FromMinutes(2), TimeSpan.FromHours(3));
        await AdvanceUntil(async () => (await _client.ListAsync(DeleteRequests, "openshift-adp")).Items.Count > 0, "retention applied", TimeSpan.FromMinutes(2), TimeSpan.FromHours(3));
        await PokeAndWaitAsync("nightly");

        var platau = (await BackupsOf("platau-prod")).Where(b => b.Metadata.DeletionTimestamp is null).ToList();
        var rieau = (await BackupsOf("rieau-prod")).Where(b => b.Metadata.DeletionTimestamp is null).ToList();
        platau.ShouldAllBe(b => (string?)b.Spec!["includedNamespaces"]![0] == "platau-prod");
        rieau.ShouldAllBe(b => (string?)b.Spec!["includedNamespaces"]![0] == "rieau-prod");
        platau.Select(b => b.Name).Intersect(rieau.Select(b => b.Name)).ShouldBeEmpty("the second policy's run is named apart, never adopted from the first");
        // Each policy ran every slot: the newest run of each is for the same slot (a lost name collision would leave one a slot behind).
        string NewestSlot(List<DynamicObject> runs) => runs.Select(b => b.Metadata.Annotations![RunLabels.SlotAnnotation]).Max(StringComparer.Ordinal)!;
        NewestSlot(rieau).ShouldBe(NewestSlot(platau));
        var slots = platau.Select(b => b.Metadata.Annotations![RunLabels.SlotAnnotation]).ToHashSet();
        rieau.Where(b => slots.Contains(b.Metadata.Annotations![RunLabels.SlotAnnotation])).ShouldNotBeEmpty();
        Cond(await Policy("nightly"), "RecoveryPointObjectiveMet")!.Status.ShouldBe("True");
        var rieauPolicy = await _client.GetAsync(OperatorKinds.BackupPolicies, "rieau-prod", "nightly");
        Cond(rieauPolicy, "RecoveryPointObjectiveMet")!.Reason.ShouldBe("NoRecoveryPoint", "only failed runs of its own: no recovery point, whatever the other policy did");
        rieauPolicy.Status!.RecoveryPoint.ShouldBeNull();
        // Retention deleted only each policy's own runs: every DeleteBackupRequest names a backup of the policy that asked for it.
        foreach (var request in (await _client.ListAsync(DeleteRequests, "openshift-adp")).Items)
        {
            var target = (string?)request.Spec!["backupName"];
            var owner = request.Metadata.Labels![RunLabels.Policy];
            owner.ShouldBe("nightly");
            (platau.Any(b => b.Name == target) && rieau.Any(b => b.Name == target)).ShouldBeFalse();
        }
        (await BackupsOf("rieau-prod")).Count(b => (string?)b.Status?["phase"] == "Failed").ShouldBeLessThanOrEqualTo(2, "keepFailed 1, plus the run just ended");
    }

    [Fact]
    public async Task Run_before_makes_a_rollback_point_before_a_planned_change_and_says_when_there_is_none()
    {
        await Create("change", "CSISnapshot", "0 0 1 1 *");
        await using var op = StartOperator();
        await Eventually.HoldsAsync(async () => (await Policy("change")).Status?.NextScheduleTime is not null, "scheduled");
        async Task RunBefore(string value) => await _client.PatchAsync(OperatorKinds.BackupPolicies, "platau-prod", "change", PatchType.Merge,
            new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [RunLabels.RunBeforeAnnotation] = value } } }.ToJsonString());
        Condition? Rollback(BackupPolicy p) => Cond(p, RollbackPoints.Condition);
        async Task<int> RunCount(string policy, string ns) =>
            (await _client.ListAsync(Snapshots, ns, new ListRequest($"{RunLabels.Policy}={policy}"))).Items.Select(s => s.Metadata.Labels![RunLabels.Run]).Distinct().Count();

        var change = _clock.GetUtcNow().AddHours(1);
        await RunBefore(change.ToString("yyyy-MM-ddTHH:mm:sszzz"));
        // What `kubectl wait bp/change --for=condition=RollbackPointReady` waits for.
        await AdvanceUntil(async () => Rollback(await Policy("change"))?.Status == "True", "the rollback point exists", TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(30));
        var ready = Rollback(await Policy("change"))!;
        ready.Reason.ShouldBe("RollbackPointReady");
        ready.Message.ShouldContain("can be rolled back");
        (await _client.ListAsync(Snapshots, "platau-prod", new ListRequest($"{RunLabels.Policy}=change"))).Items
            .ShouldAllBe(s => s.Metadata.Annotations![RunLabels.RunNowRequestAnnotation].StartsWith("run-before "));
        var runs = await RunCount("change", "platau-prod");

        // The next change: its run fails, and once the change's instant has passed, it has no rollback point.
        _host["sbg"].Controllers.Snapshots.FailWith = _ => "rbd: pool full";
        var next = _clock.GetUtcNow().AddMinutes(30);
        await RunBefore(next.ToString("O"));
        await AdvanceUntil(async () => Rollback(await Policy("change"))?.Reason == "RollbackPointFailed", "the rollback point failed", TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(20));
        (await RunCount("change", "platau-prod")).ShouldBe(runs + 1, "one run per request, no retry behind the engineer's back");
        _clock.Advance(next - _clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        await Eventually.HoldsAsync(async () => Rollback(await Policy("change"))?.Reason == "RollbackPointMissed", "the change passed without a rollback point");

        await RunBefore("next tuesday");
        await Eventually.HoldsAsync(async () => Rollback(await Policy("change"))?.Reason == "InvalidRunBefore", "a value that is not an instant is said so");
        (await RunCount("change", "platau-prod")).ShouldBe(runs + 1, "and starts nothing");
    }

    [Fact]
    public async Task A_conflict_on_the_status_write_is_read_again_and_retried_at_once()
    {
        var conflict = _host["sbg"].Cluster.Faults.ConflictOn("update", "backuppolicies", "conflicted", subresource: "status");
        await Create("conflicted", "CSISnapshot");
        await using var op = StartOperator();
        // The clock stands still: only a retry at once writes the first status.
        await Eventually.HoldsAsync(async () => (await Policy("conflicted")).Status?.ObservedGeneration == 1, "status written after the conflict");
        conflict.Remaining.ShouldBe(0, "the status write met the injected 409");
    }

    [Fact]
    public async Task After_downtime_the_latest_slot_runs_once_and_older_ones_count_as_missed()
    {
        await Create("downtime", "CSISnapshot", "0 * * * *");
        await using (var op = StartOperator())
            await Eventually.HoldsAsync(async () => (await Policy("downtime")).Status?.NextScheduleTime is not null, "scheduled");
        _clock.Advance(TimeSpan.FromHours(5) + TimeSpan.FromMinutes(10));
        await using (var op = StartOperator())
        {
            await Eventually.HoldsAsync(async () => (await Policy("downtime")).Status?.MissedRuns == 4, "4 missed slots");
            (await Policy("downtime")).Status!.MissedByMonth!.Values.Sum().ShouldBe(4, "counted in the month of the slots too");
            // A restart in the middle of the run adopts it: still one run.
        }
        var beforeRestart = Reconciles();
        await using (var op = StartOperator())
        {
            await Eventually.HoldsAsync(() => Reconciles() > beforeRestart, "the restarted controller reconciled the policy");
            var runs = (await _client.ListAsync(Snapshots, "platau-prod", new ListRequest($"{RunLabels.Policy}=downtime"))).Items
                .Select(s => s.Metadata.Labels![RunLabels.Run]).Distinct().ToList();
            runs.Count.ShouldBe(1);
        }
        _metrics.Scrape().ShouldContain("demat_backup_missed_runs_total{namespace=\"platau-prod\",policy=\"downtime\"} 4");
    }

    [Fact]
    public async Task Bad_input_gives_ready_false_with_a_reason_and_an_event_and_other_policies_go_on()
    {
        await Create("bad-cron", "CSISnapshot", "every hour");
        await Create("bad-zone", "CSISnapshot", tweak: s => s.TimeZone = "Mars/Olympus_Mons");
        await Create("no-class", "CSISnapshot", tweak: s => s.CsiSnapshot!.VolumeSnapshotClassName = "gold");
        await Create("no-ns", "Velero", tweak: s => s.Target.Namespaces = ["ghost"]);
        await Create("tight", "Velero", "0 2 * * *");
        await Create("fine", "Velero");
        await using var op = StartOperator();
        async Task Expect(string name, string reason, string message) =>
            await Eventually.HoldsAsync(async () => Cond(await Policy(name), "Ready") is { Status: "False" } c && c.Reason == reason && c.Message.Contains(message), $"{name}: {reason}");
        await Expect("bad-cron", "InvalidSchedule", "\"every hour\" has 2 fields");
        await Expect("bad-zone", "UnknownTimeZone", "Mars/Olympus_Mons");
        await Expect("no-class", "MissingSnapshotClass", "VolumeSnapshotClass \"gold\" does not exist");
        await Expect("no-ns", "NamespaceNotFound", "\"ghost\"");
        await Eventually.HoldsAsync(async () => Cond(await Policy("tight"), "ScheduleMeetsObjective")?.Reason == "ScheduleGapExceedsRpo", "daily schedule cannot meet 4h");
        await Eventually.HoldsAsync(async () => Cond(await Policy("fine"), "Ready")?.Status == "True", "the good one is ready");
        var events = (await _client.ListAsync(Resources.Events, "platau-prod")).Items;
        foreach (var reason in new[] { "InvalidSchedule", "UnknownTimeZone", "MissingSnapshotClass", "NamespaceNotFound" })
            events.ShouldContain(e => e.Reason == reason && e.Type == "Warning");
    }
    /// <summary>Bounded state: what the reconciler remembers of a policy (slots written, runs counted) goes with the policy.</summary>
    [Fact]
    public async Task Deleted_policies_leave_nothing_in_the_reconcilers_memory()
    {
        var informer = new Informer<BackupPolicy>(_operator, OperatorKinds.BackupPolicies);
        var reconciler = new BackupPolicyReconciler(_operator, informer, new EventRecorder(_operator, "dematoperator"), new BackupPolicyMetrics(_metrics), NullLogger<BackupPolicyReconciler>.Instance);
        var controller = new DematOperator.Kube.Controllers.Controller("bp-memory", reconciler, new DematOperator.Kube.Controllers.ControllerOptions { MaxConcurrentReconciles = 4 }, _metrics, NullLoggerFactory.Instance, _clock)
            .For(informer, DematOperator.Kube.Controllers.Predicates.GenerationOrAnnotationsChanged);
        using var stop = new CancellationTokenSource();
        var running = Task.WhenAll(informer.RunAsync(stop.Token), controller.RunAsync(stop.Token));
        for (var i = 0; i < 20; i++) await Create($"memory-{i:D2}", "CSISnapshot", schedule: "0 * * * *");
        await AdvanceUntil(async () => (await _client.ListAsync(OperatorKinds.BackupPolicies, "platau-prod")).Items.All(p => p.Status?.LastScheduleTime is not null),
            "every policy took a scheduled run", TimeSpan.FromMinutes(10), TimeSpan.FromHours(2));
        reconciler.Remembered.ShouldBeGreaterThan(0);
        foreach (var p in (await _client.ListAsync(OperatorKinds.BackupPolicies, "platau-prod")).Items) await _client.DeleteAsync(OperatorKinds.BackupPolicies, "platau-prod", p.Name);
        await Eventually.HoldsAsync(() => reconciler.Remembered == 0 && informer.List().Count == 0, "nothing remembered of deleted policies");
        await Eventually.HoldsAsync(() => !_metrics.Scrape().Contains("policy=\"memory-"), "no series left of deleted policies");
        stop.Cancel();
        try { await running; } catch (OperationCanceledException) { }
    }
}

/// <summary>More BackupPolicy behaviour: resume, CSI retention, deletionPolicy Delete, Velero missing.</summary>
public sealed class BackupPolicyLifecycleTests : IAsyncLifetime
{
    private static readonly ResourceType<DynamicObject> Snapshots = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true);
    private readonly ManualTimeProvider _clock = new(TestClock.Start);
    private SimHost _host = null!;
    private KubeClient _client = null!;


    public async Task InitializeAsync()
    {
        // "bare" has our CRDs but none of the third-party APIs; both enforce config/rbac.
        _host = await SimHost.StartAsync(new SimHostOptions { Clusters = ["sbg", "bare"], Time = _clock, RbacEnabled = true });
        ThirdPartyApis.Install(_host["sbg"].Cluster);
        foreach (var s in _host.Servers)
        {
            SimFixture.InstallCrds(s.Cluster, Path.Combine(RepoPaths.Config, "crd", "bases"));
            OperatorClusters.InstallRbac(s.Cluster);
        }
        _client = Client("sbg");
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "app" } });
        await _client.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "data", Namespace = "app" },
            Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""")!.AsObject(),
        });
        await _client.CreateAsync(Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false),
            new DynamicObject { Metadata = new ObjectMeta { Name = "std" }, Fields = JsonNode.Parse("""{"driver":"x","deletionPolicy":"Delete"}""")!.AsObject() });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private KubeClient Client(string cluster) =>
        new(KubeConfigLoader.FromText(_host.Kubeconfig(), cluster), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, time: _clock);

    private readonly MetricsRegistry _metrics = new();

    /// <summary>The controller on one cluster, as the operator's ServiceAccount.</summary>
    private (Task Run, CancellationTokenSource Stop) Start(string cluster)
    {
        var op = OperatorClusters.Operator(_host, cluster, null, _clock);
        var informer = new Informer<BackupPolicy>(op, OperatorKinds.BackupPolicies);
        var controller = BackupPolicyController.Create(op, informer, new EventRecorder(op, "dematoperator"), _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        return (Task.WhenAll(informer.RunAsync(stop.Token), controller.RunAsync(stop.Token)), stop);
    }

    private static BackupPolicy Policy(string ns, string name, string method, Action<BackupPolicySpec>? tweak = null)
    {
        var spec = new BackupPolicySpec
        {
            Schedule = "*/10 * * * *", Method = method, Target = new BackupTarget { Namespaces = [ns] },
            CsiSnapshot = method == "CSISnapshot" ? new CsiSnapshotOptions { VolumeSnapshotClassName = "std" } : null,
        };
        tweak?.Invoke(spec);
        return new BackupPolicy { Metadata = new ObjectMeta { Name = name, Namespace = ns }, Spec = spec };
    }

    private async Task<int> RunsOf(string policy) =>
        (await _client.ListAsync(Snapshots, "app", new ListRequest($"{RunLabels.Policy}={policy}"))).Items.Select(s => s.Metadata.Labels![RunLabels.Run]).Distinct().Count();

    private async Task AdvanceUntil(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; !await condition(); i++)
        {
            if (i > 400) throw new Xunit.Sdk.XunitException("not reached: " + what);
            _clock.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(40);
        }
    }

    [Fact]
    public async Task Csi_retention_prunes_snapshots_suspend_stops_runs_resume_restarts_them_and_delete_policy_cleans_up()
    {
        // A snapshot someone else made in the same namespace: retention must never touch it.
        await _client.CreateAsync(Snapshots, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "manual-before-upgrade", Namespace = "app" },
            Fields = JsonNode.Parse("""{"spec":{"volumeSnapshotClassName":"std","source":{"persistentVolumeClaimName":"data"}}}""")!.AsObject(),
        });
        await _client.CreateAsync(OperatorKinds.BackupPolicies, Policy("app", "csi", "CSISnapshot", s =>
        {
            s.Retention = new RetentionSpec { KeepLast = 2 };
            s.DeletionPolicy = "Delete";
        }));
        var (run, stop) = Start("sbg");
        try
        {
            await Eventually.HoldsAsync(async () => (await _client.GetAsync(OperatorKinds.BackupPolicies, "app", "csi")).Metadata.Finalizers?.Contains(BackupPolicyReconciler.Finalizer) == true, "finalizer added for deletionPolicy Delete");
            await AdvanceUntil(async () => (await _client.GetAsync(OperatorKinds.BackupPolicies, "app", "csi")).Status?.LastRun?.Name is { } n && n.EndsWith("40") || (await RunsOf("csi")) >= 4, "several runs");
            await AdvanceUntil(async () => await RunsOf("csi") == 2 && (await _client.GetAsync(OperatorKinds.BackupPolicies, "app", "csi")).Status?.RetainedRuns == 2, "retention keeps 2");

            await _client.PatchAsync(OperatorKinds.BackupPolicies, "app", "csi", PatchType.Merge, """{"spec":{"suspend":true}}""");
            await Eventually.HoldsAsync(async () => Conditions.Find((await _client.GetAsync(OperatorKinds.BackupPolicies, "app", "csi")).Status?.Conditions, "Ready")?.Reason == "Suspended", "suspended");
            var lastBefore = (await _client.GetAsync(OperatorKinds.BackupPolicies, "app", "csi")).Status!.LastRun!.Name;
            _clock.Advance(TimeSpan.FromHours(1));
            // Six slots passed while suspended: a reconcile after them (woken by an annotation) still starts none.
            var before = Reconciled.Count(_metrics);
            await _client.PatchAsync(OperatorKinds.BackupPolicies, "app", "csi", PatchType.Merge, """{"metadata":{"annotations":{"test.demat/poke":"1"}}}""");
            await Eventually.HoldsAsync(() => Reconciled.Count(_metrics) > before, "reconciled while suspended");
            (await _client.GetAsync(OperatorKinds.BackupPolicies, "app", "csi")).Status!.LastRun!.Name.ShouldBe(lastBefore);
            (await RunsOf("csi")).ShouldBe(2);

            await _client.PatchAsync(OperatorKinds.BackupPolicies, "app", "csi", PatchType.Merge, """{"spec":{"suspend":false}}""");
            await AdvanceUntil(async () => (await _client.GetAsync(OperatorKinds.BackupPolicies, "app", "csi")).Status!.LastRun!.Name != lastBefore, "a run after resuming");

            await _client.DeleteAsync(OperatorKinds.BackupPolicies, "app", "csi");
            await Eventually.HoldsAsync(async () => await _client.TryGetAsync(OperatorKinds.BackupPolicies, "app", "csi") is null, "policy gone after its finalizer");
            (await RunsOf("csi")).ShouldBe(0);
            (await _client.TryGetAsync(Snapshots, "app", "manual-before-upgrade")).ShouldNotBeNull();
        }
        finally
        {
            stop.Cancel();
            await run;
        }
    }

    [Fact]
    public async Task Retain_policy_keeps_its_backups_when_deleted()
    {
        await _client.CreateAsync(OperatorKinds.BackupPolicies, Policy("app", "keep", "CSISnapshot"));
        var (run, stop) = Start("sbg");
        try
        {
            await AdvanceUntil(async () => await RunsOf("keep") >= 1, "a run");
            await _client.DeleteAsync(OperatorKinds.BackupPolicies, "app", "keep");
            await Eventually.HoldsAsync(async () => await _client.TryGetAsync(OperatorKinds.BackupPolicies, "app", "keep") is null, "policy gone");
            (await RunsOf("keep")).ShouldBeGreaterThanOrEqualTo(1);
        }
        finally
        {
            stop.Cancel();
            await run;
        }
    }

    [Fact]
    public async Task Without_velero_or_csi_apis_the_policy_says_so()
    {
        using var bare = Client("bare");
        await bare.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "app" } });
        await bare.CreateAsync(OperatorKinds.BackupPolicies, Policy("app", "velero", "Velero"));
        await bare.CreateAsync(OperatorKinds.BackupPolicies, Policy("app", "csi", "CSISnapshot"));
        var (run, stop) = Start("bare");
        try
        {
            await Eventually.HoldsAsync(async () => Conditions.Find((await bare.GetAsync(OperatorKinds.BackupPolicies, "app", "velero")).Status?.Conditions, "Ready")?.Reason == "VeleroNotInstalled", "Velero missing");
            await Eventually.HoldsAsync(async () => Conditions.Find((await bare.GetAsync(OperatorKinds.BackupPolicies, "app", "csi")).Status?.Conditions, "Ready")?.Reason == "CsiSnapshotsNotInstalled", "CSI missing");
        }
        finally
        {
            stop.Cancel();
            await run;
        }
    }

}
