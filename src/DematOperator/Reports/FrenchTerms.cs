using DematOperator.ServiceLevels;

namespace DematOperator.Reports;

/// <summary>The operator's values (states, modes, results, causes) as the French reports say them: one list for every format.</summary>
public static class FrenchTerms
{
    public static string Severity(string ledgerName) => ContractIndicators.FrenchSeverity(ledgerName);
    public static string Mode(string mode) => mode switch { "Rehearsal" => "répétition", "Failover" => "bascule réelle", _ => mode };
    public static string Result(string result) => result switch { "Succeeded" => "réussi", "Failed" => "échoué", "Aborted" => "interrompu", "Refused" => "refusé", _ => result };
    public static string CertificateState(string state) => state switch
    {
        "Valid" => "valide", "Renewed" => "renouvelé", "RenewalDue" => "à renouveler", "Expired" => "expiré", "Error" => "en erreur", _ => state,
    };
    /// <summary>A certificate's reason (status.items[].reason) in French; the CamelCase reason beside it, for the docs.</summary>
    public static string CertificateReason(string? reason) => reason is null ? "—" : (reason switch
    {
        "DoesNotExist" => "n'existait pas : créé", "MissingData" => "données absentes du Secret", "InvalidCertificate" => "certificat illisible",
        "InvalidKeyPair" => "clé et certificat ne correspondent pas", "Expired" => "expiré", "Renewing" => "dans sa fenêtre de renouvellement",
        "UpToDate" => "à jour", "EndpointMonitorOnly" => "point d'accès surveillé seulement", "NoIssuer" => "aucun émetteur configuré : surveillé seulement",
        "ManagedByCertManager" => "géré par cert-manager", "NotManagedByCertManager" => "non géré par cert-manager",
        "IssuerNotReady" => "émetteur pas prêt", "OutsideMaintenanceWindow" => "en attente de la fenêtre de maintenance",
        "AwaitingApproval" => "demande de signature en attente d'approbation par l'IGC", "AwaitingCertificate" => "approuvée, en attente du certificat signé",
        "SignatureDenied" => "signature refusée par l'IGC", "SignatureFailed" => "échec de signature à l'IGC", "CertificateRejected" => "certificat reçu rejeté",
        "Signed" => "signé par l'IGC", "Retrying" => "nouvel essai programmé", "SecretNotFound" => "Secret introuvable", "RouteNotFound" => "Route introuvable",
        "IssuerNotFound" => "émetteur introuvable", "IssuerInvalid" => "émetteur invalide", "Watching" => "surveillé", "MonitorOnly" => "surveillé seulement",
        _ => "voir le message de l'opérateur",
    }) + $" ({reason})";

    public static string Cause(string? cause, bool withdrawn = false) => withdrawn ? "supprimé par une personne (non compté)" : cause switch
    {
        "Application" => "applicative (non comptée)", "External" => "externe (non comptée)", _ => "socle technique",
    };

    public static bool InsufficientData(IndicatorRow i) => i.Value is null && i.Meaning.StartsWith("données insuffisantes", StringComparison.Ordinal);

    /// <summary>An indicator's value as the reports print it: a share, a count, a duration, or why there is none.</summary>
    public static string IndicatorValue(IndicatorRow i) => i.Value is not { } v ? (InsufficientData(i) ? "données insuffisantes" : "sans objet")
        : i.Indicator.StartsWith("IND_SUP", StringComparison.Ordinal) ? v.ToString("0", System.Globalization.CultureInfo.InvariantCulture)
        : i.Indicator.StartsWith("GTI", StringComparison.Ordinal) ? Api.Durations.Human(NodaTime.Duration.FromSeconds((long)v))
        : (v * 100).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " %";

    public enum Judgement { None, Met, NotMet, NotApplicable, Insufficient }

    /// <summary>An indicator's verdict: none without an objective, then by the honest rule (insufficient data, nothing to judge), then met or not.</summary>
    public static (Judgement Kind, string Text) IndicatorVerdict(IndicatorRow i) =>
        i.Objective is null ? (Judgement.None, "—")
        : InsufficientData(i) ? (Judgement.Insufficient, "données insuffisantes")
        : i.Value is null ? (Judgement.NotApplicable, "sans objet")
        : i.Met == true ? (Judgement.Met, "atteint") : (Judgement.NotMet, "non atteint");
}
