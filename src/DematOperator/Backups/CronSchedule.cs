using NodaTime;
using NodaTime.TimeZones;

namespace DematOperator.Backups;

/// <summary>A cron expression that cannot be parsed, with a message for the person who wrote it.</summary>
public sealed class CronFormatException(string message) : FormatException(message);

/// <summary>
/// A standard 5-field cron schedule (minute hour day-of-month month day-of-week) with `*`, `*/n`, ranges,
/// steps, lists, month and day names, and the @hourly/@daily/@weekly/@monthly/@yearly macros, evaluated in
/// a time zone. Across DST a wall-clock time that does not exist runs at the first instant after the gap,
/// and an ambiguous one runs once (at its first occurrence): no slot is ever silently skipped.
/// When both day fields are restricted, a day matches either (as in Vixie cron and Kubernetes CronJobs).
/// </summary>
public sealed class CronSchedule
{
    private readonly bool[] _minutes = new bool[60];
    private readonly bool[] _hours = new bool[24];
    private readonly bool[] _daysOfMonth = new bool[32];
    private readonly bool[] _months = new bool[13];
    private readonly bool[] _daysOfWeek = new bool[7];
    private readonly bool _domRestricted;
    private readonly bool _dowRestricted;
    private readonly int[] _minuteList;
    private readonly int[] _hourList;

