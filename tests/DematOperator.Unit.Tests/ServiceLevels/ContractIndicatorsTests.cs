using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Tests.ServiceLevels;

public sealed class ContractIndicatorsTests
{
    private static readonly Instant T = Instant.FromUtc(2026, 6, 30, 18, 0);
    private static IncidentFacts Critical(int startHoursAgo, int? endHoursAgo, int deadlineHoursAfterStart = 2, long? gti = null) =>
        new(Severity.Blocking, T - Duration.FromHours(startHoursAgo), endHoursAgo is { } e ? T - Duration.FromHours(e) : null, T - Duration.FromHours(startHoursAgo) + Duration.FromHours(deadlineHoursAfterStart), gti);

    private static readonly AvailabilityFigure Measured = AvailabilityFigure.Of(100_000, 0, 100, 0.998);

    [Fact]
    public void IND_INC_judges_resolved_incidents_and_open_ones_past_their_deadline_against_the_tier_s_threshold()
    {
        // Within, beyond, open past its deadline (missed), open before it (not judged yet).
        var indicators = ContractIndicators.Compute("OR", Measured, 0.998, [Critical(10, 9), Critical(10, 5), Critical(5, null), Critical(1, null)], T);
        var inc = indicators.Single(i => i.Indicator == "IND_INC01");
        inc.Value!.Value.ShouldBe(1 / 3.0, 1e-12);
        (inc.Objective, inc.Met).ShouldBe((0.95, false));
        indicators.Single(i => i.Indicator == "IND_SUP01").Value.ShouldBe(2);
        indicators.Single(i => i.Indicator == "IND_DISP01").Met.ShouldBe(true);
    }

    [Theory]
    [InlineData("OR", "01", 0.95)]
    [InlineData("ARGENT", "02", 0.90)]
    [InlineData("BRONZE", "03", 0.85)]
    public void Each_tier_has_its_numbers_and_thresholds_and_no_critical_incident_is_sans_objet(string tier, string n, double threshold)
    {
        var indicators = ContractIndicators.Compute(tier, Measured, 0.99, [], T);
        var inc = indicators.Single(i => i.Indicator == $"IND_INC{n}");
        (inc.Value, inc.Met, inc.Objective).ShouldBe((null, null, threshold));
        inc.Meaning.ShouldStartWith("sans objet");
        indicators.ShouldContain(i => i.Indicator == $"IND_DISP{n}");
        indicators.Where(i => i.Indicator.StartsWith("IND_SUP")).Select(i => i.Value).ShouldAllBe(v => v == 0);
    }

    [Fact]
    public void The_GTI_is_the_mean_of_the_acknowledged_incidents_and_insufficient_data_gives_no_IND_DISP()
    {
        var indicators = ContractIndicators.Compute("ARGENT", AvailabilityFigure.Of(100_000, 50_000, 0, 0.995), 0.995, [Critical(10, 9, 4, gti: 600), Critical(8, 7, 4, gti: 1200), Critical(6, 5, 4)], T);
        indicators.Single(i => i.Indicator == "GTI_BLOCKING").Value.ShouldBe(900);
        indicators.Single(i => i.Indicator == "GTI_MAJOR").Value.ShouldBeNull();
        var disp = indicators.Single(i => i.Indicator == "IND_DISP02");
        (disp.Value, disp.Met, disp.Meaning).ShouldBe((null, null, "données insuffisantes"));
    }
}
