using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Kube.LeaderElection;

public sealed class LeaderElectionOptions
{
    public required string LeaseName { get; init; }
    public required string LeaseNamespace { get; init; }
    /// <summary>hostname_uuid, as controller-runtime builds it.</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}_{Guid.NewGuid()}";
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
    public bool ReleaseOnCancel { get; init; } = true;

    public void Validate()
    {
        if (LeaseDuration <= RenewDeadline) throw new ArgumentException("leaseDuration must be greater than renewDeadline");
        if (RenewDeadline <= RetryPeriod * 1.2) throw new ArgumentException("renewDeadline must be greater than retryPeriod*JitterFactor(1.2)");
    }
}

/// <summary>
/// client-go's leader election on a coordination.k8s.io/v1 Lease: acquire when the lease is free or its
/// holder has not renewed within leaseDurationSeconds *as observed locally* (clock-skew tolerant), renew
/// every retry period, give up leadership when a renewal cannot succeed within the renew deadline, and
/// release the lease on shutdown so a successor does not wait for it to expire.
/// </summary>
public sealed class LeaderElector
{
    private readonly KubeClient _client;
    private readonly LeaderElectionOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Gauge.Child _masterStatus;
    private readonly Counter.Child _slowpath;
    private Lease? _observed;
    private DateTimeOffset _observedTime;

    public LeaderElector(KubeClient client, LeaderElectionOptions options, MetricsRegistry? metrics = null, ILoggerFactory? loggers = null)
    {
        options.Validate();
        _client = client;
        _options = options;
        _time = client.Time;
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger<LeaderElector>();
        metrics ??= new MetricsRegistry();
        _masterStatus = metrics.Gauge("leader_election_master_status", "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.", "name").WithLabels(options.LeaseName);
        _slowpath = metrics.Counter("leader_election_slowpath_total", "Total number of slow path exercised in renewing leader leases. 'name' is the string used to identify the lease. Please make sure to group by name.", "name").WithLabels(options.LeaseName);
        _masterStatus.Set(0);
    }

    public string Identity => _options.Identity;
    /// <summary>
    /// True while this replica holds the lease and its last successful acquire or renew, counted from before the
    /// request was sent, is less than a lease duration old: no other candidate can take the lease before that (it
    /// waits a lease duration from when it saw our record), so a replica starved of CPU never reads as a second leader.
    /// </summary>
    public bool IsLeader => _leading && _time.GetUtcNow().UtcTicks < Interlocked.Read(ref _leaderUntilTicks);
    private volatile bool _leading;
    private long _leaderUntilTicks;
    public string? ObservedLeader => _observed?.Spec.HolderIdentity;

    /// <summary>
    /// Campaigns until elected, then runs <paramref name="onStartedLeading"/> with a token that is cancelled the
    /// moment leadership is lost or <paramref name="ct"/> ends. Returns when leadership ends.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> onStartedLeading, CancellationToken ct)
    {
        if (!await AcquireAsync(ct)) return;
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var work = Task.Run(() => onStartedLeading(leading.Token), CancellationToken.None);
        try
        {
            await RenewLoopAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down in the middle of a renewal is a normal end, not an error.
        }
        finally
        {
            SetLeader(false);
            leading.Cancel();
            try { await work; } catch (OperationCanceledException) { }
            if (ct.IsCancellationRequested && _options.ReleaseOnCancel) await ReleaseAsync();
        }
    }

