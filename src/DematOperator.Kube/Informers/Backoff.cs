namespace DematOperator.Kube.Informers;

/// <summary>client-go's reflector backoff: 0.8 s doubling to 30 s with full jitter, reset after 2 minutes of health.</summary>
public sealed class Backoff(TimeProvider time, TimeSpan? initial = null, TimeSpan? cap = null, TimeSpan? resetAfter = null)
{
    private readonly TimeSpan _initial = initial ?? TimeSpan.FromMilliseconds(800);
    private readonly TimeSpan _cap = cap ?? TimeSpan.FromSeconds(30);
    private readonly TimeSpan _resetAfter = resetAfter ?? TimeSpan.FromMinutes(2);
    private TimeSpan _current = TimeSpan.Zero;
    private DateTimeOffset _lastFailure = DateTimeOffset.MinValue;

    public TimeSpan Next()
    {
        var now = time.GetUtcNow();
        if (now - _lastFailure > _resetAfter) _current = TimeSpan.Zero;
        _current = _current == TimeSpan.Zero ? _initial : TimeSpan.FromTicks(Math.Min(_current.Ticks * 2, _cap.Ticks));
        _lastFailure = now;
        // Jitter factor 1.0: between the delay and twice it, like wait.Jitter.
        return _current + TimeSpan.FromTicks((long)(_current.Ticks * Random.Shared.NextDouble()));
    }
}
