using DematOperator.Api;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using NodaTime;
using NodaTime.Text;

namespace DematOperator.Backups;

public enum RunPhase { Running, Succeeded, Failed }

/// <summary>What one run is, as observed on its objects (VolumeSnapshots or a Velero Backup).</summary>
public sealed record ObservedRun(string Name, RunPhase Phase, Instant Started, Instant? Completed, Instant? RecoveryPoint, string? Error, bool Manual)
{
    /// <summary>Application when the capture was made inside a freeze whose every pre-hook succeeded; Crash otherwise.</summary>
    public Hooks.RecoveryConsistency Consistency { get; init; } = Hooks.RecoveryConsistency.Crash;

    public BackupRun AsBackupRun() => new(Name, RecoveryPoint ?? Started, Phase == RunPhase.Succeeded);
}

/// <summary>Labels and names that tie run objects to their policy (across namespaces, where ownerReferences cannot).</summary>
public static class RunLabels
{
    public const string Policy = "ops.demat.gouv.fr/backup-policy";
    public const string PolicyNamespace = "ops.demat.gouv.fr/policy-namespace";
    public const string Run = "ops.demat.gouv.fr/backup-run";
    public const string Trigger = "ops.demat.gouv.fr/trigger";
    public const string FailedAnnotation = "ops.demat.gouv.fr/run-failed";
    public const string RunNowAnnotation = "ops.demat.gouv.fr/run-now";
    /// <summary>An RFC 3339 instant: a planned change then needs a rollback point; a run starts at once to make it.</summary>
    public const string RunBeforeAnnotation = "ops.demat.gouv.fr/run-before";
    /// <summary>On each run object: the scheduled slot it runs (UTC), so an audit can count runs per slot whatever the names.</summary>
    public const string SlotAnnotation = "ops.demat.gouv.fr/slot";
    /// <summary>On each manual run object: the run-now value that asked for it (one run per request).</summary>
    public const string RunNowRequestAnnotation = "ops.demat.gouv.fr/run-now-request";
    /// <summary>On each run object: Application or Crash, what its capture can claim (written when it is created).</summary>
    public const string ConsistencyAnnotation = "ops.demat.gouv.fr/consistency";
    /// <summary>On a Velero run with hooks: how many hook commands Velero must run, and in which pod each hook froze (`hook=pod,...`).</summary>
    public const string HooksDeclaredAnnotation = "ops.demat.gouv.fr/hooks-declared";
    public const string HookPodsAnnotation = "ops.demat.gouv.fr/hook-pods";
    /// <summary>On a Velero run whose hooks did not all run: the thaw DematOperator ran after it, with its outcome.</summary>
    public const string ThawedAnnotation = "ops.demat.gouv.fr/thawed";

    public static string Selector(string ns, string policy) => $"{Policy}={LabelValue(policy)},{PolicyNamespace}={ns}";

    /// <summary>`policy-yyyyMMddHHmm` from the slot time in UTC: one name per slot, whatever restarts happen.</summary>
    public static string RunName(string policy, Instant slot, bool manual = false) =>
        KubeNames.Fit($"{policy}-{(manual ? "now-" : "")}{slot.ToDateTimeUtc().ToString(manual ? "yyyyMMddHHmmss" : "yyyyMMddHHmm", CultureInfo.InvariantCulture)}", 63);

    public static string LabelValue(string value) => KubeNames.Fit(value, 63);

    /// <summary>The run an object belongs to: its run label, else its name.</summary>
    public static string RunOf(KubeObject o) => o.Metadata.Labels?.GetValueOrDefault(Run) ?? o.Name;
}

/// <summary>Why a run exists: a scheduled slot, or a run-now request made at <paramref name="Slot"/>.</summary>
public readonly record struct RunOrigin(Instant Slot, string? RunNowRequest)
{
    public Dictionary<string, string> Annotations()
    {
        var annotations = new Dictionary<string, string> { [RunLabels.SlotAnnotation] = InstantPattern.ExtendedIso.Format(Slot) };
        if (RunNowRequest is not null) annotations[RunLabels.RunNowRequestAnnotation] = RunNowRequest;
        return annotations;
    }
}

