using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Crd;

namespace DematOperator.Api;

/// <summary>A Deployment or StatefulSet, by kind and name, in a namespace given beside it.</summary>
public sealed class WorkloadRef
{
    [RequiredField, EnumValues("Deployment", "StatefulSet")] public string Kind { get; set; } = "";
    [RequiredField] public string Name { get; set; } = "";
}

/// <summary>Commands run in a workload's pods, as `kubectl exec` does: what drills' data checks and backup hooks share.</summary>
public static class PodCommands
{
    /// <summary>The running, ready pods of the workload (chosen by its selector), by name for a stable choice.</summary>
    public static async Task<List<string>> ReadyPodsAsync(KubeClient client, string ns, WorkloadRef workload, CancellationToken ct)
    {
        var kind = workload.Kind == "StatefulSet" ? ForeignKinds.StatefulSets : ForeignKinds.Deployments;
        var owner = await client.TryGetAsync(kind, ns, workload.Name, ct);
        if (owner?.Spec?.Selector is not { } selector) return [];
        var pods = (await client.ListAsync(ForeignKinds.Pods, ns, new ListRequest(selector.ToSelector().ToString()), ct)).Items;
        return [.. pods.Where(p => p.IsRunningAndReady).Select(p => p.Name).Order(StringComparer.Ordinal)];
    }

    /// <summary>Runs the command, giving up after <paramref name="timeout"/>; an API or connection error is a result, not an exception.</summary>
    public static async Task<ExecResult> RunAsync(KubeClient client, string ns, string pod, string? container, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            return await client.ExecAsync(ns, pod, container, command, limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return new ExecResult(null, "", "", $"no answer within {Durations.Human(NodaTime.Duration.FromTimeSpan(timeout))}"); }
        catch (Exception e) when (e is KubeApiException or KubeConnectionException) { return new ExecResult(null, "", "", e.Message); }
    }
}
