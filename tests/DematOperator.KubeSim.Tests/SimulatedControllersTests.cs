using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.KubeSim.Hosting;
using DematOperator.TestSupport;

namespace DematOperator.KubeSim.Tests;

public sealed class TwoClusters() : SimFixture(new SimHostOptions { Clusters = ["sbg", "rbx"] });

/// <summary>The controllers the emulator plays: workloads, CSI snapshots and PVC binding, Velero across clusters, routes.</summary>
public sealed class SimulatedControllersTests(TwoClusters sim) : IClassFixture<TwoClusters>
{
    private static readonly ResourceType<DynamicObject> Snapshots = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true);
    private static readonly ResourceType<DynamicObject> SnapshotClasses = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false);
    private static readonly ResourceType<DynamicObject> Contents = Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshotcontents", "VolumeSnapshotContent", false);
    private static readonly ResourceType<DynamicObject> Backups = Resources.Dynamic("velero.io", "v1", "backups", "Backup", true);
    private static readonly ResourceType<DynamicObject> Restores = Resources.Dynamic("velero.io", "v1", "restores", "Restore", true);
    private static readonly ResourceType<DynamicObject> Locations = Resources.Dynamic("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", true);
    private static readonly ResourceType<DynamicObject> Routes = Resources.Dynamic("route.openshift.io", "v1", "routes", "Route", true);

    private static DynamicObject Obj(string? ns, string name, string json) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Fields = JsonNode.Parse(json)!.AsObject(),
    };

    private static async Task EnsureNamespace(KubeClient c, string ns)
    {
        try { await c.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } }); }
        catch (KubeApiException e) when (e.IsAlreadyExists) { }
    }

    [Fact]
    public async Task Statefulset_becomes_ready_for_its_generation_and_scale_to_zero_settles()
    {
        using var c = SimClients.For(sim.Host, "sbg");
        await EnsureNamespace(c, "wl");
        await c.CreateAsync(Resources.StatefulSets, Obj("wl", "mongo", """{"spec":{"replicas":3,"serviceName":"mongo","selector":{"matchLabels":{"app":"mongo"}},"template":{"metadata":{"labels":{"app":"mongo"}},"spec":{"containers":[{"name":"m","image":"mongo:6"}]}}}}"""));
        await Eventually.HoldsAsync(async () => (long?)(await c.GetAsync(Resources.StatefulSets, "wl", "mongo")).Status?["readyReplicas"] == 3, "3 ready");
        await c.PatchAsync(Resources.StatefulSets, "wl", "mongo", PatchType.Merge, "{\"spec\":{\"replicas\":0}}", "scale");
        await Eventually.HoldsAsync(async () =>
        {
            var s = await c.GetAsync(Resources.StatefulSets, "wl", "mongo");
            return (long?)s.Status?["replicas"] == 0 && (long?)s.Status?["observedGeneration"] == s.Metadata.Generation;
        }, "scaled to zero");
    }

    [Fact]
    public async Task Volume_snapshot_gets_a_bound_content_and_a_pvc_restored_from_it_binds()
    {
        using var c = SimClients.For(sim.Host, "sbg");
        await EnsureNamespace(c, "snap");
        await c.CreateAsync(SnapshotClasses, Obj(null, "csi-ceph-rbd", """{"driver":"rbd.csi.ceph.com","deletionPolicy":"Delete"}"""));
        await c.CreateAsync(Resources.PersistentVolumeClaims, Obj("snap", "data", """{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"5Gi"}}}}"""));
        await Eventually.HoldsAsync(async () => (string?)(await c.GetAsync(Resources.PersistentVolumeClaims, "snap", "data")).Status?["phase"] == "Bound", "pvc bound");
        await c.CreateAsync(Snapshots, Obj("snap", "data-1", """{"spec":{"volumeSnapshotClassName":"csi-ceph-rbd","source":{"persistentVolumeClaimName":"data"}}}"""));
        await Eventually.HoldsAsync(async () => (bool?)(await c.GetAsync(Snapshots, "snap", "data-1")).Status?["readyToUse"] == true, "snapshot ready");
        var snap = await c.GetAsync(Snapshots, "snap", "data-1");
        ((string?)snap.Status!["restoreSize"]).ShouldBe("5Gi");
        snap.Status["creationTime"].ShouldNotBeNull();
        var content = await c.GetAsync(Contents, null, (string)snap.Status["boundVolumeSnapshotContentName"]!);
        ((string?)content.Spec!["volumeSnapshotRef"]!["name"]).ShouldBe("data-1");
        ((long?)content.Status!["restoreSize"]).ShouldBe(5L << 30);
        await c.CreateAsync(Resources.PersistentVolumeClaims, Obj("snap", "restored", """{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"5Gi"}},"dataSource":{"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"data-1"}}}"""));
        await Eventually.HoldsAsync(async () => (string?)(await c.GetAsync(Resources.PersistentVolumeClaims, "snap", "restored")).Status?["phase"] == "Bound", "restored pvc bound");
        await c.CreateAsync(Snapshots, Obj("snap", "orphan", """{"spec":{"volumeSnapshotClassName":"csi-ceph-rbd","source":{"persistentVolumeClaimName":"nope"}}}"""));
        await Eventually.HoldsAsync(async () => (await c.GetAsync(Snapshots, "snap", "orphan")).Status?["error"] is not null, "snapshot error");
        await c.DeleteAsync(Snapshots, "snap", "data-1");
        await Eventually.HoldsAsync(async () => await c.TryGetAsync(Contents, null, content.Name) is null, "content deleted with its snapshot");
    }

    [Fact]
    public async Task A_velero_backup_taken_on_sbg_is_restored_on_rbx_with_mapping_and_labels()
    {
        using var sbg = SimClients.For(sim.Host, "sbg");
        using var rbx = SimClients.For(sim.Host, "rbx");
        foreach (var c in new[] { sbg, rbx })
        {
            await EnsureNamespace(c, "openshift-adp");
            await c.CreateAsync(Locations, Obj("openshift-adp", "shared", """{"spec":{"provider":"aws","objectStorage":{"bucket":"demat-pra"}}}"""));
        }
        await EnsureNamespace(sbg, "platau-prod");
        await sbg.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "app-config", Namespace = "platau-prod" }, Data = new() { ["url"] = "https://platau" } });
        await sbg.CreateAsync(Resources.Deployments, Obj("platau-prod", "api", """{"spec":{"replicas":2,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"api","image":"platau:1"}]}}}}"""));
        await sbg.CreateAsync(Backups, Obj("openshift-adp", "platau-0300", """{"spec":{"includedNamespaces":["platau-prod"],"storageLocation":"shared","ttl":"720h0m0s"}}"""));
        await Eventually.HoldsAsync(async () => (string?)(await sbg.GetAsync(Backups, "openshift-adp", "platau-0300")).Status?["phase"] == "Completed", "backup completed");
        var backup = await sbg.GetAsync(Backups, "openshift-adp", "platau-0300");
        backup.Status!["startTimestamp"].ShouldNotBeNull();
        ((long?)backup.Status["progress"]!["itemsBackedUp"]).ShouldBe(2);
        // Velero's backup sync makes the backup visible on the other cluster that shares the location.
        await Eventually.HoldsAsync(async () => (string?)(await rbx.TryGetAsync(Backups, "openshift-adp", "platau-0300"))?.Status?["phase"] == "Completed", "backup synced to rbx");
        await rbx.CreateAsync(Restores, Obj("openshift-adp", "pra-drill-1", """{"spec":{"backupName":"platau-0300","namespaceMapping":{"platau-prod":"platau-pra"}}}"""));
        await Eventually.HoldsAsync(async () => (string?)(await rbx.GetAsync(Restores, "openshift-adp", "pra-drill-1")).Status?["phase"] == "Completed", "restore completed");
        var restored = await rbx.GetAsync(Resources.ConfigMaps, "platau-pra", "app-config");
        restored.Data!["url"].ShouldBe("https://platau");
        restored.Metadata.Labels!["velero.io/restore-name"].ShouldBe("pra-drill-1");
        (await rbx.GetAsync(Resources.Deployments, "platau-pra", "api")).Metadata.Labels!["velero.io/backup-name"].ShouldBe("platau-0300");
        // excludedResources, as Velero names resources (plural or plural.group): those kinds stay in the backup, unrestored.
        await rbx.CreateAsync(Restores, Obj("openshift-adp", "no-deployments", """{"spec":{"backupName":"platau-0300","namespaceMapping":{"platau-prod":"platau-partial"},"excludedResources":["deployments.apps"]}}"""));
        await Eventually.HoldsAsync(async () => (string?)(await rbx.GetAsync(Restores, "openshift-adp", "no-deployments")).Status?["phase"] == "Completed", "partial restore completed");
        (await rbx.TryGetAsync(Resources.ConfigMaps, "platau-partial", "app-config")).ShouldNotBeNull();
        (await rbx.TryGetAsync(Resources.Deployments, "platau-partial", "api")).ShouldBeNull("deployments.apps excluded");
        ((long?)(await rbx.GetAsync(Restores, "openshift-adp", "no-deployments")).Status!["progress"]!["itemsRestored"]).ShouldBe(1);
        await rbx.CreateAsync(Restores, Obj("openshift-adp", "missing", """{"spec":{"backupName":"nope"}}"""));
        await Eventually.HoldsAsync(async () => (string?)(await rbx.GetAsync(Restores, "openshift-adp", "missing")).Status?["phase"] == "FailedValidation", "restore of a missing backup fails validation");
    }

    [Fact]
    public async Task Injected_velero_failure_ends_the_backup_failed()
    {
        using var c = SimClients.For(sim.Host, "sbg");
        await EnsureNamespace(c, "openshift-adp");
        try { await c.CreateAsync(Locations, Obj("openshift-adp", "default", """{"spec":{"provider":"aws","objectStorage":{"bucket":"b"}}}""")); } catch (KubeApiException e) when (e.IsAlreadyExists) { }
        sim.Host["sbg"].Controllers.Velero.FailBackup = b => b.Name == "doomed" ? "object storage unreachable" : null;
        await c.CreateAsync(Backups, Obj("openshift-adp", "doomed", """{"spec":{"includedNamespaces":["x"]}}"""));
        await Eventually.HoldsAsync(async () => (string?)(await c.GetAsync(Backups, "openshift-adp", "doomed")).Status?["phase"] == "Failed", "backup failed");
        ((string?)(await c.GetAsync(Backups, "openshift-adp", "doomed")).Status!["failureReason"]).ShouldBe("object storage unreachable");
    }

    [Fact]
    public async Task Routes_are_admitted()
    {
        using var c = SimClients.For(sim.Host, "sbg");
        await EnsureNamespace(c, "web");
        await c.CreateAsync(Routes, Obj("web", "platau", """{"spec":{"to":{"kind":"Service","name":"platau"}}}"""));
        await Eventually.HoldsAsync(async () => (string?)(await c.GetAsync(Routes, "web", "platau")).Status?["ingress"]?[0]?["conditions"]?[0]?["type"] == "Admitted", "route admitted");
    }
}

