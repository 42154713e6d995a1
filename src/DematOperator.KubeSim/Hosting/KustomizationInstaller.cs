using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Hosting;

/// <summary>
/// The plain resources a kustomization lists (no patches, no generators), created in an emulated cluster as
/// `kubectl apply -k` would create them: how the sandbox and the tests install config/rbac without a kubectl process.
/// </summary>
public static class KustomizationInstaller
{
    /// <summary>Creates every object of the kustomization's resources (existing ones are kept); namespaced objects without a
    /// namespace go to <paramref name="defaultNamespace"/>, which is created when missing. Returns how many were new.</summary>
    public static int Apply(SimCluster cluster, string dir, string defaultNamespace)
    {
        var namespaces = cluster.Registry.Find("", "v1", "namespaces")!;
        if (cluster.TryGet(BuiltinKeys.Namespaces, null, defaultNamespace) is null)
            cluster.Create(RequestContext.System, namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = defaultNamespace } });
        var kustomization = YamlDocuments.ParseObjects(File.ReadAllText(Path.Combine(dir, "kustomization.yaml"))).Single();
        var created = 0;
        foreach (var file in (kustomization["resources"] as JsonArray ?? []).Select(r => (string)r!))
            foreach (var obj in YamlDocuments.ParseObjects(File.ReadAllText(Path.Combine(dir, file))))
            {
                var apiVersion = (string?)obj["apiVersion"] ?? "";
                var slash = apiVersion.IndexOf('/');
                var def = cluster.Registry.FindKind(slash < 0 ? "" : apiVersion[..slash], apiVersion[(slash + 1)..], (string?)obj["kind"] ?? "")
                          ?? throw new InvalidOperationException($"{file}: the emulator does not serve {apiVersion} {(string?)obj["kind"]}");
                try
                {
                    cluster.Create(RequestContext.System, def, def.Namespaced ? ObjectMetaAccess.Namespace(obj) ?? defaultNamespace : null, obj);
                    created++;
                }
                catch (KubeApiException e) when (e.IsAlreadyExists) { }
            }
        return created;
    }
}
