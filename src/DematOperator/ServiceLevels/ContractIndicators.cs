using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>One incident as the indicators see it.</summary>
public sealed record IncidentFacts(Severity Severity, Instant Start, Instant? End, Instant Deadline, long? GtiSeconds);

/// <summary>One indicator of the contract for a tier and environment: its value, objective and verdict (null: "sans objet").</summary>
public sealed record IndicatorValue(string Indicator, double? Value, double? Objective, bool? Met, string Meaning);

/// <summary>
/// The CCTP's monthly indicators, per tier (OR 01, ARGENT 02, BRONZE 03): IND_DISP (availability of the platform ≥ the
/// tier's objective), IND_INC (share of the critical incidents resolved within the GTR ≥ 95 / 90 / 85 %), IND_SUP01-03
/// (critical, major, minor incidents open), and the GTI measured (acknowledgement − start, in service time).
/// </summary>
public static class ContractIndicators
{
    public static string Number(string tier) => tier switch { "OR" => "01", "ARGENT" => "02", _ => "03" };
    public static double GtrShareObjective(string tier) => tier switch { "OR" => 0.95, "ARGENT" => 0.90, _ => 0.85 };

    /// <param name="incidents">The incidents that started in the month: IND_INC and the GTI judge them.</param>
    /// <param name="openCandidates">The incidents IND_SUP looks at for being open at <paramref name="until"/> (those that started before the month too); <paramref name="incidents"/> when null.</param>
    public static IReadOnlyList<IndicatorValue> Compute(string tier, AvailabilityFigure availability, double availabilityObjective, IReadOnlyList<IncidentFacts> incidents, Instant until,
        IReadOnlyList<IncidentFacts>? openCandidates = null)
    {
        var n = Number(tier);
        var result = new List<IndicatorValue>
        {
            new($"IND_DISP{n}", availability.InsufficientData ? null : availability.Availability, availabilityObjective, availability.Met,
                availability.InsufficientData ? "données insuffisantes" : availability.Availability is null ? "sans objet" : "disponibilité du socle technique"),
        };
        // A critical incident is judged once resolved, or once its deadline passed while still open (then it missed it).
        var judged = incidents.Where(i => i.Severity == Severity.Blocking && (i.End is { } e && e <= until || i.Deadline < until)).ToList();
        var within = judged.Count(i => i.End is { } e && e <= until && e <= i.Deadline);
        var objective = GtrShareObjective(tier);
        result.Add(judged.Count == 0
            ? new($"IND_INC{n}", null, objective, null, "sans objet : aucun incident critique jugé")
            : new($"IND_INC{n}", within / (double)judged.Count, objective, within / (double)judged.Count >= objective, $"{within} / {judged.Count} incident(s) critique(s) résolu(s) dans la GTR"));
        foreach (var (severity, index) in new[] { (Severity.Blocking, "01"), (Severity.Major, "02"), (Severity.Minor, "03") })
        {
            var open = (openCandidates ?? incidents).Count(i => i.Severity == severity && i.Start <= until && (i.End is not { } e || e > until));
            result.Add(new($"IND_SUP{index}", open, null, null, $"incidents {FrenchSeverity(severity)}s ouverts"));
        }
        foreach (var severity in Enum.GetValues<Severity>())
        {
            var measured = incidents.Where(i => i.Severity == severity && i.GtiSeconds is not null).Select(i => i.GtiSeconds!.Value).ToList();
            result.Add(new($"GTI_{severity.ToString().ToUpperInvariant()}", measured.Count == 0 ? null : measured.Average(), null, null,
                measured.Count == 0 ? "sans objet : aucune prise en compte datée" : $"GTI moyenne mesurée sur {measured.Count} incident(s) {FrenchSeverity(severity)}(s), en secondes de service"));
        }
        return result;
    }

    public static string FrenchSeverity(Severity s) => s switch { Severity.Blocking => "critique", Severity.Major => "majeur", _ => "mineur" };

    /// <summary>The ledger's severity names ("blocking"...) in French, for the report.</summary>
    public static string FrenchSeverity(string ledgerName) => Enum.TryParse<Severity>(ledgerName, ignoreCase: true, out var s) ? FrenchSeverity(s) : ledgerName;
}
