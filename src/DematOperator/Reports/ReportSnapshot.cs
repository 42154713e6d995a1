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


    /// <summary>A policy's target namespaces as the controller resolves them: the listed ones and those its selector matches.</summary>
    private static List<string> Targets(BackupTarget target, List<DynamicObject> namespaces)
    {
        var selector = target.NamespaceSelector?.ToSelector();
        return [.. (target.Namespaces ?? []).Concat(selector is null ? [] : namespaces.Where(n => selector.Matches(n.Metadata.Labels ?? [])).Select(n => n.Name)).Distinct()];
    }

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
        var kasten = policies.Any(p => Backups.Methods.BackupMethods.Of(p.Spec) == Backups.Methods.BackupMethod.Kasten);
        var runActions = kasten ? await All(Foreign.ForeignKinds.KastenRunActions, RunLabels.Policy) : [];
        var backupActions = kasten ? await All(Foreign.ForeignKinds.KastenBackupActions, RunLabels.Policy) : [];
        var exportActions = kasten ? await All(Foreign.ForeignKinds.KastenExportActions, RunLabels.Policy) : [];
        var restorePoints = kasten ? await All(Foreign.ForeignKinds.KastenRestorePoints) : [];
        var namespaces = await All(Resources.Namespaces);
        var withRuns = policies.Select(p =>
        {
            bool Mine(KubeObject o) => o.Metadata.Labels?.GetValueOrDefault(RunLabels.Policy) == RunLabels.LabelValue(p.Name) && o.Metadata.Labels?.GetValueOrDefault(RunLabels.PolicyNamespace) == p.Namespace;
            IReadOnlyList<ObservedRun> runs = Backups.Methods.BackupMethods.Of(p.Spec) switch
            {
                Backups.Methods.BackupMethod.Velero => veleroRuns.Where(Mine).Select(RunObservation.FromVelero).ToList(),
                Backups.Methods.BackupMethod.Kasten => KastenRuns(p, Targets(p.Spec.Target, namespaces)),
                _ => snapshotRuns.Where(Mine).GroupBy(s => s.Metadata.Labels?.GetValueOrDefault(RunLabels.Run) ?? s.Name).Select(g => RunObservation.FromSnapshots(g.Key, g.ToList())).ToList(),
            };
            return (p, runs);

            List<ObservedRun> KastenRuns(BackupPolicy policy, List<string> targets) => Backups.Methods.KastenRuns.Observe(
                runActions.Where(Mine).ToList(), backupActions.Where(Mine).ToList(), exportActions.Where(Mine).ToList(),
                restorePoints.Where(r => targets.Contains(r.Namespace!)).ToList(), targets, Backups.Methods.KastenMethod.ExportProfileOf(policy));
        }).ToList();
        var production = (await All(Resources.Namespaces, $"{EnvironmentLabel}=production")).Select(n => n.Name).ToHashSet();
        var workloads = new List<ProductionWorkload>();
        foreach (var type in new[] { Resources.Deployments, Resources.StatefulSets })
            workloads.AddRange((await All(type)).Where(w => production.Contains(w.Namespace!)).Select(w => new ProductionWorkload(cluster, type.Kind, w.Namespace!, w.Name)));
        return new ReportSnapshot(cluster, await All(OperatorKinds.ServiceLevels), withRuns, await All(OperatorKinds.PraDrills),
            await All(OperatorKinds.CertificateRenewals), workloads);
    }
}
