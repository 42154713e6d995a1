using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Drills;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.ServiceLevels;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Drills;

/// <summary>
/// The PRA with Kasten K10 on two emulated clusters: production on sbg backs up and exports to a location profile,
/// rbx's K10 imports the exports, and the drill on rbx restores the newest imported one, verifies, measures and
/// rolls back. Every guarantee of the Velero drill must hold here too.
/// </summary>
public sealed class KastenPraDrillTests : IAsyncLifetime
{
    private const string Ns = "dematoperator-system";
    private const string K10 = "kasten-io";
    private const string Profile = "ovh-s3";
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 3, 14, 20, 0, 0, TimeSpan.Zero));
    private readonly MetricsRegistry _metrics = new();
    private SimHost _host = null!;
    private KubeClient _sbg = null!;
    private KubeClient _rbx = null!;
    /// <summary>The operator's own client on rbx: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg", "rbx");
        _sbg = new KubeClient(KubeConfigLoader.FromText(_host.Kubeconfig(), "sbg"), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10), MaxRetries = 1 }, time: _clock);
        _rbx = new KubeClient(KubeConfigLoader.FromText(_host.Kubeconfig(), "rbx"), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, time: _clock);
        _operator = OperatorClusters.Operator(_host, "rbx", _metrics, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        foreach (var c in new[] { _sbg, _rbx })
        {
            await Namespace(c, K10);
            await c.CreateAsync(ForeignKinds.KastenProfiles, new KastenProfile { Metadata = new ObjectMeta { Name = Profile, Namespace = K10 } });
        }
        await Namespace(_sbg, "platau-prod");
        await Workload(_sbg, Resources.Deployments, "platau-prod", "platau-portal", 2);
        await Workload(_sbg, Resources.StatefulSets, "platau-prod", "mongodb", 3);
        await _sbg.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy
        {
            Metadata = new ObjectMeta { Name = "platau-kasten", Namespace = "platau-prod" },
            Spec = new BackupPolicySpec { Schedule = "0 */2 * * *", Method = "Kasten", Target = new BackupTarget { Namespaces = ["platau-prod"] }, Kasten = new KastenOptions { Policy = "platau-4h", ExportProfile = Profile } },
        });
        await _sbg.CreateAsync(ForeignKinds.KastenPolicies, new KastenPolicy
        {
            Metadata = new ObjectMeta { Name = "platau-4h", Namespace = K10 },
            Spec = new KastenPolicySpec
            {
                Frequency = "@onDemand", Selector = new LabelSelectorSpec { MatchLabels = new() { [KastenLabels.AppNamespace] = "platau-prod" } },
                Actions = [new KastenPolicyAction { Action = KastenPolicyActions.Backup },
                           new KastenPolicyAction { Action = KastenPolicyActions.Export, ExportParameters = new KastenExportParameters { Profile = new KastenObjectRef { Name = Profile, Namespace = K10 } } }],
            },
        });
        // The recovery site's K10 imports what production exports to the shared profile.
        await _rbx.CreateAsync(ForeignKinds.KastenPolicies, new KastenPolicy
        {
            Metadata = new ObjectMeta { Name = "import-sbg", Namespace = K10 },
            Spec = new KastenPolicySpec { Frequency = "@hourly", Actions = [new KastenPolicyAction { Action = KastenPolicyActions.Import }] },
        });
        await _rbx.PatchAsync(ForeignKinds.KastenPolicies, K10, "import-sbg", PatchType.Merge,
            """{"spec":{"actions":[{"action":"import","importParameters":{"profile":{"name":"ovh-s3","namespace":"kasten-io"}}}]}}""");
        await Namespace(_rbx, "preprod");
        await Workload(_rbx, Resources.Deployments, "preprod", "app", 3);
        // The remote cluster is read as the operator's ServiceAccount there (config/rbac applied on both sites).
        var sbgKubeconfig = OperatorClusters.OperatorKubeconfig(_host, "sbg");
        await _rbx.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "sbg-kubeconfig", Namespace = Ns }, Data = new() { ["kubeconfig"] = Encoding.UTF8.GetBytes(sbgKubeconfig) } });
    }

    public async Task DisposeAsync()
    {
        _sbg.Dispose();
        _rbx.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
    }

    private static Task Namespace(KubeClient c, string name) => c.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = name } });

    private static Task Workload(KubeClient c, ResourceType<DynamicObject> type, string ns, string name, int replicas) => TestObjects.Workload(c, type, ns, name, replicas);

    /// <summary>A production run of the K10 policy on sbg, exported to the profile and imported on rbx.</summary>
    private async Task<KastenRestorePointContent> ProductionExport(string runAction)
    {
        await _sbg.CreateAsync(ForeignKinds.KastenRunActions, new KastenRunAction
        {
            Metadata = new ObjectMeta { Name = runAction, Namespace = K10 },
            Spec = new KastenRunActionSpec { Subject = new KastenObjectRef { Kind = "Policy", Name = "platau-4h", Namespace = K10 } },
        });
        KastenRestorePointContent? imported = null;
        await AdvanceUntil(async () => (imported = (await _rbx.ListAsync(ForeignKinds.KastenRestorePointContents, null)).Items
            .FirstOrDefault(c => c.Name.Contains(runAction) && c.Status?.ActionTime is not null)) is not null, $"{runAction} exported and imported on rbx");
        return imported!;
    }

    private RunningOperator StartOperator()
    {
        var informer = new Informer<PraDrill>(_operator, OperatorKinds.PraDrills);
        var probes = new ProbeRunner(_operator);
        var remotes = new RemoteClusters(_operator);
        var controller = PraDrillController.Create(_operator, informer, remotes, probes, new EventRecorder(_operator, "dematoperator"), _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        return new RunningOperator(Task.WhenAll(informer.RunAsync(stop.Token), controller.RunAsync(stop.Token)), stop, probes, remotes);
    }

    private Task CreateDrill(Action<PraDrillSpec>? tweak = null)
    {
        var spec = new PraDrillSpec
        {
            Objectives = new DrillObjectives { Rto = "2h", Rpo = "4h" },
            Source = new DrillSource { Kubeconfig = new KubeconfigSecretRef { Name = "sbg-kubeconfig", Context = "sbg" }, Namespaces = ["platau-prod"] },
            Backup = new DrillBackup { Engine = "Kasten", Kasten = new DrillKasten { ExportProfile = Profile }, BackupPolicy = "platau-kasten", BackupPolicyNamespace = "platau-prod" },
            Quiesce = new DrillQuiesce { Namespaces = ["preprod"] },
            Verify = new DrillVerify { Timeout = "20m" },
        };
        tweak?.Invoke(spec);
        return _rbx.CreateAsync(OperatorKinds.PraDrills, new PraDrill { Metadata = new ObjectMeta { Name = "pra", Namespace = Ns }, Spec = spec });
    }

    private Task<PraDrill> Drill() => _rbx.GetAsync(OperatorKinds.PraDrills, Ns, "pra");

    private Task RunNow(string value) => _rbx.PatchAsync(OperatorKinds.PraDrills, Ns, "pra", PatchType.Merge,
        new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [DrillMarks.RunNowAnnotation] = value } } }.ToJsonString());

    private async Task AdvanceUntil(Func<Task<bool>> condition, string what, int maxSteps = 400)
    {
        for (var i = 0; !await condition(); i++)
        {
            if (i >= maxSteps)
            {
                var drills = (await _rbx.ListAsync(OperatorKinds.PraDrills, Ns)).Items;
                throw new Xunit.Sdk.XunitException($"not reached after {maxSteps} steps: {what}\n" +
                    string.Join("\n", drills.Select(d => $"{d.Name}: {d.Status?.Phase} {string.Join(" | ", d.Status?.CurrentRun?.Steps.Select(s => $"{s.Name} {s.State} {s.Message}") ?? [])}")));
            }
            _clock.Advance(TimeSpan.FromSeconds(2));
            await Task.Delay(30);
        }
    }

    private async Task<DrillRunSummary> RunToEnd()
    {
        await AdvanceUntil(async () => (await Drill()).Status is { History.Count: > 0, CurrentRun: null }, "run finished");
        return (await Drill()).Status!.History![0];
    }

    private async Task AssertGivenBack()
    {
        ((int?)(await _rbx.GetAsync(Resources.Deployments, "preprod", "app")).Spec!["replicas"]).ShouldBe(3, "the test environment has its replicas back");
        await AdvanceUntil(async () => await _rbx.TryGetAsync(Resources.Namespaces, null, "platau-prod") is null, "restored namespace deleted", maxSteps: 100);
    }

    [Fact]
    public async Task A_rehearsal_restores_the_newest_exported_point_without_our_resources_measures_it_and_rolls_back()
    {
        // Production holds one object of each of our kinds: the exports carry them, the rehearsal must restore none.
        await OurKindsInNamespace.CreateAsync(_sbg, "platau-prod");
        var older = await ProductionExport("platau-4h-run-1");
        _clock.Advance(TimeSpan.FromMinutes(30));
        var newest = await ProductionExport("platau-4h-run-2");
        _clock.Advance(TimeSpan.FromMinutes(10));
        await CreateDrill();
        await using var op = StartOperator();
        await Eventually.HoldsAsync(async () => (await Drill()).Status?.Phase == DrillPhase.Idle, "idle");
        await RunNow("pra-2026");

        await AdvanceUntil(async () => (await Drill()).Status?.CurrentRun?.Steps.FirstOrDefault(s => s.Name == DrillStepName.Restore)?.State == StepState.Succeeded, "restored");
        var run = (await Drill()).Status!.CurrentRun!;
        run.RecoveryPoints!.ShouldHaveSingleItem().Name.ShouldBe(newest.Name, "the newest export, not the older one");
        (await _rbx.TryGetAsync(Resources.Deployments, "platau-prod", "platau-portal")).ShouldNotBeNull("production's workloads restored");
        (await OurKindsInNamespace.FoundAsync(_rbx, "platau-prod")).ShouldBeEmpty("a rehearsal restores none of DematOperator's resources");
        var action = (await _rbx.ListAsync(ForeignKinds.KastenRestoreActions, "platau-prod")).Items.Single();
        action.Name.ShouldBe(run.Name);
        action.Spec!.TargetNamespace.ShouldBe("platau-prod");
        action.Spec.Profile!.Name.ShouldBe(Profile);
        action.Spec.Filters!.ExcludeResources!.Where(f => f.Group == Group.Name).Select(f => f.Resource).Order()
            .ShouldBe(OurKindsInNamespace.All.Select(k => k.Plural).Order());
        var point = await _rbx.GetAsync(ForeignKinds.KastenRestorePoints, "platau-prod", run.Name);
        point.Spec!.RestorePointContentRef!.Name.ShouldBe(newest.Name);

        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        result.RpoSeconds!.Value.ShouldBeInRange(10 * 60, 12 * 60, "the restored data is the newest export's, taken ~10 minutes before the run");
        result.BackupName.ShouldBe(newest.Name);
        var report = await _rbx.GetAsync(Resources.ConfigMaps, Ns, result.Report!);
        report.Data!["report.md"].ShouldContain("Moteur / engine : Kasten");
        report.Data["report.md"].ShouldContain(newest.Name);
        ((string?)JsonNode.Parse(report.Data["report.json"])!["backup"]!["engine"]).ShouldBe("Kasten");
        await AssertGivenBack();
        // Production's backups are untouched: both imported contents and the exports stay for the next drill.
        (await _rbx.ListAsync(ForeignKinds.KastenRestorePointContents, null)).Items.Select(c => c.Name).ShouldBe([older.Name, newest.Name], ignoreOrder: true);
        (await _sbg.ListAsync(ForeignKinds.KastenRestorePoints, "platau-prod")).Items.Count.ShouldBe(4, "two local and two exported points on production");
        (await _rbx.ListAsync(Resources.Leases, K10)).Items.ShouldBeEmpty("the drill's lock, next to K10, is released");
    }

    [Fact]
    public async Task A_failed_RestoreAction_fails_the_run_with_K10s_message_and_still_gives_the_test_environments_back()
    {
        await ProductionExport("platau-4h-run-1");
        _host["rbx"].Controllers.Kasten.FailAction = a => a.StorageKey.EndsWith("restoreactions") ? "the location profile ovh-s3 returned 403" : null;
        await CreateDrill();
        await using var op = StartOperator();
        await RunNow("1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Failed);
        result.Reason.ShouldBe(DrillReasons.RestoreFailed);
        result.Message!.ShouldContain("returned 403");
        await AssertGivenBack();
    }

    [Fact]
    public async Task A_source_namespace_with_no_imported_export_is_refused_naming_it_while_the_others_have_one()
    {
        // platau-prod was exported and imported; platau-dossiers, also named by the drill, never was.
        await ProductionExport("platau-4h-run-1");
        await CreateDrill(s => s.Source.Namespaces = ["platau-prod", "platau-dossiers"]);
        await using var op = StartOperator();
        await RunNow("1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Refused);
        result.Reason.ShouldBe(DrillReasons.BackupMissesNamespace, result.Message);
        result.Message!.ShouldContain("imported on the target for platau-dossiers; there is for platau-prod");
        (await _rbx.ListAsync(ForeignKinds.KastenRestoreActions, null)).Items.ShouldBeEmpty("refused before anything was restored");
        await AssertGivenBack();
    }

    [Fact]
    public async Task A_RestoreAction_K10_calls_Complete_that_restored_nothing_is_never_a_success()
    {
        await ProductionExport("platau-4h-run-1");
        _host["rbx"].Controllers.Kasten.RestoreNothing = _ => true;
        await CreateDrill();
        await using var op = StartOperator();
        await RunNow("1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Failed);
        result.Reason.ShouldBe(DrillReasons.NothingRestored);
        await AssertGivenBack();
    }

    [Fact]
    public async Task Without_an_imported_export_the_run_is_refused_and_touches_nothing()
    {
        // Production backed up locally only: nothing reached the shared profile.
        await CreateDrill();
        await using var op = StartOperator();
        await RunNow("1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Refused);
        result.Reason.ShouldBe(DrillReasons.NoCompletedBackup);
        result.Message!.ShouldContain("import policy");
        ((int?)(await _rbx.GetAsync(Resources.Deployments, "preprod", "app")).Spec!["replicas"]).ShouldBe(3);
        (await _rbx.TryGetAsync(Resources.Namespaces, null, "platau-prod")).ShouldBeNull();
    }

    [Fact]
    public async Task A_BackupPolicy_of_another_method_or_export_profile_makes_the_drill_unsuitable()
    {
        await CreateDrill(s => s.Backup.Kasten!.ExportProfile = "elsewhere");
        await using var op = StartOperator();
        await Eventually.HoldsAsync(async () => Conditions.Find((await Drill()).Status?.Conditions, "Ready")?.Reason == DrillConditions.UnsuitableBackupPolicy, "unsuitable");
        Conditions.Find((await Drill()).Status!.Conditions, "Ready")!.Message!.ShouldContain("exports to ovh-s3, not to elsewhere");
    }

    [Theory]
    [InlineData("kube-root-ca.crt", null, true)]
    [InlineData("openshift-service-ca.crt", null, true)]
    [InlineData("default-dockercfg-x7k2p", "default", true)]
    [InlineData("builder-token-9qz4m", "builder", true)]
    [InlineData("platau-settings", null, false)]
    [InlineData("mongodb-credentials", null, false)]
    public void What_every_namespace_holds_by_itself_is_never_taken_for_restored_data(string name, string? serviceAccount, bool automatic)
    {
        var o = new ConfigMap { Metadata = new ObjectMeta { Name = name, Annotations = serviceAccount is null ? null : new() { ["kubernetes.io/service-account.name"] = serviceAccount } } };
        OperatorKinds.IsAutomatic(o).ShouldBe(automatic);
    }

    [Theory]
    [InlineData(null, null, "spec.backup.kasten.exportProfile")]
    [InlineData("ovh-s3", "nightly", "spec.backup.veleroSchedule")]
    public void Engine_Kasten_needs_an_export_profile_and_no_Velero_schedule(string? profile, string? schedule, string field)
    {
        var spec = new PraDrillSpec
        {
            Schedule = "0 21 * * 6", Source = new DrillSource { Namespaces = ["platau-prod"] },
            Backup = new DrillBackup { Engine = "Kasten", Kasten = profile is null ? null : new DrillKasten { ExportProfile = profile }, VeleroSchedule = schedule },
        };
        PraDrillChecks.Check(spec).ShouldContain(p => p.Field == field && p.Reason == "InvalidBackupSource" && !p.Warning);
        spec.Backup = new DrillBackup { Engine = "Kasten", Kasten = new DrillKasten { ExportProfile = "ovh-s3" } };
        PraDrillChecks.Check(spec).Where(p => !p.Warning).ShouldBeEmpty("a BackupPolicy is optional with Kasten");
    }
}
