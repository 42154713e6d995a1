using DematOperator.Kube.Crd;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

/// <summary>
/// apiextensions-apiserver's CRD strategy: names, scope and one storage version checked, structural schemas,
/// scope and group immutable; the status (accepted names, Established, stored versions) written by the server;
/// the kinds registered once committed and the cleanup finalizer on deletion.
/// </summary>
internal sealed class CustomResourceDefinitionStrategy : KindStrategy
{
    public override bool TracksGeneration => true;

    public override string? SystemFinalizerOnDelete => SimCluster.Finalizers.CrdCleanup;

    public override void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj)
    {
        ValidateCrd(obj, null);
        obj["status"] = CrdStatus(obj, null, cluster.Timestamp());
    }

    public override void PrepareForUpdate(SimCluster cluster, JsonObject next, JsonObject old)
    {
        ValidateCrd(next, old);
        next["status"] = CrdStatus(next, old["status"] as JsonObject, cluster.Timestamp());
    }

    public override void AfterCommit(SimCluster cluster, StoredObject stored, WatchEventType type)
    {
        if (type == WatchEventType.Deleted) { cluster.Registry.Unregister(stored.Name); return; }
        var crd = stored.Parse();
        if (!ObjectMetaAccess.IsDeleting(crd) || !cluster.Registry.IsRegistered(stored.Name))
            cluster.Registry.Register(stored.Name, ResourceRegistry.FromCrd(crd));
    }

    private static void ValidateCrd(JsonObject crd, JsonObject? old)
    {
        var causes = new List<StatusCause>();
        var name = ObjectMetaAccess.Name(crd) ?? "";
        var spec = crd["spec"] as JsonObject;
        var group = (string?)spec?["group"];
        var names = spec?["names"] as JsonObject;
        var plural = (string?)names?["plural"];
        if (string.IsNullOrEmpty(group)) causes.Add(new("FieldValueRequired", "Required value", "spec.group"));
        if (string.IsNullOrEmpty(plural)) causes.Add(new("FieldValueRequired", "Required value", "spec.names.plural"));
        if (string.IsNullOrEmpty((string?)names?["kind"])) causes.Add(new("FieldValueRequired", "Required value", "spec.names.kind"));
        if (!string.IsNullOrEmpty(group) && !string.IsNullOrEmpty(plural) && name != $"{plural}.{group}")
            causes.Add(new("FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group", "metadata.name"));
        var scope = (string?)spec?["scope"];
        if (scope is not ("Namespaced" or "Cluster"))
            causes.Add(new("FieldValueNotSupported", $"Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\"", "spec.scope"));
        var versions = (spec?["versions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (versions.Count == 0) causes.Add(new("FieldValueRequired", "Required value: must have exactly one version marked as storage version", "spec.versions"));
        else if (versions.Count(v => v["storage"] is JsonValue sv && sv.GetValue<bool>()) != 1)
            causes.Add(new("FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version", "spec.versions"));
        for (var i = 0; i < versions.Count; i++)
        {
            var schema = (versions[i]["schema"] as JsonObject)?["openAPIV3Schema"] as JsonObject;
            if (schema is null)
                causes.Add(new("FieldValueRequired", "Required value: schemas are required", $"spec.versions[{i}].schema.openAPIV3Schema"));
            else causes.AddRange(SchemaValidator.CheckStructural(schema, $"spec.versions[{i}].schema.openAPIV3Schema"));
        }
        if (old?["spec"] is JsonObject oldSpec)
        {
            if ((string?)oldSpec["scope"] != scope) causes.Add(new("FieldValueInvalid", $"Invalid value: \"{scope}\": field is immutable", "spec.scope"));
            if ((string?)oldSpec["group"] != group) causes.Add(new("FieldValueInvalid", $"Invalid value: \"{group}\": field is immutable", "spec.group"));
        }
        if (causes.Count > 0) throw new KubeApiException(ApiStatus.Invalid("CustomResourceDefinition", "apiextensions.k8s.io", name, causes));
    }

    private static JsonObject CrdStatus(JsonObject crd, JsonObject? oldStatus, string now)
    {
        var spec = (JsonObject)crd["spec"]!;
        var storage = (spec["versions"] as JsonArray)!.OfType<JsonObject>().First(v => v["storage"] is JsonValue s && s.GetValue<bool>());
        var stored = (oldStatus?["storedVersions"] as JsonArray)?.Select(v => (string?)v ?? "").ToList() ?? [];
        if (!stored.Contains((string)storage["name"]!)) stored.Add((string)storage["name"]!);
        var transition = ((oldStatus?["conditions"] as JsonArray)?.FirstOrDefault() as JsonObject)?["lastTransitionTime"]?.DeepClone()
                         ?? JsonValue.Create(now);
        JsonObject Condition(string type, string reason, string message) => new()
        {
            ["type"] = type, ["status"] = "True", ["reason"] = reason, ["message"] = message,
            ["lastTransitionTime"] = transition.DeepClone(),
        };
        return new JsonObject
        {
            ["acceptedNames"] = spec["names"]!.DeepClone(),
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
            ["storedVersions"] = new JsonArray(stored.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
        };
    }
}
