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

    private static IncidentFacts Facts(Severity severity, double startHoursAgo, double? endHoursAgo, double deadlineHoursAfterStart, long? gti = null) =>
        new(severity, T - Duration.FromMinutes(startHoursAgo * 60), endHoursAgo is { } e ? T - Duration.FromMinutes(e * 60) : null,
            T - Duration.FromMinutes(startHoursAgo * 60) + Duration.FromMinutes(deadlineHoursAfterStart * 60), gti);

    /// <summary>
    /// Every indicator of one BRONZE month, each boundary on its edge, written by hand. Critical incidents: resolved within
    /// (1), resolved exactly at its deadline (2, within), open past its deadline (3, missed), open before it (4, not
    /// judged), resolved exactly at the end of the period (5, judged, within, no longer open), open with its deadline
    /// exactly at the end (6, not judged yet), open long past its deadline (7, missed). IND_INC = 3 within / 5 judged = 60 %.
    /// </summary>
    [Fact]
    public void Every_indicator_of_a_month_with_each_boundary_on_its_edge()
    {
        IncidentFacts[] month =
        [
            Facts(Severity.Blocking, 10, 9, 2), Facts(Severity.Blocking, 10, 8, 2), Facts(Severity.Blocking, 5, null, 2), Facts(Severity.Blocking, 1, null, 2),
            Facts(Severity.Blocking, 1.5, 0, 2), Facts(Severity.Blocking, 2, null, 2), Facts(Severity.Blocking, 6, null, 2),
            Facts(Severity.Major, 3, null, 8, gti: 300), Facts(Severity.Minor, 0, null, 40, gti: 100), Facts(Severity.Minor, 20, 19, 40, gti: 200),
        ];
        // IND_SUP looks at the incidents open at the end, those begun in an earlier month too.
        IncidentFacts[] open = [.. month, Facts(Severity.Blocking, 800, null, 2), Facts(Severity.Major, 700, 600, 8)];
        var indicators = ContractIndicators.Compute("BRONZE", AvailabilityFigure.Of(100_000, 0, 100, 0.99), 0.99, month, T, open);
        indicators.ShouldBe(
        [
            new("IND_DISP03", 0.999, 0.99, true, "disponibilité du socle technique"),
            new("IND_INC03", 0.6, 0.85, false, "3 / 5 incident(s) critique(s) résolu(s) dans la GTR"),
            new("IND_SUP01", 5, null, null, "incidents critiques ouverts"),
            new("IND_SUP02", 1, null, null, "incidents majeurs ouverts"),
            new("IND_SUP03", 1, null, null, "incidents mineurs ouverts"),
            new("GTI_BLOCKING", null, null, null, "sans objet : aucune prise en compte datée"),
            new("GTI_MAJOR", 300, null, null, "GTI moyenne mesurée sur 1 incident(s) majeur(s), en secondes de service"),
            new("GTI_MINOR", 150, null, null, "GTI moyenne mesurée sur 2 incident(s) mineur(s), en secondes de service"),
        ]);
        ContractIndicators.Compute("BRONZE", AvailabilityFigure.Of(100_000, 0, 100, 0.99), 0.99, month, T).Single(i => i.Indicator == "IND_SUP01").Value
            .ShouldBe(4, "without candidates, the month's own incidents");
    }

    [Fact]
    public void A_month_without_service_time_has_no_availability_figure()
    {
        var disp = ContractIndicators.Compute("OR", AvailabilityFigure.Of(0, 0, 0, 0.998), 0.998, [], T)[0];
        disp.ShouldBe(new IndicatorValue("IND_DISP01", null, 0.998, null, "sans objet"));
    }

    [Theory]
    [InlineData("blocking", "critique")]
    [InlineData("MAJOR", "majeur")]
    [InlineData("Minor", "mineur")]
    [InlineData("unheard-of", "unheard-of")]
    public void Ledger_severities_in_French(string ledgerName, string french) => ContractIndicators.FrenchSeverity(ledgerName).ShouldBe(french);
}
