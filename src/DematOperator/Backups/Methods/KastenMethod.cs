using DematOperator.Api;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using NodaTime;

namespace DematOperator.Backups.Methods;

/// <summary>
/// Veeam Kasten K10, the engine the CCTP names. Policy mode: each slot creates one RunAction of the K10 Policy, in
/// K10's namespace. Namespace mode: each slot creates one BackupAction per target namespace (K10 treats a namespace
/// as an application), then one ExportAction per RestorePoint when an export profile is set. Names come from the
/// slot, so a restart adopts what exists. Recovery points are the RestorePoints left in the target namespaces.
/// </summary>
public sealed class KastenMethod(KubeClient client) : IBackupMethod
{
    public BackupMethod Method => BackupMethod.Kasten;

    public static string Namespace(BackupPolicy p) => p.Spec.Kasten?.Namespace ?? "kasten-io";
    public static string? PolicyOf(BackupPolicy p) => p.Spec.Kasten?.Policy is { Length: > 0 } name ? name : null;
    public static string? ExportProfileOf(BackupPolicy p) => p.Spec.Kasten?.ExportProfile is { Length: > 0 } name ? name : null;

    public async Task CheckInstalledAsync(BackupPolicy policy, CancellationToken ct)
    {
        var k10 = Namespace(policy);
        try { await client.ListAsync(ForeignKinds.KastenPolicies, k10, new ListRequest(Limit: 1), ct); }
        catch (KubeApiException e) when (e.Code == 404)
        {
            throw new InvalidPolicyException("KastenNotInstalled", "the config.kio.kasten.io API is not served on this cluster (install Veeam Kasten K10)", transient: true);
        }
        string? policyExports = null;
        if (PolicyOf(policy) is { } name)
        {
            var k10Policy = await client.TryGetAsync(ForeignKinds.KastenPolicies, k10, name, ct)
                            ?? throw new InvalidPolicyException("KastenPolicyNotFound", $"K10 Policy {k10}/{name} does not exist", transient: true);
            policyExports = k10Policy.Spec?.ExportProfile;
        }
        if (ExportProfileOf(policy) is { } profile)
        {
            if (await client.TryGetAsync(ForeignKinds.KastenProfiles, k10, profile, ct) is null)
                throw new InvalidPolicyException("ExportProfileNotFound", $"K10 location Profile {k10}/{profile} does not exist", transient: true);
            if (PolicyOf(policy) is { } k10PolicyName && policyExports != profile)
                throw new InvalidPolicyException("KastenPolicyDoesNotExport",
                    $"K10 Policy {k10}/{k10PolicyName} {(policyExports is null ? "has no export action" : $"exports to {policyExports}")}, not to {profile}: its runs would never reach the recovery site", transient: true);
        }
    }

    public async Task<bool> StartAsync(BackupPolicy policy, BackupSettings settings, string run, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> annotations, CancellationToken ct)
    {
        if (PolicyOf(policy) is { } k10Policy)
        {
            var action = new KastenRunAction
            {
                Metadata = new ObjectMeta { Name = run, Namespace = Namespace(policy), Labels = new(labels), Annotations = new(annotations) },
                Spec = new KastenRunActionSpec { Subject = new KastenObjectRef { Kind = "Policy", Name = k10Policy, Namespace = Namespace(policy) } },
            };
            return await RunObjects.CreateAsync(client, ForeignKinds.KastenRunActions, action, policy, ct);
        }
        var created = false;
        foreach (var ns in settings.Namespaces)
        {
            var appLabels = new Dictionary<string, string>(labels)
            {
                // Required on on-demand actions (docs.kasten.io api/actions: "Label presence is validated").
                [KastenLabels.AppName] = ns, [KastenLabels.AppNamespace] = ns, [KastenLabels.AppType] = "namespace",
            };
            var action = new KastenBackupAction
            {
                Metadata = new ObjectMeta { Name = run, Namespace = ns, Labels = appLabels, Annotations = new(annotations) },
                Spec = new KastenBackupActionSpec { Subject = new KastenObjectRef { Name = ns, Namespace = ns } },
            };
            created |= await RunObjects.CreateAsync(client, ForeignKinds.KastenBackupActions, action, policy, ct);
        }
        return created;
    }

