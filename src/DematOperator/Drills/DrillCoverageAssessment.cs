using DematOperator.Kube.Api;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>One production object as the coverage sees it.</summary>
public sealed record ProductionObject(string Kind, string Namespace, string Name, IReadOnlyDictionary<string, string> Labels, Instant Created);

/// <summary>What the drill's backups hold: named namespaces or a namespace selector, and an object selector within them.</summary>
public sealed record BackupScope(IReadOnlyList<string> Namespaces, IReadOnlyList<string> ExcludedNamespaces, LabelSelector? NamespaceSelector, LabelSelector ObjectSelector)
{
    public bool HoldsNamespace(string ns, IReadOnlyDictionary<string, string> labels) =>
        !ExcludedNamespaces.Contains(ns)
        && (Namespaces.Contains("*") || Namespaces.Contains(ns) || NamespaceSelector?.Matches(labels) == true || Namespaces.Count == 0 && NamespaceSelector is null);

    /// <summary>Velero leaves out objects labelled velero.io/exclude-from-backup=true, and those the selector does not match.</summary>
    public bool HoldsObject(ProductionObject o) =>
        o.Labels.GetValueOrDefault("velero.io/exclude-from-backup") != "true" && ObjectSelector.Matches(o.Labels);
}

public enum CoverageVerdict { Complete, NotBackedUp, NotRehearsed, NeverRehearsed }

public sealed record CoverageAssessment(CoverageVerdict Verdict, IReadOnlyList<CoverageGap> Gaps, string Message, int NotBackedUp, int NotRehearsed);

/// <summary>
/// CCTP: "tout changement doit être pris en charge dans le cadre du PRA". Pure: which production namespaces,
/// PVCs and workloads the drill would not bring back (not restored by it, or not held by its backups), and which
/// appeared after its last successful run (never rehearsed).
/// </summary>
public static class DrillCoverageAssessment
{
    public const int MaxListed = 20;

    public static CoverageAssessment Assess(IReadOnlyList<ProductionObject> namespaces, IReadOnlyList<ProductionObject> objects,
        IReadOnlyCollection<string> restored, BackupScope scope, Instant? lastSuccess)
    {
        var gaps = new List<CoverageGap>();
        var covered = new HashSet<string>();
        foreach (var ns in namespaces.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            if (!restored.Contains(ns.Name))
                gaps.Add(Gap(ns, "NotBackedUp", $"namespace {ns.Name} is production but not in the drill's spec.source.namespaces"));
            else if (!scope.HoldsNamespace(ns.Name, ns.Labels))
                gaps.Add(Gap(ns, "NotBackedUp", $"namespace {ns.Name} is restored by the drill but its backups do not hold it"));
            else covered.Add(ns.Name);
        }
        foreach (var o in objects.Where(o => covered.Contains(o.Namespace)).OrderBy(o => (o.Namespace, o.Kind, o.Name)))
            if (!scope.HoldsObject(o))
                gaps.Add(Gap(o, "NotBackedUp", $"{o.Kind} {o.Namespace}/{o.Name} is left out of the backups (labels)"));
        var notBackedUp = gaps.Count;
        if (lastSuccess is { } since)
        {
            foreach (var ns in namespaces.Where(n => covered.Contains(n.Name) && n.Created > since).OrderBy(n => n.Name, StringComparer.Ordinal))
                gaps.Add(Gap(ns, "NotRehearsed", $"namespace {ns.Name} appeared after the last successful run"));
            foreach (var o in objects.Where(o => covered.Contains(o.Namespace) && scope.HoldsObject(o) && o.Created > since).OrderBy(o => (o.Namespace, o.Kind, o.Name)))
                gaps.Add(Gap(o, "NotRehearsed", $"{o.Kind} {o.Namespace}/{o.Name} appeared after the last successful run"));
        }
        var verdict = notBackedUp > 0 ? CoverageVerdict.NotBackedUp
            : lastSuccess is null ? CoverageVerdict.NeverRehearsed
            : gaps.Count > 0 ? CoverageVerdict.NotRehearsed
            : CoverageVerdict.Complete;
        var message = verdict switch
        {
            CoverageVerdict.Complete => $"{covered.Count} production namespace(s) backed up and rehearsed",
            CoverageVerdict.NeverRehearsed => $"{covered.Count} production namespace(s) backed up, but no run of this drill has succeeded yet",
            _ => string.Join("; ", gaps.Take(5).Select(g => g.Message)) + (gaps.Count > 5 ? $"; and {gaps.Count - 5} more (status.coverageGaps)" : ""),
        };
        return new CoverageAssessment(verdict, gaps.Take(MaxListed).ToList(), message, notBackedUp, gaps.Count - notBackedUp);
    }

    private static CoverageGap Gap(ProductionObject o, string gap, string message) =>
        new() { Kind = o.Kind, Namespace = o.Kind == "Namespace" ? o.Name : o.Namespace, Name = o.Name, Gap = gap, Message = message };
}
