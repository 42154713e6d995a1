using DematOperator.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.ServiceLevels;
using Microsoft.Extensions.Logging;

namespace DematOperator.Drills;

public static class PraDrillController
{
    public const string Name = "pradrill";

    /// <summary>Reconciles PraDrills on spec and annotation changes (run-now, abort, confirm-failover); runs follow themselves by requeues.</summary>
    public static Controller Create(KubeClient client, Informer<PraDrill> drills, RemoteClusters remotes, IProbeRunner probes, EventRecorder events, MetricsRegistry metrics, ILoggerFactory loggers) =>
        new Controller(Name, new PraDrillReconciler(client, drills, remotes, probes, events, new PraDrillMetrics(metrics), loggers.CreateLogger<PraDrillReconciler>()),
                new ControllerOptions
                {
                    MaxConcurrentReconciles = 2,
                    FailureReporter = new ReconcileFailureReporter<PraDrill>(client,
                        OperatorKinds.PraDrills, d => d.Status ??= new PraDrillStatus(), events),
                }, metrics, loggers, client.Time)
            .For(drills, Predicates.GenerationOrAnnotationsChanged);
}
