using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>
/// Measures a ServiceLevel: each interval runs its probes (concurrently, each with its own timeout), feeds the
/// ledger (incidents, unknown time, month rollover), checkpoints the status, exports the demat_sla_* metrics
/// and keeps its PrometheusRule in line with the spec when the prometheus-operator API exists.
/// </summary>
public sealed class ServiceLevelReconciler(
    KubeClient client,
    Informer<ServiceLevel> serviceLevels,
    IProbeRunner probes,
    EventRecorder events,
    ServiceLevelMetrics metrics,
    ILogger<ServiceLevelReconciler> log,
    IPlannedDowntime? plannedDowntime = null,
    IIncidentRecords? incidentRecords = null) : IReconciler
{
    public static readonly ResourceType<DynamicObject> PrometheusRules = Resources.Dynamic("monitoring.coreos.com", "v1", "prometheusrules", "PrometheusRule", true);
    private static readonly TimeSpan RuleRecheck = TimeSpan.FromMinutes(10);

    /// <summary>A tier or environment change relabels every series, and a probe taken out of the spec leaves its own: neither may linger as a stale figure.</summary>
    private void ForgetStaleSeries(Memory before, string[] labels, ServiceLevelSettings settings)
    {
        if (!before.Labels.SequenceEqual(labels)) { metrics.Forget(labels[0], labels[1]); return; }
        foreach (var probe in before.Probes.Except(settings.Probes.Select(p => p.Name)))
        {
            metrics.ProbeSuccess.Remove([.. labels, probe]);
            metrics.ProbeDuration.Remove([.. labels, probe]);
        }
    }

    private sealed record Memory(ServiceLevel Written, Instant Tick, string[] Labels, List<string> Probes);
    private readonly ConcurrentDictionary<string, Memory> _memory = new();
    private readonly ConcurrentDictionary<string, (string Hash, DateTimeOffset At)> _rules = new();

    /// <summary>How many ServiceLevels the reconciler remembers something of (a leak test checks it returns to zero).</summary>
    internal int Remembered => _memory.Count + _rules.Count;
    private (bool Installed, DateTimeOffset At)? _rulesApi;

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        var cached = serviceLevels.Get(request.Namespace, request.Name);
        var key = $"{request.Namespace}/{request.Name}";
        if (cached is null || cached.IsDeleting)
        {
            _memory.TryRemove(key, out _);
            metrics.Forget(request.Namespace ?? "", request.Name);
            _rules.TryRemove(key, out _);
            return ReconcileResult.Done;
        }
        // Our own last write may not be in the cache yet: carry on from it unless the object changed since.
        var sl = _memory.TryGetValue(key, out var memory) && memory.Written.Metadata.Uid == cached.Metadata.Uid
                 && memory.Written.Metadata.Generation == cached.Metadata.Generation && (cached.Status?.CheckpointTime ?? default) < (memory.Written.Status?.CheckpointTime ?? default)
            ? memory.Written : cached;
        var labels = new[] { sl.Namespace!, sl.Name, sl.Spec.Tier, sl.Spec.Environment };
        var problems = ServiceLevelChecks.Resolve(sl.Spec, out var settings);
        if (settings is null)
        {
            var problem = problems.First(p => !p.Warning);
            await SetInvalidAsync(sl, problem.Reason, $"{problem.Field}: {problem.Message}", ct);
            return ReconcileResult.Done;
        }

        var now = Instant.FromDateTimeOffset(client.Time.GetUtcNow());
        var outcomes = await Task.WhenAll(settings.Probes.Select(p => probes.RunAsync(sl.Namespace!, p, ct)));
        var created = Instant.FromDateTimeOffset(sl.Metadata.CreationTimestamp ?? client.Time.GetUtcNow());
        var inService = ServiceLevelLedger.InService(settings.Calendar, now);
        Instant? observedUntil = memory is not null && memory.Written.Metadata.Uid == sl.Metadata.Uid ? memory.Tick : null;
        var planned = (plannedDowntime ?? NoPlannedDowntime.Instance).Active(MeasuredNamespaces(sl));
        var declared = incidentRecords is null ? DeclaredIncidents.None : await incidentRecords.DeclaredAsync(sl, settings, now, ct);
        LedgerChanges changes = null!;
        var written = await ObjectWriter.UpdateStatusAsync(client, OperatorKinds.ServiceLevels, sl, s =>
        {
            var status = s.Status ??= new ServiceLevelStatus();
            var before = Snapshot(status);
            var previousCheckpoint = status.CheckpointTime;
            changes = ServiceLevelLedger.Advance(status, settings, created, now, outcomes, observedUntil, planned, declared);
            status.ObservedGeneration = s.Metadata.Generation;
            status.Conditions ??= [];
            Conditions.Set(status.Conditions, Conditions.Make("Ready", true, "Measuring",
                problems.FirstOrDefault(p => p.Warning) is { } w ? $"{w.Field}: {w.Message}" : $"{settings.Probes.Count} probe(s) every {settings.Interval.TotalSeconds:0}s", s.Metadata.Generation), client.Time.GetUtcNow());
            var objectiveMet = MonthVerdict.ObjectiveMet(status.CurrentMonth!, settings.Tier.Objective, s.Metadata.Generation);
            Conditions.Set(status.Conditions, objectiveMet, client.Time.GetUtcNow());
            // Outside service hours nothing accrues: skip the write when only the checkpoint moved.
            if (!inService && previousCheckpoint is not null && Snapshot(status) == before) status.CheckpointTime = previousCheckpoint;
        }, ct);
        if (incidentRecords is not null) written = await RecordIncidentsAsync(written, settings, now, ct);
        var previousTick = memory?.Tick;
        _memory[key] = new Memory(written, now, labels, settings.Probes.Select(p => p.Name).ToList());
        if (memory is not null) ForgetStaleSeries(memory, labels, settings);

        await ReportAsync(written, settings, changes, ct);
        Export(written, settings, changes, labels, outcomes, previousTick, now, inService, declared.Effective(written.Status?.Incidents ?? []));
        try { await EnsureRuleAsync(written, settings, ct); }
        catch (KubeApiException e) when (e.Code is 403 or 422)
        {
            // Alert rules are a convenience on top of the measurement: a refusal never stops the probing.
            log.LogWarning("PrometheusRule of {Namespace}/{Name} not written: {Error}", written.Namespace, written.Name, e.Message);
        }
        return ReconcileResult.After(settings.Interval.ToTimeSpan());
    }

    /// <summary>The probes' incidents of this month (and open ones) written as Incidents; the status then names each one's Incident.</summary>
    private async Task<ServiceLevel> RecordIncidentsAsync(ServiceLevel sl, ServiceLevelSettings settings, Instant now, CancellationToken ct)
    {
        var monthStart = settings.Calendar.Month(ServiceLevelLedger.YearMonthOf(now, settings.Calendar.Zone)).Start.ToDateTimeOffset();
        var relevant = (sl.Status?.Incidents ?? []).Where(i => i.Withdrawn != true && (i.End is null || i.Start >= monthStart || i.End >= monthStart)).ToList();
        if (relevant.Count == 0) return sl;
        var written = await incidentRecords!.RecordAsync(sl, relevant, now, ct);
        if (written.Count == 0) return sl;
        return await ObjectWriter.UpdateStatusAsync(client, OperatorKinds.ServiceLevels, sl, s =>
        {
            foreach (var i in s.Status?.Incidents ?? [])
                if (written.TryGetValue(i.Id, out var name)) i.Incident = name;
        }, ct);
    }

    /// <summary>Where the measured service runs: the ServiceLevel's namespace and those its workload probes look at.</summary>
    private static IReadOnlyCollection<string> MeasuredNamespaces(ServiceLevel sl) =>
        [.. new[] { sl.Namespace! }.Concat((sl.Spec.Probes ?? []).Select(p => p.Workload?.Namespace).OfType<string>()).Distinct()];

    /// <summary>The status without the checkpoint, to tell a real change from the clock moving.</summary>
    private static string Snapshot(ServiceLevelStatus status)
    {
        var checkpoint = status.CheckpointTime;
        status.CheckpointTime = null;
        var conditions = status.Conditions;
        status.Conditions = null;
        var json = JsonSerializer.Serialize(new ServiceLevel { Status = status }, OperatorJsonContext.Default.ServiceLevel);
        status.CheckpointTime = checkpoint;
        status.Conditions = conditions;
        return json;
    }

    private async Task ReportAsync(ServiceLevel sl, ServiceLevelSettings settings, LedgerChanges changes, CancellationToken ct)
    {
        var zone = settings.Calendar.Zone;
        string Local(DateTimeOffset t) => Instant.FromDateTimeOffset(t).InZone(zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        foreach (var gap in changes.NewUnknown)
            await events.WarningAsync(sl, "NoData", $"no measurement from {Local(gap.Start.ToDateTimeOffset())} to {Local(gap.End.ToDateTimeOffset())}: that service time is reported as unknown", ct);
        foreach (var w in changes.Withdrawn)
            await events.WarningAsync(sl, "IncidentDeleted", $"the Incident {w.Incident} of the {w.Severity} incident {w.Id} was deleted: it no longer counts in the figures", ct);
        foreach (var month in changes.RevisedMonths)
            await events.NormalAsync(sl, "MonthRevised", $"{month.Month} computed again from its Incidents: availability {month.AvailabilityPercent}, {(month.Met == true ? "met" : "NOT met")}, {month.Incidents} incident(s)", ct);
        foreach (var month in changes.ClosedMonths)
            await events.NormalAsync(sl, "MonthClosed", $"{month.Month}: availability {month.AvailabilityPercent} (objective {month.Objective * 100:0.###}%), {(month.Met == true ? "met" : "NOT met")}, {month.Incidents} incident(s), {month.UnknownSeconds}s unknown", ct);
        foreach (var i in changes.Closed)
        {
            log.LogInformation("incident {Id} of {Namespace}/{Name} closed, within GTR: {WithinGtr}", i.Id, sl.Namespace, sl.Name, i.WithinGtr);
            await events.NormalAsync(sl, "IncidentClosed", $"{i.Severity} incident {i.Id} closed at {Local(i.End!.Value)}: {(i.WithinGtr == true ? "within" : "beyond")} its GTR (deadline {Local(i.Deadline)})", ct);
        }
        foreach (var i in changes.Opened)
        {
            log.LogWarning("incident {Id} of {Namespace}/{Name} opened: {Message}", i.Id, sl.Namespace, sl.Name, i.Message);
            await events.WarningAsync(sl, "IncidentOpened", $"{i.Severity} incident since {Local(i.Start)} ({i.Message}); GTR deadline {Local(i.Deadline)}", ct);
        }
    }

    private void Export(ServiceLevel sl, ServiceLevelSettings settings, LedgerChanges changes, string[] labels, ProbeOutcome[] outcomes, Instant? previousTick, Instant now, bool inService,
        IReadOnlyList<IncidentStatus> incidents)
    {
        var status = sl.Status!;
        var month = status.CurrentMonth!;
        // Nothing measured is no figure at all, never 100 %.
        if (month.Availability is { } current) metrics.Availability.WithLabels([.. labels, "current"]).Set(current);
        else metrics.Availability.Remove([.. labels, "current"]);
        if (status.History is [{ Availability: { } previous }, ..]) metrics.Availability.WithLabels([.. labels, "previous"]).Set(previous);
        else metrics.Availability.Remove([.. labels, "previous"]);
        if (month.Coverage is { } coverage) metrics.Coverage.WithLabels(labels).Set(coverage);
        else metrics.Coverage.Remove(labels);
        foreach (var indicator in month.Indicators ?? [])
        {
            if (indicator.Value is { } value) metrics.Indicator.WithLabels([.. labels, indicator.Name]).Set(value);
            else metrics.Indicator.Remove([.. labels, indicator.Name]);
            if (indicator.Objective is { } objective) metrics.IndicatorObjective.WithLabels([.. labels, indicator.Name]).Set(objective);
        }
        metrics.Objective.WithLabels(labels).Set(settings.Tier.Objective);
        metrics.BudgetRemaining.WithLabels(labels).Set(month.ErrorBudgetRemaining ?? 1);
        metrics.UnknownSeconds.WithLabels(labels).Set(month.UnknownSeconds ?? 0);
        metrics.InServiceHours.WithLabels(labels).Set(inService ? 1 : 0);
        metrics.Up.WithLabels(labels).Set(status.State == "Down" || incidents.Any(i => i.End is null && ServiceLevelLedger.ToOutage(i) is { Severity: Severity.Blocking, CountsAsDowntime: true }) ? 0 : 1);
        foreach (var o in outcomes)
        {
            metrics.ProbeSuccess.WithLabels([.. labels, o.Name]).Set(o.Success ? 1 : 0);
            metrics.ProbeDuration.WithLabels([.. labels, o.Name]).Set(o.Duration.TotalSeconds);
        }
        var monthStart = settings.Calendar.Month(ServiceLevelLedger.YearMonthOf(now, settings.Calendar.Zone)).Start.ToDateTimeOffset();
        foreach (var severity in new[] { "blocking", "major", "minor" })
        {
            var open = incidents.Where(i => i.End is null && i.Severity == severity).ToList();
            metrics.IncidentsOpen.WithLabels([.. labels, severity]).Set(open.Count);
            if (open.Count > 0) metrics.GtrDeadline.WithLabels([.. labels, severity]).Set(open.Min(i => i.Deadline).ToUnixTimeMilliseconds() / 1000.0);
            else metrics.GtrDeadline.Remove([.. labels, severity]);
            var resolved = incidents.Where(i => i.Severity == severity && i.End is not null && i.Start >= monthStart).ToList();
            if (resolved.Count > 0) metrics.WithinGtr.WithLabels([.. labels, severity]).Set(resolved.Count(i => i.WithinGtr == true) / (double)resolved.Count);
            else metrics.WithinGtr.Remove([.. labels, severity]);
            var counter = metrics.Incidents.WithLabels([.. labels, severity]);
            counter.Inc(0);
        }
        foreach (var opened in changes.Opened) metrics.Incidents.WithLabels([.. labels, opened.Severity]).Inc();

        // The counters advance by the service time (and downtime) between this process's consecutive rounds.
        if (previousTick is { } from && from < now && now - from <= settings.Interval * 2)
        {
            var windows = settings.Calendar.Windows(from, now);
            var service = Intervals.Subtract(windows, settings.Maintenance.ToList());
            var blocking = incidents.Select(ServiceLevelLedger.ToOutage).Where(o => o is { Severity: Severity.Blocking, CountsAsDowntime: true })
                .Select(o => new TimeSpanInterval(o.Start, o.End ?? now)).ToList();
            metrics.ServiceSeconds.WithLabels(labels).Inc(Intervals.Total(service).TotalSeconds);
            metrics.DowntimeSeconds.WithLabels(labels).Inc(Intervals.Total(Intervals.Intersect(service, Intervals.Normalize(blocking))).TotalSeconds);
        }
        else
        {
            metrics.ServiceSeconds.WithLabels(labels).Inc(0);
            metrics.DowntimeSeconds.WithLabels(labels).Inc(0);
        }
    }

    /// <summary>One PrometheusRule per ServiceLevel, owned by it, rewritten when the spec changes or the rule drifts.</summary>
    private async Task EnsureRuleAsync(ServiceLevel sl, ServiceLevelSettings settings, CancellationToken ct)
    {
        var now = client.Time.GetUtcNow();
        if (_rulesApi is not { } api || now - api.At > RuleRecheck)
        {
            try { await client.ListAsync(PrometheusRules, sl.Namespace, new ListRequest(Limit: 1), ct); _rulesApi = (true, now); }
            catch (KubeApiException e) when (e.Code == 404) { _rulesApi = (false, now); }
        }
        if (_rulesApi is not { Installed: true }) return;
        var year = ServiceLevelLedger.YearMonthOf(Instant.FromDateTimeOffset(now), settings.Calendar.Zone).Year;
        var group = SloAlerts.RuleGroup(sl.Namespace!, sl.Name, settings.Tier, settings.Tier.Objective,
            SloAlerts.MonthlyServiceHours(settings.Tier, year, settings.Calendar.Zone, settings.Calendar.Holidays), settings.AlertAfter);
        var spec = new JsonObject { ["groups"] = new JsonArray(group) };
        var hash = spec.ToJsonString();
        var key = $"{sl.Metadata.Uid}";
        if (_rules.TryGetValue(key, out var last) && last.Hash == hash && now - last.At < RuleRecheck) return;
        var name = $"{sl.Name}-sla";
        using var because = KubeClient.Because($"ServiceLevel {sl.Namespace}/{sl.Name} alert rules");
        var existing = await client.TryGetAsync(PrometheusRules, sl.Namespace, name, ct);
        if (existing is null)
        {
            await client.CreateAsync(PrometheusRules, new DynamicObject
            {
                Metadata = new ObjectMeta
                {
                    Name = name, Namespace = sl.Namespace,
                    Labels = new() { ["app.kubernetes.io/managed-by"] = "dematoperator", ["ops.demat.gouv.fr/servicelevel"] = sl.Name },
                    OwnerReferences = [new OwnerReference { ApiVersion = Group.ApiVersion, Kind = "ServiceLevel", Name = sl.Name, Uid = sl.Metadata.Uid!, Controller = true, BlockOwnerDeletion = true }],
                },
                Fields = new JsonObject { ["spec"] = spec },
            }, ct);
            await events.NormalAsync(sl, "AlertRulesCreated", $"PrometheusRule {name} created", ct);
        }
        else if (!JsonNode.DeepEquals(existing.Spec, spec))
        {
            existing.Fields!["spec"] = spec;
            await client.UpdateAsync(PrometheusRules, existing, ct);
        }
        _rules[key] = (hash, now);
    }

    private Task SetInvalidAsync(ServiceLevel sl, string reason, string message, CancellationToken ct) =>
        InvalidSpec.ReportAsync(client, OperatorKinds.ServiceLevels, sl, s => s.Status ??= new ServiceLevelStatus(), events, reason, message, ct);
}
