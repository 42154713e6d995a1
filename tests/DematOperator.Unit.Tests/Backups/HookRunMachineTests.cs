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

    private static string Steps(HookRun run) => string.Join(" | ", run.Hooks.Select(h => $"{h.Name} {h.Pod} {h.Pre}/{h.Post} {h.Message}"));

    /// <summary>Everything a run records, step by step, written by hand: what `kubectl get bp -o yaml` shows of a run with hooks.</summary>
    [Fact]
    public void A_run_records_each_hook_s_pod_states_and_messages()
    {
        ResolvedHook[] hooks = [Hook("a"), Hook("b", pre: false), Hook("c", post: false), Hook("d", continueOnError: true)];
        var origin = new RunOrigin(Now - Duration.FromMinutes(1), "request-7");
        var run = HookRunMachine.Begin("run-1", origin, hooks, Now);
        (run.Run, run.Slot, run.RunNowRequest, run.Phase, run.StartTime, run.CaptureTime, run.Failure)
            .ShouldBe(("run-1", (Now - Duration.FromMinutes(1)).ToDateTimeOffset(), "request-7", HookPhase.Quiescing, Now.ToDateTimeOffset(), null, null));
        Steps(run).ShouldBe("a  Pending/Pending  | b  Skipped/Pending  | c  Pending/Skipped  | d  Pending/Pending ");
        var at = Now;
        HookRun Step(HookAction expected, HookOutcome outcome)
        {
            HookRunMachine.Next(run).ShouldBe(expected);
            at += Duration.FromSeconds(10);
            return run = HookRunMachine.Record(HookRunMachine.Starting(run, expected), expected, outcome, hooks, at);
        }
        Step(new HookAction.Pre(0), new HookOutcome.Ran(true, "locked", "a-0"));
        Step(new HookAction.Pre(2), new HookOutcome.Ran(true, "flushed", "c-0"));
        Step(new HookAction.Pre(3), new HookOutcome.Ran(false, "exit 1", "d-0"));
        Step(new HookAction.Capture(), new HookOutcome.Started());
        (run.Phase, run.CaptureTime).ShouldBe((HookPhase.Capturing, (Now + Duration.FromSeconds(40)).ToDateTimeOffset()));
        Step(new HookAction.AwaitCapture(), new HookOutcome.Captured());
        Step(new HookAction.Post(0), new HookOutcome.Ran(true, "unlocked", "a-1"));
        Step(new HookAction.Post(1), new HookOutcome.Ran(false, "exit 2", "b-1"));
        Step(new HookAction.Post(3), new HookOutcome.Ran(true, "resumed", "d-1"));
        HookRunMachine.Next(run).ShouldBe(new HookAction.Finished());
        Steps(run).ShouldBe("a a-0 Succeeded/Succeeded pre: locked; post: unlocked | b b-1 Skipped/Failed post: exit 2 | c c-0 Succeeded/Skipped pre: flushed"
                            + " | d d-0 Failed/Succeeded pre: exit 1; post: resumed");
        run.Failure.ShouldBeNull("d's pre-hook may fail (continueOnError)");
        HookRunMachine.Consistency(run).ShouldBe(RecoveryConsistency.Crash, "d's freeze failed");
    }

    [Fact]
    public void A_failed_pre_hook_names_itself_and_a_restart_during_one_fails_it()
    {
        ResolvedHook[] hooks = [Hook("mongodb"), Hook("rabbitmq")];
        var run = HookRunMachine.Begin("run-2", new RunOrigin(Now, null), hooks, Now);
        run = HookRunMachine.Starting(run, new HookAction.Pre(0));
        Steps(run).ShouldBe("mongodb  Running/Pending  | rabbitmq  Pending/Pending ");
        var resumed = HookRunMachine.Resume(run, hooks, Now);
        resumed.Failure.ShouldBe("pre-hook mongodb failed: interrupted while it ran (the operator stopped): its effect is unknown");
        Steps(resumed).ShouldBe("mongodb  Failed/Pending pre: interrupted while it ran (the operator stopped): its effect is unknown | rabbitmq  Pending/Skipped ");
        (resumed.Phase, HookRunMachine.Next(resumed)).ShouldBe((HookPhase.Thawing, new HookAction.Post(0)));
        HookRunMachine.Resume(resumed, hooks, Now).ShouldBeSameAs(resumed, "nothing was running: nothing to resume");
    }

    [Fact]
    public void Consistency_is_application_when_every_attempted_freeze_succeeded()
    {
        HookRun With(params HookState[] pres) => new() { Hooks = [.. pres.Select((p, i) => new HookStep { Name = $"h{i}", Pre = p })] };
        HookRunMachine.Consistency(With(HookState.Succeeded, HookState.Skipped)).ShouldBe(RecoveryConsistency.Application);
        HookRunMachine.Consistency(With(HookState.Succeeded, HookState.Succeeded)).ShouldBe(RecoveryConsistency.Application);
        HookRunMachine.Consistency(With(HookState.Skipped, HookState.Skipped)).ShouldBe(RecoveryConsistency.Crash, "no freeze at all");
        HookRunMachine.Consistency(With(HookState.Succeeded, HookState.Failed)).ShouldBe(RecoveryConsistency.Crash);
        HookRunMachine.Consistency(With(HookState.Succeeded, HookState.Running)).ShouldBe(RecoveryConsistency.Crash);
        HookRunMachine.Consistency(With()).ShouldBe(RecoveryConsistency.Crash);
    }
}
