using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.Drills;

/// <summary>The test environments a drill stops on the target: the listed namespaces and those the selector matches, never a restore target.</summary>
public static class TestEnvironments
{
    public static async Task<List<string>> NamespacesAsync(PraDrill drill, DrillSettings settings, KubeClient target, CancellationToken ct)
    {
        var quiesce = drill.Spec.Quiesce;
        var result = new List<string>(quiesce?.Namespaces ?? []);
        if (quiesce?.NamespaceSelector is { } sel)
        {
            result.AddRange((await target.ListAsync(Resources.Namespaces, null, new ListRequest(sel.ToSelector().ToString()), ct)).Items.Select(n => n.Name));
        }
        var restored = drill.Spec.Source.Namespaces.Select(settings.TargetNamespace).ToHashSet();
        return result.Where(n => !restored.Contains(n)).Distinct().ToList();
    }

    /// <summary>Listed test environments that do not exist on the target: a typo, refused before any run.</summary>
    public static async Task<List<string>> MissingAsync(PraDrill drill, KubeClient target, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var ns in drill.Spec.Quiesce?.Namespaces ?? [])
            if (await target.TryGetAsync(Resources.Namespaces, null, ns, ct) is null) missing.Add(ns);
        return missing;
    }
}
