using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Hosting;
using DematOperator.Kube.Api;
using DematOperator.Kube.Config;
using DematOperator.Kube.Crd;
using DematOperator.KubeSim.Hosting;
using DematOperator.ServiceLevels;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>
/// The operator process scraped by a real Prometheus (Debian package) that loads the PrometheusRule the
/// operator generated: the service-down alert must fire during service hours.
/// </summary>
public sealed class RealPrometheusTests : IAsyncLifetime
{
    // Tuesday 2 June 2026, 10:00 in Paris: OR service hours.
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 6, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly FlakyService _service = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("demat-prom-").FullName;
    private SimHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await SimHost.StartAsync(new SimHostOptions { Clusters = ["sbg"], Time = _clock });
        SimFixture.InstallAllCrds(_host["sbg"].Cluster);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _service.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Prometheus_fires_the_generated_service_down_alert_in_service_hours()
    {
        using var admin = SimClients.For(_host, "sbg");
        await admin.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "platau-prod" } });
        await admin.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel
        {
            Metadata = new ObjectMeta { Name = "platau", Namespace = "platau-prod" },
            Spec = new ServiceLevelSpec
            {
                Tier = "OR", Environment = "production", Interval = "30s", FailureThreshold = 1, AlertAfter = "3s",
                Probes = [new ProbeSpec { Name = "portal", Timeout = "2s", Http = new HttpProbeSpec { Url = _service.Url } }],
            },
        });
        var metricsPort = FreePort();
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => OperatorHost.RunAsync(new OperatorOptions
        {
            Endpoint = KubeConfigLoader.FromText(_host.Kubeconfig(), "sbg"),
            MetricsEndpoint = new IPEndPoint(IPAddress.Loopback, metricsPort),
            ProbeEndpoint = new IPEndPoint(IPAddress.Loopback, FreePort()),
            LeaderElect = false,
            Time = _clock,
            Loggers = NullLoggerFactory.Instance,
        }, stop.Token));
        try
        {
            var rule = await Eventually.ValueAsync(() => admin.TryGetAsync(ServiceLevelReconciler.PrometheusRules, "platau-prod", "platau-sla"), "PrometheusRule generated");
            await File.WriteAllTextAsync(Path.Combine(_dir, "rules.yaml"), DematOperator.Dev.YamlWriter.Write(new JsonObject { ["groups"] = rule!.Spec!["groups"]!.DeepClone() }));
            await File.WriteAllTextAsync(Path.Combine(_dir, "prometheus.yml"), $"""
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files: [rules.yaml]
                scrape_configs:
                - job_name: dematoperator
                  static_configs:
                  - targets: ['127.0.0.1:{metricsPort}']
                """);
            var promPort = FreePort();
            using var prometheus = Process.Start(new ProcessStartInfo("prometheus",
                $"--config.file={_dir}/prometheus.yml --storage.tsdb.path={_dir}/data --web.listen-address=127.0.0.1:{promPort}")
            { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = _dir })
                ?? throw new InvalidOperationException("prometheus is required (apt-get install prometheus)");
            prometheus.ErrorDataReceived += (_, _) => { };
            prometheus.BeginErrorReadLine();
            prometheus.BeginOutputReadLine();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{promPort}"), Timeout = TimeSpan.FromSeconds(5) };
                async Task<JsonNode?> Api(string path)
                {
                    try { return JsonNode.Parse(await http.GetStringAsync(path)); }
                    catch (HttpRequestException) { return null; }
                }
                await Eventually.HoldsAsync(async () => (await Api("/api/v1/rules"))?["data"]?["groups"]?.AsArray().Count == 1, "rules loaded", TimeSpan.FromSeconds(30));
                await Eventually.HoldsAsync(async () =>
                    (await Api("/api/v1/query?query=demat_sla_in_service_hours"))?["data"]?["result"]?.AsArray().Count == 1, "operator scraped", TimeSpan.FromSeconds(30));

                _service.Up = false;
                _clock.Advance(TimeSpan.FromSeconds(30));
                await Eventually.HoldsAsync(async () =>
                    (await Api("/api/v1/alerts"))?["data"]?["alerts"]?.AsArray().Any(a => (string?)a!["labels"]!["alertname"] == "DematServiceDown" && (string?)a["state"] == "firing") == true,
                    "DematServiceDown firing", TimeSpan.FromSeconds(40));
                var alerts = (await Api("/api/v1/alerts"))!["data"]!["alerts"]!.AsArray();
                alerts.Where(a => (string?)a!["state"] == "firing").Select(a => (string?)a!["labels"]!["alertname"]).ShouldContain("DematServiceDown");
                ((string?)alerts.First(a => (string?)a!["labels"]!["alertname"] == "DematServiceDown")!["labels"]!["severity"]).ShouldBe("critical");
            }
            finally
            {
                prometheus.Kill(entireProcessTree: true);
                await prometheus.WaitForExitAsync();
            }
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }
}
