using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

/// <summary>pkg/registry/core/namespace: spec.finalizers set on create and changed only through /finalize; the name label.</summary>
internal sealed class NamespaceStrategy : KindStrategy
{
    public override void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj)
    {
        obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        NameLabel(obj);
    }

    public override void PrepareForUpdate(SimCluster cluster, JsonObject next, JsonObject old)
    {
        if (old["spec"] is { } s) next["spec"] = s.DeepClone();
        NameLabel(next);
    }

    /// <summary>Namespaces stay until their spec.finalizers (the namespace controller's) are gone too.</summary>
    public override bool HoldsDeletion(JsonObject obj) => (obj["spec"] as JsonObject)?["finalizers"] is JsonArray { Count: > 0 };

    public override IReadOnlyDictionary<string, string> SelectableFields { get; } = new Dictionary<string, string> { ["status.phase"] = ".status.phase" };

    private static void NameLabel(JsonObject obj)
    {
        var meta = ObjectMetaAccess.Metadata(obj);
        var labels = meta["labels"] as JsonObject ?? new JsonObject();
        meta["labels"] = labels;
        labels["kubernetes.io/metadata.name"] = (string?)meta["name"];
    }
}

/// <summary>ConfigMaps and Secrets marked immutable keep their data.</summary>
internal class ConfigMapStrategy : KindStrategy
{
    public override void Validate(ResourceDefinition def, JsonObject obj, JsonObject? old, Subresource sub, List<StatusCause> causes)
    {
        if (old is null || old["immutable"] is not JsonValue iv || !iv.GetValue<bool>()) return;
        foreach (var field in new[] { "data", "binaryData" })
            if (!JsonNode.DeepEquals(old[field], obj[field]))
                causes.Add(new("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", field));
        if (obj["immutable"] is not JsonValue nv || !nv.GetValue<bool>())
            causes.Add(new("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", "immutable"));
    }
}

/// <summary>pkg/registry/core/secret: stringData folded into data, type defaulted and kept.</summary>
internal sealed class SecretStrategy : ConfigMapStrategy
{
    public override void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj)
    {
        FoldStringData(obj);
        obj["type"] ??= "Opaque";
    }

    public override void PrepareForUpdate(SimCluster cluster, JsonObject next, JsonObject old)
    {
        FoldStringData(next);
        next["type"] ??= old["type"]?.DeepClone();
    }

    public override IReadOnlyDictionary<string, string> SelectableFields { get; } = new Dictionary<string, string> { ["type"] = ".type" };

    private static void FoldStringData(JsonObject obj)
    {
        if (obj["stringData"] is not JsonObject sd) return;
        var data = obj["data"] as JsonObject ?? new JsonObject();
        foreach (var (k, v) in sd) data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes((string?)v ?? ""));
        obj["data"] = data;
        obj.Remove("stringData");
    }
}

/// <summary>pkg/registry/core/service: type defaulted, a cluster IP allocated and immutable.</summary>
internal sealed class ServiceStrategy : KindStrategy
{
    private static int _nextClusterIp = 10;

    public override bool TracksGeneration => true;

    public override void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        obj["spec"] = spec;
        spec["type"] ??= "ClusterIP";
        if ((string?)spec["type"] != "ExternalName" && spec["clusterIP"] is null)
        {
            var n = Interlocked.Increment(ref _nextClusterIp);
            spec["clusterIP"] = $"10.96.{n / 250 % 250}.{n % 250 + 1}";
            spec["clusterIPs"] = new JsonArray((string)spec["clusterIP"]!);
        }
    }

    public override void Validate(ResourceDefinition def, JsonObject obj, JsonObject? old, Subresource sub, List<StatusCause> causes)
    {
        if (old is null) return;
        var oldIp = (old["spec"] as JsonObject)?["clusterIP"];
        var newIp = (obj["spec"] as JsonObject)?["clusterIP"];
        if (newIp is not null && !JsonNode.DeepEquals(oldIp, newIp))
            causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(newIp)}: field is immutable", "spec.clusterIP"));
        if (newIp is null && obj["spec"] is JsonObject spec) spec["clusterIP"] = oldIp?.DeepClone();
    }
}

