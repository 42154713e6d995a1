using DematOperator.Kube.Crd;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Schema;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

public sealed class SimClusterOptions
{
    /// <summary>How many past events a watch can resume from; older resourceVersions get 410 Expired.</summary>
    public int HistoryLimit { get; set; } = 50_000;
    /// <summary>How long past events (and list continue tokens) stay usable, like etcd's 5-minute compaction.</summary>
    public TimeSpan HistoryWindow { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Authorize requests with Roles and bindings (403 on denial) instead of allowing every token.</summary>
    public bool RbacEnabled { get; set; }
    public string KubernetesVersion { get; set; } = "v1.24.17";
}

/// <summary>
/// One emulated cluster: the store, the resources it serves, its tokens and RBAC, fault injection and the
/// controllers it plays. Everything a request does goes through the methods here, under one lock, so the
/// order of resourceVersions is the order of the watch events.
/// </summary>
public sealed partial class SimCluster
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _tables = new();
    private readonly Dictionary<string, ObjectKey> _uidIndex = new();
    private readonly Dictionary<string, HashSet<ObjectKey>> _dependents = new();
    private readonly Dictionary<string, List<WatchSubscription>> _watchers = new();
    private readonly StoreEvent[] _history;
    private int _historyStart, _historyCount;
    private long _resourceVersion;
    private long _compactedRv;
    private int _nameSeed;

    public SimCluster(string name, SimClusterOptions? options = null, TimeProvider? time = null)
    {
        Name = name;
        Options = options ?? new SimClusterOptions();
        Time = time ?? TimeProvider.System;
        _history = new StoreEvent[Math.Max(16, Options.HistoryLimit)];
        Faults = new Faults.FaultInjector(Time);
        Auth = new Security.Authenticator();
        _resourceVersion = 1000;
        _compactedRv = _resourceVersion;
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
            Create(RequestContext.System, Registry.Find("", "v1", "namespaces")!, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
    }

    public string Name { get; }
    public SimClusterOptions Options { get; }
    public TimeProvider Time { get; }
    public ResourceRegistry Registry { get; } = new();
    public Faults.FaultInjector Faults { get; }
    public Security.Authenticator Auth { get; }
    public RequestCounter Requests { get; } = new();
    /// <summary>What commands run in pods answer (`kubectl exec`, a drill's data checks).</summary>
    public PodExecSimulator Exec { get; } = new();

    /// <summary>Raised after every committed change, outside the lock (simulated controllers listen here).</summary>
    public event Action<StoreEvent>? Committed;

    public long CurrentResourceVersion { get { lock (_gate) return _resourceVersion; } }

    // ---------------------------------------------------------------- reads

    public StoredObject? TryGet(string storageKey, string? ns, string name)
    {
        lock (_gate) return Table(storageKey).GetValueOrDefault(Key(ns, name));
    }

    public StoredObject Get(ResourceDefinition def, string? ns, string name) =>
        TryGet(def.StorageKey, ns, name) ?? throw new KubeApiException(ApiStatus.NotFound(def.Plural, def.Group, name));

    public StoredObject? FindByUid(string uid)
    {
        lock (_gate)
            return _uidIndex.TryGetValue(uid, out var k) ? Table(k.StorageKey).GetValueOrDefault(Key(k.Namespace, k.Name)) : null;
    }

    public sealed record ListResult(IReadOnlyList<StoredObject> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);

    public ListResult List(ResourceDefinition def, string? ns, ListOptions options)
    {
        lock (_gate)
        {
            long listRv = _resourceVersion;
            string? after = null;
            if (!string.IsNullOrEmpty(options.Continue))
            {
                (listRv, after) = DecodeContinue(options.Continue);
                if (listRv < _compactedRv)
                    throw new KubeApiException(ApiStatus.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."));
            }
            else if (long.TryParse(options.ResourceVersion, out var wanted) && wanted > _resourceVersion && options.ResourceVersion != "0")
            {
                throw new KubeApiException(new ApiStatus(504, ApiStatus.ReasonTimeout, $"Too large resource version: {wanted}, current: {_resourceVersion}",
                    Causes: [new StatusCause("ResourceVersionTooLarge", "Too large resource version", "")], RetryAfterSeconds: 1));
            }
            var table = Table(def.StorageKey);
            IEnumerable<KeyValuePair<string, StoredObject>> seq = table;
            if (ns is not null) seq = seq.Where(p => p.Value.Namespace == ns);
            if (after is not null) seq = seq.Where(p => string.CompareOrdinal(p.Key, after) > 0);
            var matching = seq.Where(p => options.Labels.Matches(p.Value.Labels) && options.Fields.Matches(p.Value)).Select(p => p.Value);
            // resourceVersion=0 is served from the watch cache, which ignores limit.
            var limit = options.ResourceVersion == "0" && string.IsNullOrEmpty(options.Continue) ? 0 : options.Limit;
            if (limit <= 0) return new ListResult(matching.ToList(), listRv, null, null);
            var page = new List<StoredObject>(limit);
            var remaining = 0L;
            foreach (var o in matching)
            {
                if (page.Count < limit) page.Add(o); else remaining++;
            }
            var cont = remaining > 0 ? EncodeContinue(listRv, page[^1].Key) : null;
            return new ListResult(page, listRv, cont, remaining > 0 ? remaining : null);
        }
    }

    private static string EncodeContinue(long rv, string key) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"v\":\"meta.k8s.io/v1\",\"rv\":{rv},\"start\":\"{key}\"}}"));

