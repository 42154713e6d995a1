using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Metrics;
using DematOperator.KubeSim.Store;

namespace DematOperator.Bench;

[MemoryDiagnoser, ShortRunJob]
public class MicroBenchmarks
{
    private readonly JsonObject _object = JsonNode.Parse("""{"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"schedule":"0 * * * *","target":{"namespaces":["a","b"]}},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""")!.AsObject();
    private readonly JsonArray _patch = JsonNode.Parse("""[{"op":"test","path":"/metadata/name","value":"x"},{"op":"add","path":"/metadata/labels/c","value":"d"}]""")!.AsArray();
    private readonly MetricsRegistry _metrics = Registry();

    private static MetricsRegistry Registry()
    {
        var r = new MetricsRegistry();
        var h = r.Histogram("h_seconds", "h", MetricsRegistry.ReconcileBuckets, "controller");
        for (var i = 0; i < 10; i++) h.WithLabels($"c{i}").Observe(i / 10.0);
        r.Counter("c_total", "c", "code", "method").WithLabels("200", "GET").Inc();
        return r;
    }

    [Benchmark] public LabelSelector ParseSelector() => LabelSelector.Parse("env in (prod,qa),tier!=db,!canary,app.kubernetes.io/name=platau");
    [Benchmark] public JsonNode? ApplyJsonPatch() => JsonPatch.Apply(_object, _patch);
    [Benchmark] public byte[] CanonicalJson() => Canonical.Serialize(_object);
    [Benchmark] public string Scrape() => _metrics.Scrape();
}
