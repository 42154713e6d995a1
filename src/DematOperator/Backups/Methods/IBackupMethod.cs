using DematOperator.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Backups.Methods;

/// <summary>The backup engines a BackupPolicy can drive (spec.method).</summary>
public enum BackupMethod { CSISnapshot, Velero, Kasten }

/// <summary>A policy's resolved settings, as every method needs them.</summary>
public sealed record BackupSettings(CronSchedule Schedule, DateTimeZone Zone, Duration Rpo, Duration? StartingDeadline, Duration CsiTimeout, List<string> Namespaces, RetentionLimits? Retention)
{
    /// <summary>spec.hooks with their presets applied, in order.</summary>
    public IReadOnlyList<Hooks.ResolvedHook> Hooks { get; init; } = [];
}

/// <summary>A dependency of the method is missing or the spec cannot be acted on: Ready=False with the reason (looked at again when transient).</summary>
public sealed class InvalidPolicyException(string reason, string message, bool transient = false) : Exception(message)
{
    public string Reason { get; } = reason;
    public bool Transient { get; } = transient;
}

/// <summary>
/// One backup engine: check that it is installed, start the run of a slot (named after it, so a restart adopts it),
/// observe the policy's runs from their objects (the objects are the truth, never the status), and delete a run the
/// way the engine wants it deleted. Runs are always selected by both the policy's name and its namespace labels.
/// </summary>
public interface IBackupMethod
{
    BackupMethod Method { get; }
    Task CheckInstalledAsync(BackupPolicy policy, CancellationToken ct);
    /// <summary>Starts the run; returns whether anything was created (false when it existed already, or had nothing to back up).</summary>
    Task<bool> StartAsync(BackupPolicy policy, BackupSettings settings, string run, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> annotations, CancellationToken ct);
    Task<List<ObservedRun>> ObserveAsync(BackupPolicy policy, BackupSettings settings, Instant now, CancellationToken ct);
    Task DeleteAsync(BackupPolicy policy, IReadOnlyList<string> namespaces, string run, CancellationToken ct);
}

/// <summary>
/// An engine whose capture the hooks can wait for: it tells when the run's point in time is fixed, so the freeze can
/// end (today CSI snapshots only; Velero and K10 run their own hooks).
/// </summary>
public interface ICaptureObserver
{
    /// <summary>Null while the capture is not fixed yet; then Captured, or CaptureFailed with why.</summary>
    Task<Hooks.HookOutcome?> CapturedAsync(BackupPolicy policy, BackupSettings settings, string run, Instant since, Instant now, CancellationToken ct);
}

public static class BackupMethods
{
    /// <summary>The method a spec names, or null when it names none we know (the schema refuses that first).</summary>
    public static BackupMethod? Of(BackupPolicySpec spec) => Enum.TryParse<BackupMethod>(spec.Method, out var m) ? m : null;

    public static BackupMethod Parse(string method) => Enum.TryParse<BackupMethod>(method, out var m) ? m
        : throw new InvalidPolicyException("UnknownMethod", $"spec.method \"{method}\" is not CSISnapshot, Velero or Kasten");

    public static IReadOnlyDictionary<BackupMethod, IBackupMethod> All(KubeClient client, Kube.Writes.EventRecorder events) =>
        new IBackupMethod[] { new CsiSnapshotMethod(client, events), new VeleroMethod(client, events), new KastenMethod(client) }.ToDictionary(m => m.Method);
}

/// <summary>Creating a run's objects, whose names come from the policy and the slot.</summary>
public static class RunObjects
{
    /// <summary>
    /// Creates the object, or adopts it when this policy's run already made it (a restart). Two policies of the same name in
    /// different namespaces share Velero's namespace (and maybe a target namespace): when the name is taken by the other
    /// policy's run, this one's object is named with its namespace's hash, deterministically, so neither adopts the other's.
    /// Returns whether an object was created.
    /// </summary>
    public static async Task<bool> CreateAsync<T>(KubeClient client, Kube.Api.ResourceType<T> type, T obj, BackupPolicy policy, CancellationToken ct) where T : Kube.Api.KubeObject
    {
        try { await client.CreateAsync(type, obj, ct); return true; }
        catch (Kube.Api.KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = await client.TryGetAsync(type, obj.Metadata.Namespace, obj.Name, ct);
            if (existing is null || Owns(policy, existing)) return false;
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(policy.Namespace!)))[..6].ToLowerInvariant();
            // Velero names backups into labels (velero.io/backup-name): 63 characters at most.
            var max = type.Group == "velero.io" ? 63 : 253;
            obj.Metadata.Name = KubeNames.Fit($"{obj.Name}-{hash}", max);
            try { await client.CreateAsync(type, obj, ct); return true; }
            catch (Kube.Api.KubeApiException again) when (again.IsAlreadyExists) { return false; }
        }
    }

    private static bool Owns(BackupPolicy policy, Kube.Api.KubeObject o) =>
        o.Metadata.Labels?.GetValueOrDefault(RunLabels.Policy) == RunLabels.LabelValue(policy.Name)
        && o.Metadata.Labels?.GetValueOrDefault(RunLabels.PolicyNamespace) == policy.Namespace;
}
