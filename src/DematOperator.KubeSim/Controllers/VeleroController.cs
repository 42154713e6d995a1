using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>One backup as kept in object storage: its Backup object and the objects it captured.</summary>
public sealed record BackupArchive(string StorageLocation, string Name, JsonObject Backup, IReadOnlyList<JsonObject> Items, string SourceCluster);

/// <summary>
/// The object storage behind a BackupStorageLocation. One instance is shared by every emulated cluster of a
/// process, as SBG and RBX share an S3 bucket: a backup written on one is visible to the other.
/// </summary>
public sealed class SharedObjectStore
{
    private readonly ConcurrentDictionary<(string Location, string Name), BackupArchive> _archives = new();
    public void Put(BackupArchive a) => _archives[(a.StorageLocation, a.Name)] = a;
    public BackupArchive? Get(string location, string name) => _archives.GetValueOrDefault((location, name));
    public BackupArchive? Find(string name) => _archives.Values.FirstOrDefault(a => a.Name == name);
    public bool Remove(string location, string name) => _archives.TryRemove((location, name), out _);
    public IReadOnlyList<BackupArchive> All => _archives.Values.ToList();
}

/// <summary>
/// Plays Velero (or OADP): Backups go New → InProgress → Completed, capturing the selected namespaces' objects
/// into the shared object store; the backup-sync loop makes backups of a shared location appear on every
/// cluster; Restores recreate objects with namespaceMapping and the velero.io/restore-name label;
/// DeleteBackupRequests remove a backup. Failures can be injected.
/// </summary>
public sealed class VeleroController : DelayedSimController
{
    private const string Group = "velero.io";
    public override string Name => "velero";

    public SharedObjectStore ObjectStore { get; set; } = new();
    /// <summary>Backups for which this returns a reason end Failed with it.</summary>
    public Func<StoredObject, string?>? FailBackup { get; set; }
    /// <summary>Restores for which this returns a reason end Failed with it.</summary>
    public Func<StoredObject, string?>? FailRestore { get; set; }

    public override Task OnChangeAsync(SimCluster cluster, StoreEvent change, CancellationToken ct)
    {
        if (change.Type == WatchEventType.Deleted || !change.Object.StorageKey.StartsWith(Group + "/", StringComparison.Ordinal)) return Task.CompletedTask;
        var obj = change.Object.Parse();
        var phase = (string?)(obj["status"] as JsonObject)?["phase"];
        switch (change.Object.StorageKey)
        {
            case "velero.io/backups" when string.IsNullOrEmpty(phase) || phase == "New":
                WriteStatus(cluster, change.Object, (_, s) => { s["phase"] = "InProgress"; s["startTimestamp"] = Now(cluster); });
                Schedule(cluster, change.Object, RunBackup);
                break;
            case "velero.io/restores" when string.IsNullOrEmpty(phase) || phase == "New":
                WriteStatus(cluster, change.Object, (_, s) => { s["phase"] = "InProgress"; s["startTimestamp"] = Now(cluster); });
                Schedule(cluster, change.Object, RunRestore);
                break;
            case "velero.io/backupstoragelocations" when phase != "Available":
                WriteStatus(cluster, change.Object, (_, s) => { s["phase"] = "Available"; s["lastValidationTime"] = Now(cluster); });
                break;
            case "velero.io/deletebackuprequests" when phase != "Processed":
                Schedule(cluster, change.Object, ProcessDeleteRequest, TimeSpan.Zero);
                break;
        }
        return Task.CompletedTask;
    }

    public override async Task OnTickAsync(SimCluster cluster, CancellationToken ct)
    {
        await base.OnTickAsync(cluster, ct);
        SyncBackups(cluster);
    }

