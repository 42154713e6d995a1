using System.Net;
using DematOperator.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Config;
using DematOperator.Kube.Health;
using DematOperator.Kube.Informers;
using DematOperator.Kube.LeaderElection;
using DematOperator.Kube.Manager;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace DematOperator.Hosting;

public sealed class OperatorOptions
{
    public string? Kubeconfig { get; init; }
    public string? Context { get; init; }
    public ClusterEndpoint? Endpoint { get; init; }
    public IPEndPoint? MetricsEndpoint { get; init; } = new(IPAddress.Any, 8080);
    public IPEndPoint? ProbeEndpoint { get; init; } = new(IPAddress.Any, 8081);
    public bool LeaderElect { get; init; } = true;
    public string? LeaseNamespace { get; init; }
    public string LeaseName { get; init; } = "dematoperator.ops.demat.gouv.fr";
    public string? Identity { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public LeaderElectionOptions? LeaderElectionOverride { get; init; }
    /// <summary>Where to export traces (OTLP), from OTEL_EXPORTER_OTLP_ENDPOINT; none when null.</summary>
    public Uri? OtlpEndpoint { get; init; }
    /// <summary>`grpc` (the OpenTelemetry default) or `http/protobuf`, from OTEL_EXPORTER_OTLP_PROTOCOL.</summary>
    public string? OtlpProtocol { get; init; }
    /// <summary>JSON logs on stdout (the default); tests pass their own factory.</summary>
    public ILoggerFactory? Loggers { get; init; }
}

/// <summary>
/// The operator process: generic host + bare Kestrel for /metrics and probes, JSON logs, optional OTLP traces,
/// and the manager with its informers, leader election and the capability controllers.
/// </summary>
public static class OperatorHost
{
    public const string Component = "dematoperator";

    public static async Task<int> RunAsync(OperatorOptions options, CancellationToken ct)
    {
        using var loggers = options.Loggers is null ? CreateJsonLoggers() : null;
        var loggerFactory = options.Loggers ?? loggers!;
        var log = loggerFactory.CreateLogger("DematOperator");
        using var tracing = options.OtlpEndpoint is { } otlp ? Tracing(otlp, options.OtlpProtocol) : null;
        ClusterEndpoint endpoint;
        try { endpoint = options.Endpoint ?? KubeConfigLoader.Load(options.Kubeconfig, options.Context); }
        catch (Exception e) when (e is InvalidOperationException or IOException or FormatException or YamlDotNet.Core.YamlException)
        {
            log.LogCritical("cannot load the Kubernetes configuration: {Error}", e.Message);
            return 2;
        }
        var metrics = new MetricsRegistry();
        RuntimeMetrics.Register(metrics);
        var identity = options.Identity ?? Environment.GetEnvironmentVariable("OPERATOR_IDENTITY") ?? ServiceAccountIdentity() ?? Component;
        using var client = new KubeClient(endpoint, new KubeClientOptions { Identity = identity }, metrics, loggerFactory, options.Time);
        var manager = Build(client, metrics, options, endpoint, loggerFactory);

        var web = new HostBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureWebHost(w =>
            {
                EndpointServer.Configure(w, (options.MetricsEndpoint ?? options.ProbeEndpoint)?.Address ?? IPAddress.Loopback,
                    options.MetricsEndpoint?.Port ?? 0, options.ProbeEndpoint?.Port ?? 0, metrics, manager.Healthz, manager.Readyz);
            })
            .Build();
        if (options.MetricsEndpoint is not null || options.ProbeEndpoint is not null) await web.StartAsync(ct);
        log.LogInformation("operator started against {Server} as {Identity}", endpoint.Server, identity);
        try
        {
            await manager.RunAsync(ct);
            return 0;
        }
        catch (LeaderElectionLostException)
        {
            log.LogError("leader election lost: exiting so that the pod restarts as a follower");
            return 1;
        }
        catch (ManagerRunnableFailedException e)
        {
            log.LogCritical("{Error}: exiting so that the pod restarts", e.Message);
            return 1;
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await web.StopAsync(stop.Token); } catch (OperationCanceledException) { }
            web.Dispose();
        }
    }