    private static readonly Dictionary<string, string> Macros = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *", ["@monthly"] = "0 0 1 * *",
        ["@weekly"] = "0 0 * * 0", ["@daily"] = "0 0 * * *", ["@midnight"] = "0 0 * * *", ["@hourly"] = "0 * * * *",
    };

    private static readonly string[] MonthNames = ["", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private CronSchedule(string expression, string[] fields)
    {
        Expression = expression;
        ParseField(fields[0], 0, 59, _minutes, null, "minute");
        ParseField(fields[1], 0, 23, _hours, null, "hour");
        ParseField(fields[2], 1, 31, _daysOfMonth, null, "day of month");
        ParseField(fields[3], 1, 12, _months, MonthNames, "month");
        var dow = new bool[8];
        ParseField(fields[4], 0, 7, dow, DayNames, "day of week");
        for (var i = 0; i < 7; i++) _daysOfWeek[i] = dow[i];
        if (dow[7]) _daysOfWeek[0] = true;
        _domRestricted = fields[2] != "*" && fields[2] != "?";
        _dowRestricted = fields[4] != "*" && fields[4] != "?";
        _minuteList = Enumerable.Range(0, 60).Where(m => _minutes[m]).ToArray();
        _hourList = Enumerable.Range(0, 24).Where(h => _hours[h]).ToArray();
        if (!Enumerable.Range(1, 12).Any(m => _months[m] && Enumerable.Range(1, MaxDays(m)).Any(d => _daysOfMonth[d]) || _months[m] && _dowRestricted))
            throw new CronFormatException($"\"{expression}\" never runs: no month has the day of month it names");
    }

    public string Expression { get; }

    public static CronSchedule Parse(string expression)
    {
        var text = expression.Trim();
        if (Macros.TryGetValue(text, out var expanded)) text = expanded;
        else if (text.StartsWith('@')) throw new CronFormatException($"unknown macro \"{text}\": use @hourly, @daily, @weekly, @monthly or @yearly");
        var fields = text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
            throw new CronFormatException($"\"{expression}\" has {fields.Length} field{(fields.Length == 1 ? "" : "s")}; a schedule has 5: minute hour day-of-month month day-of-week");
        return new CronSchedule(expression, fields);
    }

    public static bool TryParse(string expression, out CronSchedule? schedule, out string? error)
    {
        try { schedule = Parse(expression); error = null; return true; }
        catch (CronFormatException e) { schedule = null; error = e.Message; return false; }
    }

    private static int MaxDays(int month) => month == 2 ? 29 : month is 4 or 6 or 9 or 11 ? 30 : 31;

    private static void ParseField(string field, int min, int max, bool[] set, string[]? names, string what)
    {
        foreach (var part in field.Split(','))
        {
            if (part.Length == 0) throw new CronFormatException($"empty list item in the {what} field \"{field}\"");
            var stepAt = part.IndexOf('/');
            var range = stepAt >= 0 ? part[..stepAt] : part;
            var step = 1;
            if (stepAt >= 0 && (!int.TryParse(part[(stepAt + 1)..], out step) || step <= 0 || step > max))
                throw new CronFormatException($"bad step \"{part[(stepAt + 1)..]}\" in the {what} field \"{field}\"");
            int from, to;
            if (range is "*" or "?") (from, to) = (min, max);
            else if (range.IndexOf('-', 1) is var dash and > 0)
            {
                from = Value(range[..dash], min, max, names, what, field);
                to = Value(range[(dash + 1)..], min, max, names, what, field);
                if (to < from) throw new CronFormatException($"range {range} goes backwards in the {what} field");
            }
            else
            {
                from = Value(range, min, max, names, what, field);
                to = stepAt >= 0 ? max : from;
            }
            for (var v = from; v <= to; v += step) set[v] = true;
        }
    }

    private static int Value(string text, int min, int max, string[]? names, string what, string field)
    {
        if (int.TryParse(text, out var n))
        {
            if (n < min || n > max) throw new CronFormatException($"{n} is out of range {min}-{max} in the {what} field \"{field}\"");
            return n;
        }
        var index = names is null ? -1 : Array.FindIndex(names, x => x.Length > 0 && string.Equals(x, text, StringComparison.OrdinalIgnoreCase));
        if (index < 0) throw new CronFormatException($"\"{text}\" is not a valid {what} in \"{field}\"");
        return index;
    }

    public bool MatchesDate(LocalDate date)
    {
        if (!_months[date.Month]) return false;
        var dom = _daysOfMonth[date.Day];
        var dow = _daysOfWeek[(int)date.DayOfWeek % 7];
        return _domRestricted && _dowRestricted ? dom || dow : dom && dow;
    }

    public bool MatchesTime(LocalTime time) => _hours[time.Hour] && _minutes[time.Minute] && time.Second == 0;

    /// <summary>The first slot strictly after <paramref name="after"/>, or null if none within 8 years.</summary>
    public Instant? Next(Instant after, DateTimeZone zone)
    {
        var start = after.InZone(zone).LocalDateTime;
        // Resolve is monotonic in wall-clock time (a skipped time maps to the end of the gap, an ambiguous one to
        // its first occurrence), and the wall-clock time of `after` resolves to `after` or earlier: no slot before
        // it, in wall-clock time, can follow `after`. So the scan starts at that minute, not hours before: a
        // minute-level schedule costs a few resolutions per slot, not hundreds (the year's LongestGap of
        // "* * * * *" took over a minute of CPU on a busy machine, blind to cancellation).
        for (var date = start.Date; date <= start.Date.PlusYears(8); date = date.PlusDays(1))
        {
            if (!MatchesDate(date)) continue;
            var today = date == start.Date;
            foreach (var h in _hourList)
            {
                if (today && h < start.Hour) continue;
                foreach (var m in _minuteList)
                {
                    if (today && h == start.Hour && m < start.Minute) continue;
                    var instant = Resolve(date.At(new LocalTime(h, m)), zone);
                    if (instant > after) return instant;
                }
            }
        }
        return null;
    }

    /// <summary>The slots in (from, to], at most <paramref name="limit"/>.</summary>
    public IEnumerable<Instant> Between(Instant from, Instant to, DateTimeZone zone, int limit = 100_000)
    {
        var cursor = from;
        for (var i = 0; i < limit; i++)
        {
            if (Next(cursor, zone) is not { } next || next > to) yield break;
            yield return next;
            cursor = next;
        }
    }

    /// <summary>The longest time between two consecutive slots over a year from <paramref name="from"/> (DST included).</summary>
    public Duration LongestGap(Instant from, DateTimeZone zone)
    {
        var longest = Duration.Zero;
        var previous = Next(from, zone);
        if (previous is null) return Duration.MaxValue;
        var horizon = from + Duration.FromDays(366);
        while (previous < horizon)
        {
            var next = Next(previous.Value, zone);
            if (next is null) return Duration.MaxValue;
            if (next.Value - previous.Value > longest) longest = next.Value - previous.Value;
            previous = next;
        }
        return longest;
    }

    /// <summary>Gaps run at the first instant after them; ambiguous times at their first occurrence.</summary>
    private static Instant Resolve(LocalDateTime local, DateTimeZone zone) =>
        zone.ResolveLocal(local, Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnStartOfIntervalAfter)).ToInstant();
}
