using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace DematOperator.Kube.Metrics;

/// <summary>
/// Metric families and the Prometheus text exposition format (version 0.0.4), written by us because no
/// Prometheus client library is available here. Families are registered once; children are created per
/// label-value combination on first use.
/// </summary>
public sealed class MetricsRegistry
{
    private readonly ConcurrentDictionary<string, MetricFamily> _families = new();
    private readonly List<Action<MetricsRegistry>> _beforeScrape = [];

    public Counter Counter(string name, string help, params string[] labels) => (Counter)_families.GetOrAdd(name, _ => new Counter(name, help, labels));
    public Gauge Gauge(string name, string help, params string[] labels) => (Gauge)_families.GetOrAdd(name, _ => new Gauge(name, help, labels));
    public Histogram Histogram(string name, string help, double[] buckets, params string[] labels) =>
        (Histogram)_families.GetOrAdd(name, _ => new Histogram(name, help, buckets, labels));

    /// <summary>Runs before each scrape, to refresh gauges that are read rather than pushed (process, runtime).</summary>
    public void OnScrape(Action<MetricsRegistry> refresh)
    {
        lock (_beforeScrape) _beforeScrape.Add(refresh);
    }

    /// <summary>
    /// Removes, from every family labelled with all of <paramref name="match"/>'s names, the series carrying those
    /// values: what an object's deletion leaves behind (counters and histograms included), so that memory and the
    /// exposition stay bounded by the objects that exist. Returns how many series went.
    /// </summary>
    public int Forget(params (string Label, string Value)[] match)
    {
        var removed = 0;
        foreach (var family in _families.Values) removed += family.RemoveMatching(match);
        return removed;
    }

    public string Scrape()
    {
        Action<MetricsRegistry>[] refreshers;
        lock (_beforeScrape) refreshers = [.. _beforeScrape];
        foreach (var r in refreshers) r(this);
        var sb = new StringBuilder(16 * 1024);
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)) family.Write(sb);
        return sb.ToString();
    }

    public static double[] ExponentialBuckets(double start, double factor, int count) =>
        Enumerable.Range(0, count).Select(i => start * Math.Pow(factor, i)).ToArray();

    /// <summary>controller-runtime's reconcile-time and client-go's request-latency buckets.</summary>
    public static readonly double[] ReconcileBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];
    public static readonly double[] RequestBuckets = [0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0];
    public static readonly double[] WorkqueueBuckets = ExponentialBuckets(10e-9, 10, 12);
}

public abstract class MetricFamily(string name, string help, string type, string[] labelNames)
{
    internal abstract int RemoveMatching((string Label, string Value)[] match);

    /// <summary>Removes the children whose labels carry every (name, value) of <paramref name="match"/>; none when a name is not this family's.</summary>
    protected int RemoveMatching<TChild>(ConcurrentDictionary<string, TChild> children, Func<TChild, string[]> values, (string Label, string Value)[] match)
    {
        var indexes = new int[match.Length];
        for (var i = 0; i < match.Length; i++)
            if ((indexes[i] = Array.IndexOf(LabelNames, match[i].Label)) < 0) return 0;
        var removed = 0;
        foreach (var (key, child) in children)
        {
            var labels = values(child);
            var all = true;
            for (var i = 0; i < indexes.Length && all; i++) all = labels[indexes[i]] == match[i].Value;
            if (all && children.TryRemove(key, out _)) removed++;
        }
        return removed;
    }

    public string Name { get; } = name;
    public string Help { get; } = help;
    protected string[] LabelNames { get; } = labelNames;