/// <summary>pkg/registry/core/persistentvolumeclaim: Pending on create; the spec immutable but for resources and volumeName.</summary>
internal sealed class PersistentVolumeClaimStrategy : KindStrategy
{
    public override void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj) => obj["status"] = new JsonObject { ["phase"] = "Pending" };

    public override void Validate(ResourceDefinition def, JsonObject obj, JsonObject? old, Subresource sub, List<StatusCause> causes)
    {
        if (old is null) return;
        var oldSpec = (JsonObject?)old["spec"]?.DeepClone() ?? new JsonObject();
        var newSpec = (JsonObject?)obj["spec"]?.DeepClone() ?? new JsonObject();
        foreach (var mutable in new[] { "resources", "volumeName" }) { oldSpec.Remove(mutable); newSpec.Remove(mutable); }
        if (!JsonNode.DeepEquals(oldSpec, newSpec))
            causes.Add(new("FieldValueForbidden", "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", "spec"));
    }
}

/// <summary>pkg/registry/core/pod: Pending on create; the selectable fields of GetAttrs.</summary>
internal sealed class PodStrategy : KindStrategy
{
    public override bool TracksGeneration => true;

    public override void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj) => obj["status"] = new JsonObject { ["phase"] = "Pending" };

    public override IReadOnlyDictionary<string, string> SelectableFields { get; } = new Dictionary<string, string>
    {
        ["spec.nodeName"] = ".spec.nodeName", ["spec.restartPolicy"] = ".spec.restartPolicy", ["spec.schedulerName"] = ".spec.schedulerName",
        ["spec.serviceAccountName"] = ".spec.serviceAccountName", ["status.phase"] = ".status.phase", ["status.podIP"] = ".status.podIP",
        ["status.nominatedNodeName"] = ".status.nominatedNodeName",
    };
}

/// <summary>
/// Events' selectable fields (pkg/registry/core/event/strategy.go ToSelectableFields; events.k8s.io names
/// involvedObject "regarding"). kubectl describe lists a resource's Events with involvedObject.name, .namespace,
/// .kind and .uid.
/// </summary>
internal sealed class EventStrategy(IReadOnlyDictionary<string, string> fields) : KindStrategy
{
    public static readonly EventStrategy Core = new(new Dictionary<string, string>
    {
        ["involvedObject.kind"] = ".involvedObject.kind", ["involvedObject.namespace"] = ".involvedObject.namespace",
        ["involvedObject.name"] = ".involvedObject.name", ["involvedObject.uid"] = ".involvedObject.uid",
        ["involvedObject.apiVersion"] = ".involvedObject.apiVersion", ["involvedObject.resourceVersion"] = ".involvedObject.resourceVersion",
        ["involvedObject.fieldPath"] = ".involvedObject.fieldPath", ["reason"] = ".reason", ["reportingComponent"] = ".reportingComponent",
        ["source"] = ".source.component", ["type"] = ".type",
    });

    public static readonly EventStrategy EventsV1 = new(new Dictionary<string, string>
    {
        ["regarding.kind"] = ".regarding.kind", ["regarding.namespace"] = ".regarding.namespace", ["regarding.name"] = ".regarding.name",
        ["regarding.uid"] = ".regarding.uid", ["regarding.apiVersion"] = ".regarding.apiVersion", ["regarding.resourceVersion"] = ".regarding.resourceVersion",
        ["regarding.fieldPath"] = ".regarding.fieldPath", ["reason"] = ".reason", ["reportingController"] = ".reportingController", ["type"] = ".type",
    });

    public override IReadOnlyDictionary<string, string> SelectableFields => fields;
}
