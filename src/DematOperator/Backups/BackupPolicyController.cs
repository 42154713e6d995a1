using DematOperator.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using Microsoft.Extensions.Logging;

namespace DematOperator.Backups;

public static class BackupPolicyController
{
    public const string Name = "backuppolicy";

    /// <summary>Reconciles BackupPolicies on spec, annotation (run-now) and deletion changes; runs are followed by requeues.</summary>
    public static Controller Create(KubeClient client, Informer<BackupPolicy> policies, EventRecorder events, MetricsRegistry metrics, ILoggerFactory loggers) =>
        new Controller(Name, new BackupPolicyReconciler(client, policies, events, new BackupPolicyMetrics(metrics), loggers.CreateLogger<BackupPolicyReconciler>()),
                new ControllerOptions
                {
                    MaxConcurrentReconciles = 4,
                    FailureReporter = new ReconcileFailureReporter<BackupPolicy>(client,
                        OperatorKinds.BackupPolicies, p => p.Status ??= new BackupPolicyStatus(), events),
                }, metrics, loggers, client.Time)
            .For(policies, Predicates.GenerationOrAnnotationsChanged);
}
