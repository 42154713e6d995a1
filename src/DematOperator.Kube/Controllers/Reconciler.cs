namespace DematOperator.Kube.Controllers;

/// <summary>What to reconcile: a namespaced name, never the event that woke us (level-triggered).</summary>
public readonly record struct ReconcileRequest(string? Namespace, string Name)
{
    public override string ToString() => string.IsNullOrEmpty(Namespace) ? Name : $"{Namespace}/{Name}";
}

/// <summary>
/// What the controller does next with the object: nothing, come back after a delay (on the injected clock), or retry
/// with the rate limiter's backoff at once (controller-runtime's Requeue: a write lost a 409 race and the rest of the
/// pass was kept).
/// </summary>
public sealed record ReconcileResult(TimeSpan? RequeueAfter = null, bool Retry = false)
{
    public static readonly ReconcileResult Done = new();
    public static readonly ReconcileResult RetrySoon = new(Retry: true);
    public static ReconcileResult After(TimeSpan delay) => new(delay);
}

public interface IReconciler
{
    Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct);
}

/// <summary>An error that retrying cannot fix (bad input): counted, logged, never requeued.</summary>
public sealed class TerminalReconcileException(string message, Exception? inner = null) : Exception(message, inner);
