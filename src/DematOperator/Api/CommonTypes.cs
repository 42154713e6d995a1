using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Api;

/// <summary>The API group of every DematOperator kind.</summary>
public static class Group
{
    public const string Name = "ops.demat.gouv.fr";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Name + "/" + Version;
    /// <summary>Prefix of our annotations (`ops.demat.gouv.fr/run-now`, ...).</summary>
    public const string AnnotationPrefix = Name + "/";
    public const string Category = "demat";
    /// <summary>Go duration syntax as Kubernetes uses it: `4h`, `90m`, `1h30m`, `720h`.</summary>
    public const string DurationPattern = @"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$";
}

[Doc("A label selector (metav1.LabelSelector).")]
public sealed class LabelSelectorSpec
{
    public Dictionary<string, string>? MatchLabels { get; set; }
    public List<LabelSelectorRequirementSpec>? MatchExpressions { get; set; }

    public Kube.Api.LabelSelector ToSelector() =>
        Kube.Api.LabelSelector.FromObject(System.Text.Json.JsonSerializer.SerializeToNode(this, OperatorJsonContext.Default.LabelSelectorSpec));
}

public sealed class LabelSelectorRequirementSpec
{
    [RequiredField] public string Key { get; set; } = "";
    [RequiredField, EnumValues("In", "NotIn", "Exists", "DoesNotExist")] public string Operator { get; set; } = "";
    public List<string>? Values { get; set; }
}

[Doc("A reference to a Secret key holding a kubeconfig for a remote cluster.")]
public sealed class KubeconfigSecretRef
{
    [RequiredField, Doc("Name of the Secret, in the resource's namespace.")] public string Name { get; set; } = "";
    [Doc("Key in the Secret that holds the kubeconfig."), Default("\"kubeconfig\"")] public string? Key { get; set; }
    [Doc("Context to use; the kubeconfig's current context when empty.")] public string? Context { get; set; }
}

/// <summary>The status fields every kind shares (Kubernetes API conventions).</summary>
public abstract class CommonStatus
{
    [Doc("The .metadata.generation the controller last acted on.")] public long? ObservedGeneration { get; set; }
    [Doc("Current state as metav1.Conditions; Ready summarises it.")] public List<Condition>? Conditions { get; set; }
}
