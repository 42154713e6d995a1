using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>
/// Plays Veeam Kasten K10 as far as DematOperator drives it. Actions go Running → Complete (or Failed, Skipped):
/// a RunAction runs its Policy over the namespaces the Policy selects (backup, then export when the Policy has an
/// export action); a BackupAction backs up its namespace; an ExportAction copies a RestorePoint to a location
/// profile, i.e. the object store shared by every emulated cluster; a RestoreAction recreates a RestorePoint's
/// objects in its namespace. Each backup leaves a RestorePoint in the application's namespace and a cluster-scoped
/// RestorePointContent. A cluster with an import Policy for a profile gets a RestorePointContent for each export
/// another cluster made there (the "import"). Deleting a content releases its data.
/// </summary>
public sealed class KastenController : DelayedSimController
{
    public const string ArchiveAnnotation = "kubesim.demat.gouv.fr/archive";
    private const string Actions = "actions.kio.kasten.io/";
    private const string RestorePoints = "apps.kio.kasten.io/restorepoints";
    private const string Contents = "apps.kio.kasten.io/restorepointcontents";
    private static readonly string[] SystemNamespaces = ["kube-system", "kube-public", "kube-node-lease", "default"];

    public override string Name => "kasten";

    /// <summary>Local snapshots (location `local:{cluster}`) and exports (location = profile name), shared with the other clusters.</summary>
    public SharedObjectStore Store { get; set; } = new();
    /// <summary>Actions for which this returns a reason end Failed with it (as status.error.cause).</summary>
    public Func<StoredObject, string?>? FailAction { get; set; }
    /// <summary>RunActions for which this holds end Skipped, as K10 does when a run of the policy is still going.</summary>
    public Func<StoredObject, bool>? SkipRun { get; set; }
    /// <summary>Backups for which this holds report Complete but leave no RestorePoint (the lie a drill must not believe).</summary>
    public Func<StoredObject, bool>? CompleteWithoutRestorePoint { get; set; }
    /// <summary>RestoreActions for which this holds report Complete having restored nothing.</summary>
    public Func<StoredObject, bool>? RestoreNothing { get; set; }

    public override Task OnChangeAsync(SimCluster cluster, StoreEvent change, CancellationToken ct)
    {
        var o = change.Object;
        if (change.Type == WatchEventType.Deleted)
        {
            if (o.StorageKey == Contents) Release(cluster, o);
            return Task.CompletedTask;
        }
        if (o.StorageKey.StartsWith(Actions, StringComparison.Ordinal) && State(o) is null)
        {
            WriteStatus(cluster, o, (_, s) => { s["state"] = "Running"; s["startTime"] = Now(cluster); });
            Schedule(cluster, o, Run);
        }
        else if (o.StorageKey == RestorePoints && o.Parse()["status"]?["actionTime"] is null) Bind(cluster, o);
        return Task.CompletedTask;
    }

    public override async Task OnTickAsync(SimCluster cluster, CancellationToken ct)
    {
        await base.OnTickAsync(cluster, ct);
        Import(cluster);
    }

    private static string? State(StoredObject o) => (string?)o.Parse()["status"]?["state"];

    private void Run(SimCluster cluster, StoredObject action)
    {
        var obj = action.Parse();
        var kind = action.StorageKey[Actions.Length..];
        if (FailAction?.Invoke(action) is { } failure) { End(cluster, action, "Failed", failure); return; }
        if (kind == "runactions" && SkipRun?.Invoke(action) == true) { End(cluster, action, "Skipped", null); return; }
        var start = DateTimeOffset.TryParse((string?)obj["status"]?["startTime"], out var st) ? st : cluster.Time.GetUtcNow();
        var subject = obj["spec"]?["subject"] as JsonObject ?? new JsonObject();
        var error = kind switch
        {
            "runactions" => RunPolicy(cluster, action, subject, start),
            "backupactions" => BackupApp(cluster, action, start),
            "exportactions" => Export(cluster, action, subject, (string?)obj["spec"]?["profile"]?["name"]),
            "restoreactions" => RestoreInto(cluster, action, subject, (string?)obj["spec"]?["targetNamespace"], obj["spec"]?["filters"]?["excludeResources"] as JsonArray),
            _ => $"the emulator does not run {kind}",
        };
        End(cluster, action, error is null ? "Complete" : "Failed", error);
    }

