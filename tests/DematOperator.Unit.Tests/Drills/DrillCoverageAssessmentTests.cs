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
}
