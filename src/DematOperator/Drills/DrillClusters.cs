using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.Drills;

/// <summary>The two clusters of a drill: the source (production, may be unreachable: that is a disaster) and the target.</summary>
public sealed class DrillClusters(KubeClient local, RemoteClusters remotes)
{
    public static readonly TimeSpan ReachabilityTimeout = TimeSpan.FromSeconds(10);

    public KubeClient Local => local;

    /// <summary>The recovery cluster; a broken kubeconfig Secret throws <see cref="RemoteClusterException"/> (a configuration error).</summary>
    public async Task<KubeClient> TargetAsync(PraDrill drill, CancellationToken ct) =>
        drill.Spec.Target?.Kubeconfig is { } k ? await remotes.ForSecretAsync(drill.Namespace!, k.Name, k.Key ?? "kubeconfig", k.Context, ct) : local;

    /// <summary>The production cluster's client, or null when its kubeconfig cannot be used.</summary>
    public async Task<KubeClient?> SourceAsync(PraDrill drill, CancellationToken ct)
    {
        if (drill.Spec.Source.Kubeconfig is not { } k) return local;
        try { return await remotes.ForSecretAsync(drill.Namespace!, k.Name, k.Key ?? "kubeconfig", k.Context, ct); }
        catch (RemoteClusterException) { return null; }
    }

    /// <summary>Whether the kubeconfig Secret of the source is usable; throws <see cref="RemoteClusterException"/> with the reason otherwise.</summary>
    public async Task CheckSourceKubeconfigAsync(PraDrill drill, CancellationToken ct)
    {
        if (drill.Spec.Source.Kubeconfig is { } k) await remotes.ForSecretAsync(drill.Namespace!, k.Name, k.Key ?? "kubeconfig", k.Context, ct);
    }

    /// <summary>Runs a read on a cluster that may not answer, within <see cref="ReachabilityTimeout"/>; null when it does not.</summary>
    public static async Task<T?> TryReadAsync<T>(KubeClient? cluster, Func<KubeClient, CancellationToken, Task<T>> read, CancellationToken ct) where T : class
    {
        if (cluster is null) return null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ReachabilityTimeout);
            return await read(cluster, timeout.Token);
        }
        catch (Exception e) when (e is KubeConnectionException or OperationCanceledException or KubeApiException && !ct.IsCancellationRequested) { return null; }
    }

    /// <summary>
    /// The drill's BackupPolicy: on this cluster, else on the source. <c>Known</c> is false when it is not here and the source
    /// does not answer: then nobody can say it is missing.
    /// </summary>
    public async Task<(Backups.BackupPolicy? Policy, bool Known)> BackupPolicyAsync(PraDrill drill, CancellationToken ct)
    {
        if (drill.Spec.Backup.BackupPolicy is not { Length: > 0 } name) return (null, true);
        var ns = drill.Spec.Backup.BackupPolicyNamespace ?? drill.Namespace!;
        if (await local.TryGetAsync(Api.OperatorKinds.BackupPolicies, ns, name, ct) is { } here) return (here, true);
        var found = await TryReadAsync(await SourceAsync(drill, ct), async (c, t) => new[] { await c.TryGetAsync(Api.OperatorKinds.BackupPolicies, ns, name, t) }, ct);
        return found is null ? (null, false) : (found[0], true);
    }

    public async Task<bool> SourceReachableAsync(PraDrill drill, CancellationToken ct) =>
        await TryReadAsync(await SourceAsync(drill, ct), (c, t) => c.ListAsync(Resources.Namespaces, null, new ListRequest(Limit: 1), t), ct) is not null;

    public static async Task<bool> ReachableAsync(KubeClient cluster, CancellationToken ct) =>
        await TryReadAsync(cluster, (c, t) => c.ListAsync(Resources.Namespaces, null, new ListRequest(Limit: 1), t), ct) is not null;
}
