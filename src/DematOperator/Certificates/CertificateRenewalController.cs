using DematOperator.Api;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
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
    /// <summary>The CertificateRenewal a signing request was made for (`namespace/name`).</summary>
    public const string RenewalAnnotation = Api.Group.AnnotationPrefix + "certificaterenewal";

    /// <summary>Only the requests the operator made: the informer never caches the cluster's other CSRs (kubelets make many).</summary>
    public static Informer<CertificateSigningRequest> SigningRequestInformer(KubeClient client, ILoggerFactory? loggers = null) =>
        new(client, ForeignKinds.CertificateSigningRequests, new InformerOptions { LabelSelector = $"{Api.KubeNames.ManagedByLabel}={Api.KubeNames.ManagedByValue}" }, loggers);

    /// <summary>
    /// Each CertificateRenewal checks its certificates every interval and wakes up at the next planned renewal, and at
    /// once when a signer approves, denies or signs one of its CertificateSigningRequests.
    /// </summary>
    public static Controller Create(KubeClient client, Informer<CertificateRenewal> renewals, Informer<CertificateSigningRequest> requests, EventRecorder events,
        MetricsRegistry metrics, ILoggerFactory loggers) =>
        new Controller(Name, new CertificateRenewalReconciler(client, renewals, events, new CertificateMetrics(metrics), loggers.CreateLogger<CertificateRenewalReconciler>()),
                new ControllerOptions
                {
                    MaxConcurrentReconciles = 2,
                    FailureReporter = new ReconcileFailureReporter<CertificateRenewal>(client,
                        OperatorKinds.CertificateRenewals, r => r.Status ??= new CertificateRenewalStatus(), events),
                }, metrics, loggers, client.Time)
            .For(renewals, Predicates.GenerationOrAnnotationsChanged)
            .Watches(requests, e => RenewalOf(e.New), SignerAnswered);

    /// <summary>An approval, a denial or a certificate: updates only (the operator made and deletes them itself), never a resync.</summary>
    private static bool SignerAnswered(InformerEvent<CertificateSigningRequest> e) =>
        e.Type == InformerEventType.Updated && e.Old is not null && !ReferenceEquals(e.Old, e.New) && e.Old.Metadata.ResourceVersion != e.New.Metadata.ResourceVersion;

    private static IEnumerable<ReconcileRequest> RenewalOf(CertificateSigningRequest csr)
    {
        if (csr.Metadata.Annotations?.GetValueOrDefault(RenewalAnnotation) is { } owner && owner.Split('/') is [var ns, var name])
            yield return new ReconcileRequest(ns, name);
    }
}