    public async Task<List<ObservedRun>> ObserveAsync(BackupPolicy policy, BackupSettings settings, Instant now, CancellationToken ct)
    {
        var (runActions, backupActions, exports, points) = await ListAsync(policy, settings.Namespaces, ct);
        if (ExportProfileOf(policy) is { } profile && PolicyOf(policy) is null)
            exports.AddRange(await ExportNewRestorePointsAsync(policy, profile, backupActions, exports, ct));
        return KastenRuns.Observe(runActions, backupActions, exports, points, settings.Namespaces, ExportProfileOf(policy));
    }

    /// <summary>
    /// Namespace mode: a BackupAction that left its RestorePoint gets one ExportAction to the profile, named after
    /// the run and the namespace (so it is made once), labelled like the run so retention and observation find it.
    /// </summary>
    private async Task<List<KastenExportAction>> ExportNewRestorePointsAsync(BackupPolicy policy, string profile, List<KastenBackupAction> backups, List<KastenExportAction> exports, CancellationToken ct)
    {
        var made = new List<KastenExportAction>();
        foreach (var backup in backups.Where(b => b.Status?.State == KastenStates.Complete && b.Status.RestorePoint?.Name is { Length: > 0 }))
        {
            var run = KastenRuns.RunOf(backup);
            if (exports.Any(e => KastenRuns.RunOf(e) == run && e.Spec?.Subject?.Namespace == backup.Namespace)) continue;
            var labels = new Dictionary<string, string>(backup.Metadata.Labels!.Where(l => l.Key.StartsWith(Api.Group.AnnotationPrefix, StringComparison.Ordinal) || l.Key == "app.kubernetes.io/managed-by"));
            var export = new KastenExportAction
            {
                Metadata = new ObjectMeta { Name = KubeNames.Fit($"{run}-{backup.Namespace}", 253), Namespace = Namespace(policy), Labels = labels, Annotations = backup.Metadata.Annotations is { } a ? new(a) : null },
                Spec = new KastenExportActionSpec
                {
                    Subject = new KastenObjectRef { ApiVersion = "apps.kio.kasten.io/v1alpha1", Kind = "RestorePoint", Name = backup.Status!.RestorePoint!.Name, Namespace = backup.Namespace },
                    Profile = new KastenObjectRef { Name = profile, Namespace = Namespace(policy) },
                    // The volumes' data too, not only snapshot references: the recovery site has no access to SBG's storage.
                    ExportData = new KastenExportData { Enabled = true },
                },
            };
            using var because = KubeClient.Because($"BackupPolicy {policy.Namespace}/{policy.Name} export of run {run}");
            await RunObjects.CreateAsync(client, ForeignKinds.KastenExportActions, export, policy, ct);
            made.Add(export);
        }
        return made;
    }

