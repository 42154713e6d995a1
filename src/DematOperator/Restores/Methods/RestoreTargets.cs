using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.Restores.Methods;

/// <summary>The kinds a restore selection names, as resources, and what already sits in a target namespace.</summary>
public static class RestoreTargets
{
    /// <summary>Every one is served as v1.</summary>
    private static readonly Dictionary<string, (string Group, string Plural)> Known = new()
    {
        ["ConfigMap"] = ("", "configmaps"), ["Secret"] = ("", "secrets"), ["Service"] = ("", "services"), ["ServiceAccount"] = ("", "serviceaccounts"),
        ["PersistentVolumeClaim"] = ("", "persistentvolumeclaims"), ["Deployment"] = ("apps", "deployments"), ["StatefulSet"] = ("apps", "statefulsets"),
        ["CronJob"] = ("batch", "cronjobs"), ["Job"] = ("batch", "jobs"), ["Route"] = ("route.openshift.io", "routes"), ["Ingress"] = ("networking.k8s.io", "ingresses"),
    };


    public static (string Group, string Plural) Resource(string kind) =>
        Known.TryGetValue(kind, out var r) ? r : ("", kind.ToLowerInvariant() + (kind.EndsWith('s') ? "es" : "s"));

    /// <summary>`plural` or `plural.group`, as Velero and K10 filters name resources.</summary>
    public static string GroupResource(string kind) => Resource(kind) is var (group, plural) && group.Length > 0 ? $"{plural}.{group}" : Resource(kind).Plural;

    /// <summary>Objects of these kinds (the common ones when null) in the namespace, as Kind/name, Kubernetes' own left out.</summary>
    public static async Task<List<string>> ExistingAsync(Kube.Client.KubeClient client, string ns, IReadOnlyList<string>? kinds, LabelSelector? selector, CancellationToken ct)
    {
        if (await client.TryGetAsync(Resources.Namespaces, null, ns, ct) is null) return [];
        var found = new List<string>();
        foreach (var kind in kinds ?? ["Deployment", "StatefulSet", "PersistentVolumeClaim", "ConfigMap", "Secret", "Service"])
        {
            var (group, plural) = Resource(kind);
            List<DynamicObject> items;
            try { items = (await client.ListAsync(Resources.Dynamic(group, "v1", plural, kind, true), ns, new ListRequest(selector?.ToString()), ct)).Items; }
            catch (KubeApiException e) when (e.Code == 404) { continue; }
            found.AddRange(items.Where(o => !Api.OperatorKinds.IsAutomatic(o) ).Select(o => $"{kind}/{o.Name}"));
        }
        return found;
    }
}
