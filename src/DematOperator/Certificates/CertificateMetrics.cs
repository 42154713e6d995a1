using DematOperator.Kube.Metrics;

namespace DematOperator.Certificates;

/// <summary>demat_certificate_* metrics, labelled by the certificate's namespace, name, source (Secret, Route, Endpoint) and subject.</summary>
public sealed class CertificateMetrics(MetricsRegistry registry)
{
    private static readonly string[] Labels = ["namespace", "name", "source", "subject"];
    public readonly Gauge Expiration = registry.Gauge("demat_certificate_expiration_timestamp_seconds", "notAfter of the certificate (Unix seconds).", Labels);
    public readonly Gauge NotBefore = registry.Gauge("demat_certificate_not_before_timestamp_seconds", "notBefore of the certificate (Unix seconds).", Labels);
    public readonly Gauge Renewal = registry.Gauge("demat_certificate_renewal_timestamp_seconds", "Planned renewal time (Unix seconds).", Labels);
    public readonly Counter Renewals = registry.Counter("demat_certificate_renewals_total", "Renewals attempted, by result (success, failed, triggered for cert-manager).", [.. Labels, "result"]);
    public readonly Gauge Ready = registry.Gauge("demat_certificate_ready", "1 when the certificate is valid (not expired, not in error).", Labels);
    public readonly Gauge ServedCurrent = registry.Gauge("demat_certificate_served_current", "1 when an endpoint serves the current certificate of its backing Secret.", Labels);

    public void Forget(IEnumerable<string[]> series)
    {
        foreach (var labels in series)
            registry.Forget([.. Labels.Zip(labels, (label, value) => (label, value))]);
    }
}
