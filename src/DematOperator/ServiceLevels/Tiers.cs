using NodaTime;

namespace DematOperator.ServiceLevels;

public enum Severity { Blocking, Major, Minor }

/// <summary>A guaranteed resolution time: hours of service time, or service days (each the tier's service-day length).</summary>
public readonly record struct Gtr(int Amount, bool InDays)
{
    public static Gtr Hours(int n) => new(n, false);
    public static Gtr Days(int n) => new(n, true);

    public Duration ServiceTime(Duration serviceDay) => InDays ? serviceDay * Amount : Duration.FromHours(Amount);

    public override string ToString() => InDays ? $"{Amount} day{(Amount == 1 ? "" : "s")}" : $"{Amount} h";
}

/// <summary>A tier of the contract: objective, service hours and GTRs (CCTP table, shared/CONTEXT.md).</summary>
public sealed record ServiceTier(
    string Name,
    double Objective,
    LocalTime Opens,
    LocalTime Closes,
    IReadOnlySet<IsoDayOfWeek> Days,
    bool HolidaysAreServiceDays,
    Gtr Blocking,
    Gtr Major,
    Gtr Minor)
{
    /// <summary>The length of one service day: a "day" of GTR is this much service time.</summary>
    public Duration ServiceDay => Closes == LocalTime.Midnight
        ? Duration.FromDays(1) - Period.Between(LocalTime.Midnight, Opens).ToDuration()
        : Period.Between(Opens, Closes).ToDuration();

    public Gtr For(Severity s) => s switch { Severity.Blocking => Blocking, Severity.Major => Major, _ => Minor };

    private static readonly IReadOnlySet<IsoDayOfWeek> MondayToSaturday =
        new HashSet<IsoDayOfWeek> { IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday, IsoDayOfWeek.Saturday };
    private static readonly IReadOnlySet<IsoDayOfWeek> MondayToFriday =
        new HashSet<IsoDayOfWeek> { IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday };

    public static readonly ServiceTier Or = new("OR", 0.998, new LocalTime(6, 0), new LocalTime(20, 0), MondayToSaturday, true, Gtr.Hours(2), Gtr.Hours(4), Gtr.Days(2));
    public static readonly ServiceTier Argent = new("ARGENT", 0.995, new LocalTime(8, 0), new LocalTime(18, 0), MondayToFriday, false, Gtr.Hours(4), Gtr.Hours(8), Gtr.Days(5));
    public static readonly ServiceTier Bronze = new("BRONZE", 0.990, new LocalTime(8, 0), new LocalTime(18, 0), MondayToFriday, false, Gtr.Hours(8), Gtr.Days(2), Gtr.Days(10));

    public static ServiceTier? Parse(string name) => name.ToUpperInvariant() switch
    {
        "OR" => Or,
        "ARGENT" => Argent,
        "BRONZE" => Bronze,
        _ => null,
    };
}