/// <summary>Fault injection: error rates with Retry-After, dropped watches, forced 410, an unreachable cluster.</summary>
public sealed class FaultInjectionTests : IAsyncLifetime
{
    private readonly SimFixture _sim = new();
    public Task InitializeAsync() => _sim.InitializeAsync();
    public Task DisposeAsync() => _sim.DisposeAsync();

    [Fact]
    public async Task Injected_429_carries_retry_after_and_the_client_retries_it()
    {
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        http.DefaultRequestHeaders.Authorization = new("Bearer", _sim.Cluster.Auth.AdminToken);
        _sim.Cluster.Faults.FailRequests(429, verb: "list", resource: "configmaps", retryAfterSeconds: 1, count: 1);
        var response = await http.GetAsync($"{_sim.Host.Servers[0].Url}/api/v1/namespaces/default/configmaps");
        ((int)response.StatusCode).ShouldBe(429);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));
        _sim.Cluster.Faults.FailRequests(503, verb: "list", resource: "configmaps", count: 2);
        using var c = SimClients.For(_sim.Host, "sim");
        (await c.ListAsync(Resources.ConfigMaps, "default")).ShouldNotBeNull();
    }

    [Fact]
    public async Task Watches_are_cut_after_n_events_and_a_forced_410_hits_the_next_watch()
    {
        using var c = SimClients.For(_sim.Host, "sim");
        var rv = _sim.Cluster.CurrentResourceVersion.ToString();
        for (var i = 0; i < 5; i++) await c.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = $"cut-{i}", Namespace = "default" } });
        _sim.Cluster.Faults.DropWatchesAfterEvents = 2;
        var seen = 0;
        await foreach (var _ in c.WatchAsync(Resources.ConfigMaps, "default", new WatchRequest(rv, AllowBookmarks: false))) seen++;
        seen.ShouldBe(2);
        _sim.Cluster.Faults.DropWatchesAfterEvents = null;
        _sim.Cluster.Faults.ExpireNextWatch();
        var e = await Should.ThrowAsync<KubeApiException>(async () =>
        {
            await foreach (var _ in c.WatchAsync(Resources.ConfigMaps, "default", new WatchRequest(rv, AllowBookmarks: false))) { }
        });
        e.Code.ShouldBe(410);
    }

    [Fact]
    public async Task Unreachable_cluster_refuses_connections_and_comes_back_on_the_same_port()
    {
        using var c = SimClients.For(_sim.Host, "sim", options: new KubeClientOptions { MaxRetries = 0 });
        _sim.Cluster.Faults.Unreachable = true;
        await Eventually.HoldsAsync(async () =>
        {
            try { await c.ListAsync(Resources.ConfigMaps, "default"); return false; }
            catch (KubeConnectionException e) { return !e.MayHaveBeenProcessed; }
        }, "connection refused");
        _sim.Cluster.Faults.Unreachable = false;
        await Eventually.HoldsAsync(async () =>
        {
            try { await c.ListAsync(Resources.ConfigMaps, "default"); return true; }
            catch (KubeConnectionException) { return false; }
        }, "reachable again");
    }
}
