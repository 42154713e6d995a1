using System.Diagnostics;
using DematOperator.Kube.Metrics;

namespace DematOperator.Kube.Controllers;

/// <summary>
/// client-go's rate-limited work queue: FIFO; an item added many times before it is processed is processed
/// once; an item is never handed to two workers at once (re-added while processing, it comes back after
/// Done); delayed adds keep the earliest time; per-item and overall rate limits for retries.
/// Two clocks: delayed adds (RequeueAfter: the next backup slot, a drill deadline) run on the injected clock, which
/// tests move by hand; rate-limited retries (an error, a 409) are back-pressure on the API server, measured in real
/// elapsed time, so a conflict is retried within milliseconds even while a test's clock stands still.
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable where TKey : notnull
{
    private readonly object _gate = new();
    private readonly LinkedList<TKey> _queue = new();
    private readonly HashSet<TKey> _dirty = new();
    private readonly Dictionary<TKey, long> _processing = new();
    private readonly Dictionary<TKey, long> _addedAt = new();
    private readonly Dictionary<TKey, DateTimeOffset> _waiting = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly TimeProvider _time;
    private readonly TimeProvider _retryTime;
    private readonly RateLimiter<TKey> _limiter;
    private readonly ITimer _timer;
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;
    private bool _shutdown;

    private readonly Gauge.Child _depth;
    private readonly Counter.Child _adds;
    private readonly Counter.Child _retries;
    private readonly Histogram.Child _queueDuration;
    private readonly Histogram.Child _workDuration;
    private readonly Gauge.Child _unfinished;
    private readonly Gauge.Child _longest;

    public WorkQueue(string name, TimeProvider? time = null, MetricsRegistry? metrics = null, RateLimiter<TKey>? limiter = null, TimeProvider? retryTime = null)
    {
        Name = name;
        _time = time ?? TimeProvider.System;
        _retryTime = retryTime ?? TimeProvider.System;
        _limiter = limiter ?? new RateLimiter<TKey>(_retryTime);
        _timer = _time.CreateTimer(_ => PromoteDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        metrics ??= new MetricsRegistry();
        _depth = metrics.Gauge("workqueue_depth", "Current depth of workqueue", "name", "controller").WithLabels(name, name);
        _adds = metrics.Counter("workqueue_adds_total", "Total number of adds handled by workqueue", "name", "controller").WithLabels(name, name);
        _retries = metrics.Counter("workqueue_retries_total", "Total number of retries handled by workqueue", "name", "controller").WithLabels(name, name);
        _queueDuration = metrics.Histogram("workqueue_queue_duration_seconds", "How long in seconds an item stays in workqueue before being requested", MetricsRegistry.WorkqueueBuckets, "name", "controller").WithLabels(name, name);
        _workDuration = metrics.Histogram("workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes.", MetricsRegistry.WorkqueueBuckets, "name", "controller").WithLabels(name, name);
        _unfinished = metrics.Gauge("workqueue_unfinished_work_seconds", "How many seconds of work has been done that is in progress and hasn't been observed by work_duration.", "name", "controller").WithLabels(name, name);
        _longest = metrics.Gauge("workqueue_longest_running_processor_seconds", "How many seconds has the longest running processor for workqueue been running.", "name", "controller").WithLabels(name, name);
        metrics.OnScrape(_ => RefreshInFlight());
    }

    public string Name { get; }
    public int Length { get { lock (_gate) return _queue.Count; } }
    public int Waiting { get { lock (_gate) return _waiting.Count; } }
    public bool IsShutDown { get { lock (_gate) return _shutdown; } }

    public void Add(TKey item)
    {
        lock (_gate)
        {
            if (_shutdown) return;
            if (!_dirty.Add(item)) return;
            _adds.Inc();
            _addedAt.TryAdd(item, Stopwatch.GetTimestamp());
            if (_processing.ContainsKey(item)) return;
            _queue.AddLast(item);
            _depth.Set(_queue.Count);
        }
        _available.Release();
    }

    public void AddAfter(TKey item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero) { Add(item); return; }
        lock (_gate)
        {
            if (_shutdown) return;
            _retries.Inc();
            var due = _time.GetUtcNow() + delay;
            if (_waiting.TryGetValue(item, out var existing) && existing <= due) return;
            _waiting[item] = due;
            if (due < _timerDue)
            {
                _timerDue = due;
                _timer.Change(Arm(delay), Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// Timers take at most ~49.7 days; a requeue a year away (a yearly drill) arms the timer for a day at most, and
    /// the wake-up re-arms it for what is left, so a far deadline is kept without a timer that cannot exist.
    /// </summary>
    private static TimeSpan Arm(TimeSpan delay) => delay > MaxTimerDelay ? MaxTimerDelay : delay;

    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(1);

    public void AddRateLimited(TKey item)
    {
        var delay = _limiter.When(item);
        lock (_gate)
        {
            if (_shutdown) return;
            _retries.Inc();
        }
        if (delay <= TimeSpan.Zero) { Add(item); return; }
        _ = Task.Delay(delay, _retryTime).ContinueWith(_ => Add(item), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
    public void Forget(TKey item) => _limiter.Forget(item);
    public int NumRequeues(TKey item) => _limiter.NumRequeues(item);

    /// <summary>Waits for an item; null when the queue is shut down and drained.</summary>
    public async Task<TKey?> GetAsync(CancellationToken ct)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_shutdown && _queue.Count == 0) return default;
            }
            await _available.WaitAsync(ct);
            lock (_gate)
            {
                if (_queue.Count == 0) continue;
                var item = _queue.First!.Value;
                _queue.RemoveFirst();
                _depth.Set(_queue.Count);
                _dirty.Remove(item);
                _processing[item] = Stopwatch.GetTimestamp();
                if (_addedAt.Remove(item, out var added)) _queueDuration.Observe(Stopwatch.GetElapsedTime(added).TotalSeconds);
                return item;
            }
        }
    }

    public void Done(TKey item)
    {
        var requeue = false;
        lock (_gate)
        {
            if (_processing.Remove(item, out var started)) _workDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (_dirty.Contains(item) && !_shutdown)
            {
                _queue.AddLast(item);
                _depth.Set(_queue.Count);
                requeue = true;
            }
        }
        if (requeue) _available.Release();
    }

    public void ShutDown()
    {
        lock (_gate)
        {
            _shutdown = true;
            _queue.Clear();
            _dirty.Clear();
            _waiting.Clear();
            _depth.Set(0);
        }
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _available.Release(1000);
    }

    private void PromoteDue()
    {
        List<TKey> due;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            due = _waiting.Where(w => w.Value <= now).Select(w => w.Key).ToList();
            foreach (var d in due) _waiting.Remove(d);
            _timerDue = _waiting.Count == 0 ? DateTimeOffset.MaxValue : _waiting.Values.Min();
            if (_timerDue != DateTimeOffset.MaxValue)
                _timer.Change(_timerDue - now > TimeSpan.Zero ? Arm(_timerDue - now) : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        foreach (var d in due) Add(d);
    }

    private void RefreshInFlight()
    {
        lock (_gate)
        {
            var ages = _processing.Values.Select(s => Stopwatch.GetElapsedTime(s).TotalSeconds).ToList();
            _unfinished.Set(ages.Sum());
            _longest.Set(ages.Count == 0 ? 0 : ages.Max());
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _available.Dispose();
    }
}
