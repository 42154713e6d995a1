using DematOperator.Api;
using NodaTime;

namespace DematOperator.ServiceLevels;

public static class ServiceLevelChecks
{
    public static IEnumerable<SpecProblem> Check(ServiceLevelSpec spec)
    {
        if (ServiceTier.Parse(spec.Tier) is null)
            yield return new SpecProblem("spec.tier", "UnknownTier", $"\"{spec.Tier}\" is not a tier: use OR, ARGENT or BRONZE");
        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(spec.TimeZone ?? "Europe/Paris") is null)
            yield return new SpecProblem("spec.timeZone", "UnknownTimeZone", $"\"{spec.TimeZone}\" is not an IANA time zone");
        if (HolidayCalendar.Parse(spec.Holidays ?? "FR") is null)
            yield return new SpecProblem("spec.holidays", "UnknownCalendar", $"\"{spec.Holidays}\" is not FR, FR-ALSACE-MOSELLE or none");
    }
}
