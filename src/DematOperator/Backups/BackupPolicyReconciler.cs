using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups.Hooks;
using DematOperator.Backups.Methods;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace DematOperator.Backups;

/// <summary>
/// Runs a BackupPolicy: validates it, starts the run of each due slot (CSI VolumeSnapshots, a Velero Backup or K10 actions),
/// follows runs to their end, applies retention, and keeps status, conditions, Events and metrics telling
/// whether the recovery point objective holds, requeueing for the exact instant it stops holding.
/// </summary>
public sealed class BackupPolicyReconciler(
    KubeClient client,
    Informer<BackupPolicy> policies,
    EventRecorder events,
    BackupPolicyMetrics metrics,
    ILogger<BackupPolicyReconciler> log) : IReconciler
{
    public const string Finalizer = "ops.demat.gouv.fr/delete-backups";
    private static readonly TimeSpan ActiveRunPoll = TimeSpan.FromSeconds(5);
    private readonly IReadOnlyDictionary<BackupMethod, IBackupMethod> _methods = BackupMethods.All(client, events);

    private IBackupMethod MethodOf(BackupPolicy policy) => _methods[BackupMethods.Parse(policy.Spec.Method)];

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        var policy = policies.Get(request.Namespace, request.Name);
        if (policy is null)
        {
            metrics.Forget(request.Namespace ?? "", request.Name);
            Forget($"{request.Namespace}/{request.Name}");
            return ReconcileResult.Done;
        }
        var ns = policy.Namespace!;
        var now = Instant.FromDateTimeOffset(client.Time.GetUtcNow());
        // A freeze is decided on the stored object, never on a cache that may not show our last hook step yet:
        // acting on a stale step could freeze a database twice or leave it frozen.
        if (policy.Spec.Hooks is { Count: > 0 } || policy.Status?.ActiveHooks is not null)
            policy = await client.TryGetAsync(OperatorKinds.BackupPolicies, ns, policy.Name, ct) ?? policy;
        if (policy.IsDeleting) return await FinalizeAsync(policy, ct);
        if (policy.Spec.DeletionPolicy == "Delete") policy = await ObjectWriter.AddFinalizerAsync(client, OperatorKinds.BackupPolicies, policy, Finalizer, ct);
        else if (policy.Metadata.Finalizers?.Contains(Finalizer) == true) policy = await ObjectWriter.RemoveFinalizerAsync(client, OperatorKinds.BackupPolicies, policy, Finalizer, ct);

        BackupSettings settings;
        try { settings = await ValidateAsync(policy, ct); }
        catch (InvalidPolicyException e)
        {
            await SetInvalidAsync(policy, e.Reason, e.Message, ct);
            // Missing dependencies (a class, a namespace, Velero) may appear: look again later. A bad spec waits for an edit.
            return e.Transient ? ReconcileResult.After(TimeSpan.FromMinutes(1)) : ReconcileResult.Done;
        }
        metrics.Rpo.WithLabels(ns, policy.Name).Set(settings.Rpo.TotalSeconds);
        metrics.Suspended.WithLabels(ns, policy.Name).Set(policy.Spec.Suspend == true ? 1 : 0);

        if (policy.Status?.ActiveHooks is not null) policy = await AdvanceHooksAsync(policy, settings, now, ct);
        var runs = await ObserveRunsAsync(policy, settings, now, ct);
        // A run whose hooks are going is the active run, even before its capture exists.
        var active = runs.FirstOrDefault(r => r.Phase == RunPhase.Running);
        var freezing = policy.Status?.ActiveHooks;
        var status = policy.Status ?? new BackupPolicyStatus();
        var lastScheduled = status.LastScheduleTime is { } ls ? Instant.FromDateTimeOffset(ls) : Instant.FromDateTimeOffset(policy.Metadata.CreationTimestamp ?? client.Time.GetUtcNow());
        // The cache may not show our own last status write yet: never decide twice on the same slots.
        if (_scheduled.TryGetValue(Key(policy), out var written) && written.Uid == policy.Metadata.Uid && written.Slot > lastScheduled) lastScheduled = written.Slot;
        var decision = BackupDecisions.Decide(settings.Schedule, settings.Zone, lastScheduled, now, settings.StartingDeadline, active is not null || freezing is not null, policy.Spec.Suspend == true);
        string? started = null;
        if (decision.RunSlot is { } slot)
        {
            started = RunLabels.RunName(policy.Name, slot);
            policy = await StartRunAsync(policy, settings, started, new RunOrigin(slot, null), now, ct);
        }
        if (decision.Missed > 0)
        {
            metrics.Missed.WithLabels(ns, policy.Name).Inc(decision.Missed);
            await events.WarningAsync(policy, decision.SkippedBecauseBusy ? "SlotSkipped" : "SlotsMissed",
                decision.SkippedBecauseBusy ? $"slot {Format(decision.LatestSlot!.Value, settings.Zone)} skipped: run {active?.Name ?? freezing!.Run} is still going"
                    : $"{decision.Missed} scheduled slot(s) did not run (last: {Format(decision.LatestSlot!.Value, settings.Zone)}); the next slot runs normally", ct);
        }
        var runNow = policy.Metadata.Annotations?.GetValueOrDefault(RunLabels.RunNowAnnotation);
        var acknowledgeRunNow = false;
        if (!string.IsNullOrEmpty(runNow) && runNow != status.LastRunNowRequest && started is null && active is null && freezing is null)
        {
            started = RunLabels.RunName(policy.Name, now, manual: true);
            policy = await StartRunAsync(policy, settings, started, new RunOrigin(now, runNow), now, ct);
            acknowledgeRunNow = true;
        }
        // run-before: a rollback point must exist before a planned change. One run per request, started at once.
        var runBefore = RollbackPoints.Parse(policy.Metadata.Annotations?.GetValueOrDefault(RunLabels.RunBeforeAnnotation));
        var acknowledgeRunBefore = false;
        if (runBefore is { Change: not null, Value: var beforeValue } && beforeValue != status.RunBeforeRequest && started is null && active is null && freezing is null)
        {
            started = RunLabels.RunName(policy.Name, now, manual: true);
            policy = await StartRunAsync(policy, settings, started, new RunOrigin(now, $"run-before {beforeValue}"), now, ct);
            acknowledgeRunBefore = true;
        }
        if (started is not null) runs = await ObserveRunsAsync(policy, settings, now, ct);

        var retained = await ApplyRetentionAsync(policy, settings, runs, ct);
        var succeeded = runs.Where(r => r.Phase == RunPhase.Succeeded).ToList();
        var recoveryPoint = succeeded.Select(r => r.RecoveryPoint).Max();
        var last = runs.OrderByDescending(r => r.Started).FirstOrDefault();
        var hookFailure = policy.Status?.LastHookFailure;
        var lastRun = last is null ? null : new BackupRunRef
        {
            Name = last.Name, Phase = last.Phase.ToString(), StartTime = last.Started.ToDateTimeOffset(),
            CompletionTime = last.Completed?.ToDateTimeOffset(), Error = last.Error, Consistency = last.Phase == RunPhase.Succeeded ? last.Consistency.ToString() : null,
        };
        // A run its pre-hook stopped left no object: it is the last run when nothing newer exists.
        if (hookFailure?.StartTime is { } failedAt && (last is null || failedAt > last.Started.ToDateTimeOffset())) lastRun = hookFailure;
        var newestGood = succeeded.MaxBy(r => r.RecoveryPoint);
        var next = policy.Spec.Suspend == true ? null : settings.Schedule.Next(now, settings.Zone);
        var rpoMet = recoveryPoint is { } rp && now - rp <= settings.Rpo;
        var gap = LongestGap(settings, now);
        await RecordEndedRunsAsync(policy, runs, ct);

        var before = policy;
        policy = await ObjectWriter.UpdateStatusAsync(client, OperatorKinds.BackupPolicies, policy, p =>
        {
            var s = p.Status ??= new BackupPolicyStatus();
            s.Conditions ??= [];
            var t = client.Time.GetUtcNow();
            s.ObservedGeneration = p.Metadata.Generation;
            if (decision.LatestSlot is { } latest) s.LastScheduleTime = latest.ToDateTimeOffset();
            s.NextScheduleTime = next?.ToDateTimeOffset();
            s.RecoveryPoint = recoveryPoint?.ToDateTimeOffset();
            s.LastSuccessfulTime = succeeded.Select(r => r.Completed).Max()?.ToDateTimeOffset();
            s.LastRun = lastRun;
            s.RecoveryPointConsistency = newestGood?.Consistency.ToString();
            s.RetainedRuns = retained;
            s.MissedRuns = (s.MissedRuns ?? 0) + decision.Missed;
            if (decision.Missed > 0 && decision.LatestSlot is { } missedAt)
            {
                var month = missedAt.InZone(settings.Zone).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
                s.MissedByMonth ??= [];
                s.MissedByMonth[month] = s.MissedByMonth.GetValueOrDefault(month) + decision.Missed;
                foreach (var old in s.MissedByMonth.Keys.Order(StringComparer.Ordinal).SkipLast(13).ToList()) s.MissedByMonth.Remove(old);
            }
            if (acknowledgeRunNow) s.LastRunNowRequest = runNow;
            // The request counts from the instant its run was started, not from this write (the clock may have moved since).
            if (acknowledgeRunBefore) (s.RunBeforeRequest, s.RunBeforeRequestedAt) = (runBefore!.Value, now.ToDateTimeOffset());
            var rollback = RollbackPoints.Assess(runBefore, s.RunBeforeRequest, s.RunBeforeRequestedAt is { } asked ? Instant.FromDateTimeOffset(asked) : null, runs, now);
            if (rollback is { } verdict) Conditions.Set(s.Conditions, Conditions.Make(RollbackPoints.Condition, verdict.Ready, verdict.Reason, verdict.Message, p.Metadata.Generation), t);
            else s.Conditions.RemoveAll(c => c.Type == RollbackPoints.Condition);
            var gen = p.Metadata.Generation;
            Conditions.Set(s.Conditions, Conditions.Make("Ready", true, policy.Spec.Suspend == true ? "Suspended" : "Scheduled",
                policy.Spec.Suspend == true ? "the policy is suspended: no new runs" : $"next run {(next is { } n ? Format(n, settings.Zone) : "never")}", gen), t);
            Conditions.Set(s.Conditions, recoveryPoint is null
                ? Conditions.Make("RecoveryPointObjectiveMet", false, "NoRecoveryPoint", "no successful run yet", gen)
                : Conditions.Make("RecoveryPointObjectiveMet", rpoMet, rpoMet ? "WithinObjective" : "RecoveryPointTooOld",
                    $"recovery point {Format(recoveryPoint.Value, settings.Zone)} is {Durations.Human(now - recoveryPoint.Value)} old; objective {Durations.Human(settings.Rpo)}", gen), t);
            Conditions.Set(s.Conditions, gap > settings.Rpo
                ? Conditions.Make("ScheduleMeetsObjective", false, "ScheduleGapExceedsRpo", $"the schedule leaves gaps of up to {Durations.Human(gap)}, longer than the {Durations.Human(settings.Rpo)} RPO: the objective cannot be met by design", gen)
                : Conditions.Make("ScheduleMeetsObjective", true, "GapsWithinRpo", $"longest gap between runs is {Durations.Human(gap)}", gen), t);
        }, ct);
        if (decision.LatestSlot is { } scheduledSlot) _scheduled[Key(policy)] = (policy.Metadata.Uid, scheduledSlot);
        if (Conditions.IsTrue(before.Status?.Conditions, "RecoveryPointObjectiveMet") && !rpoMet)
            await events.WarningAsync(policy, "RecoveryPointObjectiveMissed", $"the recovery point is older than the {Durations.Human(settings.Rpo)} RPO", ct);

        if (recoveryPoint is { } point) metrics.RecoveryPoint.WithLabels(ns, policy.Name).Set(point.ToUnixTimeMilliseconds() / 1000.0);
        if (succeeded.Select(r => r.Completed).Max() is { } lastOk) metrics.LastSuccess.WithLabels(ns, policy.Name).Set(lastOk.ToUnixTimeMilliseconds() / 1000.0);
        metrics.Retained.WithLabels(ns, policy.Name).Set(retained);

        // Wake up for the next slot, for the instant the RPO stops holding, or to follow a running run.
        var wake = new List<Instant>();
        if (next is { } nx) wake.Add(nx);
        if (recoveryPoint is { } r2 && rpoMet) wake.Add(BackupDecisions.RpoDeadline(r2, settings.Rpo) + Duration.FromMilliseconds(1));
        // A change that arrives without its rollback point is reported at its instant.
        if (runBefore?.Change is { } change && change > now && !Conditions.IsTrue(policy.Status?.Conditions, RollbackPoints.Condition)) wake.Add(change + Duration.FromMilliseconds(1));
        var delay = wake.Count == 0 ? (TimeSpan?)null : (wake.Min() - now).ToTimeSpan();
        if ((runs.Any(r => r.Phase == RunPhase.Running) || policy.Status?.ActiveHooks is not null) && (delay is null || delay > ActiveRunPoll)) delay = ActiveRunPoll;
        return delay is { } d ? ReconcileResult.After(d < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : d) : ReconcileResult.Done;
    }

    private async Task<BackupSettings> ValidateAsync(BackupPolicy policy, CancellationToken ct)
    {
        var spec = policy.Spec;
        // The checks `validate` runs offline come first; the schedule-gap warning is a condition, not a failure.
        var problem = BackupPolicyChecks.Check(spec, Instant.FromDateTimeOffset(client.Time.GetUtcNow()), checkScheduleGaps: false).FirstOrDefault(p => !p.Warning);
        if (problem is not null) throw new InvalidPolicyException(problem.Reason, $"{problem.Field}: {problem.Message}");
        var schedule = CronSchedule.Parse(spec.Schedule);
        var zone = DateTimeZoneProviders.Tzdb[spec.TimeZone ?? "UTC"];
        var rpo = Durations.Parse(spec.Rpo) ?? ContractDefaults.Rpo;
        var deadline = Durations.Parse(spec.StartingDeadline);
        var csiTimeout = Durations.Parse(spec.CsiSnapshot?.Timeout ?? "10m") ?? Duration.FromMinutes(10);
        var namespaces = await spec.Target.ResolveAsync(client, ct);
        if (namespaces.Count == 0) throw new InvalidPolicyException("NoTarget", "spec.target: the namespace selector matches no namespace", transient: true);
        foreach (var n in namespaces)
            if (await client.TryGetAsync(Resources.Namespaces, null, n, ct) is null)
                throw new InvalidPolicyException("NamespaceNotFound", $"target namespace \"{n}\" does not exist", transient: true);
        await MethodOf(policy).CheckInstalledAsync(policy, ct);
        // A K10 Policy has its own retention, which K10 applies: deleting its restore points from here would fight it.
        RetentionLimits? retention = spec.Retention is { } r && !(BackupMethods.Of(spec) == BackupMethod.Kasten && KastenMethod.PolicyOf(policy) is not null)
            ? new RetentionLimits(r.KeepLast ?? 0, r.KeepHourly ?? 0, r.KeepDaily ?? 0, r.KeepWeekly ?? 0, r.KeepMonthly ?? 0, r.KeepYearly ?? 0, r.KeepFailed ?? 3)
            : null;
        return new BackupSettings(schedule, zone, rpo, deadline, csiTimeout, namespaces, retention)
        {
            Hooks = [.. (spec.Hooks ?? []).Select(h => HookPresets.Resolve(h, namespaces[0]))],
        };
    }

    private async Task<List<ObservedRun>> ObserveRunsAsync(BackupPolicy policy, BackupSettings settings, Instant now, CancellationToken ct) =>
        (await MethodOf(policy).ObserveAsync(policy, settings, now, ct)).OrderByDescending(r => r.Started).ToList();

    private static Dictionary<string, string> RunObjectLabels(BackupPolicy policy, string run, bool manual) => new()
    {
        [RunLabels.Policy] = RunLabels.LabelValue(policy.Name), [RunLabels.PolicyNamespace] = policy.Namespace!, [RunLabels.Run] = RunLabels.LabelValue(run),
        [RunLabels.Trigger] = manual ? "manual" : "schedule", ["app.kubernetes.io/managed-by"] = "dematoperator",
    };

    /// <summary>Starts a run: at once, or (CSISnapshot with hooks) by its first freeze, the capture following once frozen.</summary>
    private async Task<BackupPolicy> StartRunAsync(BackupPolicy policy, BackupSettings settings, string run, RunOrigin origin, Instant now, CancellationToken ct)
    {
        if (settings.Hooks.Count > 0 && BackupMethods.Parse(policy.Spec.Method) == BackupMethod.CSISnapshot)
        {
            policy = await SaveHooksAsync(policy, HookRunMachine.Begin(run, origin, settings.Hooks, now), ct);
            return await AdvanceHooksAsync(policy, settings, now, ct);
        }
        await CaptureAsync(policy, settings, run, origin, null, ct);
        return policy;
    }

    private async Task CaptureAsync(BackupPolicy policy, BackupSettings settings, string run, RunOrigin origin, RecoveryConsistency? consistency, CancellationToken ct)
    {
        var manual = origin.RunNowRequest is not null;
        var annotations = origin.Annotations();
        if (consistency is { } c) annotations[RunLabels.ConsistencyAnnotation] = c.ToString();
        using var because = KubeClient.Because($"BackupPolicy {policy.Namespace}/{policy.Name} {(manual ? "run-now" : "scheduled slot")} {run}");
        if (await MethodOf(policy).StartAsync(policy, settings, run, RunObjectLabels(policy, run, manual), annotations, ct))
        {
            log.LogInformation("started backup run {Run} of {Namespace}/{Policy}", run, policy.Namespace, policy.Name);
            await events.NormalAsync(policy, "RunStarted", $"run {run} started ({(manual ? "on demand" : "scheduled")}, {policy.Spec.Method}{(consistency is { } k ? $", {k}-consistent" : "")})", ct);
        }
    }

    // ---------------------------------------------------------------- hooks (CSISnapshot)

    private Task<BackupPolicy> SaveHooksAsync(BackupPolicy policy, HookRun? run, CancellationToken ct) =>
        ObjectWriter.UpdateStatusAsync(client, OperatorKinds.BackupPolicies, policy, p => (p.Status ??= new BackupPolicyStatus()).ActiveHooks = run, ct);

    /// <summary>
    /// Moves a run with hooks along: each command is recorded as running before it runs and with its result after,
    /// the capture starts once every pre-hook is done, the thaw starts as soon as the capture's point in time is
    /// fixed (or it failed), and every hook that froze something is thawed, whatever happened in between.
    /// </summary>
    private async Task<BackupPolicy> AdvanceHooksAsync(BackupPolicy policy, BackupSettings settings, Instant now, CancellationToken ct)
    {
        var hooks = settings.Hooks;
        var run = policy.Status!.ActiveHooks!;
        if (run.Hooks.Count != hooks.Count || run.Hooks.Select(h => h.Name).Where((n, i) => n != hooks[i].Name).Any())
            // The hooks were edited mid-run: thaw with the commands the run froze with is impossible to know; the new ones are used.
            log.LogWarning("hooks of {Namespace}/{Policy} changed during run {Run}", policy.Namespace, policy.Name, run.Run);
        hooks = [.. run.Hooks.Select(h => hooks.FirstOrDefault(x => x.Name == h.Name) ?? new ResolvedHook(h.Name, settings.Namespaces[0], new WorkloadRef(), null, false, null, Duration.Zero, null, Duration.Zero, false))];
        var resumed = HookRunMachine.Resume(run, hooks, now);
        if (resumed != run) policy = await SaveHooksAsync(policy, run = resumed, ct);
        var origin = new RunOrigin(Instant.FromDateTimeOffset(run.Slot), run.RunNowRequest);
        for (var guard = 0; guard < 2 * hooks.Count + 4; guard++)
        {
            var action = HookRunMachine.Next(run);
            HookOutcome outcome;
            switch (action)
            {
                case HookAction.Pre(var i):
                    policy = await SaveHooksAsync(policy, run = HookRunMachine.Starting(run, action), ct);
                    outcome = await RunHookAsync(policy, hooks[i], ResolvedHook.ForRun(hooks[i].Pre!, run.Run), hooks[i].PreTimeout, run.Hooks[i].Pod, ct);
                    if (outcome is HookOutcome.Ran { Succeeded: false } failed)
                        await events.WarningAsync(policy, "PreHookFailed", $"run {run.Run}: pre-hook {hooks[i].Name} failed ({failed.Message}); {(hooks[i].ContinueOnError ? "capturing crash-consistent" : "nothing captured")}, its post-hook runs", ct);
                    break;
                case HookAction.Post(var j):
                    policy = await SaveHooksAsync(policy, run = HookRunMachine.Starting(run, action), ct);
                    outcome = await RunHookAsync(policy, hooks[j], ResolvedHook.ForRun(hooks[j].Post ?? [], run.Run), hooks[j].PostTimeout, run.Hooks[j].Pod, ct);
                    if (outcome is HookOutcome.Ran { Succeeded: false } thawFailed)
                        await events.WarningAsync(policy, "PostHookFailed", $"run {run.Run}: post-hook {hooks[j].Name} failed ({thawFailed.Message}): {hooks[j].Workload.Kind} {hooks[j].Namespace}/{hooks[j].Workload.Name} may still be frozen, thaw it by hand", ct);
                    break;
                case HookAction.Capture:
                    await CaptureAsync(policy, settings, run.Run, origin, HookRunMachine.Consistency(run), ct);
                    outcome = new HookOutcome.Started();
                    break;
                case HookAction.AwaitCapture:
                    // Only CSISnapshot runs go through this machine (a run with hooks starts here only for it): its method observes the capture.
                    var capture = (ICaptureObserver)_methods[BackupMethod.CSISnapshot];
                    if (await capture.CapturedAsync(policy, settings, run.Run, Instant.FromDateTimeOffset(run.CaptureTime ?? run.StartTime), now, ct) is not { } captured)
                        return policy;
                    outcome = captured;
                    break;
                default:
                    return await FinishHooksAsync(policy, run, now, ct);
            }
            policy = await SaveHooksAsync(policy, run = HookRunMachine.Record(run, action, outcome, hooks, now), ct);
        }
        return policy;
    }

    private async Task<HookOutcome> RunHookAsync(BackupPolicy policy, ResolvedHook hook, IReadOnlyList<string> command, Duration timeout, string? pod, CancellationToken ct)
    {
        if (pod is null)
        {
            var ready = await PodCommands.ReadyPodsAsync(client, hook.Namespace, hook.Workload, ct);
            pod = hook.LastPod ? ready.LastOrDefault() : ready.FirstOrDefault();
            if (pod is null) return new HookOutcome.Ran(false, $"no ready pod of {hook.Workload.Kind} {hook.Namespace}/{hook.Workload.Name}", null);
        }
        using var because = KubeClient.Because($"BackupPolicy {policy.Namespace}/{policy.Name} hook {hook.Name}");
        var result = await PodCommands.RunAsync(client, hook.Namespace, pod, hook.Container, command, timeout.ToTimeSpan(), ct);
        var output = result.Stdout.Trim();
        output = output.Length > 200 ? output[..200] + "…" : output;
        return result.ExitCode == 0
            ? new HookOutcome.Ran(true, $"{pod}: exit 0{(output.Length > 0 ? $" ({output})" : "")}", pod)
            : new HookOutcome.Ran(false, $"{pod}: {result.Error ?? $"exit {result.ExitCode}: {(result.Stderr.Trim() is { Length: > 0 } err ? err : output)}"}", pod);
    }

    private async Task<BackupPolicy> FinishHooksAsync(BackupPolicy policy, HookRun run, Instant now, CancellationToken ct)
    {
        var failedBeforeCapture = run.Failure is not null && run.CaptureTime is null;
        policy = await ObjectWriter.UpdateStatusAsync(client, OperatorKinds.BackupPolicies, policy, p =>
        {
            p.Status!.ActiveHooks = null;
            if (failedBeforeCapture)
                p.Status.LastHookFailure = new BackupRunRef { Name = run.Run, Phase = nameof(RunPhase.Failed), StartTime = run.StartTime, CompletionTime = now.ToDateTimeOffset(), Error = run.Failure };
        }, ct);
        if (failedBeforeCapture)
        {
            metrics.Runs.WithLabels(policy.Namespace!, policy.Name, "failed").Inc();
            await events.WarningAsync(policy, "RunFailed", $"run {run.Run} failed: {run.Failure}; nothing was captured, every hook that froze was thawed", ct);
        }
        return policy;
    }

    /// <summary>Deletes what retention does not keep, only among this policy's own runs, the way each data plane requires.</summary>
    private async Task<int> ApplyRetentionAsync(BackupPolicy policy, BackupSettings settings, List<ObservedRun> runs, CancellationToken ct)
    {
        var ended = runs.Where(r => r.Phase != RunPhase.Running).ToList();
        if (settings.Retention is not { } limits) return ended.Count;
        var decision = RetentionPlan.Decide(ended.Select(r => r.AsBackupRun()), limits, settings.Zone);
        var doomed = decision.Delete.Select(d => d.Name).ToHashSet();
        using var because = KubeClient.Because($"BackupPolicy {policy.Namespace}/{policy.Name} retention");
        foreach (var run in ended.Where(r => doomed.Contains(r.Name))) await DeleteRunAsync(policy, settings.Namespaces, run.Name, ct);
        if (doomed.Count > 0) await events.NormalAsync(policy, "RetentionApplied", $"deleted {doomed.Count} run(s): {string.Join(", ", doomed.Order().Take(5))}{(doomed.Count > 5 ? ", ..." : "")}", ct);
        return decision.Keep.Count;
    }

    private Task DeleteRunAsync(BackupPolicy policy, IReadOnlyList<string> namespaces, string run, CancellationToken ct) =>
        MethodOf(policy).DeleteAsync(policy, namespaces, run, ct);

    // Per-policy memory, keyed by namespace/name and dropped when the policy goes (the uid tells a re-created one apart).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string? Uid, HashSet<string> Runs)> _recorded = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string? Uid, Instant Slot)> _scheduled = new();

    private static string Key(BackupPolicy policy) => $"{policy.Namespace}/{policy.Name}";

    /// <summary>How many policies the reconciler remembers something of (a leak test checks it returns to zero).</summary>
    internal int Remembered => _recorded.Count + _scheduled.Count;

    private void Forget(string key)
    {
        _recorded.TryRemove(key, out _);
        _scheduled.TryRemove(key, out _);
    }
    private readonly Instant _startedAt = Instant.FromDateTimeOffset(client.Time.GetUtcNow());

    /// <summary>
    /// Counts each run that ends while this process runs, once, in the metrics and with an Event. Runs that ended
    /// before a restart were counted by the previous process (counters restart at zero, as Prometheus expects).
    /// </summary>
    private async Task RecordEndedRunsAsync(BackupPolicy policy, List<ObservedRun> runs, CancellationToken ct)
    {
        var entry = _recorded.AddOrUpdate(Key(policy), _ => (policy.Metadata.Uid, []), (_, e) => e.Uid == policy.Metadata.Uid ? e : (policy.Metadata.Uid, []));
        var recorded = entry.Runs;
        // Runs retention deleted are forgotten too: the set never outgrows the runs that exist.
        lock (recorded) recorded.IntersectWith(runs.Select(r => r.Name));
        foreach (var run in runs.Where(r => r.Phase != RunPhase.Running))
        {
            if ((run.Completed ?? run.Started) < _startedAt - Duration.FromMinutes(1)) continue;
            lock (recorded) if (!recorded.Add(run.Name)) continue;
            metrics.Runs.WithLabels(policy.Namespace!, policy.Name, run.Phase == RunPhase.Succeeded ? "succeeded" : "failed").Inc();
            if (run.Phase == RunPhase.Succeeded)
            {
                if (run.Completed is { } c) metrics.Duration.WithLabels(policy.Namespace!, policy.Name).Observe((c - run.Started).TotalSeconds);
                await events.NormalAsync(policy, "RunSucceeded", $"run {run.Name} succeeded", ct);
            }
            else await events.WarningAsync(policy, "RunFailed", $"run {run.Name} failed: {run.Error}", ct);
        }
    }

    private async Task<ReconcileResult> FinalizeAsync(BackupPolicy policy, CancellationToken ct)
    {
        if (policy.Metadata.Finalizers?.Contains(Finalizer) != true) return ReconcileResult.Done;
        if (policy.Spec.DeletionPolicy == "Delete")
        {
            var namespaces = policy.Spec.Target.Namespaces ?? [];
            var settings = new BackupSettings(CronSchedule.Parse("@yearly"), DateTimeZone.Utc, ContractDefaults.Rpo, null, Duration.FromMinutes(10), namespaces, null);
            try
            {
                foreach (var run in await ObserveRunsAsync(policy, settings, Instant.FromDateTimeOffset(client.Time.GetUtcNow()), ct))
                    await DeleteRunAsync(policy, namespaces, run.Name, ct);
            }
            catch (KubeApiException e) when (e.Code == 404) { }
            await events.NormalAsync(policy, "BackupsDeleted", "deletionPolicy Delete: the policy's backups were deleted", ct);
        }
        await ObjectWriter.RemoveFinalizerAsync(client, OperatorKinds.BackupPolicies, policy, Finalizer, ct);
        metrics.Forget(policy.Namespace!, policy.Name);
        return ReconcileResult.Done;
    }

    private Task SetInvalidAsync(BackupPolicy policy, string reason, string message, CancellationToken ct) =>
        InvalidSpec.ReportAsync(client, OperatorKinds.BackupPolicies, policy, p => p.Status ??= new BackupPolicyStatus(), events, reason, message, ct,
            alsoClear: p => p.Status!.NextScheduleTime = null);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Expression, string Zone, LocalDate Day), Duration> Gaps = new();

    /// <summary>A year of slots is walked once per schedule, zone and day, not on every reconcile.</summary>
    private static Duration LongestGap(BackupSettings settings, Instant now)
    {
        var key = (settings.Schedule.Expression, settings.Zone.Id, now.InZone(settings.Zone).Date);
        if (Gaps.TryGetValue(key, out var gap)) return gap;
        if (Gaps.Count > 10_000) Gaps.Clear();
        return Gaps[key] = settings.Schedule.LongestGap(now, settings.Zone);
    }



    private static string Format(Instant i, DateTimeZone z) => i.InZone(z).ToString("yyyy-MM-dd HH:mm x", System.Globalization.CultureInfo.InvariantCulture);
}
