using DematOperator.Kube.Api;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.TestSupport;

namespace DematOperator.Kube.Tests;

public sealed class WorkQueueTests
{
    private static async Task<string?> Next(WorkQueue<string> q, int ms = 2000)
    {
        using var cts = new CancellationTokenSource(ms);
        try { return await q.GetAsync(cts.Token); } catch (OperationCanceledException) { return null; }
    }

    [Fact]
    public async Task A_requeue_months_away_is_kept_and_delivered_on_time_beyond_the_timer_limit()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        using var q = new WorkQueue<string>("t", time: clock);
        q.AddAfter("yearly-drill", TimeSpan.FromDays(112));
        q.AddAfter("soon", TimeSpan.FromHours(1));
        clock.Advance(TimeSpan.FromHours(1));
        (await Next(q)).ShouldBe("soon");
        for (var day = 0; day < 111; day++) clock.Advance(TimeSpan.FromDays(1));
        (await Next(q, 100)).ShouldBeNull("111 days: not yet");
        clock.Advance(TimeSpan.FromHours(23));
        (await Next(q)).ShouldBe("yearly-drill");
    }

    [Fact]
    public async Task Adds_before_processing_collapse_and_order_is_fifo()
    {
        using var q = new WorkQueue<string>("t");
        q.Add("a"); q.Add("b"); q.Add("a");
        q.Length.ShouldBe(2);
        (await Next(q)).ShouldBe("a");
        (await Next(q)).ShouldBe("b");
        (await Next(q, 100)).ShouldBeNull();
    }

    [Fact]
    public async Task An_item_re_added_while_processing_comes_back_only_after_done()
    {
        using var q = new WorkQueue<string>("t");
        q.Add("a");
        var item = await Next(q);
        q.Add("a");
        (await Next(q, 100)).ShouldBeNull();
        q.Done(item!);
        (await Next(q)).ShouldBe("a");
    }

    [Fact]
    public async Task Delayed_adds_keep_the_earliest_time()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        using var q = new WorkQueue<string>("t", time);
        q.AddAfter("a", TimeSpan.FromSeconds(10));
        q.AddAfter("a", TimeSpan.FromSeconds(3));
        q.AddAfter("a", TimeSpan.FromSeconds(20));
        time.Advance(TimeSpan.FromSeconds(2));
        (await Next(q, 100)).ShouldBeNull();
        time.Advance(TimeSpan.FromSeconds(1));
        (await Next(q)).ShouldBe("a");
    }

    [Fact]
    public void Rate_limiter_backs_off_exponentially_per_item_and_forgets()
    {
        var limiter = new RateLimiter<string>(new ManualTimeProvider(), qps: 1000, burst: 1000);
        limiter.When("a").ShouldBe(TimeSpan.FromMilliseconds(5));
        limiter.When("a").ShouldBe(TimeSpan.FromMilliseconds(10));
        limiter.When("a").ShouldBe(TimeSpan.FromMilliseconds(20));
        limiter.When("b").ShouldBe(TimeSpan.FromMilliseconds(5));
        limiter.NumRequeues("a").ShouldBe(3);
        limiter.Forget("a");
        limiter.When("a").ShouldBe(TimeSpan.FromMilliseconds(5));
        for (var i = 0; i < 40; i++) limiter.When("c");
        limiter.When("c").ShouldBe(TimeSpan.FromSeconds(1000));
    }

    [Fact]
    public void Overall_bucket_limits_bursts_of_retries()
    {
        var limiter = new RateLimiter<int>(new ManualTimeProvider());
        for (var i = 0; i < 100; i++) limiter.When(i).ShouldBe(TimeSpan.FromMilliseconds(5));
        limiter.When(1000).ShouldBe(TimeSpan.FromMilliseconds(100));
    }
}

public sealed class ConditionsTests
{
    [Fact]
    public void Transition_time_moves_only_when_status_changes_and_changes_are_reported()
    {
        var list = new List<Condition>();
        var t0 = DateTimeOffset.Parse("2026-01-01T00:00:00.700Z");
        Conditions.Set(list, Conditions.Make("Ready", false, "Pending", "waiting", 1), t0).ShouldBeTrue();
        list[0].LastTransitionTime.ShouldBe(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        Conditions.Set(list, Conditions.Make("Ready", false, "Pending", "waiting", 1), t0.AddMinutes(1)).ShouldBeFalse();
        Conditions.Set(list, Conditions.Make("Ready", false, "Blocked", "other", 2), t0.AddMinutes(2)).ShouldBeTrue();
        list[0].LastTransitionTime.ShouldBe(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        Conditions.Set(list, Conditions.Make("Ready", true, "Ok", "", 2), t0.AddMinutes(3)).ShouldBeTrue();
        list[0].LastTransitionTime.ShouldBe(DateTimeOffset.Parse("2026-01-01T00:03:00Z"));
        Conditions.IsTrue(list, "Ready").ShouldBeTrue();
    }
}
