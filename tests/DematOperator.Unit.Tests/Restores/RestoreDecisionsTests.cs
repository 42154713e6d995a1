using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.Restores;
using NodaTime;

namespace DematOperator.Tests.Restores;

/// <summary>The pure parts of a RestoreRequest: which recovery point, and the checks that need no cluster. Expected values by hand.</summary>
public sealed class RestoreDecisionsTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 5, 1, 0, 0);

    private static ObservedRun Run(string name, int hour, RunPhase phase = RunPhase.Succeeded, bool recoveryPoint = true) =>
        new(name, phase, T0 + Duration.FromHours(hour), T0 + Duration.FromHours(hour), recoveryPoint ? T0 + Duration.FromHours(hour) : null, null, false);

    /// <summary>
    /// a and b succeeded (b newer); c failed; d succeeded but holds no recovery point; e failed yet names one (a failed
    /// run is never a recovery point, whatever it says). Listed oldest first, as a policy's history is not sorted.
    /// </summary>
    private static readonly ObservedRun[] Runs =
        [Run("a", 1), Run("b", 2), Run("c", 3, RunPhase.Failed, recoveryPoint: false), Run("d", 4, recoveryPoint: false), Run("e", 5, RunPhase.Failed)];

    [Fact]
    public void Without_a_name_or_an_instant_the_newest_successful_run_with_data_is_restored()
    {
        RestoreDecisions.Choose(Runs, null, null).ShouldBe((Runs[1], (string?)null, (string?)null));
        RestoreDecisions.Choose(Runs, "", null).Run.ShouldBe(Runs[1], "an empty name is no name");
        RestoreDecisions.Choose([Runs[1], Runs[0]], null, null).Run.ShouldBe(Runs[1], "the newest, whatever the order of the list");
    }

    [Fact]
    public void A_named_run_is_restored_only_when_it_succeeded()
    {
        RestoreDecisions.Choose(Runs, "a", null).ShouldBe((Runs[0], (string?)null, (string?)null));
        RestoreDecisions.Choose(Runs, "c", null).ShouldBe(((ObservedRun?)null, RestoreReasons.NoRecoveryPoint, "run c is Failed: not a recovery point"));
        RestoreDecisions.Choose(Runs, "zz", null).ShouldBe(((ObservedRun?)null, RestoreReasons.RunNotFound, "the policy has no run zz (retention may have removed it)"));
        RestoreDecisions.Choose(Runs, "a", (T0 - Duration.FromDays(1)).ToDateTimeOffset()).Run.ShouldBe(Runs[0], "a name wins over an instant");
    }

    [Fact]
    public void Before_takes_the_newest_run_whose_data_is_strictly_older()
    {
        RestoreDecisions.Choose(Runs, null, (T0 + Duration.FromMinutes(150)).ToDateTimeOffset()).Run.ShouldBe(Runs[1]);
        RestoreDecisions.Choose(Runs, null, (T0 + Duration.FromHours(2)).ToDateTimeOffset()).Run.ShouldBe(Runs[0], "b's data is not older than 02:00, it is of 02:00");
        RestoreDecisions.Choose(Runs, null, (T0 + Duration.FromHours(9)).ToDateTimeOffset()).Run.ShouldBe(Runs[1], "not the failed e, not d without data");
        RestoreDecisions.Choose(Runs, null, (T0 + Duration.FromHours(1)).ToDateTimeOffset())
            .ShouldBe(((ObservedRun?)null, RestoreReasons.NoRecoveryPoint, "no successful run has data older than 2026-05-01T03:00:00+02:00"));
    }

    [Fact]
    public void No_successful_run_is_no_recovery_point()
    {
        RestoreDecisions.Choose([], null, null).ShouldBe(((ObservedRun?)null, RestoreReasons.NoRecoveryPoint, "the policy has no successful run yet"));
        RestoreDecisions.Choose([Runs[2], Runs[3], Runs[4]], null, null).Reason.ShouldBe(RestoreReasons.NoRecoveryPoint);
    }

    private static string Problems(RestoreRequestSpec spec) => string.Join(" | ", RestoreDecisions.Check(spec).Select(p => $"{p.Field} {p.Reason}: {p.Message}"));

    [Fact]
    public void The_checks_name_the_field_the_reason_and_what_is_wrong()
    {
        Problems(new RestoreRequestSpec { BackupPolicy = "p" }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Run = "a", Before = DateTimeOffset.UnixEpoch })
            .ShouldBe("spec.before AmbiguousRecoveryPoint: give a run or an instant, not both");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Run = "", Before = DateTimeOffset.UnixEpoch }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Run = "a" }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Timeout = "soon" }).ShouldBe("spec.timeout InvalidDuration: \"soon\" is not a duration like 4h, 30m or 1h30m");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Timeout = "90m" }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Include = new RestoreSelection { PvcsOnly = true, Kinds = ["PersistentVolumeClaim", "ConfigMap"] } })
            .ShouldBe("spec.include.kinds ConflictingSelection: pvcsOnly restores only PersistentVolumeClaims");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Include = new RestoreSelection { PvcsOnly = true, Kinds = ["PersistentVolumeClaim"] } }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Include = new RestoreSelection { PvcsOnly = false, Kinds = ["ConfigMap"] } }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Include = new RestoreSelection { PvcsOnly = true, Kinds = [] } }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", TargetNamespace = "Scratch_1" }).ShouldBe("spec.targetNamespace InvalidNamespace: \"Scratch_1\" is not a namespace name");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", TargetNamespace = "-scratch" }).ShouldContain("InvalidNamespace");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", TargetNamespace = new string('a', 64) }).ShouldContain("InvalidNamespace");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", TargetNamespace = new string('a', 63) }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", TargetNamespace = "scratch-1" }).ShouldBe("");
        Problems(new RestoreRequestSpec { BackupPolicy = "p", Run = "a", Before = DateTimeOffset.UnixEpoch, Timeout = "x", TargetNamespace = "X" })
            .Split(" | ").Select(p => p.Split(' ')[0]).ShouldBe(["spec.before", "spec.timeout", "spec.targetNamespace"], "every problem, in the order of the spec");
    }

    [Fact]
    public void The_kinds_kept_and_the_timeout()
    {
        RestoreDecisions.Kinds(new RestoreRequestSpec()).ShouldBeNull();
        RestoreDecisions.Kinds(new RestoreRequestSpec { Include = new RestoreSelection() }).ShouldBeNull();
        RestoreDecisions.Kinds(new RestoreRequestSpec { Include = new RestoreSelection { Kinds = [] } }).ShouldBeNull();
        RestoreDecisions.Kinds(new RestoreRequestSpec { Include = new RestoreSelection { Kinds = ["ConfigMap"] } }).ShouldBe(["ConfigMap"]);
        RestoreDecisions.Kinds(new RestoreRequestSpec { Include = new RestoreSelection { PvcsOnly = true, Kinds = ["ConfigMap"] } }).ShouldBe(["PersistentVolumeClaim"]);
        RestoreDecisions.Kinds(new RestoreRequestSpec { Include = new RestoreSelection { PvcsOnly = false, Kinds = ["ConfigMap"] } }).ShouldBe(["ConfigMap"]);
        RestoreDecisions.Timeout(new RestoreRequestSpec()).ShouldBe(Duration.FromHours(1));
        RestoreDecisions.Timeout(new RestoreRequestSpec { Timeout = "30m" }).ShouldBe(Duration.FromMinutes(30));
        RestoreDecisions.Timeout(new RestoreRequestSpec { Timeout = "soon" }).ShouldBe(Duration.FromHours(1), "refused by the checks; never a crash");
    }
}
