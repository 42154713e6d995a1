using System.Globalization;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Schema;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

/// <summary>Server-side apply (<c>application/apply-patch+yaml</c>) and the managedFields every write keeps.</summary>
public sealed partial class SimCluster
{
    private static string? SubresourceName(Subresource sub) => sub switch
    {
        Subresource.Status => "status", Subresource.Scale => "scale", Subresource.Approval => "approval", _ => null,
    };

    private FieldTypes TypesOf(ResourceDefinition def) => FieldTypes.For(Registry.Find(def.Group, def.Version, def.Plural) ?? def);

    private void TrackManagedFields(RequestContext ctx, ResourceDefinition def, JsonObject? old, JsonObject next, Subresource sub)
    {
        var entries = ctx.AppliedEntries ?? ManagedFields.AfterUpdate(old, next, TypesOf(def), ctx.Manager, SubresourceName(sub), def.GroupVersion, Timestamp());
        ManagedFieldsEntry.Write(next, entries);
    }

    private StoredObject ApplyPatch(RequestContext ctx, ResourceDefinition def, string? ns, string name, string text, Subresource sub)
    {
        if (ctx.FieldManager is null)
            throw new KubeApiException(ApiStatus.Invalid("PatchOptions", "meta.k8s.io", "", [new StatusCause("FieldValueRequired", "Required value: is required for apply patch", "fieldManager")]));
        var config = ParseApplyConfiguration(text);
        if (string.IsNullOrEmpty((string?)config["apiVersion"]) || string.IsNullOrEmpty((string?)config["kind"]))
            throw new KubeApiException(ApiStatus.BadRequest($"Object 'Kind' is missing in '{text[..Math.Min(text.Length, 200)]}'"));
        CheckTypeMeta(def, config);
        var meta = ObjectMetaAccess.Metadata(config);
        if ((string?)meta["name"] is { Length: > 0 } bodyName && bodyName != name)
            throw new KubeApiException(ApiStatus.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})"));
        meta["name"] = name;
        var types = TypesOf(def);
        for (var attempt = 0; ; attempt++)
        {
            var existing = TryGet(def.StorageKey, ns, name);
            if (existing is null)
            {
                if (sub != Subresource.None) throw new KubeApiException(ApiStatus.NotFound(def.Plural, def.Group, name));
                var created = ManagedFields.Apply(new JsonObject(), config, types, ctx.FieldManager, null, ctx.Force, def.GroupVersion, Timestamp(), def.HasStatus);
                try
                {
                    var stored = CreateCore(ctx with { AppliedEntries = created.Entries }, def, ns, created.Object);
                    ctx.Created = true;
                    return stored;
                }
                catch (KubeApiException e) when (e.Status.Reason == ApiStatus.ReasonAlreadyExists && attempt < 5) { continue; }
            }
            var result = ManagedFields.Apply(existing.Parse(), config, types, ctx.FieldManager, SubresourceName(sub), ctx.Force, def.GroupVersion, Timestamp(), def.HasStatus);
            if (result.Conflicts.Count > 0) throw new KubeApiException(ManagedFields.ConflictStatus(def, name, result.Conflicts));
            ObjectMetaAccess.Metadata(result.Object)["resourceVersion"] = existing.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            try { return UpdateCore(ctx with { AppliedEntries = result.Entries }, def, ns, name, result.Object, sub); }
            catch (KubeApiException e) when (e.IsConflict && attempt < 5) { }
        }
    }

    /// <summary>An apply body is YAML (JSON being YAML too), one object.</summary>
    private static JsonObject ParseApplyConfiguration(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject json) return json;
        }
        catch (System.Text.Json.JsonException) { }
        try
        {
            return YamlDocuments.ParseObjects(text).ToList() switch
            {
                [var single] => single,
                _ => throw new KubeApiException(ApiStatus.BadRequest("error decoding YAML: an apply patch holds exactly one object")),
            };
        }
        catch (Exception e) when (e is FormatException or YamlDotNet.Core.YamlException)
        {
            throw new KubeApiException(ApiStatus.BadRequest($"error decoding YAML: {e.Message}"));
        }
    }
}