    private void End(SimCluster cluster, StoredObject action, string state, string? error) => WriteStatus(cluster, action, (_, s) =>
    {
        s["state"] = state;
        s["endTime"] = Now(cluster);
        if (error is not null) s["error"] = new JsonObject { ["cause"] = $"{{\"message\":\"{error.Replace("\"", "'")}\"}}", ["message"] = error };
    });

    private string? RunPolicy(SimCluster cluster, StoredObject action, JsonObject subject, DateTimeOffset start)
    {
        var policyNs = (string?)subject["namespace"] ?? action.Namespace;
        var policyName = (string?)subject["name"] ?? "";
        var policy = Def(cluster, "config.kio.kasten.io", "policies") is { } pd ? cluster.TryGet(pd.StorageKey, policyNs, policyName)?.Parse() : null;
        if (policy is null) return $"policy {policyNs}/{policyName} not found";
        LabelQuery selector;
        try { selector = LabelQuery.FromObject(policy["spec"]?["selector"]); }
        catch (FormatException e) { return $"invalid policy selector: {e.Message}"; }
        var actions = (policy["spec"]?["actions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var exportTo = (string?)actions.FirstOrDefault(a => (string?)a["action"] == "export")?["exportParameters"]?["profile"]?["name"];
        var labels = new Dictionary<string, string>
        {
            ["k10.kasten.io/policyName"] = policyName, ["k10.kasten.io/policyNamespace"] = policyNs, ["k10.kasten.io/runActionName"] = action.Name,
        };
        foreach (var ns in cluster.Snapshot(BuiltinKeys.Namespaces).Where(n => !SystemNamespaces.Contains(n.Name) && n.Name != policyNs))
        {
            var appLabels = new Dictionary<string, string>(ns.Labels) { ["k10.kasten.io/appNamespace"] = ns.Name };
            if (!selector.Matches(appLabels)) continue;
            if (CompleteWithoutRestorePoint?.Invoke(action) == true) continue;
            var point = Backup(cluster, ns.Name, $"{action.Name}-rp", labels, start);
            if (exportTo is not null && ExportPoint(cluster, point, exportTo, labels) is { } error) return error;
        }
        return null;
    }

    private string? BackupApp(SimCluster cluster, StoredObject action, DateTimeOffset start)
    {
        if (cluster.TryGet(BuiltinKeys.Namespaces, null, action.Namespace) is null) return $"namespace {action.Namespace} not found";
        if (CompleteWithoutRestorePoint?.Invoke(action) == true) return null;
        var point = Backup(cluster, action.Namespace, $"{action.Name}-rp", new Dictionary<string, string>(), start);
        WriteStatus(cluster, action, (_, s) => s["restorePoint"] = new JsonObject { ["name"] = point.Name });
        return null;
    }

    /// <summary>Captures a namespace into a local archive, with its RestorePointContent and RestorePoint.</summary>
    private StoredObject Backup(SimCluster cluster, string ns, string pointName, IReadOnlyDictionary<string, string> labels, DateTimeOffset at)
    {
        var items = NamespaceArchive.Capture(cluster, _ => true, o => o.Namespace == ns);
        var contentName = Fit($"{ns}-{pointName}");
        Store.Put(new BackupArchive($"local:{cluster.Name}", contentName, new JsonObject { ["namespace"] = ns }, items, cluster.Name));
        return MakePoint(cluster, ns, pointName, contentName, $"local:{cluster.Name}", labels, at);
    }

    private static StoredObject MakePoint(SimCluster cluster, string ns, string pointName, string contentName, string location, IReadOnlyDictionary<string, string> labels, DateTimeOffset at)
    {
        var appLabels = new JsonObject { ["k10.kasten.io/appName"] = ns, ["k10.kasten.io/appNamespace"] = ns, ["k10.kasten.io/appType"] = "namespace" };
        foreach (var (k, v) in labels) appLabels[k] = v;
        var time = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        var content = cluster.Create(RequestContext.System, Def(cluster, "apps.kio.kasten.io", "restorepointcontents")!, null, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = contentName, ["labels"] = appLabels.DeepClone(), ["annotations"] = new JsonObject { [ArchiveAnnotation] = $"{location}/{contentName}" } },
        });
        WriteStatus(cluster, content, (_, s) =>
        {
            s["state"] = "Bound"; s["actionTime"] = time; s["scheduledTime"] = time;
            s["restorePointRef"] = new JsonObject { ["name"] = pointName, ["namespace"] = ns };
        });
        var point = cluster.Create(RequestContext.System, Def(cluster, "apps.kio.kasten.io", "restorepoints")!, ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = pointName, ["labels"] = appLabels },
            ["spec"] = new JsonObject { ["restorePointContentRef"] = new JsonObject { ["name"] = contentName } },
        });
        WriteStatus(cluster, point, (_, s) => { s["actionTime"] = time; s["scheduledTime"] = time; });
        return cluster.TryGet(point.StorageKey, ns, pointName)!;
    }

    private string? Export(SimCluster cluster, StoredObject action, JsonObject subject, string? profile)
    {
        var ns = (string?)subject["namespace"] ?? "";
        var point = cluster.TryGet(RestorePoints, ns, (string?)subject["name"] ?? "");
        if (point is null) return $"restore point {ns}/{subject["name"]} not found";
        if (profile is null || Def(cluster, "config.kio.kasten.io", "profiles") is not { } pd || cluster.TryGet(pd.StorageKey, action.Namespace, profile) is null)
            return $"location profile {action.Namespace}/{profile} not found";
        return ExportPoint(cluster, point, profile, new Dictionary<string, string>());
    }

    /// <summary>An export: the archive copied to the profile's location, and an exported RestorePoint labelled with the profile.</summary>
    private string? ExportPoint(SimCluster cluster, StoredObject point, string profile, IReadOnlyDictionary<string, string> labels)
    {
        var (archive, _) = ArchiveOf(cluster, point);
        if (archive is null) return $"the data of restore point {point.Namespace}/{point.Name} is gone";
        var time = DateTimeOffset.Parse((string)point.Parse()["status"]!["actionTime"]!, System.Globalization.CultureInfo.InvariantCulture);
        var exportedName = Fit($"{point.Name}-export-{profile}");
        var contentName = Fit($"{point.Namespace}-{exportedName}");
        if (cluster.TryGet(RestorePoints, point.Namespace, exportedName) is not null) return null;
        Store.Put(archive with { StorageLocation = profile, Name = contentName, Backup = new JsonObject { ["namespace"] = point.Namespace, ["actionTime"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") } });
        var exportLabels = new Dictionary<string, string>(labels) { ["k10.kasten.io/exportProfile"] = profile };
        MakePoint(cluster, point.Namespace, exportedName, contentName, profile, exportLabels, time);
        return null;
    }

    /// <summary>K10's import policy: exports another cluster made to this profile appear here as RestorePointContents.</summary>
    private void Import(SimCluster cluster)
    {
        if (Def(cluster, "config.kio.kasten.io", "policies") is not { } pd || Def(cluster, "apps.kio.kasten.io", "restorepointcontents") is not { } cd) return;
        var profiles = cluster.Snapshot(pd.StorageKey).Select(p => p.Parse())
            .SelectMany(p => (p["spec"]?["actions"] as JsonArray ?? []).OfType<JsonObject>())
            .Where(a => (string?)a["action"] == "import").Select(a => (string?)a["importParameters"]?["profile"]?["name"]).OfType<string>().ToHashSet();
        foreach (var archive in Store.All.Where(a => profiles.Contains(a.StorageLocation) && a.SourceCluster != cluster.Name))
        {
            if (cluster.TryGet(cd.StorageKey, null, archive.Name) is not null) continue;
            var ns = (string?)archive.Backup["namespace"] ?? "";
            var time = (string?)archive.Backup["actionTime"];
            try
            {
                var content = cluster.Create(RequestContext.System, cd, null, new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = archive.Name,
                        ["labels"] = new JsonObject { ["k10.kasten.io/appName"] = ns, ["k10.kasten.io/appNamespace"] = ns, ["k10.kasten.io/exportProfile"] = archive.StorageLocation },
                        ["annotations"] = new JsonObject { [ArchiveAnnotation] = $"{archive.StorageLocation}/{archive.Name}" },
                    },
                });
                WriteStatus(cluster, content, (_, s) => { s["state"] = "Unbound"; s["actionTime"] = time; s["scheduledTime"] = time; });
            }
            catch (KubeApiException e) when (e.IsAlreadyExists) { }
        }
    }

    /// <summary>A RestorePoint a client made of a content (as after an import): K10 fills its times and binds the content.</summary>
    private static void Bind(SimCluster cluster, StoredObject point)
    {
        var contentName = (string?)point.Parse()["spec"]?["restorePointContentRef"]?["name"];
        if (contentName is null || cluster.TryGet(Contents, null, contentName) is not { } content) return;
        var time = (string?)content.Parse()["status"]?["actionTime"];
        WriteStatus(cluster, point, (_, s) => { s["actionTime"] = time; s["scheduledTime"] = time; });
        WriteStatus(cluster, content, (_, s) => { s["state"] = "Bound"; s["restorePointRef"] = new JsonObject { ["name"] = point.Name, ["namespace"] = point.Namespace }; });
    }

    private (BackupArchive? Archive, StoredObject? Content) ArchiveOf(SimCluster cluster, StoredObject point)
    {
        var contentName = (string?)point.Parse()["spec"]?["restorePointContentRef"]?["name"];
        var content = contentName is null ? null : cluster.TryGet(Contents, null, contentName);
        var key = content is null ? null : ObjectMetaAccess.Annotations(content.Parse()).GetValueOrDefault(ArchiveAnnotation);
        if (key is null) return (null, content);
        var slash = key.LastIndexOf('/');
        return (Store.Get(key[..slash], key[(slash + 1)..]), content);
    }

    private string? RestoreInto(SimCluster cluster, StoredObject action, JsonObject subject, string? targetNs, JsonArray? excluded)
    {
        // K10: the RestoreAction lives in the namespace it restores into.
        if (targetNs is not null && targetNs != action.Namespace) return $"targetNamespace {targetNs} differs from the action's namespace {action.Namespace}";
        var point = cluster.TryGet(RestorePoints, (string?)subject["namespace"] ?? action.Namespace, (string?)subject["name"] ?? "");
        if (point is null) return $"restore point {subject["namespace"]}/{subject["name"]} not found";
        var (archive, _) = ArchiveOf(cluster, point);
        if (archive is null) return $"the data of restore point {point.Namespace}/{point.Name} is not available on this cluster";
        if (RestoreNothing?.Invoke(action) == true) return null;
        var skip = (excluded ?? []).OfType<JsonObject>().Select(f => ((string?)f["group"] ?? "", (string?)f["resource"] ?? "")).ToHashSet();
        foreach (var item in archive.Items)
        {
            if (NamespaceArchive.KindOf(cluster, item) is { } def && (skip.Contains((def.Group, def.Plural)) || skip.Contains((def.Group, "")))) continue;
            NamespaceArchive.Restore(cluster, item, action.Namespace, new Dictionary<string, string>(), update: false);
        }
        return null;
    }

    /// <summary>Deleting a local content releases its data; an imported one only forgets this cluster's view of the export.</summary>
    private void Release(SimCluster cluster, StoredObject content)
    {
        var key = ObjectMetaAccess.Annotations(content.Parse()).GetValueOrDefault(ArchiveAnnotation);
        if (key is null || !key.StartsWith($"local:{cluster.Name}/", StringComparison.Ordinal)) return;
        var slash = key.LastIndexOf('/');
        Store.Remove(key[..slash], key[(slash + 1)..]);
        var point = content.Parse()["status"]?["restorePointRef"];
        if ((string?)point?["name"] is { } name && Def(cluster, "apps.kio.kasten.io", "restorepoints") is { } rd)
            try { cluster.Delete(RequestContext.System, rd, (string?)point["namespace"], name, new DeleteOptions()); }
            catch (KubeApiException e) when (e.IsNotFound) { }
    }

    private static string Fit(string name) => name.Length <= 253 ? name : name[..244] + "-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8].ToLowerInvariant();
}