    /// <summary>The manager with the shared caches of our four kinds and leader election.</summary>
    public static OperatorManager Build(KubeClient client, MetricsRegistry metrics, OperatorOptions options, ClusterEndpoint endpoint, ILoggerFactory loggers)
    {
        LeaderElectionOptions? election = null;
        if (options.LeaderElect)
            election = options.LeaderElectionOverride ?? new LeaderElectionOptions
            {
                LeaseName = options.LeaseName,
                LeaseNamespace = options.LeaseNamespace ?? endpoint.DefaultNamespace ?? "dematoperator-system",
            };
        var manager = new OperatorManager(client, metrics, new ManagerOptions { LeaderElection = election }, loggers);
        var events = new EventRecorder(client, Component, loggers);
        var backupPolicies = manager.AddInformer(new Informer<Backups.BackupPolicy>(client, OperatorKinds.BackupPolicies, loggers: loggers));
        manager.AddController(Backups.BackupPolicyController.Create(client, backupPolicies, events, metrics, loggers));
        var restoreRequests = manager.AddInformer(new Informer<Restores.RestoreRequest>(client, OperatorKinds.RestoreRequests, loggers: loggers));
        var remotes = new RemoteClusters(client, metrics, loggers);
        manager.AddController(Restores.RestoreRequestController.Create(client, restoreRequests, remotes, events, metrics, loggers));
        var probes = new ServiceLevels.ProbeRunner(client);
        var drills = manager.AddInformer(new Informer<Drills.PraDrill>(client, OperatorKinds.PraDrills, loggers: loggers));
        manager.AddController(Drills.PraDrillController.Create(client, drills, remotes, probes, events, metrics, loggers));
        var serviceLevels = manager.AddInformer(new Informer<ServiceLevels.ServiceLevel>(client, OperatorKinds.ServiceLevels, loggers: loggers));
        var incidents = manager.AddInformer(new Informer<Incidents.Incident>(client, OperatorKinds.Incidents, loggers: loggers));
        manager.AddController(ServiceLevels.ServiceLevelController.Create(client, serviceLevels, probes, events, metrics, loggers, new Drills.DrillPlannedDowntime(drills),
                new Incidents.IncidentRecords(client, incidents, events))
            // A change of an Incident (declared, corrected, deleted) recomputes its ServiceLevel at once.
            .Watches(incidents, e => [new ReconcileRequest(e.New.Namespace, e.New.Spec.ServiceLevelRef.Name)], Predicates.GenerationOrAnnotationsChanged));
        manager.AddController(Incidents.IncidentController.Create(client, incidents, serviceLevels, events, metrics, loggers));
        var reports = new Reports.MonthlyReportPublisher(client, options.LeaseNamespace ?? endpoint.DefaultNamespace ?? "dematoperator-system", events,
            loggers.CreateLogger<Reports.MonthlyReportPublisher>(), cluster: endpoint.Name);
        manager.AddRunnable("monthly-report", reports.RunAsync, needLeaderElection: true);
        manager.AddRunnable("memory-trim", new MemoryTrimmer(client.Time, metrics, loggers).RunAsync, needLeaderElection: false);
        var certificateRenewals = manager.AddInformer(new Informer<Certificates.CertificateRenewal>(client, OperatorKinds.CertificateRenewals, loggers: loggers));
        var signingRequests = manager.AddInformer(Certificates.CertificateRenewalController.SigningRequestInformer(client, loggers));
        manager.AddController(Certificates.CertificateRenewalController.Create(client, certificateRenewals, signingRequests, events, metrics, loggers));
        return manager;
    }

    /// <summary>A span per reconcile and per API call, exported over OTLP (gRPC, or HTTP with protobuf bodies).</summary>
    private static TracerProvider Tracing(Uri endpoint, string? protocol)
    {
        var http = protocol is "http/protobuf";
        return Sdk.CreateTracerProviderBuilder()
            .AddSource("DematOperator.Kube", "DematOperator")
            .AddOtlpExporter(o =>
            {
                o.Protocol = http ? OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf : OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
                // Set in code, the endpoint of HTTP export is the full URL of the traces signal.
                o.Endpoint = http && !endpoint.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal) ? new Uri(endpoint, "v1/traces") : endpoint;
            })
            .Build();
    }

    private static ILoggerFactory CreateJsonLoggers() => LoggerFactory.Create(b => b
        .AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            o.UseUtcTimestamp = true;
            // A `+01:00` in a message stays `+01:00`, not `\u002B01:00`: the lines are read by people and jq, never embedded in HTML.
            o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        })
        .SetMinimumLevel(Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("LOG_LEVEL"), true, out var level) ? level : LogLevel.Information));

    private static string? ServiceAccountIdentity()
    {
        var ns = Path.Combine(KubeConfigLoader.ServiceAccountDir, "namespace");
        return File.Exists(ns) ? $"system:serviceaccount:{File.ReadAllText(ns).Trim()}:dematoperator" : null;
    }
}