    /// <summary>
    /// Deletes the run's RestorePointContents (deleting a RestorePoint alone keeps the data: K10 releases the artifacts
    /// with the content), then the run's actions. Exports on the shared location are never deleted from here: they
    /// follow the location's own lifecycle, and a drill may be restoring one.
    /// </summary>
    public async Task DeleteAsync(BackupPolicy policy, IReadOnlyList<string> namespaces, string run, CancellationToken ct)
    {
        var (runActions, backupActions, exports, points) = await ListAsync(policy, namespaces, ct);
        runActions = [.. runActions.Where(a => KastenRuns.RunOf(a) == run)];
        backupActions = [.. backupActions.Where(a => KastenRuns.RunOf(a) == run)];
        var doomed = points.Where(p => !p.Exported && (runActions.Any(a => p.Metadata.Labels?.GetValueOrDefault(KastenLabels.RunActionName) == a.Name)
                                                      || backupActions.Any(a => a.Namespace == p.Namespace && a.Status?.RestorePoint?.Name == p.Name))).ToList();
        foreach (var content in doomed.Select(p => p.Spec?.RestorePointContentRef?.Name).OfType<string>().Distinct())
            await DeleteQuietlyAsync(ForeignKinds.KastenRestorePointContents, null, content, ct);
        foreach (var point in doomed) await DeleteQuietlyAsync(ForeignKinds.KastenRestorePoints, point.Namespace, point.Name, ct);
        foreach (var e in exports.Where(e => KastenRuns.RunOf(e) == run)) await DeleteQuietlyAsync(ForeignKinds.KastenExportActions, e.Namespace, e.Name, ct);
        foreach (var a in backupActions) await DeleteQuietlyAsync(ForeignKinds.KastenBackupActions, a.Namespace, a.Name, ct);
        foreach (var a in runActions) await DeleteQuietlyAsync(ForeignKinds.KastenRunActions, a.Namespace, a.Name, ct);
    }

    /// <summary>The run's local RestorePoint in a target namespace: what a restore on this cluster restores from.</summary>
    public static async Task<KastenRestorePoint?> LocalPointAsync(KubeClient client, BackupPolicy policy, string run, string ns, CancellationToken ct)
    {
        var selector = new ListRequest($"{RunLabels.Selector(policy.Namespace!, policy.Name)},{RunLabels.Run}={RunLabels.LabelValue(run)}");
        var points = (await client.ListAsync(ForeignKinds.KastenRestorePoints, ns, null, ct)).Items.Where(p => !p.Exported).ToList();
        if (PolicyOf(policy) is not null)
        {
            var actions = (await client.ListAsync(ForeignKinds.KastenRunActions, Namespace(policy), selector, ct)).Items.Select(a => a.Name).ToHashSet();
            return points.Where(p => actions.Contains(p.Metadata.Labels?.GetValueOrDefault(KastenLabels.RunActionName) ?? "")).MaxBy(p => p.DataTime);
        }
        var names = (await client.ListAsync(ForeignKinds.KastenBackupActions, ns, selector, ct)).Items.Select(a => a.Status?.RestorePoint?.Name).OfType<string>().ToHashSet();
        return points.FirstOrDefault(p => names.Contains(p.Name));
    }

    private async Task DeleteQuietlyAsync<T>(ResourceType<T> type, string? ns, string name, CancellationToken ct) where T : KubeObject
    {
        try { await client.DeleteAsync(type, ns, name, ct: ct); }
        catch (KubeApiException e) when (e.IsNotFound) { }
    }

    private async Task<(List<KastenRunAction>, List<KastenBackupAction>, List<KastenExportAction>, List<KastenRestorePoint>)> ListAsync(
        BackupPolicy policy, IReadOnlyList<string> namespaces, CancellationToken ct)
    {
        var mine = new ListRequest(RunLabels.Selector(policy.Namespace!, policy.Name));
        var k10 = Namespace(policy);
        var runActions = PolicyOf(policy) is null ? [] : (await client.ListAsync(ForeignKinds.KastenRunActions, k10, mine, ct)).Items;
        var exports = ExportProfileOf(policy) is null || PolicyOf(policy) is not null ? [] : (await client.ListAsync(ForeignKinds.KastenExportActions, k10, mine, ct)).Items;
        var backupActions = new List<KastenBackupAction>();
        var points = new List<KastenRestorePoint>();
        foreach (var ns in namespaces)
        {
            if (PolicyOf(policy) is null) backupActions.AddRange((await client.ListAsync(ForeignKinds.KastenBackupActions, ns, mine, ct)).Items);
            points.AddRange((await client.ListAsync(ForeignKinds.KastenRestorePoints, ns, null, ct)).Items);
        }
        return (runActions, backupActions, exports, points);
    }
}
