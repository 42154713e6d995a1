using NodaTime;
using NodaTime.TimeZones;

namespace DematOperator.ServiceLevels;

/// <summary>
/// When a tier's service is due, in wall-clock time of its time zone: the service windows between two
/// instants, and the GTR deadline of an incident (its clock runs only inside service windows).
/// </summary>
public sealed class ServiceCalendar(ServiceTier tier, DateTimeZone zone, HolidayCalendar holidays)
{
    public ServiceTier Tier => tier;
    public DateTimeZone Zone => zone;
    public HolidayCalendar Holidays => holidays;

    public bool IsServiceDay(LocalDate date) =>
        tier.Days.Contains(date.DayOfWeek) && (tier.HolidaysAreServiceDays || !holidays.IsHoliday(date));

    /// <summary>The service window of one local date, or null when the date has no service.</summary>
    public TimeSpanInterval? WindowOf(LocalDate date)
    {
        if (!IsServiceDay(date)) return null;
        // Lenient: a wall-clock time inside a DST gap moves to the first instant after it; an ambiguous one takes the earlier.
        var start = zone.ResolveLocal(date.At(tier.Opens), Resolvers.LenientResolver).ToInstant();
        var closes = tier.Closes == LocalTime.Midnight ? date.PlusDays(1).AtMidnight() : date.At(tier.Closes);
        var end = zone.ResolveLocal(closes, Resolvers.LenientResolver).ToInstant();
        return end > start ? new TimeSpanInterval(start, end) : null;
    }

    public List<TimeSpanInterval> Windows(Instant from, Instant to)
    {
        var result = new List<TimeSpanInterval>();
        if (to <= from) return result;
        var day = from.InZone(zone).Date.PlusDays(-1);
        var last = to.InZone(zone).Date.PlusDays(1);
        for (; day <= last; day = day.PlusDays(1))
            if (WindowOf(day) is { } w && w.End > from && w.Start < to)
                result.Add(new TimeSpanInterval(Instant.Max(w.Start, from), Instant.Min(w.End, to)));
        return result;
    }

    /// <summary>The month [1st 00:00 local, next 1st 00:00 local) as instants (743 or 745 h across DST).</summary>
    public TimeSpanInterval Month(YearMonth month) => new(
        zone.AtStartOfDay(month.OnDayOfMonth(1)).ToInstant(),
        zone.AtStartOfDay(month.PlusMonths(1).OnDayOfMonth(1)).ToInstant());

    /// <summary>The instant at which <paramref name="start"/> plus the GTR's service time is reached.</summary>
    public Instant Deadline(Instant start, Severity severity)
    {
        var remaining = tier.For(severity).ServiceTime(tier.ServiceDay);
        var day = start.InZone(zone).Date.PlusDays(-1);
        // Ten years of calendar without a single service day would be a configuration error, not a deadline.
        for (var guard = 0; guard < 3700; guard++, day = day.PlusDays(1))
        {
            if (WindowOf(day) is not { } w || w.End <= start) continue;
            var from = Instant.Max(w.Start, start);
            var available = w.End - from;
            if (available >= remaining) return from + remaining;
            remaining -= available;
        }
        throw new InvalidOperationException($"tier {tier.Name} has no service window in ten years after {start}");
    }
}
