using DematOperator.Api;
using DematOperator.Backups;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>A CertificateRenewal's spec with defaults applied.</summary>
public sealed record RenewalSettings(
    Duration? RenewBefore,
    int? RenewBeforePercentage,
    Duration Validity,
    KeySpec Key,
    bool RotateKey,
    Duration Interval,
    CronSchedule? Window,
    Duration WindowLength,
    DateTimeZone WindowZone,
    IReadOnlyList<ManagedCertificate> Managed,
    bool DeleteCreated);

/// <summary>A certificate of spec.certificates with its issuer resolved (its own, else spec.issuer).</summary>
public sealed record ManagedCertificate(string SecretName, string? CommonName, IReadOnlyList<string> DnsNames, IssuerSpec Issuer);

/// <summary>The checks of a CertificateRenewal that need no cluster: used by the controller and by `validate`.</summary>
public static class CertificateRenewalChecks
{
    public static IEnumerable<SpecProblem> Check(CertificateRenewalSpec spec) => Resolve(spec, out _);

    public static List<SpecProblem> Resolve(CertificateRenewalSpec spec, out RenewalSettings? settings)
    {
        var problems = new List<SpecProblem>();
        settings = null;
        if (spec.RenewBefore is not null && spec.RenewBeforePercentage is not null)
            problems.Add(new("spec.renewBeforePercentage", "ConflictingFields", "renewBefore and renewBeforePercentage are mutually exclusive: set one"));
        Duration? Parse(string field, string? text, Duration? fallback)
        {
            try
            {
                var d = Durations.Parse(text) ?? fallback;
                if (d is { } v && (v <= Duration.Zero || v > Duration.FromDays(3650))) { problems.Add(new(field, "InvalidDuration", "must be positive and at most 10 years")); return fallback; }
                return d;
            }
            catch (FormatException e) { problems.Add(new(field, "InvalidDuration", e.Message)); return fallback; }
        }
        var renewBefore = Parse("spec.renewBefore", spec.RenewBefore, null);
        var validity = Parse("spec.certificate.duration", spec.Certificate?.Duration, Duration.FromDays(90))!.Value;
        var interval = Parse("spec.interval", spec.Interval, Duration.FromHours(1))!.Value;
        if (interval < Duration.FromSeconds(10)) problems.Add(new("spec.interval", "InvalidDuration", "check at most every 10 seconds"));
        var algorithm = spec.Certificate?.PrivateKey?.Algorithm ?? "RSA";
        var size = spec.Certificate?.PrivateKey?.Size ?? (algorithm == "ECDSA" ? 256 : 2048);
        if (KeySpec.Problem(algorithm, size) is { } keyProblem) problems.Add(new("spec.certificate.privateKey", "InvalidKey", keyProblem));
        if (IssuerConflict(spec.Issuer) is { } conflict) problems.Add(new("spec.issuer", "ConflictingFields", conflict));
        if (spec.Issuer?.CertManager == true && spec.Routes is not null)
            problems.Add(new("spec.routes", "UnsupportedSource", "cert-manager does not manage inline Route certificates: use issuer.ca or issuer.external for Routes"));
        CronSchedule? window = null;
        var windowLength = Duration.Zero;
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(spec.MaintenanceWindow?.TimeZone ?? "Europe/Paris");
        if (zone is null) problems.Add(new("spec.maintenanceWindow.timeZone", "UnknownTimeZone", $"\"{spec.MaintenanceWindow?.TimeZone}\" is not an IANA time zone"));
        if (spec.MaintenanceWindow is { } mw)
        {
            if (!CronSchedule.TryParse(mw.Schedule, out window, out var error)) problems.Add(new("spec.maintenanceWindow.schedule", "InvalidSchedule", error!));
            windowLength = Parse("spec.maintenanceWindow.duration", mw.Duration, Duration.FromHours(1)) ?? Duration.FromHours(1);
        }
        foreach (var (e, i) in (spec.Endpoints ?? []).Select((e, i) => (e, i)))
            if (Uri.CheckHostName(e.Host) == UriHostNameType.Unknown)
                problems.Add(new($"spec.endpoints[{i}].host", "InvalidHost", $"\"{e.Host}\" is not a host name or IP address"));
        var managed = new List<ManagedCertificate>();
        var names = new HashSet<string>();
        foreach (var (c, i) in (spec.Certificates ?? []).Select((c, i) => (c, i)))
        {
            var field = $"spec.certificates[{i}]";
            if (string.IsNullOrEmpty(c.SecretName)) { problems.Add(new($"{field}.secretName", "Required", "the Secret to create needs a name")); continue; }
            if (!names.Add(c.SecretName)) problems.Add(new($"{field}.secretName", "DuplicateCertificate", $"Secret {c.SecretName} is listed twice"));
            var dnsNames = (c.DnsNames ?? []).Select(d => d ?? "").ToList();
            foreach (var d in dnsNames.Where(d => Uri.CheckHostName(d.StartsWith("*.", StringComparison.Ordinal) ? d[2..] : d) != UriHostNameType.Dns))
                problems.Add(new($"{field}.dnsNames", "InvalidDnsName", $"\"{d}\" is not a DNS name"));
            if (string.IsNullOrEmpty(c.CommonName) && dnsNames.Count == 0)
                problems.Add(new(field, "NoSubject", "a certificate needs a commonName or dnsNames"));
            var issuer = c.Issuer ?? spec.Issuer;
            if (c.Issuer is not null && IssuerConflict(c.Issuer) is { } own) problems.Add(new($"{field}.issuer", "ConflictingFields", own));
            if (issuer is null or { Ca: null, External: null })
                problems.Add(new($"{field}.issuer", issuer?.CertManager == true ? "UnsupportedIssuer" : "NoIssuer",
                    issuer?.CertManager == true ? "cert-manager cannot create certificates here: use issuer.ca or issuer.external" : "a certificate to create needs issuer.ca or issuer.external"));
            else managed.Add(new(c.SecretName, string.IsNullOrEmpty(c.CommonName) ? null : c.CommonName, dnsNames, issuer));
        }
        if (spec.Secrets is null && spec.Routes is null && (spec.Endpoints?.Count ?? 0) == 0 && (spec.Certificates?.Count ?? 0) == 0)
            problems.Add(new("spec", "NoSource", "select certificates with secrets, routes, endpoints or certificates"));
        if (spec.Issuer is null or { Ca: null, External: null, CertManager: not true } && (spec.Secrets is not null || spec.Routes is not null || (spec.Endpoints?.Count ?? 0) > 0))
            problems.Add(new("spec.issuer", "MonitorOnly", "no issuer: certificates are watched and alerted on, never renewed", Warning: true));
        if (problems.Any(p => !p.Warning) || zone is null) return problems;
        settings = new RenewalSettings(renewBefore, spec.RenewBeforePercentage, validity, new KeySpec(algorithm, size),
            spec.Certificate?.PrivateKey?.RotationPolicy != "Never", interval, window, windowLength, zone, managed,
            spec.DeletionPolicy == CertificateDeletionPolicy.Delete);
        return problems;
    }

    /// <summary>An issuer is one of: the internal CA, an external signer, cert-manager.</summary>
    private static string? IssuerConflict(IssuerSpec? issuer) =>
        issuer is null || new[] { issuer.Ca is not null, issuer.External is not null, issuer.CertManager == true }.Count(x => x) <= 1
            ? null : "issuer.ca, issuer.external and issuer.certManager are mutually exclusive: set one";

    /// <summary>What kind of issuer a spec names.</summary>
    public static IssuerKind KindOf(IssuerSpec? issuer) => issuer switch
    {
        { Ca: not null } => IssuerKind.Ca,
        { External: not null } => IssuerKind.External,
        { CertManager: true } => IssuerKind.CertManager,
        _ => IssuerKind.None,
    };
}
