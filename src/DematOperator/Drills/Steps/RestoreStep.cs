using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;

namespace DematOperator.Drills.Steps;

/// <summary>
/// Creates the restore namespaces (labelled with the run: the only ones its rollback may delete), then has the
/// engine restore into them with objects named after the run (adopted after a restart, never created twice) and
/// follows them to their end.
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
                    Metadata = new ObjectMeta { Name = ns, Labels = Engines.RestoreEngines.RunLabelsOf(cx) },
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
        var outcome = await cx.Engine.RestoreAsync(cx, ct);
        if (outcome.Kind == StepOutcomeKind.Done && cx.Settings.Failover)
            await events.NormalAsync(cx.Drill, "OperatorResourcesRestored",
                $"run {run.Name} (Failover): the BackupPolicies, ServiceLevels and CertificateRenewals of {string.Join(", ", cx.TargetNamespaces)} were restored and now act on this cluster, as production does", ct);
        return outcome;
    }
}
