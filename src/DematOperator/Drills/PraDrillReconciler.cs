using System.Globalization;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;
using DematOperator.ServiceLevels;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>
/// Runs a PraDrill as a persisted state machine: Preflight → Quiesce → Restore → Verify → Measure → Report →
/// Rollback. Each step is idempotent (deterministic names, annotations on what it touched) and its outcome is
/// written to status before the next one starts, so a restarted operator or a new leader resumes where the
/// run stood. Any failure, timeout or abort skips to the report and the rollback, which gives the test
/// environments back exactly and deletes only the namespaces the run created.
/// </summary>
public sealed class PraDrillReconciler(
    KubeClient client,
    Informer<PraDrill> drills,
    RemoteClusters remotes,
    IProbeRunner probes,
    EventRecorder events,
    PraDrillMetrics metrics,
    ILogger<PraDrillReconciler> log) : IReconciler
{
    public const string RunNowAnnotation = Group.AnnotationPrefix + "run-now";
    public const string AbortAnnotation = Group.AnnotationPrefix + "abort";
    public const string ConfirmFailoverAnnotation = Group.AnnotationPrefix + "confirm-failover";
    public const string QuiescedByAnnotation = Group.AnnotationPrefix + "pra-quiesced-by";
    public const string OriginalReplicasAnnotation = Group.AnnotationPrefix + "pra-original-replicas";
    public const string OriginalSuspendAnnotation = Group.AnnotationPrefix + "pra-original-suspend";
    public const string RunLabel = Group.AnnotationPrefix + "pra-run";
    public const string DrillLabel = Group.AnnotationPrefix + "pra-drill";
    public const string Finalizer = Group.AnnotationPrefix + "pra-rollback";

    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReachabilityTimeout = TimeSpan.FromSeconds(10);
    private static readonly Duration NamespaceDeletionTimeout = Duration.FromMinutes(15);
    private static readonly ResourceType<DynamicObject> VeleroBackups = Resources.Dynamic("velero.io", "v1", "backups", "Backup", true);
    private static readonly ResourceType<DynamicObject> VeleroRestores = Resources.Dynamic("velero.io", "v1", "restores", "Restore", true);
    private static readonly ResourceType<DynamicObject> CronJobs = Resources.Dynamic("batch", "v1", "cronjobs", "CronJob", true);
    private static readonly ResourceType<DynamicObject> Jobs = Resources.Dynamic("batch", "v1", "jobs", "Job", true);

    private sealed class InvalidDrillException(string reason, string message) : Exception(message)
    {
        public string Reason { get; } = reason;
    }

    /// <summary>What a step did: finished (with a message), must wait and look again, or failed the run.</summary>
    private sealed record StepOutcome(bool Finished, string? Message, string? Failure = null, TimeSpan? RetryAfter = null, string? Reason = null)
    {
        public static StepOutcome Done(string message) => new(true, message);
        public static StepOutcome Wait(string message, TimeSpan? after = null) => new(false, message, RetryAfter: after ?? Poll);
        /// <summary>The step failed: <paramref name="reason"/> is one of <see cref="DrillReasons"/>, searchable in the docs.</summary>
        public static StepOutcome Fail(string reason, string message) => new(true, message, message, Reason: reason);
        public static StepOutcome Skip(string message) => new(true, message) { Skipped = true };
        public bool Skipped { get; init; }
    }

    private sealed record Context(PraDrill Drill, DrillSettings Settings, KubeClient Target, DrillRunStatus Run, Instant Now)
    {
        public string RunKey => $"{Drill.Namespace}/{Drill.Name}/{Run.Name}";
        public string VeleroNamespace => Drill.Spec.Backup.VeleroNamespace ?? "openshift-adp";
        public IEnumerable<string> TargetNamespaces => Drill.Spec.Source.Namespaces.Select(Settings.TargetNamespace);
    }

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        if (drills.Get(request.Namespace, request.Name) is null) return ReconcileResult.Done;
        // Runs are decided on the stored object, never on a cache that may not show our last step yet.
        var drill = await client.TryGetAsync(OperatorKinds.PraDrills, request.Namespace, request.Name, ct);
        if (drill is null) return ReconcileResult.Done;
        var now = Instant.FromDateTimeOffset(client.Time.GetUtcNow());
        var problems = PraDrillChecks.Resolve(drill.Spec, out var settings);
        // The run is worked on as a copy: status writes compare it with the stored object, which must not change with it.
        var run = ObjectWriter.Copy(OperatorKinds.PraDrills, drill).Status?.CurrentRun;
        if (settings is null)
        {
            var problem = problems.First(p => !p.Warning);
            if (run is null)
            {
                await SetConditionAsync(drill, false, problem.Reason, $"{problem.Field}: {problem.Message}", ct, warnWithEvent: true);
                return drill.IsDeleting ? await ReleaseAsync(drill, ct) : ReconcileResult.Done;
            }
            // A run in flight still needs its rollback: carry on with the settings it had, failing it.
            PraDrillChecks.Resolve(LastGoodSpec(drill), out settings);
            settings ??= new DrillSettings(null, DateTimeZone.Utc, false, Duration.FromHours(2), Duration.FromHours(4), Duration.FromHours(1), Duration.FromMinutes(30), Duration.Zero, new Dictionary<string, string>());
            if (run.FailureReason is null)
            {
                run.FailureReason = $"the spec became invalid during the run ({problem.Field}: {problem.Message})";
                run.FailureCode = DrillReasons.SpecInvalid;
            }
        }

        KubeClient target;
        try { target = await TargetAsync(drill, ct); }
        catch (RemoteClusterException e)
        {
            await SetConditionAsync(drill, false, "InvalidKubeconfig", e.Message, ct, warnWithEvent: true);
            return run is null ? ReconcileResult.Done : ReconcileResult.After(TimeSpan.FromMinutes(1));
        }

        if (run is null)
        {
            if (drill.IsDeleting) return await ReleaseAsync(drill, ct);
            return await IdleAsync(drill, settings, target, now, ct);
        }
        return await AdvanceRunAsync(new Context(drill, settings, target, run, now), ct);
    }

    // ---------------------------------------------------------------- idle: validate, schedule, start

    private async Task<ReconcileResult> IdleAsync(PraDrill drill, DrillSettings settings, KubeClient target, Instant now, CancellationToken ct)
    {
        try
        {
            await CheckBackupSourceAsync(drill, ct);
            await CheckQuiesceNamespacesAsync(drill, target, ct);
        }
        catch (InvalidDrillException e)
        {
            await SetConditionAsync(drill, false, e.Reason, e.Message, ct, warnWithEvent: true);
            return ReconcileResult.After(TimeSpan.FromMinutes(5));
        }
        var status = drill.Status ?? new PraDrillStatus();
        var annotations = drill.Metadata.Annotations ?? [];
        var runNow = annotations.GetValueOrDefault(RunNowAnnotation);
        var newRequest = !string.IsNullOrEmpty(runNow) && runNow != status.LastRunNowRequest;
        if (settings.Failover && newRequest && annotations.GetValueOrDefault(ConfirmFailoverAnnotation) != runNow)
        {
            await SetConditionAsync(drill, false, "FailoverNotConfirmed",
                $"mode Failover: set the annotation {ConfirmFailoverAnnotation}=\"{runNow}\" (the value of {RunNowAnnotation}) to confirm this real failover", ct, warnWithEvent: true);
            return ReconcileResult.Done;
        }
        var lastScheduled = status.LastScheduleTime is { } ls ? Instant.FromDateTimeOffset(ls) : Instant.FromDateTimeOffset(drill.Metadata.CreationTimestamp ?? client.Time.GetUtcNow());
        var decision = settings.Schedule is { } schedule && !settings.Failover
            ? BackupDecisions.Decide(schedule, settings.Zone, lastScheduled, now, Duration.FromHours(1), false, drill.Spec.Suspend == true)
            : new SlotDecision(null, null, 0, false);
        var next = settings.Schedule is { } s2 && !settings.Failover && drill.Spec.Suspend != true ? s2.Next(now, settings.Zone) : null;
        string? trigger = newRequest ? "manual" : decision.RunSlot is not null ? "schedule" : null;
        if (decision.Missed > 0)
            await events.WarningAsync(drill, "DrillMissed", "the scheduled drill slot passed while the operator was not running; trigger it with " + RunNowAnnotation, ct);

        if (trigger is null)
        {
            await WriteStatusAsync(drill, st =>
            {
                st.Phase = "Idle";
                if (decision.LatestSlot is { } latest) st.LastScheduleTime = latest.ToDateTimeOffset();
                st.NextScheduleTime = next?.ToDateTimeOffset();
                SetReady(drill, st, true, "Idle", next is { } n ? $"next rehearsal {Local(n.ToDateTimeOffset(), settings.Zone)}" : $"no scheduled run: start one with {RunNowAnnotation}");
            }, ct);
            ExportIdle(drill, settings);
            return next is { } wake ? ReconcileResult.After(Max((wake - now).ToTimeSpan(), TimeSpan.FromMilliseconds(1))) : ReconcileResult.Done;
        }

        var run = new DrillRunStatus
        {
            Name = RunLabels.Fit($"{drill.Name}-{now.ToDateTimeUtc().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}", 63),
            Mode = settings.Failover ? "Failover" : "Rehearsal",
            Trigger = trigger,
            StartTime = now.ToDateTimeOffset(),
            Step = DrillSteps.Preflight,
            Steps = [.. DrillSteps.All.Select(n => new DrillStep { Name = n })],
        };
        drill = await ObjectWriter.AddFinalizerAsync(client, OperatorKinds.PraDrills, drill, Finalizer, ct);
        await WriteStatusAsync(drill, st =>
        {
            st.Phase = "Running";
            st.CurrentRun = run;
            if (newRequest) st.LastRunNowRequest = runNow;
            if (decision.LatestSlot is { } latest) st.LastScheduleTime = latest.ToDateTimeOffset();
            st.NextScheduleTime = next?.ToDateTimeOffset();
            // An abort given before this run started is not meant for it.
            st.LastAbortRequest = drill.Metadata.Annotations?.GetValueOrDefault(AbortAnnotation) ?? st.LastAbortRequest;
            SetReady(drill, st, true, "Running", $"run {run.Name} started ({run.Mode}, {trigger})");
        }, ct);
        log.LogWarning("PRA drill {Namespace}/{Drill} run {Run} started ({Mode}, {Trigger})", drill.Namespace, drill.Name, run.Name, run.Mode, trigger);
        await events.NormalAsync(drill, "RunStarted", $"run {run.Name} started: {run.Mode} ({trigger}); RTO counts from now", ct);
        metrics.Running.WithLabels(drill.Namespace!, drill.Name).Set(1);
        return ReconcileResult.After(TimeSpan.FromMilliseconds(1));
    }

    /// <summary>The named BackupPolicy must exist (here, or on the source when it answers) and use Velero.</summary>
    /// <summary>
    /// A test environment named in quiesce.namespaces that does not exist is a typo, not an empty environment: a drill
    /// would "stop" nothing and keep RBX's capacity busy with them. Refused before any run.
    /// </summary>
    private static async Task CheckQuiesceNamespacesAsync(PraDrill drill, KubeClient target, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var ns in drill.Spec.Quiesce?.Namespaces ?? [])
            if (await target.TryGetAsync(Resources.Namespaces, null, ns, ct) is null) missing.Add(ns);
        if (missing.Count > 0)
            throw new InvalidDrillException("QuiesceNamespaceNotFound", $"spec.quiesce.namespaces: {string.Join(", ", missing)} not found on the target cluster");
    }

    private async Task CheckBackupSourceAsync(PraDrill drill, CancellationToken ct)
    {
        // A missing or broken kubeconfig Secret is a configuration error; an unreachable source is a disaster, which the drill handles.
        if (drill.Spec.Source.Kubeconfig is { } k)
        {
            try { await remotes.ForSecretAsync(drill.Namespace!, k.Name, k.Key ?? "kubeconfig", k.Context, ct); }
            catch (RemoteClusterException e) { throw new InvalidDrillException("InvalidKubeconfig", $"spec.source.kubeconfig: {e.Message}"); }
        }
        if (drill.Spec.Backup.BackupPolicy is not { Length: > 0 } name) return;
        var ns = drill.Spec.Backup.BackupPolicyNamespace ?? drill.Namespace!;
        var policy = await client.TryGetAsync(OperatorKinds.BackupPolicies, ns, name, ct);
        if (policy is null)
        {
            var source = await SourceAsync(drill, ct);
            if (source is null) return;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ReachabilityTimeout);
                policy = await source.TryGetAsync(OperatorKinds.BackupPolicies, ns, name, timeout.Token);
            }
            catch (Exception e) when (e is KubeConnectionException or OperationCanceledException or KubeApiException) { return; }
            if (policy is null) throw new InvalidDrillException("UnknownBackupPolicy", $"BackupPolicy {ns}/{name} exists neither on this cluster nor on the source");
        }
        if (policy.Spec.Method != "Velero")
            throw new InvalidDrillException("UnsuitableBackupPolicy", $"BackupPolicy {ns}/{name} uses {policy.Spec.Method}: a drill restores Velero backups from the shared storage");
    }

    // ---------------------------------------------------------------- a run in flight

    private async Task<ReconcileResult> AdvanceRunAsync(Context cx, CancellationToken ct)
    {
        var drill = cx.Drill;
        var run = cx.Run;
        var abort = drill.Metadata.Annotations?.GetValueOrDefault(AbortAnnotation);
        var abortRequested = !string.IsNullOrEmpty(abort) && abort != drill.Status?.LastAbortRequest;
        if (drill.IsDeleting && run.FailureReason is null) (run.FailureReason, run.FailureCode) = ("aborted: the PraDrill is being deleted", DrillReasons.Deleted);
        if (abortRequested)
        {
            // During the inspection delay of a successful rehearsal, an abort only ends the wait.
            if (run.FailureReason is null && run.Step != DrillSteps.Rollback) (run.FailureReason, run.FailureCode) = ($"aborted ({AbortAnnotation}={abort})", DrillReasons.Aborted);
            run.AbortRequested = true;
            await WriteStatusAsync(drill, st => { st.CurrentRun = run; st.LastAbortRequest = abort; }, ct);
            await events.WarningAsync(drill, "AbortRequested", $"abort of run {run.Name} requested: rolling back now", ct);
        }

        for (var guard = 0; guard < DrillSteps.All.Length + 1; guard++)
        {
            var step = run.Steps.FirstOrDefault(s => s.State is "Pending" or "Running");
            if (step is null) return await FinishAsync(cx, ct);
            if (run.FailureReason is not null && step.Name is not (DrillSteps.Report or DrillSteps.Rollback))
            {
                // A failed run skips to its report and rollback; a refused preflight did nothing to undo.
                var refused = run.Steps.First(s => s.Name == DrillSteps.Preflight).State == "Failed";
                foreach (var s in run.Steps.Where(s => s.State is "Pending" or "Running" && (refused || s.Name is not (DrillSteps.Report or DrillSteps.Rollback))))
                {
                    s.State = s.State == "Running" ? "Failed" : "Skipped";
                    s.EndTime ??= cx.Now.ToDateTimeOffset();
                    s.Message ??= s.State == "Failed" ? run.FailureReason : "skipped: the run failed";
                }
                await SaveRunAsync(cx, ct);
                continue;
            }
            if (step.State == "Pending")
            {
                step.State = "Running";
                step.StartTime = cx.Now.ToDateTimeOffset();
                run.Step = step.Name;
                await SaveRunAsync(cx, ct);
            }
            StepOutcome outcome;
            try
            {
                outcome = step.Name switch
                {
                    DrillSteps.Preflight => await PreflightAsync(cx, ct),
                    DrillSteps.Quiesce => await QuiesceAsync(cx, ct),
                    DrillSteps.Restore => await RestoreAsync(cx, step, ct),
                    DrillSteps.Verify => await VerifyAsync(cx, step, ct),
                    DrillSteps.Measure => Measure(cx),
                    DrillSteps.Report => await ReportAsync(cx, null, ct),
                    _ => await RollbackAsync(cx, step, ct),
                };
            }
            catch (Exception e) when (e is KubeApiException or KubeConnectionException or RemoteClusterException)
            {
                // The API may be down for a while: the step is retried, and times out by its own clock.
                outcome = StepOutcome.Wait($"retrying after an API error: {e.Message}", TimeSpan.FromSeconds(15));
            }
            if (!outcome.Finished)
            {
                if (step.Message != outcome.Message) { step.Message = outcome.Message; await SaveRunAsync(cx, ct); }
                return ReconcileResult.After(outcome.RetryAfter ?? Poll);
            }
            step.State = outcome.Failure is not null ? "Failed" : outcome.Skipped ? "Skipped" : "Succeeded";
            step.EndTime = cx.Now.ToDateTimeOffset();
            step.Message = outcome.Message;
            if (outcome.Failure is not null && run.FailureReason is null)
            {
                run.FailureReason = $"{step.Name}: {outcome.Failure}";
                run.FailureCode = outcome.Reason;
            }
            if (step.StartTime is { } started)
                metrics.StepDuration.WithLabels(drill.Namespace!, drill.Name, step.Name).Set((cx.Now - Instant.FromDateTimeOffset(started)).TotalSeconds);
            await SaveRunAsync(cx, ct);
            if (outcome.Failure is not null)
                await events.WarningAsync(drill, "StepFailed", $"run {run.Name} step {step.Name} failed: {outcome.Failure}", ct);
        }
        return ReconcileResult.After(TimeSpan.FromMilliseconds(1));
    }

    private async Task<StepOutcome> PreflightAsync(Context cx, CancellationToken ct)
    {
        var (drill, run) = (cx.Drill, cx.Run);
        var others = drills.List().Where(d => d.Metadata.Uid != drill.Metadata.Uid && d.Status?.CurrentRun is not null).Select(d => $"{d.Namespace}/{d.Name}").ToList();
        if (others.Count > 0) return StepOutcome.Fail(DrillReasons.AnotherDrillRunning, $"another drill is running: {string.Join(", ", others)}");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ReachabilityTimeout);
            await cx.Target.ListAsync(Resources.Namespaces, null, new ListRequest(Limit: 1), timeout.Token);
        }
        catch (Exception e) when (e is KubeConnectionException or OperationCanceledException or KubeApiException && !ct.IsCancellationRequested)
        {
            return StepOutcome.Fail(DrillReasons.TargetUnreachable, $"the target cluster is unreachable: {e.Message}");
        }
        run.SourceReachable = await SourceReachableAsync(drill, ct);

        var selector = drill.Spec.Backup.BackupPolicy is { Length: > 0 } policy
            ? RunLabels.Selector(drill.Spec.Backup.BackupPolicyNamespace ?? drill.Namespace!, policy)
            : $"velero.io/schedule-name={drill.Spec.Backup.VeleroSchedule}";
        List<DynamicObject> backups;
        try { backups = (await cx.Target.ListAsync(VeleroBackups, cx.VeleroNamespace, new ListRequest(selector), ct)).Items; }
        catch (KubeApiException e) when (e.Code == 404) { return StepOutcome.Fail(DrillReasons.VeleroNotInstalled, "the velero.io API is not installed on the target cluster"); }
        var newest = backups.Where(b => (string?)b.Status?["phase"] == "Completed")
            .Select(b => (Backup: b, Time: DataTime(b)))
            .OrderByDescending(b => b.Time).FirstOrDefault();
        if (newest.Backup is null) return StepOutcome.Fail(DrillReasons.NoCompletedBackup, $"no completed Velero backup matches {selector} in {cx.VeleroNamespace}");
        var included = ObjectMetaAccess.StringList(newest.Backup.Spec?["includedNamespaces"]);
        var excluded = ObjectMetaAccess.StringList(newest.Backup.Spec?["excludedNamespaces"]);
        var notInBackup = drill.Spec.Source.Namespaces.Where(ns => included.Count > 0 && !included.Contains("*") && !included.Contains(ns) || excluded.Contains(ns)).ToList();
        if (notInBackup.Count > 0)
            return StepOutcome.Fail(DrillReasons.BackupMissesNamespace,
                $"backup {newest.Backup.Name} does not hold {string.Join(", ", notInBackup)} (it includes {(included.Count == 0 ? "every namespace" : string.Join(", ", included))}{(excluded.Count > 0 ? $", excludes {string.Join(", ", excluded)}" : "")})");
        var age = Instant.FromDateTimeOffset(run.StartTime) - newest.Time;
        if (age > cx.Settings.Rpo)
            return StepOutcome.Fail(DrillReasons.RecoveryPointTooOld, $"the newest completed backup {newest.Backup.Name} is {Human(age)} old, older than the {Human(cx.Settings.Rpo)} RPO: the drill would restore data the contract does not accept");
        foreach (var ns in cx.TargetNamespaces)
        {
            var existing = await cx.Target.TryGetAsync(Resources.Namespaces, null, ns, ct);
            if (existing is not null && existing.Metadata.Labels?.GetValueOrDefault(RunLabel) != RunLabels.LabelValue(run.Name))
                return StepOutcome.Fail(DrillReasons.NamespaceExists, $"namespace {ns} already exists on the target and was not created by this run: the drill never restores over existing namespaces");
        }
        run.BackupName = newest.Backup.Name;
        run.BackupTime = newest.Time.ToDateTimeOffset();
        return StepOutcome.Done($"backup {newest.Backup.Name} ({Human(age)} old), target reachable, source {(run.SourceReachable == true ? "reachable" : "unreachable")}");
    }

    private async Task<StepOutcome> QuiesceAsync(Context cx, CancellationToken ct)
    {
        var quiesced = new List<QuiescedObject>();
        foreach (var ns in await QuiesceNamespacesAsync(cx, ct))
        {
            foreach (var type in new[] { Resources.Deployments, Resources.StatefulSets })
                foreach (var w in (await cx.Target.ListAsync(type, ns, null, ct)).Items)
                {
                    var original = await StopAsync(cx, type, w, "replicas", ct);
                    quiesced.Add(new QuiescedObject { Kind = type.Kind, Namespace = ns, Name = w.Name, Replicas = int.Parse(original, CultureInfo.InvariantCulture) });
                }
            try
            {
                foreach (var cj in (await cx.Target.ListAsync(CronJobs, ns, null, ct)).Items)
                {
                    var original = await StopAsync(cx, CronJobs, cj, "suspend", ct);
                    quiesced.Add(new QuiescedObject { Kind = "CronJob", Namespace = ns, Name = cj.Name, Suspend = original == "true" });
                }
            }
            catch (KubeApiException e) when (e.Code == 404) { }
        }
        cx.Run.Quiesced = quiesced;
        return StepOutcome.Done($"{quiesced.Count(q => q.Kind != "CronJob")} workload(s) scaled to 0, {quiesced.Count(q => q.Kind == "CronJob")} CronJob(s) suspended");
    }

    /// <summary>
    /// Stops one object and records on it what it had, in one optimistic write. An object already stopped by
    /// this run keeps its record; one left stopped by an earlier run keeps that earlier (true) original.
    /// </summary>
    private async Task<string> StopAsync(Context cx, ResourceType<DynamicObject> type, DynamicObject obj, string field, CancellationToken ct)
    {
        var annotations = obj.Metadata.Annotations ?? [];
        var originalKey = field == "replicas" ? OriginalReplicasAnnotation : OriginalSuspendAnnotation;
        if (annotations.GetValueOrDefault(QuiescedByAnnotation) == cx.RunKey && annotations.TryGetValue(originalKey, out var recorded)) return recorded;
        var original = annotations.GetValueOrDefault(originalKey) ?? (field == "replicas"
            ? ((int?)obj.Spec?["replicas"] ?? 1).ToString(CultureInfo.InvariantCulture)
            : ((bool?)obj.Spec?["suspend"] ?? false) ? "true" : "false");
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = obj.Metadata.ResourceVersion,
                ["annotations"] = new JsonObject { [QuiescedByAnnotation] = cx.RunKey, [originalKey] = original },
            },
            ["spec"] = new JsonObject { [field] = field == "replicas" ? 0 : true },
        };
        using var because = KubeClient.Because($"PraDrill {cx.RunKey} quiesce");
        await cx.Target.PatchAsync(type, obj.Namespace, obj.Name, PatchType.Merge, patch.ToJsonString(), ct: ct);
        return original;
    }

    private async Task<List<string>> QuiesceNamespacesAsync(Context cx, CancellationToken ct)
    {
        var quiesce = cx.Drill.Spec.Quiesce;
        var result = new List<string>(quiesce?.Namespaces ?? []);
        if (quiesce?.NamespaceSelector is { } sel)
        {
            var selector = LabelSelector.FromObject(System.Text.Json.JsonSerializer.SerializeToNode(sel, OperatorJsonContext.Default.LabelSelectorSpec)).ToString();
            result.AddRange((await cx.Target.ListAsync(Resources.Namespaces, null, new ListRequest(selector), ct)).Items.Select(n => n.Name));
        }
        var restored = cx.TargetNamespaces.ToHashSet();
        return result.Where(n => !restored.Contains(n)).Distinct().ToList();
    }

    private async Task<StepOutcome> RestoreAsync(Context cx, DrillStep step, CancellationToken ct)
    {
        var run = cx.Run;
        var created = run.CreatedNamespaces ??= [];
        using var because = KubeClient.Because($"PraDrill {cx.RunKey} restore");
        foreach (var ns in cx.TargetNamespaces)
        {
            try
            {
                await cx.Target.CreateAsync(Resources.Namespaces, new DynamicObject
                {
                    Metadata = new ObjectMeta { Name = ns, Labels = new() { [RunLabel] = RunLabels.LabelValue(run.Name), [DrillLabel] = RunLabels.LabelValue(cx.Drill.Name) } },
                }, ct);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                var existing = await cx.Target.GetAsync(Resources.Namespaces, null, ns, ct);
                if (existing.Metadata.Labels?.GetValueOrDefault(RunLabel) != RunLabels.LabelValue(run.Name))
                    return StepOutcome.Fail(DrillReasons.NamespaceExists, $"namespace {ns} appeared on the target during the run and is not the drill's");
            }
            if (!created.Contains(ns)) created.Add(ns);
        }
        run.RestoreName = run.Name;
        var mapping = new JsonObject();
        foreach (var source in cx.Drill.Spec.Source.Namespaces)
            if (cx.Settings.TargetNamespace(source) is var t && t != source) mapping[source] = t;
        var restore = new DynamicObject
        {
            Metadata = new ObjectMeta
            {
                Name = run.Name, Namespace = cx.VeleroNamespace,
                Labels = new() { [RunLabel] = RunLabels.LabelValue(run.Name), [DrillLabel] = RunLabels.LabelValue(cx.Drill.Name), ["app.kubernetes.io/managed-by"] = "dematoperator" },
            },
            Fields = new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["backupName"] = run.BackupName,
                    ["includedNamespaces"] = new JsonArray([.. cx.Drill.Spec.Source.Namespaces.Select(n => (JsonNode)JsonValue.Create(n)!)]),
                    ["namespaceMapping"] = mapping,
                    ["restorePVs"] = true,
                    ["existingResourcePolicy"] = "none",
                },
            },
        };
        // Isolation: a rehearsal restores production's workloads and data, never our own resources, which would
        // otherwise run on RBX (backups into production's chain, probes, certificate writes, drills). A failover
        // restores them on purpose: production now lives on RBX and its duties move with it.
        if (!cx.Settings.Failover)
            restore.Fields["spec"]!["excludedResources"] = new JsonArray([.. OperatorKinds.GroupResources.Select(r => (JsonNode)JsonValue.Create(r)!)]);
        // The Restore is named after the run: after a restart it is adopted, never created twice.
        var current = await cx.Target.TryGetAsync(VeleroRestores, cx.VeleroNamespace, run.Name, ct)
                      ?? await CreateOrGetAsync(cx.Target, VeleroRestores, restore, ct);
        var phase = (string?)current.Status?["phase"];
        switch (phase)
        {
            case "Completed":
                if (cx.Settings.Failover)
                    await events.NormalAsync(cx.Drill, "OperatorResourcesRestored",
                        $"run {run.Name} (Failover): the BackupPolicies, ServiceLevels and CertificateRenewals of {string.Join(", ", cx.TargetNamespaces)} were restored and now act on this cluster, as production does", ct);
                var items = (int?)current.Status?["progress"]?["itemsRestored"] ?? 0;
                if ((int?)current.Status?["errors"] is > 0 and var errors)
                    return StepOutcome.Fail(DrillReasons.RestoreFailed, $"Velero Restore {run.Name} completed with {errors} error(s)");
                var empty = new List<string>();
                foreach (var ns in cx.TargetNamespaces)
                    if (!await HoldsRestoredObjectsAsync(cx.Target, ns, run.Name, ct)) empty.Add(ns);
                if (items == 0 || empty.Count > 0)
                    return StepOutcome.Fail(DrillReasons.NothingRestored,
                        $"Velero Restore {run.Name} completed but restored {(items == 0 ? "nothing" : $"nothing into {string.Join(", ", empty)}")}: a drill that restored nothing proves nothing");
                return StepOutcome.Done($"Velero Restore {run.Name} completed: {items} item(s)"
                                        + (cx.Settings.Failover ? "" : "; DematOperator's own resources excluded (rehearsal)"));
            case "Failed" or "PartiallyFailed" or "FailedValidation":
                var why = (string?)current.Status?["failureReason"] ?? (current.Status?["validationErrors"] as JsonArray)?.FirstOrDefault()?.ToString() ?? $"{(int?)current.Status?["errors"] ?? 0} error(s)";
                return StepOutcome.Fail(DrillReasons.RestoreFailed, $"Velero Restore {run.Name} ended {phase}: {why}");
        }
        if (cx.Now - Instant.FromDateTimeOffset(step.StartTime!.Value) > cx.Settings.RestoreTimeout)
            return StepOutcome.Fail(DrillReasons.RestoreTimedOut, $"Velero Restore {run.Name} not completed after {Human(cx.Settings.RestoreTimeout)} (phase {phase ?? "New"})");
        return StepOutcome.Wait($"Velero Restore {run.Name}: {phase ?? "New"}");
    }

    /// <summary>Whether Velero put anything of this restore into the namespace (its objects carry velero.io/restore-name).</summary>
    private static async Task<bool> HoldsRestoredObjectsAsync(KubeClient target, string ns, string restore, CancellationToken ct)
    {
        var selector = new ListRequest($"velero.io/restore-name={RunLabels.LabelValue(restore)}", Limit: 1);
        async Task<bool> Any<T>(ResourceType<T> type) where T : KubeObject => (await target.ListAsync(type, ns, selector, ct)).Items.Count > 0;
        return await Any(Resources.Deployments) || await Any(Resources.StatefulSets) || await Any(Resources.PersistentVolumeClaims)
               || await Any(Resources.ConfigMaps) || await Any(Resources.Secrets);
    }


    private async Task<StepOutcome> VerifyAsync(Context cx, DrillStep step, CancellationToken ct)
    {
        var verify = cx.Drill.Spec.Verify ?? new DrillVerify();
        var pending = new List<string>();
        var passed = new List<string>();
        if (verify.Workloads != false)
            foreach (var ns in cx.TargetNamespaces)
                foreach (var type in new[] { Resources.Deployments, Resources.StatefulSets })
                    foreach (var w in (await cx.Target.ListAsync(type, ns, null, ct)).Items)
                    {
                        var want = (int?)w.Spec?["replicas"] ?? 1;
                        var ready = (int?)w.Status?["readyReplicas"] ?? 0;
                        (ready >= want ? passed : pending).Add($"{type.Kind} {ns}/{w.Name} {ready}/{want} ready");
                    }
        foreach (var check in verify.Http ?? [])
        {
            var outcome = await probes.RunAsync(cx.Drill.Namespace!, new ProbeSpec
            {
                Name = check.Name, Timeout = "10s",
                Http = new HttpProbeSpec { Url = check.Url, ExpectedStatus = check.ExpectedStatus, InsecureSkipVerify = check.InsecureSkipVerify },
            }, ct);
            (outcome.Success ? passed : pending).Add($"HTTP {check.Name} {check.Url}: {outcome.Message}");
        }
        if (verify.Job is { } job)
        {
            var ns = job.Namespace ?? cx.TargetNamespaces.First();
            var name = RunLabels.Fit($"{cx.Run.Name}-verify", 63);
            var existing = await cx.Target.TryGetAsync(Jobs, ns, name, ct) ?? await CreateOrGetAsync(cx.Target, Jobs, new DynamicObject
            {
                Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = new() { [RunLabel] = RunLabels.LabelValue(cx.Run.Name) } },
                Fields = new JsonObject { ["spec"] = job.Template.DeepClone() },
            }, ct);
            var conditions = existing.Status?["conditions"] as JsonArray ?? [];
            bool Has(string type) => conditions.Any(c => (string?)c?["type"] == type && (string?)c?["status"] == "True");
            if (Has("Failed")) return StepOutcome.Fail(DrillReasons.VerificationFailed, $"verification Job {ns}/{name} failed: {conditions.Select(c => (string?)c?["message"]).FirstOrDefault(m => !string.IsNullOrEmpty(m))}");
            (Has("Complete") ? passed : pending).Add($"Job {ns}/{name} {(Has("Complete") ? "succeeded" : "running")}");
        }
        cx.Run.Checks = [.. passed, .. pending];
        if (passed.Count == 0 && pending.Count == 0)
            return StepOutcome.Fail(DrillReasons.NoVerification, "no verification ran: no workload was restored and no HTTP check or Job is configured");
        if (pending.Count == 0)
        {
            cx.Run.VerifiedTime = cx.Now.ToDateTimeOffset();
            return StepOutcome.Done($"{passed.Count} check(s) passed");
        }
        if (cx.Now - Instant.FromDateTimeOffset(step.StartTime!.Value) > cx.Settings.VerifyTimeout)
            return StepOutcome.Fail(DrillReasons.VerificationTimedOut, $"verification not complete after {Human(cx.Settings.VerifyTimeout)}: {string.Join("; ", pending.Take(5))}");
        return StepOutcome.Wait($"waiting for {pending.Count} check(s): {string.Join("; ", pending.Take(3))}");
    }

    private StepOutcome Measure(Context cx)
    {
        var run = cx.Run;
        var start = Instant.FromDateTimeOffset(run.StartTime);
        if (run.BackupTime is { } data) run.RpoSeconds = (long)(start - Instant.FromDateTimeOffset(data)).TotalSeconds;
        if (run.VerifiedTime is { } verified) run.RtoSeconds = (long)(Instant.FromDateTimeOffset(verified) - start).TotalSeconds;
        var rtoMet = run.RtoSeconds <= cx.Settings.Rto.TotalSeconds;
        var rpoMet = run.RpoSeconds <= cx.Settings.Rpo.TotalSeconds;
        return StepOutcome.Done($"RTO {Human(Duration.FromSeconds(run.RtoSeconds ?? 0))} (objective {Human(cx.Settings.Rto)}, {(rtoMet ? "met" : "NOT met")}); " +
                                $"RPO {Human(Duration.FromSeconds(run.RpoSeconds ?? 0))} (objective {Human(cx.Settings.Rpo)}, {(rpoMet ? "met" : "NOT met")})");
    }

    /// <summary>Writes (or rewrites) the run's report ConfigMap next to the PraDrill; the evidence outlives the drill.</summary>
    private async Task<StepOutcome> ReportAsync(Context cx, string? finalResult, CancellationToken ct)
    {
        var run = cx.Run;
        var name = RunLabels.Fit($"{run.Name}-report", 253);
        var result = finalResult ?? (run.FailureReason is null ? "InProgress" : "Failed");
        var (md, json) = DrillReport.Render(cx.Drill.Namespace!, cx.Drill.Name, run, cx.Settings, result, finalResult is null ? null : cx.Now.ToDateTimeOffset());
        var data = new Dictionary<string, string> { ["report.md"] = md, ["report.json"] = json };
        var labels = new Dictionary<string, string> { [DrillLabel] = RunLabels.LabelValue(cx.Drill.Name), [RunLabel] = RunLabels.LabelValue(run.Name), ["app.kubernetes.io/managed-by"] = "dematoperator" };
        var existing = await client.TryGetAsync(Resources.ConfigMaps, cx.Drill.Namespace, name, ct);
        if (existing is null)
            await CreateOrGetAsync(client, Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = name, Namespace = cx.Drill.Namespace, Labels = labels }, Data = data }, ct);
        else await ObjectWriter.UpdateAsync(client, Resources.ConfigMaps, existing, c => c.Data = data, ct);
        run.Report = name;
        return StepOutcome.Done($"report in ConfigMap {name}");
    }

    private async Task<StepOutcome> RollbackAsync(Context cx, DrillStep step, CancellationToken ct)
    {
        var run = cx.Run;
        if (cx.Settings.Failover && run.FailureReason is null)
            return StepOutcome.Skip("failover: production stays on the target and the test environments stay stopped");
        if (run.FailureReason is null && run.VerifiedTime is { } verified && run.AbortRequested != true)
        {
            var until = Instant.FromDateTimeOffset(verified) + cx.Settings.RollbackAfter;
            if (cx.Now < until) return StepOutcome.Wait($"kept for inspection until {Local(until.ToDateTimeOffset(), cx.Settings.Zone)}; annotate {AbortAnnotation} to roll back now", (until - cx.Now).ToTimeSpan());
        }
        using var because = KubeClient.Because($"PraDrill {cx.RunKey} rollback");
        var givenBack = 0;
        foreach (var ns in await QuiesceNamespacesAsync(cx, ct))
        {
            foreach (var type in new[] { Resources.Deployments, Resources.StatefulSets, CronJobs })
            {
                List<DynamicObject> items;
                try { items = (await cx.Target.ListAsync(type, ns, null, ct)).Items; }
                catch (KubeApiException e) when (e.Code == 404) { continue; }
                foreach (var obj in items.Where(o => o.Metadata.Annotations?.GetValueOrDefault(QuiescedByAnnotation) == cx.RunKey))
                {
                    var annotations = obj.Metadata.Annotations!;
                    var spec = new JsonObject();
                    if (type == CronJobs) spec["suspend"] = annotations.GetValueOrDefault(OriginalSuspendAnnotation) == "true";
                    else spec["replicas"] = int.TryParse(annotations.GetValueOrDefault(OriginalReplicasAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 1;
                    var patch = new JsonObject
                    {
                        ["metadata"] = new JsonObject
                        {
                            ["resourceVersion"] = obj.Metadata.ResourceVersion,
                            ["annotations"] = new JsonObject { [QuiescedByAnnotation] = null, [OriginalReplicasAnnotation] = null, [OriginalSuspendAnnotation] = null },
                        },
                        ["spec"] = spec,
                    };
                    await cx.Target.PatchAsync(type, ns, obj.Name, PatchType.Merge, patch.ToJsonString(), ct: ct);
                    givenBack++;
                }
            }
        }
        var remaining = new List<string>();
        foreach (var ns in run.CreatedNamespaces ?? [])
        {
            var existing = await cx.Target.TryGetAsync(Resources.Namespaces, null, ns, ct);
            // Only a namespace carrying this run's label is the drill's to delete.
            if (existing is null || existing.Metadata.Labels?.GetValueOrDefault(RunLabel) != RunLabels.LabelValue(run.Name)) continue;
            remaining.Add(ns);
            if (existing.Metadata.DeletionTimestamp is null)
            {
                try { await cx.Target.DeleteAsync(Resources.Namespaces, null, ns, new DeleteRequest(PreconditionUid: existing.Metadata.Uid), ct); }
                catch (KubeApiException e) when (e.IsNotFound) { remaining.Remove(ns); }
            }
        }
        if (remaining.Count > 0 && cx.Now - Instant.FromDateTimeOffset(step.StartTime!.Value) < NamespaceDeletionTimeout)
            return StepOutcome.Wait($"giving back: test environments restored, waiting for {string.Join(", ", remaining)} to be deleted");
        var message = cx.Settings.Failover && run.FailureReason is null ? "" :
            $"{(run.Quiesced?.Count ?? givenBack)} test-environment object(s) given back, {(run.CreatedNamespaces?.Count ?? 0) - remaining.Count} restored namespace(s) deleted";
        if (remaining.Count > 0) message += $"; still terminating: {string.Join(", ", remaining)}";
        await events.NormalAsync(cx.Drill, "RolledBack", $"run {run.Name}: {message}", ct);
        return StepOutcome.Done(message);
    }

    private async Task<ReconcileResult> FinishAsync(Context cx, CancellationToken ct)
    {
        var (drill, run) = (cx.Drill, cx.Run);
        var refused = run.Steps.First(s => s.Name == DrillSteps.Preflight).State == "Failed";
        var result = run.FailureReason is null ? "Succeeded" : refused ? "Refused" : run.FailureCode is DrillReasons.Aborted or DrillReasons.Deleted ? "Aborted" : "Failed";
        if (!refused) await ReportAsync(cx, result, ct);
        var end = cx.Now.ToDateTimeOffset();
        var summary = new DrillRunSummary
        {
            Name = run.Name, Mode = run.Mode, Result = result, StartTime = run.StartTime, EndTime = end,
            RtoSeconds = run.RtoSeconds, RpoSeconds = run.RpoSeconds,
            RtoMet = run.RtoSeconds is { } rto ? rto <= cx.Settings.Rto.TotalSeconds : null,
            RpoMet = run.RpoSeconds is { } rpo ? rpo <= cx.Settings.Rpo.TotalSeconds : null,
            BackupName = run.BackupName, Report = refused ? null : run.Report, Message = run.FailureReason,
            Reason = run.FailureReason is null ? null : run.FailureCode ?? DrillReasons.StepFailed,
        };
        await WriteStatusAsync(drill, st =>
        {
            st.Phase = "Idle";
            st.CurrentRun = null;
            st.History = [summary, .. (st.History ?? []).Where(h => h.Name != summary.Name)];
            if (st.History.Count > (drill.Spec.HistoryLimit ?? 10)) st.History.RemoveRange(drill.Spec.HistoryLimit ?? 10, st.History.Count - (drill.Spec.HistoryLimit ?? 10));
            st.LastResult = result;
            st.LastRto = run.RtoSeconds is { } s ? Human(Duration.FromSeconds(s)) : null;
            st.LastRunTime = run.StartTime;
            if (result == "Succeeded") st.LastSuccessfulTime = end;
            st.LastAbortRequest = drill.Metadata.Annotations?.GetValueOrDefault(AbortAnnotation) ?? st.LastAbortRequest;
            SetReady(drill, st, true, "Idle", $"run {run.Name} {result.ToLowerInvariant()}");
            Conditions.Set(st.Conditions!, Conditions.Make("LastRunSucceeded", result == "Succeeded", result, $"{run.Name}: {run.FailureReason ?? "all steps succeeded"}", drill.Metadata.Generation), client.Time.GetUtcNow());
        }, ct);
        var labels = new[] { drill.Namespace!, drill.Name };
        metrics.Runs.WithLabels(drill.Namespace!, drill.Name, result.ToLowerInvariant()).Inc();
        metrics.Running.WithLabels(labels).Set(0);
        metrics.LastRun.WithLabels(labels).Set(run.StartTime.ToUnixTimeMilliseconds() / 1000.0);
        if (result == "Succeeded") metrics.LastSuccess.WithLabels(labels).Set(end.ToUnixTimeMilliseconds() / 1000.0);
        if (run.RtoSeconds is { } rtoSeconds) metrics.Rto.WithLabels(labels).Set(rtoSeconds);
        if (run.RpoSeconds is { } rpoSeconds) metrics.Rpo.WithLabels(labels).Set(rpoSeconds);
        ExportIdle(drill, cx.Settings);
        var text = $"run {run.Name} {result.ToLowerInvariant()}{(run.FailureReason is { } f ? $": {f}" : "")}" +
                   (run.RtoSeconds is { } r1 ? $"; RTO {Human(Duration.FromSeconds(r1))} / {Human(cx.Settings.Rto)}" : "") +
                   (run.RpoSeconds is { } r2 ? $", RPO {Human(Duration.FromSeconds(r2))} / {Human(cx.Settings.Rpo)}" : "") +
                   (refused ? "" : $"; report in ConfigMap {run.Report}");
        if (result == "Succeeded") await events.NormalAsync(drill, "RunSucceeded", text, ct);
        else await events.WarningAsync(drill, refused ? "PreflightRefused" : "RunFailed", text, ct);
        if (run.FailureReason is null) log.LogInformation("PRA drill {Namespace}/{Drill} run {Run} ended {Result}", drill.Namespace, drill.Name, run.Name, result);
        else log.LogWarning("PRA drill {Namespace}/{Drill} run {Run} ended {Result} ({Reason}): {Message}", drill.Namespace, drill.Name, run.Name, result, summary.Reason, run.FailureReason);
        var fresh = await client.GetAsync(OperatorKinds.PraDrills, drill.Namespace, drill.Name, ct);
        await ObjectWriter.RemoveFinalizerAsync(client, OperatorKinds.PraDrills, fresh, Finalizer, ct);
        return ReconcileResult.After(TimeSpan.FromMilliseconds(1));
    }

    // ---------------------------------------------------------------- helpers

    private async Task<ReconcileResult> ReleaseAsync(PraDrill drill, CancellationToken ct)
    {
        await ObjectWriter.RemoveFinalizerAsync(client, OperatorKinds.PraDrills, drill, Finalizer, ct);
        metrics.Forget(drill.Namespace!, drill.Name);
        return ReconcileResult.Done;
    }

    private void ExportIdle(PraDrill drill, DrillSettings settings)
    {
        var labels = new[] { drill.Namespace!, drill.Name };
        metrics.Objective.WithLabels(drill.Namespace!, drill.Name, "rto").Set(settings.Rto.TotalSeconds);
        metrics.Objective.WithLabels(drill.Namespace!, drill.Name, "rpo").Set(settings.Rpo.TotalSeconds);
        metrics.Running.WithLabels(labels).Set(drill.Status?.CurrentRun is null ? 0 : 1);
        if (drill.Status?.LastSuccessfulTime is { } ok) metrics.LastSuccess.WithLabels(labels).Set(ok.ToUnixTimeMilliseconds() / 1000.0);
        if (drill.Status?.LastRunTime is { } last) metrics.LastRun.WithLabels(labels).Set(last.ToUnixTimeMilliseconds() / 1000.0);
        // A drill that never succeeded is as old as can be: the yearly alert fires for it too.
        if (drill.Status?.LastSuccessfulTime is null) metrics.LastSuccess.WithLabels(labels).Set(0);
    }

    private async Task<KubeClient> TargetAsync(PraDrill drill, CancellationToken ct) =>
        drill.Spec.Target?.Kubeconfig is { } k ? await remotes.ForSecretAsync(drill.Namespace!, k.Name, k.Key ?? "kubeconfig", k.Context, ct) : client;

    private async Task<KubeClient?> SourceAsync(PraDrill drill, CancellationToken ct)
    {
        if (drill.Spec.Source.Kubeconfig is not { } k) return client;
        try { return await remotes.ForSecretAsync(drill.Namespace!, k.Name, k.Key ?? "kubeconfig", k.Context, ct); }
        catch (RemoteClusterException) { return null; }
    }

    private async Task<bool> SourceReachableAsync(PraDrill drill, CancellationToken ct)
    {
        var source = await SourceAsync(drill, ct);
        if (source is null) return false;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ReachabilityTimeout);
            await source.ListAsync(Resources.Namespaces, null, new ListRequest(Limit: 1), timeout.Token);
            return true;
        }
        catch (Exception e) when (e is KubeConnectionException or OperationCanceledException or KubeApiException && !ct.IsCancellationRequested) { return false; }
    }

    private static async Task<T> CreateOrGetAsync<T>(KubeClient c, ResourceType<T> type, T obj, CancellationToken ct) where T : KubeObject
    {
        try { return await c.CreateAsync(type, obj, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists) { return await c.GetAsync(type, obj.Metadata.Namespace, obj.Name, ct); }
    }

    /// <summary>When the data of a Velero backup was taken: its start (the snapshot instant), else its creation.</summary>
    private static Instant DataTime(DynamicObject backup) =>
        DateTimeOffset.TryParse((string?)backup.Status?["startTimestamp"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? Instant.FromDateTimeOffset(t)
            : Instant.FromDateTimeOffset(backup.Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch);

    private PraDrillSpec LastGoodSpec(PraDrill drill) => drills.Get(drill.Namespace, drill.Name)?.Spec ?? drill.Spec;

    private Task SaveRunAsync(Context cx, CancellationToken ct) => WriteStatusAsync(cx.Drill, st =>
    {
        st.CurrentRun = cx.Run;
        st.Phase = cx.Run.Step == DrillSteps.Rollback || cx.Run.FailureReason is not null ? "RollingBack" : "Running";
    }, ct);

    private async Task WriteStatusAsync(PraDrill drill, Action<PraDrillStatus> mutate, CancellationToken ct)
    {
        var written = await ObjectWriter.UpdateStatusAsync(client, OperatorKinds.PraDrills, drill, d =>
        {
            var st = d.Status ??= new PraDrillStatus();
            st.Conditions ??= [];
            st.ObservedGeneration = d.Metadata.Generation;
            mutate(st);
        }, ct);
        drill.Metadata.ResourceVersion = written.Metadata.ResourceVersion;
        drill.Status = written.Status;
    }

    private void SetReady(PraDrill drill, PraDrillStatus st, bool ready, string reason, string message) =>
        Conditions.Set(st.Conditions!, Conditions.Make("Ready", ready, reason, message, drill.Metadata.Generation), client.Time.GetUtcNow());

    private async Task SetConditionAsync(PraDrill drill, bool ready, string reason, string message, CancellationToken ct, bool warnWithEvent)
    {
        var already = Conditions.Find(drill.Status?.Conditions, "Ready") is { } c && c.Reason == reason && c.Message == message && c.ObservedGeneration == drill.Metadata.Generation;
        await WriteStatusAsync(drill, st => SetReady(drill, st, ready, reason, message), ct);
        if (!already && warnWithEvent) await events.WarningAsync(drill, reason, message, ct);
    }

    private static string Local(DateTimeOffset t, DateTimeZone zone) => Instant.FromDateTimeOffset(t).InZone(zone).ToString("yyyy-MM-dd HH:mm x", CultureInfo.InvariantCulture);
    private static string Human(Duration d) => BackupPolicyReconciler.Human(d);
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
