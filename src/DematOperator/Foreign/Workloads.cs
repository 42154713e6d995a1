using DematOperator.Api;

namespace DematOperator.Foreign;

/// <summary>
/// apps/v1 Deployment or StatefulSet, as a drill reads them: desired and ready replicas, the pod selector, and a
/// StatefulSet's volume claim templates. Writes to them go as merge patches, so fields this model does not know
/// are never lost.
/// </summary>
public sealed class Workload : Kube.Api.KubeObject
{
    public WorkloadSpec? Spec { get; set; }
    public WorkloadStatus? Status { get; set; }

    /// <summary>Kubernetes' default when spec.replicas is absent.</summary>
    public int DesiredReplicas => Spec?.Replicas ?? 1;
    public int ReadyReplicas => Status?.ReadyReplicas ?? 0;
}

public sealed class WorkloadSpec
{
    public int? Replicas { get; set; }
    public LabelSelectorSpec? Selector { get; set; }
    public List<ClaimTemplate>? VolumeClaimTemplates { get; set; }
    public PodTemplate? Template { get; set; }
    /// <summary>A paused Deployment is never rolled (kubectl rollout restart refuses it too).</summary>
    public bool? Paused { get; set; }
}

public sealed class PodTemplate
{
    public Kube.Api.ObjectMeta? Metadata { get; set; }
    public PodSpec? Spec { get; set; }
}

public sealed class ClaimTemplate
{
    public Kube.Api.ObjectMeta Metadata { get; set; } = new();
}

public sealed class WorkloadStatus
{
    public long? ObservedGeneration { get; set; }
    public int? Replicas { get; set; }
    public int? ReadyReplicas { get; set; }
}

/// <summary>batch/v1 CronJob: only whether it is suspended.</summary>
public sealed class CronJob : Kube.Api.KubeObject
{
    public CronJobSpec? Spec { get; set; }
}

public sealed class CronJobSpec
{
    public bool? Suspend { get; set; }
}

/// <summary>core/v1 PersistentVolumeClaim: whether it is bound.</summary>
public sealed class PersistentVolumeClaim : Kube.Api.KubeObject
{
    public PvcSpec? Spec { get; set; }
    public PvcStatus? Status { get; set; }
    public bool IsBound => Status?.Phase == "Bound";
}

public sealed class PvcSpec
{
    public List<string>? AccessModes { get; set; }
    public string? StorageClassName { get; set; }
    public PvcResources? Resources { get; set; }
    /// <summary>Where a new claim's data comes from: a VolumeSnapshot of the same namespace.</summary>
    public PvcDataSource? DataSource { get; set; }
    public string? VolumeMode { get; set; }
}

public sealed class PvcResources
{
    public Dictionary<string, string>? Requests { get; set; }
}

public sealed class PvcDataSource
{
    public string? ApiGroup { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
}

public sealed class PvcStatus
{
    /// <summary>Pending, Bound or Lost.</summary>
    public string? Phase { get; set; }
}

/// <summary>core/v1 Pod: enough to choose a running, ready pod to run a command in.</summary>
public sealed class Pod : Kube.Api.KubeObject
{
    public PodSpec? Spec { get; set; }
    public PodStatus? Status { get; set; }

    public bool IsRunningAndReady =>
        !IsDeleting && Status?.Phase == "Running" && (Status.Conditions ?? []).Any(c => c.Type == "Ready" && c.Status == "True");
}

public sealed class PodSpec
{
    public List<PodContainer>? Containers { get; set; }
    public List<PodContainer>? InitContainers { get; set; }
    public List<PodVolume>? Volumes { get; set; }
}

public sealed class PodContainer
{
    public string Name { get; set; } = "";
    public List<EnvVar>? Env { get; set; }
    public List<EnvFromSource>? EnvFrom { get; set; }
}

/// <summary>Only where a pod reads Secrets from: a secret or projected volume, envFrom, env valueFrom.</summary>
public sealed class PodVolume
{
    public string Name { get; set; } = "";
    public SecretVolumeSource? Secret { get; set; }
    public ProjectedVolumeSource? Projected { get; set; }
}

public sealed class SecretVolumeSource { public string? SecretName { get; set; } }
public sealed class ProjectedVolumeSource { public List<ProjectedSource>? Sources { get; set; } }
public sealed class ProjectedSource { public NamedReference? Secret { get; set; } }
public sealed class NamedReference { public string? Name { get; set; } }
public sealed class EnvVar { public string Name { get; set; } = ""; public EnvVarSource? ValueFrom { get; set; } }
public sealed class EnvVarSource { public NamedReference? SecretKeyRef { get; set; } }
public sealed class EnvFromSource { public NamedReference? SecretRef { get; set; } }

public sealed class PodStatus
{
    public string? Phase { get; set; }
    public List<PodCondition>? Conditions { get; set; }
}

public sealed class PodCondition
{
    public string Type { get; set; } = "";
    public string Status { get; set; } = "";
}

/// <summary>batch/v1 Job: created from a template the user gives (kept as JSON), read for its conditions.</summary>
public sealed class Job : Kube.Api.KubeObject
{
    [System.Text.Json.Serialization.JsonPropertyName("spec")] public System.Text.Json.Nodes.JsonObject? Spec { get; set; }
    public JobStatus? Status { get; set; }

    public bool Has(string condition) => (Status?.Conditions ?? []).Any(c => c.Type == condition && c.Status == "True");
    public string? FailureMessage => (Status?.Conditions ?? []).FirstOrDefault(c => c.Type == "Failed" && c.Status == "True")?.Message;
}

public sealed class JobStatus
{
    public List<JobCondition>? Conditions { get; set; }
}

public sealed class JobCondition
{
    public string Type { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Reason { get; set; }
    public string? Message { get; set; }
}
