using DematOperator.Drills;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;

namespace DematOperator.Tests.Drills;

/// <summary>The run's transition table, without any cluster: every step × every outcome, interruptions, and the invariants.</summary>
public sealed class DrillRunMachineTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 3, 14, 20, 0);
    private static readonly DrillStepName[] Steps = DrillRunMachine.Order;

    private static StepOutcome Outcome(StepOutcomeKind kind) => kind switch
    {
        StepOutcomeKind.Done => StepOutcome.Done("done"),
        StepOutcomeKind.Wait => StepOutcome.Wait("waiting"),
        StepOutcomeKind.Skipped => StepOutcome.Skip("not applicable"),
        _ => StepOutcome.Fail(DrillReasons.RestoreFailed, "broke"),
    };

    /// <summary>A run whose steps before <paramref name="at"/> succeeded and which now stands on it.</summary>
    private static DrillRunStatus RunAt(DrillStepName at)
    {
        var run = DrillRunMachine.NewRun("pra-1", DrillMode.Rehearsal, DrillTrigger.Manual, T0);
        foreach (var step in Steps.TakeWhile(s => s != at))
            run = DrillRunMachine.Advance(DrillRunMachine.Begin(run, T0), StepOutcome.Done("ok"), T0);
        return DrillRunMachine.Begin(run, T0 + Duration.FromMinutes(1));
    }

    public static TheoryData<DrillStepName, StepOutcomeKind> EveryStepAndOutcome()
    {
        var data = new TheoryData<DrillStepName, StepOutcomeKind>();
        foreach (var step in Steps)
            foreach (var kind in Enum.GetValues<StepOutcomeKind>())
                data.Add(step, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryStepAndOutcome))]
    public void Every_step_and_outcome_leads_where_the_table_says(DrillStepName step, StepOutcomeKind kind)
    {
        var before = RunAt(step);
        var snapshot = System.Text.Json.JsonSerializer.Serialize(before, DematOperator.Api.OperatorJsonContext.Default.DrillRunStatus);
        var now = T0 + Duration.FromMinutes(2);
        var after = DrillRunMachine.Advance(before, Outcome(kind), now);
        System.Text.Json.JsonSerializer.Serialize(before, DematOperator.Api.OperatorJsonContext.Default.DrillRunStatus).ShouldBe(snapshot, "Advance leaves its input alone");

        var state = DrillRunMachine.StepOf(after, step);
        state.Message.ShouldBe(Outcome(kind).Message);
        var index = Array.IndexOf(Steps, step);
        DrillStepName? expectedNext;
        switch (kind)
        {
            case StepOutcomeKind.Wait:
                state.State.ShouldBe(StepState.Running);
                state.EndTime.ShouldBeNull();
                expectedNext = step;
                break;
            case StepOutcomeKind.Done or StepOutcomeKind.Skipped:
                state.State.ShouldBe(kind == StepOutcomeKind.Done ? StepState.Succeeded : StepState.Skipped);
                state.EndTime.ShouldBe(now.ToDateTimeOffset());
                after.FailureReason.ShouldBeNull();
                expectedNext = index + 1 < Steps.Length ? Steps[index + 1] : null;
                break;
            default:
                state.State.ShouldBe(StepState.Failed);
                after.FailureReason.ShouldBe($"{step}: broke");
                after.FailureCode.ShouldBe(DrillReasons.RestoreFailed);
                // A refused preflight touched nothing: nothing to report or undo. Anything later goes to Report, then Rollback.
                expectedNext = step switch
                {
                    DrillStepName.Preflight or DrillStepName.Rollback => null,
                    DrillStepName.Report => DrillStepName.Rollback,
                    _ => DrillStepName.Report,
                };
                foreach (var skipped in Steps.Skip(index + 1).Where(s => step == DrillStepName.Preflight || s is not (DrillStepName.Report or DrillStepName.Rollback)))
                    DrillRunMachine.StepOf(after, skipped).State.ShouldBe(StepState.Skipped, $"{skipped} after a failed {step}");
                break;
        }
        DrillRunMachine.Current(after).ShouldBe(expectedNext);
        if (expectedNext is null)
            DrillRunMachine.Result(after).ShouldBe(kind == StepOutcomeKind.Failed
                ? step == DrillStepName.Preflight ? DrillResult.Refused : DrillResult.Failed
                : DrillResult.Succeeded);
    }

    public static TheoryData<DrillStepName> EveryStep() => [.. Steps];

    [Theory]
    [MemberData(nameof(EveryStep))]
    public void An_abort_fails_the_run_and_leaves_only_report_and_rollback_except_during_rollback_where_it_only_ends_the_wait(DrillStepName step)
    {
        var after = DrillRunMachine.Abort(RunAt(step), "stop", T0 + Duration.FromMinutes(3));
        after.AbortRequested.ShouldBe(true);
        if (step == DrillStepName.Rollback)
        {
            after.FailureReason.ShouldBeNull("a successful rehearsal kept for inspection is not failed by an abort");
            DrillRunMachine.Current(after).ShouldBe(DrillStepName.Rollback);
            return;
        }
        after.FailureCode.ShouldBe(DrillReasons.Aborted);
        after.FailureReason!.ShouldContain("stop");
        DrillRunMachine.Current(after).ShouldBe(step == DrillStepName.Preflight ? null : DrillStepName.Report, "an abort at Preflight touched nothing: no report, no rollback");
        if (step is not (DrillStepName.Report or DrillStepName.Rollback)) DrillRunMachine.StepOf(after, step).State.ShouldBe(StepState.Failed, "the step in flight fails");
        DrillRunMachine.Result(after).ShouldBe(DrillResult.Aborted);
    }

    [Fact]
    public void A_second_failure_keeps_the_first_reason()
    {
        var run = DrillRunMachine.Advance(RunAt(DrillStepName.Verify), StepOutcome.Fail(DrillReasons.WorkloadNotReady, "mongodb 0/3"), T0);
        run = DrillRunMachine.Interrupt(run, DrillReasons.Deleted, "deleted", T0);
        run = DrillRunMachine.Advance(DrillRunMachine.Begin(run, T0), StepOutcome.Fail(DrillReasons.StepFailed, "report broke"), T0);
        run.FailureCode.ShouldBe(DrillReasons.WorkloadNotReady);
        DrillRunMachine.Current(run).ShouldBe(DrillStepName.Rollback);
    }

    /// <summary>What can happen to a run between two looks at it.</summary>
    private enum Event { Done, Wait, Fail, Skip, Abort, Delete, SpecInvalid }

    [Fact]
    public void Whatever_happens_a_run_that_began_quiesce_reaches_rollback_and_every_run_ends() =>
        Prop.ForAll(Gen.ListOf(Gen.Elements(Enum.GetValues<Event>())).ToArbitrary(), events =>
        {
            var run = DrillRunMachine.NewRun("pra-1", DrillMode.Rehearsal, DrillTrigger.Schedule, T0);
            var now = T0;
            var looks = 0;
            // The generated events first, then the world calms down (every step finishes): the run must end.
            foreach (var e in events.Concat(Enumerable.Repeat(Event.Done, Steps.Length + 1)))
            {
                if (DrillRunMachine.Current(run) is null) break;
                now += Duration.FromSeconds(5);
                looks++;
                run = e switch
                {
                    Event.Abort => DrillRunMachine.Abort(run, "x", now),
                    Event.Delete => DrillRunMachine.Interrupt(run, DrillReasons.Deleted, "deleted", now),
                    Event.SpecInvalid => DrillRunMachine.Interrupt(run, DrillReasons.SpecInvalid, "invalid", now),
                    _ => DrillRunMachine.Advance(DrillRunMachine.Begin(run, now), Outcome(e switch
                    {
                        Event.Done => StepOutcomeKind.Done, Event.Wait => StepOutcomeKind.Wait, Event.Skip => StepOutcomeKind.Skipped, _ => StepOutcomeKind.Failed,
                    }), now),
                };
            }
            var ended = DrillRunMachine.Current(run) is null;
            var quiesceBegan = DrillRunMachine.StepOf(run, DrillStepName.Quiesce).StartTime is not null;
            var rollback = DrillRunMachine.StepOf(run, DrillStepName.Rollback);
            var rollbackRan = rollback.StartTime is not null && rollback.State is StepState.Succeeded or StepState.Failed or StepState.Skipped;
            var result = DrillRunMachine.Result(run);
            var noneLeft = run.Steps.All(s => s.State is not (StepState.Pending or StepState.Running));
            var succeededMeansAllRan = result != DrillResult.Succeeded || run.Steps.All(s => s.State is StepState.Succeeded or StepState.Skipped && s.StartTime is not null);
            return (ended && noneLeft && (!quiesceBegan || rollbackRan) && succeededMeansAllRan).Label($"{string.Join(",", events)} -> {string.Join(" ", run.Steps.Select(s => $"{s.Name}:{s.State}"))} {result} {run.FailureCode}");
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_run_succeeds_only_when_every_step_ran_and_none_failed()
    {
        var run = DrillRunMachine.NewRun("pra-1", DrillMode.Rehearsal, DrillTrigger.Manual, T0);
        foreach (var _ in Steps) run = DrillRunMachine.Advance(DrillRunMachine.Begin(run, T0), StepOutcome.Done("ok"), T0);
        DrillRunMachine.Result(run).ShouldBe(DrillResult.Succeeded);
        DrillRunMachine.Current(run).ShouldBeNull();
    }

    [Fact]
    public void Every_result_reason_and_condition_reason_is_documented_in_the_runbook()
    {
        var doc = File.ReadAllText(Path.Combine(DematOperator.TestSupport.RepoPaths.Root, "docs", "pradrill.md"));
        var names = typeof(DrillReasons).GetFields().Concat(typeof(DrillConditions).GetFields())
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        names.Count.ShouldBeGreaterThan(20);
        names.Where(n => !doc.Contains($"`{n}`", StringComparison.Ordinal)).ShouldBeEmpty("reasons missing from docs/pradrill.md");
    }

    private static string Table(DrillRunStatus run) =>
        string.Join(" | ", run.Steps.Select(s => $"{s.Name} {s.State} {(s.EndTime is { } e ? (Instant.FromDateTimeOffset(e) - T0).TotalMinutes : null)} {s.Message}"));

    /// <summary>An interruption while Verify runs, written out step by step: Verify fails with the reason, the work left is skipped, Report and Rollback remain.</summary>
    [Fact]
    public void An_interruption_fails_the_step_in_flight_and_leaves_report_and_rollback()
    {
        var run = DrillRunMachine.Interrupt(RunAt(DrillStepName.Verify), DrillReasons.Deleted, "the PraDrill is being deleted", T0 + Duration.FromMinutes(2));
        (run.FailureCode, run.FailureReason, run.Step).ShouldBe((DrillReasons.Deleted, "the PraDrill is being deleted", DrillStepName.Report));
        var table = Table(run);
        table.ShouldContain("Verify Failed 2 the PraDrill is being deleted");
        foreach (var skipped in Steps.SkipWhile(s => s != DrillStepName.Verify).Skip(1).Where(s => s is not (DrillStepName.Report or DrillStepName.Rollback)))
            table.ShouldContain($"{skipped} Skipped 2 skipped: the run failed");
        table.ShouldContain("Report Pending  ");
        table.ShouldContain("Rollback Pending  ");
        DrillRunMachine.Result(run).ShouldBe(DrillResult.Aborted);
    }

    [Fact]
    public void An_interruption_at_preflight_ends_the_run_where_it_stands()
    {
        var run = DrillRunMachine.Interrupt(RunAt(DrillStepName.Preflight), DrillReasons.Aborted, "aborted", T0);
        run.Step.ShouldBe(DrillStepName.Preflight);
        DrillRunMachine.Current(run).ShouldBeNull();
    }

    [Fact]
    public void A_failure_without_a_reason_is_StepFailed_and_a_wait_polls_every_five_seconds()
    {
        var run = DrillRunMachine.Advance(RunAt(DrillStepName.Restore), new StepOutcome(StepOutcomeKind.Failed, "broke"), T0);
        (run.FailureCode, run.FailureReason).ShouldBe((DrillReasons.StepFailed, "Restore: broke"));
        StepOutcome.Wait("restoring").ShouldBe(new StepOutcome(StepOutcomeKind.Wait, "restoring", null, TimeSpan.FromSeconds(5)));
        StepOutcome.Wait("restoring", TimeSpan.FromMinutes(1)).RetryAfter.ShouldBe(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void A_run_without_steps_touched_nothing_and_a_missing_step_is_an_error()
    {
        DrillRunMachine.TouchedNothing(new DrillRunStatus { Steps = [] }).ShouldBeTrue();
        Should.Throw<InvalidOperationException>(() => DrillRunMachine.StepOf(new DrillRunStatus { Steps = [] }, DrillStepName.Verify));
    }

    [Fact]
    public void A_finished_step_moves_the_run_to_the_next()
    {
        var run = DrillRunMachine.Advance(RunAt(DrillStepName.Preflight), StepOutcome.Done("ok"), T0);
        run.Step.ShouldBe(Steps[1]);
        DrillRunMachine.Advance(run, StepOutcome.Skip("nothing to quiesce"), T0).Step.ShouldBe(Steps[2]);
    }
}
