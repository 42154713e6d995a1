using DematOperator.Api;
using DematOperator.Backups.Hooks;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Backups.Methods;

/// <summary>Velero/OADP: one Backup per run in Velero's namespace, covering the target namespaces; deleted through a DeleteBackupRequest.</summary>
public sealed class VeleroMethod(KubeClient client, Kube.Writes.EventRecorder events) : IBackupMethod
{
    public BackupMethod Method => BackupMethod.Velero;

    public static string Namespace(BackupPolicy p) => p.Spec.Velero?.Namespace ?? "openshift-adp";

    public async Task CheckInstalledAsync(BackupPolicy policy, CancellationToken ct)
    {
        try { await client.ListAsync(ForeignKinds.VeleroBackups, Namespace(policy), new ListRequest(Limit: 1), ct); }
        catch (KubeApiException e) when (e.Code == 404)
        {
            throw new InvalidPolicyException("VeleroNotInstalled", "the velero.io API is not installed on this cluster (install Velero or OADP)", transient: true);
        }
    }

    public async Task<bool> StartAsync(BackupPolicy policy, BackupSettings settings, string run, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> annotations, CancellationToken ct)
    {
        var velero = policy.Spec.Velero ?? new VeleroOptions();
        var (hooks, ownAnnotations) = await HooksAsync(settings, run, annotations, ct);
        var backup = new VeleroBackup
        {
            Metadata = new ObjectMeta { Name = run, Namespace = Namespace(policy), Labels = new(labels), Annotations = ownAnnotations },
            Spec = new VeleroBackupSpec
            {
                IncludedNamespaces = [.. settings.Namespaces],
                StorageLocation = velero.StorageLocation ?? "default",
                SnapshotVolumes = velero.SnapshotVolumes ?? true,
                Ttl = velero.Ttl,
                SnapshotMoveData = velero.SnapshotMoveData,
                LabelSelector = policy.Spec.Target.Selector,
                Hooks = hooks,
            },
        };
        return await RunObjects.CreateAsync(client, ForeignKinds.VeleroBackups, backup, policy, ct);
    }

    /// <summary>
    /// spec.hooks as Velero's own backup hooks (Velero runs them around the pod's backup). Each hook runs in the one
    /// ready pod it chose now (a StatefulSet's pod by its pod-name label); the pods are written on the Backup, so that a
    /// thaw Velero did not run can be run after it. A hook without a ready pod is left out, and the run is Crash.
    /// </summary>
    private async Task<(VeleroBackupHooks? Hooks, Dictionary<string, string> Annotations)> HooksAsync(BackupSettings settings, string run, IReadOnlyDictionary<string, string> annotations, CancellationToken ct)
    {
        var own = new Dictionary<string, string>(annotations);
        if (settings.Hooks.Count == 0) return (null, own);
        var resources = new List<VeleroResourceHook>();
        var pods = new List<string>();
        var commands = 0;
        foreach (var hook in settings.Hooks)
        {
            var ready = await Api.PodCommands.ReadyPodsAsync(client, hook.Namespace, hook.Workload, ct);
            if ((hook.LastPod ? ready.LastOrDefault() : ready.FirstOrDefault()) is not { } pod) continue;
            VeleroHook Exec(IReadOnlyList<string> command, NodaTime.Duration timeout) => new()
            {
                Exec = new VeleroExecHook { Command = [.. command], Container = hook.Container, OnError = hook.ContinueOnError ? "Continue" : "Fail", Timeout = $"{(long)timeout.TotalSeconds}s" },
            };
            var selector = hook.Workload.Kind == "StatefulSet"
                ? new Api.LabelSelectorSpec { MatchLabels = new() { ["statefulset.kubernetes.io/pod-name"] = pod } }
                : (await client.TryGetAsync(ForeignKinds.Deployments, hook.Namespace, hook.Workload.Name, ct))?.Spec?.Selector;
            resources.Add(new VeleroResourceHook
            {
                Name = hook.Name, IncludedNamespaces = [hook.Namespace], IncludedResources = ["pods"], LabelSelector = selector,
                Pre = hook.Pre is { } pre ? [Exec(ResolvedHook.ForRun(pre, run), hook.PreTimeout)] : null, Post = hook.Post is { } post ? [Exec(ResolvedHook.ForRun(post, run), hook.PostTimeout)] : null,
            });
            commands += (hook.Pre is null ? 0 : 1) + (hook.Post is null ? 0 : 1);
            pods.Add($"{hook.Name}={hook.Namespace}/{pod}");
        }
        own[RunLabels.HooksDeclaredAnnotation] = commands.ToString(System.Globalization.CultureInfo.InvariantCulture);
        own[RunLabels.HookPodsAnnotation] = string.Join(',', pods);
        own[RunLabels.ConsistencyAnnotation] = (resources.Count == settings.Hooks.Count ? Hooks.RecoveryConsistency.Application : Hooks.RecoveryConsistency.Crash).ToString();
        return (resources.Count == 0 ? null : new VeleroBackupHooks { Resources = resources }, own);
    }

