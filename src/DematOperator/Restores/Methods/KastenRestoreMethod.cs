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
    private static readonly HashSet<string> Automatic = ["kube-root-ca.crt", "openshift-service-ca.crt"];
    public BackupMethod Method => BackupMethod.Kasten;

    public async Task<RestorePlan> PlanAsync(RestoreContext cx, CancellationToken ct)
    {
        if (await KastenMethod.LocalPointAsync(cx.Client, cx.Policy, cx.Run.Name, cx.Source, ct) is not { } point) return new RestorePlan([], 0, false);
        var what = cx.Kinds is { } kinds ? string.Join(", ", kinds) : "every kind";
        return new RestorePlan([$"{cx.Source} from K10 RestorePoint {point.Name} (data of {point.DataTime:yyyy-MM-dd HH:mm:ss}Z): {what}"], 1, false);
    }

    public Task<List<string>> ConflictsAsync(RestoreContext cx, RestorePlan plan, CancellationToken ct) =>
        RestoreTargets.ExistingAsync(cx.Client, cx.Target, cx.Kinds, cx.Selector, ct);

    public async Task StartAsync(RestoreContext cx, CancellationToken ct)
    {
        if (await KastenMethod.LocalPointAsync(cx.Client, cx.Policy, cx.Run.Name, cx.Source, ct) is not { } point) return;
        await ObjectWriter.CreateOrGetAsync(cx.Client, ForeignKinds.KastenRestoreActions, new KastenRestoreAction
        {
            Metadata = new ObjectMeta { Name = cx.ObjectName, Namespace = cx.Target, Labels = cx.Labels() },
            Spec = new KastenRestoreActionSpec
            {
                Subject = new KastenObjectRef { ApiVersion = "apps.kio.kasten.io/v1alpha1", Kind = "RestorePoint", Name = point.Name, Namespace = cx.Source },
                TargetNamespace = cx.Target,
                Filters = new KastenRestoreFilters
                {
                    IncludeResources = cx.Kinds?.Select(k => RestoreTargets.Resource(k)).Select(r => new KastenResourceFilter { Group = r.Group, Resource = r.Plural }).ToList(),
                    ExcludeResources = [.. OperatorKinds.GroupResources.Select(gr => new KastenResourceFilter { Group = Group.Name, Resource = gr[..gr.IndexOf('.')] })],
                },
            },
        }, ct);
    }

    public async Task<RestoreProgress> ObserveAsync(RestoreContext cx, Duration elapsed, Duration timeout, CancellationToken ct)
    {
        var action = await cx.Client.TryGetAsync(ForeignKinds.KastenRestoreActions, cx.Target, cx.ObjectName, ct);
        var state = action?.Status?.State;
        if (KastenStates.IsFailure(state)) return RestoreProgress.Failed(RestoreReasons.RestoreFailed, $"K10 RestoreAction {cx.Target}/{cx.ObjectName} {state}: {action!.Status!.Error?.Text() ?? "no error message"}");
        if (state == KastenStates.Complete)
        {
            var there = (await RestoreTargets.ExistingAsync(cx.Client, cx.Target, cx.Kinds, cx.Selector, ct)).Where(o => !Automatic.Contains(o[(o.IndexOf('/') + 1)..])).ToList();
            return there.Count == 0 ? RestoreProgress.Failed(RestoreReasons.NothingRestored, $"K10 RestoreAction {cx.ObjectName} is Complete but {cx.Target} holds nothing it restored")
                : RestoreProgress.Succeeded($"K10 RestoreAction {cx.ObjectName} complete: {cx.Target} holds {there.Count} object(s)");
        }
        if (elapsed > timeout) return RestoreProgress.Failed(RestoreReasons.RestoreTimedOut, $"K10 RestoreAction {cx.ObjectName} not complete after {Durations.Human(timeout)}");
        return RestoreProgress.Running($"K10 RestoreAction {cx.ObjectName}: {state ?? KastenStates.Pending}");
    }
}
