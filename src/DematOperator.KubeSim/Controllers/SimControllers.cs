using System.Threading.Channels;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>
/// A controller the emulator plays in place of kube-controller-manager, the CSI snapshotter, Velero, Kasten
/// K10 or the OpenShift router. It sees every committed change and may write through the cluster like any client.
/// </summary>
public abstract class SimController
{
    public abstract string Name { get; }
    public bool Enabled { get; set; } = true;
    /// <summary>Called for each committed change, in order, on the controllers' loop.</summary>
    public abstract Task OnChangeAsync(SimCluster cluster, StoreEvent change, CancellationToken ct);
    /// <summary>Called periodically, for work that waits on time (delays) or on other objects.</summary>
    public virtual Task OnTickAsync(SimCluster cluster, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Runs the simulated controllers of one cluster on one background loop.</summary>
public sealed class SimControllers : IAsyncDisposable
{
    private readonly SimCluster _cluster;
    private readonly Channel<StoreEvent> _changes = Channel.CreateUnbounded<StoreEvent>(new() { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public SimControllers(SimCluster cluster)
    {
        _cluster = cluster;
        GarbageCollector = new GarbageCollector();
        Workloads = new WorkloadController();
        Snapshots = new CsiSnapshotController();
        Velero = new VeleroController();
        Routes = new RouteController();
        Kasten = new KastenController();
        All = [GarbageCollector, Workloads, Snapshots, Velero, Kasten, Routes];
        cluster.Committed += e => _changes.Writer.TryWrite(e);
    }

    public GarbageCollector GarbageCollector { get; }
    public WorkloadController Workloads { get; }
    public CsiSnapshotController Snapshots { get; }
    public VeleroController Velero { get; }
    public RouteController Routes { get; }
    public KastenController Kasten { get; }
    public IReadOnlyList<SimController> All { get; }
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    public void Start() => _loop ??= Task.Run(RunAsync);

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        var nextTick = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TickInterval);
                try { await _changes.Reader.WaitToReadAsync(wait.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
                while (_changes.Reader.TryRead(out var change))
                    foreach (var c in All)
                        if (c.Enabled) await Guard(c, () => c.OnChangeAsync(_cluster, change, ct));
                if (DateTime.UtcNow >= nextTick)
                {
                    foreach (var c in All)
                        if (c.Enabled) await Guard(c, () => c.OnTickAsync(_cluster, ct));
                    nextTick = DateTime.UtcNow + TickInterval;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        }
    }

    /// <summary>A failing simulated controller must not stop the others (its error is the test's to see).</summary>
    private static async Task Guard(SimController controller, Func<Task> action)
    {
        try { await action(); }
        catch (OperationCanceledException) { throw; }
        catch (Exception e)
        {
            LastErrors.Enqueue($"{controller.Name}: {e.Message}");
            while (LastErrors.Count > 50) LastErrors.TryDequeue(out _);
        }
    }

    public static System.Collections.Concurrent.ConcurrentQueue<string> LastErrors { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) try { await _loop; } catch (OperationCanceledException) { }
    }
}