    private async Task<bool> AcquireAsync(CancellationToken ct)
    {
        _log.LogInformation("attempting to acquire leader lease {Namespace}/{Name} as {Identity}", _options.LeaseNamespace, _options.LeaseName, Identity);
        while (!ct.IsCancellationRequested)
        {
            bool acquired;
            var attempted = _time.GetUtcNow();
            try { acquired = await TryAcquireOrRenewAsync(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return false; }
            if (acquired)
            {
                Interlocked.Exchange(ref _leaderUntilTicks, (attempted + _options.LeaseDuration).UtcTicks);
                SetLeader(true);
                _log.LogInformation("successfully acquired lease {Namespace}/{Name}", _options.LeaseNamespace, _options.LeaseName);
                return true;
            }
            try { await Task.Delay(Jitter(_options.RetryPeriod), _time, ct); } catch (OperationCanceledException) { return false; }
        }
        return false;
    }

    private async Task RenewLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var deadline = _time.GetUtcNow() + _options.RenewDeadline;
            var renewed = false;
            while (!ct.IsCancellationRequested && _time.GetUtcNow() < deadline)
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(deadline - _time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
                var attempted = _time.GetUtcNow();
                try { renewed = await TryAcquireOrRenewAsync(attempt.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { renewed = false; }
                if (renewed) { Interlocked.Exchange(ref _leaderUntilTicks, (attempted + _options.LeaseDuration).UtcTicks); break; }
                try { await Task.Delay(_options.RetryPeriod, _time, ct); } catch (OperationCanceledException) { return; }
            }
            if (ct.IsCancellationRequested) return;
            if (!renewed)
            {
                _log.LogError("failed to renew lease {Namespace}/{Name} within {Deadline}: leader election lost", _options.LeaseNamespace, _options.LeaseName, _options.RenewDeadline);
                return;
            }
            try { await Task.Delay(_options.RetryPeriod, _time, ct); } catch (OperationCanceledException) { return; }
        }
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var seconds = (int)_options.LeaseDuration.TotalSeconds;
        try
        {
            // Fast path: we lead and our record is fresh; renew with the cached object (its resourceVersion guards us).
            if (IsLeader && _observed is not null && _observedTime + _options.LeaseDuration > now)
            {
                var renewed = Clone(_observed);
                renewed.Spec.RenewTime = now;
                renewed.Spec.LeaseDurationSeconds = seconds;
                try
                {
                    Observe(await _client.UpdateAsync(Resources.Leases, renewed, ct));
                    return true;
                }
                catch (KubeApiException) { _slowpath.Inc(); }
                catch (KubeConnectionException) { _slowpath.Inc(); }
            }
            var current = await _client.TryGetAsync(Resources.Leases, _options.LeaseNamespace, _options.LeaseName, ct);
            if (current is null)
            {
                var lease = new Lease
                {
                    Metadata = new ObjectMeta { Name = _options.LeaseName, Namespace = _options.LeaseNamespace },
                    Spec = new LeaseSpec { HolderIdentity = Identity, LeaseDurationSeconds = seconds, AcquireTime = now, RenewTime = now, LeaseTransitions = 0 },
                };
                Observe(await _client.CreateAsync(Resources.Leases, lease, ct));
                return true;
            }
            if (_observed is null || _observed.Metadata.ResourceVersion != current.Metadata.ResourceVersion
                                  || !SameRecord(_observed.Spec, current.Spec))
                Observe(current);
            var holder = current.Spec.HolderIdentity;
            var duration = TimeSpan.FromSeconds(current.Spec.LeaseDurationSeconds ?? seconds);
            if (!string.IsNullOrEmpty(holder) && holder != Identity && _observedTime + duration > now)
            {
                if (_leading) SetLeader(false);
                return false;
            }
            var next = Clone(current);
            if (holder == Identity)
            {
                next.Spec.RenewTime = now;
                next.Spec.LeaseDurationSeconds = seconds;
            }
            else
            {
                next.Spec = new LeaseSpec
                {
                    HolderIdentity = Identity, LeaseDurationSeconds = seconds, AcquireTime = now, RenewTime = now,
                    LeaseTransitions = (current.Spec.LeaseTransitions ?? 0) + 1,
                };
            }
            Observe(await _client.UpdateAsync(Resources.Leases, next, ct));
            return true;
        }
        catch (KubeApiException e)
        {
            _log.LogDebug("lease {Name} not acquired: {Error}", _options.LeaseName, e.Message);
            return false;
        }
        catch (KubeConnectionException e)
        {
            _log.LogWarning("lease {Name} not reachable: {Error}", _options.LeaseName, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Gives the lease up on shutdown so a follower takes it at once. A renewal cancelled mid-flight may still have
    /// reached the server, leaving our copy one resourceVersion behind: on 409 the lease is read again and, if it
    /// is still ours, released from that copy.
    /// </summary>
    private async Task ReleaseAsync()
    {
        if (_observed is null || _observed.Spec.HolderIdentity != Identity) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var current = _observed;
        for (var attempt = 1; ; attempt++)
        {
            var released = Clone(current);
            released.Spec.HolderIdentity = null;
            released.Spec.LeaseDurationSeconds = 1;
            released.Spec.RenewTime = _time.GetUtcNow();
            try
            {
                await _client.UpdateAsync(Resources.Leases, released, timeout.Token);
                _log.LogInformation("released lease {Namespace}/{Name}", _options.LeaseNamespace, _options.LeaseName);
                return;
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < 3)
            {
                try { current = await _client.GetAsync(Resources.Leases, _options.LeaseNamespace, _options.LeaseName, timeout.Token); }
                catch (Exception read) when (read is KubeApiException or KubeConnectionException or OperationCanceledException)
                {
                    _log.LogWarning("could not release lease {Name}: {Error}", _options.LeaseName, read.Message);
                    return;
                }
                if (current.Spec.HolderIdentity != Identity) return;
            }
            catch (Exception e) when (e is KubeApiException or KubeConnectionException or OperationCanceledException)
            {
                _log.LogWarning("could not release lease {Name}: {Error}", _options.LeaseName, e.Message);
                return;
            }
        }
    }

    private void Observe(Lease lease)
    {
        _observed = lease;
        _observedTime = _time.GetUtcNow();
    }

    private void SetLeader(bool leading)
    {
        _leading = leading;
        _masterStatus.Set(leading ? 1 : 0);
    }

    private static bool SameRecord(LeaseSpec a, LeaseSpec b) =>
        a.HolderIdentity == b.HolderIdentity && a.RenewTime == b.RenewTime && a.AcquireTime == b.AcquireTime && a.LeaseTransitions == b.LeaseTransitions;

    private static Lease Clone(Lease l) => new()
    {
        ApiVersion = l.ApiVersion, Kind = l.Kind,
        Metadata = new ObjectMeta { Name = l.Metadata.Name, Namespace = l.Metadata.Namespace, ResourceVersion = l.Metadata.ResourceVersion, Uid = l.Metadata.Uid, Labels = l.Metadata.Labels, Annotations = l.Metadata.Annotations },
        Spec = new LeaseSpec
        {
            HolderIdentity = l.Spec.HolderIdentity, LeaseDurationSeconds = l.Spec.LeaseDurationSeconds, AcquireTime = l.Spec.AcquireTime,
            RenewTime = l.Spec.RenewTime, LeaseTransitions = l.Spec.LeaseTransitions,
        },
    };

    private static TimeSpan Jitter(TimeSpan d) => d + TimeSpan.FromTicks((long)(d.Ticks * 1.2 * Random.Shared.NextDouble()));
}
