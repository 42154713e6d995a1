using System.Text.Json.Nodes;

namespace DematOperator.KubeSim;

/// <summary>Where a scalable resource keeps its replica counts (a CRD's subresources.scale, or a built-in's).</summary>
public sealed record ScaleSubresource(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);

/// <summary>One served resource of one group-version, as discovery describes it.</summary>
public sealed record ResourceDefinition
{
    public required string Group { get; init; }
    public required string Version { get; init; }
    public required string Plural { get; init; }
    public required string Singular { get; init; }
    public required string Kind { get; init; }
    public string ListKind => Kind + "List";
    public required bool Namespaced { get; init; }
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;
    public bool HasStatus { get; init; }
    public ScaleSubresource? Scale { get; init; }
    /// <summary>certificates.k8s.io CertificateSigningRequests: Approved and Denied conditions are only written through /approval.</summary>
    public bool HasApproval { get; init; }
    /// <summary>Defined by a CustomResourceDefinition: schema-validated, pruned, no strategic merge patch.</summary>
    public bool IsCustom { get; init; }
    public JsonObject? Schema { get; init; }
    public JsonArray? PrinterColumns { get; init; }
    /// <summary>The CRD's storage version; other served versions are converted with strategy None.</summary>
    public bool IsStorageVersion { get; init; } = true;
    /// <summary>Kinds like SelfSubjectAccessReview that are answered, never stored.</summary>
    public bool IsVirtual { get; init; }
    /// <summary>
    /// kube-apiserver's store option ReturnDeletedObject: set only for pods, service accounts and storage classes
    /// (registry/core/pod/storage/storage.go and siblings); every other kind, custom resources included, answers a
    /// DELETE that removed the object with a Success Status (store.go finalizeDelete).
    /// </summary>
    public bool ReturnsDeletedObject { get; init; }

    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    /// <summary>Storage is shared by every version of a group-resource, like etcd keys are.</summary>
    public string StorageKey => $"{Group}/{Plural}";
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public static readonly IReadOnlyList<string> AllVerbs =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}

/// <summary>The built-in kinds the emulator serves before any CRD is created.</summary>
public static class BuiltinResources
{
    private static ResourceDefinition Def(string group, string version, string plural, string kind, bool namespaced,
        bool status = false, string[]? shortNames = null, string[]? categories = null, ScaleSubresource? scale = null,
        IReadOnlyList<string>? verbs = null, bool isVirtual = false, bool approval = false, bool returnsDeleted = false) => new()
    {
        Group = group, Version = version, Plural = plural, Singular = kind.ToLowerInvariant(), Kind = kind,
        Namespaced = namespaced, HasStatus = status, ShortNames = shortNames ?? [], Categories = categories ?? [],
        Scale = scale, Verbs = verbs ?? ResourceDefinition.AllVerbs, IsVirtual = isVirtual, HasApproval = approval,
        ReturnsDeletedObject = returnsDeleted,
    };

    private static readonly ScaleSubresource WorkloadScale = new(".spec.replicas", ".status.replicas", ".status.selector");

    public static IReadOnlyList<ResourceDefinition> All { get; } =
    [
        Def("", "v1", "namespaces", "Namespace", false, status: true, shortNames: ["ns"],
            verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]),
        Def("", "v1", "configmaps", "ConfigMap", true, shortNames: ["cm"]),
        Def("", "v1", "secrets", "Secret", true),
        Def("", "v1", "services", "Service", true, status: true, shortNames: ["svc"], categories: ["all"]),
        Def("", "v1", "serviceaccounts", "ServiceAccount", true, shortNames: ["sa"], returnsDeleted: true),
        Def("", "v1", "events", "Event", true, shortNames: ["ev"]),
        Def("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, status: true, shortNames: ["pvc"]),
        Def("", "v1", "persistentvolumes", "PersistentVolume", false, status: true, shortNames: ["pv"]),
        Def("", "v1", "pods", "Pod", true, status: true, shortNames: ["po"], categories: ["all"], returnsDeleted: true),
        Def("events.k8s.io", "v1", "events", "Event", true, shortNames: ["ev"]),
        Def("apps", "v1", "deployments", "Deployment", true, status: true, shortNames: ["deploy"], categories: ["all"], scale: WorkloadScale),
        Def("apps", "v1", "statefulsets", "StatefulSet", true, status: true, shortNames: ["sts"], categories: ["all"], scale: WorkloadScale),
        Def("batch", "v1", "jobs", "Job", true, status: true, categories: ["all"]),
        Def("batch", "v1", "cronjobs", "CronJob", true, status: true, shortNames: ["cj"], categories: ["all"]),
        Def("coordination.k8s.io", "v1", "leases", "Lease", true),
        Def("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, status: true,
            shortNames: ["csr"], approval: true),
        Def("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, shortNames: ["sc"], returnsDeleted: true),
        Def("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
        Def("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
        Def("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
        Def("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
        Def("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, status: true,
            shortNames: ["crd", "crds"]),
        Def("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false,
            verbs: ["create"], isVirtual: true),
        Def("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false,
            verbs: ["create"], isVirtual: true),
    ];
}
