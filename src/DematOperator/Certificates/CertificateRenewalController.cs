using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using Microsoft.Extensions.Logging;

namespace DematOperator.Certificates;

public static class CertificateRenewalController
{
    public const string Name = "certificaterenewal";

    /// <summary>Each CertificateRenewal checks its certificates every interval and wakes up at the next planned renewal.</summary>
    public static Controller Create(KubeClient client, Informer<CertificateRenewal> renewals, EventRecorder events, MetricsRegistry metrics, ILoggerFactory loggers) =>
        new Controller(Name, new CertificateRenewalReconciler(client, renewals, events, new CertificateMetrics(metrics), loggers.CreateLogger<CertificateRenewalReconciler>()),
                new ControllerOptions { MaxConcurrentReconciles = 2 }, metrics, loggers, client.Time)
            .For(renewals, Predicates.GenerationOrAnnotationsChanged);
}
