using DematOperator.Kube.Manager;
using DematOperator.Kube.Metrics;
using DematOperator.KubeSim.Hosting;

namespace DematOperator.Kube.Tests;

public sealed class MemoryTrimmerTests
{
    private const long MiB = 1 << 20;
    private static readonly DateTimeOffset Now = new(2026, 6, 2, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(212, 2, null, true)]       // after a burst: far more committed than used
    [InlineData(212, 2, 1.5, false)]       // but not twice within two minutes
    [InlineData(212, 2, 2.0, true)]
    [InlineData(40, 2, null, false)]       // a small slack is not worth a full collection
    [InlineData(160, 100, null, false)]    // a big heap that uses what it holds
    [InlineData(300, 200, null, false)]    // more than 48 MiB of slack, but less than half unused
    [InlineData(300, 120, null, true)]
    public void A_trim_runs_only_when_much_more_is_committed_than_used_and_not_too_often(long committedMiB, long heapMiB, double? minutesSinceLast, bool trims) =>
        MemoryTrimPolicy.ShouldTrim(new HeapFacts(committedMiB * MiB, heapMiB * MiB), Now, minutesSinceLast is { } m ? Now.AddMinutes(-m) : null).ShouldBe(trims);

    [Fact]
    public async Task The_trimmer_checks_every_minute_on_the_injected_clock_and_counts_its_trims()
    {
        var clock = new ManualTimeProvider(Now);
        var metrics = new MetricsRegistry();
        var facts = new HeapFacts(200 * MiB, 4 * MiB);
        var trims = 0;
        var reads = 0;
        var trimmer = new MemoryTrimmer(clock, metrics, read: () => { Interlocked.Increment(ref reads); return facts; },
            trim: () => { trims++; facts = new HeapFacts(20 * MiB, 4 * MiB); });
        using var stop = new CancellationTokenSource();
        var running = trimmer.RunAsync(stop.Token);
        metrics.Scrape().ShouldContain("dematoperator_memory_trims_total 0");

        clock.Advance(TimeSpan.FromSeconds(59));
        trims.ShouldBe(0, "no check before the interval");
        clock.Advance(TimeSpan.FromSeconds(1));
        await DematOperator.TestSupport.Eventually.HoldsAsync(() => trims == 1, "trimmed at the first check");
        metrics.Scrape().ShouldContain("dematoperator_memory_trims_total 1");

        // Memory piles up again a minute later: the loop's check runs (it reads the heap) and declines.
        facts = new HeapFacts(200 * MiB, 4 * MiB);
        var readsBefore = Volatile.Read(ref reads);
        clock.Advance(TimeSpan.FromMinutes(1));
        await DematOperator.TestSupport.Eventually.HoldsAsync(() => Volatile.Read(ref reads) > readsBefore, "the loop's check at two minutes ran");
        trims.ShouldBe(1, "checked, and declined: two minutes have not passed since the last trim");
        trimmer.Check().ShouldBeFalse("two minutes have not passed");
        stop.Cancel();
        await running;
        trims.ShouldBe(1);
    }

    /// <summary>
    /// The real read, not a stand-in: 256 MiB kept alive across a full collection show in the heap the GC reports, and the
    /// memory committed is never below that heap. (Other tests allocate beside this one: the bound leaves them 56 MiB.)
    /// </summary>
    [Fact]
    public void The_real_read_sees_what_the_heap_holds()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = MemoryTrimmer.ReadHeap();
        var kept = Enumerable.Range(0, 256).Select(_ => new byte[MiB]).ToList();
        foreach (var block in kept) block[^1] = 1;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var during = MemoryTrimmer.ReadHeap();
        (during.HeapBytes - before.HeapBytes).ShouldBeGreaterThan(200 * MiB);
        during.CommittedBytes.ShouldBeGreaterThanOrEqualTo(during.HeapBytes);
        GC.KeepAlive(kept);
    }
}
