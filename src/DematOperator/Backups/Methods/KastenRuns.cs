using DematOperator.Foreign;
using NodaTime;

namespace DematOperator.Backups.Methods;

/// <summary>
/// Reads Kasten runs from their objects, purely: a run is the RunAction of a slot (policy mode) or the BackupActions
/// of a slot, one per target namespace (namespace mode), plus the ExportActions DematOperator made of them. Its state
/// follows the actions' status.state; its recovery point is the oldest of the RestorePoints it left in the target
/// namespaces, because K10's word "Complete" is not a proof: a run that left no RestorePoint is not a recovery point.
/// </summary>
public static class KastenRuns
{
    /// <param name="runActions">This policy's RunActions (labelled with its name and namespace).</param>
    /// <param name="backupActions">This policy's BackupActions, in the target namespaces.</param>
    /// <param name="exportActions">This policy's ExportActions, in K10's namespace.</param>
    /// <param name="restorePoints">Every RestorePoint of the target namespaces.</param>
    public static List<ObservedRun> Observe(IReadOnlyList<KastenRunAction> runActions, IReadOnlyList<KastenBackupAction> backupActions,
        IReadOnlyList<KastenExportAction> exportActions, IReadOnlyList<KastenRestorePoint> restorePoints, IReadOnlyList<string> namespaces, string? exportProfile)
    {
        var observed = new List<(ObservedRun Run, string? Gap)>();
        foreach (var action in runActions)
            observed.Add(FromRunAction(action, restorePoints, namespaces, exportProfile));
        foreach (var group in backupActions.GroupBy(RunOf))
            observed.Add(FromBackupActions(group.Key, [.. group], exportActions.Where(e => RunOf(e) == group.Key).ToList(), restorePoints, namespaces, exportProfile));
        return Settle(observed);
    }

    /// <summary>
    /// A run K10 calls Complete but that has no RestorePoint (or no export) is either retired (K10's retention removed
    /// its points, so a newer run holds data) or a failure (nothing newer holds any: the backup never produced data).
    /// </summary>
    internal static List<ObservedRun> Settle(List<(ObservedRun Run, string? Gap)> observed)
    {
        var result = new List<ObservedRun>();
        foreach (var (run, gap) in observed)
        {
            if (gap is null) { result.Add(run); continue; }
            var newerHoldsData = observed.Any(o => o.Gap is null && o.Run.Phase == RunPhase.Succeeded && o.Run.Started > run.Started);
            if (!newerHoldsData) result.Add(run with { Phase = RunPhase.Failed, RecoveryPoint = null, Error = gap });
        }
        return result;
    }

    private static (ObservedRun, string?) FromRunAction(KastenRunAction action, IReadOnlyList<KastenRestorePoint> restorePoints, IReadOnlyList<string> namespaces, string? exportProfile)
    {
        var (started, completed) = Times(action.Status, action.Metadata.CreationTimestamp);
        var run = new ObservedRun(RunOf(action), RunPhase.Running, started, null, null, null, Manual(action));
        var state = action.Status?.State;
        if (KastenStates.IsFailure(state))
            return (run with { Phase = RunPhase.Failed, Completed = completed, Error = $"K10 RunAction {action.Name} {state}: {ErrorOf(action.Status, state)}" }, null);
        if (state != KastenStates.Complete) return (run, null);
        var mine = restorePoints.Where(p => p.Metadata.Labels?.GetValueOrDefault(KastenLabels.RunActionName) == action.Name).ToList();
        return Completed(run with { Completed = completed }, namespaces, ns => mine.Where(p => p.Namespace == ns && !p.Exported).ToList(),
            ns => exportProfile is null || mine.Any(p => p.Namespace == ns && p.Metadata.Labels?.GetValueOrDefault(KastenLabels.ExportProfile) == exportProfile),
            exportProfile, $"K10 RunAction {action.Name} is Complete");
    }

