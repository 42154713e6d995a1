using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DematOperator.KubeSim.Http;

/// <summary>
/// Just enough OpenAPI v3 for kubectl: per group-version documents whose PATCH operations carry the GVK
/// extension and the `fieldValidation` parameter, so kubectl leaves validation to the server (which does it).
/// Custom resources also get their schema. OpenAPI v2 is not served (404), which kubectl tolerates once v3 answers.
/// </summary>
internal static class OpenApi
{
    public static async Task Serve(HttpContext http, SimCluster cluster)
    {
        var path = http.Request.Path.Value!.TrimEnd('/');
        var defs = cluster.Registry.All.ToList();
        if (path == "/openapi/v3")
        {
            var paths = new JsonObject();
            foreach (var gv in defs.GroupBy(d => d.Group.Length == 0 ? $"api/{d.Version}" : $"apis/{d.Group}/{d.Version}"))
                paths[gv.Key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{gv.Key}?hash={Hash(gv)}" };
            await ApiHandler.WriteJson(http, 200, new JsonObject { ["paths"] = paths });
            return;
        }
        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            var gvPath = path["/openapi/v3/".Length..];
            var group = defs.Where(d => (d.Group.Length == 0 ? $"api/{d.Version}" : $"apis/{d.Group}/{d.Version}") == gvPath).ToList();
            if (group.Count > 0)
            {
                await ApiHandler.WriteJson(http, 200, Document(group, cluster.Options.KubernetesVersion));
                return;
            }
        }
        http.Response.StatusCode = 404;
    }

    private static string Hash(IEnumerable<ResourceDefinition> defs) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", defs.Select(d => d.Kind + (d.Schema?.ToJsonString().Length ?? 0)))))).ToLowerInvariant()[..16];

    private static JsonObject Document(IReadOnlyList<ResourceDefinition> defs, string version)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var d in defs)
        {
            var prefix = d.Group.Length == 0 ? $"/api/{d.Version}" : $"/apis/{d.Group}/{d.Version}";
            var itemPath = d.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{d.Plural}/{{name}}" : $"{prefix}/{d.Plural}/{{name}}";
            var gvk = new JsonObject { ["group"] = d.Group, ["version"] = d.Version, ["kind"] = d.Kind };
            JsonArray Params() => new(
                new JsonObject { ["name"] = "dryRun", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } });
            var schemaName = $"{(d.Group.Length == 0 ? "io.k8s.api.core" : string.Join('.', d.Group.Split('.').Reverse()))}.{d.Version}.{d.Kind}";
            var operations = new JsonObject();
            if (d.Verbs.Contains("patch"))
            {
                var patch = new JsonObject
                {
                    ["operationId"] = $"patch{d.Kind}", ["x-kubernetes-action"] = "patch", ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
                    ["parameters"] = Params(), ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                };
                // Built-ins declare no request body here, so kubectl computes strategic merge patches from its own
                // compiled-in types; custom resources accept merge and JSON patches only, as on a real server.
                if (d.IsCustom)
                    patch["requestBody"] = new JsonObject
                    {
                        ["content"] = new JsonObject
                        {
                            ["application/json-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                            ["application/merge-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                        },
                    };
                operations["patch"] = patch;
            }
            if (d.Verbs.Contains("update"))
                operations["put"] = new JsonObject
                {
                    ["operationId"] = $"replace{d.Kind}", ["x-kubernetes-action"] = "put", ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
                    ["parameters"] = Params(), ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                };
            paths[itemPath] = operations;
            if (d.Verbs.Contains("create"))
            {
                var collection = d.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{d.Plural}" : $"{prefix}/{d.Plural}";
                paths[collection] = new JsonObject
                {
                    ["post"] = new JsonObject
                    {
                        ["operationId"] = $"create{d.Kind}", ["x-kubernetes-action"] = "post", ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
                        ["parameters"] = Params(), ["responses"] = new JsonObject { ["201"] = new JsonObject { ["description"] = "Created" } },
                    },
                };
            }
            if (d.IsCustom && d.Schema is not null)
            {
                var schema = (JsonObject)d.Schema.DeepClone();
                schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
                schemas[schemaName] = schema;
            }
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = version },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }
}
