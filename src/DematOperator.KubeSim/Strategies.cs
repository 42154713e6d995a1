using DematOperator.Kube.Crd;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Schema;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

/// <summary>
/// Per-kind behaviour of the built-in registry strategies (PrepareForCreate/Update, validation of
/// immutable fields) and the CRD lifecycle, for the kinds the emulator serves.
/// </summary>
internal static class Strategies
{
    private const string Namespaces = "/namespaces";
    private const string Secrets = "/secrets";
    private const string ConfigMaps = "/configmaps";
    private const string Services = "/services";
    private const string Pvcs = "/persistentvolumeclaims";
    private const string Pods = "/pods";
    private const string Deployments = "apps/deployments";
    private const string StatefulSets = "apps/statefulsets";
    private const string Jobs = "batch/jobs";
    private const string Crds = "apiextensions.k8s.io/customresourcedefinitions";

    private static int _nextClusterIp = 10;

    private static readonly IReadOnlyDictionary<string, string> NoFields = new Dictionary<string, string>();

    /// <summary>
    /// The field labels each kind's strategy makes selectable beyond metadata.name and metadata.namespace, with the
    /// JSON path each one reads (GetAttrs / ToSelectableFields in pkg/registry/*/strategy.go). kubectl describe
    /// lists a resource's Events with involvedObject.name, .namespace, .kind and .uid.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Selectable = new Dictionary<string, IReadOnlyDictionary<string, string>>
    {
        ["/events"] = new Dictionary<string, string>
        {
            ["involvedObject.kind"] = ".involvedObject.kind", ["involvedObject.namespace"] = ".involvedObject.namespace",
            ["involvedObject.name"] = ".involvedObject.name", ["involvedObject.uid"] = ".involvedObject.uid",
            ["involvedObject.apiVersion"] = ".involvedObject.apiVersion", ["involvedObject.resourceVersion"] = ".involvedObject.resourceVersion",
            ["involvedObject.fieldPath"] = ".involvedObject.fieldPath", ["reason"] = ".reason", ["reportingComponent"] = ".reportingComponent",
            ["source"] = ".source.component", ["type"] = ".type",
        },
        ["events.k8s.io/events"] = new Dictionary<string, string>
        {
            ["regarding.kind"] = ".regarding.kind", ["regarding.namespace"] = ".regarding.namespace", ["regarding.name"] = ".regarding.name",
            ["regarding.uid"] = ".regarding.uid", ["regarding.apiVersion"] = ".regarding.apiVersion", ["regarding.resourceVersion"] = ".regarding.resourceVersion",
            ["regarding.fieldPath"] = ".regarding.fieldPath", ["reason"] = ".reason", ["reportingController"] = ".reportingController",
            ["type"] = ".type",
        },
        [Pods] = new Dictionary<string, string>
        {
            ["spec.nodeName"] = ".spec.nodeName", ["spec.restartPolicy"] = ".spec.restartPolicy", ["spec.schedulerName"] = ".spec.schedulerName",
            ["spec.serviceAccountName"] = ".spec.serviceAccountName", ["status.phase"] = ".status.phase", ["status.podIP"] = ".status.podIP",
            ["status.nominatedNodeName"] = ".status.nominatedNodeName",
        },
        [Secrets] = new Dictionary<string, string> { ["type"] = ".type" },
        [Namespaces] = new Dictionary<string, string> { ["status.phase"] = ".status.phase" },
        [CertificateSigningRequestStrategy.StorageKey] = new Dictionary<string, string> { ["spec.signerName"] = ".spec.signerName" },
    };

    public static IReadOnlyDictionary<string, string> SelectableFields(ResourceDefinition def) =>
        def.IsCustom ? NoFields : Selectable.GetValueOrDefault(def.StorageKey, NoFields);