    private static (ObservedRun, string?) FromBackupActions(string name, List<KastenBackupAction> actions, List<KastenExportAction> exports,
        IReadOnlyList<KastenRestorePoint> restorePoints, IReadOnlyList<string> namespaces, string? exportProfile)
    {
        var started = actions.Min(a => Times(a.Status, a.Metadata.CreationTimestamp).Started);
        var run = new ObservedRun(name, RunPhase.Running, started, null, null, null, actions.Any(Manual));
        if (actions.FirstOrDefault(a => KastenStates.IsFailure(a.Status?.State)) is { } failed)
            return (run with { Phase = RunPhase.Failed, Completed = Times(failed.Status, failed.Metadata.CreationTimestamp).Completed,
                Error = $"K10 BackupAction {failed.Namespace}/{failed.Name} {failed.Status!.State}: {ErrorOf(failed.Status, failed.Status.State)}" }, null);
        if (exports.FirstOrDefault(e => KastenStates.IsFailure(e.Status?.State)) is { } failedExport)
            return (run with { Phase = RunPhase.Failed, Completed = Times(failedExport.Status, failedExport.Metadata.CreationTimestamp).Completed,
                Error = $"K10 ExportAction {failedExport.Name} of {failedExport.Spec?.Subject?.Namespace}/{failedExport.Spec?.Subject?.Name} to {exportProfile} {failedExport.Status!.State}: {ErrorOf(failedExport.Status, failedExport.Status.State)}" }, null);
        if (!namespaces.All(ns => actions.Any(a => a.Namespace == ns && a.Status?.State == KastenStates.Complete))) return (run, null);
        var local = (string ns) => restorePoints.Where(p => p.Namespace == ns && actions.Any(a => a.Namespace == ns && a.Status?.RestorePoint?.Name == p.Name)).ToList();
        // The exports are made once the RestorePoints exist: until they are Complete the run is still going.
        var exported = exportProfile is null || namespaces.All(ns => exports.Any(e => e.Spec?.Subject?.Namespace == ns && e.Status?.State == KastenStates.Complete));
        if (!exported && namespaces.All(ns => local(ns).Count > 0)) return (run, null);
        var ends = actions.Select(a => a.Status?.EndTime).Concat(exports.Select(e => e.Status?.EndTime)).ToList();
        var completed = ends.All(e => e is not null) ? Instant.FromDateTimeOffset(ends.Max()!.Value) : (Instant?)null;
        return Completed(run with { Completed = completed }, namespaces, local, _ => true, exportProfile, "K10 BackupActions are Complete");
    }

    private static (ObservedRun, string?) Completed(ObservedRun run, IReadOnlyList<string> namespaces, Func<string, List<KastenRestorePoint>> local,
        Func<string, bool> exported, string? exportProfile, string complete)
    {
        var points = namespaces.ToDictionary(ns => ns, local);
        var missing = points.Where(p => p.Value.Count == 0).Select(p => p.Key).ToList();
        if (missing.Count > 0)
            return (run, $"{complete} but left no RestorePoint in {string.Join(", ", missing)}: not a recovery point (does the K10 Policy select {(missing.Count == 1 ? "this namespace" : "these namespaces")}?)");
        var notExported = namespaces.Where(ns => !exported(ns)).ToList();
        if (notExported.Count > 0)
            return (run, $"{complete} but {string.Join(", ", notExported)} {(notExported.Count == 1 ? "was" : "were")} not exported to profile {exportProfile}: the recovery site could not restore it");
        var point = points.Values.Select(ps => ps.Max(p => p.DataTime)).Min();
        return (run with { Phase = RunPhase.Succeeded, RecoveryPoint = Instant.FromDateTimeOffset(point), Completed = run.Completed ?? Instant.FromDateTimeOffset(point) }, null);
    }

    private static (Instant Started, Instant? Completed) Times(KastenActionStatus? status, DateTimeOffset? created) =>
        (Instant.FromDateTimeOffset(status?.StartTime ?? created ?? DateTimeOffset.UnixEpoch), status?.EndTime is { } end ? Instant.FromDateTimeOffset(end) : null);

    private static string ErrorOf(KastenActionStatus? status, string? state) => status?.Error?.Text() is { } text && status.Error is not null
        ? Shorten(text)
        : state == KastenStates.Skipped ? "K10 skipped it (a run of the same policy was still going)" : "no error message";

    /// <summary>K10's cause is often a long JSON chain: the status keeps its beginning.</summary>
    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "…";

    public static string RunOf(Kube.Api.KubeObject o) => RunLabels.RunOf(o);
    private static bool Manual(Kube.Api.KubeObject o) => o.Metadata.Labels?.GetValueOrDefault(RunLabels.Trigger) == "manual";
}
