using System.Text;
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

/// <summary>A RestoreRequest on sbg restoring into rbx through a kubeconfig Secret: Velero and Kasten can, CSI cannot.</summary>
public sealed class RestoreAcrossClustersTests : IAsyncLifetime
{
    private const string Ns = "platau-prod";
    private readonly ManualTimeProvider _clock = new(TestClock.Start);
    private readonly MetricsRegistry _metrics = new();
    private SimHost _host = null!;
    private KubeClient _sbg = null!;
    private KubeClient _rbx = null!;
    /// <summary>The operator's own client on sbg: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg", "rbx");
        _sbg = new KubeClient(KubeConfigLoader.FromText(_host.Kubeconfig(), "sbg"), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, time: _clock);
        _operator = OperatorClusters.Operator(_host, "sbg", _metrics, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        _rbx = new KubeClient(KubeConfigLoader.FromText(_host.Kubeconfig(), "rbx"), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, time: _clock);
        foreach (var c in new[] { _sbg, _rbx })
        {
            foreach (var ns in new[] { "openshift-adp", "kasten-io" }) await c.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
            await c.CreateAsync(Resources.Dynamic("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", true), new DynamicObject
            {
                Metadata = new ObjectMeta { Name = "default", Namespace = "openshift-adp" }, Fields = JsonNode.Parse("""{"spec":{"provider":"aws","objectStorage":{"bucket":"pra"}}}""")!.AsObject(),
            });
            await c.CreateAsync(ForeignKinds.KastenProfiles, new KastenProfile { Metadata = new ObjectMeta { Name = "ovh-s3", Namespace = "kasten-io" } });
        }
        await _rbx.CreateAsync(ForeignKinds.KastenPolicies, new KastenPolicy { Metadata = new ObjectMeta { Name = "import", Namespace = "kasten-io" }, Spec = new KastenPolicySpec { Actions = [new KastenPolicyAction { Action = KastenPolicyActions.Import }] } });
        await _rbx.PatchAsync(ForeignKinds.KastenPolicies, "kasten-io", "import", PatchType.Merge, """{"spec":{"actions":[{"action":"import","importParameters":{"profile":{"name":"ovh-s3"}}}]}}""");
        await _sbg.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = Ns } });
        await _sbg.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "settings", Namespace = Ns }, Data = new() { ["tier"] = "OR" } });
        await _sbg.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "data", Namespace = Ns }, Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""")!.AsObject(),
        });
        await _sbg.CreateAsync(Resources.Dynamic("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false), new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "csi" }, Fields = JsonNode.Parse("""{"driver":"rbd.csi.ceph.com","deletionPolicy":"Delete"}""")!.AsObject(),
        });
        foreach (var (name, method) in new[] { ("velero", "Velero"), ("kasten", "Kasten"), ("csi", "CSISnapshot") })
            await _sbg.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy
            {
                Metadata = new ObjectMeta { Name = name, Namespace = Ns },
                Spec = new BackupPolicySpec
                {
                    Schedule = "0 0 1 1 *", Method = method, Target = new BackupTarget { Namespaces = [Ns] },
                    Kasten = method == "Kasten" ? new KastenOptions { ExportProfile = "ovh-s3" } : null,
                    CsiSnapshot = method == "CSISnapshot" ? new CsiSnapshotOptions { VolumeSnapshotClassName = "csi" } : null,
                },
            });
        // The remote cluster is read as the operator's ServiceAccount there (config/rbac applied on both sites).
        var rbxKubeconfig = OperatorClusters.OperatorKubeconfig(_host, "rbx");
        await _sbg.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "rbx", Namespace = Ns }, Data = new() { ["kubeconfig"] = Encoding.UTF8.GetBytes(rbxKubeconfig) } });
    }

    public async Task DisposeAsync()
    {
        _sbg.Dispose();
        _rbx.Dispose();
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

    private async Task<RestoreRequest> Restore(string name, string policy, string target)
    {
        await _sbg.CreateAsync(OperatorKinds.RestoreRequests, new RestoreRequest
        {
            Metadata = new ObjectMeta { Name = name, Namespace = Ns },
            Spec = new RestoreRequestSpec { BackupPolicy = policy, TargetNamespace = target, TargetCluster = new KubeconfigSecretRef { Name = "rbx" } },
        });
        await AdvanceUntil(async () => (await _sbg.GetAsync(OperatorKinds.RestoreRequests, Ns, name)).Status?.Phase is RestorePhase.Succeeded or RestorePhase.Failed, $"{name} ended");
        return await _sbg.GetAsync(OperatorKinds.RestoreRequests, Ns, name);
    }

    [Fact]
    public async Task Velero_and_Kasten_recovery_points_restore_into_the_other_cluster_and_CSI_ones_are_refused()
    {
        await using var op = StartOperator();
        foreach (var p in new[] { "velero", "kasten", "csi" })
            await _sbg.PatchAsync(OperatorKinds.BackupPolicies, Ns, p, PatchType.Merge, """{"metadata":{"annotations":{"ops.demat.gouv.fr/run-now":"1"}}}""");
        foreach (var p in new[] { "velero", "kasten", "csi" })
            await AdvanceUntil(async () => (await _sbg.GetAsync(OperatorKinds.BackupPolicies, Ns, p)).Status?.LastRun?.Phase == "Succeeded", $"{p} backed up");
        // The recovery site sees production's backups through the shared storage: Velero's sync, K10's import.
        await AdvanceUntil(async () => (await _rbx.ListAsync(ForeignKinds.VeleroBackups, "openshift-adp")).Items.Count > 0
                                       && (await _rbx.ListAsync(ForeignKinds.KastenRestorePointContents, null)).Items.Count > 0, "synced and imported on rbx");

        var velero = await Restore("to-rbx-velero", "velero", "platau-from-velero");
        velero.Status!.Phase.ShouldBe(RestorePhase.Succeeded, velero.Status.Message);
        (await _rbx.GetAsync(Resources.ConfigMaps, "platau-from-velero", "settings")).Data!["tier"].ShouldBe("OR");
        (await _rbx.ListAsync(ForeignKinds.VeleroRestores, "openshift-adp")).Items.ShouldHaveSingleItem();
        (await _sbg.ListAsync(ForeignKinds.VeleroRestores, "openshift-adp")).Items.ShouldBeEmpty("the restore ran on the target cluster");

        var kasten = await Restore("to-rbx-kasten", "kasten", "platau-from-kasten");
        kasten.Status!.Phase.ShouldBe(RestorePhase.Succeeded, kasten.Status.Message);
        (await _rbx.GetAsync(Resources.ConfigMaps, "platau-from-kasten", "settings")).Data!["tier"].ShouldBe("OR");
        (await _rbx.GetAsync(ForeignKinds.KastenRestoreActions, "platau-from-kasten", "platau-prod-to-rbx-kasten")).Spec!.Profile!.Name.ShouldBe("ovh-s3");

        var csi = await Restore("to-rbx-csi", "csi", "platau-from-csi");
        csi.Status!.FailureReason.ShouldBe(RestoreReasons.SnapshotsAreLocal);
        (await _rbx.TryGetAsync(Resources.Namespaces, null, "platau-from-csi")).ShouldBeNull();
    }
}