    public static void PrepareForCreate(SimCluster cluster, RequestContext ctx, ResourceDefinition def, JsonObject obj)
    {
        if (def.HasStatus && !def.IsCustom) obj.Remove("status");
        switch (def.StorageKey)
        {
            case Namespaces:
                obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                NamespaceNameLabel(obj);
                break;
            case Secrets:
                FoldStringData(obj);
                obj["type"] ??= "Opaque";
                break;
            case Services:
                var spec = obj["spec"] as JsonObject ?? new JsonObject();
                obj["spec"] = spec;
                spec["type"] ??= "ClusterIP";
                if ((string?)spec["type"] != "ExternalName" && spec["clusterIP"] is null)
                {
                    var n = Interlocked.Increment(ref _nextClusterIp);
                    spec["clusterIP"] = $"10.96.{n / 250 % 250}.{n % 250 + 1}";
                    spec["clusterIPs"] = new JsonArray((string)spec["clusterIP"]!);
                }
                break;
            case Pvcs:
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                break;
            case Pods:
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                break;
            case Deployments or StatefulSets:
                if (obj["spec"] is JsonObject ws) ws["replicas"] ??= 1;
                break;
            case Crds:
                ValidateCrd(obj, null);
                obj["status"] = CrdStatus(obj, null);
                break;
            case CertificateSigningRequestStrategy.StorageKey:
                CertificateSigningRequestStrategy.PrepareForCreate(ctx, obj);
                break;
        }
    }

    public static void PrepareForUpdate(SimCluster cluster, ResourceDefinition def, JsonObject next, JsonObject old)
    {
        switch (def.StorageKey)
        {
            case Namespaces:
                // spec.finalizers of a namespace only change through /finalize or the namespace controller.
                if (old["spec"] is { } s) next["spec"] = s.DeepClone();
                NamespaceNameLabel(next);
                break;
            case Secrets:
                FoldStringData(next);
                next["type"] ??= old["type"]?.DeepClone();
                break;
            case Crds:
                ValidateCrd(next, old);
                next["status"] = CrdStatus(next, old["status"] as JsonObject);
                break;
            case CertificateSigningRequestStrategy.StorageKey:
                var prepared = CertificateSigningRequestStrategy.PrepareForUpdate(Subresource.None, next, old, cluster.Timestamp());
                next["spec"] = prepared["spec"]?.DeepClone();
                break;
        }
    }

