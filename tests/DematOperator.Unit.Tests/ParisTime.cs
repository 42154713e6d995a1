using NodaTime;
using NodaTime.Text;

namespace DematOperator.Tests;

/// <summary>Local times in Europe/Paris, as the contract's service hours and the tests' hand computations are written.</summary>
internal static class ParisTime
{
    public static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];

    /// <summary>"2026-05-04T10:00:00", Paris time.</summary>
    public static Instant At(string local) => LocalDateTimePattern.GeneralIso.Parse(local).Value.InZoneLeniently(Paris).ToInstant();

    public static DateTimeOffset Time(string local) => At(local).ToDateTimeOffset();
}
