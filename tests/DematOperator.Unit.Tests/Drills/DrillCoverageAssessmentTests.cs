using DematOperator.Drills;
using DematOperator.Kube.Api;
using NodaTime;

namespace DematOperator.Tests.Drills;

public sealed class DrillCoverageAssessmentTests
{
    private static readonly Instant LastSuccess = Instant.FromUtc(2026, 3, 14, 22, 0);
    private static readonly Instant Before = LastSuccess - Duration.FromDays(30);
    private static readonly Instant After = LastSuccess + Duration.FromDays(1);

    private static ProductionObject Ns(string name, Instant? created = null) => new("Namespace", "", name, new Dictionary<string, string> { ["env"] = "prod" }, created ?? Before);
    private static ProductionObject Obj(string kind, string ns, string name, Instant? created = null, Dictionary<string, string>? labels = null) =>
        new(kind, ns, name, labels ?? new Dictionary<string, string>(), created ?? Before);

    private static readonly BackupScope PlatauOnly = new(["platau-prod"], [], null, LabelSelector.Everything);

    [Fact]
    public void Everything_restored_backed_up_and_older_than_the_last_success_is_complete()
    {
        var a = DrillCoverageAssessment.Assess([Ns("platau-prod")], [Obj("StatefulSet", "platau-prod", "mongodb"), Obj("PersistentVolumeClaim", "platau-prod", "data-mongodb-0")], ["platau-prod"], PlatauOnly, LastSuccess);
        a.Verdict.ShouldBe(CoverageVerdict.Complete);
        a.Gaps.ShouldBeEmpty();
        (a.NotBackedUp, a.NotRehearsed).ShouldBe((0, 0));
    }

    [Fact]
    public void A_production_namespace_the_drill_does_not_restore_or_its_backups_do_not_hold_is_not_backed_up()
    {
        var a = DrillCoverageAssessment.Assess([Ns("platau-prod"), Ns("platau-new"), Ns("platau-extra")], [], ["platau-prod", "platau-extra"], PlatauOnly, LastSuccess);
        a.Verdict.ShouldBe(CoverageVerdict.NotBackedUp);
        a.Gaps.Select(g => (g.Name, g.Gap)).ShouldBe([("platau-extra", "NotBackedUp"), ("platau-new", "NotBackedUp")]);
        a.Message.ShouldContain("platau-extra is restored by the drill but its backups do not hold it");
        a.Message.ShouldContain("platau-new is production but not in the drill's spec.source.namespaces");
    }

    [Fact]
    public void Objects_left_out_by_the_backup_labels_are_not_backed_up()
    {
        var scope = PlatauOnly with { ObjectSelector = LabelSelector.Parse("backup=yes") };
        var a = DrillCoverageAssessment.Assess([Ns("platau-prod")],
            [Obj("PersistentVolumeClaim", "platau-prod", "data", labels: new() { ["backup"] = "yes" }), Obj("PersistentVolumeClaim", "platau-prod", "scratch"),
             Obj("Deployment", "platau-prod", "cache", labels: new() { ["backup"] = "yes", ["velero.io/exclude-from-backup"] = "true" })],
            ["platau-prod"], scope, LastSuccess);
        a.Gaps.Select(g => g.Name).ShouldBe(["cache", "scratch"]);
        a.NotBackedUp.ShouldBe(2);
    }

    [Fact]
    public void What_appeared_after_the_last_success_is_not_rehearsed_and_no_success_at_all_is_never_rehearsed()
    {
        var a = DrillCoverageAssessment.Assess([Ns("platau-prod")], [Obj("Deployment", "platau-prod", "api", After), Obj("Deployment", "platau-prod", "portal")], ["platau-prod"], PlatauOnly, LastSuccess);
        a.Verdict.ShouldBe(CoverageVerdict.NotRehearsed);
        a.Gaps.ShouldHaveSingleItem().Name.ShouldBe("api");
        DrillCoverageAssessment.Assess([Ns("platau-prod")], [], ["platau-prod"], PlatauOnly, null).Verdict.ShouldBe(CoverageVerdict.NeverRehearsed);
    }

    [Fact]
    public void A_namespace_selector_or_an_empty_scope_holds_the_namespaces_as_velero_does()
    {
        var bySelector = new BackupScope([], [], LabelSelector.Parse("env=prod"), LabelSelector.Everything);
        DrillCoverageAssessment.Assess([Ns("platau-prod")], [], ["platau-prod"], bySelector, LastSuccess).Verdict.ShouldBe(CoverageVerdict.Complete);
        var everything = new BackupScope([], ["platau-prod"], null, LabelSelector.Everything);
        DrillCoverageAssessment.Assess([Ns("platau-prod")], [], ["platau-prod"], everything, LastSuccess).Verdict.ShouldBe(CoverageVerdict.NotBackedUp, "an excluded namespace is not held even when every other one is");
    }

    private static string Gaps(CoverageAssessment a) => string.Join(" | ", a.Gaps.Select(g => $"{g.Kind} {g.Namespace}/{g.Name} {g.Gap}: {g.Message}"));

