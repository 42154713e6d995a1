using System.Net;
using DematOperator.Kube.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DematOperator.Kube.Health;

/// <summary>
/// `/metrics` and the probes on bare Kestrel (no WebApplication: it costs ~15 MiB of idle memory).
/// Requests are routed by port, so the metrics port never answers probes and the other way round.
/// </summary>
public static class EndpointServer
{
    public static void Configure(IWebHostBuilder web, IPAddress address, int metricsPort, int probePort, MetricsRegistry metrics, HealthEndpoint healthz, HealthEndpoint readyz)
    {
        web.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            if (metricsPort > 0) k.Listen(address, metricsPort);
            if (probePort > 0 && probePort != metricsPort) k.Listen(address, probePort);
        });
        web.Configure(app => app.Run(http => Handle(http, metricsPort, probePort, metrics, healthz, readyz)));
    }

    public static async Task<IHost> StartAsync(IPAddress address, int metricsPort, int probePort, MetricsRegistry metrics, HealthEndpoint healthz, HealthEndpoint readyz, CancellationToken ct)
    {
        var host = new HostBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureWebHost(web => Configure(web, address, metricsPort, probePort, metrics, healthz, readyz))
            .Build();
        await host.StartAsync(ct);
        return host;
    }

    private static async Task Handle(HttpContext http, int metricsPort, int probePort, MetricsRegistry metrics, HealthEndpoint healthz, HealthEndpoint readyz)
    {
        var port = http.Connection.LocalPort;
        var path = http.Request.Path.Value ?? "/";
        if (port == metricsPort && path == "/metrics")
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await http.Response.WriteAsync(metrics.Scrape());
            return;
        }
        if (port == probePort || probePort == metricsPort)
        {
            if (path == "/healthz" || path.StartsWith("/healthz/", StringComparison.Ordinal)) { await healthz.HandleAsync(http, "/healthz"); return; }
            if (path == "/readyz" || path.StartsWith("/readyz/", StringComparison.Ordinal)) { await readyz.HandleAsync(http, "/readyz"); return; }
        }
        http.Response.StatusCode = 404;
    }
}