    private void RunBackup(SimCluster cluster, StoredObject backup)
    {
        var obj = backup.Parse();
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        var location = (string?)spec["storageLocation"] ?? "default";
        var failure = FailBackup?.Invoke(backup);
        if (failure is null && Def(cluster, Group, "backupstoragelocations") is { } bslDef && cluster.TryGet(bslDef.StorageKey, backup.Namespace, location) is null)
            failure = $"backup storage location \"{location}\" not found";
        if (failure is not null)
        {
            WriteStatus(cluster, backup, (_, s) => { s["phase"] = "Failed"; s["failureReason"] = failure; s["completionTimestamp"] = Now(cluster); s["errors"] = 1; });
            return;
        }
        var included = ObjectMetaAccess.StringList(spec["includedNamespaces"]);
        var excluded = ObjectMetaAccess.StringList(spec["excludedNamespaces"]);
        LabelQuery selector;
        try { selector = LabelQuery.FromObject(spec["labelSelector"]); }
        catch (FormatException e)
        {
            WriteStatus(cluster, backup, (_, s) => { s["phase"] = "FailedValidation"; s["validationErrors"] = new JsonArray(e.Message); });
            return;
        }
        var resources = new ResourceFilter(ObjectMetaAccess.StringList(spec["includedResources"]), ObjectMetaAccess.StringList(spec["excludedResources"]));
        var hooks = new BackupHooks(cluster, spec["hooks"]?["resources"] as JsonArray);
        hooks.RunPre();
        var items = NamespaceArchive.Capture(cluster, resources.Includes, o =>
            (included.Count == 0 || included.Contains("*") || included.Contains(o.Namespace)) && !excluded.Contains(o.Namespace)
            && selector.Matches(o.Labels) && o.Labels.GetValueOrDefault("velero.io/exclude-from-backup") != "true");
        var pvcs = items.Count(i => (string?)i["kind"] == "PersistentVolumeClaim");
        var snapshotVolumes = spec["snapshotVolumes"] is not JsonValue sv || sv.GetValue<bool>();
        var ttl = ParseDuration((string?)spec["ttl"]) ?? TimeSpan.FromHours(720);
        var start = DateTimeOffset.TryParse((string?)(obj["status"] as JsonObject)?["startTimestamp"], out var st) ? st : cluster.Time.GetUtcNow();
        hooks.RunPost();
        WriteStatus(cluster, backup, (current, s) =>
        {
            s["phase"] = hooks.FailedWithFail ? "PartiallyFailed" : "Completed";
            if (hooks.Attempted > 0) s["hookStatus"] = new JsonObject { ["hooksAttempted"] = hooks.Attempted, ["hooksFailed"] = hooks.Failed };
            if (hooks.FailedWithFail) s["errors"] = hooks.Failed;
            s["completionTimestamp"] = Now(cluster);
            s["expiration"] = (start + ttl).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
            s["progress"] = new JsonObject { ["totalItems"] = items.Count, ["itemsBackedUp"] = items.Count };
            s["formatVersion"] = "1.1.0";
            s["warnings"] = 0;
            if (!hooks.FailedWithFail) s["errors"] = 0;
            if (snapshotVolumes && pvcs > 0)
            {
                s["csiVolumeSnapshotsAttempted"] = pvcs;
                s["csiVolumeSnapshotsCompleted"] = pvcs;
            }
            ObjectStore.Put(new BackupArchive(location, backup.Name, (JsonObject)current.DeepClone(), items, cluster.Name));
        });
    }

