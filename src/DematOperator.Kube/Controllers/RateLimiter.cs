namespace DematOperator.Kube.Controllers;

/// <summary>
/// client-go's DefaultControllerRateLimiter: the larger of a per-item exponential backoff
/// (5 ms · 2^failures, capped at 1000 s) and an overall token bucket (10 per second, burst 100).
/// </summary>
public sealed class RateLimiter<TKey>(TimeProvider time, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, double qps = 10, int burst = 100)
    where TKey : notnull
{
    private readonly TimeSpan _base = baseDelay ?? TimeSpan.FromMilliseconds(5);
    private readonly TimeSpan _max = maxDelay ?? TimeSpan.FromSeconds(1000);
    private readonly Dictionary<TKey, int> _failures = new();
    private readonly object _gate = new();
    private double _tokens = burst;
    private DateTimeOffset _last = time.GetUtcNow();

    public TimeSpan When(TKey item)
    {
        lock (_gate)
        {
            var failures = _failures.GetValueOrDefault(item);
            _failures[item] = failures + 1;
            var exp = _base.Ticks * Math.Pow(2, Math.Min(failures, 62));
            var itemDelay = exp > _max.Ticks ? _max : TimeSpan.FromTicks((long)exp);
            var bucketDelay = BucketDelay();
            return itemDelay > bucketDelay ? itemDelay : bucketDelay;
        }
    }

    /// <summary>Reserves one token and answers how long until it is available.</summary>
    private TimeSpan BucketDelay()
    {
        var now = time.GetUtcNow();
        _tokens = Math.Min(burst, _tokens + (now - _last).TotalSeconds * qps);
        _last = now;
        _tokens -= 1;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / qps);
    }

    public void Forget(TKey item) { lock (_gate) _failures.Remove(item); }
    public int NumRequeues(TKey item) { lock (_gate) return _failures.GetValueOrDefault(item); }
}
