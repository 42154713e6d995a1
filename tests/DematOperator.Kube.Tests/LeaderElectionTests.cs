using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.LeaderElection;
using DematOperator.Kube.Metrics;
using DematOperator.TestSupport;

namespace DematOperator.Kube.Tests;

public sealed class LeaderElectionTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private LeaderElectionOptions Options(string lease, string id, bool release = true, int leaseSeconds = 3) => new()
    {
        LeaseName = lease, LeaseNamespace = "default", Identity = id, ReleaseOnCancel = release,
        LeaseDuration = TimeSpan.FromSeconds(leaseSeconds), RenewDeadline = TimeSpan.FromSeconds(leaseSeconds * 2 / 3.0), RetryPeriod = TimeSpan.FromMilliseconds(300),
    };

    private sealed class Candidate : IAsyncDisposable
    {
        public readonly CancellationTokenSource Stop = new();
        public readonly MetricsRegistry Metrics = new();
        public LeaderElector Elector = null!;
        public Task Run = Task.CompletedTask;
        public volatile bool Working;
        /// <summary>Stopwatch timestamp of when this candidate started leading.</summary>
        public long? StartedAt;

        public async ValueTask DisposeAsync()
        {
            Stop.Cancel();
            try { await Run; } catch (OperationCanceledException) { }
        }
    }

    private Candidate Start(string lease, string id, bool release = true, int leaseSeconds = 3, LeaderElectionOptions? options = null)
    {
        var c = new Candidate();
        var client = SimClients.For(sim.Host, "sim");
        c.Elector = new LeaderElector(client, options ?? Options(lease, id, release, leaseSeconds), c.Metrics);
        c.Run = Task.Run(() => c.Elector.RunAsync(async leading =>
        {
            c.Working = true;
            c.StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            try { await Task.Delay(Timeout.Infinite, leading); }
            catch (OperationCanceledException) { }
            finally { c.Working = false; }
        }, c.Stop.Token));
        return c;
    }

    [Fact]
    public async Task Exactly_one_of_two_leads_and_a_killed_leader_is_replaced_within_the_lease_duration()
    {
        await using var a = Start("crash", "a", release: false);
        await using var b = Start("crash", "b", release: false);
        await Eventually.HoldsAsync(() => a.Working || b.Working, "someone leads");
        // Never both, watched continuously over a window that ends on facts, not on a sleep: the leader renewed the
        // Lease three times, the follower retrying (every 300 ms) all along.
        var both = false;
        using (var watching = new CancellationTokenSource())
        {
            var watcher = Task.Run(async () =>
            {
                while (!watching.IsCancellationRequested)
                {
                    if (a.Working && b.Working) both = true;
                    await Task.Delay(5);
                }
            });
            using var admin = SimClients.For(sim.Host, "sim");
            var renewals = new HashSet<DateTimeOffset>();
            await Eventually.HoldsAsync(async () =>
            {
                if ((await admin.GetAsync(Resources.Leases, "default", "crash")).Spec.RenewTime is { } renewed) renewals.Add(renewed);
                return renewals.Count >= 4;
            }, "three renewals by the leader", TimeSpan.FromSeconds(30));
            watching.Cancel();
            await watcher;
        }
        both.ShouldBeFalse("both replicas led at once");
        var (leader, follower) = a.Working ? (a, b) : (b, a);
        leader.Metrics.Scrape().ShouldContain("leader_election_master_status{name=\"crash\"} 1");
        follower.Metrics.Scrape().ShouldContain("leader_election_master_status{name=\"crash\"} 0");
        leader.Stop.Cancel();
        await leader.Run;
        leader.Working.ShouldBeFalse();
        // The killed leader did not release: its last renewal is what the follower must see go stale.
        var left = await SimClients.For(sim.Host, "sim").GetAsync(Resources.Leases, "default", "crash");
        left.Spec.HolderIdentity.ShouldBe(leader.Elector.Identity);
        // Liveness: a generous bound, since a loaded machine only delays the handover.
        await Eventually.HoldsAsync(() => follower.Working, "follower takes over", TimeSpan.FromSeconds(30));
        var lease = await SimClients.For(sim.Host, "sim").GetAsync(Resources.Leases, "default", "crash");
        lease.Spec.HolderIdentity.ShouldBe(follower.Elector.Identity);
        lease.Spec.LeaseTransitions.ShouldBe(1);
        // Safety, client-go's guarantee, whatever the load: the follower acquires only once the record it saw has gone
        // unrenewed for a whole lease duration (3 s), so its acquireTime is at least that long after the last renewal
        // (lease times are microseconds; a millisecond of margin for the rounding).
        (lease.Spec.AcquireTime!.Value - left.Spec.RenewTime!.Value).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3) - TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task A_released_lease_is_taken_at_once()
    {
        // A 15 s lease: taking it "at once" after a release is then clearly not waiting for it to expire.
        await using var a = Start("release", "a", leaseSeconds: 15);
        await Eventually.HoldsAsync(() => a.Working, "a leads");
        await using var b = Start("release", "b", leaseSeconds: 15);
        // b has tried and seen a as the holder: only then does "b does not lead" mean something.
        await Eventually.HoldsAsync(() => b.Elector.ObservedLeader == "a", "b observed a's lease");
        b.Working.ShouldBeFalse();
        var stopped = System.Diagnostics.Stopwatch.GetTimestamp();
        a.Stop.Cancel();
        await a.Run;
        await Eventually.HoldsAsync(() => b.Working, "b takes the released lease");
        // Before the 15 s lease could have expired: b took it because it was released.
        System.Diagnostics.Stopwatch.GetElapsedTime(stopped, b.StartedAt!.Value).ShouldBeLessThan(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_leader_cut_off_from_the_api_stops_working_within_the_renew_deadline()
    {
        await using var a = Start("cutoff", "a");
        await Eventually.HoldsAsync(() => a.Working, "a leads");
        var rule = sim.Cluster.Faults.FailRequests(503, resource: "leases");
        try
        {
            await Eventually.HoldsAsync(() => !a.Working, "leader steps down", TimeSpan.FromSeconds(6));
            await a.Run;
        }
        finally { sim.Cluster.Faults.Remove(rule); }
    }

    [Fact]
    public async Task A_lease_changed_since_it_was_last_read_is_still_released_on_shutdown()
    {
        // Renewals every 20 s: between acquiring and stopping, only the test touches the lease.
        await using var a = Start("stale", "a", options: new LeaderElectionOptions
        {
            LeaseName = "stale", LeaseNamespace = "default", Identity = "a",
            LeaseDuration = TimeSpan.FromSeconds(60), RenewDeadline = TimeSpan.FromSeconds(40), RetryPeriod = TimeSpan.FromSeconds(20),
        });
        await Eventually.HoldsAsync(() => a.Working, "a leads");
        using var admin = SimClients.For(sim.Host, "sim");
        // As a renewal cancelled in flight that still reached the server: the stored lease moves on, a's copy does not.
        var before = await admin.GetAsync(Resources.Leases, "default", "stale");
        await admin.PatchAsync(Resources.Leases, "default", "stale", PatchType.Merge, """{"metadata":{"annotations":{"test.demat/touched":"1"}}}""");
        a.Stop.Cancel();
        await a.Run;
        var after = await admin.GetAsync(Resources.Leases, "default", "stale");
        after.Metadata.ResourceVersion.ShouldNotBe(before.Metadata.ResourceVersion);
        (after.Spec.HolderIdentity ?? "").ShouldBeEmpty("released despite the conflict");
    }
}
