using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.Restores;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Restores;

/// <summary>
/// Restore on request against the emulator: production backed up by a CSI, a Velero and a Kasten BackupPolicy,
/// then restored into scratch namespaces (or refused), with the operator's two controllers and one manual clock.
/// </summary>
public sealed class RestoreRequestTests : IAsyncLifetime
{
    private static readonly ResourceType<DynamicObject> Classes = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false);
    private static readonly ResourceType<DynamicObject> Locations = Resources.Dynamic("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", true);
    private const string Ns = "platau-prod";
    private readonly ManualTimeProvider _clock = new(TestClock.Start);
    private readonly MetricsRegistry _metrics = new();
    private SimHost _host = null!;
    private KubeClient _client = null!;
    /// <summary>The operator's own client: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg");
        _client = OperatorClusters.Admin(_host, "sbg", _clock);
        _operator = OperatorClusters.Operator(_host, "sbg", _metrics, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        foreach (var ns in new[] { Ns, "openshift-adp", "kasten-io", "other-team" })
            await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        await _client.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "settings", Namespace = Ns, Labels = new() { ["app"] = "portal" } }, Data = new() { ["tier"] = "OR" } });
        await _client.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "team", Namespace = "other-team" }, Data = new() { ["owner"] = "them" } });
        await TestObjects.Workload(_client, Resources.Deployments, Ns, "portal", 2);
        await _client.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "data-mongodb-0", Namespace = Ns, Labels = new() { ["app"] = "mongodb" } },
            Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"ceph-rbd","resources":{"requests":{"storage":"10Gi"}}}}""")!.AsObject(),
        });
        await _client.CreateAsync(Classes, new DynamicObject { Metadata = new ObjectMeta { Name = "csi-ceph-rbd" }, Fields = JsonNode.Parse("""{"driver":"rbd.csi.ceph.com","deletionPolicy":"Delete"}""")!.AsObject() });
        await _client.CreateAsync(Locations, new DynamicObject { Metadata = new ObjectMeta { Name = "default", Namespace = "openshift-adp" }, Fields = JsonNode.Parse("""{"spec":{"provider":"aws","objectStorage":{"bucket":"pra"}}}""")!.AsObject() });
        async Task Policy(string name, string method, Action<BackupPolicySpec>? tweak = null)
        {
            var spec = new BackupPolicySpec { Schedule = "0 0 1 1 *", Method = method, Target = new BackupTarget { Namespaces = [Ns] } };
            tweak?.Invoke(spec);
            await _client.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy { Metadata = new ObjectMeta { Name = name, Namespace = Ns }, Spec = spec });
        }
        await Policy("csi", "CSISnapshot", s => { s.CsiSnapshot = new CsiSnapshotOptions { VolumeSnapshotClassName = "csi-ceph-rbd" }; s.Target.Selector = new LabelSelectorSpec { MatchLabels = new() { ["app"] = "mongodb" } }; });
        await Policy("velero", "Velero");
        await Policy("kasten", "Kasten", s => s.Kasten = new KastenOptions());
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
    }

    private RunningOperator StartOperator()
    {
        var events = new EventRecorder(_operator, "dematoperator");
        var policies = new Informer<BackupPolicy>(_operator, OperatorKinds.BackupPolicies);
        var requests = new Informer<RestoreRequest>(_operator, OperatorKinds.RestoreRequests);
        var stop = new CancellationTokenSource();
        return new RunningOperator(Task.WhenAll(policies.RunAsync(stop.Token), requests.RunAsync(stop.Token),
            BackupPolicyController.Create(_operator, policies, events, _metrics, NullLoggerFactory.Instance).RunAsync(stop.Token),
            RestoreRequestController.Create(_operator, requests, new RemoteClusters(_operator), events, _metrics, NullLoggerFactory.Instance).RunAsync(stop.Token)), stop);
    }

    private Task AdvanceUntil(Func<Task<bool>> condition, string what) => TestObjects.AdvanceUntil(_clock, condition, what, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1));

    /// <summary>One successful run of each policy, asked for as an ops engineer would (run-now).</summary>
    private async Task BackUp(params string[] policies)
    {
        foreach (var p in policies)
            await _client.PatchAsync(OperatorKinds.BackupPolicies, Ns, p, PatchType.Merge, new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [RunLabels.RunNowAnnotation] = _clock.GetUtcNow().ToUnixTimeSeconds().ToString() } } }.ToJsonString());
        foreach (var p in policies)
            await AdvanceUntil(async () => (await _client.GetAsync(OperatorKinds.BackupPolicies, Ns, p)).Status?.LastRun?.Phase == "Succeeded", $"{p} backed up");
    }

    private Task Request(string name, string policy, Action<RestoreRequestSpec>? tweak = null)
    {
        var spec = new RestoreRequestSpec { BackupPolicy = policy };
        tweak?.Invoke(spec);
        return _client.CreateAsync(OperatorKinds.RestoreRequests, new RestoreRequest { Metadata = new ObjectMeta { Name = name, Namespace = Ns }, Spec = spec });
    }

    private async Task<RestoreRequest> Ended(string name)
    {
        await AdvanceUntil(async () => (await _client.GetAsync(OperatorKinds.RestoreRequests, Ns, name)).Status?.Phase is RestorePhase.Succeeded or RestorePhase.Failed or RestorePhase.Planned, $"{name} ended");
        return await _client.GetAsync(OperatorKinds.RestoreRequests, Ns, name);
    }

    [Fact]
    public async Task A_namespace_is_restored_into_a_scratch_namespace_from_CSI_Velero_and_Kasten_recovery_points_and_reported()
    {
        await using var op = StartOperator();
        await BackUp("csi", "velero", "kasten");
        await Request("from-csi", "csi", s => s.TargetNamespace = "scratch-csi");
        await Request("from-velero", "velero", s => s.TargetNamespace = "scratch-velero");
        await Request("from-kasten", "kasten", s => s.TargetNamespace = "scratch-kasten");

        var csi = await Ended("from-csi");
        csi.Status!.Phase.ShouldBe(RestorePhase.Succeeded, csi.Status.Message);
        var claim = await _client.GetAsync(ForeignKinds.PersistentVolumeClaims, "scratch-csi", "data-mongodb-0");
        claim.IsBound.ShouldBeTrue();
        claim.Spec!.DataSource!.Kind.ShouldBe("VolumeSnapshot");
        claim.Spec.StorageClassName.ShouldBe("ceph-rbd");
        var copy = await _client.GetAsync(ForeignKinds.VolumeSnapshots, "scratch-csi", claim.Spec.DataSource.Name!);
        var content = await _client.GetAsync(ForeignKinds.VolumeSnapshotContents, null, copy.Spec!.Source!.VolumeSnapshotContentName!);
        content.Spec!.DeletionPolicy.ShouldBe("Retain", "deleting the copy never deletes production's snapshot");
        var original = (await _client.ListAsync(ForeignKinds.VolumeSnapshots, Ns)).Items.Single();
        content.Spec.Source!.SnapshotHandle.ShouldBe((await _client.GetAsync(ForeignKinds.VolumeSnapshotContents, null, original.Status!.BoundVolumeSnapshotContentName!)).Status!.SnapshotHandle);
        csi.Status.Plan.ShouldBe(["PersistentVolumeClaim/data-mongodb-0"]);

        foreach (var (name, scratch) in new[] { ("from-velero", "scratch-velero"), ("from-kasten", "scratch-kasten") })
        {
            var rr = await Ended(name);
            rr.Status!.Phase.ShouldBe(RestorePhase.Succeeded, rr.Status.Message);
            if (name == "from-velero")
            {
                // The plan counts the whole Backup (our three BackupPolicies included); the Restore leaves our kinds out: the
                // message says why the numbers differ rather than leave a person to wonder where items went.
                var restoredItems = int.Parse(System.Text.RegularExpressions.Regex.Match(rr.Status.Message!, @"completed: (\d+) item").Groups[1].Value);
                restoredItems.ShouldBeLessThan(rr.Status.PlannedItems!.Value);
                rr.Status.Message!.ShouldContain($"(the plan counted the Backup's {rr.Status.PlannedItems} item(s) across all its namespaces and kinds; "
                                                 + "the Restore takes platau-prod only, without DematOperator's kinds)");
            }
            (await _client.GetAsync(Resources.ConfigMaps, scratch, "settings")).Data!["tier"].ShouldBe("OR");
            (await _client.TryGetAsync(Resources.Deployments, scratch, "portal")).ShouldNotBeNull();
            (await _client.ListAsync(OperatorKinds.BackupPolicies, scratch)).Items.ShouldBeEmpty("our own kinds are never restored on demand");
        }
        foreach (var name in new[] { "from-csi", "from-velero", "from-kasten" })
        {
            // The report is written after the result.
            var rr = await Eventually.ValueAsync(async () => await _client.GetAsync(OperatorKinds.RestoreRequests, Ns, name) is { Status.Report: not null } done ? done : null, $"{name} reported");
            rr.Status!.RecoveryPoint!.Run.ShouldNotBeNullOrEmpty();
            rr.Status.RecoveryPoint.Consistency.ShouldBe("Crash");
            var report = await _client.GetAsync(Resources.ConfigMaps, Ns, rr.Status.Report!);
            report.Data!["report.md"].ShouldContain(rr.Status.RecoveryPoint.Run);
            ((string?)JsonNode.Parse(report.Data["report.json"])!["phase"]).ShouldBe("Succeeded");
            // In French, every time in Paris time with its offset, to the second; the JSON written as people read it.
            var dataTime = NodaTime.Instant.FromDateTimeOffset(rr.Status.RecoveryPoint.Time!.Value).InZone(NodaTime.DateTimeZoneProviders.Tzdb["Europe/Paris"]);
            report.Data["report.md"].ShouldContain($"- Résultat : **restauration réussie** (Succeeded)");
            report.Data["report.md"].ShouldContain($"données du {dataTime.ToString("uuuu-MM-dd'T'HH:mm:ss", null)}+02:00");
            report.Data["report.json"].ShouldContain($"\"dataTime\":\"{dataTime.ToString("uuuu-MM-dd'T'HH:mm:ss", null)}+02:00\"");
            (await _client.GetAsync(Resources.Namespaces, null, $"scratch-{name[5..]}")).Metadata.Labels![DematOperator.Restores.Methods.RestoreMarks.RequestLabel].ShouldBe(name);
        }
        // The metric and the Event follow the status write.
        await Eventually.HoldsAsync(() => _metrics.Scrape().Contains("demat_restore_requests_total{namespace=\"platau-prod\",result=\"succeeded\"} 3"), "the metric counts the three restores");
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Count(e => e.Reason == "Restored") == 3, "a Restored Event each");
    }

    [Fact]
    public async Task A_dry_run_lists_what_would_be_restored_and_changes_nothing()
    {
        await using var op = StartOperator();
        await BackUp("csi");
        await Request("look", "csi", s => { s.TargetNamespace = "scratch"; s.DryRun = true; });
        var rr = await Ended("look");
        rr.Status!.Phase.ShouldBe(RestorePhase.Planned);
        rr.Status.Plan.ShouldBe(["PersistentVolumeClaim/data-mongodb-0"]);
        (await _client.TryGetAsync(Resources.Namespaces, null, "scratch")).ShouldBeNull("a dry run creates nothing");
        (await _client.ListAllAsync(ForeignKinds.PersistentVolumeClaims, null)).Items.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Overwriting_and_another_teams_namespace_are_refused_with_their_reasons()
    {
        await using var op = StartOperator();
        await BackUp("velero", "csi");
        await Request("in-place", "velero");
        await Request("in-place-csi", "csi", s => s.ExistingResourcePolicy = "update");
        await Request("elsewhere", "velero", s => s.TargetNamespace = "other-team");
        var inPlace = await Ended("in-place");
        inPlace.Status!.FailureReason.ShouldBe(RestoreReasons.WouldOverwrite);
        inPlace.Status.Message!.ShouldContain("ConfigMap/settings");
        (await Ended("in-place-csi")).Status!.FailureReason.ShouldBe(RestoreReasons.WouldOverwrite, "a claim's data is never replaced in place");
        (await Ended("elsewhere")).Status!.FailureReason.ShouldBe(RestoreReasons.TargetNamespaceNotAllowed);
        (await _client.GetAsync(Resources.ConfigMaps, "other-team", "team")).Data!["owner"].ShouldBe("them");
        (await _client.ListAsync(ForeignKinds.VeleroRestores, "openshift-adp")).Items.ShouldBeEmpty("nothing was restored");
        var condition = Conditions.Find((await _client.GetAsync(OperatorKinds.RestoreRequests, Ns, "elsewhere")).Status!.Conditions, "Ready")!;
        condition.Status.ShouldBe("False");
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Any(e => e.Reason == RestoreReasons.TargetNamespaceNotAllowed && e.Type == "Warning"), "the Warning Event");

        // With update, Velero restores over what exists in the request's own namespace.
        await Request("in-place-update", "velero", s => s.ExistingResourcePolicy = "update");
        (await Ended("in-place-update")).Status!.Phase.ShouldBe(RestorePhase.Succeeded);
    }

    [Fact]
    public async Task In_place_requests_reach_a_phase_with_Velero_and_Kasten_dry_run_then_real()
    {
        // Under config/rbac: the check of what already stands in the namespace lists ConfigMaps and Services there.
        await using var op = StartOperator();
        await BackUp("velero", "kasten");
        foreach (var policy in new[] { "velero", "kasten" })
        {
            await Request($"{policy}-look", policy, s => { s.DryRun = true; s.ExistingResourcePolicy = "update"; });
            var look = await Ended($"{policy}-look");
            look.Status!.Phase.ShouldBe(RestorePhase.Planned, look.Status.Message);
            Conditions.Find(look.Status.Conditions, "Ready")!.Reason.ShouldBe("Planned");
            await Request($"{policy}-real", policy, s => s.ExistingResourcePolicy = "update");
            var real = await Ended($"{policy}-real");
            real.Status!.Phase.ShouldBe(RestorePhase.Succeeded, real.Status.Message);
            Conditions.Find(real.Status.Conditions, "Ready")!.Reason.ShouldBe("Restored");
        }
        (await _client.GetAsync(Resources.ConfigMaps, Ns, "settings")).Data!["tier"].ShouldBe("OR");
    }

    [Fact]
    public async Task A_verb_the_role_lacks_shows_on_the_request_at_the_first_attempt_and_clears_once_granted()
    {
        // The role as shipped, less `list` on ConfigMaps: what the operator met before config/rbac granted it.
        var roles = Resources.Dynamic("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false);
        var role = await _client.GetAsync(roles, null, "dematoperator-manager");
        var shipped = (JsonArray)role.Fields!["rules"]!.DeepClone();
        var lacking = new JsonArray([.. shipped.Select(r => r!.DeepClone())]);
        foreach (var rule in lacking.OfType<JsonObject>().Where(r => r["resources"]!.AsArray().Any(x => (string?)x == "configmaps") && r["verbs"]!.AsArray().Any(v => (string?)v == "list")))
            rule["resources"] = new JsonArray([.. rule["resources"]!.AsArray().Where(x => (string?)x != "configmaps").Select(x => x!.DeepClone())]);
        role.Fields["rules"] = lacking;
        await _client.UpdateAsync(roles, role);
        await using var op = StartOperator();
        await BackUp("velero");
        await Request("blocked", "velero", s => { s.DryRun = true; s.ExistingResourcePolicy = "update"; });

        // No clock advance: the backoff's retry has not come yet, so this is the first attempt's doing.
        var blocked = await Eventually.ValueAsync(async () => await _client.GetAsync(OperatorKinds.RestoreRequests, Ns, "blocked") is { } r
            && Conditions.Find(r.Status?.Conditions, "Ready")?.Reason == ReconcileFailureReasons.Forbidden ? r : null, "Ready=False Forbidden on the request");
        blocked.Status!.Phase.ShouldBe(RestorePhase.Pending, "the phase column is never blank");
        var ready = Conditions.Find(blocked.Status.Conditions, "Ready")!;
        ready.Status.ShouldBe("False");
        ready.Message.ShouldContain("cannot list resource \"configmaps\"");
        ready.Message.ShouldContain("in the namespace \"platau-prod\"");
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, Ns)).Items
            .Any(e => e.Reason == ReconcileFailureReasons.Forbidden && e.Type == "Warning" && e.InvolvedObject.Name == "blocked"), "a Warning Event names the refusal");

        role = await _client.GetAsync(roles, null, "dematoperator-manager");
        role.Fields!["rules"] = shipped;
        await _client.UpdateAsync(roles, role);
        var planned = await Ended("blocked");
        planned.Status!.Phase.ShouldBe(RestorePhase.Planned);
        Conditions.Find(planned.Status.Conditions, "Ready")!.Reason.ShouldBe("Planned");
    }

    [Fact]
    public async Task A_restore_that_brings_nothing_back_never_succeeds_with_CSI_Velero_and_Kasten()
    {
        await using var op = StartOperator();
        await BackUp("csi", "velero", "kasten");
        // CSI knows what it restores before it starts (the run's VolumeSnapshots): a selection no claim carries is refused
        // at once, NothingToRestore, and nothing is created.
        await Request("csi-none", "csi", s => { s.TargetNamespace = "scratch-none-csi"; s.Include = new RestoreSelection { Selector = new LabelSelectorSpec { MatchLabels = new() { ["app"] = "no-such-app" } } }; });
        var csi = await Ended("csi-none");
        (csi.Status!.Phase, csi.Status.FailureReason).ShouldBe((RestorePhase.Failed, RestoreReasons.NothingToRestore), csi.Status.Message);
        (await _client.ListAsync(ForeignKinds.PersistentVolumeClaims, "scratch-none-csi")).Items.ShouldBeEmpty();
        // Velero: a selection no object of the backup carries; the Restore completes with 0 items.
        await Request("velero-none", "velero", s => { s.TargetNamespace = "scratch-none-velero"; s.Include = new RestoreSelection { Selector = new LabelSelectorSpec { MatchLabels = new() { ["app"] = "no-such-app" } } }; });
        // Kasten: K10 reports the RestoreAction Complete, yet nothing came back (the emulator's fault, as K10 does with a
        // filter that keeps nothing).
        _host["sbg"].Controllers.Kasten.RestoreNothing = a => a.Namespace == "scratch-none-kasten";
        await Request("kasten-none", "kasten", s => s.TargetNamespace = "scratch-none-kasten");
        // Velero and Kasten say what they restored only afterwards: Completed with nothing is NothingRestored.
        foreach (var name in new[] { "velero-none", "kasten-none" })
        {
            var rr = await Ended(name);
            rr.Status!.Phase.ShouldBe(RestorePhase.Failed, rr.Status.Message);
            rr.Status.FailureReason.ShouldBe(RestoreReasons.NothingRestored, rr.Status.Message);
            Conditions.Find(rr.Status.Conditions, "Ready")!.Reason.ShouldBe(RestoreReasons.NothingRestored);
        }
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Count(e => e.Reason == RestoreReasons.NothingRestored && e.Type == "Warning") == 2,
            "a Warning Event each");
    }

    [Fact]
    public async Task Before_picks_the_newest_run_older_than_the_instant_and_the_choice_is_kept()
    {
        await using var op = StartOperator();
        await BackUp("csi");
        var first = (await _client.GetAsync(OperatorKinds.BackupPolicies, Ns, "csi")).Status!.LastRun!.Name!;
        _clock.Advance(TimeSpan.FromMinutes(30));
        var between = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(30));
        await BackUp("csi");
        await Request("before", "csi", s => { s.Before = between; s.TargetNamespace = "scratch-before"; });
        var rr = await Ended("before");
        rr.Status!.Phase.ShouldBe(RestorePhase.Succeeded, rr.Status.Message);
        rr.Status.RecoveryPoint!.Run.ShouldBe(first);
        await Request("named", "csi", s => { s.Run = "no-such-run"; s.TargetNamespace = "scratch-named"; });
        (await Ended("named")).Status!.FailureReason.ShouldBe(RestoreReasons.RunNotFound);
    }
}
