using DematOperator.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using Microsoft.Extensions.Logging;

namespace DematOperator.ServiceLevels;

public static class ServiceLevelController
{
    public const string Name = "servicelevel";

    /// <summary>
    /// Each ServiceLevel requeues itself every interval. Probe rounds of different ServiceLevels run on separate
    /// workers, so one slow endpoint (bounded by its timeout) never delays the others' rounds.
    /// </summary>
    /// <param name="plannedDowntime">Tells which namespaces are stopped on purpose right now (PRA drills); none when null.</param>
    /// <param name="incidentRecords">Where incidents are kept as resources people correct; the probes' own record only when null.</param>
    public static Controller Create(KubeClient client, Informer<ServiceLevel> serviceLevels, IProbeRunner probes, EventRecorder events, MetricsRegistry metrics, ILoggerFactory loggers,
        IPlannedDowntime? plannedDowntime = null, IIncidentRecords? incidentRecords = null) =>
        new Controller(Name, new ServiceLevelReconciler(client, serviceLevels, probes, events, new ServiceLevelMetrics(metrics), loggers.CreateLogger<ServiceLevelReconciler>(), plannedDowntime, incidentRecords),
                new ControllerOptions
                {
                    MaxConcurrentReconciles = 16,
                    FailureReporter = new ReconcileFailureReporter<ServiceLevel>(client,
                        OperatorKinds.ServiceLevels, s => s.Status ??= new ServiceLevelStatus(), events),
                }, metrics, loggers, client.Time)
            .For(serviceLevels, Predicates.GenerationOrAnnotationsChanged);
}
