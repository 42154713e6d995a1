using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Restores.Methods;

/// <summary>What a restore works with: the request, its policy, the chosen run, where from and where to.</summary>
public sealed record RestoreContext(KubeClient Client, RestoreRequest Request, BackupPolicy Policy, ObservedRun Run, string Source, string Target, Instant Now)
{
    /// <summary>Where the restore is written: this cluster, or the one spec.targetCluster names. The recovery point is read on <see cref="Client"/>.</summary>
    public KubeClient TargetClient { get; init; } = Client;
    public bool OtherCluster => !ReferenceEquals(TargetClient, Client);

    /// <summary>Names of what the request creates: from the request, so a restart adopts them.</summary>
    public string ObjectName => KubeNames.Fit($"{Request.Namespace}-{Request.Name}", 63);
    public IReadOnlyList<string>? Kinds => RestoreDecisions.Kinds(Request.Spec);
    public LabelSelector? Selector => Request.Spec.Include?.Selector?.ToSelector();
    public bool Update => Request.Spec.ExistingResourcePolicy == "update";

    /// <summary>On everything the request creates.</summary>
    public Dictionary<string, string> Labels() => new()
    {
        [RestoreMarks.RequestLabel] = RunLabels.LabelValue(Request.Name), [RestoreMarks.RequestNamespaceLabel] = Request.Namespace!,
        ["app.kubernetes.io/managed-by"] = "dematoperator",
    };
}

/// <summary>What the recovery point holds that the selection keeps; <paramref name="Exact"/> when the list is every object (CSI), not a summary.</summary>
public sealed record RestorePlan(List<string> Items, int Count, bool Exact);

public sealed record RestoreProgress(bool Done, string? FailureReason, string Message)
{
    public static RestoreProgress Running(string message) => new(false, null, message);
    public static RestoreProgress Succeeded(string message) => new(true, null, message);
    public static RestoreProgress Failed(string reason, string message) => new(true, reason, message);
}

/// <summary>Restoring from one backup engine's recovery points.</summary>
public interface IRestoreMethod
{
    BackupMethod Method { get; }
    Task<RestorePlan> PlanAsync(RestoreContext cx, CancellationToken ct);
    /// <summary>Objects of the plan that already exist in the target (restoring would overwrite them).</summary>
    Task<List<string>> ConflictsAsync(RestoreContext cx, RestorePlan plan, CancellationToken ct);
    /// <summary>Into another cluster: why the recovery point is not there (null when it is, or on this cluster).</summary>
    Task<string?> MissingOnTargetAsync(RestoreContext cx, CancellationToken ct);
    Task StartAsync(RestoreContext cx, CancellationToken ct);
    Task<RestoreProgress> ObserveAsync(RestoreContext cx, Duration elapsed, Duration timeout, CancellationToken ct);
}

public static class RestoreMarks
{
    public const string RequestLabel = "ops.demat.gouv.fr/restore-request";
    public const string RequestNamespaceLabel = "ops.demat.gouv.fr/restore-request-namespace";
}
