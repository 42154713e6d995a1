using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Drills.Steps;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;

namespace DematOperator.Drills.Engines;

/// <summary>
/// Veeam Kasten K10. Production exports its RestorePoints to a location profile; the recovery site's K10 imports
/// them as cluster-scoped RestorePointContents labelled with the application's namespace. For each production
/// namespace the drill takes the newest imported content exported to spec.backup.kasten.exportProfile, makes one
/// RestorePoint of it in the namespace the run created, and restores it there with one RestoreAction (which K10
/// wants in the namespace it restores into), both named after the run.
/// </summary>
public sealed class KastenRestoreEngine : IRestoreEngine
{
    private const string RestorePointApi = "apps.kio.kasten.io/v1alpha1";

    public BackupMethod Engine => BackupMethod.Kasten;

    public string Namespace(PraDrill drill) => drill.Spec.Backup.Kasten?.Namespace ?? "kasten-io";
    private static string Profile(PraDrill drill) => drill.Spec.Backup.Kasten?.ExportProfile ?? "";

    public async Task<StepOutcome?> ChooseAsync(DrillRunContext cx, CancellationToken ct)
    {
        var profile = Profile(cx.Drill);
        var chosen = new List<DrillRecoveryPoint>();
        var missing = new List<string>();
        foreach (var ns in cx.Drill.Spec.Source.Namespaces)
        {
            List<KastenRestorePointContent> contents;
            try
            {
                contents = (await cx.Target.ListAsync(ForeignKinds.KastenRestorePointContents, null,
                    new ListRequest($"{KastenLabels.AppNamespace}={ns},{KastenLabels.ExportProfile}={profile}"), ct)).Items;
            }
            catch (KubeApiException e) when (e.Code == 404) { return StepOutcome.Fail(DrillReasons.KastenNotInstalled, "the apps.kio.kasten.io API is not served on the target cluster (install Veeam Kasten K10)"); }
            if (contents.MaxBy(c => c.DataTime) is { } newest) chosen.Add(new DrillRecoveryPoint { Namespace = ns, Name = newest.Name, DataTime = newest.DataTime });
            else missing.Add(ns);
        }
        if (chosen.Count == 0)
            return StepOutcome.Fail(DrillReasons.NoCompletedBackup, $"no restore point exported to profile {profile} is imported on the target for {string.Join(", ", missing)} (is the recovery site's K10 import policy running?)");
        if (missing.Count > 0)
            return StepOutcome.Fail(DrillReasons.BackupMissesNamespace, $"no restore point exported to profile {profile} is imported on the target for {string.Join(", ", missing)}; there is for {string.Join(", ", chosen.Select(c => c.Namespace))}");
        cx.Run.RecoveryPoints = chosen;
        cx.Run.BackupName = string.Join(", ", chosen.Select(c => c.Name));
        // The restore is as old as its oldest part.
        cx.Run.BackupTime = chosen.Min(c => c.DataTime);
        return null;
    }

