using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;
using NodaTime;

namespace DematOperator.Restores.Methods;

/// <summary>
/// Kasten K10: one RestoreAction, named after the request, in the target namespace (K10 wants it in the namespace
/// it restores into), whose subject is the run's local RestorePoint in the source namespace.
/// </summary>
public sealed class KastenRestoreMethod : IRestoreMethod
{
    public BackupMethod Method => BackupMethod.Kasten;

    public async Task<RestorePlan> PlanAsync(RestoreContext cx, CancellationToken ct)
    {
        if (await KastenMethod.LocalPointAsync(cx.Client, cx.Policy, cx.Run.Name, cx.Source, ct) is not { } point) return new RestorePlan([], 0, false);
        var what = cx.Kinds is { } kinds ? string.Join(", ", kinds) : "every kind";
        return new RestorePlan([$"{cx.Source} from K10 RestorePoint {point.Name} (data of {point.DataTime:yyyy-MM-dd HH:mm:ss}Z): {what}"], 1, false);
    }

    public Task<List<string>> ConflictsAsync(RestoreContext cx, RestorePlan plan, CancellationToken ct) =>
        RestoreTargets.ExistingAsync(cx.TargetClient, cx.Target, cx.Kinds, cx.Selector, ct);

    /// <summary>On another cluster, the run's export as that cluster's K10 imported it: a content with the same data time.</summary>
    private static async Task<KastenRestorePointContent?> ImportedAsync(RestoreContext cx, CancellationToken ct)
    {
        if (KastenMethod.ExportProfileOf(cx.Policy) is not { } profile
            || await KastenMethod.LocalPointAsync(cx.Client, cx.Policy, cx.Run.Name, cx.Source, ct) is not { } point) return null;
        var contents = (await cx.TargetClient.ListAsync(ForeignKinds.KastenRestorePointContents, null,
            new ListRequest($"{KastenLabels.AppNamespace}={cx.Source},{KastenLabels.ExportProfile}={profile}"), ct)).Items;
        return contents.FirstOrDefault(c => Math.Abs((c.DataTime - point.DataTime).TotalSeconds) < 1);
    }

    public async Task<string?> MissingOnTargetAsync(RestoreContext cx, CancellationToken ct) =>
        !cx.OtherCluster || await ImportedAsync(cx, ct) is not null ? null
            : KastenMethod.ExportProfileOf(cx.Policy) is null ? $"BackupPolicy {cx.Policy.Name} exports nowhere (kasten.exportProfile): another cluster cannot read its restore points"
            : $"the target cluster's K10 has not imported run {cx.Run.Name}'s export (is its import policy for {KastenMethod.ExportProfileOf(cx.Policy)} running?)";

    public async Task StartAsync(RestoreContext cx, CancellationToken ct)
    {
        if (await KastenMethod.LocalPointAsync(cx.Client, cx.Policy, cx.Run.Name, cx.Source, ct) is not { } point) return;
        var subject = new KastenObjectRef { ApiVersion = "apps.kio.kasten.io/v1alpha1", Kind = "RestorePoint", Name = point.Name, Namespace = cx.Source };
        KastenObjectRef? profile = null;
        if (cx.OtherCluster)
        {
            // As the PRA does: a RestorePoint of the imported content, in the namespace it restores into, read from the profile.
            if (await ImportedAsync(cx, ct) is not { } content) return;
            await ObjectWriter.CreateOrGetAsync(cx.TargetClient, ForeignKinds.KastenRestorePoints, new KastenRestorePoint
            {
                Metadata = new ObjectMeta { Name = cx.ObjectName, Namespace = cx.Target, Labels = cx.Labels() },
                Spec = new KastenRestorePointSpec { RestorePointContentRef = new KastenObjectRef { Name = content.Name } },
            }, ct);
            subject = new KastenObjectRef { ApiVersion = "apps.kio.kasten.io/v1alpha1", Kind = "RestorePoint", Name = cx.ObjectName, Namespace = cx.Target };
            profile = new KastenObjectRef { Name = KastenMethod.ExportProfileOf(cx.Policy), Namespace = KastenMethod.Namespace(cx.Policy) };
        }
        await ObjectWriter.CreateOrGetAsync(cx.TargetClient, ForeignKinds.KastenRestoreActions, new KastenRestoreAction
        {
            Metadata = new ObjectMeta { Name = cx.ObjectName, Namespace = cx.Target, Labels = cx.Labels() },
            Spec = new KastenRestoreActionSpec
            {
                Subject = subject, Profile = profile,
                TargetNamespace = cx.Target,
                Filters = new KastenRestoreFilters
                {
                    IncludeResources = cx.Kinds?.Select(k => RestoreTargets.Resource(k)).Select(r => new KastenResourceFilter { Group = r.Group, Resource = r.Plural }).ToList(),
                    ExcludeResources = KastenResourceFilter.OperatorKinds(),
                },
            },
        }, ct);
    }

    public async Task<RestoreProgress> ObserveAsync(RestoreContext cx, Duration elapsed, Duration timeout, CancellationToken ct)
    {
        var action = await cx.TargetClient.TryGetAsync(ForeignKinds.KastenRestoreActions, cx.Target, cx.ObjectName, ct);
        var state = action?.Status?.State;
        if (KastenStates.IsFailure(state)) return RestoreProgress.Failed(RestoreReasons.RestoreFailed, $"K10 RestoreAction {cx.Target}/{cx.ObjectName} {state}: {action!.Status!.Error?.Text() ?? "no error message"}");
        if (state == KastenStates.Complete)
        {
            var there = await RestoreTargets.ExistingAsync(cx.TargetClient, cx.Target, cx.Kinds, cx.Selector, ct);
            return there.Count == 0 ? RestoreProgress.Failed(RestoreReasons.NothingRestored, $"K10 RestoreAction {cx.ObjectName} is Complete but {cx.Target} holds nothing it restored")
                : RestoreProgress.Succeeded($"K10 RestoreAction {cx.ObjectName} complete: {cx.Target} holds {there.Count} object(s)");
        }
        if (elapsed > timeout) return RestoreProgress.Failed(RestoreReasons.RestoreTimedOut, $"K10 RestoreAction {cx.ObjectName} not complete after {Durations.Human(timeout)}");
        return RestoreProgress.Running($"K10 RestoreAction {cx.ObjectName}: {state ?? KastenStates.Pending}");
    }
}
