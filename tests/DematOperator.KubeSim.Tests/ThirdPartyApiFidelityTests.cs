using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.ThirdParty;
using DematOperator.TestSupport;

namespace DematOperator.KubeSim.Tests;

/// <summary>A fact that runs only when ../shared/crds/upstream is beside the repository (a lone clone has no ../shared).</summary>
public sealed class UpstreamCrdsFactAttribute : FactAttribute
{
    public UpstreamCrdsFactAttribute()
    {
        if (!RepoPaths.HasUpstreamCrds) Skip = $"no upstream CRDs at {RepoPaths.UpstreamCrds}";
    }
}

/// <summary>
/// The project's own description of the third-party APIs (ThirdPartyApis) against the upstream CRDs: every kind,
/// version and field we describe exists upstream with the same type, format and allowed values.
/// </summary>
public sealed class ThirdPartyApiFidelityTests
{
    private static Dictionary<string, JsonObject> Upstream() =>
        Directory.EnumerateFiles(RepoPaths.UpstreamCrds, "*.yaml")
            .SelectMany(f => YamlDocuments.ParseObjects(File.ReadAllText(f)))
            .Where(o => (string?)o["kind"] == "CustomResourceDefinition")
            .ToDictionary(o => (string)o["metadata"]!["name"]!);

    [UpstreamCrdsFact]
    public void Every_field_we_describe_exists_upstream_with_the_same_type()
    {
        var upstream = Upstream();
        var problems = new List<string>();
        foreach (var (file, yaml) in ThirdPartyApis.Definitions)
            foreach (var ours in YamlDocuments.ParseObjects(yaml))
            {
                var name = (string)ours["metadata"]!["name"]!;
                if (NoUpstream(ours) is not null) continue;
                if (!upstream.TryGetValue(name, out var theirs)) { problems.Add($"{file}: {name} is not an upstream CRD"); continue; }
                foreach (var key in new[] { "group", "scope" })
                    if ((string?)ours["spec"]![key] != (string?)theirs["spec"]![key]) problems.Add($"{name}: spec.{key} differs");
                foreach (var key in new[] { "kind", "plural", "singular", "listKind" })
                    if ((string?)ours["spec"]!["names"]![key] != (string?)theirs["spec"]!["names"]![key]) problems.Add($"{name}: names.{key} differs");
                foreach (var version in ours["spec"]!["versions"]!.AsArray())
                {
                    var v = (string)version!["name"]!;
                    var upstreamVersion = theirs["spec"]!["versions"]!.AsArray().FirstOrDefault(x => (string?)x!["name"] == v);
                    if (upstreamVersion is null) { problems.Add($"{name}: version {v} is not served upstream"); continue; }
                    if ((version["subresources"]?["status"] is null) != (upstreamVersion["subresources"]?["status"] is null))
                        problems.Add($"{name}/{v}: the status subresource differs");
                    Compare($"{name}/{v}", version["schema"]!["openAPIV3Schema"]!.AsObject(), upstreamVersion["schema"]!["openAPIV3Schema"]!.AsObject(), problems);
                }
            }
        problems.ShouldBeEmpty();
    }

    /// <summary>Why a definition has no upstream CRD to compare with (Kasten K10 serves its kinds through an aggregated API), or null.</summary>
    private static string? NoUpstream(JsonObject crd) => (string?)crd["metadata"]?["annotations"]?["kubesim.demat.gouv.fr/upstream"];

    [Fact]
    public void Only_kinds_no_public_crd_describes_are_left_out_of_the_check_and_each_says_why()
    {
        var skipped = ThirdPartyApis.Definitions.SelectMany(d => YamlDocuments.ParseObjects(d.Yaml)).Where(o => NoUpstream(o) is not null).ToList();
        skipped.Select(o => (string)o["spec"]!["group"]!).Distinct().Order().ShouldBe(["actions.kio.kasten.io", "apps.kio.kasten.io", "config.kio.kasten.io"]);
        skipped.ShouldAllBe(o => NoUpstream(o)!.StartsWith("none: ") && NoUpstream(o)!.Contains("docs.kasten.io"));
    }

    [Fact]
    public void The_fidelity_check_finds_a_field_that_upstream_does_not_have_or_types_differently()
    {
        var theirs = JsonNode.Parse("""{"type":"object","properties":{"spec":{"type":"object","properties":{"ttl":{"type":"string"},"mode":{"type":"string","enum":["A","B"]}}}}}""")!.AsObject();
        var ours = JsonNode.Parse("""{"type":"object","properties":{"spec":{"type":"object","properties":{"ttl":{"type":"integer"},"mode":{"type":"string","enum":["A","C"]},"invented":{"type":"string"}}}}}""")!.AsObject();
        var problems = new List<string>();
        Compare("x", ours, theirs, problems);
        problems.ShouldBe(["x.spec.ttl: type integer, upstream string", "x.spec.mode: enum value C is not upstream's", "x.spec.invented: not in the upstream schema"], ignoreOrder: true);
    }

    private static void Compare(string path, JsonObject ours, JsonObject theirs, List<string> problems)
    {
        foreach (var key in new[] { "type", "format", "x-kubernetes-int-or-string" })
            if (ours[key] is { } value && value.ToJsonString() != theirs[key]?.ToJsonString())
                problems.Add($"{path}: {key} {value.ToJsonString().Trim('"')}, upstream {theirs[key]?.ToJsonString().Trim('"') ?? "none"}");
        if (ours["enum"] is JsonArray values)
        {
            var allowed = (theirs["enum"] as JsonArray)?.Select(e => e!.ToJsonString()).ToHashSet();
            foreach (var e in values)
                if (allowed is not null && !allowed.Contains(e!.ToJsonString())) problems.Add($"{path}: enum value {e.ToJsonString().Trim('"')} is not upstream's");
        }
        // Upstream keeps anything under a preserve-unknown-fields node: whatever we name beneath it exists.
        if (theirs["x-kubernetes-preserve-unknown-fields"] is JsonValue preserve && preserve.GetValue<bool>() && theirs["properties"] is null) return;
        if (ours["properties"] is JsonObject properties)
            foreach (var (name, schema) in properties)
            {
                if (theirs["properties"]?[name] is JsonObject upstreamProperty) Compare($"{path}.{name}", schema!.AsObject(), upstreamProperty, problems);
                else problems.Add($"{path}.{name}: not in the upstream schema");
            }
        if (ours["items"] is JsonObject items)
        {
            if (theirs["items"] is JsonObject upstreamItems) Compare($"{path}[]", items, upstreamItems, problems);
            else problems.Add($"{path}[]: upstream is not a list");
        }
        if (ours["additionalProperties"] is JsonObject map)
        {
            if (theirs["additionalProperties"] is JsonObject upstreamMap) Compare($"{path}{{}}", map, upstreamMap, problems);
            else problems.Add($"{path}{{}}: upstream is not a map");
        }
    }
}
