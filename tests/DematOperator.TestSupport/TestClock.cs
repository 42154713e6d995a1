namespace DematOperator.TestSupport;

/// <summary>
/// Fixed instants tests start their clocks at, so that no outcome depends on when the suite runs (hour, weekday,
/// DST, holidays). Start: Tuesday 2 June 2026, 10:00 in Paris (08:00 UTC), a working day inside every tier's service
/// hours, far from a DST change and from a public holiday.
/// </summary>
public static class TestClock
{
    public static readonly DateTimeOffset Start = new(2026, 6, 2, 8, 0, 0, TimeSpan.Zero);

    /// <summary>For openssl's -attime: certificates are judged at the test's instant, not at the machine's.</summary>
    public static string Epoch(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
