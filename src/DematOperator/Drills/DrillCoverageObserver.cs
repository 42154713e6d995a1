using DematOperator.Api;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>Reads what spec.coverage needs from the source cluster (production) and assesses it; null when the source does not answer.</summary>
public sealed class DrillCoverageObserver(DrillClusters clusters)
{
    public async Task<CoverageAssessment?> AssessAsync(PraDrill drill, CancellationToken ct)
    {
        if (drill.Spec.Coverage is not { } coverage) return null;
        var source = await clusters.SourceAsync(drill, ct);
        return await DrillClusters.TryReadAsync(source, async (c, t) =>
        {
            var namespaces = (await c.ListAllAsync(Resources.Namespaces, null, new ListRequest(coverage.NamespaceSelector.ToSelector().ToString()), t)).Items
                .Select(n => Production("Namespace", n)).ToList();
            var objects = new List<ProductionObject>();
            foreach (var ns in namespaces)
            {
                objects.AddRange((await c.ListAllAsync(ForeignKinds.PersistentVolumeClaims, ns.Name, null, t)).Items.Select(o => Production("PersistentVolumeClaim", o)));
                foreach (var kind in ForeignKinds.WorkloadKinds)
                    objects.AddRange((await c.ListAllAsync(kind, ns.Name, null, t)).Items.Select(o => Production(kind.Kind, o)));
            }
            var scope = await ScopeAsync(drill, c, t);
            var lastSuccess = drill.Status?.LastSuccessfulTime is { } ok ? Instant.FromDateTimeOffset(ok) : (Instant?)null;
            return DrillCoverageAssessment.Assess(namespaces, objects, drill.Spec.Source.Namespaces, scope, lastSuccess);
        }, ct);
    }

    /// <summary>What the drill's backups hold: its BackupPolicy's target (here or on the source), or its Velero Schedule's template.</summary>
    private async Task<BackupScope> ScopeAsync(PraDrill drill, KubeClient source, CancellationToken ct)
    {
        if (drill.Spec.Backup.BackupPolicy is { Length: > 0 })
        {
            if ((await clusters.BackupPolicyAsync(drill, ct)).Policy?.Spec.Target is { } target)
                return new BackupScope(target.Namespaces ?? [], [], target.NamespaceSelector?.ToSelector(), target.Selector?.ToSelector() ?? LabelSelector.Everything);
        }
        else if (drill.Spec.Backup.VeleroSchedule is { Length: > 0 } schedule
                 && await source.TryGetAsync(ForeignKinds.VeleroSchedules, drill.Spec.Backup.VeleroNamespace ?? "openshift-adp", schedule, ct) is { Spec.Template: { } template })
            return new BackupScope(template.IncludedNamespaces ?? [], template.ExcludedNamespaces ?? [], null, LabelSelector.FromObject(template.LabelSelector));
        // What holds the backups cannot be read: judge only what the drill restores.
        return new BackupScope(drill.Spec.Source.Namespaces, [], null, LabelSelector.Everything);
    }

    private static ProductionObject Production(string kind, KubeObject o) =>
        new(kind, o.Namespace ?? "", o.Name, o.Metadata.Labels ?? [], Instant.FromDateTimeOffset(o.Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch));
}
