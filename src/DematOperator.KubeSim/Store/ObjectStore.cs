using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Store;

/// <summary>
/// The cluster's storage, as etcd and the watch cache are to kube-apiserver: objects by storage key and
/// namespace/name, one increasing resourceVersion, the history watches resume from (bounded in count and age,
/// like compaction), the open watches, and the uid and owner indexes the garbage collector reads. Writers hold
/// <see cref="Gate"/> around a read-check-commit, so the order of resourceVersions is the order of watch events.
/// Write rules (defaults, validation, generation, finalizers) are the registry's, in <see cref="SimCluster"/>.
/// </summary>
public sealed class ObjectStore
{
    /// <summary>etcd's default --max-request-bytes.</summary>
    public const int MaxStoredObjectBytes = 1_572_864;

    public readonly object Gate = new();
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _tables = new();
    private readonly Dictionary<string, ObjectKey> _uidIndex = new();
    private readonly Dictionary<string, HashSet<ObjectKey>> _dependents = new();
    private readonly Dictionary<string, List<WatchSubscription>> _watchers = new();
    private readonly StoreEvent[] _history;
    private readonly TimeSpan _historyWindow;
    private readonly TimeProvider _time;
    private readonly Func<string, ResourceDefinition?> _definitionOf;
    private readonly Action<ResourceDefinition, StoredObject, WatchEventType> _afterCommit;
    private readonly Action<StoreEvent> _notify;
    private readonly Func<bool> _forcedExpiry;
    private int _historyStart, _historyCount;
    private long _resourceVersion = 1000;
    private long _compactedRv = 1000;

    /// <param name="definitionOf">The storage version's definition of a storage key (the apiVersion objects are stored in).</param>
    /// <param name="afterCommit">Runs under the lock after each commit (the registry's AfterCommit: CRDs registering their kinds).</param>
    /// <param name="notify">Receives each committed event outside the lock, in order.</param>
    /// <param name="forcedExpiry">True when the next watch from a resourceVersion must get 410 (fault injection).</param>
    public ObjectStore(int historyLimit, TimeSpan historyWindow, TimeProvider time, Func<string, ResourceDefinition?> definitionOf,
        Action<ResourceDefinition, StoredObject, WatchEventType> afterCommit, Action<StoreEvent> notify, Func<bool> forcedExpiry)
    {
        _history = new StoreEvent[Math.Max(16, historyLimit)];
        _historyWindow = historyWindow;
        _time = time;
        _definitionOf = definitionOf;
        _afterCommit = afterCommit;
        _notify = notify;
        _forcedExpiry = forcedExpiry;
    }

    public long ResourceVersion { get { lock (Gate) return _resourceVersion; } }

    public StoredObject? TryGet(string storageKey, string? ns, string name)
    {
        lock (Gate) return Table(storageKey).GetValueOrDefault(Key(ns, name));
    }

    public StoredObject? FindByUid(string uid)
    {
        lock (Gate)
            return _uidIndex.TryGetValue(uid, out var k) ? Table(k.StorageKey).GetValueOrDefault(Key(k.Namespace, k.Name)) : null;
    }

    public sealed record ListResult(IReadOnlyList<StoredObject> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);

    public ListResult List(ResourceDefinition def, string? ns, ListOptions options)
    {
        lock (Gate)
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


    public StoredObject Commit(ResourceDefinition def, string? ns, JsonObject obj, StoredObject? previous, WatchEventType type)
    {
        var stored = Materialize(def, ns, obj, _resourceVersion + 1);
        // etcd refuses a request over --max-request-bytes (1.5 MiB by default), and kube-apiserver passes the
        // refusal on as an internal error with etcd's own text.
        if (stored.Json.Length > MaxStoredObjectBytes) throw new KubeApiException(ApiStatus.Internal("etcdserver: request is too large"));
        var rv = ++_resourceVersion;
        Table(def.StorageKey)[stored.Key] = stored;
        if (previous is not null) Unindex(previous);
        Index(stored);
        Publish(new StoreEvent(rv, type, stored, previous, _time.GetUtcNow()));
        _afterCommit(def, stored, type);
        return stored;
    }

    public StoredObject Remove(string storageKey, StoredObject existing)
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
        Publish(new StoreEvent(rv, WatchEventType.Deleted, last, existing, _time.GetUtcNow()));
        if (_definitionOf(storageKey) is { } def) _afterCommit(def, last, WatchEventType.Deleted);
        return last;
    }

    public StoredObject Materialize(ResourceDefinition def, string? ns, JsonObject obj, long rv)
    {
        var meta = ObjectMetaAccess.Metadata(obj);
        if (rv > 0) meta["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture); else meta.Remove("resourceVersion");
        var storage = _definitionOf(def.StorageKey) ?? def;
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

    public IReadOnlyList<ObjectKey> DependentsOf(string uid)
    {
        lock (Gate) return _dependents.TryGetValue(uid, out var set) ? set.ToList() : [];
    }

    public bool UidExists(string uid) { lock (Gate) return _uidIndex.ContainsKey(uid); }

    public IReadOnlyList<StoredObject> Snapshot(string storageKey, string? ns = null)
    {
        lock (Gate) return Table(storageKey).Values.Where(o => ns is null || o.Namespace == ns).ToList();
    }

    public IReadOnlyList<string> StorageKeys() { lock (Gate) return _tables.Keys.ToList(); }

    // ---------------------------------------------------------------- watch

    public WatchSubscription Watch(ResourceDefinition def, string? ns, WatchOptions options)
    {
        lock (Gate)
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
                if (_forcedExpiry() || from < _compactedRv)
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
        lock (Gate) sub.Channel.Writer.TryWrite(new WatchMessage(WatchMessageKind.Bookmark, null, _resourceVersion));
    }

    public int OpenWatchCount { get { lock (Gate) return _watchers.Values.Sum(l => l.Count); } }

    /// <summary>Ends every open watch stream, as an API server restart does.</summary>
    public void DropAllWatches()
    {
        List<WatchSubscription> all;
        lock (Gate) all = _watchers.Values.SelectMany(l => l).ToList();
        foreach (var w in all) w.Close();
    }

    private void Unsubscribe(WatchSubscription sub)
    {
        lock (Gate)
            if (_watchers.TryGetValue(sub.StorageKey, out var list)) list.Remove(sub);
    }

    private void Publish(StoreEvent e)
    {
        var now = e.At;
        while (_historyCount > 0)
        {
            var oldest = _history[_historyStart];
            if (_historyCount < _history.Length && now - oldest.At < _historyWindow) break;
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
        lock (Gate)
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
    public void FlushNotifications()
    {
        if (Interlocked.Exchange(ref _notifying, 1) == 1) return;
        try
        {
            while (_pendingNotifications.TryDequeue(out var e)) _notify(e);
        }
        finally { Volatile.Write(ref _notifying, 0); }
        if (!_pendingNotifications.IsEmpty) FlushNotifications();
    }


    public SortedDictionary<string, StoredObject> Table(string storageKey)
    {
        if (!_tables.TryGetValue(storageKey, out var t)) _tables[storageKey] = t = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        return t;
    }

    public static string Key(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";
}
