using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace DematOperator.KubeSim;

/// <summary>The resources a cluster serves: the built-ins plus those of every established CRD.</summary>
public sealed class ResourceRegistry
{
    private ImmutableArray<ResourceDefinition> _builtins = [.. BuiltinResources.All];
    private ImmutableDictionary<string, ImmutableArray<ResourceDefinition>> _byCrd = ImmutableDictionary<string, ImmutableArray<ResourceDefinition>>.Empty;
    private ImmutableArray<ResourceDefinition> _all = [.. BuiltinResources.All];

    public ImmutableArray<ResourceDefinition> All => _all;

    public ResourceDefinition? Find(string group, string version, string plural) =>
        _all.FirstOrDefault(d => d.Group == group && d.Version == version && d.Plural == plural);

    public ResourceDefinition? FindKind(string group, string version, string kind) =>
        _all.FirstOrDefault(d => d.Group == group && d.Version == version && d.Kind == kind);

    public ResourceDefinition? FindStorage(string storageKey) =>
        _all.FirstOrDefault(d => d.StorageKey == storageKey && d.IsStorageVersion);

    internal void Register(string crdName, IReadOnlyList<ResourceDefinition> defs)
    {
        _byCrd = _byCrd.SetItem(crdName, [.. defs]);
        Rebuild();
    }

    internal void Unregister(string crdName)
    {
        _byCrd = _byCrd.Remove(crdName);
        Rebuild();
    }

    internal bool IsRegistered(string crdName) => _byCrd.ContainsKey(crdName);

    private void Rebuild() => _all = [.. _builtins, .. _byCrd.Values.SelectMany(v => v)];

    /// <summary>The definitions a CRD object declares, one per served version.</summary>
    public static IReadOnlyList<ResourceDefinition> FromCrd(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject ?? throw new FormatException("spec is required");
        var names = spec["names"] as JsonObject ?? throw new FormatException("spec.names is required");
        var group = (string?)spec["group"] ?? "";
        var plural = (string?)names["plural"] ?? "";
        var kind = (string?)names["kind"] ?? "";
        var singular = (string?)names["singular"] ?? kind.ToLowerInvariant();
        var namespaced = ((string?)spec["scope"] ?? "Namespaced") == "Namespaced";
        var shortNames = (names["shortNames"] as JsonArray)?.Select(n => (string?)n ?? "").ToList() ?? [];
        var categories = (names["categories"] as JsonArray)?.Select(n => (string?)n ?? "").ToList() ?? [];
        var result = new List<ResourceDefinition>();
        foreach (var v in (spec["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (v["served"] is JsonValue served && !served.GetValue<bool>()) continue;
            var subresources = v["subresources"] as JsonObject;
            ScaleSubresource? scale = null;
            if (subresources?["scale"] is JsonObject s)
                scale = new((string?)s["specReplicasPath"] ?? ".spec.replicas", (string?)s["statusReplicasPath"] ?? ".status.replicas", (string?)s["labelSelectorPath"]);
            result.Add(new ResourceDefinition
            {
                Group = group, Version = (string?)v["name"] ?? "", Plural = plural, Singular = singular, Kind = kind,
                Namespaced = namespaced, ShortNames = shortNames, Categories = categories,
                HasStatus = subresources?["status"] is not null, Scale = scale, IsCustom = true,
                Schema = (v["schema"] as JsonObject)?["openAPIV3Schema"]?.DeepClone() as JsonObject,
                PrinterColumns = v["additionalPrinterColumns"]?.DeepClone() as JsonArray,
                IsStorageVersion = v["storage"] is JsonValue st && st.GetValue<bool>(),
            });
        }
        return result;
    }
}
