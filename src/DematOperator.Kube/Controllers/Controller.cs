using System.Diagnostics;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Kube.Controllers;

public sealed class ControllerOptions
{
    public int MaxConcurrentReconciles { get; init; } = 1;
    public TimeSpan CacheSyncTimeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Runs only on the elected leader (the default), or on every replica.</summary>
    public bool NeedLeaderElection { get; init; } = true;
    public RateLimiter<ReconcileRequest>? RateLimiter { get; init; }
    /// <summary>Shows a failing reconcile on its object (and clears it once a pass succeeds); none by default.</summary>
    public IReconcileFailureReporter? FailureReporter { get; init; }
}

/// <summary>
/// Where a controller shows that an object's reconcile failed: a reconcile that keeps failing must be visible on the
/// object and in an Event, never only in the operator's log. Called after each failed attempt other than a 409 (which is
/// retried at once and is nobody's business), and once after the first success that follows failures.
/// </summary>
public interface IReconcileFailureReporter
{
    Task FailedAsync(ReconcileRequest request, Exception error, int attempt, CancellationToken ct);
    Task RecoveredAsync(ReconcileRequest request, CancellationToken ct);
}

/// <summary>
/// controller-runtime's controller: sources (informers) feed a work queue of namespaced names; workers
/// call the reconciler; errors requeue with backoff, RequeueAfter delays, terminal errors stop; a panic in
/// one reconcile is isolated. The same key is never reconciled by two workers at once.
/// </summary>
public sealed class Controller
{
    private readonly IReconciler _reconciler;
    private readonly ControllerOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly List<IInformer> _sources = [];
    private readonly Counter _total;
    private readonly Counter.Child _errors;
    private readonly Counter.Child _terminal;
    private readonly Counter.Child _panics;
    private readonly Histogram.Child _duration;
    private readonly Gauge.Child _active;

    public Controller(string name, IReconciler reconciler, ControllerOptions? options = null, MetricsRegistry? metrics = null,
        ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        Name = name;
        _reconciler = reconciler;
        _options = options ?? new ControllerOptions();
        _time = time ?? TimeProvider.System;
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger($"DematOperator.Controller.{name}");
        metrics ??= new MetricsRegistry();
        Queue = new WorkQueue<ReconcileRequest>(name, _time, metrics, _options.RateLimiter);
        _total = metrics.Counter("controller_runtime_reconcile_total", "Total number of reconciliations per controller", "controller", "result");
        foreach (var result in new[] { "success", "error", "requeue", "requeue_after" }) _total.WithLabels(name, result);
        _errors = metrics.Counter("controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller", "controller").WithLabels(name);
        _terminal = metrics.Counter("controller_runtime_terminal_reconcile_errors_total", "Total number of terminal reconciliation errors per controller", "controller").WithLabels(name);
        _panics = metrics.Counter("controller_runtime_reconcile_panics_total", "Total number of reconciliation panics per controller", "controller").WithLabels(name);
        _duration = metrics.Histogram("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller", MetricsRegistry.ReconcileBuckets, "controller").WithLabels(name);
        metrics.Gauge("controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent reconciles per controller", "controller").WithLabels(name).Set(_options.MaxConcurrentReconciles);
        _active = metrics.Gauge("controller_runtime_active_workers", "Number of currently used workers per controller", "controller").WithLabels(name);
    }

    public string Name { get; }
    public WorkQueue<ReconcileRequest> Queue { get; }
    public bool NeedLeaderElection => _options.NeedLeaderElection;
    public long Reconciles { get; private set; }
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ReconcileRequest, long> _inFlight = new();
    /// <summary>Keys whose last attempt failed and was reported: the next success is reported too.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ReconcileRequest, byte> _reportedFailures = new();

    /// <summary>The keys being reconciled now, with how long each has run: a reconcile that ignores cancellation shows here.</summary>
    public string InFlight => string.Join("; ", _inFlight.Select(k => $"{k.Key} for {Stopwatch.GetElapsedTime(k.Value).TotalSeconds:F0} s"));

    /// <summary>Reconciles the object itself on its changes, filtered by a predicate (e.g. generation changed).</summary>
    public Controller For<T>(Informer<T> informer, Func<InformerEvent<T>, bool>? predicate = null) where T : KubeObject =>
        Watches(informer, e => [new ReconcileRequest(e.New.Metadata.Namespace, e.New.Name)], predicate);

    /// <summary>Reconciles the controlling owner of kind <paramref name="ownerKind"/> when an owned object changes.</summary>
    public Controller Owns<T>(Informer<T> informer, string ownerApiVersion, string ownerKind) where T : KubeObject =>
        Watches(informer, e => (e.New.Metadata.OwnerReferences ?? [])
            .Where(o => o.Kind == ownerKind && o.ApiVersion == ownerApiVersion && o.Controller == true)
            .Select(o => new ReconcileRequest(e.New.Metadata.Namespace, o.Name)));

    public Controller Watches<T>(Informer<T> informer, Func<InformerEvent<T>, IEnumerable<ReconcileRequest>> map, Func<InformerEvent<T>, bool>? predicate = null) where T : KubeObject
    {
        _sources.Add(informer);
        informer.AddHandler(e =>
        {
            if (predicate is not null && !predicate(e)) return;
            foreach (var request in map(e)) Queue.Add(request);
        });
        return this;
    }

