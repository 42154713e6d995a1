using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.Tests.Chaos;

/// <summary>One object a backup run made (a Velero Backup or a VolumeSnapshot), as found on one cluster.</summary>
public sealed record RunObject(string Cluster, string Kind, string Namespace, string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations, string? Pvc = null)
{
    public static RunObject From(string cluster, string kind, StoredObject o)
    {
        var obj = o.Parse();
        var pvc = (string?)obj["spec"]?["source"]?["persistentVolumeClaimName"];
        return new(cluster, kind, o.Namespace, o.Name, o.Labels, ObjectMetaAccess.StringMap(obj["metadata"]?["annotations"]), pvc);
    }
}

/// <summary>
/// "No slot ran twice", by meaning: one run per policy and slot (or per run-now request), whatever the objects are
/// named and on whichever cluster they are. A Backup synced to the other site is the same run (same name there).
/// </summary>
public static class RunAudit
{
    public static IReadOnlyList<string> DuplicateRuns(IEnumerable<RunObject> objects)
    {
        var problems = new List<string>();
        var runs = objects.Where(o => o.Labels.ContainsKey(RunLabels.Policy)).ToList();
        foreach (var o in runs.Where(o => !o.Annotations.ContainsKey(RunLabels.SlotAnnotation)))
            problems.Add($"{o.Kind} {o.Namespace}/{o.Name} on {o.Cluster}: a run object without its slot");
        foreach (var g in runs.Where(o => o.Annotations.ContainsKey(RunLabels.SlotAnnotation)).GroupBy(o => (
                     PolicyNamespace: o.Labels.GetValueOrDefault(RunLabels.PolicyNamespace), Policy: o.Labels[RunLabels.Policy], o.Kind,
                     Slot: o.Annotations[RunLabels.SlotAnnotation], Request: o.Annotations.GetValueOrDefault(RunLabels.RunNowRequestAnnotation), o.Pvc)))
        {
            var distinct = g.Select(o => o.Name).Distinct().ToList();
            if (distinct.Count > 1)
                problems.Add($"{g.Key.PolicyNamespace}/{g.Key.Policy} {g.Key.Kind}{(g.Key.Pvc is null ? "" : $" of PVC {g.Key.Pvc}")} " +
                             $"{(g.Key.Request is null ? $"slot {g.Key.Slot}" : $"run-now request {g.Key.Request}")} ran {distinct.Count} times: " +
                             string.Join(", ", g.Select(o => $"{o.Name} on {o.Cluster}")));
        }
        return problems;
    }
}
