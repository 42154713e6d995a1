using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Backups.Methods;
using DematOperator.Drills.Steps;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.Drills.Engines;

/// <summary>
/// The backup engine a drill restores with (spec.backup.engine). The steps stay the same whatever the engine:
/// Preflight asks it for the newest restorable data, Restore has it restore into the namespaces the run created,
/// Measure has it say, from its own restore objects, how old the restored data really was.
/// </summary>
public interface IRestoreEngine
{
    BackupMethod Engine { get; }
    /// <summary>The engine's namespace on the target: the drill's Lease lives there, next to what it restores with.</summary>
    string Namespace(PraDrill drill);
    /// <summary>Fills run.BackupName, run.BackupTime (the oldest data restored) and run.RecoveryPoints, or refuses.</summary>
    Task<StepOutcome?> ChooseAsync(DrillRunContext cx, CancellationToken ct);
    /// <summary>Creates (or adopts, after a restart) the restore objects named after the run and says where they stand.</summary>
    Task<StepOutcome> RestoreAsync(DrillRunContext cx, CancellationToken ct);
    /// <summary>The name and data time of what the restore objects actually restored, or null when they cannot say.</summary>
    Task<(string Name, DateTimeOffset DataTime)?> RestoredAsync(DrillRunContext cx, CancellationToken ct);
}

public static class RestoreEngines
{
    public static BackupMethod Of(PraDrill drill) => drill.Spec.Backup.Engine == nameof(BackupMethod.Kasten) ? BackupMethod.Kasten : BackupMethod.Velero;

    public static IReadOnlyDictionary<BackupMethod, IRestoreEngine> All { get; } =
        new IRestoreEngine[] { new VeleroRestoreEngine(), new KastenRestoreEngine() }.ToDictionary(e => e.Engine);

    public static IRestoreEngine For(PraDrill drill) => All[Of(drill)];

    /// <summary>Labels on everything a run creates on the target: the only objects its rollback may delete.</summary>
    public static Dictionary<string, string> RunLabelsOf(DrillRunContext cx) => new()
    {
        [DrillMarks.RunLabel] = RunLabels.LabelValue(cx.Run.Name),
        [DrillMarks.DrillLabel] = RunLabels.LabelValue(cx.Drill.Name),
    };


    /// <summary>Whether a namespace holds anything of a workload: the restore brought it (the run created the namespace empty).</summary>
    public static async Task<bool> HoldsAnyAsync(KubeClient target, string ns, ListRequest selector, Func<KubeObject, bool>? counts, CancellationToken ct)
    {
        async Task<bool> Any<T>(ResourceType<T> type) where T : KubeObject => (await target.ListAsync(type, ns, selector, ct)).Items.Any(o => counts?.Invoke(o) ?? true);
        return await Any(Foreign.ForeignKinds.Deployments) || await Any(Foreign.ForeignKinds.StatefulSets) || await Any(Foreign.ForeignKinds.PersistentVolumeClaims)
               || await Any(Resources.ConfigMaps) || await Any(Resources.Secrets);
    }
}
