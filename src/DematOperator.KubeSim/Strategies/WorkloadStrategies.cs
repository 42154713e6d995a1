using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

/// <summary>Kinds whose strategy only keeps metadata.generation (CronJobs).</summary>
internal sealed class GenerationStrategy : KindStrategy
{
    public override bool TracksGeneration => true;
}

/// <summary>
/// pkg/registry/apps/deployment, statefulset and batch/job: replicas defaulted to 1, a selector that matches the
/// template's labels, required on update for Jobs (generated on create), and immutable selectors (and a
/// StatefulSet's serviceName, volumeClaimTemplates, podManagementPolicy).
/// </summary>
internal sealed class WorkloadStrategy(bool defaultReplicas) : KindStrategy
{
    public override bool TracksGeneration => true;

    public override void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj)
    {
        if (defaultReplicas && obj["spec"] is JsonObject spec) spec["replicas"] ??= 1;
    }

    public override void Validate(ResourceDefinition def, JsonObject obj, JsonObject? old, Subresource sub, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject;
        if ((def.StorageKey != BuiltinKeys.Jobs || old is not null) && spec?["selector"] is null) causes.Add(new("FieldValueRequired", "Required value", "spec.selector"));
        if (spec?["template"] is null) causes.Add(new("FieldValueRequired", "Required value", "spec.template"));
        if (spec?["selector"] is JsonObject selector && ((spec["template"] as JsonObject)?["metadata"] as JsonObject)?["labels"] is var templateLabels)
        {
            try
            {
                if (!LabelQuery.FromObject(selector).Matches(ObjectMetaAccess.StringMap(templateLabels)))
                    causes.Add(new("FieldValueInvalid", "Invalid value: map[string]string{...}: `selector` does not match template `labels`", "spec.template.metadata.labels"));
            }
            catch (FormatException e) { causes.Add(new("FieldValueInvalid", e.Message, "spec.selector")); }
        }
        if (old is null) return;
        string[] immutable = def.StorageKey == BuiltinKeys.StatefulSets ? ["selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy"] : ["selector"];
        foreach (var field in immutable)
            if (!JsonNode.DeepEquals((old["spec"] as JsonObject)?[field], spec?[field]))
                causes.Add(new("FieldValueInvalid", $"Invalid value: {Render(spec?[field])}: field is immutable", $"spec.{field}"));
    }
}

/// <summary>Adapts the CertificateSigningRequest rules (CertificateSigningRequestStrategy.cs) to the strategy shape.</summary>
internal sealed class CertificateSigningRequestKindStrategy : KindStrategy
{
    public override void PrepareForCreate(SimCluster cluster, RequestContext ctx, JsonObject obj) => CertificateSigningRequestStrategy.PrepareForCreate(ctx, obj);

    public override void PrepareForUpdate(SimCluster cluster, JsonObject next, JsonObject old) =>
        next["spec"] = CertificateSigningRequestStrategy.PrepareForUpdate(Subresource.None, next, old, cluster.Timestamp())["spec"]?.DeepClone();

    public override JsonObject? PrepareForSubresourceUpdate(SimCluster cluster, Subresource sub, JsonObject incoming, JsonObject old) =>
        sub is Subresource.Status or Subresource.Approval ? CertificateSigningRequestStrategy.PrepareForUpdate(sub, incoming, old, cluster.Timestamp()) : null;

    public override void Validate(ResourceDefinition def, JsonObject obj, JsonObject? old, Subresource sub, List<StatusCause> causes) =>
        CertificateSigningRequestStrategy.Validate(obj, old, sub);

    public override IReadOnlyDictionary<string, string> SelectableFields { get; } = new Dictionary<string, string> { ["spec.signerName"] = ".spec.signerName" };
}