    public async Task<StepOutcome> RestoreAsync(DrillRunContext cx, CancellationToken ct)
    {
        var run = cx.Run;
        run.RestoreName = run.Name;
        if (run.RecoveryPoints is not { Count: > 0 } points)
            return StepOutcome.Fail(DrillReasons.StepFailed, "the run chose no restore point at Preflight");
        var waiting = new List<string>();
        foreach (var point in points)
        {
            var ns = cx.Settings.TargetNamespace(point.Namespace);
            await ObjectWriter.CreateOrGetAsync(cx.Target, ForeignKinds.KastenRestorePoints, NewRestorePoint(cx, ns, point), ct);
            var action = await cx.Target.TryGetAsync(ForeignKinds.KastenRestoreActions, ns, run.Name, ct)
                         ?? await ObjectWriter.CreateOrGetAsync(cx.Target, ForeignKinds.KastenRestoreActions, NewRestoreAction(cx, ns), ct);
            var state = action.Status?.State;
            if (KastenStates.IsFailure(state))
                return StepOutcome.Fail(DrillReasons.RestoreFailed, $"K10 RestoreAction {ns}/{run.Name} {state}: {action.Status?.Error?.Text() ?? "no error message"}");
            if (state != KastenStates.Complete) waiting.Add($"{ns} {state ?? KastenStates.Pending}");
        }
        if (waiting.Count > 0)
        {
            if (cx.StepElapsed > cx.Settings.RestoreTimeout)
                return StepOutcome.Fail(DrillReasons.RestoreTimedOut, $"K10 RestoreActions not complete after {Durations.Human(cx.Settings.RestoreTimeout)}: {string.Join(", ", waiting)}");
            return StepOutcome.Wait($"K10 RestoreActions: {string.Join(", ", waiting)}");
        }
        // K10's Complete is not the proof: the namespace, created empty by the run, must now hold production's objects.
        var empty = new List<string>();
        foreach (var ns in cx.TargetNamespaces)
            if (!await RestoreEngines.HoldsAnyAsync(cx.Target, ns, new ListRequest(), o => !OperatorKinds.IsAutomatic(o), ct)) empty.Add(ns);
        if (empty.Count > 0)
            return StepOutcome.Fail(DrillReasons.NothingRestored, $"K10 RestoreActions {run.Name} are Complete but restored nothing into {string.Join(", ", empty)}: a drill that restored nothing proves nothing");
        return StepOutcome.Done($"K10 RestoreActions {run.Name} complete from {string.Join(", ", points.Select(p => p.Name))}"
                                + (cx.Settings.Failover ? "" : "; DematOperator's own resources excluded (rehearsal)"));
    }

    /// <summary>RestoreAction → its RestorePoint → the content it was made of: the data time of what K10 actually restored.</summary>
    public async Task<(string Name, DateTimeOffset DataTime)?> RestoredAsync(DrillRunContext cx, CancellationToken ct)
    {
        var restored = new List<KastenRestorePointContent>();
        foreach (var ns in cx.TargetNamespaces)
        {
            if (await cx.Target.TryGetAsync(ForeignKinds.KastenRestoreActions, ns, cx.Run.Name, ct) is not { Spec.Subject: { Name: { } pointName } subject }
                || await cx.Target.TryGetAsync(ForeignKinds.KastenRestorePoints, subject.Namespace ?? ns, pointName, ct) is not { Spec.RestorePointContentRef.Name: { } contentName }
                || await cx.Target.TryGetAsync(ForeignKinds.KastenRestorePointContents, null, contentName, ct) is not { } content)
                return null;
            restored.Add(content);
        }
        return restored.Count == 0 ? null : (string.Join(", ", restored.Select(c => c.Name)), restored.Min(c => c.DataTime));
    }

    private static KastenRestorePoint NewRestorePoint(DrillRunContext cx, string ns, DrillRecoveryPoint point) => new()
    {
        Metadata = new ObjectMeta { Name = cx.Run.Name, Namespace = ns, Labels = RestoreEngines.RunLabelsOf(cx) },
        Spec = new KastenRestorePointSpec { RestorePointContentRef = new KastenObjectRef { Name = point.Name } },
    };

    private KastenRestoreAction NewRestoreAction(DrillRunContext cx, string ns)
    {
        var labels = RestoreEngines.RunLabelsOf(cx);
        labels["app.kubernetes.io/managed-by"] = "dematoperator";
        return new KastenRestoreAction
        {
            Metadata = new ObjectMeta { Name = cx.Run.Name, Namespace = ns, Labels = labels },
            Spec = new KastenRestoreActionSpec
            {
                Subject = new KastenObjectRef { ApiVersion = RestorePointApi, Kind = "RestorePoint", Name = cx.Run.Name, Namespace = ns },
                TargetNamespace = ns,
                // An exported point is read from the location profile (docs.kasten.io api/actions: profile only for exported points).
                Profile = new KastenObjectRef { Name = Profile(cx.Drill), Namespace = Namespace(cx.Drill) },
                // Isolation, as with Velero: a rehearsal never restores our own resources; a failover does, on purpose.
                Filters = cx.Rehearsal ? new KastenRestoreFilters { ExcludeResources = KastenResourceFilter.OperatorKinds() } : null,
            },
        };
    }
}
