using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>A half-open span of time [Start, End).</summary>
public readonly record struct TimeSpanInterval(Instant Start, Instant End)
{
    public Duration Length => End > Start ? End - Start : Duration.Zero;
    public bool IsEmpty => End <= Start;
}

/// <summary>Set operations on lists of intervals; results are sorted, merged and non-empty.</summary>
public static class Intervals
{
    public static List<TimeSpanInterval> Normalize(IEnumerable<TimeSpanInterval> spans)
    {
        var sorted = spans.Where(s => !s.IsEmpty).OrderBy(s => s.Start).ToList();
        var result = new List<TimeSpanInterval>();
        foreach (var s in sorted)
        {
            if (result.Count > 0 && s.Start <= result[^1].End)
                result[^1] = result[^1] with { End = Instant.Max(result[^1].End, s.End) };
            else result.Add(s);
        }
        return result;
    }

    public static List<TimeSpanInterval> Intersect(IReadOnlyList<TimeSpanInterval> a, IReadOnlyList<TimeSpanInterval> b)
    {
        var (x, y) = (Normalize(a), Normalize(b));
        var result = new List<TimeSpanInterval>();
        int i = 0, j = 0;
        while (i < x.Count && j < y.Count)
        {
            var start = Instant.Max(x[i].Start, y[j].Start);
            var end = Instant.Min(x[i].End, y[j].End);
            if (start < end) result.Add(new TimeSpanInterval(start, end));
            if (x[i].End < y[j].End) i++; else j++;
        }
        return result;
    }

    public static List<TimeSpanInterval> Subtract(IReadOnlyList<TimeSpanInterval> from, IReadOnlyList<TimeSpanInterval> remove)
    {
        var result = new List<TimeSpanInterval>();
        var cuts = Normalize(remove);
        foreach (var span in Normalize(from))
        {
            var start = span.Start;
            foreach (var cut in cuts)
            {
                if (cut.End <= start || cut.Start >= span.End) continue;
                if (cut.Start > start) result.Add(new TimeSpanInterval(start, cut.Start));
                start = Instant.Max(start, cut.End);
            }
            if (start < span.End) result.Add(new TimeSpanInterval(start, span.End));
        }
        return result;
    }

    public static Duration Total(IEnumerable<TimeSpanInterval> spans) => spans.Aggregate(Duration.Zero, (sum, s) => sum + s.Length);
}
