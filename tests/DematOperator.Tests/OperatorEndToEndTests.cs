using System.Net;
using System.Net.Sockets;
using DematOperator.Hosting;
using DematOperator.Kube.Api;
using DematOperator.Kube.Config;
using DematOperator.Kube.LeaderElection;
using DematOperator.KubeSim.Hosting;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests;

public sealed class RbacSim() : SimFixture(new SimHostOptions { Clusters = ["rbx"], RbacEnabled = true });

/// <summary>The operator process against the emulator with RBAC enforced, authenticated as config/rbac's service account.</summary>
public sealed class OperatorEndToEndTests(RbacSim sim) : IClassFixture<RbacSim>
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private sealed class RunningOperator(Task<int> run, CancellationTokenSource stop, int metrics, int probes) : IAsyncDisposable
    {
        public readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
        public Task<int> Run => run;
        public Task<HttpResponseMessage> Get(bool metricsPort, string path) => Http.GetAsync($"http://127.0.0.1:{(metricsPort ? metrics : probes)}{path}");

        public async ValueTask DisposeAsync()
        {
            stop.Cancel();
            await run;
            Http.Dispose();
        }
    }

    private async Task<RunningOperator> StartOperator(string token, ILoggerFactory? loggers = null, Uri? otlp = null)
    {
        var endpoint = KubeConfigLoader.FromText(sim.Host.Kubeconfig([("rbx", token)]), "rbx");
        var (metrics, probes) = (FreePort(), FreePort());
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => OperatorHost.RunAsync(new OperatorOptions
        {
            Endpoint = endpoint,
            MetricsEndpoint = new IPEndPoint(IPAddress.Loopback, metrics),
            ProbeEndpoint = new IPEndPoint(IPAddress.Loopback, probes),
            LeaseNamespace = "dematoperator-system",
            Loggers = loggers ?? NullLoggerFactory.Instance,
            OtlpEndpoint = otlp,
            OtlpProtocol = otlp is null ? null : "http/protobuf",
            LeaderElectionOverride = new LeaderElectionOptions
            {
                LeaseName = "dematoperator.ops.demat.gouv.fr", LeaseNamespace = "dematoperator-system",
                LeaseDuration = TimeSpan.FromSeconds(3), RenewDeadline = TimeSpan.FromSeconds(2), RetryPeriod = TimeSpan.FromMilliseconds(300),
            },
        }, stop.Token));
        var op = new RunningOperator(run, stop, metrics, probes);
        await Eventually.HoldsAsync(async () =>
        {
            try { return (await op.Get(false, "/healthz")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
        }, "probe endpoint up");
        return op;
    }

    private async Task InstallRbac()
    {
        await sim.Kubectl.RunAsync("create", "namespace", "dematoperator-system");
        (await sim.Kubectl.RunAsync("apply", "-k", Path.Combine(RepoPaths.Config, "rbac"))).ShouldSucceed();
    }

    [Fact]
    public async Task With_config_rbac_the_operator_syncs_its_caches_leads_and_exposes_clean_metrics()
    {
        await InstallRbac();
        var token = sim.Cluster.Auth.IssueServiceAccountToken("dematoperator-system", "dematoperator");
        await using var op = await StartOperator(token);
        await Eventually.HoldsAsync(async () => (await op.Get(false, "/readyz")).IsSuccessStatusCode, "ready: caches synced", TimeSpan.FromSeconds(20));
        using var admin = SimClients.For(sim.Host, "rbx");
        await Eventually.HoldsAsync(async () => (await admin.TryGetAsync(Resources.Leases, "dematoperator-system", "dematoperator.ops.demat.gouv.fr"))?.Spec.HolderIdentity is { Length: > 0 }, "lease held");
        var scrape = await (await op.Get(true, "/metrics")).Content.ReadAsStringAsync();
        scrape.ShouldContain("leader_election_master_status{name=\"dematoperator.ops.demat.gouv.fr\"} 1");
        scrape.ShouldContain("process_resident_memory_bytes");
        scrape.ShouldNotContain("code=\"403\"");
        (await Kube.Tests.Promtool.CheckMetricsAsync(scrape)).ShouldBe("");
        (await op.Get(true, "/healthz")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Traces_are_exported_over_otlp_when_an_endpoint_is_configured()
    {
        await InstallRbac();
        var port = FreePort();
        using var receiver = new HttpListener();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        receiver.Start();
        var received = new TaskCompletionSource<(string Path, string ContentType, long Length)>();
        _ = Task.Run(async () =>
        {
            var ctx = await receiver.GetContextAsync();
            using var body = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(body);
            received.TrySetResult((ctx.Request.Url!.AbsolutePath, ctx.Request.ContentType ?? "", body.Length));
            ctx.Response.StatusCode = 200;
            ctx.Response.Close();
        });
        var token = sim.Cluster.Auth.IssueServiceAccountToken("dematoperator-system", "dematoperator");
        await using var op = await StartOperator(token, otlp: new Uri($"http://127.0.0.1:{port}"));
        var (path, contentType, length) = await received.Task.WaitAsync(TimeSpan.FromSeconds(30));
        path.ShouldBe("/v1/traces");
        contentType.ShouldBe("application/x-protobuf");
        length.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Without_its_bindings_the_operator_is_never_ready_and_says_why()
    {
        var token = sim.Cluster.Auth.IssueServiceAccountToken("elsewhere", "nobody");
        await using var op = await StartOperator(token);
        // Its informers have tried and been refused before readiness is judged.
        await Eventually.HoldsAsync(async () => (await (await op.Get(true, "/metrics")).Content.ReadAsStringAsync()).Contains("code=\"403\""), "lists refused with 403");
        var ready = await op.Get(false, "/readyz?verbose");
        ready.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await ready.Content.ReadAsStringAsync()).ShouldContain("[-]informers-synced failed: not synced: backuppolicies.ops.demat.gouv.fr");
        var scrape = await (await op.Get(true, "/metrics")).Content.ReadAsStringAsync();
        scrape.ShouldContain("code=\"403\"");
    }
}
