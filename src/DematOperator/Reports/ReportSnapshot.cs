using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Certificates;
using DematOperator.Drills;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.ServiceLevels;

namespace DematOperator.Reports;

/// <summary>A workload of a production namespace, for the monitoring-coverage indicator.</summary>
public sealed record ProductionWorkload(string Cluster, string Kind, string Namespace, string Name);

/// <summary>What one cluster holds that the monthly report reads: our four kinds, backup runs, production workloads.</summary>
public sealed record ReportSnapshot(
    string Cluster,
    IReadOnlyList<ServiceLevel> ServiceLevels,
    IReadOnlyList<(BackupPolicy Policy, IReadOnlyList<ObservedRun> Runs)> BackupPolicies,
    IReadOnlyList<PraDrill> Drills,
    IReadOnlyList<CertificateRenewal> CertificateRenewals,
    IReadOnlyList<ProductionWorkload> ProductionWorkloads)
{
    /// <summary>Namespaces carrying this label with value `production` count for the monitoring-coverage indicator.</summary>
    public const string EnvironmentLabel = Group.AnnotationPrefix + "environment";


    /// <summary>Reads everything the report needs from one cluster (absent APIs count as empty).</summary>
    public static async Task<ReportSnapshot> GatherAsync(KubeClient client, string cluster, CancellationToken ct)
    {
        async Task<List<T>> All<T>(ResourceType<T> type, string? selector = null) where T : KubeObject
        {
            try { return (await client.ListAllAsync(type, null, new ListRequest(selector), ct)).Items; }
            catch (KubeApiException e) when (e.Code == 404) { return []; }
        }
        var policies = await All(OperatorKinds.BackupPolicies);
        var veleroRuns = await All(Foreign.ForeignKinds.VeleroBackups, RunLabels.Policy);
        var snapshotRuns = await All(Foreign.ForeignKinds.VolumeSnapshots, RunLabels.Policy);
        var withRuns = policies.Select(p =>
        {
            bool Mine(KubeObject o) => o.Metadata.Labels?.GetValueOrDefault(RunLabels.Policy) == RunLabels.LabelValue(p.Name) && o.Metadata.Labels?.GetValueOrDefault(RunLabels.PolicyNamespace) == p.Namespace;
            IReadOnlyList<ObservedRun> runs = Backups.Methods.BackupMethods.Of(p.Spec) == Backups.Methods.BackupMethod.Velero
                ? veleroRuns.Where(Mine).Select(RunObservation.FromVelero).ToList()
                : snapshotRuns.Where(Mine).GroupBy(s => s.Metadata.Labels?.GetValueOrDefault(RunLabels.Run) ?? s.Name).Select(g => RunObservation.FromSnapshots(g.Key, g.ToList())).ToList();
            return (p, runs);
        }).ToList();
        var production = (await All(Resources.Namespaces, $"{EnvironmentLabel}=production")).Select(n => n.Name).ToHashSet();
        var workloads = new List<ProductionWorkload>();
        foreach (var type in new[] { Resources.Deployments, Resources.StatefulSets })
            workloads.AddRange((await All(type)).Where(w => production.Contains(w.Namespace!)).Select(w => new ProductionWorkload(cluster, type.Kind, w.Namespace!, w.Name)));
        return new ReportSnapshot(cluster, await All(OperatorKinds.ServiceLevels), withRuns, await All(OperatorKinds.PraDrills),
            await All(OperatorKinds.CertificateRenewals), workloads);
    }
}
