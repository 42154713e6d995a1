using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.Restores.Methods;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace DematOperator.Restores;

public sealed class RestoreRequestMetrics(MetricsRegistry registry)
{
    public readonly Counter Requests = registry.Counter("demat_restore_requests_total", "RestoreRequests that ended, by result (succeeded, failed, planned: a dry run).", "namespace", "result");
    public readonly Gauge Duration = registry.Gauge("demat_restore_duration_seconds", "How long the last restore of a RestoreRequest took, from its start to its end.", "namespace", "request");
}

/// <summary>
/// Runs a RestoreRequest once: Load (the stored object) → Resolve (spec checks, the BackupPolicy, the source and
/// target namespaces) → Observe (the policy's runs; the chosen recovery point is written into status at once and
/// kept) → Decide (refusals: no recovery point, a target that is not allowed, objects that would be overwritten)
/// → Apply (a dry run stops at the plan; otherwise the engine's restore objects, named after the request, are
/// created and followed to their end), with a report ConfigMap, Events and a metric.
/// </summary>
public sealed class RestoreRequestReconciler(KubeClient client, Informer<RestoreRequest> requests, RemoteClusters remotes, EventRecorder events, RestoreRequestMetrics metrics, ILogger<RestoreRequestReconciler> log) : IReconciler
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);
    private readonly IReadOnlyDictionary<BackupMethod, IBackupMethod> _backups = BackupMethods.All(client, events);
    private readonly IReadOnlyDictionary<BackupMethod, IRestoreMethod> _restores =
        new IRestoreMethod[] { new CsiRestoreMethod(), new VeleroRestoreMethod(), new KastenRestoreMethod() }.ToDictionary(m => m.Method);

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        if (requests.Get(request.Namespace, request.Name) is null) return ReconcileResult.Done;
        // Decided on the stored object: the cache may not show that the restore already started.
        var rr = await client.TryGetAsync(OperatorKinds.RestoreRequests, request.Namespace, request.Name, ct);
        if (rr is null || rr.IsDeleting) return ReconcileResult.Done;
        var now = Instant.FromDateTimeOffset(client.Time.GetUtcNow());
        var phase = rr.Status?.Phase ?? RestorePhase.Pending;
        if (phase is RestorePhase.Succeeded or RestorePhase.Failed or RestorePhase.Planned)
        {
            if (rr.Status?.ObservedGeneration != rr.Metadata.Generation)
                await WriteAsync(rr, s => Conditions.Set(s.Conditions!, Conditions.Make("Ready", true, RestoreReasons.SpecChanged,
                    $"this request ended {phase}; a RestoreRequest runs once: create a new one to restore again", rr.Metadata.Generation), client.Time.GetUtcNow()), ct);
            return ReconcileResult.Done;
        }
        if (RestoreDecisions.Check(rr.Spec).FirstOrDefault(p => !p.Warning) is { } problem)
        {
            await InvalidSpec.ReportAsync(client, OperatorKinds.RestoreRequests, rr, r => r.Status ??= new RestoreRequestStatus(), events, problem.Reason, $"{problem.Field}: {problem.Message}", ct);
            return ReconcileResult.Done;
        }
        var policy = await client.TryGetAsync(OperatorKinds.BackupPolicies, rr.Namespace, rr.Spec.BackupPolicy, ct);
        if (policy is null || BackupMethods.Of(policy.Spec) is not { } method)
        {
            await InvalidSpec.ReportAsync(client, OperatorKinds.RestoreRequests, rr, r => r.Status ??= new RestoreRequestStatus(), events, RestoreReasons.PolicyNotFound,
                $"spec.backupPolicy: BackupPolicy {rr.Namespace}/{rr.Spec.BackupPolicy} does not exist", ct);
            return ReconcileResult.After(TimeSpan.FromMinutes(1));
        }
        var source = rr.Status?.SourceNamespace ?? rr.Spec.SourceNamespace ?? rr.Namespace!;
        var target = rr.Status?.TargetNamespace ?? rr.Spec.TargetNamespace ?? rr.Namespace!;
        var namespaces = await policy.Spec.Target.ResolveAsync(client, ct);
        if (!namespaces.Contains(source))
            return await FailAsync(rr, method, RestoreReasons.NamespaceNotBackedUp, $"BackupPolicy {policy.Name} does not back up {source} (its targets: {string.Join(", ", namespaces)})", now, ct);
        var settings = new BackupSettings(CronSchedule.Parse("@yearly"), DateTimeZone.Utc, ContractDefaults.Rpo, null, Duration.FromMinutes(10), namespaces, null);
        var runs = await _backups[method].ObserveAsync(policy, settings, now, ct);

        ObservedRun? run;
        if (rr.Status?.RecoveryPoint is { } chosen)
        {
            run = runs.FirstOrDefault(r => r.Name == chosen.Run);
            if (run is null) return await FailAsync(rr, method, RestoreReasons.RunNotFound, $"run {chosen.Run} disappeared during the restore (retention?)", now, ct);
        }
        else
        {
            (run, var reason, var message) = RestoreDecisions.Choose(runs, rr.Spec.Run, rr.Spec.Before);
            if (run is null) return await FailAsync(rr, method, reason!, message!, now, ct);
        }
        KubeClient targetClient = client;
        if (rr.Spec.TargetCluster is { } k)
        {
            try { targetClient = await remotes.ForSecretAsync(rr.Namespace!, k.Name, k.Key ?? "kubeconfig", k.Context, ct); }
            catch (RemoteClusterException e) { return await FailAsync(rr, method, RestoreReasons.TargetClusterUnusable, $"spec.targetCluster: {e.Message}", now, ct); }
        }
        var cx = new RestoreContext(client, rr, policy, run, source, target, now) { TargetClient = targetClient };
        var restore = _restores[method];
        if (phase == RestorePhase.Pending && await restore.MissingOnTargetAsync(cx, ct) is { } missing)
            return await FailAsync(rr, method, method == BackupMethod.CSISnapshot ? RestoreReasons.SnapshotsAreLocal : RestoreReasons.NotOnTargetCluster, missing, now, ct, null, run);

        if (phase == RestorePhase.Pending)
        {
            // A target other than the request's own namespace (on this cluster) must be new: the request creates it and owns it.
            if ((target != rr.Namespace || cx.OtherCluster) && await targetClient.TryGetAsync(Resources.Namespaces, null, target, ct) is { } existing
                && existing.Metadata.Labels?.GetValueOrDefault(RestoreMarks.RequestLabel) != RunLabels.LabelValue(rr.Name))
                return await FailAsync(rr, method, RestoreReasons.TargetNamespaceNotAllowed,
                    $"namespace {target} exists{(cx.OtherCluster ? " on the target cluster" : "")} and is not this request's: restore into {(cx.OtherCluster ? "a namespace that does not exist there yet" : $"{rr.Namespace}, or into a namespace that does not exist yet")}", now, ct);
            var plan = await restore.PlanAsync(cx, ct);
            if (plan.Count == 0)
                return await FailAsync(rr, method, RestoreReasons.NothingToRestore, $"run {run.Name} holds nothing of {source} that the selection keeps", now, ct, plan, run);
            var conflicts = await restore.ConflictsAsync(cx, plan, ct);
            // CSI cannot replace a claim's data in place; the others can when asked to.
            if (conflicts.Count > 0 && (!cx.Update || method == BackupMethod.CSISnapshot))
                return await FailAsync(rr, method, RestoreReasons.WouldOverwrite,
                    $"{target} already holds {string.Join(", ", conflicts.Take(10))}{(conflicts.Count > 10 ? ", ..." : "")}: {(method == BackupMethod.CSISnapshot ? "restore the claims into a new namespace" : "set existingResourcePolicy: update, or restore into a new namespace")}", now, ct, plan, run);
            var dryRun = rr.Spec.DryRun == true;
            rr = await WriteAsync(rr, s =>
            {
                s.Phase = dryRun ? RestorePhase.Planned : RestorePhase.Restoring;
                s.RecoveryPoint = Point(run, method);
                s.SourceNamespace = source;
                s.TargetNamespace = target;
                s.Plan = [.. plan.Items.Take(200)];
                s.PlannedItems = plan.Count;
                s.StartTime = now.ToDateTimeOffset();
                s.Message = dryRun ? $"dry run: {plan.Count} item(s) would be restored from {run.Name} into {target}; nothing was changed" : $"restoring {run.Name} into {target}";
                Conditions.Set(s.Conditions!, Conditions.Make("Ready", true, dryRun ? "Planned" : "Restoring", s.Message, rr.Metadata.Generation), client.Time.GetUtcNow());
            }, ct);
            if (dryRun)
            {
                metrics.Requests.WithLabels(rr.Namespace!, "planned").Inc();
                await ReportAsync(rr, method, now, ct);
                await events.NormalAsync(rr, "Planned", rr.Status!.Message!, ct);
                return ReconcileResult.Done;
            }
            cx = cx with { Request = rr };
            await events.NormalAsync(rr, "RestoreStarted", $"restoring {policy.Spec.Method} run {run.Name} (data of {Format(run.RecoveryPoint)}, {run.Consistency}-consistent) from {source} into {target}", ct);
        }

        using (KubeClient.Because($"RestoreRequest {rr.Namespace}/{rr.Name}"))
        {
            if ((target != rr.Namespace || cx.OtherCluster) && await targetClient.TryGetAsync(Resources.Namespaces, null, target, ct) is null)
                await ObjectWriter.CreateOrGetAsync(targetClient, Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = target, Labels = cx.Labels() } }, ct);
            await restore.StartAsync(cx, ct);
        }
        var started = rr.Status?.StartTime is { } st ? Instant.FromDateTimeOffset(st) : now;
        var progress = await restore.ObserveAsync(cx, now - started, RestoreDecisions.Timeout(rr.Spec), ct);
        if (!progress.Done)
        {
            if (rr.Status?.Message != progress.Message) await WriteAsync(rr, s => s.Message = progress.Message, ct);
            return ReconcileResult.After(Poll);
        }
        if (progress.FailureReason is { } failure) return await FailAsync(rr, method, failure, progress.Message, now, ct);
        rr = await WriteAsync(rr, s =>
        {
            s.Phase = RestorePhase.Succeeded;
            s.CompletionTime = now.ToDateTimeOffset();
            s.RestoreName = cx.ObjectName;
            s.Message = progress.Message;
            Conditions.Set(s.Conditions!, Conditions.Make("Ready", true, "Restored", progress.Message, rr.Metadata.Generation), client.Time.GetUtcNow());
        }, ct);
        metrics.Requests.WithLabels(rr.Namespace!, "succeeded").Inc();
        metrics.Duration.WithLabels(rr.Namespace!, rr.Name).Set((now - started).TotalSeconds);
        await ReportAsync(rr, method, now, ct);
        log.LogInformation("RestoreRequest {Namespace}/{Name} restored {Run} into {Target}", rr.Namespace, rr.Name, run.Name, target);
        await events.NormalAsync(rr, "Restored", progress.Message, ct);
        return ReconcileResult.Done;
    }

    private static ChosenRecoveryPoint Point(ObservedRun run, BackupMethod method) =>
        new() { Run = run.Name, Time = run.RecoveryPoint?.ToDateTimeOffset(), Consistency = run.Consistency.ToString(), Method = method.ToString() };

    private async Task<ReconcileResult> FailAsync(RestoreRequest rr, BackupMethod method, string reason, string message, Instant now, CancellationToken ct,
        RestorePlan? plan = null, ObservedRun? run = null)
    {
        rr = await WriteAsync(rr, s =>
        {
            s.Phase = RestorePhase.Failed;
            s.FailureReason = reason;
            s.Message = message;
            s.CompletionTime = now.ToDateTimeOffset();
            if (run is not null) s.RecoveryPoint ??= Point(run, method);
            if (plan is not null) { s.Plan = [.. plan.Items.Take(200)]; s.PlannedItems = plan.Count; }
            Conditions.Set(s.Conditions!, Conditions.Make("Ready", false, reason, message, rr.Metadata.Generation), client.Time.GetUtcNow());
        }, ct);
        metrics.Requests.WithLabels(rr.Namespace!, "failed").Inc();
        await ReportAsync(rr, method, now, ct);
        await events.WarningAsync(rr, reason, message, ct);
        return ReconcileResult.Done;
    }

    private Task<RestoreRequest> WriteAsync(RestoreRequest rr, Action<RestoreRequestStatus> mutate, CancellationToken ct) =>
        ObjectWriter.UpdateStatusAsync(client, OperatorKinds.RestoreRequests, rr, r =>
        {
            var s = r.Status ??= new RestoreRequestStatus();
            s.Conditions ??= [];
            s.ObservedGeneration = r.Metadata.Generation;
            mutate(s);
        }, ct);

    /// <summary>report.md and report.json in the ConfigMap `restore-&lt;name&gt;`, owned by the request.</summary>
    private async Task ReportAsync(RestoreRequest rr, BackupMethod method, Instant now, CancellationToken ct)
    {
        var s = rr.Status!;
        // In French, the contract's language, with every time in Paris time and its offset (PersonTime); the JSON keeps
        // the fields' names and the API's values (phase, reason) so tools can read it.
        var md = new StringBuilder();
        md.AppendLine($"# Restauration sur demande — {rr.Namespace}/{rr.Name}");
        md.AppendLine();
        md.AppendLine($"- Résultat : **{FrenchPhase(s.Phase)}** ({s.Phase}{(s.FailureReason is { } r ? $", {r}" : "")}) — {s.Message}");
        md.AppendLine($"- Politique de sauvegarde : {rr.Spec.BackupPolicy} ({method})");
        md.AppendLine($"- Point de reprise : {s.RecoveryPoint?.Run ?? "—"}, données du {PersonTime.Format(s.RecoveryPoint?.Time)}, "
                      + $"cohérence : {FrenchConsistency(s.RecoveryPoint?.Consistency)}");
        var dry = rr.Spec.DryRun == true ? " (simulation : rien n'a été modifié)" : "";
        md.AppendLine($"- Depuis : {s.SourceNamespace ?? "—"} → vers : {s.TargetNamespace ?? "—"}{dry}");
        md.AppendLine($"- Début : {PersonTime.Format(s.StartTime)} ; fin : {PersonTime.Format(now)}");
        md.AppendLine();
        md.AppendLine("## Contenu prévu");
        md.AppendLine();
        foreach (var item in s.Plan ?? []) md.AppendLine($"- {item}");
        if (s.Plan is null or { Count: 0 }) md.AppendLine("- —");
        var json = new JsonObject
        {
            ["request"] = $"{rr.Namespace}/{rr.Name}", ["phase"] = s.Phase?.ToString(), ["reason"] = s.FailureReason, ["message"] = s.Message,
            ["policy"] = rr.Spec.BackupPolicy, ["method"] = method.ToString(), ["run"] = s.RecoveryPoint?.Run,
            ["dataTime"] = s.RecoveryPoint?.Time is { } dt ? PersonTime.Format(dt) : null,
            ["consistency"] = s.RecoveryPoint?.Consistency, ["source"] = s.SourceNamespace, ["target"] = s.TargetNamespace, ["dryRun"] = rr.Spec.DryRun == true,
            ["startTime"] = s.StartTime is { } st ? PersonTime.Format(st) : null, ["endTime"] = PersonTime.Format(now),
            ["plan"] = new JsonArray([.. (s.Plan ?? []).Select(p => (JsonNode)p)]), ["plannedItems"] = s.PlannedItems,
        };
        var name = KubeNames.Fit($"restore-{rr.Name}", 253);
        var cm = new ConfigMap
        {
            Metadata = new ObjectMeta
            {
                Name = name, Namespace = rr.Namespace, Labels = new() { [RestoreMarks.RequestLabel] = RunLabels.LabelValue(rr.Name) },
                OwnerReferences = [new OwnerReference { ApiVersion = OperatorKinds.RestoreRequests.ApiVersion, Kind = "RestoreRequest", Name = rr.Name, Uid = rr.Metadata.Uid ?? "" }],
            },
            Data = new()
            {
                ["report.md"] = md.ToString(),
                ["report.json"] = json.ToJsonString(PeopleJson.Compact),
            },
        };
        try { await client.CreateAsync(Resources.ConfigMaps, cm, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = await client.GetAsync(Resources.ConfigMaps, rr.Namespace, name, ct);
            existing.Data = cm.Data;
            await client.UpdateAsync(Resources.ConfigMaps, existing, ct);
        }
        if (s.Report != name) await WriteAsync(rr, st => st.Report = name, ct);
    }

    private static string Format(Instant? i) => i is { } v ? PersonTime.Format(v) : "—";

    private static string FrenchPhase(RestorePhase? phase) => phase switch
    {
        RestorePhase.Succeeded => "restauration réussie",
        RestorePhase.Failed => "restauration refusée ou échouée",
        RestorePhase.Planned => "simulation : plan établi",
        RestorePhase.Restoring => "restauration en cours",
        _ => "en attente",
    };

    private static string FrenchConsistency(string? consistency) => consistency switch
    {
        "Application" => "applicative (écritures gelées pendant la capture)",
        "Crash" => "au niveau des disques (comme après un arrêt brutal)",
        null => "—",
        _ => consistency,
    };
}

public static class RestoreRequestController
{
    public const string Name = "restorerequest";

    public static Controller Create(KubeClient client, Informer<RestoreRequest> requests, RemoteClusters remotes, EventRecorder events, MetricsRegistry metrics, ILoggerFactory loggers) =>
        new Controller(Name, new RestoreRequestReconciler(client, requests, remotes, events, new RestoreRequestMetrics(metrics), loggers.CreateLogger<RestoreRequestReconciler>()),
                new ControllerOptions
                {
                    MaxConcurrentReconciles = 2,
                    // The phase column is never blank: a request that cannot start yet is Pending, with Ready=False saying why.
                    FailureReporter = new ReconcileFailureReporter<RestoreRequest>(client,
                        OperatorKinds.RestoreRequests, r => r.Status ??= new RestoreRequestStatus(), events,
                        r => r.Status!.Phase ??= RestorePhase.Pending),
                }, metrics, loggers, client.Time)
            .For(requests, Predicates.GenerationOrAnnotationsChanged);
}
