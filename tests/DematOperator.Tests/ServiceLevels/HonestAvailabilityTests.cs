using DematOperator.ServiceLevels;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>The one rule every availability figure goes through: coverage, range, and no verdict without enough data.</summary>
public sealed class HonestAvailabilityTests
{
    [Theory]
    // service, unknown, downtime, objective -> availability, low, high, coverage, met, insufficient
    [InlineData(36000, 0, 0, 0.995, 1.0, 1.0, 1.0, 1.0, true, false)]
    [InlineData(36000, 0, 360, 0.995, 0.99, 0.99, 0.99, 1.0, false, false)]
    [InlineData(36000, 3600, 0, 0.995, 1.0, 0.9, 1.0, 0.9, true, false)]          // exactly at the 90 % threshold: a verdict
    [InlineData(36000, 3601, 0, 0.995, 1.0, 0.89997, 1.0, 0.89997, null, true)]  // just below it: none
    [InlineData(50400, 50400, 0, 0.998, null, 0.0, 1.0, 0.0, null, true)]        // nothing measured: no figure, never 100 %
    public void Figures_follow_the_rule(long service, long unknown, long downtime, double objective,
        double? availability, double low, double high, double coverage, bool? met, bool insufficient)
    {
        var f = AvailabilityFigure.Of(service, unknown, downtime, objective);
        if (availability is null) f.Availability.ShouldBeNull();
        else f.Availability!.Value.ShouldBe(availability.Value, 1e-9);
        f.Low!.Value.ShouldBe(low, 1e-5);
        f.High!.Value.ShouldBe(high, 1e-9);
        f.Coverage!.Value.ShouldBe(coverage, 1e-5);
        f.Met.ShouldBe(met);
        f.InsufficientData.ShouldBe(insufficient);
    }

    [Fact]
    public void A_month_without_service_time_has_no_figure_and_is_not_insufficient_either()
    {
        var f = AvailabilityFigure.Of(0, 0, 0, 0.998);
        (f.Availability, f.Coverage, f.Met, f.InsufficientData).ShouldBe((null, null, null, false));
    }

    [Fact]
    public void The_threshold_is_the_service_level_s_own()
    {
        AvailabilityFigure.Of(36000, 18000, 0, 0.99, coverageThreshold: 0.5).Met.ShouldBe(true);
        AvailabilityFigure.Of(36000, 18001, 0, 0.99, coverageThreshold: 0.5).InsufficientData.ShouldBe(true);
    }
}
