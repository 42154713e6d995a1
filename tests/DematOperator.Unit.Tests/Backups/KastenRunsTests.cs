using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using NodaTime;

namespace DematOperator.Tests.Backups;

/// <summary>How a Kasten run is read from its actions and RestorePoints: K10's "Complete" is believed only with data.</summary>
public sealed class KastenRunsTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-05-12T01:00:00Z");
    private static readonly string[] Prod = ["platau-prod"];

    private static KastenRunAction RunAction(string name, string? state, int hour = 1, string? error = null) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "kasten-io", CreationTimestamp = T0.AddHours(hour - 1), Labels = new() { [RunLabels.Run] = name } },
        Spec = new KastenRunActionSpec { Subject = new KastenObjectRef { Kind = "Policy", Name = "platau-4h", Namespace = "kasten-io" } },
        Status = state is null ? null : new KastenActionStatus
        {
            State = state, StartTime = T0.AddHours(hour - 1), EndTime = state is "Running" or "Pending" ? null : T0.AddHours(hour - 1).AddMinutes(5),
            Error = error is null ? null : new KastenError { Cause = error },
        },
    };

    private static KastenRestorePoint Point(string ns, string name, string runAction, int hour = 1, string? exportProfile = null)
    {
        var labels = new Dictionary<string, string> { [KastenLabels.RunActionName] = runAction, [KastenLabels.AppNamespace] = ns };
        if (exportProfile is not null) labels[KastenLabels.ExportProfile] = exportProfile;
        return new KastenRestorePoint
        {
            Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = labels, CreationTimestamp = T0.AddHours(hour - 1).AddMinutes(4) },
            Status = new KastenRestorePointStatus { ActionTime = T0.AddHours(hour - 1).AddSeconds(30) },
        };
    }

    private static KastenBackupAction BackupAction(string run, string ns, string? state, string? restorePoint = null) => new()
    {
        Metadata = new ObjectMeta { Name = run, Namespace = ns, CreationTimestamp = T0, Labels = new() { [RunLabels.Run] = run } },
        Status = state is null ? null : new KastenActionStatus { State = state, StartTime = T0, EndTime = T0.AddMinutes(3), RestorePoint = restorePoint is null ? null : new KastenObjectRef { Name = restorePoint } },
    };

    private static KastenExportAction Export(string run, string ns, string point, string? state) => new()
    {
        Metadata = new ObjectMeta { Name = $"{run}-{ns}", Namespace = "kasten-io", CreationTimestamp = T0, Labels = new() { [RunLabels.Run] = run } },
        Spec = new KastenExportActionSpec { Subject = new KastenObjectRef { Kind = "RestorePoint", Name = point, Namespace = ns }, Profile = new KastenObjectRef { Name = "ovh-s3" } },
        Status = state is null ? null : new KastenActionStatus { State = state, EndTime = T0.AddMinutes(6) },
    };

    private static List<ObservedRun> Policy(KastenRunAction[] actions, KastenRestorePoint[] points, string[]? namespaces = null, string? profile = null) =>
        KastenRuns.Observe(actions, [], [], points, namespaces ?? Prod, profile);

    [Theory]
    [InlineData(null, RunPhase.Running)]
    [InlineData("Pending", RunPhase.Running)]
    [InlineData("Running", RunPhase.Running)]
    [InlineData("Exporting", RunPhase.Running)]
    [InlineData("Failed", RunPhase.Failed)]
    [InlineData("Skipped", RunPhase.Failed)]
    [InlineData("Cancelled", RunPhase.Failed)]
    [InlineData("Deleting", RunPhase.Failed)]
    public void A_RunAction_state_that_is_not_Complete_is_never_a_recovery_point(string? state, RunPhase expected)
    {
        var run = Policy([RunAction("p-1", state)], [Point("platau-prod", "rp", "p-1")]).Single();
        run.Phase.ShouldBe(expected);
        run.RecoveryPoint.ShouldBeNull();
    }

    [Fact]
    public void A_failure_keeps_K10s_message_and_a_skip_says_why_without_one()
    {
        Policy([RunAction("p-1", "Failed", error: "{\"message\":\"snapshot failed\"}")], []).Single().Error.ShouldBe("K10 RunAction p-1 Failed: {\"message\":\"snapshot failed\"}");
        Policy([RunAction("p-1", "Skipped")], []).Single().Error!.ShouldContain("a run of the same policy was still going");
        var longCause = new string('x', 2000);
        Policy([RunAction("p-1", "Failed", error: longCause)], []).Single().Error!.Length.ShouldBeLessThan(500);
    }

    [Fact]
    public void A_Complete_run_recovers_to_its_oldest_namespace_and_needs_a_RestorePoint_in_each()
    {
        var ns = new[] { "platau-prod", "platau-mongo" };
        var both = Policy([RunAction("p-1", "Complete")], [Point("platau-prod", "a", "p-1"), Point("platau-mongo", "b", "p-1")], ns).Single();
        both.Phase.ShouldBe(RunPhase.Succeeded);
        both.RecoveryPoint.ShouldBe(Instant.FromDateTimeOffset(T0.AddSeconds(30)));
        var one = Policy([RunAction("p-1", "Complete")], [Point("platau-prod", "a", "p-1")], ns).Single();
        one.Phase.ShouldBe(RunPhase.Failed);
        one.Error!.ShouldContain("left no RestorePoint in platau-mongo");
    }

    [Fact]
    public void A_RestorePoint_of_another_RunAction_or_only_an_exported_one_does_not_count_as_local_data()
    {
        Policy([RunAction("p-1", "Complete")], [Point("platau-prod", "a", "other-run")]).Single().Phase.ShouldBe(RunPhase.Failed);
        Policy([RunAction("p-1", "Complete")], [Point("platau-prod", "a", "p-1", exportProfile: "ovh-s3")]).Single().Phase.ShouldBe(RunPhase.Failed);
    }

    [Fact]
    public void With_an_export_profile_a_run_not_exported_there_is_not_a_recovery_point()
    {
        var local = Point("platau-prod", "a", "p-1");
        var run = Policy([RunAction("p-1", "Complete")], [local, Point("platau-prod", "a-x", "p-1", exportProfile: "elsewhere")], profile: "ovh-s3").Single();
        run.Phase.ShouldBe(RunPhase.Failed);
        run.Error!.ShouldContain("not exported to profile ovh-s3");
        Policy([RunAction("p-1", "Complete")], [local, Point("platau-prod", "a-x", "p-1", exportProfile: "ovh-s3")], profile: "ovh-s3").Single().Phase.ShouldBe(RunPhase.Succeeded);
    }

    [Fact]
    public void A_run_whose_points_K10_retired_disappears_once_a_newer_run_holds_data_and_fails_otherwise()
    {
        var runs = Policy([RunAction("p-1", "Complete", hour: 1), RunAction("p-2", "Complete", hour: 2)], [Point("platau-prod", "b", "p-2", hour: 2)]);
        runs.ShouldHaveSingleItem().Name.ShouldBe("p-2");
        var newerFailed = Policy([RunAction("p-1", "Complete", hour: 1), RunAction("p-2", "Failed", hour: 2)], []);
        newerFailed.Count.ShouldBe(2);
        newerFailed.ShouldAllBe(r => r.Phase == RunPhase.Failed);
    }

    [Fact]
    public void Namespace_mode_fails_on_any_namespace_and_waits_for_its_exports()
    {
        var ns = new[] { "platau-prod", "platau-mongo" };
        var failed = KastenRuns.Observe([], [BackupAction("p-1", "platau-prod", "Complete", "rp-a"), BackupAction("p-1", "platau-mongo", "Failed")], [], [], ns, null).Single();
        failed.Phase.ShouldBe(RunPhase.Failed);
        failed.Error!.ShouldContain("platau-mongo/p-1 Failed");
        var points = new[] { Point("platau-prod", "rp-a", "-"), Point("platau-mongo", "rp-b", "-") };
        var actions = new[] { BackupAction("p-1", "platau-prod", "Complete", "rp-a"), BackupAction("p-1", "platau-mongo", "Complete", "rp-b") };
        KastenRuns.Observe([], actions, [], points, ns, null).Single().Phase.ShouldBe(RunPhase.Succeeded);
        KastenRuns.Observe([], actions, [Export("p-1", "platau-prod", "rp-a", "Complete")], points, ns, "ovh-s3").Single().Phase.ShouldBe(RunPhase.Running, "one export still to make");
        KastenRuns.Observe([], actions, [Export("p-1", "platau-prod", "rp-a", "Complete"), Export("p-1", "platau-mongo", "rp-b", "Failed")], points, ns, "ovh-s3").Single().Phase.ShouldBe(RunPhase.Failed);
        KastenRuns.Observe([], actions, [Export("p-1", "platau-prod", "rp-a", "Complete"), Export("p-1", "platau-mongo", "rp-b", "Complete")], points, ns, "ovh-s3").Single().Phase.ShouldBe(RunPhase.Succeeded);
        KastenRuns.Observe([], [BackupAction("p-1", "platau-prod", "Complete", "gone"), BackupAction("p-1", "platau-mongo", "Complete", "rp-b")], [], points, ns, "ovh-s3").Single()
            .Error!.ShouldContain("left no RestorePoint in platau-prod", customMessage: "a missing RestorePoint is a failure, not an export forever awaited");
    }

    private static KastenRestorePoint PointAt(string ns, string name, DateTimeOffset dataTime) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns, CreationTimestamp = dataTime.AddMinutes(1) },
        Status = new KastenRestorePointStatus { ActionTime = dataTime },
    };

    /// <summary>
    /// Namespace mode, two namespaces, exported: started at the first action's start, ended at the last end of the
    /// actions and exports, recovered to the older namespace's data, manual when any of its actions was asked for.
    /// </summary>
    [Fact]
    public void A_namespace_mode_run_takes_its_times_from_all_its_actions_and_exports()
    {
        var ns = new[] { "a", "b" };
        var first = BackupAction("r1", "a", "Complete", "rp-a");
        first.Status!.StartTime = T0.AddMinutes(1);
        var second = BackupAction("r1", "b", "Complete", "rp-b");
        second.Metadata.Labels![RunLabels.Trigger] = "manual";
        var points = new[] { PointAt("a", "rp-a", T0.AddSeconds(30)), PointAt("b", "rp-b", T0.AddSeconds(20)), PointAt("b", "rp-other", T0.AddSeconds(5)) };
        var exports = new[] { Export("r1", "a", "rp-a", "Complete"), Export("r1", "b", "rp-b", "Complete") };
        KastenRuns.Observe([], [first, second], exports, points, ns, "ovh-s3").ShouldBe(
            [new ObservedRun("r1", RunPhase.Succeeded, Instant.FromDateTimeOffset(T0), Instant.FromDateTimeOffset(T0.AddMinutes(6)), Instant.FromDateTimeOffset(T0.AddSeconds(20)), null, true)]);
        // An end K10 has not written yet: the run ends when its data was taken.
        exports[1].Status!.EndTime = null;
        KastenRuns.Observe([], [first, second], exports, points, ns, "ovh-s3").Single().Completed.ShouldBe(Instant.FromDateTimeOffset(T0.AddSeconds(20)));
        KastenRuns.Observe([], [BackupAction("r1", "a", "Complete", "rp-a")], [], points, ["a"], null).Single().Manual.ShouldBeFalse();
    }

    [Fact]
    public void A_namespace_mode_run_is_complete_only_when_every_namespace_s_action_is()
    {
        var ns = new[] { "a", "b" };
        var points = new[] { PointAt("a", "rp-a", T0), PointAt("b", "rp-b", T0) };
        KastenRuns.Observe([], [BackupAction("r1", "a", "Complete", "rp-a"), BackupAction("r1", "b", "Running")], [], points, ns, null).Single().Phase.ShouldBe(RunPhase.Running);
        KastenRuns.Observe([], [BackupAction("r1", "a", "Complete", "rp-a"), BackupAction("r1", "c", "Complete", "rp-b")], [], points, ns, null).Single().Phase
            .ShouldBe(RunPhase.Running, "b has no action yet: another namespace's does not stand for it");
    }

    [Fact]
    public void Failures_say_which_action_failed_and_why()
    {
        var ns = new[] { "a", "b" };
        var actions = new[] { BackupAction("r1", "a", "Complete", "rp-a"), BackupAction("r1", "b", "Complete", "rp-b") };
        var points = new[] { PointAt("a", "rp-a", T0), PointAt("b", "rp-b", T0) };
        var failedExport = Export("r1", "b", "rp-b", "Failed");
        failedExport.Status!.Error = new KastenError { Message = "bucket unreachable" };
        KastenRuns.Observe([], actions, [Export("r1", "a", "rp-a", "Complete"), failedExport], points, ns, "ovh-s3").Single().Error
            .ShouldBe("K10 ExportAction r1-b of b/rp-b to ovh-s3 Failed: bucket unreachable");
        Policy([RunAction("p-1", "Failed")], []).Single().Error.ShouldBe("K10 RunAction p-1 Failed: no error message");
        Policy([RunAction("p-1", "Skipped")], []).Single().Error.ShouldBe("K10 RunAction p-1 Skipped: K10 skipped it (a run of the same policy was still going)");
        Policy([RunAction("p-1", "Failed", error: new string('x', 400))], []).Single().Error.ShouldBe($"K10 RunAction p-1 Failed: {new string('x', 400)}");
        Policy([RunAction("p-1", "Failed", error: new string('x', 401))], []).Single().Error.ShouldBe($"K10 RunAction p-1 Failed: {new string('x', 400)}…");
    }

    [Fact]
    public void A_run_that_left_nothing_says_where_and_what_to_check()
    {
        Policy([RunAction("p-1", "Complete")], [], ["a"]).Single().Error
            .ShouldBe("K10 RunAction p-1 is Complete but left no RestorePoint in a: not a recovery point (does the K10 Policy select this namespace?)");
        Policy([RunAction("p-1", "Complete")], [], ["a", "b"]).Single().Error
            .ShouldBe("K10 RunAction p-1 is Complete but left no RestorePoint in a, b: not a recovery point (does the K10 Policy select these namespaces?)");
        Policy([RunAction("p-1", "Complete")], [Point("a", "rp-a", "p-1")], ["a"], profile: "ovh-s3").Single().Error
            .ShouldBe("K10 RunAction p-1 is Complete but a was not exported to profile ovh-s3: the recovery site could not restore it");
        Policy([RunAction("p-1", "Complete")], [Point("a", "rp-a", "p-1"), Point("b", "rp-b", "p-1")], ["a", "b"], profile: "ovh-s3").Single().Error
            .ShouldBe("K10 RunAction p-1 is Complete but a, b were not exported to profile ovh-s3: the recovery site could not restore it");
    }

    [Fact]
    public void A_run_without_data_fails_unless_a_strictly_newer_one_holds_data()
    {
        var runs = Policy([RunAction("p-1", "Complete", hour: 2), RunAction("p-2", "Complete", hour: 2)], [Point("platau-prod", "b", "p-2", hour: 2)]);
        runs.Select(r => (r.Name, r.Phase)).ShouldBe([("p-1", RunPhase.Failed), ("p-2", RunPhase.Succeeded)], "started at the same instant: not newer");
        runs[0].RecoveryPoint.ShouldBeNull();
    }

    [Fact]
    public void A_run_starts_when_K10_started_it_else_when_it_was_created()
    {
        var action = RunAction("p-1", "Running");
        action.Status!.StartTime = T0.AddMinutes(7);
        Policy([action], []).Single().Started.ShouldBe(Instant.FromDateTimeOffset(T0.AddMinutes(7)));
        Policy([RunAction("p-1", null)], []).Single().Started.ShouldBe(Instant.FromDateTimeOffset(T0));
        var bare = RunAction("p-1", null);
        bare.Metadata.CreationTimestamp = null;
        Policy([bare], []).Single().Started.ShouldBe(Instant.FromDateTimeOffset(DateTimeOffset.UnixEpoch));
        var manual = RunAction("p-1", null);
        manual.Metadata.Labels![RunLabels.Trigger] = "manual";
        (Policy([manual], []).Single().Manual, Policy([RunAction("p-1", null)], []).Single().Manual).ShouldBe((true, false));
    }

    [Fact]
    public void An_export_of_another_namespace_does_not_stand_for_a_missing_one()
    {
        var ns = new[] { "a", "b" };
        var actions = new[] { BackupAction("r1", "a", "Complete", "rp-a"), BackupAction("r1", "b", "Complete", "rp-b") };
        var points = new[] { PointAt("a", "rp-a", T0), PointAt("b", "rp-b", T0) };
        KastenRuns.Observe([], actions, [Export("r1", "a", "rp-a", "Complete"), Export("r1", "c", "rp-c", "Complete")], points, ns, "ovh-s3").Single().Phase
            .ShouldBe(RunPhase.Running, "b's export is still to be made");
        KastenRuns.Observe([], [BackupAction("r1", "a", "Complete", "gone")], [], points, ["a"], null).Single().Error
            .ShouldBe("K10 BackupActions are Complete but left no RestorePoint in a: not a recovery point (does the K10 Policy select this namespace?)");
    }

    [Fact]
    public void A_namespace_with_several_points_of_the_run_counts_its_newest_and_the_run_its_oldest_namespace()
    {
        var points = new[] { Point("a", "a-1", "p-1"), Point("a", "a-2", "p-1"), Point("b", "b-1", "p-1") };
        points[0].Status!.ActionTime = T0.AddSeconds(10);
        points[1].Status!.ActionTime = T0.AddSeconds(50);
        points[2].Status!.ActionTime = T0.AddSeconds(40);
        Policy([RunAction("p-1", "Complete")], points, ["a", "b"]).Single().RecoveryPoint.ShouldBe(Instant.FromDateTimeOffset(T0.AddSeconds(40)));
    }
}
