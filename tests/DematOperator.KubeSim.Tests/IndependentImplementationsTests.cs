using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Schema;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Tests;

/// <summary>
/// The emulator's own label selectors and patches, checked against their specifications (apimachinery's selector
/// grammar, the examples of RFC 7386 and RFC 6902) and against the operator's client, which has its own: where the
/// two disagree, one of them misreads the API.
/// </summary>
public sealed class IndependentImplementationsTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "front", ["rank"] = "3", ["example.com/team"] = "ops" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app", true)]
    [InlineData("!app", false)]
    [InlineData("!missing", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app!=web", false)]
    [InlineData("missing!=x", true)]
    [InlineData("app in (web, api)", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("missing notin (web)", true)]
    [InlineData("app=web,tier in (back)", false)]
    [InlineData(" app = web , tier ", true)]
    [InlineData("example.com/team=ops", true)]
    [InlineData("rank>2", true)]
    [InlineData("rank<3", false)]
    [InlineData("app>2", false)]
    [InlineData("missing=", false)]
    public void Label_selectors_follow_apimachinery(string selector, bool matches)
    {
        LabelQuery.Parse(selector).Matches(Labels).ShouldBe(matches);
        if (!selector.Contains('>') && !selector.Contains('<'))
            LabelSelector.Parse(selector).Matches(Labels).ShouldBe(matches, "the operator's client reads it the same way");
    }

    [Theory]
    [InlineData("app in web")]
    [InlineData("app in (web")]
    [InlineData("app in ()")]
    [InlineData("app=(web)")]
    [InlineData("-bad=x")]
    [InlineData("app=-x")]
    [InlineData("rank>x")]
    [InlineData("app,,tier")]
    public void Malformed_label_selectors_are_refused(string selector) =>
        Should.Throw<FormatException>(() => LabelQuery.Parse(selector));

    [Fact]
    public void Label_selector_objects_and_their_string_form_agree()
    {
        var selector = JsonNode.Parse("""{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["front","back"]},{"key":"legacy","operator":"DoesNotExist"}]}""");
        var query = LabelQuery.FromObject(selector);
        query.Matches(Labels).ShouldBeTrue();
        query.ToString().ShouldBe("app=web,tier in (front,back),!legacy");
        LabelQuery.Parse(query.ToString()).Matches(Labels).ShouldBeTrue();
        LabelSelector.FromObject(selector).Matches(Labels).ShouldBeTrue();
        Should.Throw<FormatException>(() => LabelQuery.FromObject(JsonNode.Parse("""{"matchExpressions":[{"key":"a","operator":"In"}]}""")));
    }

    // RFC 7386, appendix A.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Merge_patches_follow_rfc_7386(string target, string patch, string expected)
    {
        var result = Patches.Merge(JsonNode.Parse(target), JsonNode.Parse(patch));
        JsonNode.DeepEquals(result, JsonNode.Parse(expected)).ShouldBeTrue(result?.ToJsonString());
        JsonNode.DeepEquals(MergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch)), JsonNode.Parse(expected)).ShouldBeTrue("the operator's client merges the same way");
    }

    // RFC 6902, appendix A.
    [Theory]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""")]
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10},{"op":"copy","from":"/~1","path":"/copy"}]""", """{"/":9,"~1":10,"copy":9}""")]
    [InlineData("""{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""")]
    // kube-apiserver (evanphx/json-patch): a missing member tests as null; the operator guards "no finalizers yet" so.
    [InlineData("""{"metadata":{}}""", """[{"op":"test","path":"/metadata/finalizers","value":null},{"op":"add","path":"/metadata/finalizers","value":["x"]}]""", """{"metadata":{"finalizers":["x"]}}""")]
    public void Json_patches_follow_rfc_6902(string document, string patch, string expected)
    {
        var result = Patches.Json(JsonNode.Parse(document), JsonNode.Parse(patch)!.AsArray());
        JsonNode.DeepEquals(result, JsonNode.Parse(expected)).ShouldBeTrue(result?.ToJsonString());
        JsonNode.DeepEquals(JsonPatch.Apply(JsonNode.Parse(document), JsonNode.Parse(patch)!.AsArray()), JsonNode.Parse(expected)).ShouldBeTrue("the operator's client patches the same way");
    }

    [Theory]
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""", true)]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""", false)]
    [InlineData("""{"foo":"bar"}""", """[{"op":"remove","path":"/missing"}]""", false)]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/5","value":1}]""", false)]
    [InlineData("""{"foo":{"a":1}}""", """[{"op":"move","from":"/foo","path":"/foo/b"}]""", false)]
    [InlineData("""{"foo":1}""", """[{"op":"frobnicate","path":"/foo"}]""", false)]
    [InlineData("""{"foo":1}""", """[{"op":"test","path":"/bar","value":1}]""", true)]
    [InlineData("""{"foo":1}""", """[{"op":"test","path":"/foo","value":null}]""", true)]
    [InlineData("""{"foo":1}""", """[{"op":"test","path":"/bar/baz","value":null}]""", false)]
    public void Json_patches_that_cannot_apply_fail_and_say_whether_a_test_failed(string document, string patch, bool testFailure)
    {
        var failure = Should.Throw<PatchFailure>(() => Patches.Json(JsonNode.Parse(document), JsonNode.Parse(patch)!.AsArray()));
        failure.IsTestFailure.ShouldBe(testFailure);
    }
}
