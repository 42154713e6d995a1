using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>
/// One drill at a time per recovery cluster: two runs would stop the same test environments and restore into the
/// same namespaces. The lock is a Lease on the target, next to the backup engine (Velero or K10), held by the run (`namespace/drill/run`)
/// from Preflight to the end of the run. A holder whose drill no longer runs that run (deleted, or it ended while
/// the operator was down) is taken over at once; a holder this operator cannot see (another cluster's operator)
/// only once its lease has expired.
/// </summary>
public sealed class DrillLock(KubeClient local)
{
    public const string LeaseName = "dematoperator-pra-drill";

    /// <summary>Takes the lock for the run; returns null when held, or the holder that keeps it.</summary>
    public async Task<string?> TryAcquireAsync(KubeClient target, string veleroNamespace, string runKey, Duration hold, Instant now, CancellationToken ct)
    {
        var lease = await target.TryGetAsync(Resources.Leases, veleroNamespace, LeaseName, ct);
        var spec = new LeaseSpec
        {
            HolderIdentity = runKey,
            LeaseDurationSeconds = (int)Math.Min(int.MaxValue, hold.TotalSeconds),
            AcquireTime = now.ToDateTimeOffset(),
            RenewTime = now.ToDateTimeOffset(),
        };
        if (lease is null)
        {
            try
            {
                await target.CreateAsync(Resources.Leases, new Lease { Metadata = new ObjectMeta { Name = LeaseName, Namespace = veleroNamespace }, Spec = spec }, ct);
                return null;
            }
            catch (KubeApiException e) when (e.IsAlreadyExists) { return "another run (it took the lock at the same moment)"; }
        }
        var holder = lease.Spec.HolderIdentity;
        if (holder == runKey) return null;
        if (!string.IsNullOrEmpty(holder) && await HolderRunsAsync(lease, holder, now, ct)) return holder;
        spec.LeaseTransitions = (lease.Spec.LeaseTransitions ?? 0) + 1;
        lease.Spec = spec;
        try
        {
            await target.UpdateAsync(Resources.Leases, lease, ct);
            return null;
        }
        catch (KubeApiException e) when (e.IsConflict) { return "another run (it took the lock at the same moment)"; }
    }

    /// <summary>Gives the lock back if this run holds it. Deleting with the lease's uid never removes another run's lock.</summary>
    public static async Task ReleaseAsync(KubeClient target, string veleroNamespace, string runKey, CancellationToken ct)
    {
        var lease = await target.TryGetAsync(Resources.Leases, veleroNamespace, LeaseName, ct);
        if (lease?.Spec.HolderIdentity != runKey) return;
        try { await target.DeleteAsync(Resources.Leases, veleroNamespace, LeaseName, new DeleteRequest(PreconditionUid: lease.Metadata.Uid, PreconditionResourceVersion: lease.Metadata.ResourceVersion), ct); }
        catch (KubeApiException e) when (e.IsNotFound || e.IsConflict) { }
    }

    private async Task<bool> HolderRunsAsync(Lease lease, string holder, Instant now, CancellationToken ct)
    {
        var parts = holder.Split('/');
        if (parts.Length == 3)
        {
            var drill = await local.TryGetAsync(Api.OperatorKinds.PraDrills, parts[0], parts[1], ct);
            if (drill is not null) return drill.Status?.CurrentRun?.Name == parts[2];
        }
        var renewed = lease.Spec.RenewTime ?? lease.Spec.AcquireTime;
        return renewed is { } r && now < Instant.FromDateTimeOffset(r) + Duration.FromSeconds(lease.Spec.LeaseDurationSeconds ?? 0);
    }
}