    /// <summary>Waits for the caches, then runs the workers until cancelled; the queue is shut down on exit.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using (var sync = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            sync.CancelAfter(_options.CacheSyncTimeout);
            try { await Task.WhenAll(_sources.Select(s => s.WaitForSyncAsync(sync.Token))); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"controller {Name}: caches did not sync within {_options.CacheSyncTimeout}: {string.Join(", ", _sources.Where(s => !s.HasSynced).Select(s => s.Description))}");
            }
        }
        _log.LogInformation("starting {Workers} worker(s) for controller {Controller}", _options.MaxConcurrentReconciles, Name);
        using var registration = ct.Register(Queue.ShutDown);
        await Task.WhenAll(Enumerable.Range(0, _options.MaxConcurrentReconciles).Select(_ => Task.Run(() => WorkerAsync(ct), CancellationToken.None)));
    }

    private async Task WorkerAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            ReconcileRequest request;
            try
            {
                var item = await Queue.GetAsync(ct);
                if (item == default && Queue.IsShutDown) return;
                request = item;
            }
            catch (OperationCanceledException) { return; }
            try { await ProcessAsync(request, ct); }
            finally { Queue.Done(request); }
        }
    }

    private async Task ProcessAsync(ReconcileRequest request, CancellationToken ct)
    {
        using var activity = KubeClient.Tracing.StartActivity($"reconcile {Name}");
        activity?.SetTag("controller", Name);
        activity?.SetTag("object", request.ToString());
        using var scope = _log.BeginScope(new Dictionary<string, object> { ["controller"] = Name, ["object"] = request.ToString() });
        using var because = KubeClient.Because($"{Name} reconcile of {request}");
        _active.Add(1);
        var started = Stopwatch.GetTimestamp();
        _inFlight[request] = started;
        try
        {
            Reconciles++;
            var result = await _reconciler.ReconcileAsync(request, ct);
            if (_reportedFailures.TryRemove(request, out _)) await ReportAsync(request, r => r.RecoveredAsync(request, ct));
            if (result.Retry)
            {
                _total.WithLabels(Name, "requeue").Inc();
                Queue.AddRateLimited(request);
                return;
            }
            Queue.Forget(request);
            if (result.RequeueAfter is { } after && after > TimeSpan.Zero)
            {
                _total.WithLabels(Name, "requeue_after").Inc();
                Queue.AddAfter(request, after);
            }
            else _total.WithLabels(Name, "success").Inc();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (TerminalReconcileException e)
        {
            _total.WithLabels(Name, "error").Inc();
            _errors.Inc();
            _terminal.Inc();
            Queue.Forget(request);
            _log.LogError("reconcile of {Object} failed and will not be retried: {Error}", request, e.Message);
        }
        catch (Exception e)
        {
            if (e is not (KubeApiException or KubeConnectionException)) _panics.Inc();
            _total.WithLabels(Name, "error").Inc();
            _errors.Inc();
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            Queue.AddRateLimited(request);
            if (e is KubeApiException { IsConflict: true })
                _log.LogDebug("reconcile of {Object} hit a conflict; requeued", request);
            else
            {
                var attempt = Queue.NumRequeues(request);
                _log.LogWarning(e, "reconcile of {Object} failed (attempt {Attempt}); requeued with backoff", request, attempt);
                if (_options.FailureReporter is not null && await ReportAsync(request, r => r.FailedAsync(request, e, attempt, ct)))
                    _reportedFailures[request] = 0;
            }
        }
        finally
        {
            _inFlight.TryRemove(request, out _);
            _active.Add(-1);
            _duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>Calls the failure reporter; its own failure (the status write is refused too, say) is logged, never thrown.</summary>
    private async Task<bool> ReportAsync(ReconcileRequest request, Func<IReconcileFailureReporter, Task> report)
    {
        if (_options.FailureReporter is not { } reporter) return false;
        try
        {
            await report(reporter);
            return true;
        }
        catch (OperationCanceledException) { return false; }
        catch (Exception e)
        {
            _log.LogWarning("could not show the state of {Object}'s reconcile on it: {Error}", request, e.Message);
            return true;
        }
    }
}

/// <summary>Event filters for primaries, as controller-runtime's predicate package has them.</summary>
public static class Predicates
{
    /// <summary>Creates, deletes, resyncs, and updates that change the spec (generation), deletion state or annotations.</summary>
    public static bool GenerationOrAnnotationsChanged<T>(InformerEvent<T> e) where T : KubeObject
    {
        if (e.Type != InformerEventType.Updated || e.Old is null || ReferenceEquals(e.Old, e.New)) return true;
        var (o, n) = (e.Old.Metadata, e.New.Metadata);
        return o.Generation != n.Generation || (o.DeletionTimestamp is null) != (n.DeletionTimestamp is null)
               || !SameMap(o.Annotations, n.Annotations) || !SameList(o.Finalizers, n.Finalizers);
    }

    private static bool SameMap(Dictionary<string, string>? a, Dictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(p => b!.TryGetValue(p.Key, out var v) && v == p.Value));

    private static bool SameList(List<string>? a, List<string>? b) => (a ?? []).SequenceEqual(b ?? []);
}
