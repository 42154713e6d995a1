using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using FsCheck;
using FsCheck.Fluent;

namespace DematOperator.Kube.Tests;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["env"] = "prod", ["tier"] = "web", ["app.kubernetes.io/name"] = "platau" };

    [Theory]
    [InlineData("", true)]
    [InlineData("env=prod", true)]
    [InlineData("env==prod,tier=web", true)]
    [InlineData("env!=prod", false)]
    [InlineData("missing!=x", true)]
    [InlineData("env in (qa, prod)", true)]
    [InlineData("env notin (prod)", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!canary", true)]
    [InlineData("app.kubernetes.io/name=platau", true)]
    public void Matches_like_apimachinery(string selector, bool expected) => LabelSelector.Parse(selector).Matches(Labels).ShouldBe(expected);

    [Theory]
    [InlineData("env in prod")]
    [InlineData("env=(x")]
    [InlineData("=x")]
    [InlineData("env=a b")]
    public void Rejects_malformed_selectors(string selector) => Should.Throw<FormatException>(() => LabelSelector.Parse(selector));

    [Fact]
    public void From_object_combines_match_labels_and_expressions()
    {
        var sel = LabelSelector.FromObject(JsonNode.Parse("""{"matchLabels":{"env":"prod"},"matchExpressions":[{"key":"tier","operator":"In","values":["web","api"]},{"key":"canary","operator":"DoesNotExist"}]}"""));
        sel.Matches(Labels).ShouldBeTrue();
        sel.Matches(new Dictionary<string, string> { ["env"] = "prod", ["tier"] = "db" }).ShouldBeFalse();
        LabelSelector.FromObject(null).IsEmpty.ShouldBeTrue();
    }

    private static readonly string[] Keys = ["a", "b", "app.kubernetes.io/name"];
    private static readonly string[] Values = ["x", "y", "z-1"];

    [Fact]
    public void Printing_then_parsing_a_selector_keeps_its_meaning() =>
        Prop.ForAll(
            Gen.ListOf(Gen.Elements(Keys).SelectMany(k => Gen.Elements(Enum.GetValues<SelectorOperator>()).SelectMany(op => Gen.SubListOf(Values).Select(vs =>
                new SelectorRequirement(k, op, op is SelectorOperator.Exists or SelectorOperator.DoesNotExist ? [] : op is SelectorOperator.Equals or SelectorOperator.NotEquals ? [Values[vs.Count % Values.Length]] : vs.Count == 0 ? ["x"] : [.. vs]))))).ToArbitrary(),
            Gen.ListOf(Gen.Elements(Keys).SelectMany(k => Gen.Elements(Values).Select(v => (k, v)))).ToArbitrary(),
            (reqs, pairs) =>
            {
                var selector = new LabelSelector([.. reqs]);
                var labels = pairs.GroupBy(p => p.k).ToDictionary(g => g.Key, g => g.First().v);
                return LabelSelector.Parse(selector.ToString()).Matches(labels) == selector.Matches(labels);
            }).QuickCheckThrowOnFailure();
}

public sealed class PatchTests
{
    [Fact]
    public void Json_patch_applies_rfc6902_operations()
    {
        var doc = JsonNode.Parse("""{"a":{"b":[1,2]},"c":"x"}""");
        var patched = JsonPatch.Apply(doc, JsonNode.Parse("""
            [{"op":"add","path":"/a/b/1","value":9},{"op":"remove","path":"/c"},{"op":"replace","path":"/a/b/0","value":0},
             {"op":"copy","from":"/a/b","path":"/d"},{"op":"move","from":"/d","path":"/e"},{"op":"test","path":"/e/1","value":9},
             {"op":"add","path":"/a/b/-","value":3},{"op":"add","path":"/k~1v","value":true}]
            """)!.AsArray());
        patched!.ToJsonString().ShouldBe("""{"a":{"b":[0,9,2,3]},"e":[0,9,2],"k/v":true}""");
        doc!.ToJsonString().ShouldBe("""{"a":{"b":[1,2]},"c":"x"}""");
    }

    [Fact]
    public void Failed_test_operation_is_reported_as_such_and_missing_paths_test_equal_to_null()
    {
        var doc = JsonNode.Parse("""{"a":1}""");
        Should.Throw<PatchException>(() => JsonPatch.Apply(doc, JsonNode.Parse("""[{"op":"test","path":"/a","value":2}]""")!.AsArray())).IsTestFailure.ShouldBeTrue();
        JsonPatch.Apply(doc, JsonNode.Parse("""[{"op":"test","path":"/b","value":null},{"op":"add","path":"/b","value":[]}]""")!.AsArray())!.ToJsonString().ShouldBe("""{"a":1,"b":[]}""");
        Should.Throw<PatchException>(() => JsonPatch.Apply(doc, JsonNode.Parse("""[{"op":"remove","path":"/zz"}]""")!.AsArray())).IsTestFailure.ShouldBeFalse();
    }

    [Fact]
    public void Merge_patch_applies_rfc7386()
    {
        var target = JsonNode.Parse("""{"a":"b","c":{"d":"e","f":"g"}}""");
        MergePatch.Apply(target, JsonNode.Parse("""{"a":"z","c":{"f":null}}"""))!.ToJsonString().ShouldBe("""{"a":"z","c":{"d":"e"}}""");
        MergePatch.Apply(target, JsonNode.Parse("""[1]"""))!.ToJsonString().ShouldBe("[1]");
    }

    private static Gen<JsonNode?> Json(int depth) => depth <= 0
        ? Gen.OneOf(Gen.Elements<JsonNode?>(JsonValue.Create(1), JsonValue.Create("s"), JsonValue.Create(true)), Gen.Choose(0, 5).Select(i => (JsonNode?)JsonValue.Create(i)))
        : Gen.OneOf(Json(0), Gen.ListOf(Gen.Elements("a", "b", "c", "d").SelectMany(k => Json(depth - 1).Select(v => (k, v)))).Select(kvs =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in kvs) o[k] = v?.DeepClone();
            return (JsonNode?)o;
        }));

    [Fact]
    public void A_created_merge_patch_turns_the_source_into_the_target() =>
        Prop.ForAll(Json(3).Where(n => n is JsonObject).ToArbitrary(), Json(3).Where(n => n is JsonObject).ToArbitrary(), (from, to) =>
        {
            var patch = MergePatch.Create((JsonObject)from!, (JsonObject)to!);
            var result = patch is null ? from : MergePatch.Apply(from, patch);
            return JsonNode.DeepEquals(result, to);
        }).QuickCheckThrowOnFailure();
}