    private static (long, string) DecodeContinue(string token)
    {
        try
        {
            var o = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)))!.AsObject();
            return ((long)o["rv"]!, (string)o["start"]!);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new KubeApiException(ApiStatus.BadRequest("continue key is not valid: " + e.Message));
        }
    }

    // ---------------------------------------------------------------- writes

    public StoredObject Create(RequestContext ctx, ResourceDefinition def, string? ns, JsonObject body)
    {
        try { return CreateCore(ctx, def, ns, body); }
        finally { FlushNotifications(); }
    }

    private StoredObject CreateCore(RequestContext ctx, ResourceDefinition def, string? ns, JsonObject body)
    {
        var obj = (JsonObject)body.DeepClone();
        CheckTypeMeta(def, obj);
        var meta = ObjectMetaAccess.Metadata(obj);
        ns = ResolveNamespace(def, ns, meta);
        if (!string.IsNullOrEmpty((string?)meta["resourceVersion"]))
            throw new KubeApiException(ApiStatus.BadRequest("resourceVersion should not be set on objects to be created"));
        var now = Timestamp();
        foreach (var f in new[] { "uid", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields" }) meta.Remove(f);
        meta["creationTimestamp"] = now;
        if (Strategies.TracksGeneration(def)) meta["generation"] = 1; else meta.Remove("generation");
        if (def.HasStatus && def.IsCustom) obj.Remove("status");
        Strategies.PrepareForCreate(this, ctx, def, obj);
        ValidateCustom(ctx, def, obj, null);
        Strategies.Validate(this, def, obj, null, Subresource.None);

        lock (_gate)
        {
            if (def.Namespaced) RequireActiveNamespace(ns!);
            if (def.IsCustom && IsCrdTerminating(def))
                throw new KubeApiException(new ApiStatus(405, ApiStatus.ReasonMethodNotAllowed, "create not allowed while custom resource definition is terminating"));
            var table = Table(def.StorageKey);
            var generate = (string?)meta["name"] is not { Length: > 0 };
            if (generate)
            {
                var prefix = (string?)meta["generateName"];
                if (string.IsNullOrEmpty(prefix))
                    throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, "", [new StatusCause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name")]));
                string candidate;
                do candidate = prefix + RandomSuffix(); while (table.ContainsKey(Key(ns, candidate)));
                meta["name"] = candidate;
            }
            var name = (string)meta["name"]!;
            ValidateName(def, name);
            if (table.ContainsKey(Key(ns, name))) throw new KubeApiException(ApiStatus.AlreadyExists(def.Plural, def.Group, name));
            meta["uid"] = Guid.NewGuid().ToString();
            TrackManagedFields(ctx, def, null, obj, Subresource.None);
            if (ctx.DryRun) return Materialize(def, ns, obj, 0);
            var stored = Commit(def, ns, obj, null, WatchEventType.Added);
            return stored;
        }
    }

    public StoredObject Update(RequestContext ctx, ResourceDefinition def, string? ns, string name, JsonObject body, Subresource sub = Subresource.None)
    {
        try { return UpdateCore(ctx, def, ns, name, body, sub); }
        finally { FlushNotifications(); }
    }

    private StoredObject UpdateCore(RequestContext ctx, ResourceDefinition def, string? ns, string name, JsonObject body, Subresource sub)
    {
        var incoming = (JsonObject)body.DeepClone();
        if (sub != Subresource.Scale) CheckTypeMeta(def, incoming);
        var inMeta = ObjectMetaAccess.Metadata(incoming);
        if (sub == Subresource.None)
        {
            var bodyName = (string?)inMeta["name"];
            if (bodyName is not null && bodyName != name)
                throw new KubeApiException(ApiStatus.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})"));
            var bodyNs = (string?)inMeta["namespace"];
            if (def.Namespaced && !string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
                throw new KubeApiException(ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
        }
        lock (_gate)
        {
            var existing = Table(def.StorageKey).GetValueOrDefault(Key(ns, name))
                ?? throw new KubeApiException(ApiStatus.NotFound(def.Plural, def.Group, name));
            var rv = (string?)inMeta["resourceVersion"];
            if (string.IsNullOrEmpty(rv))
            {
                if (def.IsCustom && sub != Subresource.Scale)
                    throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, name, [new StatusCause("FieldValueInvalid", "Invalid value: 0x0: must be specified for an update", "metadata.resourceVersion")]));
            }
            else if (rv != existing.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                throw new KubeApiException(ApiStatus.Conflict(def.Plural, def.Group, name));
            var old = existing.Parse();
            JsonObject next;
            switch (sub)
            {
                case Subresource.Status or Subresource.Approval when def.StorageKey == CertificateSigningRequestStrategy.StorageKey:
                    next = CertificateSigningRequestStrategy.PrepareForUpdate(sub, incoming, old, Timestamp());
                    break;
                case Subresource.Status:
                    next = (JsonObject)old.DeepClone();
                    if (incoming["status"] is { } st) next["status"] = st.DeepClone(); else next.Remove("status");
                    break;
                case Subresource.Scale:
                    next = (JsonObject)old.DeepClone();
                    var replicas = (incoming["spec"] as JsonObject)?["replicas"]
                        ?? throw new KubeApiException(ApiStatus.Invalid("Scale", "autoscaling", name, [new StatusCause("FieldValueRequired", "Required value", "spec.replicas")]));
                    if ((long)replicas < 0)
                        throw new KubeApiException(ApiStatus.Invalid("Scale", "autoscaling", name, [new StatusCause("FieldValueInvalid", $"Invalid value: {(long)replicas}: must be greater than or equal to 0", "spec.replicas")]));
                    JsonPaths.Set(next, def.Scale!.SpecReplicasPath, (long)replicas);
                    break;
                default:
                    next = incoming;
                    var meta = ObjectMetaAccess.Metadata(next);
                    var oldMeta = ObjectMetaAccess.Metadata(old);
                    var uid = (string?)meta["uid"];
                    if (!string.IsNullOrEmpty(uid) && uid != existing.Uid)
                        throw new KubeApiException(new ApiStatus(409, ApiStatus.ReasonConflict, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {existing.Uid}", name, def.Group, def.Plural));
                    foreach (var f in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name" })
                    {
                        if (oldMeta[f] is { } v) meta[f] = v.DeepClone(); else meta.Remove(f);
                    }
                    meta.Remove("managedFields");
                    if (def.HasStatus)
                    {
                        if (old["status"] is { } os) next["status"] = os.DeepClone(); else next.Remove("status");
                    }
                    Strategies.PrepareForUpdate(this, def, next, old);
                    break;
            }
            ObjectMetaAccess.Metadata(next)["resourceVersion"] = existing.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            return UpdateLocked(ctx, def, ns, name, existing, old, next, sub);
        }
    }

    public StoredObject Patch(RequestContext ctx, ResourceDefinition def, string? ns, string name, string contentType, string patchText, Subresource sub = Subresource.None)
    {
        var mediaType = contentType.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType == "application/apply-patch+yaml")
        {
            try { return ApplyPatch(ctx, def, ns, name, patchText, sub); }
            finally { FlushNotifications(); }
        }
        if (ctx.Force)
            throw new KubeApiException(ApiStatus.Invalid("PatchOptions", "meta.k8s.io", "", [new StatusCause("FieldValueForbidden", "Forbidden: may not be specified for non-apply patch", "force")]));
        if (mediaType == "application/strategic-merge-patch+json" && def.IsCustom)
            throw new KubeApiException(ApiStatus.UnsupportedMediaType(mediaType));
        if (mediaType is not ("application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json"))
            throw new KubeApiException(ApiStatus.UnsupportedMediaType(mediaType));
        JsonNode? patch;
        try { patch = JsonNode.Parse(patchText); }
        catch (System.Text.Json.JsonException e) { throw new KubeApiException(ApiStatus.BadRequest($"error decoding patch: {e.Message}")); }

        for (var attempt = 0; ; attempt++)
        {
            var existing = Get(def, ns, name);
            var current = existing.Parse();
            if (sub == Subresource.Scale) current = ScaleOf(def, current);
            JsonNode? patched;
            try
            {
                patched = mediaType switch
                {
                    "application/json-patch+json" => Patches.Json(current, patch as JsonArray ?? throw new PatchFailure("json patch must be an array")),
                    "application/merge-patch+json" => Patches.Merge(current, patch),
                    _ => StrategicMergePatch.Apply(current, patch as JsonObject ?? throw new PatchFailure("strategic merge patch must be an object")),
                };
            }
            catch (PatchFailure e) when (e.IsTestFailure)
            {
                throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, name, [new StatusCause("FieldValueInvalid", e.Message, "")]) with { Message = $"the server rejected our request due to an error in our request: {e.Message}" });
            }
            catch (PatchFailure e) { throw new KubeApiException(ApiStatus.BadRequest(e.Message)); }
            if (patched is not JsonObject result) throw new KubeApiException(ApiStatus.BadRequest("patch did not produce an object"));
            var meta = ObjectMetaAccess.Metadata(result);
            // A patch is only guarded by the resourceVersion it names itself.
            if (sub == Subresource.Scale || string.IsNullOrEmpty((string?)meta["resourceVersion"]))
                meta["resourceVersion"] = existing.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            try { return Update(ctx, def, ns, name, result, sub); }
            catch (KubeApiException e) when (e.IsConflict && attempt < 5 && !PatchNamesResourceVersion(patch)) { }
        }
    }

    private static bool PatchNamesResourceVersion(JsonNode? patch) => patch switch
    {
        JsonObject o => (o["metadata"] as JsonObject)?.ContainsKey("resourceVersion") == true,
        JsonArray a => a.OfType<JsonObject>().Any(op => ((string?)op["path"])?.StartsWith("/metadata/resourceVersion", StringComparison.Ordinal) == true),
        _ => false,
    };

    internal JsonObject ScaleOf(ResourceDefinition def, JsonObject obj)
    {
        var scale = def.Scale ?? throw new KubeApiException(ApiStatus.NotFound(def.Plural + "/scale", def.Group, ObjectMetaAccess.Name(obj) ?? ""));
        var meta = ObjectMetaAccess.Metadata(obj);
        var selector = scale.LabelSelectorPath is null ? null : JsonPaths.Get(obj, scale.LabelSelectorPath);
        if (selector is null && !def.IsCustom && (obj["spec"] as JsonObject)?["selector"] is JsonObject sel)
            selector = LabelQuery.FromObject(sel).ToString();
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta["name"]?.DeepClone(), ["namespace"] = meta["namespace"]?.DeepClone(), ["uid"] = meta["uid"]?.DeepClone(),
                ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(), ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = (long?)JsonPaths.Get(obj, scale.SpecReplicasPath) ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = (long?)JsonPaths.Get(obj, scale.StatusReplicasPath) ?? 0,
                ["selector"] = selector?.DeepClone(),
            },
        };
    }

    /// <summary>Answers a DELETE: the object while finalizers hold it, else the last state (or a Success Status for custom resources).</summary>
    public (StoredObject Object, bool Removed) Delete(RequestContext ctx, ResourceDefinition def, string? ns, string name, DeleteOptions options)
    {
        try { return DeleteCore(ctx, def, ns, name, options); }
        finally { FlushNotifications(); }
    }

    private (StoredObject Object, bool Removed) DeleteCore(RequestContext ctx, ResourceDefinition def, string? ns, string name, DeleteOptions options)
    {
        lock (_gate)
        {
            var existing = Table(def.StorageKey).GetValueOrDefault(Key(ns, name))
                ?? throw new KubeApiException(ApiStatus.NotFound(def.Plural, def.Group, name));
            if (options.PreconditionUid is { Length: > 0 } puid && puid != existing.Uid)
                throw new KubeApiException(new ApiStatus(409, ApiStatus.ReasonConflict, $"Precondition failed: UID in precondition: {puid}, UID in object meta: {existing.Uid}", name, def.Group, def.Plural));
            if (options.PreconditionResourceVersion is { Length: > 0 } prv && prv != existing.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                throw new KubeApiException(new ApiStatus(409, ApiStatus.ReasonConflict, $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {existing.ResourceVersion}", name, def.Group, def.Plural));
            var obj = existing.Parse();
            var meta = ObjectMetaAccess.Metadata(obj);
            var finalizers = ObjectMetaAccess.Finalizers(obj);
            var propagation = options.Propagation ?? PropagationPolicy.Background;
            var changed = false;
            if (Strategies.SystemFinalizerOnDelete(def) is { } systemFinalizer && !finalizers.Contains(systemFinalizer))
            {
                finalizers.Add(systemFinalizer); changed = true;
            }
            if (!ObjectMetaAccess.IsDeleting(obj))
            {
                if (propagation == PropagationPolicy.Foreground && !finalizers.Contains(Finalizers.Foreground)) { finalizers.Add(Finalizers.Foreground); changed = true; }
                if (propagation == PropagationPolicy.Orphan && !finalizers.Contains(Finalizers.Orphan)) { finalizers.Add(Finalizers.Orphan); changed = true; }
            }
            if (def.StorageKey == "/namespaces")
            {
                var specFinalizers = (obj["spec"] as JsonObject)?["finalizers"] as JsonArray;
                if (specFinalizers is { Count: > 0 } || finalizers.Count > 0)
                {
                    if (!ObjectMetaAccess.IsDeleting(obj))
                    {
                        meta["deletionTimestamp"] = Timestamp();
                        meta["deletionGracePeriodSeconds"] = 0;
                        obj["status"] = new JsonObject { ["phase"] = "Terminating" };
                        changed = true;
                    }
                    if (changed) meta["finalizers"] = ToArray(finalizers);
                    if (!changed || ctx.DryRun) return (ctx.DryRun ? Materialize(def, ns, obj, existing.ResourceVersion) : existing, false);
                    return (Commit(def, ns, obj, existing, WatchEventType.Modified), false);
                }
            }
            if (finalizers.Count > 0)
            {
                if (!ObjectMetaAccess.IsDeleting(obj))
                {
                    meta["deletionTimestamp"] = Timestamp();
                    meta["deletionGracePeriodSeconds"] = 0;
                    if (ObjectMetaAccess.Generation(obj) > 0) meta["generation"] = ObjectMetaAccess.Generation(obj) + 1;
                    changed = true;
                }
                if (!changed) return (existing, false);
                meta["finalizers"] = ToArray(finalizers);
                if (ctx.DryRun) return (Materialize(def, ns, obj, existing.ResourceVersion), false);
                return (Commit(def, ns, obj, existing, WatchEventType.Modified), false);
            }
            if (ctx.DryRun) return (existing, true);
            return (RemoveLocked(def.StorageKey, existing), true);
        }
    }

    /// <summary>The namespace `/finalize` subresource: the only write that may change a namespace's spec.finalizers.</summary>
    internal StoredObject UpdateNamespaceSpec(RequestContext ctx, ResourceDefinition def, string name, JsonObject next)
    {
        try
        {
            lock (_gate)
            {
                var existing = Table(def.StorageKey).GetValueOrDefault(name) ?? throw new KubeApiException(ApiStatus.NotFound(def.Plural, def.Group, name));
                ObjectMetaAccess.Metadata(next)["resourceVersion"] = existing.ResourceVersion.ToString(CultureInfo.InvariantCulture);
                return UpdateLocked(ctx, def, null, name, existing, existing.Parse(), next);
            }
        }
        finally { FlushNotifications(); }
    }

    private StoredObject UpdateLocked(RequestContext ctx, ResourceDefinition def, string? ns, string name, StoredObject existing, JsonObject old, JsonObject next, Subresource sub = Subresource.None)
    {
        var oldFinalizers = ObjectMetaAccess.Finalizers(old);
        var newFinalizers = ObjectMetaAccess.Finalizers(next);
        if (ObjectMetaAccess.IsDeleting(old))
        {
            var added = newFinalizers.Except(oldFinalizers).ToList();
            if (added.Count > 0)
                throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, name, [new StatusCause("FieldValueForbidden",
                    $"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(a => $"\"{a}\""))}}}", "metadata.finalizers")]));
        }
        ValidateCustom(ctx, def, next, old);
        Strategies.Validate(this, def, next, old, sub);
        var nextMeta = ObjectMetaAccess.Metadata(next);
        if (Strategies.TracksGeneration(def) && SpecChanged(def, old, next)) nextMeta["generation"] = ObjectMetaAccess.Generation(old) + 1;
        TrackManagedFields(ctx, def, old, next, sub);
        var bytes = Canonical.Serialize(next);
        if (bytes.AsSpan().SequenceEqual(existing.Json)) return existing;
        if (ctx.DryRun) return Materialize(def, ns, next, existing.ResourceVersion);
        if (ObjectMetaAccess.IsDeleting(next) && newFinalizers.Count == 0 && !Strategies.HoldsDeletion(def, next))
        {
            var last = Materialize(def, ns, next, existing.ResourceVersion);
            Table(def.StorageKey)[existing.Key] = last;
            return RemoveLocked(def.StorageKey, last);
        }
        return Commit(def, ns, next, existing, WatchEventType.Modified);
    }

    /// <summary>Everything but metadata (and status, when it is a subresource) counts as spec for the generation.</summary>
    private static bool SpecChanged(ResourceDefinition def, JsonObject old, JsonObject next)
    {
        foreach (var key in old.Select(p => p.Key).Union(next.Select(p => p.Key)))
        {
            if (key is "metadata" or "apiVersion" or "kind") continue;
            if (key == "status" && def.HasStatus) continue;
            if (!JsonNode.DeepEquals(old[key], next[key])) return true;
        }
        return false;
    }

    private StoredObject Commit(ResourceDefinition def, string? ns, JsonObject obj, StoredObject? previous, WatchEventType type)
    {
        var stored = Materialize(def, ns, obj, _resourceVersion + 1);
        // etcd refuses a request over --max-request-bytes (1.5 MiB by default), and kube-apiserver passes the
        // refusal on as an internal error with etcd's own text.
        if (stored.Json.Length > MaxStoredObjectBytes) throw new KubeApiException(ApiStatus.Internal("etcdserver: request is too large"));
        var rv = ++_resourceVersion;
        Table(def.StorageKey)[stored.Key] = stored;
        if (previous is not null) Unindex(previous);
        Index(stored);
        Publish(new StoreEvent(rv, type, stored, previous, Time.GetUtcNow()));
        Strategies.AfterCommit(this, def, stored, type);
        return stored;
    }

    private StoredObject RemoveLocked(string storageKey, StoredObject existing)
    {
        var rv = ++_resourceVersion;
        Table(storageKey).Remove(existing.Key);
        Unindex(existing);
        var obj = existing.Parse();
        ObjectMetaAccess.Metadata(obj)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        var last = new StoredObject
        {
            StorageKey = storageKey, Namespace = existing.Namespace, Name = existing.Name, Uid = existing.Uid,
            ResourceVersion = rv, Json = Canonical.Serialize(obj), Labels = existing.Labels, OwnerUids = existing.OwnerUids,
        };
        Publish(new StoreEvent(rv, WatchEventType.Deleted, last, existing, Time.GetUtcNow()));
        var def = Registry.FindStorage(storageKey);
        if (def is not null) Strategies.AfterCommit(this, def, last, WatchEventType.Deleted);
        return last;
    }

    private StoredObject Materialize(ResourceDefinition def, string? ns, JsonObject obj, long rv)
    {
        var meta = ObjectMetaAccess.Metadata(obj);
        if (rv > 0) meta["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture); else meta.Remove("resourceVersion");
        var storage = Registry.FindStorage(def.StorageKey) ?? def;
        obj["apiVersion"] = storage.GroupVersion;
        obj["kind"] = def.Kind;
        var owners = (meta["ownerReferences"] as JsonArray)?.OfType<JsonObject>().Select(r => (string?)r["uid"] ?? "").Where(u => u.Length > 0).ToList() ?? [];
        return new StoredObject
        {
            StorageKey = def.StorageKey, Namespace = ns ?? "", Name = (string)meta["name"]!, Uid = (string?)meta["uid"] ?? "",
            ResourceVersion = rv, Json = Canonical.Serialize(obj), Labels = ObjectMetaAccess.Labels(obj), OwnerUids = owners,
        };
    }

    private void Index(StoredObject o)
    {
        var key = new ObjectKey(o.StorageKey, o.Namespace, o.Name);
        _uidIndex[o.Uid] = key;
        foreach (var owner in o.OwnerUids)
        {
            if (!_dependents.TryGetValue(owner, out var set)) _dependents[owner] = set = [];
            set.Add(key);
        }
    }

    private void Unindex(StoredObject o)
    {
        var key = new ObjectKey(o.StorageKey, o.Namespace, o.Name);
        if (_uidIndex.TryGetValue(o.Uid, out var k) && k == key) _uidIndex.Remove(o.Uid);
        foreach (var owner in o.OwnerUids)
            if (_dependents.TryGetValue(owner, out var set) && set.Remove(key) && set.Count == 0) _dependents.Remove(owner);
    }

    internal IReadOnlyList<ObjectKey> DependentsOf(string uid)
    {
        lock (_gate) return _dependents.TryGetValue(uid, out var set) ? set.ToList() : [];
    }

    internal bool UidExists(string uid) { lock (_gate) return _uidIndex.ContainsKey(uid); }

    internal IReadOnlyList<StoredObject> Snapshot(string storageKey, string? ns = null)
    {
        lock (_gate) return Table(storageKey).Values.Where(o => ns is null || o.Namespace == ns).ToList();
    }

    internal IReadOnlyList<string> StorageKeys() { lock (_gate) return _tables.Keys.ToList(); }

    // ---------------------------------------------------------------- watch

    public WatchSubscription Watch(ResourceDefinition def, string? ns, WatchOptions options)
    {
        lock (_gate)
        {
            var sub = new WatchSubscription(def.StorageKey, ns, options, Unsubscribe);
            var rvText = options.ResourceVersion;
            if (options.SendInitialEvents || string.IsNullOrEmpty(rvText) || rvText == "0")
            {
                foreach (var o in Table(def.StorageKey).Values)
                    if (sub.Accepts(o) && options.Labels.Matches(o.Labels))
                        sub.Channel.Writer.TryWrite(new WatchMessage(WatchMessageKind.Added, o, o.ResourceVersion));
                if (options.SendInitialEvents)
                    sub.Channel.Writer.TryWrite(new WatchMessage(WatchMessageKind.Bookmark, null, _resourceVersion, InitialEventsEnd: true));
            }
            else
            {
                if (!long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
                    throw new KubeApiException(ApiStatus.BadRequest($"invalid resource version: {rvText}"));
                if (Faults.TakeForcedExpiry() || from < _compactedRv)
                {
                    sub.Close(ApiStatus.Expired($"too old resource version: {from} ({_resourceVersion})"));
                    return sub;
                }
                if (from > _resourceVersion)
                    throw new KubeApiException(new ApiStatus(504, ApiStatus.ReasonTimeout, $"Too large resource version: {from}, current: {_resourceVersion}",
                        Causes: [new StatusCause("ResourceVersionTooLarge", "Too large resource version", "")], RetryAfterSeconds: 1));
                for (var i = 0; i < _historyCount; i++)
                {
                    var e = _history[(_historyStart + i) % _history.Length];
                    if (e.ResourceVersion > from && e.Object.StorageKey == def.StorageKey) sub.Offer(e);
                }
            }
            if (!_watchers.TryGetValue(def.StorageKey, out var list)) _watchers[def.StorageKey] = list = [];
            list.Add(sub);
            return sub;
        }
    }

    /// <summary>Queues a BOOKMARK carrying the current resourceVersion behind every event already queued.</summary>
    public void Bookmark(WatchSubscription sub)
    {
        lock (_gate) sub.Channel.Writer.TryWrite(new WatchMessage(WatchMessageKind.Bookmark, null, _resourceVersion));
    }

    public int OpenWatchCount { get { lock (_gate) return _watchers.Values.Sum(l => l.Count); } }

    /// <summary>Ends every open watch stream, as an API server restart does.</summary>
    public void DropAllWatches()
    {
        List<WatchSubscription> all;
        lock (_gate) all = _watchers.Values.SelectMany(l => l).ToList();
        foreach (var w in all) w.Close();
    }

    private void Unsubscribe(WatchSubscription sub)
    {
        lock (_gate)
            if (_watchers.TryGetValue(sub.StorageKey, out var list)) list.Remove(sub);
    }

    private void Publish(StoreEvent e)
    {
        var now = e.At;
        while (_historyCount > 0)
        {
            var oldest = _history[_historyStart];
            if (_historyCount < _history.Length && now - oldest.At < Options.HistoryWindow) break;
            _compactedRv = oldest.ResourceVersion;
            _history[_historyStart] = null!;
            _historyStart = (_historyStart + 1) % _history.Length;
            _historyCount--;
        }
        _history[(_historyStart + _historyCount) % _history.Length] = e;
        _historyCount++;
        if (_watchers.TryGetValue(e.Object.StorageKey, out var list))
            foreach (var w in list) w.Offer(e);
        _pendingNotifications.Enqueue(e);
    }

    /// <summary>Forgets all history up to now, so that every watch from an earlier resourceVersion gets 410.</summary>
    public void CompactHistory()
    {
        lock (_gate)
        {
            _compactedRv = _resourceVersion;
            Array.Clear(_history);
            _historyStart = 0;
            _historyCount = 0;
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<StoreEvent> _pendingNotifications = new();
    private int _notifying;

    /// <summary>Delivers committed events to in-process listeners in order, never under the store lock.</summary>
    internal void FlushNotifications()
    {
        if (Interlocked.Exchange(ref _notifying, 1) == 1) return;
        try
        {
            while (_pendingNotifications.TryDequeue(out var e)) Committed?.Invoke(e);
        }
        finally { Volatile.Write(ref _notifying, 0); }
        if (!_pendingNotifications.IsEmpty) FlushNotifications();
    }

    // ---------------------------------------------------------------- helpers

    private SortedDictionary<string, StoredObject> Table(string storageKey)
    {
        if (!_tables.TryGetValue(storageKey, out var t)) _tables[storageKey] = t = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        return t;
    }

    private static string Key(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";

    public string Timestamp() => Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var seed = Interlocked.Increment(ref _nameSeed) * 2654435761u ^ (uint)Environment.TickCount;
        var rng = new Random((int)seed);
        return new string(Enumerable.Range(0, 5).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
    }

    private static JsonArray ToArray(IEnumerable<string> items) => new(items.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());

    private static void CheckTypeMeta(ResourceDefinition def, JsonObject obj)
    {
        var kind = (string?)obj["kind"];
        var apiVersion = (string?)obj["apiVersion"];
        if (!string.IsNullOrEmpty(kind) && kind != def.Kind)
            throw new KubeApiException(ApiStatus.BadRequest($"the kind of the provided object ({kind}) does not match the resource ({def.Kind})"));
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != def.GroupVersion)
            throw new KubeApiException(ApiStatus.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({def.GroupVersion})"));
    }

    private static string? ResolveNamespace(ResourceDefinition def, string? ns, JsonObject meta)
    {
        var bodyNs = (string?)meta["namespace"];
        if (!def.Namespaced)
        {
            meta.Remove("namespace");
            return null;
        }
        if (!string.IsNullOrEmpty(bodyNs) && !string.IsNullOrEmpty(ns) && bodyNs != ns)
            throw new KubeApiException(ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
        ns = string.IsNullOrEmpty(ns) ? bodyNs : ns;
        if (string.IsNullOrEmpty(ns)) throw new KubeApiException(ApiStatus.BadRequest("an empty namespace may not be set during creation"));
        meta["namespace"] = ns;
        return ns;
    }

    private void RequireActiveNamespace(string ns)
    {
        var stored = Table("/namespaces").GetValueOrDefault(ns) ?? throw new KubeApiException(ApiStatus.NotFound("namespaces", "", ns));
        if (ObjectMetaAccess.IsDeleting(stored.Parse()))
            throw new KubeApiException(new ApiStatus(403, ApiStatus.ReasonForbidden,
                $"unable to create new content in namespace {ns} because it is being terminated", ns, "", "namespaces",
                [new StatusCause("NamespaceTerminating", $"namespace {ns} is being terminated", "metadata.namespace")]));
    }

    private bool IsCrdTerminating(ResourceDefinition def)
    {
        var crd = Table("apiextensions.k8s.io/customresourcedefinitions").GetValueOrDefault($"{def.Plural}.{def.Group}");
        return crd is not null && ObjectMetaAccess.IsDeleting(crd.Parse());
    }

    private static void ValidateName(ResourceDefinition def, string name)
    {
        var isLabel = def.StorageKey == "/namespaces";
        var ok = name.Length <= (isLabel ? 63 : 253) && name.Length > 0 && char.IsAsciiLetterLower(name[0]) | char.IsAsciiDigit(name[0])
                 && (char.IsAsciiLetterLower(name[^1]) || char.IsAsciiDigit(name[^1]))
                 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-' || (!isLabel && c == '.'));
        // RBAC objects and events allow path-segment names like "system:controller:foo" or "x.y".
        if (!ok && def.Group == "rbac.authorization.k8s.io" && name.Length > 0 && !name.Contains('/') && name is not ("." or "..")) ok = true;
        if (!ok && def.StorageKey.EndsWith("/events", StringComparison.Ordinal) && name.Length > 0) ok = true;
        if (!ok)
        {
            var message = isLabel
                ? $"Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                : $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
            throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, name, [new StatusCause("FieldValueInvalid", message, "metadata.name")]));
        }
    }

    /// <summary>etcd's default --max-request-bytes.</summary>
    internal const int MaxStoredObjectBytes = 1_572_864;
    /// <summary>apimachinery's TotalAnnotationSizeLimitB: keys and values of all annotations together.</summary>
    internal const int MaxAnnotationBytes = 256 * 1024;

    private void ValidateCustom(RequestContext ctx, ResourceDefinition def, JsonObject obj, JsonObject? old)
    {
        var causes = new List<StatusCause>();
        if (ObjectMetaAccess.Metadata(obj)["annotations"] is JsonObject annotations
            && annotations.Sum(a => (long)Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value?.ToString() ?? "")) > MaxAnnotationBytes)
            causes.Add(new("FieldValueTooLong", $"Too long: must have at most {MaxAnnotationBytes} bytes", "metadata.annotations"));
        foreach (var (key, value) in ObjectMetaAccess.Labels(obj))
        {
            if (LabelQuery.Problem(key, value) is { } problem) causes.Add(new("FieldValueInvalid", problem, "metadata.labels"));
        }
        if (def.IsCustom)
        {
            var schema = (Registry.Find(def.Group, def.Version, def.Plural) ?? def).Schema;
            if (schema is not null)
            {
                var pruned = SchemaValidator.DefaultAndPrune(obj, schema);
                if (pruned.Count > 0 && ctx.FieldValidation == "Strict")
                    throw new KubeApiException(ApiStatus.BadRequest(
                        $"{def.Kind} in version \"{def.Version}\" cannot be handled as a {def.Kind}: strict decoding error: {string.Join(", ", pruned.Select(p => $"unknown field \"{p}\""))}"));
                if (pruned.Count > 0 && ctx.FieldValidation is null or "Warn")
                    ctx.Warnings.AddRange(pruned.Select(p => $"unknown field \"{p}\""));
                causes.AddRange(SchemaValidator.Validate(obj, schema));
                if (old is not null) causes.AddRange(Cel.CheckTransitionRules(obj, old, schema));
            }
        }
        if (causes.Count > 0)
            throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, ObjectMetaAccess.Name(obj) ?? "", causes));
    }

    internal static class Finalizers
    {
        public const string Foreground = "foregroundDeletion";
        public const string Orphan = "orphan";
        public const string CrdCleanup = "customresourcecleanup.apiextensions.k8s.io";
    }
}

/// <summary>Counts requests by verb, so tests can assert that a quiet operator makes no writes.</summary>
public sealed class RequestCounter
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _counts = new();
    public void Add(string verb, string resource) => _counts.AddOrUpdate($"{verb} {resource}", 1, (_, n) => n + 1);
    public long Count(Func<string, bool> predicate) => _counts.Where(p => predicate(p.Key)).Sum(p => p.Value);
    public long Writes => Count(k => k.StartsWith("create ", StringComparison.Ordinal) || k.StartsWith("update ", StringComparison.Ordinal) || k.StartsWith("patch ", StringComparison.Ordinal) || k.StartsWith("delete", StringComparison.Ordinal));
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts);
    public void Reset() => _counts.Clear();
}
