using System.Globalization;
using DematOperator.Api;
using DematOperator.Drills.Steps;
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
/// Runs a PraDrill: Load (the stored object) → Resolve (spec with defaults) → Observe (one step of the run looks
/// at the world, <see cref="IDrillStep"/>) → Decide (<see cref="DrillRunMachine"/>, pure) → Apply (status written
/// after each step, so a restarted operator or a new leader resumes where the run stood). Idle drills are
/// validated against the clusters and started by <see cref="DrillStart"/>.
/// </summary>
public sealed class PraDrillReconciler : IReconciler
{
    private readonly KubeClient _client;
    private readonly Informer<PraDrill> _drills;
    private readonly DrillClusters _clusters;
    private readonly EventRecorder _events;
    private readonly PraDrillMetrics _metrics;
    private readonly ILogger _log;
    private readonly ReportStep _report;
    private readonly DrillCoverageObserver _coverage;
    /// <summary>How often an idle drill with spec.coverage looks at production again.</summary>
    public static readonly TimeSpan CoverageInterval = TimeSpan.FromMinutes(15);
    private readonly Dictionary<DrillStepName, IDrillStep> _steps;

    public PraDrillReconciler(KubeClient client, Informer<PraDrill> drills, RemoteClusters remotes, IProbeRunner probes, EventRecorder events,
        PraDrillMetrics metrics, ILogger<PraDrillReconciler> log)
    {
        (_client, _drills, _events, _metrics, _log) = (client, drills, events, metrics, log);
        _clusters = new DrillClusters(client, remotes);
        _report = new ReportStep(client);
        _coverage = new DrillCoverageObserver(_clusters);
        IDrillStep[] steps =
        [
            new PreflightStep(_clusters, new DrillLock(client)), new QuiesceStep(), new RestoreStep(events),
            new VerifyStep(probes, new DataChecks()), new MeasureStep(), _report, new RollbackStep(events),
        ];
        _steps = steps.ToDictionary(s => s.Name);
    }

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        if (_drills.Get(request.Namespace, request.Name) is null) return ReconcileResult.Done;
        // Runs are decided on the stored object, never on a cache that may not show our last step yet.
        var drill = await _client.TryGetAsync(OperatorKinds.PraDrills, request.Namespace, request.Name, ct);
        if (drill is null) return ReconcileResult.Done;
        var now = Instant.FromDateTimeOffset(_client.Time.GetUtcNow());
        var problems = PraDrillChecks.Resolve(drill.Spec, out var settings);
        // The run is worked on as a copy: status writes compare it with the stored object, which must not change with it.
        var run = ObjectWriter.Copy(OperatorKinds.PraDrills, drill).Status?.CurrentRun;
        if (settings is null)
        {
            var problem = problems.First(p => !p.Warning);
            if (run is null)
            {
                await SetReadyAsync(drill, false, problem.Reason, $"{problem.Field}: {problem.Message}", ct, warnWithEvent: true);
                return drill.IsDeleting ? await ReleaseAsync(drill, ct) : ReconcileResult.Done;
            }
            // A run in flight still needs its rollback: carry on with the settings it had, failing it.
            PraDrillChecks.Resolve(_drills.Get(drill.Namespace, drill.Name)?.Spec ?? drill.Spec, out settings);
            settings ??= DrillSettings.Defaults;
            run = DrillRunMachine.Interrupt(run, DrillReasons.SpecInvalid, $"the spec became invalid during the run ({problem.Field}: {problem.Message})", now);
        }

