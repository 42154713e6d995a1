using System.Diagnostics;
using DematOperator.Kube.Metrics;

namespace DematOperator.Kube.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Exposition_has_help_type_escaped_labels_and_cumulative_buckets()
    {
        var registry = new MetricsRegistry();
        registry.Counter("demo_requests_total", "Requests.\nSecond line", "code", "path").WithLabels("200", "/a\"b\\c").Inc(2);
        registry.Gauge("demo_depth", "Depth.").Set(3.5);
        var h = registry.Histogram("demo_seconds", "Latency.", [0.1, 1], "verb").WithLabels("GET");
        h.Observe(0.05);
        h.Observe(0.5);
        h.Observe(5);
        var text = registry.Scrape();
        text.ShouldContain("# HELP demo_requests_total Requests.\\nSecond line\n# TYPE demo_requests_total counter\n");
        text.ShouldContain("demo_requests_total{code=\"200\",path=\"/a\\\"b\\\\c\"} 2\n");
        text.ShouldContain("demo_depth 3.5\n");
        text.ShouldContain("demo_seconds_bucket{verb=\"GET\",le=\"0.1\"} 1\n");
        text.ShouldContain("demo_seconds_bucket{verb=\"GET\",le=\"1\"} 2\n");
        text.ShouldContain("demo_seconds_bucket{verb=\"GET\",le=\"+Inf\"} 3\n");
        text.ShouldContain("demo_seconds_sum{verb=\"GET\"} 5.55\n");
        text.ShouldContain("demo_seconds_count{verb=\"GET\"} 3\n");
    }

    [Fact]
    public void Forgetting_an_object_removes_its_series_from_every_family_that_carries_its_labels()
    {
        var registry = new MetricsRegistry();
        registry.Counter("runs_total", "r", "namespace", "policy", "result").WithLabels("a", "p1", "ok").Inc();
        registry.Counter("runs_total", "r", "namespace", "policy", "result").WithLabels("a", "p2", "ok").Inc();
        registry.Histogram("run_seconds", "d", [1], "namespace", "policy").WithLabels("a", "p1").Observe(0.5);
        registry.Gauge("rpo_seconds", "g", "namespace", "policy").WithLabels("b", "p1").Set(1);
        registry.Gauge("requests", "n", "namespace").WithLabels("a").Set(1);

        registry.Forget(("namespace", "a"), ("policy", "p1")).ShouldBe(2);

        var text = registry.Scrape();
        text.ShouldNotContain("policy=\"p1\",result");
        text.ShouldNotContain("run_seconds_count{namespace=\"a\"");
        text.ShouldContain("runs_total{namespace=\"a\",policy=\"p2\",result=\"ok\"} 1", Case.Sensitive, "another object keeps its series");
        text.ShouldContain("rpo_seconds{namespace=\"b\",policy=\"p1\"} 1", Case.Sensitive, "the same name in another namespace is another object");
        text.ShouldContain("requests{namespace=\"a\"} 1", Case.Sensitive, "a family without the policy label is not the object's");
    }

    [Fact]
    public void Counters_never_go_down()
    {
        var c = new MetricsRegistry().Counter("x_total", "x");
        Should.Throw<ArgumentOutOfRangeException>(() => c.Inc(-1));
        c.WithLabels().RaiseTo(5);
        c.WithLabels().RaiseTo(3);
        c.WithLabels().Value.ShouldBe(5);
    }

    [Fact]
    public async Task Promtool_accepts_the_runtime_metrics()
    {
        var registry = new MetricsRegistry();
        RuntimeMetrics.Register(registry);
        registry.Counter("controller_runtime_reconcile_total", "Total number of reconciliations per controller", "controller", "result").WithLabels("c", "success").Inc();
        registry.Histogram("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller", MetricsRegistry.ReconcileBuckets, "controller").WithLabels("c").Observe(0.2);
        (await Promtool.CheckMetricsAsync(registry.Scrape())).ShouldBe("");
    }
}

public static class Promtool
{
    /// <summary>Runs `promtool check metrics` on an exposition; returns its complaints (empty when clean).</summary>
    public static async Task<string> CheckMetricsAsync(string exposition)
    {
        var psi = new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("promtool is required (apt-get install prometheus)");
        await p.StandardInput.WriteAsync(exposition);
        p.StandardInput.Close();
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 ? "" : output;
    }
}
