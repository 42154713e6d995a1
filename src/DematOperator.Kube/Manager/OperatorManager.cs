using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Health;
using DematOperator.Kube.Informers;
using DematOperator.Kube.LeaderElection;
using DematOperator.Kube.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Kube.Manager;

public sealed class ManagerOptions
{
    public LeaderElectionOptions? LeaderElection { get; init; }
    /// <summary>Liveness fails when an informer has been disconnected longer than this.</summary>
    public TimeSpan WatchDeadAfter { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Raised when this replica loses the lease: like controller-runtime, the process should exit and restart.</summary>
public sealed class LeaderElectionLostException() : Exception("leader election lost");

/// <summary>A controller or runnable of the leader failed (e.g. its caches never synced): the process must restart.</summary>
public sealed class ManagerRunnableFailedException(Exception inner) : Exception($"a controller or runnable failed: {inner.Message}", inner);

/// <summary>
/// controller-runtime's manager: starts the informers at once (so a standby replica has warm caches), and the
/// controllers only while this replica holds the lease. Losing the lease stops every reconciler at once.
/// Provides the readiness (caches synced) and liveness (no watch dead too long) checks.
/// </summary>
public sealed class OperatorManager
{
    private readonly ManagerOptions _options;
    private readonly ILogger _log;
    private readonly ILoggerFactory _loggers;
    private readonly List<IInformer> _informers = [];
    private readonly List<Controller> _controllers = [];
    private readonly List<(string Name, Func<CancellationToken, Task> Run, bool NeedLeader)> _runnables = [];
    private readonly TimeProvider _time;

    public OperatorManager(KubeClient client, MetricsRegistry metrics, ManagerOptions? options = null, ILoggerFactory? loggers = null)
    {
        Client = client;
        Metrics = metrics;
        _options = options ?? new ManagerOptions();
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _log = _loggers.CreateLogger<OperatorManager>();
        _time = client.Time;
        if (_options.LeaderElection is { } le) Elector = new LeaderElector(client, le, metrics, _loggers);
        Healthz = new HealthEndpoint([new HealthCheck("ping", () => null), new HealthCheck("informers", WatchesAlive)]);
        Readyz = new HealthEndpoint([new HealthCheck("ping", () => null), new HealthCheck("informers-synced", CachesSynced)]);
    }

    public KubeClient Client { get; }
    public MetricsRegistry Metrics { get; }
    public LeaderElector? Elector { get; }
    public HealthEndpoint Healthz { get; }
    public HealthEndpoint Readyz { get; }
    public IReadOnlyList<Controller> Controllers => _controllers;

    public Informer<T> AddInformer<T>(Informer<T> informer) where T : Api.KubeObject
    {
        _informers.Add(informer);
        return informer;
    }

    public void AddInformer(IInformer informer) => _informers.Add(informer);
    public void AddController(Controller controller) => _controllers.Add(controller);
    public void AddRunnable(string name, Func<CancellationToken, Task> run, bool needLeaderElection) => _runnables.Add((name, run, needLeaderElection));

    private CancellationTokenSource? _stop;
    private Exception? _failure;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _running = new();

    /// <summary>What this manager still runs (informers, controllers, runnables, the election): a shutdown that hangs says what it waits for.</summary>
    public IReadOnlyList<string> StillRunning => [.. _running.Where(r => !r.Value.IsCompleted).Select(r => r.Key).Order(StringComparer.Ordinal)];

    private Task Track(string name, Func<Task> run)
    {
        var task = Task.Run(run, CancellationToken.None);
        _running[name] = task;
        return task;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _stop = stop;
        var informers = _informers.Select(i => Track($"informer {i.Description}", () => i.RunAsync(stop.Token))).ToList();
        var always = _controllers.Where(c => !c.NeedLeaderElection).Select(c => Track($"controller {c.Name}", () => c.RunAsync(stop.Token)))
            .Concat(_runnables.Where(r => !r.NeedLeader).Select(r => Track($"runnable {r.Name}", () => r.Run(stop.Token)))).ToList();
        try
        {
            if (Elector is null) await RunLeaderWorkAsync(stop.Token);
            else
            {
                await Track("leader election", () => Elector.RunAsync(RunLeaderWorkAsync, stop.Token));
                if (_failure is not null) throw new ManagerRunnableFailedException(_failure);
                if (!ct.IsCancellationRequested) throw new LeaderElectionLostException();
            }
            if (_failure is not null) throw new ManagerRunnableFailedException(_failure);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
            throw new ManagerRunnableFailedException(_failure);
        }
        finally
        {
            stop.Cancel();
            await Quietly(informers.Concat(always));
        }
    }

    private async Task RunLeaderWorkAsync(CancellationToken leading)
    {
        _log.LogInformation("leading: starting {Count} controller(s)", _controllers.Count(c => c.NeedLeaderElection));
        var pending = _controllers.Where(c => c.NeedLeaderElection).Select(c => Track($"controller {c.Name}", () => c.RunAsync(leading)))
            .Concat(_runnables.Where(r => r.NeedLeader).Select(r => Track($"runnable {r.Name}", () => r.Run(leading)))).ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.Exception?.InnerException is { } e and not OperationCanceledException && !leading.IsCancellationRequested)
            {
                // As controller-runtime: a leader whose controller died (caches never synced...) must not keep the
                // lease doing nothing. Stop everything, give the lease up, and let the process restart.
                _log.LogError(e, "a controller or runnable failed: stopping the manager");
                _failure = e;
                _stop?.Cancel();
                break;
            }
        }
        await Quietly(pending);
    }

    private async Task Quietly(IEnumerable<Task> tasks)
    {
        foreach (var t in tasks)
        {
            try { await t; }
            catch (OperationCanceledException) { }
            catch (Exception e) { _log.LogError(e, "a manager task failed"); }
        }
    }

    private string? CachesSynced()
    {
        var pending = _informers.Where(i => !i.HasSynced).Select(i => i.Description).ToList();
        return pending.Count == 0 ? null : $"not synced: {string.Join(", ", pending)}";
    }

    private string? WatchesAlive()
    {
        var now = _time.GetUtcNow();
        var dead = _informers.Where(i => i.DisconnectedSince is { } since && now - since > _options.WatchDeadAfter).Select(i => i.Description).ToList();
        return dead.Count == 0 ? null : $"disconnected for more than {_options.WatchDeadAfter}: {string.Join(", ", dead)}";
    }
}
