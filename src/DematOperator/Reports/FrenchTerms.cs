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
    public static string Cause(string? cause, bool withdrawn = false) => withdrawn ? "supprimé par une personne (non compté)" : cause switch
    {
        "Application" => "applicative (non comptée)", "External" => "externe (non comptée)", _ => "socle technique",
    };
}
