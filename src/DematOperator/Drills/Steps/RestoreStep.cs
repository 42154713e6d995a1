using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;

namespace DematOperator.Drills.Steps;

/// <summary>
/// Creates the restore namespaces (labelled with the run: the only ones its rollback may delete) and one Velero
/// Restore named after the run (adopted after a restart, never created twice), then follows it to its end.
/// </summary>
public sealed class RestoreStep(EventRecorder events) : IDrillStep
{
    public DrillStepName Name => DrillStepName.Restore;

    public async Task<StepOutcome> ObserveAsync(DrillRunContext cx, CancellationToken ct)
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
                    Metadata = new ObjectMeta { Name = ns, Labels = RunLabelsOf(cx) },
                }, ct);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                var existing = await cx.Target.GetAsync(Resources.Namespaces, null, ns, ct);
                if (existing.Metadata.Labels?.GetValueOrDefault(DrillMarks.RunLabel) != RunLabels.LabelValue(run.Name))
                    return StepOutcome.Fail(DrillReasons.NamespaceExists, $"namespace {ns} appeared on the target during the run and is not the drill's");
            }
            if (!created.Contains(ns)) created.Add(ns);
        }
        run.RestoreName = run.Name;
        var restore = await cx.Target.TryGetAsync(ForeignKinds.VeleroRestores, cx.VeleroNamespace, run.Name, ct)
                      ?? await ObjectWriter.CreateOrGetAsync(cx.Target, ForeignKinds.VeleroRestores, NewRestore(cx), ct);
        var status = restore.Status;
        var phase = status?.Phase;
        if (phase == VeleroPhases.Completed)
        {
            if (cx.Settings.Failover)
                await events.NormalAsync(cx.Drill, "OperatorResourcesRestored",
                    $"run {run.Name} (Failover): the BackupPolicies, ServiceLevels and CertificateRenewals of {string.Join(", ", cx.TargetNamespaces)} were restored and now act on this cluster, as production does", ct);
            var items = status?.Progress?.ItemsRestored ?? 0;
            if (status?.Errors is > 0 and var errors)
                return StepOutcome.Fail(DrillReasons.RestoreFailed, $"Velero Restore {run.Name} completed with {errors} error(s)");
            var empty = new List<string>();
            foreach (var ns in cx.TargetNamespaces)
                if (!await HoldsRestoredObjectsAsync(cx.Target, ns, run.Name, ct)) empty.Add(ns);
            if (items == 0 || empty.Count > 0)
                return StepOutcome.Fail(DrillReasons.NothingRestored,
                    $"Velero Restore {run.Name} completed but restored {(items == 0 ? "nothing" : $"nothing into {string.Join(", ", empty)}")}: a drill that restored nothing proves nothing");
            return StepOutcome.Done($"Velero Restore {run.Name} completed: {items} item(s)"
                                    + (cx.Settings.Failover ? "" : "; DematOperator's own resources excluded (rehearsal)"));
        }
        if (VeleroPhases.IsFailure(phase))
        {
            var why = status?.FailureReason ?? status?.ValidationErrors?.FirstOrDefault() ?? $"{status?.Errors ?? 0} error(s)";
            return StepOutcome.Fail(DrillReasons.RestoreFailed, $"Velero Restore {run.Name} ended {phase}: {why}");
        }
        if (cx.StepElapsed > cx.Settings.RestoreTimeout)
            return StepOutcome.Fail(DrillReasons.RestoreTimedOut, $"Velero Restore {run.Name} not completed after {Durations.Human(cx.Settings.RestoreTimeout)} (phase {phase ?? VeleroPhases.New})");
        return StepOutcome.Wait($"Velero Restore {run.Name}: {phase ?? VeleroPhases.New}");
    }

    private static Dictionary<string, string> RunLabelsOf(DrillRunContext cx) => new()
    {
        [DrillMarks.RunLabel] = RunLabels.LabelValue(cx.Run.Name),
        [DrillMarks.DrillLabel] = RunLabels.LabelValue(cx.Drill.Name),
    };

    private static VeleroRestore NewRestore(DrillRunContext cx)
    {
        var labels = RunLabelsOf(cx);
        labels["app.kubernetes.io/managed-by"] = "dematoperator";
        return new VeleroRestore
        {
            Metadata = new ObjectMeta { Name = cx.Run.Name, Namespace = cx.VeleroNamespace, Labels = labels },
            Spec = new VeleroRestoreSpec
            {
                BackupName = cx.Run.BackupName,
                IncludedNamespaces = [.. cx.Drill.Spec.Source.Namespaces],
                NamespaceMapping = cx.Drill.Spec.Source.Namespaces.Where(s => cx.Settings.TargetNamespace(s) != s).ToDictionary(s => s, cx.Settings.TargetNamespace),
                RestorePVs = true,
                ExistingResourcePolicy = "none",
                // Isolation: a rehearsal restores production's workloads and data, never our own resources, which would
                // otherwise run on RBX (backups into production's chain, probes, certificate writes, drills). A failover
                // restores them on purpose: production now lives on RBX and its duties move with it.
                ExcludedResources = cx.Rehearsal ? [.. OperatorKinds.GroupResources] : null,
            },
        };
    }

    /// <summary>Whether Velero put anything of this restore into the namespace (its objects carry velero.io/restore-name).</summary>
    private static async Task<bool> HoldsRestoredObjectsAsync(KubeClient target, string ns, string restore, CancellationToken ct)
    {
        var selector = new ListRequest($"{VeleroLabels.RestoreName}={RunLabels.LabelValue(restore)}", Limit: 1);
        async Task<bool> Any<T>(ResourceType<T> type) where T : KubeObject => (await target.ListAsync(type, ns, selector, ct)).Items.Count > 0;
        return await Any(ForeignKinds.Deployments) || await Any(ForeignKinds.StatefulSets) || await Any(ForeignKinds.PersistentVolumeClaims)
               || await Any(Resources.ConfigMaps) || await Any(Resources.Secrets);
    }
}
