using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Drills;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.ServiceLevels;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Drills;

/// <summary>
/// The PRA end to end on two emulated clusters sharing a Velero object store: production on sbg, the
/// operator and the test environments on rbx, one manual clock for everything.
/// </summary>
public sealed class PraDrillTests : IAsyncLifetime
{
    private static readonly ResourceType<DynamicObject> Backups = Resources.Dynamic("velero.io", "v1", "backups", "Backup", true);
    private static readonly ResourceType<DynamicObject> Restores = Resources.Dynamic("velero.io", "v1", "restores", "Restore", true);
    private static readonly ResourceType<DynamicObject> Locations = Resources.Dynamic("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", true);
    private static readonly ResourceType<DynamicObject> CronJobs = Resources.Dynamic("batch", "v1", "cronjobs", "CronJob", true);
    private const string Ns = "dematoperator-system";

    // Saturday 14 March 2026, 21:00 in Paris.
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 3, 14, 20, 0, 0, TimeSpan.Zero));
    private readonly MetricsRegistry _metrics = new();
    private SimHost _host = null!;
    private KubeClient _sbg = null!;
    private KubeClient _rbx = null!;
    /// <summary>The operator's own client on rbx: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;

    /// <summary>The test environments on rbx as the drill must give them back: (namespace, deployment replicas, cronjob suspended).</summary>
    private static readonly (string Ns, int Replicas, bool Suspended)[] TestEnvironments = [("preprod", 3, false), ("validation", 2, true), ("demo", 0, false), ("perf", 1, false)];

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg", "rbx");
        _sbg = new KubeClient(KubeConfigLoader.FromText(_host.Kubeconfig(), "sbg"), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10), MaxRetries = 1 }, time: _clock);
        _rbx = new KubeClient(KubeConfigLoader.FromText(_host.Kubeconfig(), "rbx"), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, time: _clock);
        _operator = OperatorClusters.Operator(_host, "rbx", _metrics, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        foreach (var c in new[] { _sbg, _rbx })
        {
            await Namespace(c, "openshift-adp");
            await c.CreateAsync(Locations, new DynamicObject { Metadata = new ObjectMeta { Name = "default", Namespace = "openshift-adp" }, Fields = JsonNode.Parse("""{"spec":{"provider":"aws","objectStorage":{"bucket":"pra"}}}""")!.AsObject() });
        }
        await Namespace(_sbg, "platau-prod");
        await Workload(_sbg, Resources.Deployments, "platau-prod", "platau-portal", 2);
        await Workload(_sbg, Resources.StatefulSets, "platau-prod", "mongodb", 3);
        await _sbg.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy
        {
            Metadata = new ObjectMeta { Name = "platau-velero", Namespace = "platau-prod" },
            Spec = new BackupPolicySpec { Schedule = "0 */2 * * *", Method = "Velero", Target = new BackupTarget { Namespaces = ["platau-prod"] } },
        });
        foreach (var (ns, replicas, suspended) in TestEnvironments)
        {
            await Namespace(_rbx, ns);
            await Workload(_rbx, Resources.Deployments, ns, "app", replicas);
            await _rbx.CreateAsync(CronJobs, new DynamicObject
            {
                Metadata = new ObjectMeta { Name = "nightly", Namespace = ns },
                Fields = CronJobFields(suspended),
            });
        }
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

    private static JsonObject CronJobFields(bool suspended)
    {
        var fields = JsonNode.Parse("""{"spec":{"schedule":"0 2 * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}}}""")!.AsObject();
        fields["spec"]!["suspend"] = suspended;
        return fields;
    }

    /// <summary>A production backup on sbg, labelled as the BackupPolicy's runs are, completed and synced to rbx.</summary>
    private async Task ProductionBackup(string name, params string[] namespaces)
    {
        var included = new JsonArray([.. (namespaces.Length == 0 ? ["platau-prod"] : namespaces).Select(n => (JsonNode)JsonValue.Create(n)!)]);
        await _sbg.CreateAsync(Backups, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = name, Namespace = "openshift-adp", Labels = new() { [RunLabels.Policy] = "platau-velero", [RunLabels.PolicyNamespace] = "platau-prod", [RunLabels.Run] = name } },
            Fields = new JsonObject { ["spec"] = new JsonObject { ["includedNamespaces"] = included, ["storageLocation"] = "default" } },
        });
        await AdvanceUntil(async () => await _rbx.TryGetAsync(Backups, "openshift-adp", name) is { } b && (string?)b.Status?["phase"] == "Completed", "backup completed and synced to rbx");
    }

    /// <param name="withServiceLevels">Also run the ServiceLevel controller, told of planned downtime by the drills (as the operator wires it).</param>
    private RunningOperator StartOperator(bool withServiceLevels = false)
    {
        var informer = new Informer<PraDrill>(_operator, OperatorKinds.PraDrills);
        var probes = new ProbeRunner(_operator);
        var remotes = new RemoteClusters(_operator);
        var events = new EventRecorder(_operator, "dematoperator");
        var controller = PraDrillController.Create(_operator, informer, remotes, probes, events, _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        var runs = new List<Task> { informer.RunAsync(stop.Token), controller.RunAsync(stop.Token) };
        if (withServiceLevels)
        {
            var serviceLevels = new Informer<ServiceLevel>(_operator, OperatorKinds.ServiceLevels);
            runs.Add(serviceLevels.RunAsync(stop.Token));
            runs.Add(ServiceLevelController.Create(_operator, serviceLevels, probes, events, _metrics, NullLoggerFactory.Instance, new DrillPlannedDowntime(informer)).RunAsync(stop.Token));
        }
        return new RunningOperator(Task.WhenAll(runs), stop, probes, remotes);
    }

    private async Task CreateDrill(string name = "pra", Action<PraDrillSpec>? tweak = null)
    {
        var spec = new PraDrillSpec
        {
            Objectives = new DrillObjectives { Rto = "2h", Rpo = "4h" },
            Source = new DrillSource { Kubeconfig = new KubeconfigSecretRef { Name = "sbg-kubeconfig", Context = "sbg" }, Namespaces = ["platau-prod"] },
            Backup = new DrillBackup { BackupPolicy = "platau-velero", BackupPolicyNamespace = "platau-prod" },
            Quiesce = new DrillQuiesce { Namespaces = [.. TestEnvironments.Select(t => t.Ns)] },
            Verify = new DrillVerify { Timeout = "20m" },
        };
        tweak?.Invoke(spec);
        await _rbx.CreateAsync(OperatorKinds.PraDrills, new PraDrill { Metadata = new ObjectMeta { Name = name, Namespace = Ns }, Spec = spec });
    }

    private Task<PraDrill> Drill(string name = "pra") => _rbx.GetAsync(OperatorKinds.PraDrills, Ns, name);

    private Task Annotate(string key, string value, string name = "pra") =>
        _rbx.PatchAsync(OperatorKinds.PraDrills, Ns, name, PatchType.Merge, new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [key] = value } } }.ToJsonString());

    private async Task AdvanceUntil(Func<Task<bool>> condition, string what, TimeSpan? step = null, int maxSteps = 400)
    {
        for (var i = 0; !await condition(); i++)
        {
            if (i >= maxSteps)
            {
                var drills = (await _rbx.ListAsync(OperatorKinds.PraDrills, Ns)).Items;
                var state = string.Join("\n", drills.Select(d => $"{d.Name}: {d.Status?.Phase} {string.Join(" | ", d.Status?.CurrentRun?.Steps.Select(s => $"{s.Name} {s.State} {s.Message}") ?? [])}"));
                var reconciles = string.Join("\n", _metrics.Scrape().Split('\n').Where(l => l.StartsWith("controller_runtime_reconcile_total") || l.StartsWith("controller_runtime_reconcile_errors") || l.StartsWith("controller_runtime_reconcile_panics")));
                throw new Xunit.Sdk.XunitException($"not reached after {maxSteps} steps: {what}\n{state}\n{reconciles}");
            }
            _clock.Advance(step ?? TimeSpan.FromSeconds(2));
            await Task.Delay(30);
        }
    }

    private async Task<DrillRunSummary> RunToEnd(string name = "pra")
    {
        await AdvanceUntil(async () => (await Drill(name)).Status?.History is { Count: > 0 } && (await Drill(name)).Status?.CurrentRun is null, "run finished");
        return (await Drill(name)).Status!.History![0];
    }

    /// <summary>The invariant of every ending: test environments exactly as before, nothing of the drill left.</summary>
    private async Task AssertTestEnvironmentsGivenBack()
    {
        foreach (var (ns, replicas, suspended) in TestEnvironments)
        {
            var app = await _rbx.GetAsync(Resources.Deployments, ns, "app");
            ((int?)app.Spec!["replicas"]).ShouldBe(replicas, $"{ns} replicas");
            app.Metadata.Annotations?.Keys.ShouldNotContain(DrillMarks.QuiescedByAnnotation);
            var cj = await _rbx.GetAsync(CronJobs, ns, "nightly");
            ((bool?)cj.Spec!["suspend"]).ShouldBe(suspended, $"{ns} cronjob suspension");
            cj.Metadata.Annotations?.Keys.ShouldNotContain(DrillMarks.OriginalSuspendAnnotation);
        }
        await AdvanceUntil(async () => await _rbx.TryGetAsync(Resources.Namespaces, null, "platau-prod") is null, "restored namespace deleted", maxSteps: 100);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rehearsal_restores_verifies_measures_reports_and_gives_everything_back(bool sbgBurnt)
    {
        // Production holds one object of each of our kinds: the backup carries them, the rehearsal must restore none.
        await OurKindsInNamespace.CreateAsync(_sbg, "platau-prod");
        await ProductionBackup("platau-velero-202603141900");
        _clock.Advance(TimeSpan.FromMinutes(40));
        _host["rbx"].Controllers.Velero.Delay = TimeSpan.FromMinutes(5);
        await CreateDrill();
        await using var op = StartOperator();
        await Eventually.HoldsAsync(async () => (await Drill()).Status?.Phase == DrillPhase.Idle, "idle");
        if (sbgBurnt) _host["sbg"].Cluster.Faults.Unreachable = true;
        var start = _clock.GetUtcNow();
        await Annotate(DrillMarks.RunNowAnnotation, "pra-2026");

        // While it runs, the test environments are stopped.
        await AdvanceUntil(async () => (await Drill()).Status?.CurrentRun?.Steps.FirstOrDefault(s => s.Name == DrillStepName.Quiesce)?.State == StepState.Succeeded, "quiesced");
        ((int?)(await _rbx.GetAsync(Resources.Deployments, "preprod", "app")).Spec!["replicas"]).ShouldBe(0);
        ((bool?)(await _rbx.GetAsync(CronJobs, "preprod", "nightly")).Spec!["suspend"]).ShouldBe(true);
        // Isolation: production's workloads are restored, production's BackupPolicy is not (it would back up on rbx).
        await AdvanceUntil(async () => (await Drill()).Status?.CurrentRun?.Steps.FirstOrDefault(s => s.Name == DrillStepName.Restore)?.State == StepState.Succeeded, "restored");
        (await _rbx.TryGetAsync(Resources.Deployments, "platau-prod", "platau-portal")).ShouldNotBeNull("production's workloads restored");
        (await OurKindsInNamespace.FoundAsync(_rbx, "platau-prod")).ShouldBeEmpty("a rehearsal restores none of DematOperator's resources");
        var restore = (await _rbx.ListAsync(Restores, "openshift-adp")).Items.Single();
        restore.Spec!["excludedResources"]!.AsArray().Select(r => (string?)r).Order()
            .ShouldBe(OurKindsInNamespace.All.Select(k => $"{k.Plural}.ops.demat.gouv.fr").Order());

        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        result.RtoMet.ShouldBe(true);
        result.RpoMet.ShouldBe(true);
        result.RpoSeconds!.Value.ShouldBeInRange(40 * 60, 45 * 60, "the backup's data was taken ~40 min before the run");
        // The emulated Velero restore takes 5 minutes of the shared clock: production cannot be back sooner, and the
        // RTO cannot exceed the time that passed since the run was asked for.
        result.StartTime.ShouldBeGreaterThanOrEqualTo(start);
        result.RtoSeconds!.Value.ShouldBeInRange(5 * 60, (long)(_clock.GetUtcNow() - start).TotalSeconds);
        var drill = await Drill();
        drill.Status!.LastResult.ShouldBe(DrillResult.Succeeded);
        drill.Status.LastSuccessfulTime.ShouldNotBeNull();
        drill.Status.LastRunNowRequest.ShouldBe("pra-2026");
        // The rollback finalizer goes in a write of its own, after the run's result.
        await AdvanceUntil(async () => ((await Drill()).Metadata.Finalizers ?? []).Count == 0, "rollback finalizer removed", maxSteps: 100);

        var report = await _rbx.GetAsync(Resources.ConfigMaps, Ns, result.Report!);
        report.Data!["report.md"].ShouldContain("| RTO | 2h |");
        report.Data["report.md"].ShouldContain("platau-velero-202603141900");
        report.Data["report.md"].ShouldContain(sbgBurnt ? "non / no" : "oui / yes");
        var json = JsonNode.Parse(report.Data["report.json"])!;
        ((string?)json["result"]).ShouldBe("Succeeded");
        ((long?)json["achieved"]!["rpoSeconds"]).ShouldBe(result.RpoSeconds);
        json["steps"]!.AsArray().Select(s => (string?)s!["state"]).ShouldAllBe(s => s == "Succeeded");

        (await _rbx.ListAsync(Restores, "openshift-adp")).Items.ShouldHaveSingleItem().Name.ShouldBe(result.Name);
        await AssertTestEnvironmentsGivenBack();
        var events = (await _rbx.ListAsync(Resources.Events, Ns)).Items.Select(e => e.Reason).ToList();
        events.ShouldContain("RunStarted");
        events.ShouldContain("RolledBack");
        events.ShouldContain("RunSucceeded");
        var scrape = _metrics.Scrape();
        scrape.ShouldContain($"demat_pra_drill_rpo_seconds{{namespace=\"{Ns}\",drill=\"pra\"}} {result.RpoSeconds}");
        scrape.ShouldContain($"demat_pra_drill_runs_total{{namespace=\"{Ns}\",drill=\"pra\",result=\"succeeded\"}} 1");
        scrape.ShouldContain($"demat_pra_drill_running{{namespace=\"{Ns}\",drill=\"pra\"}} 0");
        scrape.ShouldContain($"demat_pra_drill_objective_seconds{{namespace=\"{Ns}\",drill=\"pra\",objective=\"rto\"}} 7200");
        (await DematOperator.Kube.Tests.Promtool.CheckMetricsAsync(scrape)).ShouldBe("");
    }

    [Fact]
    public async Task A_conflict_on_the_status_write_is_read_again_and_retried_at_once()
    {
        await ProductionBackup("platau-velero-202603141900");
        var conflict = _host["rbx"].Cluster.Faults.ConflictOn("update", "pradrills", "pra", subresource: "status");
        await CreateDrill();
        await using var op = StartOperator();
        // The clock stands still: only a retry at once writes the first status.
        await Eventually.HoldsAsync(async () => (await Drill()).Status?.Phase == DrillPhase.Idle, "idle after the conflict");
        conflict.Remaining.ShouldBe(0, "the status write met the injected 409");
    }

    [Fact]
    public async Task A_test_environment_that_does_not_exist_is_a_spec_error_before_any_run()
    {
        await ProductionBackup("platau-velero-1");
        await CreateDrill(tweak: s => { s.Source.Namespaces = ["no-such-prod"]; s.Quiesce = new DrillQuiesce { Namespaces = ["no-such-test-env"] }; });
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "typo");
        await Eventually.HoldsAsync(async () => Conditions.Find((await Drill()).Status?.Conditions, "Ready")?.Reason == "QuiesceNamespaceNotFound", "the missing test environment reported");
        var drill = await Drill();
        Conditions.Find(drill.Status!.Conditions, "Ready")!.Message!.ShouldContain("no-such-test-env");
        drill.Status.CurrentRun.ShouldBeNull();
        (drill.Status.History ?? []).ShouldBeEmpty("no run started");
        // The Event follows the condition's write.
        await Eventually.HoldsAsync(async () => (await _rbx.ListAsync(Resources.Events, Ns)).Items.Any(e => e.Reason == "QuiesceNamespaceNotFound"), "the Event for the missing test environment");
    }

    [Fact]
    public async Task A_source_namespace_the_backup_does_not_hold_is_refused_naming_it()
    {
        await ProductionBackup("platau-velero-1");
        await CreateDrill(tweak: s => s.Source.Namespaces = ["no-such-prod"]);
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Refused);
        result.Reason.ShouldBe(DrillReasons.BackupMissesNamespace);
        result.Message!.ShouldContain("no-such-prod");
        result.RtoSeconds.ShouldBeNull();
        (await _rbx.ListAsync(Restores, "openshift-adp")).Items.ShouldBeEmpty();
        await AssertTestEnvironmentsGivenBack();
    }

    [Fact]
    public async Task A_restore_that_brings_nothing_back_fails_NothingRestored_and_still_rolls_back()
    {
        // The backup names the namespace, but it held nothing: Velero completes with 0 items.
        await Namespace(_sbg, "platau-empty");
        await ProductionBackup("platau-velero-1", "platau-prod", "platau-empty");
        await CreateDrill(tweak: s => s.Source.Namespaces = ["platau-empty"]);
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Failed);
        result.Reason.ShouldBe(DrillReasons.NothingRestored, result.Message);
        result.RtoSeconds.ShouldBeNull("a run that restored nothing never reaches a recovery time");
        // After the run, its steps stay readable in the history, as the run left them (docs/pradrill.md).
        result.Steps!.Select(st => (st.Name, st.State)).ShouldBe([
            (DrillStepName.Preflight, StepState.Succeeded), (DrillStepName.Quiesce, StepState.Succeeded), (DrillStepName.Restore, StepState.Failed),
            (DrillStepName.Verify, StepState.Skipped), (DrillStepName.Measure, StepState.Skipped), (DrillStepName.Report, StepState.Succeeded),
            (DrillStepName.Rollback, StepState.Succeeded)]);
        result.Steps!.Single(st => st.Name == DrillStepName.Restore).Message!.ShouldContain("nothing");
        await AssertTestEnvironmentsGivenBack();
    }

    [Fact]
    public async Task A_backup_older_than_the_rpo_is_refused_at_preflight_without_side_effects()
    {
        await ProductionBackup("platau-velero-old");
        _clock.Advance(TimeSpan.FromHours(5));
        await CreateDrill();
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Refused);
        result.Message!.ShouldContain("older than the 4h RPO");
        result.Report.ShouldBeNull();
        var drill = await Drill();
        Conditions.Find(drill.Status!.Conditions, "LastRunSucceeded")!.Reason.ShouldBe("Refused");
        Conditions.Find(drill.Status.Conditions, "Ready")!.Status.ShouldBe("True", "the drill itself is fine: only its run was refused");
        drill.Status.History![0].Name.ShouldNotBeNullOrEmpty();
        (await _rbx.ListAsync(Restores, "openshift-adp")).Items.ShouldBeEmpty();
        (await _rbx.GetAsync(Resources.Deployments, "preprod", "app")).Metadata.Annotations?.Keys.ShouldNotContain(DrillMarks.QuiescedByAnnotation);
        (await _rbx.ListAsync(Resources.ConfigMaps, Ns, new ListRequest($"{DrillMarks.DrillLabel}=pra"))).Items.ShouldBeEmpty();
        (await _rbx.ListAsync(Resources.Events, Ns)).Items.ShouldContain(e => e.Reason == "PreflightRefused");
    }

    [Fact]
    public async Task A_failed_velero_restore_fails_the_run_and_still_rolls_back()
    {
        _host["rbx"].Controllers.Velero.FailRestore = _ => "object storage returned 403";
        await ProductionBackup("platau-velero-1");
        var result = await RunFailsAndRollsBack(DrillReasons.RestoreFailed, "object storage returned 403");
        var report = await _rbx.GetAsync(Resources.ConfigMaps, Ns, result.Report!);
        report.Data!["report.md"].ShouldContain("Failed");
        _metrics.Scrape().ShouldContain($"demat_pra_drill_runs_total{{namespace=\"{Ns}\",drill=\"pra\",result=\"failed\"}} 1");
    }

    [Fact]
    public async Task A_rehearsal_with_nothing_to_verify_fails_NoVerification_and_rolls_back()
    {
        // Workload readiness switched off and no HTTP, Job or exec check: a run that checked nothing proves nothing.
        await ProductionBackup("platau-velero-1");
        var result = await RunFailsAndRollsBack(DrillReasons.NoVerification, "no verification ran", s => s.Verify = new DrillVerify { Workloads = false });
        result.RtoSeconds.ShouldBeNull("no recovery time without a verification");
        result.Steps!.Single(st => st.Name == DrillStepName.Verify).State.ShouldBe(StepState.Failed);
    }

    [Fact]
    public async Task Verification_that_never_becomes_ready_times_out_and_rolls_back()
    {
        _host["rbx"].Controllers.Workloads.NeverReady = o => o.Namespace == "platau-prod" && o.Name == "mongodb";
        await ProductionBackup("platau-velero-1");
        var result = await RunFailsAndRollsBack(DrillReasons.WorkloadNotReady, "verification not complete after 5m", s => s.Verify = new DrillVerify { Timeout = "5m" });
        result.Message!.ShouldContain("StatefulSet platau-prod/mongodb 0/3 ready");
        result.RtoSeconds.ShouldBeNull();
    }

    [Fact]
    public async Task Abort_in_the_middle_rolls_back_at_once()
    {
        _host["rbx"].Controllers.Workloads.NeverReady = o => o.Namespace == "platau-prod";
        await ProductionBackup("platau-velero-1");
        await CreateDrill();
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        await AdvanceUntil(async () => (await Drill()).Status?.CurrentRun?.Step == DrillStepName.Verify, "verifying");
        await Annotate(DrillMarks.AbortAnnotation, "stop-it");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Aborted);
        result.Message!.ShouldContain("stop-it");
        await AssertTestEnvironmentsGivenBack();
    }

    [Fact]
    public async Task An_operator_killed_during_the_restore_resumes_and_adopts_its_restore()
    {
        _host["rbx"].Controllers.Velero.Delay = TimeSpan.FromMinutes(10);
        await ProductionBackup("platau-velero-1");
        await CreateDrill();
        var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        await AdvanceUntil(async () => (await _rbx.ListAsync(Restores, "openshift-adp")).Items.Count == 1, "restore created");
        await op.DisposeAsync();
        (await Drill()).Status!.CurrentRun!.Step.ShouldBe(DrillStepName.Restore);
        // A new process (or a new leader) takes over from the recorded step.
        await using var second = StartOperator();
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        (await _rbx.ListAsync(Restores, "openshift-adp")).Items.ShouldHaveSingleItem();
        await AssertTestEnvironmentsGivenBack();
    }

    [Fact]
    public async Task Failover_needs_its_confirmation_and_then_leaves_production_on_rbx()
    {
        await ProductionBackup("platau-velero-1");
        await CreateDrill("failover", s => s.Mode = "Failover");
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "sbg-fire-2026", "failover");
        await Eventually.HoldsAsync(async () => Conditions.Find((await Drill("failover")).Status?.Conditions, "Ready")?.Reason == "FailoverNotConfirmed", "confirmation demanded");
        (await Drill("failover")).Status!.CurrentRun.ShouldBeNull();
        var beforeTypo = Reconciled.Count(_metrics, PraDrillController.Name);
        await Annotate(DrillMarks.ConfirmFailoverAnnotation, "typo", "failover");
        await Eventually.HoldsAsync(() => Reconciled.Count(_metrics, PraDrillController.Name) > beforeTypo, "the wrong confirmation reconciled");
        (await Drill("failover")).Status!.CurrentRun.ShouldBeNull("a confirmation naming another run starts nothing");
        Conditions.Find((await Drill("failover")).Status?.Conditions, "Ready")?.Reason.ShouldBe("FailoverNotConfirmed");

        await Annotate(DrillMarks.ConfirmFailoverAnnotation, "sbg-fire-2026", "failover");
        var result = await RunToEnd("failover");
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        result.Mode.ShouldBe(DrillMode.Failover);
        (await _rbx.GetAsync(Resources.StatefulSets, "platau-prod", "mongodb")).Status!["readyReplicas"]!.GetValue<int>().ShouldBe(3);
        ((int?)(await _rbx.GetAsync(Resources.Deployments, "preprod", "app")).Spec!["replicas"]).ShouldBe(0, "test environments stay stopped after a real failover");
        // Production now lives on rbx: its BackupPolicy came with it, on purpose, and an Event says so.
        (await _rbx.TryGetAsync(OperatorKinds.BackupPolicies, "platau-prod", "platau-velero")).ShouldNotBeNull();
        (await _rbx.ListAsync(Resources.Events, Ns)).Items.ShouldContain(e => e.Reason == "OperatorResourcesRestored");
        (await Drill("failover")).Status!.History![0].Name.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Bad_input_gives_ready_false_and_no_run()
    {
        await ProductionBackup("platau-velero-1");
        await CreateDrill("unknown-policy", s => s.Backup = new DrillBackup { BackupPolicy = "nope" });
        await _rbx.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "garbage", Namespace = Ns }, Data = new() { ["kubeconfig"] = Encoding.UTF8.GetBytes("clusters: [oops") } });
        await CreateDrill("garbage-kubeconfig", s => s.Source.Kubeconfig = new KubeconfigSecretRef { Name = "garbage" });
        await CreateDrill("empty", s => s.Source.Namespaces = [""]);
        await using var op = StartOperator();
        foreach (var (name, reason) in new[] { ("unknown-policy", "UnknownBackupPolicy"), ("garbage-kubeconfig", "InvalidKubeconfig"), ("empty", "NoNamespaces") })
        {
            await Eventually.HoldsAsync(async () => Conditions.Find((await Drill(name)).Status?.Conditions, "Ready")?.Reason == reason, $"{name}: {reason}");
            var before = Reconciled.Count(_metrics, PraDrillController.Name);
            await Annotate(DrillMarks.RunNowAnnotation, "1", name);
            await Eventually.HoldsAsync(() => Reconciled.Count(_metrics, PraDrillController.Name) > before, $"{name}: the run-now request reconciled");
        }
        foreach (var name in new[] { "unknown-policy", "garbage-kubeconfig", "empty" })
            (await Drill(name)).Status!.CurrentRun.ShouldBeNull();
        var secretText = (await _rbx.ListAsync(Resources.Events, Ns)).Items.Select(e => e.Message).ToList();
        secretText.ShouldNotContain(m => m!.Contains("oops"), "the kubeconfig's content never reaches an Event");
    }

    /// <summary>Runs the drill once with the world as the test set it up; the run must fail with the reason and still give everything back.</summary>
    private async Task<DrillRunSummary> RunFailsAndRollsBack(string reason, string messagePart, Action<PraDrillSpec>? tweak = null)
    {
        await CreateDrill(tweak: tweak);
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Failed);
        result.Reason.ShouldBe(reason, result.Message);
        result.Message!.ShouldContain(messagePart);
        await AssertTestEnvironmentsGivenBack();
        return result;
    }

    private async Task<StepState?> StepStateOf(DrillStepName step, string name = "pra") =>
        (await Drill(name)).Status?.CurrentRun?.Steps.FirstOrDefault(s => s.Name == step)?.State;

    private async Task<int> EventCount(string reason) =>
        (await _rbx.ListAsync(Resources.Events, Ns)).Items.Where(e => e.Reason == reason).Sum(e => e.Count ?? 1);

    private static DrillExecCheck Collections(long minimum) => new()
    {
        Name = "collections", Workload = new WorkloadRef { Kind = "StatefulSet", Name = "mongodb" }, Container = "c",
        Command = ["mongosh", "--quiet", "--eval", "db.getCollectionNames().length"], Expect = new DrillExpectedOutput { Minimum = minimum },
    };

    [Fact]
    public async Task Data_checks_run_in_a_restored_pod_and_their_output_is_the_evidence_with_secrets_redacted()
    {
        await _sbg.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "mongo-auth", Namespace = "platau-prod" }, Data = new() { ["password"] = Encoding.UTF8.GetBytes("s3cr3t-Pa55word") } });
        await ProductionBackup("platau-velero-1");
        _host["rbx"].Cluster.Exec.Answer("platau-prod", "mongodb-", ExecAnswer.Ok("12\n"));
        _host["rbx"].Cluster.Exec.Answer(c => c.Pod == "mongodb-0" && c.Command.Any(a => a.Contains("connectionStatus")), _ => ExecAnswer.Ok("authenticated as admin:s3cr3t-Pa55word ok\n"));
        await CreateDrill(tweak: s => s.Verify = new DrillVerify
        {
            Timeout = "20m",
            Exec = [Collections(10), new DrillExecCheck { Name = "login", Pod = "mongodb-0", Command = ["mongosh", "--eval", "db.runCommand({connectionStatus: 1})"], Expect = new DrillExpectedOutput { Regex = "ok$" } }],
        });
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        var calls = _host["rbx"].Cluster.Exec.Calls;
        calls.ShouldNotBeEmpty();
        calls.ShouldAllBe(c => c.Namespace == "platau-prod", "data checks run only in what the drill restored");
        _host["sbg"].Cluster.Exec.Calls.ShouldBeEmpty("nothing is ever run in production");
        calls.First(c => c.Command[0] == "mongosh" && c.Command.Contains("db.getCollectionNames().length")).Pod.ShouldBe("mongodb-0", "a ready pod of the workload, the first by name");
        var report = (await _rbx.GetAsync(Resources.ConfigMaps, Ns, result.Report!)).Data!;
        report["report.md"].ShouldContain("| collections | platau-prod/mongodb-0 |");
        report["report.md"].ShouldContain("| 12 | ok |");
        report["report.md"].ShouldContain("authenticated as admin:[redacted] ok");
        report["report.md"].ShouldNotContain("s3cr3t-Pa55word");
        report["report.json"].ShouldNotContain("s3cr3t-Pa55word");
        var json = JsonNode.Parse(report["report.json"])!;
        json["dataChecks"]!.AsArray().Select(d => (bool?)d!["passed"]).ShouldAllBe(p => p == true);
    }

    [Fact]
    public async Task A_data_check_that_does_not_show_the_data_fails_DataCheckFailed_and_rolls_back()
    {
        await ProductionBackup("platau-velero-1");
        _host["rbx"].Cluster.Exec.Answer("platau-prod", "mongodb-", ExecAnswer.Ok("3\n"));
        var result = await RunFailsAndRollsBack(DrillReasons.DataCheckFailed, "3 is below the expected minimum 10", s => s.Verify = new DrillVerify { Timeout = "5m", Exec = [Collections(10)] });
        result.RtoSeconds.ShouldBeNull("a run that did not prove the data never reaches a recovery time");
        var report = (await _rbx.GetAsync(Resources.ConfigMaps, Ns, result.Report!)).Data!["report.md"];
        report.ShouldContain("(DataCheckFailed)");
        report.ShouldContain("| RTO | 2h | — | non mesuré / not measured |");
    }

    [Fact]
    public async Task A_restored_volume_that_never_binds_fails_VolumeNotBound()
    {
        await _sbg.CreateAsync(Resources.PersistentVolumeClaims, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "mongodb-data", Namespace = "platau-prod" },
            Fields = JsonNode.Parse("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}}}""")!.AsObject(),
        });
        await ProductionBackup("platau-velero-1");
        _host["rbx"].Controllers.Snapshots.NeverBind = pvc => pvc.Namespace == "platau-prod";
        await RunFailsAndRollsBack(DrillReasons.VolumeNotBound, "PersistentVolumeClaim platau-prod/mongodb-data Pending", s => s.Verify = new DrillVerify { Timeout = "5m" });
    }

    [Fact]
    public async Task A_drill_never_restores_over_nor_deletes_a_namespace_it_did_not_create()
    {
        await ProductionBackup("platau-velero-1");
        await Namespace(_rbx, "platau-prod");
        await _rbx.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "someone-elses", Namespace = "platau-prod" }, Data = new() { ["k"] = "v" } });
        await CreateDrill();
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Refused);
        result.Reason.ShouldBe(DrillReasons.NamespaceExists);
        (await _rbx.ListAsync(Restores, "openshift-adp")).Items.ShouldBeEmpty();
        (await _rbx.GetAsync(Resources.Namespaces, null, "platau-prod")).Metadata.DeletionTimestamp.ShouldBeNull();
        (await _rbx.GetAsync(Resources.ConfigMaps, "platau-prod", "someone-elses")).Data!["k"].ShouldBe("v");
    }

    [Fact]
    public async Task Only_one_drill_runs_at_a_time_the_second_is_refused_and_the_first_succeeds()
    {
        _host["rbx"].Controllers.Velero.Delay = TimeSpan.FromMinutes(10);
        await ProductionBackup("platau-velero-1");
        await CreateDrill();
        await CreateDrill("pra-b");
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        await AdvanceUntil(async () => await StepStateOf(DrillStepName.Restore) == StepState.Running, "first drill restoring");
        (await _rbx.GetAsync(Resources.Leases, "openshift-adp", DrillLock.LeaseName)).Spec.HolderIdentity.ShouldStartWith($"{Ns}/pra/");
        await Annotate(DrillMarks.RunNowAnnotation, "1", "pra-b");
        var second = await RunToEnd("pra-b");
        second.Result.ShouldBe(DrillResult.Refused);
        second.Reason.ShouldBe(DrillReasons.AnotherDrillRunning);
        second.Message!.ShouldContain($"{Ns}/pra/");
        var first = await RunToEnd();
        first.Result.ShouldBe(DrillResult.Succeeded, first.Message);
        (await _rbx.TryGetAsync(Resources.Leases, "openshift-adp", DrillLock.LeaseName)).ShouldBeNull("the lock is given back when the run ends");
        await AssertTestEnvironmentsGivenBack();
    }

    /// <summary>A run started and held in Verify (production's workloads never ready), with its operator running.</summary>
    private async Task<RunningOperator> RunHeldInVerify()
    {
        _host["rbx"].Controllers.Workloads.NeverReady = o => o.Namespace == "platau-prod";
        await ProductionBackup("platau-velero-1");
        await CreateDrill();
        var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        await AdvanceUntil(async () => await StepStateOf(DrillStepName.Verify) == StepState.Running, "verifying");
        return op;
    }

    [Fact]
    public async Task A_drill_deleted_mid_run_rolls_back_before_it_goes()
    {
        await using var op = await RunHeldInVerify();
        await _rbx.DeleteAsync(OperatorKinds.PraDrills, Ns, "pra");
        await AdvanceUntil(async () => await _rbx.TryGetAsync(OperatorKinds.PraDrills, Ns, "pra") is null, "the drill gone once rolled back");
        await AssertTestEnvironmentsGivenBack();
        (await EventCount("RolledBack")).ShouldBe(1);
    }

    [Fact]
    public async Task A_drill_made_invalid_mid_run_rolls_back_even_the_test_environments_removed_from_its_spec()
    {
        await using var op = await RunHeldInVerify();
        // preprod leaves the list and platau-prod enters it: a clash (invalid), and a test environment the spec no longer names.
        await _rbx.PatchAsync(OperatorKinds.PraDrills, Ns, "pra", PatchType.Merge, """{"spec":{"quiesce":{"namespaces":["validation","demo","perf","platau-prod"]}}}""");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Failed);
        result.Reason.ShouldBe(DrillReasons.SpecInvalid, result.Message);
        await AssertTestEnvironmentsGivenBack();
        Conditions.Find((await Drill()).Status!.Conditions, DrillConditions.Ready)!.Reason.ShouldBe("QuiesceClash");
    }

    [Fact]
    public async Task A_restore_that_never_completes_times_out_and_rolls_back()
    {
        _host["rbx"].Controllers.Velero.Delay = TimeSpan.FromHours(10);
        await ProductionBackup("platau-velero-1");
        await RunFailsAndRollsBack(DrillReasons.RestoreTimedOut, "not completed after 10m", s => s.Restore = new DrillRestore { Timeout = "10m" });
    }

    [Fact]
    public async Task An_abort_during_the_restore_rolls_back_at_once()
    {
        _host["rbx"].Controllers.Velero.Delay = TimeSpan.FromHours(10);
        await ProductionBackup("platau-velero-1");
        await CreateDrill();
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        await AdvanceUntil(async () => await StepStateOf(DrillStepName.Restore) == StepState.Running, "restoring");
        await Annotate(DrillMarks.AbortAnnotation, "stop");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Aborted);
        result.Reason.ShouldBe(DrillReasons.Aborted);
        var steps = (await _rbx.GetAsync(Resources.ConfigMaps, Ns, result.Report!)).Data!["report.json"];
        JsonNode.Parse(steps)!["steps"]!.AsArray().Single(s => (string?)s!["name"] == "Restore")!["state"]!.GetValue<string>().ShouldBe("Failed");
        await AssertTestEnvironmentsGivenBack();
    }

    [Fact]
    public async Task A_successful_rehearsal_stays_up_for_rollback_after_and_only_then_gives_back()
    {
        await ProductionBackup("platau-velero-1");
        await CreateDrill(tweak: s => s.Rollback = new DrillRollback { After = "30m" });
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        await AdvanceUntil(async () => await StepStateOf(DrillStepName.Rollback) == StepState.Running, "kept for inspection");
        var verified = (await Drill()).Status!.CurrentRun!.VerifiedTime!.Value;
        await AdvanceUntil(async () => _clock.GetUtcNow() >= verified + TimeSpan.FromMinutes(25), "25 minutes of inspection", TimeSpan.FromMinutes(1));
        (await Drill()).Status!.CurrentRun.ShouldNotBeNull("still kept for inspection");
        ((int?)(await _rbx.GetAsync(Resources.Deployments, "preprod", "app")).Spec!["replicas"]).ShouldBe(0, "test environments stay stopped while production is inspected");
        (await _rbx.TryGetAsync(Resources.Namespaces, null, "platau-prod")).ShouldNotBeNull();
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        result.EndTime!.Value.ShouldBeGreaterThanOrEqualTo(verified + TimeSpan.FromMinutes(30));
        await AssertTestEnvironmentsGivenBack();
    }

    [Fact]
    public async Task Replicas_left_stopped_by_an_interrupted_earlier_run_come_back_to_their_original_count()
    {
        // An earlier run (its operator lost with its status) left preprod stopped, with the original count on the object.
        await _rbx.PatchAsync(Resources.Deployments, "preprod", "app", PatchType.Merge,
            $$$"""{"metadata":{"annotations":{"{{{DrillMarks.QuiescedByAnnotation}}}":"{{{Ns}}}/pra/pra-20250314-200000","{{{DrillMarks.OriginalReplicasAnnotation}}}":"3"}},"spec":{"replicas":0}}""");
        await ProductionBackup("platau-velero-1");
        await CreateDrill();
        await using var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        (await Drill()).Status!.History![0].Name.ShouldBe(result.Name);
        await AssertTestEnvironmentsGivenBack();
    }

    [Fact]
    public async Task A_scheduled_drill_missed_while_the_operator_was_down_raises_its_condition_until_a_run_starts()
    {
        await ProductionBackup("platau-velero-1");
        // 21:30 Paris on 14 March: half an hour after the drill is created.
        await CreateDrill(tweak: s => s.Schedule = "30 21 14 3 *");
        _clock.Advance(TimeSpan.FromHours(2));
        await using var op = StartOperator();
        await Eventually.HoldsAsync(async () => Conditions.Find((await Drill()).Status?.Conditions, DrillConditions.ScheduledRunMissed)?.Status == "True", "the missed slot raised");
        var missed = Conditions.Find((await Drill()).Status!.Conditions, DrillConditions.ScheduledRunMissed)!;
        missed.Reason.ShouldBe(DrillConditions.DrillMissed);
        missed.Message!.ShouldContain("2026-03-14T21:30:00+01:00");
        (await Drill()).Status!.CurrentRun.ShouldBeNull("a missed slot is reported, never replayed");
        await Eventually.HoldsAsync(async () => await EventCount(DrillConditions.DrillMissed) >= 1, "the DrillMissed Event");
        await Annotate(DrillMarks.RunNowAnnotation, "catch-up");
        await RunToEnd();
        Conditions.Find((await Drill()).Status!.Conditions, DrillConditions.ScheduledRunMissed)!.Status.ShouldBe("False");
    }

    [Fact]
    public async Task An_operator_killed_during_verify_resumes_and_rolls_back_exactly_once()
    {
        var ready = false;
        _host["rbx"].Controllers.Workloads.NeverReady = o => o.Namespace == "platau-prod" && !ready;
        await ProductionBackup("platau-velero-1");
        await CreateDrill();
        var op = StartOperator();
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        await AdvanceUntil(async () => await StepStateOf(DrillStepName.Verify) == StepState.Running, "verifying");
        await op.DisposeAsync();
        ready = true;
        // Workloads settle on their next change: nudge them as a rollout would.
        foreach (var (type, name) in new[] { (Resources.Deployments, "platau-portal"), (Resources.StatefulSets, "mongodb") })
            await _rbx.PatchAsync(type, "platau-prod", name, PatchType.Merge, """{"metadata":{"annotations":{"nudge":"1"}}}""");
        await using var second = StartOperator();
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        (await _rbx.ListAsync(Restores, "openshift-adp")).Items.ShouldHaveSingleItem();
        await AssertTestEnvironmentsGivenBack();
        (await EventCount("RolledBack")).ShouldBe(1, "rollback happened once");
    }

    [Fact]
    public async Task Coverage_names_production_the_drill_would_not_bring_back_and_changes_since_its_last_success()
    {
        const string production = """{"metadata":{"labels":{"demat.gouv.fr/environment":"production"}}}""";
        await _sbg.PatchAsync(Resources.Namespaces, null, "platau-prod", PatchType.Merge, production);
        await ProductionBackup("platau-velero-1");
        await CreateDrill(tweak: s => s.Coverage = new DrillCoverage { NamespaceSelector = new LabelSelectorSpec { MatchLabels = new() { ["demat.gouv.fr/environment"] = "production" } } });
        await using var op = StartOperator();
        Condition? Coverage(PraDrill d) => Conditions.Find(d.Status?.Conditions, DrillConditions.CoverageComplete);
        await Eventually.HoldsAsync(async () => Coverage(await Drill())?.Reason == nameof(CoverageVerdict.NeverRehearsed), "never rehearsed yet");
        Coverage(await Drill())!.Status.ShouldBe("False");

        await Annotate(DrillMarks.RunNowAnnotation, "1");
        (await RunToEnd()).Result.ShouldBe(DrillResult.Succeeded);
        await AdvanceUntil(async () => Coverage(await Drill())?.Status == "True", "complete after the successful run", maxSteps: 50);

        // Production changes: a new workload in a covered namespace, and a new production namespace the drill does not restore.
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Workload(_sbg, Resources.Deployments, "platau-prod", "platau-api", 1);
        await Namespace(_sbg, "platau-new");
        await _sbg.PatchAsync(Resources.Namespaces, null, "platau-new", PatchType.Merge, production);
        await AdvanceUntil(async () => Coverage(await Drill())?.Reason == nameof(CoverageVerdict.NotBackedUp), "the new namespace found", TimeSpan.FromMinutes(1), maxSteps: 30);
        var drill = await Drill();
        Coverage(drill)!.Message!.ShouldContain("namespace platau-new is production but not in the drill's spec.source.namespaces");
        drill.Status!.CoverageGaps!.ShouldContain(g => g.Kind == "Deployment" && g.Name == "platau-api" && g.Gap == "NotRehearsed");
        var scrape = _metrics.Scrape();
        scrape.ShouldContain($"demat_pra_drill_coverage_gaps{{namespace=\"{Ns}\",drill=\"pra\",gap=\"not_backed_up\"}} 1");
        scrape.ShouldContain($"demat_pra_drill_coverage_gaps{{namespace=\"{Ns}\",drill=\"pra\",gap=\"not_rehearsed\"}} 1");

        // Production does not answer: the coverage is unknown, not complete.
        _host["sbg"].Cluster.Faults.Unreachable = true;
        await AdvanceUntil(async () => Coverage(await Drill())?.Status == "Unknown", "unknown while the source is unreachable", TimeSpan.FromMinutes(1), maxSteps: 400);
        Coverage(await Drill())!.Reason.ShouldBe(DrillConditions.SourceUnreachable);
    }

    [Fact]
    public async Task The_test_environment_downtime_a_drill_causes_is_planned_PraDrill_time_never_an_outage()
    {
        await ProductionBackup("platau-velero-1");
        await _rbx.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel
        {
            Metadata = new ObjectMeta { Name = "preprod", Namespace = "preprod" },
            Spec = new ServiceLevelSpec
            {
                Tier = "BRONZE", Environment = "preprod", Interval = "30s",
                // Service every hour of every day, so the Saturday-evening drill falls in service time.
                ServiceHours = new ServiceHoursSpec { Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], Opens = "00:00", Closes = "24:00", HolidaysAreServiceDays = true },
                Probes = [new ProbeSpec { Name = "app", Workload = new WorkloadProbeSpec { Kind = "Deployment", Name = "app" } }],
            },
        });
        await CreateDrill(tweak: s => s.Rollback = new DrillRollback { After = "10m" });
        await using var op = StartOperator(withServiceLevels: true);
        await AdvanceUntil(async () => (await _rbx.GetAsync(OperatorKinds.ServiceLevels, "preprod", "preprod")).Status?.State == "Up", "preprod measured up");
        await Annotate(DrillMarks.RunNowAnnotation, "1");
        await AdvanceUntil(async () => (await _rbx.GetAsync(OperatorKinds.ServiceLevels, "preprod", "preprod")).Status?.State == "Planned", "preprod stopped by the drill, on purpose");
        var result = await RunToEnd();
        result.Result.ShouldBe(DrillResult.Succeeded, result.Message);
        await AssertTestEnvironmentsGivenBack();
        await AdvanceUntil(async () => (await _rbx.GetAsync(OperatorKinds.ServiceLevels, "preprod", "preprod")).Status?.State == "Up", "preprod up again after the rollback");
        var sl = await _rbx.GetAsync(OperatorKinds.ServiceLevels, "preprod", "preprod");
        sl.Status!.Incidents.ShouldBeEmpty("the drill's stop of the test environment is no outage");
        var period = sl.Status.PlannedPeriods.ShouldHaveSingleItem();
        period.Reason.ShouldBe(PlannedReasons.PraDrill);
        period.Source.ShouldContain(result.Name);
        sl.Status.CurrentMonth!.PlannedSeconds!.Value.ShouldBeGreaterThanOrEqualTo(10 * 60, "at least the inspection delay, when preprod stayed stopped");
        sl.Status.CurrentMonth.DowntimeSeconds.ShouldBe(0);
        sl.Status.CurrentMonth.MaintenanceSeconds.ShouldBe(sl.Status.CurrentMonth.PlannedSeconds);
    }
}
