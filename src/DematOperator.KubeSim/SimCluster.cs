using DematOperator.Kube.Crd;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Schema;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim;

/// <summary>
/// One emulated cluster: the store, the resources it serves, its tokens and RBAC, fault injection and the
/// controllers it plays. Everything a request does goes through the methods here, under one lock, so the
/// order of resourceVersions is the order of the watch events.
/// </summary>
public sealed partial class SimCluster
{
    private readonly ObjectStore _store;
    private int _nameSeed;

    public SimCluster(string name, SimClusterOptions? options = null, TimeProvider? time = null)
    {
        Name = name;
        Options = options ?? new SimClusterOptions();
        Time = time ?? TimeProvider.System;
        Faults = new Faults.FaultInjector(Time);
        Auth = new Security.Authenticator();
        _store = new ObjectStore(Options.HistoryLimit, Options.HistoryWindow, Time, Registry.FindStorage,
            (def, stored, type) => Strategies.AfterCommit(this, def, stored, type), e => Committed?.Invoke(e), Faults.TakeForcedExpiry);
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

    public long CurrentResourceVersion => _store.ResourceVersion;

    // ---------------------------------------------------------------- reads and watches: the store's

    public StoredObject? TryGet(string storageKey, string? ns, string name) => _store.TryGet(storageKey, ns, name);

    public StoredObject Get(ResourceDefinition def, string? ns, string name) =>
        TryGet(def.StorageKey, ns, name) ?? throw new KubeApiException(ApiStatus.NotFound(def.Plural, def.Group, name));

    public StoredObject? FindByUid(string uid) => _store.FindByUid(uid);

    public ObjectStore.ListResult List(ResourceDefinition def, string? ns, ListOptions options) => _store.List(def, ns, options);

    public WatchSubscription Watch(ResourceDefinition def, string? ns, WatchOptions options) => _store.Watch(def, ns, options);

    /// <summary>Queues a BOOKMARK carrying the current resourceVersion behind every event already queued.</summary>
    public void Bookmark(WatchSubscription sub) => _store.Bookmark(sub);

    public int OpenWatchCount => _store.OpenWatchCount;

    /// <summary>Ends every open watch stream, as an API server restart does.</summary>
    public void DropAllWatches() => _store.DropAllWatches();

    /// <summary>Forgets all history up to now, so that every watch from an earlier resourceVersion gets 410.</summary>
    public void CompactHistory() => _store.CompactHistory();

    internal IReadOnlyList<ObjectKey> DependentsOf(string uid) => _store.DependentsOf(uid);
    internal bool UidExists(string uid) => _store.UidExists(uid);
    internal IReadOnlyList<StoredObject> Snapshot(string storageKey, string? ns = null) => _store.Snapshot(storageKey, ns);
    internal IReadOnlyList<string> StorageKeys() => _store.StorageKeys();
    internal void FlushNotifications() => _store.FlushNotifications();

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
        Strategies.Validate(def, obj, null, Subresource.None);

        lock (_store.Gate)
        {
            if (def.Namespaced) RequireActiveNamespace(ns!);
            if (def.IsCustom && IsCrdTerminating(def))
                throw new KubeApiException(new ApiStatus(405, ApiStatus.ReasonMethodNotAllowed, "create not allowed while custom resource definition is terminating"));
            var table = _store.Table(def.StorageKey);
            var generate = (string?)meta["name"] is not { Length: > 0 };
            if (generate)
            {
                var prefix = (string?)meta["generateName"];
                if (string.IsNullOrEmpty(prefix))
                    throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, "", [new StatusCause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name")]));
                string candidate;
                do candidate = prefix + RandomSuffix(); while (table.ContainsKey(ObjectStore.Key(ns, candidate)));
                meta["name"] = candidate;
            }
            var name = (string)meta["name"]!;
            ValidateName(def, name);
            if (table.ContainsKey(ObjectStore.Key(ns, name))) throw new KubeApiException(ApiStatus.AlreadyExists(def.Plural, def.Group, name));
            meta["uid"] = Guid.NewGuid().ToString();
            TrackManagedFields(ctx, def, null, obj, Subresource.None);
            if (ctx.DryRun) return _store.Materialize(def, ns, obj, 0);
            var stored = _store.Commit(def, ns, obj, null, WatchEventType.Added);
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
        lock (_store.Gate)
        {
            var existing = _store.Table(def.StorageKey).GetValueOrDefault(ObjectStore.Key(ns, name))
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
                case not Subresource.None when Strategies.For(def).PrepareForSubresourceUpdate(this, sub, incoming, old) is { } own:
                    next = own;
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
        lock (_store.Gate)
        {
            var existing = _store.Table(def.StorageKey).GetValueOrDefault(ObjectStore.Key(ns, name))
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
            if (def.StorageKey == BuiltinKeys.Namespaces)
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
                    if (!changed || ctx.DryRun) return (ctx.DryRun ? _store.Materialize(def, ns, obj, existing.ResourceVersion) : existing, false);
                    return (_store.Commit(def, ns, obj, existing, WatchEventType.Modified), false);
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
                if (ctx.DryRun) return (_store.Materialize(def, ns, obj, existing.ResourceVersion), false);
                return (_store.Commit(def, ns, obj, existing, WatchEventType.Modified), false);
            }
            if (ctx.DryRun) return (existing, true);
            return (_store.Remove(def.StorageKey, existing), true);
        }
    }

    /// <summary>The namespace `/finalize` subresource: the only write that may change a namespace's spec.finalizers.</summary>
    internal StoredObject UpdateNamespaceSpec(RequestContext ctx, ResourceDefinition def, string name, JsonObject next)
    {
        try
        {
            lock (_store.Gate)
            {
                var existing = _store.Table(def.StorageKey).GetValueOrDefault(name) ?? throw new KubeApiException(ApiStatus.NotFound(def.Plural, def.Group, name));
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
        Strategies.Validate(def, next, old, sub);
        var nextMeta = ObjectMetaAccess.Metadata(next);
        if (Strategies.TracksGeneration(def) && SpecChanged(def, old, next)) nextMeta["generation"] = ObjectMetaAccess.Generation(old) + 1;
        TrackManagedFields(ctx, def, old, next, sub);
        var bytes = Canonical.Serialize(next);
        if (bytes.AsSpan().SequenceEqual(existing.Json)) return existing;
        if (ctx.DryRun) return _store.Materialize(def, ns, next, existing.ResourceVersion);
        if (ObjectMetaAccess.IsDeleting(next) && newFinalizers.Count == 0 && !Strategies.HoldsDeletion(def, next))
        {
            var last = _store.Materialize(def, ns, next, existing.ResourceVersion);
            _store.Table(def.StorageKey)[existing.Key] = last;
            return _store.Remove(def.StorageKey, last);
        }
        return _store.Commit(def, ns, next, existing, WatchEventType.Modified);
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

    // ---------------------------------------------------------------- helpers


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
        var stored = _store.Table(BuiltinKeys.Namespaces).GetValueOrDefault(ns) ?? throw new KubeApiException(ApiStatus.NotFound("namespaces", "", ns));
        if (ObjectMetaAccess.IsDeleting(stored.Parse()))
            throw new KubeApiException(new ApiStatus(403, ApiStatus.ReasonForbidden,
                $"unable to create new content in namespace {ns} because it is being terminated", ns, "", "namespaces",
                [new StatusCause("NamespaceTerminating", $"namespace {ns} is being terminated", "metadata.namespace")]));
    }

    private bool IsCrdTerminating(ResourceDefinition def)
    {
        var crd = _store.Table(BuiltinKeys.Crds).GetValueOrDefault($"{def.Plural}.{def.Group}");
        return crd is not null && ObjectMetaAccess.IsDeleting(crd.Parse());
    }

    private static void ValidateName(ResourceDefinition def, string name)
    {
        var isLabel = def.StorageKey == BuiltinKeys.Namespaces;
        var ok = name.Length <= (isLabel ? 63 : 253) && name.Length > 0 && char.IsAsciiLetterLower(name[0]) | char.IsAsciiDigit(name[0])
                 && (char.IsAsciiLetterLower(name[^1]) || char.IsAsciiDigit(name[^1]))
                 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-' || (!isLabel && c == '.'));
        // RBAC objects and events allow path-segment names like "system:controller:foo" or "x.y".
        if (!ok && def.Group == "rbac.authorization.k8s.io" && name.Length > 0 && !name.Contains('/') && name is not ("." or "..")) ok = true;
        if (!ok && def.StorageKey is BuiltinKeys.Events or BuiltinKeys.EventsV1 && name.Length > 0) ok = true;
        if (!ok)
        {
            var message = isLabel
                ? $"Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                : $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
            throw new KubeApiException(ApiStatus.Invalid(def.Kind, def.Group, name, [new StatusCause("FieldValueInvalid", message, "metadata.name")]));
        }
    }

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