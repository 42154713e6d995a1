namespace DematOperator.TestSupport;

/// <summary>Controllers (and their informers) running in a test until disposed: stops them, waits for them, then disposes what they used.</summary>
public sealed class RunningOperator(Task run, CancellationTokenSource stop, params IDisposable[] owned) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        try { await run; } catch (OperationCanceledException) { }
        foreach (var o in owned) o.Dispose();
        stop.Dispose();
    }
}