/// <summary>Reads a run's state from its objects, following CSI and Velero semantics.</summary>
public static class RunObservation
{
    /// <summary>A CSI run: succeeded when every snapshot is readyToUse; failed on any error or when marked failed.</summary>
    public static ObservedRun FromSnapshots(string run, IReadOnlyList<Foreign.VolumeSnapshot> snapshots)
    {
        var started = snapshots.Min(s => Instant.FromDateTimeOffset(s.Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch));
        var manual = snapshots.Any(s => s.Metadata.Labels?.GetValueOrDefault(RunLabels.Trigger) == "manual");
        var marked = snapshots.Select(s => s.Metadata.Annotations?.GetValueOrDefault(RunLabels.FailedAnnotation)).FirstOrDefault(a => a is not null);
        var errors = snapshots.Select(s => s.Status?.Error?.Message).Where(m => m is not null).ToList();
        if (marked is not null || errors.Count > 0)
            return new ObservedRun(run, RunPhase.Failed, started, null, null, marked ?? errors[0], manual);
        var ready = snapshots.All(s => s.Status?.ReadyToUse == true);
        if (!ready) return new ObservedRun(run, RunPhase.Running, started, null, null, null, manual);
        var times = snapshots.Select(s => s.Status?.CreationTime is { } t ? Instant.FromDateTimeOffset(t) : (Instant?)null).ToList();
        var point = times.All(t => t is not null) ? times.Min() : started;
        return new ObservedRun(run, RunPhase.Succeeded, started, times.Max() ?? started, point, null, manual) { Consistency = ConsistencyOf(snapshots) };
    }

    /// <summary>
    /// A Velero run is Application-consistent when DematOperator declared its hooks (every hook found its pod) and
    /// Velero reports every one of them run, none failed.
    /// </summary>
    public static Hooks.RecoveryConsistency VeleroConsistency(Foreign.VeleroBackup backup)
    {
        var annotations = backup.Metadata.Annotations;
        var declared = int.TryParse(annotations?.GetValueOrDefault(RunLabels.HooksDeclaredAnnotation), out var n) ? n : 0;
        var hooks = backup.Status?.HookStatus;
        return declared > 0 && annotations?.GetValueOrDefault(RunLabels.ConsistencyAnnotation) == nameof(Hooks.RecoveryConsistency.Application)
               && hooks?.HooksFailed is null or 0 && (hooks?.HooksAttempted ?? 0) >= declared
            ? Hooks.RecoveryConsistency.Application : Hooks.RecoveryConsistency.Crash;
    }

    /// <summary>Application only when every object of the run says so.</summary>
    public static Hooks.RecoveryConsistency ConsistencyOf(IEnumerable<KubeObject> objects) =>
        objects.All(o => o.Metadata.Annotations?.GetValueOrDefault(RunLabels.ConsistencyAnnotation) == nameof(Hooks.RecoveryConsistency.Application))
            ? Hooks.RecoveryConsistency.Application : Hooks.RecoveryConsistency.Crash;

    /// <summary>
    /// A Velero run follows status.phase: Completed is a recovery point (its data is from startTimestamp);
    /// PartiallyFailed, Failed and FailedValidation fail; any other phase, known or not, is still running.
    /// </summary>
    public static ObservedRun FromVelero(Foreign.VeleroBackup backup)
    {
        var status = backup.Status;
        var phase = status?.Phase;
        var started = status?.StartTimestamp is { } st ? Instant.FromDateTimeOffset(st) : Instant.FromDateTimeOffset(backup.Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch);
        var completed = status?.CompletionTimestamp is { } ct ? Instant.FromDateTimeOffset(ct) : (Instant?)null;
        var manual = backup.Metadata.Labels?.GetValueOrDefault(RunLabels.Trigger) == "manual";
        var name = backup.Metadata.Labels?.GetValueOrDefault(RunLabels.Run) ?? backup.Name;
        var consistency = VeleroConsistency(backup);
        return phase switch
        {
            "Completed" => new ObservedRun(name, RunPhase.Succeeded, started, completed, started, null, manual) { Consistency = consistency },
            "PartiallyFailed" => new ObservedRun(name, RunPhase.Failed, started, completed, null, "Velero backup PartiallyFailed: not counted as a recovery point", manual),
            "Failed" or "FailedValidation" => new ObservedRun(name, RunPhase.Failed, started, completed, null,
                $"Velero backup {phase}: {status?.FailureReason ?? string.Join("; ", status?.ValidationErrors ?? [])}", manual),
            _ => new ObservedRun(name, RunPhase.Running, started, null, null, null, manual),
        };
    }

}
