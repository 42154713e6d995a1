namespace DematOperator.KubeSim.Hosting;

/// <summary>
/// A clock that moves only when told to, firing due timers (Task.Delay on it included) as it goes. Give the same
/// instance to <see cref="SimHostOptions.Time"/> and to the operator to run schedules, deadlines and RPOs in tests.
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset? start = null) : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() { lock (_gate) return _now; }

    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_gate) target = _now + by;
        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.Due is { } d && d <= target).MinBy(t => t.Due);
                if (next is null) { _now = target; return; }
                _now = next.Due!.Value;
                next.Due = next.Period is { } p && p > TimeSpan.Zero ? _now + p : null;
            }
            next.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_gate) _timers.Add(timer);
        return timer;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due;
        public TimeSpan? Period;

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            // As System.Threading.Timer: longer than ~49.7 days is refused, so code tested on this clock works on the real one.
            const double maxMilliseconds = 4294967294;
            if (dueTime.TotalMilliseconds > maxMilliseconds) throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "a timer's due time is at most 4294967294 ms");
            if (period.TotalMilliseconds > maxMilliseconds) throw new ArgumentOutOfRangeException(nameof(period), period, "a timer's period is at most 4294967294 ms");
            lock (owner._gate)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
                Period = period == Timeout.InfiniteTimeSpan ? null : period;
            }
            if (dueTime == TimeSpan.Zero) owner.Advance(TimeSpan.Zero);
            return true;
        }

        public void Dispose() { lock (owner._gate) owner._timers.Remove(this); }
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}

/// <summary>
/// A clock that runs at the real rate from an instant the test chooses (timers are the system's), for tests that
/// need real time to pass (faults, leases under load) but must not depend on the hour, weekday or date they run at.
/// </summary>
public sealed class FixedStartTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly long _origin = System.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => start + System.GetElapsedTime(_origin);
}