    /// <summary>
    /// Every kind of gap at once, with what a person reads: namespaces first by name, then objects by namespace, kind and
    /// name; appearing exactly at the last success is not "after" it. Seven gaps: the message lists five and counts the rest.
    /// </summary>
    [Fact]
    public void Every_gap_with_its_message_in_order()
    {
        var app = new Dictionary<string, string> { ["app"] = "platau" };
        var scope = new BackupScope(["a-prod", "b-prod", "c-prod"], [], null, LabelSelector.Parse("app=platau"));
        var a = DrillCoverageAssessment.Assess(
            [Ns("c-prod", After), Ns("b-prod", LastSuccess), Ns("a-prod"), Ns("z-new")],
            [
                Obj("StatefulSet", "b-prod", "mongodb", After, app), Obj("Deployment", "b-prod", "api", After, app), Obj("Deployment", "a-prod", "unlabelled"),
                Obj("PersistentVolumeClaim", "a-prod", "data", LastSuccess, app), Obj("Deployment", "z-new", "web", After, app),
                Obj("Deployment", "a-prod", "excluded", After, new Dictionary<string, string> { ["app"] = "platau", ["velero.io/exclude-from-backup"] = "true" }),
                Obj("Deployment", "c-prod", "portal", After, app),
            ],
            ["a-prod", "b-prod", "c-prod"], scope, LastSuccess);
        Gaps(a).ShouldBe(string.Join(" | ",
            "Namespace z-new/z-new NotBackedUp: namespace z-new is production but not in the drill's spec.source.namespaces",
            "Deployment a-prod/excluded NotBackedUp: Deployment a-prod/excluded is left out of the backups (labels)",
            "Deployment a-prod/unlabelled NotBackedUp: Deployment a-prod/unlabelled is left out of the backups (labels)",
            "Namespace c-prod/c-prod NotRehearsed: namespace c-prod appeared after the last successful run",
            "Deployment b-prod/api NotRehearsed: Deployment b-prod/api appeared after the last successful run",
            "StatefulSet b-prod/mongodb NotRehearsed: StatefulSet b-prod/mongodb appeared after the last successful run",
            "Deployment c-prod/portal NotRehearsed: Deployment c-prod/portal appeared after the last successful run"));
        (a.Verdict, a.NotBackedUp, a.NotRehearsed).ShouldBe((CoverageVerdict.NotBackedUp, 3, 4));
        a.Message.ShouldBe(string.Join("; ", a.Gaps.Take(5).Select(g => g.Message)) + "; and 2 more (status.coverageGaps)");
    }

    [Fact]
    public void Five_gaps_are_all_in_the_message()
    {
        var a = DrillCoverageAssessment.Assess([.. Enumerable.Range(1, 5).Select(i => Ns($"n{i}"))], [], [], PlatauOnly, LastSuccess);
        a.Message.ShouldBe(string.Join("; ", Enumerable.Range(1, 5).Select(i => $"namespace n{i} is production but not in the drill's spec.source.namespaces")));
    }

    [Fact]
    public void The_messages_of_a_complete_and_a_never_rehearsed_drill_count_the_namespaces()
    {
        var scope = new BackupScope(["a", "b"], [], null, LabelSelector.Everything);
        DrillCoverageAssessment.Assess([Ns("a"), Ns("b")], [], ["a", "b"], scope, LastSuccess).Message.ShouldBe("2 production namespace(s) backed up and rehearsed");
        var never = DrillCoverageAssessment.Assess([Ns("a"), Ns("b")], [Obj("Deployment", "a", "new", After)], ["a", "b"], scope, null);
        (never.Verdict, never.Message, never.NotRehearsed).ShouldBe((CoverageVerdict.NeverRehearsed, "2 production namespace(s) backed up, but no run of this drill has succeeded yet", 0));
    }

    [Fact]
    public void At_most_twenty_gaps_are_kept_in_the_status()
    {
        var a = DrillCoverageAssessment.Assess([.. Enumerable.Range(10, 25).Select(i => Ns($"n{i}"))], [], [], PlatauOnly, LastSuccess);
        (a.Gaps.Count, a.NotBackedUp).ShouldBe((20, 25));
        a.Message.ShouldEndWith("; and 20 more (status.coverageGaps)");
    }

    [Theory]
    [InlineData("platau-prod", true)]
    [InlineData("platau-preprod", false)]
    [InlineData("kube-system", false)]
    public void A_scope_holds_the_namespaces_it_names_or_selects_never_the_excluded(string ns, bool held)
    {
        var labels = new Dictionary<string, string> { ["env"] = ns == "platau-prod" ? "prod" : "other" };
        new BackupScope([], [], LabelSelector.Parse("env=prod"), LabelSelector.Everything).HoldsNamespace(ns, labels).ShouldBe(held);
        new BackupScope([], [], null, LabelSelector.Everything).HoldsNamespace(ns, labels).ShouldBeTrue("no namespace named nor selected: all of them");
        new BackupScope(["*"], [ns], null, LabelSelector.Everything).HoldsNamespace(ns, labels).ShouldBeFalse("excluded wins over *");
        new BackupScope([ns], [], LabelSelector.Parse("env=none"), LabelSelector.Everything).HoldsNamespace(ns, labels).ShouldBeTrue("named");
    }

    [Fact]
    public void Every_namespace_with_a_star_and_new_namespaces_listed_by_name()
    {
        new BackupScope(["*"], [], null, LabelSelector.Everything).HoldsNamespace("anything", new Dictionary<string, string>()).ShouldBeTrue();
        var a = DrillCoverageAssessment.Assess([Ns("b-new", After), Ns("a-new", After)], [], ["a-new", "b-new"], new BackupScope(["*"], [], null, LabelSelector.Everything), LastSuccess);
        a.Gaps.Select(g => g.Name).ShouldBe(["a-new", "b-new"]);
    }
}
