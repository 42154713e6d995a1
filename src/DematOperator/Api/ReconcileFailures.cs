using System.Collections.Concurrent;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Writes;

namespace DematOperator.Api;

/// <summary>The reasons a reconcile that threw is shown with (Ready=False), as people search for them in the docs.</summary>
public static class ReconcileFailureReasons
{
    /// <summary>403: the operator's role (config/rbac) lacks the verb on the resource the message names.</summary>
    public const string Forbidden = "Forbidden";
    /// <summary>401: the operator's credentials were refused.</summary>
    public const string Unauthorized = "Unauthorized";
    /// <summary>The API server is unreachable, overloaded or failing (5xx, 429, a connection error).</summary>
    public const string ApiUnavailable = "ApiUnavailable";
    /// <summary>404 on a resource type: the API (a CRD, an engine) is not installed on that cluster.</summary>
    public const string ApiNotInstalled = "ApiNotInstalled";
    /// <summary>Another answer of the API server the reconcile could not handle.</summary>
    public const string ApiError = "ApiError";
    /// <summary>An error of the operator itself (a bug): the message names it.</summary>
    public const string ReconcileError = "ReconcileError";

    public static readonly IReadOnlySet<string> All =
        new HashSet<string> { Forbidden, Unauthorized, ApiUnavailable, ApiNotInstalled, ApiError, ReconcileError };

    /// <summary>The reason and a message that names what failed, for a reconcile that threw <paramref name="error"/>.</summary>
    public static (string Reason, string Message) Describe(Exception error) => error switch
    {
        KubeApiException { Code: 403 } e =>
            (Forbidden, $"the API server refused the operator: {e.Status.Message} (grant it in the operator's role, config/rbac)"),
        KubeApiException { Code: 401 } e => (Unauthorized, $"the API server did not accept the operator's credentials: {e.Status.Message}"),
        KubeApiException { IsNotFound: true, Status.Name: null } e =>
            (ApiNotInstalled, $"the API server does not serve a resource the operator needs ({e.Status.Message}): is its API installed?"),
        KubeApiException { IsTransient: true } e => (ApiUnavailable, $"the API server answered {e.Code} {e.Status.Reason}: {e.Status.Message}"),
        KubeApiException e => (ApiError, $"the API server answered {e.Code} {e.Status.Reason}: {e.Status.Message}"),
        KubeConnectionException e => (ApiUnavailable, e.Message),
        TimeoutException e => (ApiUnavailable, e.Message),
        _ => (ReconcileError, $"{error.GetType().Name}: {error.Message}"),
    };
}

/// <summary>
/// Shows a failing reconcile on its object: Ready=False with the reason and what failed, one Warning Event per distinct
/// failure (the same mechanism as an invalid spec), within the attempt that failed. The Ready condition the object had
/// before is put back after the next successful pass, unless that pass wrote its own.
/// </summary>
public sealed class ReconcileFailureReporter<T>(KubeClient client, ResourceType<T> type, Func<T, CommonStatus> ensureStatus, EventRecorder events,
    Action<T>? alsoSet = null) : IReconcileFailureReporter where T : KubeObject
{
    private readonly ConcurrentDictionary<ReconcileRequest, Condition?> _readyBefore = new();

    public async Task FailedAsync(ReconcileRequest request, Exception error, int attempt, CancellationToken ct)
    {
        var obj = await client.TryGetAsync(type, request.Namespace, request.Name, ct);
        if (obj is null || obj.IsDeleting) return;
        var ready = Conditions.Find(ensureStatus(ObjectWriter.Copy(type, obj)).Conditions, "Ready");
        if (ready is null || !ReconcileFailureReasons.All.Contains(ready.Reason)) _readyBefore[request] = ready;
        var (reason, message) = ReconcileFailureReasons.Describe(error);
        // The attempt stays out of the message: the same failure again is the same condition and no new Event.
        await InvalidSpec.ReportAsync(client, type, obj, ensureStatus, events, reason, $"{message}; retried with backoff", ct, alsoSet);
    }

    public async Task RecoveredAsync(ReconcileRequest request, CancellationToken ct)
    {
        _readyBefore.TryRemove(request, out var before);
        var obj = await client.TryGetAsync(type, request.Namespace, request.Name, ct);
        if (obj is null || obj.IsDeleting) return;
        var ready = Conditions.Find(ensureStatus(ObjectWriter.Copy(type, obj)).Conditions, "Ready");
        if (ready is null || !ReconcileFailureReasons.All.Contains(ready.Reason)) return;
        await ObjectWriter.UpdateStatusAsync(client, type, obj, o =>
        {
            var conditions = ensureStatus(o).Conditions ??= [];
            var restored = before
                ?? Conditions.Make("Ready", null, "Reconciled", "the error above cleared; the next pass sets this condition", o.Metadata.Generation);
            Conditions.Set(conditions, restored, client.Time.GetUtcNow());
        }, ct);
        await events.NormalAsync(obj, "Recovered", $"the reconcile succeeded again after {ready.Reason}", ct);
    }
}
