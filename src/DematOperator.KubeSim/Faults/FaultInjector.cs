using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Faults;

/// <summary>
/// Run-time fault injection for one cluster: error answers by verb and resource, added latency, watch
/// streams cut after some events or some time, a forced 410 on the next watch, and the cluster made
/// unreachable (its listener closed, so clients get "connection refused") and back.
/// </summary>
public sealed class FaultInjector(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly List<ErrorRule> _rules = [];
    private readonly Random _random = new(12345);
    private int _forcedExpiries;

    public sealed class ErrorRule
    {
        public string? Verb { get; init; }
        public string? Resource { get; init; }
        /// <summary>"status", "scale"..., or "" for the main resource only; null matches both.</summary>
        public string? Subresource { get; init; }
        /// <summary>Only requests for this object name (writes, gets).</summary>
        public string? Name { get; init; }
        public double Rate { get; init; } = 1;
        public int Code { get; init; } = 500;
        public int RetryAfterSeconds { get; init; } = 1;
        public int? Remaining { get; set; }
    }

    /// <summary>Latency added before each answer.</summary>
    public TimeSpan Latency { get; set; }
    /// <summary>Watch streams end (connection cut) after this many events.</summary>
    public int? DropWatchesAfterEvents { get; set; }
    /// <summary>Watch streams end (connection cut) after this long.</summary>
    public TimeSpan? DropWatchesAfter { get; set; }

    /// <summary>Raised when reachability changes; the host closes or reopens the cluster's listener.</summary>
    public event Action<bool>? ReachabilityChanged;
    private bool _unreachable;
    public bool Unreachable
    {
        get => _unreachable;
        set
        {
            if (_unreachable == value) return;
            _unreachable = value;
            ReachabilityChanged?.Invoke(value);
        }
    }

    /// <summary>Answers matching requests with <paramref name="code"/> (429 carries Retry-After) at the given rate.</summary>
    public ErrorRule FailRequests(int code, double rate = 1, string? verb = null, string? resource = null, int retryAfterSeconds = 1, int? count = null)
    {
        var rule = new ErrorRule { Code = code, Rate = rate, Verb = verb, Resource = resource, RetryAfterSeconds = retryAfterSeconds, Remaining = count };
        lock (_gate) _rules.Add(rule);
        return rule;
    }

    public void Remove(ErrorRule rule) { lock (_gate) _rules.Remove(rule); }

    public void Clear()
    {
        lock (_gate) _rules.Clear();
        Latency = TimeSpan.Zero;
        DropWatchesAfterEvents = null;
        DropWatchesAfter = null;
        Interlocked.Exchange(ref _forcedExpiries, 0);
        Unreachable = false;
    }

    /// <summary>The next watch that names a resourceVersion gets an in-stream 410 Expired.</summary>
    public void ExpireNextWatch() => Interlocked.Increment(ref _forcedExpiries);

    internal bool TakeForcedExpiry()
    {
        while (true)
        {
            var n = Volatile.Read(ref _forcedExpiries);
            if (n <= 0) return false;
            if (Interlocked.CompareExchange(ref _forcedExpiries, n - 1, n) == n) return true;
        }
    }

    /// <summary>
    /// The next write to one object (by verb, resource, name, subresource) answers 409 Conflict with the registry's
    /// optimistic-lock message, as when someone else updated it between our read and our write.
    /// </summary>
    public ErrorRule ConflictOn(string verb, string resource, string? name = null, string? subresource = null, int count = 1)
    {
        var rule = new ErrorRule { Code = 409, Verb = verb, Resource = resource, Name = name, Subresource = subresource, Remaining = count };
        lock (_gate) _rules.Add(rule);
        return rule;
    }

    internal ApiStatus? NextError(string verb, string resource, string group = "", string? name = null, string? subresource = null)
    {
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if (rule.Verb is not null && rule.Verb != verb) continue;
                if (rule.Resource is not null && rule.Resource != resource) continue;
                if (rule.Subresource is not null && rule.Subresource != (subresource ?? "")) continue;
                if (rule.Name is not null && rule.Name != name) continue;
                if (rule.Remaining is <= 0) continue;
                if (_random.NextDouble() >= rule.Rate) continue;
                if (rule.Remaining is not null) rule.Remaining--;
                return rule.Code switch
                {
                    429 => new ApiStatus(429, ApiStatus.ReasonTooManyRequests, "Too many requests, please try again later.", RetryAfterSeconds: rule.RetryAfterSeconds),
                    503 => new ApiStatus(503, ApiStatus.ReasonServiceUnavailable, "the server is currently unable to handle the request", RetryAfterSeconds: rule.RetryAfterSeconds),
                    409 => ApiStatus.Conflict(resource, group, name ?? ""),
                    504 => new ApiStatus(504, ApiStatus.ReasonTimeout, "the server was unable to return a response in the time allotted, but may still be processing the request"),
                    _ => new ApiStatus(rule.Code, ApiStatus.ReasonInternalError, "Internal error occurred: injected fault"),
                };
            }
        }
        return null;
    }

    internal Task Delay(CancellationToken ct) => Latency > TimeSpan.Zero ? Task.Delay(Latency, time, ct) : Task.CompletedTask;
}
