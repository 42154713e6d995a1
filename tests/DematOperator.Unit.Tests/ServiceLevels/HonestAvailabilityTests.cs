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
    // Unknown time and downtime together (hand-computed): availability over the known time only (1 − down / known),
    // low counts the unknown as down, high as up.
    [InlineData(36000, 1800, 360, 0.995, 0.98947368421, 0.94, 0.99, 0.95, false, false)]      // 1 − 360/34 200
    [InlineData(36000, 1800, 36, 0.995, 0.99894736842, 0.949, 0.999, 0.95, true, false)]      // 1 − 36/34 200
    [InlineData(36000, 7200, 360, 0.995, 0.9875, 0.79, 0.99, 0.8, null, true)]                // 1 − 360/28 800, 80 % covered
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

    [Fact]
    public void An_availability_equal_to_the_objective_meets_it() =>
        AvailabilityFigure.Of(1000, 0, 5, 0.995).Met.ShouldBe(true, "1 - 5/1000 = 99.5 %");
}
