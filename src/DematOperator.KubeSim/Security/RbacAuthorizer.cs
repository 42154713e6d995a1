using System.Text.Json.Nodes;
using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Security;

public sealed record AuthorizationRequest(string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name, string? NonResourcePath = null);

/// <summary>
/// The RBAC authorizer: a request is allowed when a rule of a Role (bound in the request's namespace) or a
/// ClusterRole (bound in the namespace or cluster-wide) matches its verb, API group, resource,
/// subresource and name. Discovery and health paths are open to every authenticated user, as the
/// system:discovery and system:public-info-viewer roles make them on a real cluster.
/// </summary>
public static class RbacAuthorizer
{
    private static readonly string[] OpenPaths = ["/api", "/apis", "/version", "/openapi", "/healthz", "/readyz", "/livez"];

    public static bool Authorize(SimCluster cluster, UserInfo user, AuthorizationRequest request)
    {
        if (user.IsMaster || !cluster.Options.RbacEnabled) return true;
        if (request.NonResourcePath is { } path && OpenPaths.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal))) return true;
        // Every authenticated user may ask what they may do (system:basic-user).
        if (request.Group == "authorization.k8s.io" && request.Resource is "selfsubjectaccessreviews" or "selfsubjectrulesreviews") return true;
        return RulesFor(cluster, user, request.Namespace).Any(rule => Matches(rule, request));
    }

    public static IEnumerable<JsonObject> RulesFor(SimCluster cluster, UserInfo user, string? ns)
    {
        var bindings = cluster.Snapshot("rbac.authorization.k8s.io/clusterrolebindings").Select(b => (b.Parse(), (string?)null)).ToList();
        if (ns is not null)
            bindings.AddRange(cluster.Snapshot("rbac.authorization.k8s.io/rolebindings", ns).Select(b => (b.Parse(), (string?)ns)));
        foreach (var (binding, bindingNs) in bindings)
        {
            if (!(binding["subjects"] as JsonArray ?? []).OfType<JsonObject>().Any(s => SubjectMatches(s, user, bindingNs))) continue;
            var roleRef = binding["roleRef"] as JsonObject;
            var kind = (string?)roleRef?["kind"];
            var roleName = (string?)roleRef?["name"] ?? "";
            var role = kind == "ClusterRole"
                ? cluster.TryGet("rbac.authorization.k8s.io/clusterroles", null, roleName)
                : cluster.TryGet("rbac.authorization.k8s.io/roles", bindingNs, roleName);
            if (role is null) continue;
            foreach (var rule in (role.Parse()["rules"] as JsonArray ?? []).OfType<JsonObject>()) yield return rule;
        }
    }

    private static bool SubjectMatches(JsonObject subject, UserInfo user, string? bindingNs)
    {
        var name = (string?)subject["name"];
        return (string?)subject["kind"] switch
        {
            "User" => name == user.Name,
            "Group" => name is not null && user.Groups.Contains(name),
            "ServiceAccount" => user.Name == $"system:serviceaccount:{(string?)subject["namespace"] ?? bindingNs}:{name}",
            _ => false,
        };
    }

    public static bool Matches(JsonObject rule, AuthorizationRequest request)
    {
        var verbs = ObjectMetaAccess.StringList(rule["verbs"]);
        if (!verbs.Contains("*") && !verbs.Contains(request.Verb)) return false;
        if (request.NonResourcePath is { } path)
        {
            var urls = ObjectMetaAccess.StringList(rule["nonResourceURLs"]);
            return urls.Any(u => u == "*" || u == path || (u.EndsWith('*') && path.StartsWith(u[..^1], StringComparison.Ordinal)));
        }
        var groups = ObjectMetaAccess.StringList(rule["apiGroups"]);
        if (!groups.Contains("*") && !groups.Contains(request.Group)) return false;
        var resources = ObjectMetaAccess.StringList(rule["resources"]);
        var wanted = request.Subresource is null ? request.Resource : $"{request.Resource}/{request.Subresource}";
        if (!resources.Any(r => r == "*" || r == wanted || (request.Subresource is not null && r == $"*/{request.Subresource}"))) return false;
        var names = ObjectMetaAccess.StringList(rule["resourceNames"]);
        return names.Count == 0 || (request.Name is not null && names.Contains(request.Name));
    }

}
