using System.Net;
using System.Security.Cryptography.X509Certificates;
using DematOperator.KubeSim.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DematOperator.KubeSim.Hosting;

/// <summary>
/// Serves one <see cref="SimCluster"/> on 127.0.0.1 with bare Kestrel. Making the cluster unreachable
/// stops the listener (clients get connection refused); making it reachable again reopens the same port.
/// </summary>
public sealed class SimServer : IAsyncDisposable
{
    private readonly SimCluster _cluster;
    private readonly X509Certificate2? _certificate;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IHost? _host;
    private int _port;

    private readonly SimCertificates? _certificates;

    public SimServer(SimCluster cluster, SimCertificates? certificates, int port = 0)
    {
        _cluster = cluster;
        _certificates = certificates;
        _certificate = certificates?.Server;
        _port = port;
        cluster.Faults.ReachabilityChanged += unreachable => _ = unreachable ? StopListenerAsync() : StartAsync();
        Controllers = new Controllers.SimControllers(cluster);
    }

    public SimCluster Cluster => _cluster;
    public Controllers.SimControllers Controllers { get; }
    public int Port => _port;
    public bool UsesTls => _certificate is not null;
    public string Url => $"{(UsesTls ? "https" : "http")}://127.0.0.1:{_port}";

    public async Task StartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_host is not null) return;
            if (_port == 0) _port = FreePort();
            var handler = new ApiHandler(_cluster);
            var webBuilder = new HostBuilder().ConfigureWebHost(web =>
            {
                web.UseKestrel(k =>
                {
                    k.AddServerHeader = false;
                    k.Limits.MaxRequestBodySize = 8 * 1024 * 1024;
                    k.Listen(IPAddress.Loopback, _port, listen =>
                    {
                        if (_certificate is null) return;
                        listen.UseHttps(https =>
                        {
                            https.ServerCertificate = _certificate;
                            // Client certificates are optional (tokens work too) and judged against the cluster CA.
                            https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
                            https.ClientCertificateValidation = (cert, _, _) => _certificates!.Trusts(cert);
                        });
                    });
                });
                web.ConfigureLogging(l => l.ClearProviders());
                web.Configure(app => app.UseWebSockets().Run(handler.HandleAsync));
            });
            _host = webBuilder.Build();
            await _host.StartAsync();
            Controllers.Start();
        }
        finally { _gate.Release(); }
    }

    private async Task StopListenerAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_host is null) return;
            _cluster.DropAllWatches();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await _host.StopAsync(cts.Token); } catch (OperationCanceledException) { }
            _host.Dispose();
            _host = null;
        }
        finally { _gate.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        await Controllers.DisposeAsync();
        await StopListenerAsync();
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
