using NodaTime;

namespace DematOperator.Api;

public static class Durations
{
    /// <summary>Go duration syntax (`4h`, `90m`, `1h30m`, `720h`, `1.5h`) as Kubernetes writes durations.</summary>
    public static Duration? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var total = 0.0;
        var i = 0;
        var s = text.Trim();
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i || !double.TryParse(s[start..i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n))
                throw new FormatException($"\"{text}\" is not a duration like 4h, 30m or 1h30m");
            var unitStart = i;
            // Go's time.ParseDuration takes both micro signs, U+00B5 and U+03BC (unitMap in time/format.go).
            while (i < s.Length && (char.IsAsciiLetter(s[i]) || s[i] is '\u00B5' or '\u03BC')) i++;
            total += s[unitStart..i] switch
            {
                "h" => n * 3600, "m" => n * 60, "s" => n, "ms" => n / 1000, "us" or "\u00B5s" or "\u03BCs" => n / 1e6, "ns" => n / 1e9,
                _ => throw new FormatException($"\"{text}\" is not a duration like 4h, 30m or 1h30m"),
            };
        }
        if (total > 100L * 365 * 24 * 3600) throw new FormatException($"\"{text}\" is longer than a century");
        return Duration.FromSeconds(total);
    }

    /// <summary>A duration as people write it in a spec: `2h`, `2h30m`, `45m`, `30s`.</summary>
    public static string Human(Duration d) => d.TotalHours >= 1
        ? $"{(int)d.TotalHours}h{(d.Minutes > 0 ? $"{d.Minutes}m" : "")}"
        : d.TotalMinutes >= 1 ? $"{(int)d.TotalMinutes}m" : $"{(int)d.TotalSeconds}s";
}
