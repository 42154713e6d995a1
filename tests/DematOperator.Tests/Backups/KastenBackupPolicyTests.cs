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
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Backups;

/// <summary>BackupPolicy with method Kasten against the emulator's K10, one manual clock for the emulator and the operator.</summary>
public sealed class KastenBackupPolicyTests : IAsyncLifetime
{
    private const string K10 = "kasten-io";
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
        foreach (var ns in new[] { "platau-prod", "rieau-prod", K10 })
            await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        foreach (var ns in new[] { "platau-prod", "rieau-prod" })
            await _client.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "settings", Namespace = ns }, Data = new() { ["tier"] = "OR" } });
        await _client.CreateAsync(ForeignKinds.KastenProfiles, new KastenProfile { Metadata = new ObjectMeta { Name = "ovh-s3", Namespace = K10 } });
        await K10Policy("platau-4h", "platau-prod", exportTo: "ovh-s3");
        await K10Policy("platau-local", "platau-prod", exportTo: null);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
    }

    private Task K10Policy(string name, string ns, string? exportTo) => _client.CreateAsync(ForeignKinds.KastenPolicies, new KastenPolicy
    {
        Metadata = new ObjectMeta { Name = name, Namespace = K10 },
        Spec = new KastenPolicySpec
        {
            Frequency = "@onDemand",
            Selector = new LabelSelectorSpec { MatchLabels = new() { [KastenLabels.AppNamespace] = ns } },
            Actions = [new KastenPolicyAction { Action = KastenPolicyActions.Backup },
                       .. exportTo is null ? Array.Empty<KastenPolicyAction>() : [new KastenPolicyAction { Action = KastenPolicyActions.Export, ExportParameters = new KastenExportParameters { Profile = new KastenObjectRef { Name = exportTo, Namespace = K10 } } }]],
        },
    });

    private RunningOperator StartOperator()
    {
        var informer = new Informer<BackupPolicy>(_operator, OperatorKinds.BackupPolicies);
        var controller = BackupPolicyController.Create(_operator, informer, new EventRecorder(_operator, "dematoperator"), _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        return new RunningOperator(Task.WhenAll(informer.RunAsync(stop.Token), controller.RunAsync(stop.Token)), stop);
    }

    private Task Create(string name, KastenOptions kasten, string ns = "platau-prod", string schedule = "0 * * * *", RetentionSpec? retention = null) =>
        _client.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy
        {
            Metadata = new ObjectMeta { Name = name, Namespace = ns },
            Spec = new BackupPolicySpec { Schedule = schedule, TimeZone = "Europe/Paris", Rpo = "4h", Method = "Kasten", Target = new BackupTarget { Namespaces = [ns] }, Kasten = kasten, Retention = retention },
        });

    private Task<BackupPolicy> Policy(string name, string ns = "platau-prod") => _client.GetAsync(OperatorKinds.BackupPolicies, ns, name);
    private static Condition? Cond(BackupPolicy p, string type) => Conditions.Find(p.Status?.Conditions, type);

    private Task AdvanceUntil(Func<Task<bool>> condition, string what, TimeSpan step, TimeSpan max) => TestObjects.AdvanceUntil(_clock, condition, what, step, max);

    private async Task<List<KastenRunAction>> RunActions(string policy = "platau", string ns = "platau-prod") =>
        (await _client.ListAsync(ForeignKinds.KastenRunActions, K10, new ListRequest(RunLabels.Selector(ns, policy)))).Items;

    [Fact]
    public async Task A_policy_run_is_one_RunAction_per_slot_even_across_restarts_and_its_RestorePoints_are_the_recovery_point()
    {
        await Create("platau", new KastenOptions { Policy = "platau-4h", ExportProfile = "ovh-s3" });
        var first = StartOperator();
        await AdvanceUntil(async () => Cond(await Policy("platau"), "RecoveryPointObjectiveMet")?.Status == "True", "first run succeeds", TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
        var action = (await RunActions()).Single();
        action.Spec!.Subject!.Kind.ShouldBe("Policy");
        action.Spec.Subject.Name.ShouldBe("platau-4h");
        action.Name.ShouldMatch(@"^platau-\d{12}$", "named after the slot");
        var points = (await _client.ListAsync(ForeignKinds.KastenRestorePoints, "platau-prod")).Items;
        var local = points.Single(p => !p.Exported);
        points.ShouldContain(p => p.Metadata.Labels!.GetValueOrDefault(KastenLabels.ExportProfile) == "ovh-s3", "the K10 policy exported the run");
        local.Metadata.Labels![KastenLabels.RunActionName].ShouldBe(action.Name);
        var policy = await Policy("platau");
        policy.Status!.RecoveryPoint.ShouldBe(local.Status!.ActionTime, "the recovery point is the RestorePoint's data time, not the action's end");
        policy.Status.LastRun!.Phase.ShouldBe("Succeeded");
        Cond(policy, "Ready")!.Status.ShouldBe("True");

        // Two restarts while the next slot is due and running: still one RunAction for it.
        _host["sbg"].Controllers.Kasten.Delay = TimeSpan.FromMinutes(20);
        await AdvanceUntil(async () => (await RunActions()).Count == 2, "second slot started", TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
        await first.DisposeAsync();
        for (var restart = 0; restart < 2; restart++)
        {
            var before = Reconciled.Count(_metrics);
            await using var op = StartOperator();
            await Eventually.HoldsAsync(() => Reconciled.Count(_metrics) > before, "the restarted operator reconciled");
            _clock.Advance(TimeSpan.FromMinutes(2));
            await Eventually.HoldsAsync(() => Reconciled.Count(_metrics) > before + 1, "and again after time moved");
        }
        var perSlot = (await RunActions()).GroupBy(a => a.Metadata.Annotations![RunLabels.SlotAnnotation]).ToList();
        perSlot.ShouldAllBe(g => g.Count() == 1);
        _metrics.Scrape().ShouldContain("demat_backup_runs_total{namespace=\"platau-prod\",policy=\"platau\",result=\"succeeded\"}");
    }

    [Fact]
    public async Task Namespace_mode_backs_up_with_BackupActions_exports_each_RestorePoint_and_retention_releases_only_local_data()
    {
        await Create("platau", new KastenOptions { ExportProfile = "ovh-s3" }, schedule: "*/20 * * * *", retention: new RetentionSpec { KeepLast = 1, KeepFailed = 1 });
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await _client.ListAsync(ForeignKinds.KastenRestorePoints, "platau-prod")).Items.Count(p => p.Exported) >= 2
                                       && (await _client.ListAsync(ForeignKinds.KastenBackupActions, "platau-prod")).Items.Count == 1 && (await Policy("platau")).Status?.RetainedRuns == 1,
            "two runs exported, the older one retired", TimeSpan.FromMinutes(2), TimeSpan.FromHours(2));
        var backups = (await _client.ListAsync(ForeignKinds.KastenBackupActions, "platau-prod")).Items;
        backups.ShouldHaveSingleItem("retention deleted the older run's BackupAction");
        backups[0].Metadata.Labels![KastenLabels.AppNamespace].ShouldBe("platau-prod");
        backups[0].Metadata.Labels![KastenLabels.AppType].ShouldBe("namespace");
        var exports = (await _client.ListAsync(ForeignKinds.KastenExportActions, K10)).Items;
        exports.ShouldAllBe(e => e.Spec!.Profile!.Name == "ovh-s3" && e.Spec.ExportData!.Enabled == true && e.Spec.Subject!.Kind == "RestorePoint");
        var policy = await Policy("platau");
        Cond(policy, "RecoveryPointObjectiveMet")!.Status.ShouldBe("True");
        var points = (await _client.ListAsync(ForeignKinds.KastenRestorePoints, "platau-prod")).Items;
        points.Count(p => !p.Exported).ShouldBe(1, "the retired run's local RestorePoint went with its content");
        points.Count(p => p.Exported).ShouldBeGreaterThanOrEqualTo(2, "exports on the shared location are never deleted from here");
        var contents = (await _client.ListAsync(ForeignKinds.KastenRestorePointContents, null)).Items;
        contents.Count(c => c.Metadata.Labels?.ContainsKey(KastenLabels.ExportProfile) != true).ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_or_skipped_action_fails_the_run_with_K10s_message_and_a_Complete_run_without_RestorePoint_is_no_recovery_point()
    {
        await Create("platau", new KastenOptions { Policy = "platau-local" });
        _host["sbg"].Controllers.Kasten.FailAction = a => a.StorageKey.EndsWith("runactions") ? "snapshot of PVC data-mongodb-0 failed: quota exceeded" : null;
        await using var op = StartOperator();
        await AdvanceUntil(async () => (await Policy("platau")).Status?.LastRun?.Phase == "Failed", "first run failed", TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
        var policy = await Policy("platau");
        policy.Status!.LastRun!.Error.ShouldContain("Failed: snapshot of PVC data-mongodb-0 failed: quota exceeded");
        Cond(policy, "RecoveryPointObjectiveMet")!.Reason.ShouldBe("NoRecoveryPoint");
        (await _client.ListAsync(Resources.Events, "platau-prod")).Items.ShouldContain(e => e.Reason == "RunFailed" && e.Message!.Contains("quota exceeded"));

        _host["sbg"].Controllers.Kasten.FailAction = null;
        _host["sbg"].Controllers.Kasten.SkipRun = _ => true;
        await AdvanceUntil(async () => (await Policy("platau")).Status?.LastRun is { Phase: "Failed" } last && last.Error!.Contains("Skipped"), "skipped run", TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));

        _host["sbg"].Controllers.Kasten.SkipRun = null;
        _host["sbg"].Controllers.Kasten.CompleteWithoutRestorePoint = _ => true;
        await AdvanceUntil(async () => (await Policy("platau")).Status?.LastRun is { Phase: "Failed" } last && last.Error!.Contains("no RestorePoint"), "complete without restore point", TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
        (await Policy("platau")).Status!.LastRun!.Error.ShouldContain("left no RestorePoint in platau-prod");
        (await RunActions()).Last().Status!.State.ShouldBe(KastenStates.Complete, "K10 said Complete: the operator does not believe it without data");
        Cond(await Policy("platau"), "RecoveryPointObjectiveMet")!.Status.ShouldBe("False");
    }

    [Fact]
    public async Task A_missing_K10_policy_or_profile_or_a_policy_that_does_not_export_there_is_Ready_False_with_its_reason()
    {
        await Create("ghost", new KastenOptions { Policy = "nope" });
        await Create("no-profile", new KastenOptions { ExportProfile = "nowhere" });
        await Create("local-only", new KastenOptions { Policy = "platau-local", ExportProfile = "ovh-s3" });
        await Create("fine", new KastenOptions { Policy = "platau-4h", ExportProfile = "ovh-s3" });
        await using var op = StartOperator();
        async Task<string?> Reason(string name) => Cond(await Policy(name), "Ready")?.Reason;
        await Eventually.HoldsAsync(async () => await Reason("ghost") == "KastenPolicyNotFound" && await Reason("no-profile") == "ExportProfileNotFound"
                                                && await Reason("local-only") == "KastenPolicyDoesNotExport" && await Reason("fine") == "Scheduled", "each policy judged");
        Cond(await Policy("local-only"), "Ready")!.Message.ShouldContain("has no export action");
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, "platau-prod")).Items.Any(e => e.Reason == "KastenPolicyNotFound" && e.Type == "Warning"), "the Warning Event follows the condition");
        (await RunActions("ghost")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Two_same_named_Kasten_policies_in_different_namespaces_keep_their_actions_and_recovery_points_apart()
    {
        await K10Policy("rieau-4h", "rieau-prod", exportTo: null);
        await Create("nightly", new KastenOptions { Policy = "platau-local" });
        await Create("nightly", new KastenOptions { Policy = "rieau-4h" }, ns: "rieau-prod");
        _host["sbg"].Controllers.Kasten.FailAction = a => a.Parse()["spec"]?["subject"]?["name"]?.GetValue<string>() == "rieau-4h" ? "rieau's backup failed" : null;
        await using var op = StartOperator();
        await AdvanceUntil(async () => Cond(await Policy("nightly"), "RecoveryPointObjectiveMet")?.Status == "True"
                                       && (await Policy("nightly", "rieau-prod")).Status?.LastRun?.Phase == "Failed", "both ran", TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
        var platau = await RunActions("nightly");
        var rieau = await RunActions("nightly", "rieau-prod");
        platau.ShouldHaveSingleItem().Spec!.Subject!.Name.ShouldBe("platau-local");
        rieau.ShouldHaveSingleItem().Spec!.Subject!.Name.ShouldBe("rieau-4h");
        rieau[0].Name.ShouldNotBe(platau[0].Name, "the same slot of the same-named policy gets its own action, never the other's");
        Cond(await Policy("nightly", "rieau-prod"), "RecoveryPointObjectiveMet")!.Reason.ShouldBe("NoRecoveryPoint");
    }
}
