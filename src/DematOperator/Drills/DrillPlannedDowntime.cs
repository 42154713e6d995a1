using DematOperator.Kube.Informers;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>
/// The test environments a drill in flight has stopped on this cluster: from the start of its Quiesce step until
/// the run ends (Rollback gave them back). Only drills whose target is this cluster stop anything here.
/// </summary>
public sealed class DrillPlannedDowntime(Informer<PraDrill> drills) : IPlannedDowntime
{
    public IReadOnlyList<PlannedInterruption> Active(IReadOnlyCollection<string> namespaces)
    {
        var result = new List<PlannedInterruption>();
        foreach (var drill in drills.List())
        {
            if (drill.Spec.Target?.Kubeconfig is not null || drill.Status?.CurrentRun is not { } run) continue;
            if (DrillRunMachine.StepOf(run, DrillStepName.Quiesce).StartTime is not { } start) continue;
            var stopped = (run.Quiesced ?? []).Select(q => q.Namespace).Concat(drill.Spec.Quiesce?.Namespaces ?? []).ToHashSet();
            if (namespaces.Any(stopped.Contains))
                result.Add(new PlannedInterruption(PlannedReasons.PraDrill, $"PraDrill {drill.Namespace}/{drill.Name} run {run.Name}", Instant.FromDateTimeOffset(start)));
        }
        return result;
    }
}
