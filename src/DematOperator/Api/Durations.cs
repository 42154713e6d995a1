using NodaTime;

namespace DematOperator.Api;

public static class Durations
{
    /// <summary>A duration as people write it in a spec: `2h`, `2h30m`, `45m`, `30s`.</summary>
    public static string Human(Duration d) => d.TotalHours >= 1
        ? $"{(int)d.TotalHours}h{(d.Minutes > 0 ? $"{d.Minutes}m" : "")}"
        : d.TotalMinutes >= 1 ? $"{(int)d.TotalMinutes}m" : $"{(int)d.TotalSeconds}s";
}
