namespace DematOperator.ServiceLevels;

/// <summary>
/// A month's availability told honestly: time without data is never silently good. Coverage = measured service time /
/// service time; the availability is given with its range (unknown time counted up, and counted down); below the
/// coverage threshold there is no verdict, only "données insuffisantes / insufficient data". Every figure of the
/// status and of the report (per ServiceLevel and per tier) goes through this one rule.
/// </summary>
public sealed record AvailabilityFigure(double? Availability, double? Low, double? High, double? Coverage, bool? Met, bool InsufficientData)
{
    public const double DefaultCoverageThreshold = 0.9;

    public static AvailabilityFigure Of(long serviceSeconds, long unknownSeconds, long downtimeSeconds, double objective, double coverageThreshold = DefaultCoverageThreshold)
    {
        // A month (so far) without service time has nothing to measure: no figure, no verdict, and not insufficient either.
        if (serviceSeconds <= 0) return new(null, null, null, null, null, false);
        var unknown = Math.Clamp(unknownSeconds, 0, serviceSeconds);
        var known = serviceSeconds - unknown;
        var coverage = known / (double)serviceSeconds;
        var high = 1 - downtimeSeconds / (double)serviceSeconds;
        var low = 1 - (downtimeSeconds + unknown) / (double)serviceSeconds;
        double? availability = known > 0 ? 1 - downtimeSeconds / (double)known : null;
        var insufficient = coverage < coverageThreshold;
        return new(availability, Math.Max(0, low), high, coverage, insufficient || availability is null ? null : availability >= objective, insufficient);
    }
}
