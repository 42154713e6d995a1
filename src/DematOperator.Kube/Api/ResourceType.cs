using System.Text.Json.Serialization.Metadata;

namespace DematOperator.Kube.Api;

/// <summary>Where a kind lives on the API server and how to (de)serialize it without reflection.</summary>
public sealed record ResourceType<T>(
    string Group,
    string Version,
    string Plural,
    string Kind,
    bool Namespaced,
    JsonTypeInfo<T> TypeInfo,
    JsonTypeInfo<ObjectList<T>> ListTypeInfo) where T : KubeObject
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string Path(string? ns, string? name = null, string? subresource = null)
    {
        var prefix = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        var path = Namespaced && !string.IsNullOrEmpty(ns) ? $"{prefix}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}" : $"{prefix}/{Plural}";
        if (name is not null) path += "/" + Uri.EscapeDataString(name);
        if (subresource is not null) path += "/" + subresource;
        return path;
    }
}

public static class Resources
{
    public static ResourceType<DynamicObject> Dynamic(string group, string version, string plural, string kind, bool namespaced) =>
        new(group, version, plural, kind, namespaced, KubeJsonContext.Default.DynamicObject, KubeJsonContext.Default.ObjectListDynamicObject);

    public static readonly ResourceType<Lease> Leases = new("coordination.k8s.io", "v1", "leases", "Lease", true,
        KubeJsonContext.Default.Lease, KubeJsonContext.Default.ObjectListLease);
    public static readonly ResourceType<CoreEvent> Events = new("", "v1", "events", "Event", true,
        KubeJsonContext.Default.CoreEvent, KubeJsonContext.Default.ObjectListCoreEvent);
    public static readonly ResourceType<Secret> Secrets = new("", "v1", "secrets", "Secret", true,
        KubeJsonContext.Default.Secret, KubeJsonContext.Default.ObjectListSecret);
    public static readonly ResourceType<ConfigMap> ConfigMaps = new("", "v1", "configmaps", "ConfigMap", true,
        KubeJsonContext.Default.ConfigMap, KubeJsonContext.Default.ObjectListConfigMap);
    public static readonly ResourceType<DynamicObject> Namespaces = Dynamic("", "v1", "namespaces", "Namespace", false);
    public static readonly ResourceType<DynamicObject> Deployments = Dynamic("apps", "v1", "deployments", "Deployment", true);
    public static readonly ResourceType<DynamicObject> StatefulSets = Dynamic("apps", "v1", "statefulsets", "StatefulSet", true);
    public static readonly ResourceType<DynamicObject> PersistentVolumeClaims = Dynamic("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true);
}