    /// <summary>
    /// Velero skips a pod's remaining hooks, its thaw included, after a pre-hook that fails with onError Fail, and a
    /// failed backup may not reach the post-hooks at all: then DematOperator runs each hook's post command itself,
    /// once, in the pod the hook froze, and writes what happened on the Backup.
    /// </summary>
    private async Task ThawAfterVeleroAsync(BackupPolicy policy, BackupSettings settings, VeleroBackup backup, CancellationToken ct)
    {
        var annotations = backup.Metadata.Annotations ?? [];
        if (annotations.ContainsKey(RunLabels.ThawedAnnotation) || annotations.GetValueOrDefault(RunLabels.HookPodsAnnotation) is not { Length: > 0 } podList) return;
        var phase = backup.Status?.Phase;
        if (phase is not (VeleroPhases.Completed or VeleroPhases.PartiallyFailed or VeleroPhases.Failed or VeleroPhases.FailedValidation)) return;
        var declared = int.TryParse(annotations.GetValueOrDefault(RunLabels.HooksDeclaredAnnotation), out var n) ? n : 0;
        if (backup.Status?.HookStatus is { HooksFailed: null or 0 } status && (status.HooksAttempted ?? 0) >= declared) return;
        var results = new List<string>();
        foreach (var entry in podList.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, where) = (entry[..entry.IndexOf('=')], entry[(entry.IndexOf('=') + 1)..]);
            var (ns, pod) = (where[..where.IndexOf('/')], where[(where.IndexOf('/') + 1)..]);
            if (settings.Hooks.FirstOrDefault(h => h.Name == name) is not { Post: { } post } hook) continue;
            using var because = KubeClient.Because($"BackupPolicy {policy.Namespace}/{policy.Name} thaw after Velero backup {backup.Name}");
            var result = await Api.PodCommands.RunAsync(client, ns, pod, hook.Container, ResolvedHook.ForRun(post, RunLabels.RunOf(backup)), hook.PostTimeout.ToTimeSpan(), ct);
            results.Add($"{name} on {pod}: {(result.ExitCode == 0 ? "thawed" : $"FAILED ({result.Error ?? $"exit {result.ExitCode}"})")}");
            if (result.ExitCode != 0)
                await events.WarningAsync(policy, "PostHookFailed", $"backup {backup.Name}: the thaw of hook {name} failed on {ns}/{pod}: {hook.Workload.Kind} {ns}/{hook.Workload.Name} may still be frozen, thaw it by hand", ct);
        }
        await client.PatchAsync(ForeignKinds.VeleroBackups, backup.Namespace, backup.Name, PatchType.Merge,
            new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["annotations"] = new System.Text.Json.Nodes.JsonObject { [RunLabels.ThawedAnnotation] = string.Join("; ", results) } } }.ToJsonString(), ct: ct);
        await events.WarningAsync(policy, "ThawedAfterVelero", $"Velero did not run every hook of backup {backup.Name} ({phase}): DematOperator ran the thaws: {string.Join("; ", results)}", ct);
    }

    public async Task<List<ObservedRun>> ObserveAsync(BackupPolicy policy, BackupSettings settings, Instant now, CancellationToken ct)
    {
        var backups = (await client.ListAsync(ForeignKinds.VeleroBackups, Namespace(policy), new ListRequest(RunLabels.Selector(policy.Namespace!, policy.Name)), ct)).Items;
        if (settings.Hooks.Count > 0)
            foreach (var b in backups) await ThawAfterVeleroAsync(policy, settings, b, ct);
        return [.. backups.Select(RunObservation.FromVelero)];
    }

    /// <summary>Through a DeleteBackupRequest, which also removes the data from object storage (deleting the Backup object alone would not).</summary>
    public async Task DeleteAsync(BackupPolicy policy, IReadOnlyList<string> namespaces, string run, CancellationToken ct)
    {
        var veleroNs = Namespace(policy);
        var selector = $"{RunLabels.Selector(policy.Namespace!, policy.Name)},{RunLabels.Run}={RunLabels.LabelValue(run)}";
        foreach (var b in (await client.ListAsync(ForeignKinds.VeleroBackups, veleroNs, new ListRequest(selector), ct)).Items)
        {
            var request = new DeleteBackupRequest
            {
                Metadata = new ObjectMeta { Name = KubeNames.Fit($"{b.Name}-delete", 253), Namespace = veleroNs, Labels = new() { [VeleroLabels.BackupName] = RunLabels.LabelValue(b.Name), [RunLabels.Policy] = RunLabels.LabelValue(policy.Name) } },
                Spec = new DeleteBackupRequestSpec { BackupName = b.Name },
            };
            try { await client.CreateAsync(ForeignKinds.DeleteBackupRequests, request, ct); }
            catch (KubeApiException e) when (e.IsAlreadyExists) { }
        }
    }
}
