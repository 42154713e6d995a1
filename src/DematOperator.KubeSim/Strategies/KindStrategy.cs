using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

/// <summary>The storage keys of the built-in kinds the emulator's rules name, in one place.</summary>
internal static class BuiltinKeys
{
    public const string Namespaces = "/namespaces";
    public const string Secrets = "/secrets";
    public const string ConfigMaps = "/configmaps";
    public const string Services = "/services";
    public const string PersistentVolumeClaims = "/persistentvolumeclaims";
    public const string Pods = "/pods";
    public const string Events = "/events";
    public const string EventsV1 = "events.k8s.io/events";
    public const string Deployments = "apps/deployments";
    public const string StatefulSets = "apps/statefulsets";
    public const string Jobs = "batch/jobs";
    public const string CronJobs = "batch/cronjobs";
    public const string Crds = "apiextensions.k8s.io/customresourcedefinitions";
    public const string CertificateSigningRequests = "certificates.k8s.io/certificatesigningrequests";
}

/// <summary>
/// What one kind's registry strategy decides, as kube-apiserver's <c>pkg/registry/*/strategy.go</c>: defaults on
/// create and update, validation, whether a subresource write has its own rules, generation, system finalizers,
/// what may still hold a deleted object, what happens after a commit, and the selectable fields.
/// </summary>
internal abstract class KindStrategy
{
    protected static readonly IReadOnlyDictionary<string, string> NoFields = new Dictionary<string, string>();

    public virtual void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj) { }

    public virtual void PrepareForUpdate(SimCluster cluster, JsonObject next, JsonObject old) { }

    /// <summary>The next object of a write through a subresource with rules of its own; null for the common status split.</summary>
    public virtual JsonObject? PrepareForSubresourceUpdate(SimCluster cluster, Subresource sub, JsonObject incoming, JsonObject old) => null;

    public virtual void Validate(ResourceDefinition def, JsonObject obj, JsonObject? old, Subresource sub, List<StatusCause> causes) { }

    /// <summary>Whether metadata.generation is kept (the other kinds never show one).</summary>
    public virtual bool TracksGeneration => false;

    public virtual string? SystemFinalizerOnDelete => null;

    /// <summary>Whether something other than metadata.finalizers still holds a deleted object.</summary>
    public virtual bool HoldsDeletion(JsonObject obj) => false;

    public virtual void AfterCommit(SimCluster cluster, StoredObject stored, WatchEventType type) { }

    /// <summary>Field labels beyond metadata.name and metadata.namespace, with the JSON path each reads.</summary>
    public virtual IReadOnlyDictionary<string, string> SelectableFields => NoFields;

    protected static string Render(JsonNode? n) => n?.ToJsonString() ?? "null";
}

/// <summary>Kinds without rules of their own: stored as sent.</summary>
internal sealed class DefaultStrategy : KindStrategy;

/// <summary>Custom resources: the schema is checked by the store's validation; the generation is kept.</summary>
internal sealed class CustomResourceStrategy : KindStrategy
{
    public override bool TracksGeneration => true;
}

/// <summary>The strategy of each kind, and the entry points the registry calls.</summary>
internal static class Strategies
{
    private static readonly KindStrategy Default = new DefaultStrategy();
    private static readonly KindStrategy Custom = new CustomResourceStrategy();
    private static readonly KindStrategy Workloads = new WorkloadStrategy(defaultReplicas: true);

    private static readonly Dictionary<string, KindStrategy> ByStorageKey = new()
    {
        [BuiltinKeys.Namespaces] = new NamespaceStrategy(),
        [BuiltinKeys.Secrets] = new SecretStrategy(),
        [BuiltinKeys.ConfigMaps] = new ConfigMapStrategy(),
        [BuiltinKeys.Services] = new ServiceStrategy(),
        [BuiltinKeys.PersistentVolumeClaims] = new PersistentVolumeClaimStrategy(),
        [BuiltinKeys.Pods] = new PodStrategy(),
        [BuiltinKeys.Events] = EventStrategy.Core,
        [BuiltinKeys.EventsV1] = EventStrategy.EventsV1,
        [BuiltinKeys.Deployments] = Workloads,
        [BuiltinKeys.StatefulSets] = Workloads,
        [BuiltinKeys.Jobs] = new WorkloadStrategy(defaultReplicas: false),
        [BuiltinKeys.CronJobs] = new GenerationStrategy(),
        [BuiltinKeys.Crds] = new CustomResourceDefinitionStrategy(),
        [BuiltinKeys.CertificateSigningRequests] = new CertificateSigningRequestKindStrategy(),
    };

    public static KindStrategy For(ResourceDefinition def) => def.IsCustom ? Custom : ByStorageKey.GetValueOrDefault(def.StorageKey, Default);

    public static IReadOnlyDictionary<string, string> SelectableFields(ResourceDefinition def) => For(def).SelectableFields;

    public static void PrepareForCreate(SimCluster cluster, RequestContext ctx, ResourceDefinition def, JsonObject obj)
    {
        // Built-ins with a status subresource ignore a status sent on create (the strategies reset it).
        if (def.HasStatus && !def.IsCustom) obj.Remove("status");
        For(def).PrepareForCreate(cluster, ctx, obj);
    }

    public static void PrepareForUpdate(SimCluster cluster, ResourceDefinition def, JsonObject next, JsonObject old) => For(def).PrepareForUpdate(cluster, next, old);

    public static void Validate(ResourceDefinition def, JsonObject obj, JsonObject? old, Subresource sub)
    {
        var causes = new List<StatusCause>();
        For(def).Validate(def, obj, old, sub, causes);
        if (causes.Count > 0) throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, ObjectMetaAccess.Name(obj) ?? "", causes));
    }

    public static bool TracksGeneration(ResourceDefinition def) => For(def).TracksGeneration;

    public static string? SystemFinalizerOnDelete(ResourceDefinition def) => For(def).SystemFinalizerOnDelete;

    public static bool HoldsDeletion(ResourceDefinition def, JsonObject obj) => For(def).HoldsDeletion(obj);

    public static void AfterCommit(SimCluster cluster, ResourceDefinition def, StoredObject stored, WatchEventType type) => For(def).AfterCommit(cluster, stored, type);
}