    /// <summary>Velero's backup-sync: backups in a shared location that this cluster has no object for are created here.</summary>
    private void SyncBackups(SimCluster cluster)
    {
        var bslDef = Def(cluster, Group, "backupstoragelocations");
        var backupDef = Def(cluster, Group, "backups");
        if (bslDef is null || backupDef is null) return;
        foreach (var bsl in cluster.Snapshot(bslDef.StorageKey))
            foreach (var archive in ObjectStore.All.Where(a => a.StorageLocation == bsl.Name))
            {
                if (cluster.TryGet(backupDef.StorageKey, bsl.Namespace, archive.Name) is not null) continue;
                var copy = (JsonObject)archive.Backup.DeepClone();
                var meta = ObjectMetaAccess.Metadata(copy);
                foreach (var f in new[] { "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "ownerReferences", "finalizers" }) meta.Remove(f);
                meta["namespace"] = bsl.Namespace;
                var labels = meta["labels"] as JsonObject ?? new JsonObject();
                labels["velero.io/storage-location"] = bsl.Name;
                meta["labels"] = labels;
                // Velero's Backup CRD has no status subresource: the synced object is created with its status, Completed.
                try { cluster.Create(RequestContext.System, backupDef, bsl.Namespace, copy); }
                catch (KubeApiException) { }
            }
    }

    private void RunRestore(SimCluster cluster, StoredObject restore)
    {
        var spec = restore.Parse()["spec"] as JsonObject ?? new JsonObject();
        var backupName = (string?)spec["backupName"];
        if (string.IsNullOrEmpty(backupName) && (string?)spec["scheduleName"] is { Length: > 0 } schedule)
            backupName = ObjectStore.All
                .Where(a => ObjectMetaAccess.Labels(a.Backup).GetValueOrDefault("velero.io/schedule-name") == schedule && (string?)(a.Backup["status"] as JsonObject)?["phase"] == "Completed")
                .OrderByDescending(a => (string?)(a.Backup["status"] as JsonObject)?["startTimestamp"]).FirstOrDefault()?.Name;
        var archive = backupName is null ? null : ObjectStore.Find(backupName);
        if (archive is null)
        {
            WriteStatus(cluster, restore, (_, s) =>
            {
                s["phase"] = "FailedValidation";
                s["validationErrors"] = new JsonArray($"backup \"{backupName ?? ""}\" not found in any backup storage location");
                s["completionTimestamp"] = Now(cluster);
            });
            return;
        }
        if (FailRestore?.Invoke(restore) is { } failure)
        {
            WriteStatus(cluster, restore, (_, s) => { s["phase"] = "Failed"; s["failureReason"] = failure; s["completionTimestamp"] = Now(cluster); s["errors"] = 1; });
            return;
        }
        var mapping = ObjectMetaAccess.StringMap(spec["namespaceMapping"]);
        var included = ObjectMetaAccess.StringList(spec["includedNamespaces"]);
        var existingPolicy = (string?)spec["existingResourcePolicy"] ?? "none";
        int restored = 0, warnings = 0, errors = 0;
        var resources = new ResourceFilter(ObjectMetaAccess.StringList(spec["includedResources"]), ObjectMetaAccess.StringList(spec["excludedResources"]));
        LabelQuery restoreSelector;
        try { restoreSelector = LabelQuery.FromObject(spec["labelSelector"]); }
        catch (FormatException e)
        {
            WriteStatus(cluster, restore, (_, s) => { s["phase"] = "FailedValidation"; s["validationErrors"] = new JsonArray(e.Message); s["completionTimestamp"] = Now(cluster); });
            return;
        }
        var items = archive.Items.Where(i => included.Count == 0 || included.Contains("*") || included.Contains(ObjectMetaAccess.Namespace(i) ?? ""))
            .Where(i => restoreSelector.Matches(ObjectMetaAccess.Labels(i)))
            .Where(i => NamespaceArchive.KindOf(cluster, i) is not { } def || resources.Includes(def)).ToList();
        foreach (var ns in items.Select(i => ObjectMetaAccess.Namespace(i) ?? "").Distinct())
            NamespaceArchive.EnsureNamespace(cluster, mapping.GetValueOrDefault(ns, ns), new JsonObject { ["velero.io/backup-name"] = archive.Name, ["velero.io/restore-name"] = restore.Name });
        var restoreLabels = new Dictionary<string, string> { ["velero.io/backup-name"] = archive.Name, ["velero.io/restore-name"] = restore.Name };
        foreach (var item in items)
        {
            var sourceNs = ObjectMetaAccess.Namespace(item) ?? "";
            switch (NamespaceArchive.Restore(cluster, item, mapping.GetValueOrDefault(sourceNs, sourceNs), restoreLabels, existingPolicy == "update"))
            {
                case NamespaceArchive.Outcome.Created or NamespaceArchive.Outcome.Updated: restored++; break;
                case NamespaceArchive.Outcome.Existed: warnings++; break;
                default: errors++; break;
            }
        }
        WriteStatus(cluster, restore, (_, s) =>
        {
            s["phase"] = errors > 0 ? "PartiallyFailed" : "Completed";
            s["completionTimestamp"] = Now(cluster);
            s["progress"] = new JsonObject { ["totalItems"] = items.Count, ["itemsRestored"] = restored };
            s["warnings"] = warnings;
            s["errors"] = errors;
        });
    }

    private void ProcessDeleteRequest(SimCluster cluster, StoredObject request)
    {
        var backupName = (string?)(request.Parse()["spec"] as JsonObject)?["backupName"] ?? "";
        var backupDef = Def(cluster, Group, "backups");
        var backup = backupDef is null ? null : cluster.TryGet(backupDef.StorageKey, request.Namespace, backupName);
        if (backup is not null)
        {
            var location = (string?)(backup.Parse()["spec"] as JsonObject)?["storageLocation"] ?? "default";
            ObjectStore.Remove(location, backupName);
            try { cluster.Delete(RequestContext.System, backupDef!, request.Namespace, backupName, new DeleteOptions()); }
            catch (KubeApiException e) when (e.IsNotFound) { }
        }
        WriteStatus(cluster, request, (_, s) => { s["phase"] = "Processed"; if (backup is null) s["errors"] = new JsonArray($"backup {backupName} not found"); });
    }

    /// <summary>
    /// Velero's backup hooks (spec.hooks.resources): for each pod the hook selects, its pre commands before the pod is
    /// backed up and its post commands after. A command that fails with onError Fail (the default) skips the pod's
    /// remaining hooks, its post commands included, and makes the backup PartiallyFailed, as Velero does.
    /// </summary>
    private sealed class BackupHooks(SimCluster cluster, JsonArray? specs)
    {
        private readonly List<(JsonObject Hook, StoredObject Pod)> _frozen = [];
        public int Attempted { get; private set; }
        public int Failed { get; private set; }
        public bool FailedWithFail { get; private set; }

        public void RunPre()
        {
            foreach (var hook in (specs ?? []).OfType<JsonObject>())
            {
                var namespaces = ObjectMetaAccess.StringList(hook["includedNamespaces"]);
                var selector = LabelQuery.FromObject(hook["labelSelector"]);
                foreach (var pod in cluster.Snapshot(BuiltinKeys.Pods).Where(p => (namespaces.Count == 0 || namespaces.Contains(p.Namespace)) && selector.Matches(p.Labels)))
                    if (Run(hook["pre"] as JsonArray, pod)) _frozen.Add((hook, pod));
            }
        }

        public void RunPost()
        {
            foreach (var (hook, pod) in _frozen) Run(hook["post"] as JsonArray, pod);
        }

        private bool Run(JsonArray? commands, StoredObject pod)
        {
            foreach (var exec in (commands ?? []).OfType<JsonObject>().Select(c => c["exec"] as JsonObject).OfType<JsonObject>())
            {
                var container = (string?)exec["container"] ?? (string?)pod.Parse()["spec"]?["containers"]?[0]?["name"] ?? "";
                var answer = cluster.Exec.Run(new KubeSim.ExecCall(pod.Namespace, pod.Name, container, ObjectMetaAccess.StringList(exec["command"])));
                Attempted++;
                if (answer.ExitCode == 0 && answer.RuntimeError is null) continue;
                Failed++;
                if ((string?)exec["onError"] != "Continue") { FailedWithFail = true; return false; }
            }
            return true;
        }
    }

    /// <summary>
    /// Velero's includedResources / excludedResources: resource names as `plural` or `plural.group`, `*` for all;
    /// an empty include list means all, and an exclusion wins over an inclusion.
    /// </summary>
    internal sealed class ResourceFilter(IReadOnlyList<string> included, IReadOnlyList<string> excluded)
    {
        public bool Includes(ResourceDefinition def)
        {
            bool Named(IReadOnlyList<string> names) => names.Any(n => n == "*" || string.Equals(n, def.Plural, StringComparison.OrdinalIgnoreCase)
                                                                      || string.Equals(n, def.GroupResource, StringComparison.OrdinalIgnoreCase));
            return (included.Count == 0 || Named(included)) && !Named(excluded);
        }
    }


    /// <summary>Go duration strings as Velero writes them: `720h0m0s`, `24h`, `90m`.</summary>
    internal static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var total = TimeSpan.Zero;
        var m = System.Text.RegularExpressions.Regex.Matches(text, @"(\d+(?:\.\d+)?)(h|ms|m|s)");
        if (m.Count == 0) return null;
        foreach (System.Text.RegularExpressions.Match part in m)
        {
            var n = double.Parse(part.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch { "h" => TimeSpan.FromHours(n), "m" => TimeSpan.FromMinutes(n), "ms" => TimeSpan.FromMilliseconds(n), _ => TimeSpan.FromSeconds(n) };
        }
        return total;
    }
}
