using DematOperator.Kube.Crd;
using NodaTime;

namespace DematOperator.Backups.Hooks;

public enum HookPhase { Quiescing, Capturing, Thawing }

public enum HookState { Pending, Running, Succeeded, Failed, Skipped }

public enum RecoveryConsistency { Crash, Application }

/// <summary>A run with hooks in flight: its freeze, capture and thaw, one write per step, so a restart resumes it.</summary>
public sealed class HookRun
{
    public string Run { get; set; } = "";
    public DateTimeOffset Slot { get; set; }
    public string? RunNowRequest { get; set; }
    public HookPhase Phase { get; set; }
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset? CaptureTime { get; set; }
    public List<HookStep> Hooks { get; set; } = [];
    [Doc("Why the run ends without a capture (a pre-hook failed with onError Fail).")] public string? Failure { get; set; }
}

public sealed class HookStep
{
    public string Name { get; set; } = "";
    public string? Pod { get; set; }
    public HookState Pre { get; set; }
    public HookState Post { get; set; }
    public string? Message { get; set; }
}

/// <summary>What to do next for a run with hooks.</summary>
public abstract record HookAction
{
    public sealed record Pre(int Index) : HookAction;
    public sealed record Capture : HookAction;
    public sealed record AwaitCapture : HookAction;
    public sealed record Post(int Index) : HookAction;
    public sealed record Finished : HookAction;
}

/// <summary>What an action gave: a command's result, or the capture's state.</summary>
public abstract record HookOutcome
{
    public sealed record Ran(bool Succeeded, string Message, string? Pod) : HookOutcome;
    public sealed record Started : HookOutcome;
    public sealed record Captured : HookOutcome;
    public sealed record CaptureFailed(string Message) : HookOutcome;
}

/// <summary>
/// The order of a run with hooks, pure: every pre-hook in turn (a failure with onError Fail stops the freezing and
/// goes to the thaw without capturing), the capture, the wait for its point in time, then the post-hook of every
/// hook whose pre-hook was attempted, whatever happened in between. A pre-hook found Running (the operator stopped
/// during it) counts as failed: its effect is unknown, so the thaw runs and the capture cannot claim consistency.
/// </summary>
public static class HookRunMachine
{
    public static HookRun Begin(string run, RunOrigin origin, IReadOnlyList<ResolvedHook> hooks, Instant now) => new()
    {
        Run = run, Slot = origin.Slot.ToDateTimeOffset(), RunNowRequest = origin.RunNowRequest, Phase = HookPhase.Quiescing, StartTime = now.ToDateTimeOffset(),
        Hooks = [.. hooks.Select(h => new HookStep { Name = h.Name, Pre = h.Pre is null ? HookState.Skipped : HookState.Pending, Post = h.Post is null ? HookState.Skipped : HookState.Pending })],
    };

    public static HookAction Next(HookRun run) => run.Phase switch
    {
        HookPhase.Quiescing => run.Hooks.FindIndex(h => h.Pre is HookState.Pending or HookState.Running) is var i and >= 0 ? new HookAction.Pre(i) : new HookAction.Capture(),
        HookPhase.Capturing => new HookAction.AwaitCapture(),
        _ => run.Hooks.FindIndex(h => h.Post is HookState.Pending or HookState.Running) is var j and >= 0 ? new HookAction.Post(j) : new HookAction.Finished(),
    };

    /// <summary>Marks the command about to run: written before it runs, so a restart knows it may have run.</summary>
    public static HookRun Starting(HookRun run, HookAction action)
    {
        var next = Copy(run);
        if (action is HookAction.Pre(var i)) next.Hooks[i].Pre = HookState.Running;
        if (action is HookAction.Post(var j)) next.Hooks[j].Post = HookState.Running;
        return next;
    }

    public static HookRun Record(HookRun run, HookAction action, HookOutcome outcome, IReadOnlyList<ResolvedHook> hooks, Instant now)
    {
        var next = Copy(run);
        switch (action, outcome)
        {
            case (HookAction.Pre(var i), HookOutcome.Ran ran):
                var step = next.Hooks[i];
                step.Pre = ran.Succeeded ? HookState.Succeeded : HookState.Failed;
                step.Pod ??= ran.Pod;
                step.Message = $"pre: {ran.Message}";
                if (!ran.Succeeded && !hooks[i].ContinueOnError)
                {
                    next.Failure = $"pre-hook {step.Name} failed: {ran.Message}";
                    next.Phase = HookPhase.Thawing;
                }
                break;
            case (HookAction.Capture, HookOutcome.Started):
                next.Phase = HookPhase.Capturing;
                next.CaptureTime = now.ToDateTimeOffset();
                break;
            case (HookAction.AwaitCapture, HookOutcome.Captured or HookOutcome.CaptureFailed):
                next.Phase = HookPhase.Thawing;
                break;
            case (HookAction.Post(var j), HookOutcome.Ran ran):
                var s = next.Hooks[j];
                s.Post = ran.Succeeded ? HookState.Succeeded : HookState.Failed;
                s.Pod ??= ran.Pod;
                s.Message = $"{s.Message}{(s.Message is null ? "" : "; ")}post: {ran.Message}";
                break;
        }
        // A hook whose pre-hook never ran froze nothing: nothing to thaw.
        if (next.Phase == HookPhase.Thawing)
            foreach (var h in next.Hooks.Where(h => h.Pre == HookState.Pending && h.Post == HookState.Pending)) h.Post = HookState.Skipped;
        return next;
    }

    /// <summary>A run resumed after a restart with a command Running: a pre-hook's outcome is unknown, so it failed; a post-hook runs again.</summary>
    public static HookRun Resume(HookRun run, IReadOnlyList<ResolvedHook> hooks, Instant now)
    {
        var interrupted = run.Hooks.FindIndex(h => h.Pre == HookState.Running);
        return interrupted < 0 ? run
            : Record(run, new HookAction.Pre(interrupted), new HookOutcome.Ran(false, "interrupted while it ran (the operator stopped): its effect is unknown", run.Hooks[interrupted].Pod), hooks, now);
    }

    /// <summary>What the capture can claim: Application when every pre-hook succeeded.</summary>
    public static RecoveryConsistency Consistency(HookRun run) =>
        run.Hooks.Count > 0 && run.Hooks.All(h => h.Pre is HookState.Succeeded or HookState.Skipped) && run.Hooks.Any(h => h.Pre == HookState.Succeeded)
            ? RecoveryConsistency.Application : RecoveryConsistency.Crash;

    private static HookRun Copy(HookRun run) => new()
    {
        Run = run.Run, Slot = run.Slot, RunNowRequest = run.RunNowRequest, Phase = run.Phase, StartTime = run.StartTime, CaptureTime = run.CaptureTime, Failure = run.Failure,
        Hooks = [.. run.Hooks.Select(h => new HookStep { Name = h.Name, Pod = h.Pod, Pre = h.Pre, Post = h.Post, Message = h.Message })],
    };
}
