using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>
/// IND_INC01/02/03 are judged against their own tier's threshold (CCTP: 95 / 90 / 85 %), with shares between a tier's
/// threshold and OR's, so a threshold taken from the wrong tier fails here (ratios of 1/3 or 1.0 pass against any).
/// </summary>
public sealed class GtrShareByTierTests
{
    private static readonly Instant MonthEnd = Instant.FromUtc(2026, 6, 1, 0, 0);

    /// <summary><paramref name="within"/> of <paramref name="total"/> critical incidents resolved before their deadline, the rest after it.</summary>
    private static List<IncidentFacts> Critical(int within, int total) =>
    [
        .. Enumerable.Range(0, total).Select(k =>
        {
            var start = Instant.FromUtc(2026, 5, 4, 8, 0) + Duration.FromHours(k);
            var deadline = start + Duration.FromHours(2);
            return new IncidentFacts(Severity.Blocking, start, k < within ? start + Duration.FromHours(1) : start + Duration.FromHours(3), deadline, null);
        }),
    ];

    private static IndicatorValue Inc(string tier, int within, int total)
    {
        var availability = AvailabilityFigure.Of(100_000, 0, 0, 0.99);
        return ContractIndicators.Compute(tier, availability, 0.99, Critical(within, total), MonthEnd).Single(i => i.Indicator.StartsWith("IND_INC", StringComparison.Ordinal));
    }

    [Theory]
    // tier, within, total, indicator, objective, met
    [InlineData("ARGENT", 92, 100, "IND_INC02", 0.90, true)]   // below OR's 95 %, above ARGENT's 90 %
    [InlineData("ARGENT", 89, 100, "IND_INC02", 0.90, false)]
    [InlineData("BRONZE", 87, 100, "IND_INC03", 0.85, true)]   // below OR's and ARGENT's, above BRONZE's 85 %
    [InlineData("BRONZE", 84, 100, "IND_INC03", 0.85, false)]
    [InlineData("OR", 95, 100, "IND_INC01", 0.95, true)]       // the threshold itself is met (≥)
    [InlineData("OR", 94, 100, "IND_INC01", 0.95, false)]
    public void Each_tier_is_judged_against_its_own_threshold(string tier, int within, int total, string indicator, double objective, bool met)
    {
        var inc = Inc(tier, within, total);
        inc.Indicator.ShouldBe(indicator);
        inc.Objective.ShouldBe(objective);
        inc.Value!.Value.ShouldBe(within / (double)total, 1e-12);
        inc.Met.ShouldBe(met);
    }
}