    internal void Write(StringBuilder sb)
    {
        sb.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(Help)).Append('\n');
        sb.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
        WriteSamples(sb);
    }

    protected abstract void WriteSamples(StringBuilder sb);

    protected static string Labels(string[] names, string[] values, string? extraName = null, string? extraValue = null)
    {
        if (names.Length == 0 && extraName is null) return "";
        var sb = new StringBuilder("{");
        for (var i = 0; i < names.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(names[i]).Append("=\"").Append(EscapeLabel(values[i])).Append('"');
        }
        if (extraName is not null)
        {
            if (names.Length > 0) sb.Append(',');
            sb.Append(extraName).Append("=\"").Append(extraValue).Append('"');
        }
        return sb.Append('}').ToString();
    }

    protected static string Format(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    private static string EscapeHelp(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n");
    private static string EscapeLabel(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>One line per child for families whose children hold a single value (counters, gauges).</summary>
    protected void WriteValues(StringBuilder sb, IEnumerable<(string[] Labels, double Value)> children)
    {
        foreach (var (labels, value) in children.OrderBy(c => string.Join('\u0001', c.Labels), StringComparer.Ordinal))
            sb.Append(Name).Append(Labels(LabelNames, labels)).Append(' ').Append(Format(value)).Append('\n');
    }

    protected string[] Check(string[] values) =>
        values.Length == LabelNames.Length ? values : throw new ArgumentException($"{Name} takes labels ({string.Join(",", LabelNames)})");
}

public sealed class Counter(string name, string help, string[] labels) : MetricFamily(name, help, "counter", labels)
{
    private readonly ConcurrentDictionary<string, Child> _children = new();

    public Child WithLabels(params string[] values) => _children.GetOrAdd(string.Join('\u0001', Check(values)), _ => new Child(values));
    public void Inc(double by = 1) => WithLabels().Inc(by);
    internal override int RemoveMatching((string Label, string Value)[] match) => RemoveMatching(_children, c => c.Values, match);

    protected override void WriteSamples(StringBuilder sb) => WriteValues(sb, _children.Values.Select(c => (c.Values, c.Value)));

    public sealed class Child(string[] values)
    {
        private long _bits;
        internal string[] Values { get; } = values;
        public double Value => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _bits));

        /// <summary>For counters read from elsewhere (CPU time): raises the value to <paramref name="total"/>, never lowers it.</summary>
        public void RaiseTo(double total)
        {
            while (true)
            {
                var old = Interlocked.Read(ref _bits);
                if (BitConverter.Int64BitsToDouble(old) >= total) return;
                if (Interlocked.CompareExchange(ref _bits, BitConverter.DoubleToInt64Bits(total), old) == old) return;
            }
        }

        public void Inc(double by = 1)
        {
            if (by < 0) throw new ArgumentOutOfRangeException(nameof(by), "counters only go up");
            AtomicDouble.Add(ref _bits, by);
        }
    }
}

public sealed class Gauge(string name, string help, string[] labels) : MetricFamily(name, help, "gauge", labels)
{
    private readonly ConcurrentDictionary<string, Child> _children = new();

    public Child WithLabels(params string[] values) => _children.GetOrAdd(string.Join('\u0001', Check(values)), _ => new Child(values));
    public void Set(double v) => WithLabels().Set(v);
    public bool Remove(params string[] values) => _children.TryRemove(string.Join('\u0001', values), out _);
    internal override int RemoveMatching((string Label, string Value)[] match) => RemoveMatching(_children, c => c.Values, match);

    protected override void WriteSamples(StringBuilder sb) => WriteValues(sb, _children.Values.Select(c => (c.Values, c.Value)));

    public sealed class Child(string[] values)
    {
        private long _bits;
        internal string[] Values { get; } = values;
        public double Value => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _bits));
        public void Set(double v) => Interlocked.Exchange(ref _bits, BitConverter.DoubleToInt64Bits(v));

        public void Add(double by) => AtomicDouble.Add(ref _bits, by);
    }
}

public sealed class Histogram(string name, string help, double[] buckets, string[] labels) : MetricFamily(name, help, "histogram", labels)
{
    private readonly ConcurrentDictionary<string, Child> _children = new();
    private readonly double[] _buckets = buckets;

    public Child WithLabels(params string[] values) => _children.GetOrAdd(string.Join('\u0001', Check(values)), _ => new Child(values, _buckets));
    internal override int RemoveMatching((string Label, string Value)[] match) => RemoveMatching(_children, c => c.Values, match);

    protected override void WriteSamples(StringBuilder sb)
    {
        foreach (var c in _children.Values.OrderBy(c => string.Join('\u0001', c.Values), StringComparer.Ordinal))
        {
            long[] counts;
            double sum;
            long count;
            lock (c) { counts = [.. c.Counts]; sum = c.Sum; count = c.Count; }
            long cumulative = 0;
            for (var i = 0; i < _buckets.Length; i++)
            {
                cumulative += counts[i];
                sb.Append(Name).Append("_bucket").Append(Labels(LabelNames, c.Values, "le", Format(_buckets[i]))).Append(' ').Append(cumulative).Append('\n');
            }
            sb.Append(Name).Append("_bucket").Append(Labels(LabelNames, c.Values, "le", "+Inf")).Append(' ').Append(count).Append('\n');
            sb.Append(Name).Append("_sum").Append(Labels(LabelNames, c.Values)).Append(' ').Append(Format(sum)).Append('\n');
            sb.Append(Name).Append("_count").Append(Labels(LabelNames, c.Values)).Append(' ').Append(count).Append('\n');
        }
    }

    public sealed class Child(string[] values, double[] buckets)
    {
        internal string[] Values { get; } = values;
        internal long[] Counts { get; } = new long[buckets.Length];
        internal double Sum;
        internal long Count;

        public void Observe(double v)
        {
            lock (this)
            {
                var i = Array.FindIndex(buckets, b => v <= b);
                if (i >= 0) Counts[i]++;
                Sum += v;
                Count++;
            }
        }
    }
}

/// <summary>A double kept in a long's bits, added to with compare-and-swap.</summary>
internal static class AtomicDouble
{
    public static void Add(ref long bits, double by)
    {
        while (true)
        {
            var old = Interlocked.Read(ref bits);
            var next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(old) + by);
            if (Interlocked.CompareExchange(ref bits, next, old) == old) return;
        }
    }
}
