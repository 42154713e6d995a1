using DematOperator.Api;
using DematOperator.Backups;

namespace DematOperator.Certificates;

public static class CertificateRenewalChecks
{
    public static IEnumerable<SpecProblem> Check(CertificateRenewalSpec spec)
    {
        if (spec.RenewBefore is not null && spec.RenewBeforePercentage is not null)
            yield return new SpecProblem("spec.renewBeforePercentage", "ConflictingFields", "renewBefore and renewBeforePercentage are mutually exclusive: set one");
        string? problem = null;
        try { BackupDecisions.ParseDuration(spec.RenewBefore); } catch (FormatException e) { problem = e.Message; }
        if (problem is not null) yield return new SpecProblem("spec.renewBefore", "InvalidDuration", problem);
        if ((spec.SecretNames?.Count ?? 0) == 0 && spec.SecretSelector is null)
            yield return new SpecProblem("spec", "NoSource", "select certificates with secretNames or secretSelector", Warning: true);
    }
}
