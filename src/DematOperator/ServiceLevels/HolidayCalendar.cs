using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>
/// French public holidays (metropolitan) by the contract's calendar: fixed dates, and Easter Monday,
/// Ascension Thursday and Whit Monday from the Gregorian computus. `FR-ALSACE-MOSELLE` adds Good Friday
/// and 26 December; `none` has no holidays. Extra dates can be added.
/// </summary>
public sealed class HolidayCalendar
{
    private readonly bool _alsaceMoselle;
    private readonly bool _none;
    private readonly HashSet<LocalDate> _extra;

    private HolidayCalendar(string name, bool alsaceMoselle, bool none, IEnumerable<LocalDate> extra)
    {
        Name = name;
        _alsaceMoselle = alsaceMoselle;
        _none = none;
        _extra = [.. extra];
    }

    public string Name { get; }

    public static HolidayCalendar? Parse(string name, IEnumerable<LocalDate>? extra = null) => name.ToUpperInvariant() switch
    {
        "FR" => new HolidayCalendar("FR", false, false, extra ?? []),
        "FR-ALSACE-MOSELLE" => new HolidayCalendar("FR-ALSACE-MOSELLE", true, false, extra ?? []),
        "NONE" => new HolidayCalendar("none", false, true, extra ?? []),
        _ => null,
    };

    public static readonly HolidayCalendar France = Parse("FR")!;

    public bool IsHoliday(LocalDate date)
    {
        if (_extra.Contains(date)) return true;
        if (_none) return false;
        var (m, d) = (date.Month, date.Day);
        if ((m, d) is (1, 1) or (5, 1) or (5, 8) or (7, 14) or (8, 15) or (11, 1) or (11, 11) or (12, 25)) return true;
        if (_alsaceMoselle && (m, d) == (12, 26)) return true;
        var easter = EasterSunday(date.Year);
        if (date == easter.PlusDays(1) || date == easter.PlusDays(39) || date == easter.PlusDays(50)) return true;
        return _alsaceMoselle && date == easter.PlusDays(-2);
    }

    /// <summary>Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).</summary>
    public static LocalDate EasterSunday(int year)
    {
        var a = year % 19;
        var b = year / 100;
        var c = year % 100;
        var d = b / 4;
        var e = b % 4;
        var f = (b + 8) / 25;
        var g = (b - f + 1) / 3;
        var h = (19 * a + b - d - g + 15) % 30;
        var i = c / 4;
        var k = c % 4;
        var l = (32 + 2 * e + 2 * i - h - k) % 7;
        var m = (a + 11 * h + 22 * l) / 451;
        var month = (h + l - 7 * m + 114) / 31;
        var day = (h + l - 7 * m + 114) % 31 + 1;
        return new LocalDate(year, month, day);
    }
}