        KubeClient target;
        try { target = await _clusters.TargetAsync(drill, ct); }
        catch (RemoteClusterException e)
        {
            await SetReadyAsync(drill, false, DrillConditions.InvalidKubeconfig, e.Message, ct, warnWithEvent: true);
            return run is null ? ReconcileResult.Done : ReconcileResult.After(TimeSpan.FromMinutes(1));
        }
        if (run is not null) return await AdvanceRunAsync(drill, settings, target, run, now, ct);
        if (drill.IsDeleting) return await ReleaseAsync(drill, ct);
        return await IdleAsync(drill, settings, target, now, ct);
    }

    // ---------------------------------------------------------------- idle: validate, schedule, start

    private async Task<ReconcileResult> IdleAsync(PraDrill drill, DrillSettings settings, KubeClient target, Instant now, CancellationToken ct)
    {
        if (await ClusterProblemAsync(drill, target, ct) is { } problem)
        {
            await SetReadyAsync(drill, false, problem.Reason, problem.Message, ct, warnWithEvent: true);
            return ReconcileResult.After(TimeSpan.FromMinutes(5));
        }
        var coverage = await _coverage.AssessAsync(drill, ct);
        ExportCoverage(drill, coverage);
        var created = Instant.FromDateTimeOffset(drill.Metadata.CreationTimestamp ?? _client.Time.GetUtcNow());
        var decision = DrillStart.Decide(settings, drill.Spec.Suspend == true, drill.Metadata.Annotations ?? [], drill.Status, created, now);
        if (decision.NeedsConfirmation)
        {
            await SetReadyAsync(drill, false, DrillConditions.FailoverNotConfirmed,
                $"mode Failover: set the annotation {DrillMarks.ConfirmFailoverAnnotation}=\"{decision.RunNowRequest}\" (the value of {DrillMarks.RunNowAnnotation}) to confirm this real failover", ct, warnWithEvent: true);
            return ReconcileResult.Done;
        }
        if (decision.Missed > 0)
            await _events.WarningAsync(drill, DrillConditions.DrillMissed, $"the scheduled drill slot passed while the operator was not running; trigger it with {DrillMarks.RunNowAnnotation}", ct);

        if (decision.Trigger is not { } trigger)
        {
            await WriteStatusAsync(drill, st =>
            {
                st.Phase = DrillPhase.Idle;
                if (decision.LatestSlot is { } latest) st.LastScheduleTime = latest.ToDateTimeOffset();
                st.NextScheduleTime = decision.NextSlot?.ToDateTimeOffset();
                if (decision.Missed > 0) SetCondition(drill, st, DrillConditions.ScheduledRunMissed, true, DrillConditions.DrillMissed,
                    $"the slot of {DrillText.Local(decision.LatestSlot!.Value, settings.Zone)} passed while the operator was not running: start the rehearsal with {DrillMarks.RunNowAnnotation}");
                SetCondition(drill, st, DrillConditions.Ready, true, DrillConditions.Idle,
                    decision.NextSlot is { } n ? $"next rehearsal {DrillText.Local(n, settings.Zone)}" : $"no scheduled run: start one with {DrillMarks.RunNowAnnotation}");
                SetCoverage(drill, st, coverage);
            }, ct);
            ExportIdle(drill, settings);
            TimeSpan? wakeIn = decision.NextSlot is { } wake ? Max((wake - now).ToTimeSpan(), TimeSpan.FromMilliseconds(1)) : null;
            if (drill.Spec.Coverage is not null && (wakeIn is null || wakeIn > CoverageInterval)) wakeIn = CoverageInterval;
            return wakeIn is { } after ? ReconcileResult.After(after) : ReconcileResult.Done;
        }

        var run = DrillRunMachine.NewRun(KubeNames.Fit($"{drill.Name}-{now.ToDateTimeUtc().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}", 63),
            settings.Failover ? DrillMode.Failover : DrillMode.Rehearsal, trigger, now);
        drill = await ObjectWriter.AddFinalizerAsync(_client, OperatorKinds.PraDrills, drill, DrillMarks.Finalizer, ct);
        await WriteStatusAsync(drill, st =>
        {
            st.Phase = DrillPhase.Running;
            st.CurrentRun = run;
            if (decision.RunNowRequest is { } request) st.LastRunNowRequest = request;
            if (decision.LatestSlot is { } latest) st.LastScheduleTime = latest.ToDateTimeOffset();
            st.NextScheduleTime = decision.NextSlot?.ToDateTimeOffset();
            // An abort given before this run started is not meant for it.
            st.LastAbortRequest = drill.Metadata.Annotations?.GetValueOrDefault(DrillMarks.AbortAnnotation) ?? st.LastAbortRequest;
            if (Conditions.Find(st.Conditions, DrillConditions.ScheduledRunMissed) is not null)
                SetCondition(drill, st, DrillConditions.ScheduledRunMissed, false, DrillConditions.RunStarted, $"run {run.Name} started");
            SetCondition(drill, st, DrillConditions.Ready, true, DrillConditions.Running, $"run {run.Name} started ({run.Mode}, {DrillText.Trigger(trigger)})");
        }, ct);
        _log.LogInformation("PRA drill {Namespace}/{Drill} run {Run} started ({Mode}, {Trigger})", drill.Namespace, drill.Name, run.Name, run.Mode, DrillText.Trigger(trigger));
        await _events.NormalAsync(drill, "RunStarted", $"run {run.Name} started: {run.Mode} ({DrillText.Trigger(trigger)}); RTO counts from now", ct);
        _metrics.Running.WithLabels(drill.Namespace!, drill.Name).Set(1);
        return ReconcileResult.After(TimeSpan.FromMilliseconds(1));
    }

    /// <summary>What makes the drill unusable on these clusters, before any run: its kubeconfig, its BackupPolicy, its test environments.</summary>
    private async Task<(string Reason, string Message)?> ClusterProblemAsync(PraDrill drill, KubeClient target, CancellationToken ct)
    {
        // A missing or broken kubeconfig Secret is a configuration error; an unreachable source is a disaster, which the drill handles.
        try { await _clusters.CheckSourceKubeconfigAsync(drill, ct); }
        catch (RemoteClusterException e) { return (DrillConditions.InvalidKubeconfig, $"spec.source.kubeconfig: {e.Message}"); }
        if (drill.Spec.Backup.BackupPolicy is { Length: > 0 } name)
        {
            var ns = drill.Spec.Backup.BackupPolicyNamespace ?? drill.Namespace!;
            var (policy, known) = await _clusters.BackupPolicyAsync(drill, ct);
            // An unreachable source cannot say the policy is missing.
            if (policy is null && known) return (DrillConditions.UnknownBackupPolicy, $"BackupPolicy {ns}/{name} exists neither on this cluster nor on the source");
            var engine = Engines.RestoreEngines.Of(drill);
            if (policy is not null && Backups.Methods.BackupMethods.Of(policy.Spec) != engine)
                return (DrillConditions.UnsuitableBackupPolicy, $"BackupPolicy {ns}/{name} uses {policy.Spec.Method}: this drill restores {engine} backups from the shared storage (spec.backup.engine)");
            if (policy is not null && engine == Backups.Methods.BackupMethod.Kasten && Backups.Methods.KastenMethod.ExportProfileOf(policy) is var exported && exported != drill.Spec.Backup.Kasten?.ExportProfile)
                return (DrillConditions.UnsuitableBackupPolicy, $"BackupPolicy {ns}/{name} exports to {exported ?? "no profile"}, not to {drill.Spec.Backup.Kasten?.ExportProfile}: the drill would find none of its restore points");
        }
        // A test environment named in quiesce.namespaces that does not exist is a typo, not an empty environment.
        if (await TestEnvironments.MissingAsync(drill, target, ct) is { Count: > 0 } missing)
            return (DrillConditions.QuiesceNamespaceNotFound, $"spec.quiesce.namespaces: {string.Join(", ", missing)} not found on the target cluster");
        return null;
    }

    // ---------------------------------------------------------------- a run in flight

    private async Task<ReconcileResult> AdvanceRunAsync(PraDrill drill, DrillSettings settings, KubeClient target, DrillRunStatus run, Instant now, CancellationToken ct)
    {
        if (drill.IsDeleting) run = DrillRunMachine.Interrupt(run, DrillReasons.Deleted, "aborted: the PraDrill is being deleted", now);
        var abort = drill.Metadata.Annotations?.GetValueOrDefault(DrillMarks.AbortAnnotation);
        if (!string.IsNullOrEmpty(abort) && abort != drill.Status?.LastAbortRequest)
        {
            run = DrillRunMachine.Abort(run, abort, now);
            await SaveRunAsync(drill, run, ct, st => st.LastAbortRequest = abort);
            await _events.WarningAsync(drill, "AbortRequested", $"abort of run {run.Name} requested: rolling back now", ct);
        }

        for (var guard = 0; guard <= DrillRunMachine.Order.Length; guard++)
        {
            if (DrillRunMachine.Current(run) is not { } name) return await FinishAsync(new DrillRunContext(drill, settings, target, run, now), ct);
            run = DrillRunMachine.Begin(run, now);
            var cx = new DrillRunContext(drill, settings, target, run, now);
            StepOutcome outcome;
            (string Reason, string Message)? apiError = null;
            try { outcome = await _steps[name].ObserveAsync(cx, ct); }
            catch (Exception e) when (e is KubeApiException or KubeConnectionException or RemoteClusterException)
            {
                // The API may be down for a while: the step is retried, and times out by its own clock (then rolls back).
                // Meanwhile Ready=False says what failed (a 403 names the verb the role lacks), with a Warning Event.
                apiError = e is RemoteClusterException ? (ReconcileFailureReasons.ApiUnavailable, e.Message) : ReconcileFailureReasons.Describe(e);
                outcome = StepOutcome.Wait($"retrying after an API error: {e.Message}", TimeSpan.FromSeconds(15));
            }
            var before = DrillRunMachine.StepOf(cx.Run, name).Message;
            run = DrillRunMachine.Advance(cx.Run, outcome, now);
            var ready = apiError is { } failing
                ? Conditions.Make(DrillConditions.Ready, false, failing.Reason, $"run {run.Name} step {name}: {failing.Message}; retried until the step's timeout",
                    drill.Metadata.Generation)
                : Conditions.Make(DrillConditions.Ready, true, DrillConditions.Running, $"run {run.Name}: step {name}", drill.Metadata.Generation);
            var readyBefore = Conditions.Find(drill.Status?.Conditions, DrillConditions.Ready);
            var readyChanged = readyBefore is null || readyBefore.Status != ready.Status || readyBefore.Reason != ready.Reason
                               || readyBefore.Message != ready.Message;
            if (readyChanged && (apiError is not null || ReconcileFailureReasons.All.Contains(readyBefore?.Reason ?? "")))
            {
                await WriteStatusAsync(drill, st => Conditions.Set(st.Conditions!, ready, _client.Time.GetUtcNow()), ct);
                if (apiError is not null) await _events.WarningAsync(drill, ready.Reason, ready.Message, ct);
            }
            if (outcome.Kind == StepOutcomeKind.Wait)
            {
                if (before != outcome.Message || !SameRun(drill, run)) await SaveRunAsync(drill, run, ct);
                return ReconcileResult.After(outcome.RetryAfter ?? StepOutcome.Poll);
            }
            var step = DrillRunMachine.StepOf(run, name);
            if (step.StartTime is { } started)
                _metrics.StepDuration.WithLabels(drill.Namespace!, drill.Name, name.ToString()).Set((now - Instant.FromDateTimeOffset(started)).TotalSeconds);
            await SaveRunAsync(drill, run, ct);
            if (outcome.Kind == StepOutcomeKind.Failed)
                await _events.WarningAsync(drill, "StepFailed", $"run {run.Name} step {name} failed ({outcome.Reason}): {outcome.Message}", ct);
        }
        return ReconcileResult.After(TimeSpan.FromMilliseconds(1));
    }

    private async Task<ReconcileResult> FinishAsync(DrillRunContext cx, CancellationToken ct)
    {
        var (drill, run) = (cx.Drill, cx.Run);
        var result = DrillRunMachine.Result(run);
        var refused = DrillRunMachine.TouchedNothing(run);
        if (!refused) await _report.WriteAsync(cx, result, ct);
        await DrillLock.ReleaseAsync(cx.Target, cx.EngineNamespace, cx.RunKey, ct);
        var end = cx.Now.ToDateTimeOffset();
        var summary = new DrillRunSummary
        {
            Name = run.Name, Mode = run.Mode, Result = result, StartTime = run.StartTime, EndTime = end,
            RtoSeconds = run.RtoSeconds, RpoSeconds = run.RpoSeconds,
            RtoMet = run.RtoSeconds is { } rto ? rto <= cx.Settings.Rto.TotalSeconds : null,
            RpoMet = run.RpoSeconds is { } rpo ? rpo <= cx.Settings.Rpo.TotalSeconds : null,
            BackupName = run.BackupName, Report = refused ? null : run.Report, Message = run.FailureReason, Steps = run.Steps,
            Reason = run.FailureReason is null ? null : run.FailureCode ?? DrillReasons.StepFailed,
        };
        var limit = drill.Spec.HistoryLimit ?? 10;
        await WriteStatusAsync(drill, st =>
        {
            st.Phase = DrillPhase.Idle;
            st.CurrentRun = null;
            st.History = [summary, .. (st.History ?? []).Where(h => h.Name != summary.Name)];
            if (st.History.Count > limit) st.History.RemoveRange(limit, st.History.Count - limit);
            st.LastResult = result;
            st.LastRto = run.RtoSeconds is { } s ? Durations.Human(Duration.FromSeconds(s)) : null;
            st.LastRunTime = run.StartTime;
            if (result == DrillResult.Succeeded) st.LastSuccessfulTime = end;
            st.LastAbortRequest = drill.Metadata.Annotations?.GetValueOrDefault(DrillMarks.AbortAnnotation) ?? st.LastAbortRequest;
            SetCondition(drill, st, DrillConditions.Ready, true, DrillConditions.Idle, $"run {run.Name} {result.ToString().ToLowerInvariant()}");
            SetCondition(drill, st, DrillConditions.LastRunSucceeded, result == DrillResult.Succeeded, result.ToString(), $"{run.Name}: {run.FailureReason ?? "all steps succeeded"}");
        }, ct);
        var labels = new[] { drill.Namespace!, drill.Name };
        _metrics.Runs.WithLabels(drill.Namespace!, drill.Name, result.ToString().ToLowerInvariant()).Inc();
        _metrics.Running.WithLabels(labels).Set(0);
        _metrics.LastRun.WithLabels(labels).Set(run.StartTime.ToUnixTimeMilliseconds() / 1000.0);
        if (result == DrillResult.Succeeded) _metrics.LastSuccess.WithLabels(labels).Set(end.ToUnixTimeMilliseconds() / 1000.0);
        if (run.RtoSeconds is { } rtoSeconds) _metrics.Rto.WithLabels(labels).Set(rtoSeconds);
        if (run.RpoSeconds is { } rpoSeconds) _metrics.Rpo.WithLabels(labels).Set(rpoSeconds);
        ExportIdle(drill, cx.Settings);
        var text = $"run {run.Name} {result.ToString().ToLowerInvariant()}{(run.FailureReason is { } f ? $" ({summary.Reason}): {f}" : "")}" +
                   (run.RtoSeconds is { } r1 ? $"; RTO {Durations.Human(Duration.FromSeconds(r1))} / {Durations.Human(cx.Settings.Rto)}" : "") +
                   (run.RpoSeconds is { } r2 ? $", RPO {Durations.Human(Duration.FromSeconds(r2))} / {Durations.Human(cx.Settings.Rpo)}" : "") +
                   (refused ? "" : $"; report in ConfigMap {run.Report}");
        if (result == DrillResult.Succeeded) await _events.NormalAsync(drill, "RunSucceeded", text, ct);
        else await _events.WarningAsync(drill, result == DrillResult.Refused ? "PreflightRefused" : "RunFailed", text, ct);
        if (run.FailureReason is null) _log.LogInformation("PRA drill {Namespace}/{Drill} run {Run} ended {Result}", drill.Namespace, drill.Name, run.Name, result);
        else _log.LogWarning("PRA drill {Namespace}/{Drill} run {Run} ended {Result} ({Reason}): {Message}", drill.Namespace, drill.Name, run.Name, result, summary.Reason, run.FailureReason);
        var fresh = await _client.GetAsync(OperatorKinds.PraDrills, drill.Namespace, drill.Name, ct);
        await ObjectWriter.RemoveFinalizerAsync(_client, OperatorKinds.PraDrills, fresh, DrillMarks.Finalizer, ct);
        return ReconcileResult.After(TimeSpan.FromMilliseconds(1));
    }

    // ---------------------------------------------------------------- apply

    private async Task<ReconcileResult> ReleaseAsync(PraDrill drill, CancellationToken ct)
    {
        await ObjectWriter.RemoveFinalizerAsync(_client, OperatorKinds.PraDrills, drill, DrillMarks.Finalizer, ct);
        _metrics.Forget(drill.Namespace!, drill.Name);
        return ReconcileResult.Done;
    }

    private void ExportIdle(PraDrill drill, DrillSettings settings)
    {
        var labels = new[] { drill.Namespace!, drill.Name };
        _metrics.Objective.WithLabels(drill.Namespace!, drill.Name, "rto").Set(settings.Rto.TotalSeconds);
        _metrics.Objective.WithLabels(drill.Namespace!, drill.Name, "rpo").Set(settings.Rpo.TotalSeconds);
        _metrics.Running.WithLabels(labels).Set(drill.Status?.CurrentRun is null ? 0 : 1);
        if (drill.Status?.LastSuccessfulTime is { } ok) _metrics.LastSuccess.WithLabels(labels).Set(ok.ToUnixTimeMilliseconds() / 1000.0);
        if (drill.Status?.LastRunTime is { } last) _metrics.LastRun.WithLabels(labels).Set(last.ToUnixTimeMilliseconds() / 1000.0);
        // A drill that never succeeded is as old as can be: the yearly alert fires for it too.
        if (drill.Status?.LastSuccessfulTime is null) _metrics.LastSuccess.WithLabels(labels).Set(0);
    }

    private void SetCoverage(PraDrill drill, PraDrillStatus st, CoverageAssessment? coverage)
    {
        if (drill.Spec.Coverage is null)
        {
            st.Conditions!.RemoveAll(c => c.Type == DrillConditions.CoverageComplete);
            st.CoverageGaps = null;
            return;
        }
        if (coverage is null)
        {
            // Unknown, not False: an unreachable production says nothing about what changed there; the last gaps stay listed.
            SetCondition(drill, st, DrillConditions.CoverageComplete, null, DrillConditions.SourceUnreachable, "the source cluster does not answer: coverage not assessed");
            return;
        }
        SetCondition(drill, st, DrillConditions.CoverageComplete, coverage.Verdict == CoverageVerdict.Complete, coverage.Verdict.ToString(), coverage.Message);
        st.CoverageGaps = coverage.Gaps.Count == 0 ? null : [.. coverage.Gaps];
    }

    private void ExportCoverage(PraDrill drill, CoverageAssessment? coverage)
    {
        if (drill.Spec.Coverage is null) { _metrics.ForgetCoverage(drill.Namespace!, drill.Name); return; }
        if (coverage is null) return;
        _metrics.CoverageGaps.WithLabels(drill.Namespace!, drill.Name, "not_backed_up").Set(coverage.NotBackedUp);
        _metrics.CoverageGaps.WithLabels(drill.Namespace!, drill.Name, "not_rehearsed").Set(coverage.NotRehearsed + (coverage.Verdict == CoverageVerdict.NeverRehearsed ? 1 : 0));
    }

    private static bool SameRun(PraDrill drill, DrillRunStatus run) =>
        drill.Status?.CurrentRun is { } stored && System.Text.Json.JsonSerializer.Serialize(stored, OperatorJsonContext.Default.DrillRunStatus) == System.Text.Json.JsonSerializer.Serialize(run, OperatorJsonContext.Default.DrillRunStatus);

    private Task SaveRunAsync(PraDrill drill, DrillRunStatus run, CancellationToken ct, Action<PraDrillStatus>? also = null) => WriteStatusAsync(drill, st =>
    {
        st.CurrentRun = run;
        st.Phase = run.Step == DrillStepName.Rollback || run.FailureReason is not null ? DrillPhase.RollingBack : DrillPhase.Running;
        also?.Invoke(st);
    }, ct);

    private async Task WriteStatusAsync(PraDrill drill, Action<PraDrillStatus> mutate, CancellationToken ct)
    {
        var written = await ObjectWriter.UpdateStatusAsync(_client, OperatorKinds.PraDrills, drill, d =>
        {
            var st = d.Status ??= new PraDrillStatus();
            st.Conditions ??= [];
            st.ObservedGeneration = d.Metadata.Generation;
            mutate(st);
        }, ct);
        drill.Metadata.ResourceVersion = written.Metadata.ResourceVersion;
        drill.Status = written.Status;
    }

    private void SetCondition(PraDrill drill, PraDrillStatus st, string type, bool? value, string reason, string message) =>
        Conditions.Set(st.Conditions!, Conditions.Make(type, value, reason, message, drill.Metadata.Generation), _client.Time.GetUtcNow());

    private async Task SetReadyAsync(PraDrill drill, bool ready, string reason, string message, CancellationToken ct, bool warnWithEvent)
    {
        var already = Conditions.Find(drill.Status?.Conditions, DrillConditions.Ready) is { } c && c.Reason == reason && c.Message == message && c.ObservedGeneration == drill.Metadata.Generation;
        await WriteStatusAsync(drill, st => SetCondition(drill, st, DrillConditions.Ready, ready, reason, message), ct);
        if (!already && warnWithEvent) await _events.WarningAsync(drill, reason, message, ct);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
