using System.Globalization;
using NodaTime;

namespace DematOperator.Api;

/// <summary>
/// Every timestamp a person reads (reports, messages, Events): ISO 8601 to the second with its offset, in the contract's
/// zone (Europe/Paris) unless the resource names another, e.g. `2026-05-12T09:30:05+02:00`. One format, so a report in
/// Paris time and a restore report never disagree on what an hour means.
/// </summary>
public static class PersonTime
{
    public static readonly DateTimeZone Contract = DateTimeZoneProviders.Tzdb["Europe/Paris"];

    public static string Format(Instant t, DateTimeZone? zone = null) =>
        t.InZone(zone ?? Contract).ToOffsetDateTime().ToString("uuuu-MM-dd'T'HH:mm:sso<+HH:mm>", CultureInfo.InvariantCulture);

    /// <summary>"—" when there is no time.</summary>
    public static string Format(DateTimeOffset? t, DateTimeZone? zone = null) => t is { } v ? Format(Instant.FromDateTimeOffset(v), zone) : "—";
}

/// <summary>
/// JSON that people and jq read (reports, report ConfigMaps): a `+01:00` stays `+01:00` and accents stay letters,
/// instead of the HTML-safe `\u002B01:00`; none of it is ever embedded in HTML.
/// </summary>
public static class PeopleJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public static readonly System.Text.Json.JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };
}