    public static void Validate(SimCluster cluster, ResourceDefinition def, JsonObject obj, JsonObject? old, Subresource sub)
    {
        if (def.StorageKey == CertificateSigningRequestStrategy.StorageKey) { CertificateSigningRequestStrategy.Validate(obj, old, sub); return; }
        var causes = new List<StatusCause>();
        var name = ObjectMetaAccess.Name(obj) ?? "";
        switch (def.StorageKey)
        {
            case ConfigMaps or Secrets when old is not null && old["immutable"] is JsonValue iv && iv.GetValue<bool>():
                foreach (var field in new[] { "data", "binaryData" })
                    if (!JsonNode.DeepEquals(old[field], obj[field]))
                        causes.Add(new("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", field));
                if (obj["immutable"] is not JsonValue nv || !nv.GetValue<bool>())
                    causes.Add(new("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", "immutable"));
                break;
            case Deployments or StatefulSets or Jobs:
                var spec = obj["spec"] as JsonObject;
                if (def.StorageKey != Jobs || old is not null)
                {
                    if (spec?["selector"] is null) causes.Add(new("FieldValueRequired", "Required value", "spec.selector"));
                }
                if (spec?["template"] is null) causes.Add(new("FieldValueRequired", "Required value", "spec.template"));
                if (spec?["selector"] is JsonObject sel && ((spec["template"] as JsonObject)?["metadata"] as JsonObject)?["labels"] is var tl)
                {
                    try
                    {
                        if (!LabelQuery.FromObject(sel).Matches(ObjectMetaAccess.StringMap(tl)))
                            causes.Add(new("FieldValueInvalid", "Invalid value: map[string]string{...}: `selector` does not match template `labels`", "spec.template.metadata.labels"));
                    }
                    catch (FormatException e) { causes.Add(new("FieldValueInvalid", e.Message, "spec.selector")); }
                }
                if (old is not null)
                {
                    var immutable = def.StorageKey switch
                    {
                        StatefulSets => new[] { "selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy" },
                        _ => ["selector"],
                    };
                    foreach (var f in immutable)
                        if (!JsonNode.DeepEquals((old["spec"] as JsonObject)?[f], spec?[f]))
                            causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(spec?[f])}: field is immutable", $"spec.{f}"));
                }
                break;
            case Pvcs when old is not null:
                var oldSpec = (JsonObject?)old["spec"]?.DeepClone() ?? new JsonObject();
                var newSpec = (JsonObject?)obj["spec"]?.DeepClone() ?? new JsonObject();
                oldSpec.Remove("resources"); newSpec.Remove("resources");
                oldSpec.Remove("volumeName"); newSpec.Remove("volumeName");
                if (!JsonNode.DeepEquals(oldSpec, newSpec))
                    causes.Add(new("FieldValueForbidden", "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", "spec"));
                break;
            case Services when old is not null:
                var oldIp = (old["spec"] as JsonObject)?["clusterIP"];
                var newIp = (obj["spec"] as JsonObject)?["clusterIP"];
                if (newIp is not null && !JsonNode.DeepEquals(oldIp, newIp))
                    causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(newIp)}: field is immutable", "spec.clusterIP"));
                if (newIp is null && obj["spec"] is JsonObject ns2) ns2["clusterIP"] = oldIp?.DeepClone();
                break;
        }
        if (causes.Count > 0) throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, name, causes));
    }

    /// <summary>Kinds whose registry strategy maintains metadata.generation (the others never show one).</summary>
    public static bool TracksGeneration(ResourceDefinition def) =>
        def.IsCustom || def.StorageKey is Deployments or StatefulSets or Jobs or "batch/cronjobs" or Crds or "/pods" or "/services";

    public static string? SystemFinalizerOnDelete(ResourceDefinition def) =>
        def.StorageKey == Crds ? SimCluster.Finalizers.CrdCleanup : null;

    /// <summary>Namespaces stay until their spec.finalizers (the namespace controller's) are gone too.</summary>
    public static bool HoldsDeletion(ResourceDefinition def, JsonObject obj) =>
        def.StorageKey == Namespaces && (obj["spec"] as JsonObject)?["finalizers"] is JsonArray { Count: > 0 };

    public static void AfterCommit(SimCluster cluster, ResourceDefinition def, StoredObject stored, WatchEventType type)
    {
        if (def.StorageKey != Crds) return;
        if (type == WatchEventType.Deleted) { cluster.Registry.Unregister(stored.Name); return; }
        var crd = stored.Parse();
        if (!ObjectMetaAccess.IsDeleting(crd) || !cluster.Registry.IsRegistered(stored.Name))
            cluster.Registry.Register(stored.Name, ResourceRegistry.FromCrd(crd));
    }

    private static void NamespaceNameLabel(JsonObject obj)
    {
        var meta = ObjectMetaAccess.Metadata(obj);
        var labels = meta["labels"] as JsonObject ?? new JsonObject();
        meta["labels"] = labels;
        labels["kubernetes.io/metadata.name"] = (string?)meta["name"];
    }

    private static void FoldStringData(JsonObject obj)
    {
        if (obj["stringData"] is not JsonObject sd) return;
        var data = obj["data"] as JsonObject ?? new JsonObject();
        foreach (var (k, v) in sd) data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes((string?)v ?? ""));
        obj["data"] = data;
        obj.Remove("stringData");
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

    private static JsonObject CrdStatus(JsonObject crd, JsonObject? oldStatus)
    {
        var spec = (JsonObject)crd["spec"]!;
        var storage = (spec["versions"] as JsonArray)!.OfType<JsonObject>().First(v => v["storage"] is JsonValue s && s.GetValue<bool>());
        var stored = (oldStatus?["storedVersions"] as JsonArray)?.Select(v => (string?)v ?? "").ToList() ?? [];
        if (!stored.Contains((string)storage["name"]!)) stored.Add((string)storage["name"]!);
        var transition = ((oldStatus?["conditions"] as JsonArray)?.FirstOrDefault() as JsonObject)?["lastTransitionTime"]?.DeepClone()
                         ?? JsonValue.Create(DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
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

    private static string Render(JsonNode? n) => n?.ToJsonString() ?? "null";
}
