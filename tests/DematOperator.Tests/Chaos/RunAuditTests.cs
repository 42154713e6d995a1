using DematOperator.Backups;
using NodaTime;

namespace DematOperator.Tests.Chaos;

/// <summary>The chaos soak's "no slot ran twice" check, proved able to fail.</summary>
public sealed class RunAuditTests
{
    private static readonly Instant Slot = Instant.FromUtc(2026, 6, 2, 8, 0);

    /// <summary>The objects a scheduler makes for one slot when it is asked twice (a restart, a new leader).</summary>
    private static List<RunObject> TwoAttemptsAtOneSlot(Func<Instant, Instant, string> name)
    {
        var objects = new Dictionary<(string, string), RunObject>();
        foreach (var attempt in new[] { Slot.Plus(Duration.FromSeconds(2)), Slot.Plus(Duration.FromSeconds(40)) })
        {
            var run = name(Slot, attempt);
            // The API refuses a second object of the same name: that is what makes slot-named runs idempotent.
            objects.TryAdd(("sbg", run), Backup("sbg", run, new RunOrigin(Slot, null)));
        }
        return [.. objects.Values];
    }

    private static RunObject Backup(string cluster, string name, RunOrigin origin, string policy = "platau-velero") =>
        new(cluster, "Backup", "openshift-adp", name,
            new Dictionary<string, string> { [RunLabels.Policy] = policy, [RunLabels.PolicyNamespace] = "platau-prod", [RunLabels.Run] = name },
            origin.Annotations());

    [Fact]
    public void Runs_named_after_their_slot_make_one_run_per_slot()
    {
        var objects = TwoAttemptsAtOneSlot((slot, _) => RunLabels.RunName("platau-velero", slot));
        objects.Count.ShouldBe(1);
        RunAudit.DuplicateRuns(objects).ShouldBeEmpty();
    }

    [Fact]
    public void A_scheduler_that_names_runs_after_the_attempt_is_caught()
    {
        var broken = TwoAttemptsAtOneSlot((_, attempt) => RunLabels.RunName("platau-velero", attempt, manual: true));
        broken.Count.ShouldBe(2);
        var problems = RunAudit.DuplicateRuns(broken);
        problems.Count.ShouldBe(1);
        problems[0].ShouldContain("slot 2026-06-02T08:00:00Z ran 2 times");
    }

    [Fact]
    public void A_backup_synced_to_the_other_site_is_the_same_run_but_one_made_there_is_another()
    {
        var origin = new RunOrigin(Slot, null);
        var synced = new[] { Backup("sbg", "platau-velero-202606020800", origin), Backup("rbx", "platau-velero-202606020800", origin) };
        RunAudit.DuplicateRuns(synced).ShouldBeEmpty();
        var madeOnRbx = synced.Append(Backup("rbx", "platau-velero-rbx-202606020800", origin)).ToList();
        RunAudit.DuplicateRuns(madeOnRbx).Single().ShouldContain("on rbx");
    }

    [Fact]
    public void Run_now_requests_count_apart_from_slots_and_a_run_object_without_its_slot_is_reported()
    {
        var objects = new List<RunObject>
        {
            Backup("sbg", "platau-velero-202606020800", new RunOrigin(Slot, null)),
            Backup("sbg", "platau-velero-now-20260602080000", new RunOrigin(Slot, "first")),
            Backup("sbg", "platau-velero-now-20260602080100", new RunOrigin(Slot, "second")),
            Backup("sbg", "other-202606020800", new RunOrigin(Slot, null), policy: "other"),
        };
        RunAudit.DuplicateRuns(objects).ShouldBeEmpty();
        objects.Add(objects[0] with { Name = "untagged", Annotations = new Dictionary<string, string>() });
        RunAudit.DuplicateRuns(objects).Single().ShouldContain("without its slot");
    }
}
