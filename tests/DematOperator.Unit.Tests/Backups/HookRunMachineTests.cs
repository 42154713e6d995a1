using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Hooks;
using NodaTime;

namespace DematOperator.Tests.Backups;

/// <summary>The order of a run with hooks, table-tested: what comes next after each outcome, and that every freeze is thawed.</summary>
public sealed class HookRunMachineTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 5, 12, 1, 0);

    private static ResolvedHook Hook(string name, bool pre = true, bool post = true, bool continueOnError = false) =>
        new(name, "ns", new WorkloadRef { Kind = "StatefulSet", Name = name }, null, false, pre ? ["lock"] : null, Duration.FromMinutes(1), post ? ["unlock"] : null, Duration.FromMinutes(1), continueOnError);

    private static HookOutcome Ok => new HookOutcome.Ran(true, "exit 0", "pod-0");
    private static HookOutcome Ko => new HookOutcome.Ran(false, "exit 1", "pod-0");

    /// <summary>Runs the machine to its end with the given pre-hook and capture outcomes; returns the actions taken.</summary>
    private static (List<string> Actions, HookRun End) Drive(IReadOnlyList<ResolvedHook> hooks, Func<int, HookOutcome> pre, HookOutcome capture)
    {
        var run = HookRunMachine.Begin("r", new RunOrigin(Now, null), hooks, Now);
        var actions = new List<string>();
        for (var guard = 0; guard < 50; guard++)
        {
            var action = HookRunMachine.Next(run);
            HookOutcome outcome;
            switch (action)
            {
                case HookAction.Pre(var i): actions.Add($"pre {hooks[i].Name}"); outcome = pre(i); break;
                case HookAction.Post(var j): actions.Add($"post {hooks[j].Name}"); outcome = Ok; break;
                case HookAction.Capture: actions.Add("capture"); outcome = new HookOutcome.Started(); break;
                case HookAction.AwaitCapture: actions.Add("cut"); outcome = capture; break;
                default: return (actions, run);
            }
            run = HookRunMachine.Record(run, action, outcome, hooks, Now);
        }
        throw new InvalidOperationException("the machine did not end");
    }

    [Fact]
    public void All_pre_hooks_then_the_capture_then_every_post_hook()
    {
        var (actions, end) = Drive([Hook("mongo"), Hook("pg", post: false)], _ => Ok, new HookOutcome.Captured());
        actions.ShouldBe(["pre mongo", "pre pg", "capture", "cut", "post mongo"]);
        HookRunMachine.Consistency(end).ShouldBe(RecoveryConsistency.Application);
        end.Failure.ShouldBeNull();
    }

    [Fact]
    public void A_failed_pre_hook_with_Fail_stops_freezing_captures_nothing_and_thaws_what_was_attempted()
    {
        var (actions, end) = Drive([Hook("a"), Hook("b"), Hook("c")], i => i == 1 ? Ko : Ok, new HookOutcome.Captured());
        actions.ShouldBe(["pre a", "pre b", "post a", "post b"], "c was never frozen, so it is not thawed; b may have been");
        end.Failure!.ShouldContain("pre-hook b failed");
        end.CaptureTime.ShouldBeNull();
        end.Hooks[2].Post.ShouldBe(HookState.Skipped);
    }

    [Fact]
    public void A_failed_pre_hook_with_Continue_captures_crash_consistent()
    {
        var (actions, end) = Drive([Hook("a", continueOnError: true), Hook("b")], i => i == 0 ? Ko : Ok, new HookOutcome.Captured());
        actions.ShouldBe(["pre a", "pre b", "capture", "cut", "post a", "post b"]);
        HookRunMachine.Consistency(end).ShouldBe(RecoveryConsistency.Crash);
    }

    [Fact]
    public void A_failed_capture_is_thawed_like_a_good_one()
    {
        var (actions, _) = Drive([Hook("a")], _ => Ok, new HookOutcome.CaptureFailed("rbd: image busy"));
        actions.ShouldBe(["pre a", "capture", "cut", "post a"]);
    }

    [Fact]
    public void A_pre_hook_found_running_after_a_restart_counts_as_failed_and_is_thawed_not_repeated()
    {
        var hooks = new[] { Hook("a") };
        var run = HookRunMachine.Starting(HookRunMachine.Begin("r", new RunOrigin(Now, null), hooks, Now), new HookAction.Pre(0));
        var resumed = HookRunMachine.Resume(run, hooks, Now);
        resumed.Hooks[0].Pre.ShouldBe(HookState.Failed);
        HookRunMachine.Next(resumed).ShouldBe(new HookAction.Post(0));
        // A post-hook found running runs again: a thaw is never lost.
        var thawing = HookRunMachine.Starting(resumed, new HookAction.Post(0));
        HookRunMachine.Next(HookRunMachine.Resume(thawing, hooks, Now)).ShouldBe(new HookAction.Post(0));
    }

    [Fact]
    public void Every_pre_hook_attempted_is_thawed_whatever_the_outcomes()
    {
        // Every combination of pre-hook outcomes, onError and capture outcome, for three hooks.
        foreach (var mask in Enumerable.Range(0, 8))
            foreach (var continueOnError in new[] { false, true })
                foreach (var capture in new HookOutcome[] { new HookOutcome.Captured(), new HookOutcome.CaptureFailed("x") })
                {
                    var hooks = new[] { Hook("a", continueOnError: continueOnError), Hook("b", continueOnError: continueOnError), Hook("c", continueOnError: continueOnError) };
                    var (actions, end) = Drive(hooks, i => (mask >> i & 1) == 1 ? Ko : Ok, capture);
                    foreach (var h in hooks.Where(h => actions.Contains($"pre {h.Name}"))) actions.ShouldContain($"post {h.Name}");
                    actions.IndexOf("capture").ShouldBeLessThan(actions.FindIndex(a => a.StartsWith("post", StringComparison.Ordinal)) is var p and >= 0 ? p : int.MaxValue);
                    (end.CaptureTime is null).ShouldBe(!continueOnError && mask != 0, $"mask {mask} continue {continueOnError}");
                }
    }
}
