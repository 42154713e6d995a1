using System.Diagnostics;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Kube.Informers;

public enum InformerEventType { Added, Updated, Deleted }

/// <summary>A change seen by an informer. On resync, Old and New are the same object.</summary>
public sealed record InformerEvent<T>(InformerEventType Type, T? Old, T New) where T : KubeObject;

public sealed class InformerOptions
{
    public string? Namespace { get; init; }
    public string? LabelSelector { get; init; }
    /// <summary>Replays every cached object as an update this often, as a failsafe (controller-runtime: 10 h).</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromHours(10);
    /// <summary>Watches ask the server to end them after a random time in [min, 2·min], spreading reconnects.</summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Margin after the watch timeout at which a silent connection is considered dead.</summary>
    public TimeSpan IdleMargin { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// The cache diet, as controller-runtime's cache.TransformStripManagedFields: managedFields and kubectl's
    /// last-applied-configuration annotation (often the largest part of a small object) are dropped before caching.
    /// Nothing cached is ever written back whole: the operator writes status, JSON patches and fresh reads.
    /// </summary>
    public bool StripManagedFields { get; init; } = true;
    public Backoff? Backoff { get; init; }
}

public interface IInformer
{
    string Description { get; }
    bool HasSynced { get; }
    /// <summary>When the informer lost its connection (null while connected), for liveness.</summary>
    DateTimeOffset? DisconnectedSince { get; }
    Task RunAsync(CancellationToken ct);
    Task WaitForSyncAsync(CancellationToken ct);
}

/// <summary>
/// client-go's reflector and indexer in one: paged LIST, then WATCH from the list's resourceVersion with
/// bookmarks and a randomized timeout; on 410 Expired (in-stream or HTTP) a relist that synthesizes DELETE
/// events for objects that vanished while we were away; reconnect backoff with jitter; periodic resync;
/// a cache indexed by namespace and owner uid.
/// </summary>
public sealed class Informer<T> : IInformer where T : KubeObject
{
    private readonly KubeClient _client;
    private readonly ResourceType<T> _type;
    private readonly InformerOptions _options;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _byOwner = new(StringComparer.Ordinal);
    private readonly List<Action<InformerEvent<T>>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Backoff _backoff;
    private string? _resourceVersion;

    public Informer(KubeClient client, ResourceType<T> type, InformerOptions? options = null, ILoggerFactory? loggers = null)
    {
        _client = client;
        _type = type;
        _options = options ?? new InformerOptions();
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger($"DematOperator.Informer.{type.GroupResource}");
        _backoff = _options.Backoff ?? new Backoff(client.Time);
        DisconnectedSince = client.Time.GetUtcNow();
    }

    public string Description => $"{_type.GroupResource}@{_client.Host}{(_options.Namespace is null ? "" : "/" + _options.Namespace)}";
    public ResourceType<T> Type => _type;
    public bool HasSynced => _synced.Task.IsCompleted;
    public DateTimeOffset? DisconnectedSince { get; private set; }
    public long Relists { get; private set; }
    public long WatchesStarted { get; private set; }

    public void AddHandler(Action<InformerEvent<T>> handler)
    {
        lock (_gate)
        {
            _handlers.Add(handler);
            // A handler added late still hears about what is already cached, like client-go's AddEventHandler.
            foreach (var item in _items.Values) handler(new InformerEvent<T>(InformerEventType.Added, null, item));
        }
    }

    public Task WaitForSyncAsync(CancellationToken ct) => _synced.Task.WaitAsync(ct);

    public T? Get(string? ns, string name)
    {
        lock (_gate) return _items.GetValueOrDefault(Key(ns, name));
    }

    public IReadOnlyList<T> List(string? ns = null)
    {
        lock (_gate) return _items.Values.Where(i => ns is null || i.Metadata.Namespace == ns).ToList();
    }

    public IReadOnlyList<T> ByOwner(string ownerUid)
    {
        lock (_gate)
            return _byOwner.TryGetValue(ownerUid, out var keys) ? keys.Select(k => _items[k]).ToList() : [];
    }

    public int Count { get { lock (_gate) return _items.Count; } }

    public async Task RunAsync(CancellationToken ct)
    {
        var needList = true;
        var nextResync = _client.Time.GetUtcNow() + _options.ResyncPeriod;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    await ListAndReplaceAsync(ct);
                    needList = false;
                    DisconnectedSince = null;
                }
                needList = await WatchAsync(ct, () =>
                {
                    if (_client.Time.GetUtcNow() < nextResync) return;
                    nextResync = _client.Time.GetUtcNow() + _options.ResyncPeriod;
                    Resync();
                });
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (KubeApiException e) when (e.IsGoneOrExpired)
            {
                _log.LogInformation("watch of {Informer} expired ({Message}); relisting", Description, e.Status.Message);
                needList = true;
            }
            catch (Exception e) when (e is KubeApiException or KubeConnectionException or System.Text.Json.JsonException or IOException or HttpRequestException or OperationCanceledException)
            {
                DisconnectedSince ??= _client.Time.GetUtcNow();
                var delay = _backoff.Next();
                _log.LogWarning("{Informer} failed: {Error}; retrying in {Delay:F1}s", Description, e.Message, delay.TotalSeconds);
                try { await Task.Delay(delay, _client.Time, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Lists everything and makes the cache equal to it, emitting the events that explain the difference.</summary>
    private async Task ListAndReplaceAsync(CancellationToken ct)
    {
        var list = await _client.ListAllAsync(_type, _options.Namespace, new ListRequest(LabelSelector: _options.LabelSelector), ct);
        Relists++;
        var events = new List<InformerEvent<T>>();
        lock (_gate)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in list.Items)
            {
                Prepare(item);
                var key = Key(item.Metadata.Namespace, item.Name);
                seen.Add(key);
                if (_items.TryGetValue(key, out var old))
                {
                    if (old.Metadata.ResourceVersion != item.Metadata.ResourceVersion || old.Metadata.Uid != item.Metadata.Uid)
                        events.Add(Store(key, old, item, old.Metadata.Uid == item.Metadata.Uid ? InformerEventType.Updated : InformerEventType.Added));
                }
                else events.Add(Store(key, null, item, InformerEventType.Added));
            }
            foreach (var key in _items.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                var gone = _items[key];
                Remove(key, gone);
                events.Add(new InformerEvent<T>(InformerEventType.Deleted, gone, gone));
            }
            _resourceVersion = list.Metadata.ResourceVersion;
            Dispatch(events);
        }
        _synced.TrySetResult();
    }

    /// <summary>Runs one watch; returns true when the next step must be a relist.</summary>
    private async Task<bool> WatchAsync(CancellationToken ct, Action maybeResync)
    {
        var min = _options.MinWatchTimeout;
        var timeout = TimeSpan.FromSeconds(Math.Max(1, (int)(min.TotalSeconds * (1 + Random.Shared.NextDouble()))));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // The server closes the watch at its timeout; a connection silent beyond that is dead.
        deadline.CancelAfter(timeout + _options.IdleMargin);
        WatchesStarted++;
        try
        {
            await foreach (var e in _client.WatchAsync(_type, _options.Namespace,
                               new WatchRequest(_resourceVersion, _options.LabelSelector, TimeoutSeconds: (int)timeout.TotalSeconds), deadline.Token,
                               // Connected only once the server accepted the watch: clearing it on every attempt let an
                               // outage read as healthy between an attempt's start and its failure.
                               connected: () => DisconnectedSince = null))
            {
                if (e.Object is null) continue;
                Apply(e);
                maybeResync();
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _log.LogInformation("watch of {Informer} silent past its deadline; reconnecting", Description);
        }
        maybeResync();
        return false;
    }

    private void Apply(WatchEvent<T> e)
    {
        var obj = e.Object!;
        lock (_gate)
        {
            if (e.Type == "BOOKMARK")
            {
                _resourceVersion = obj.Metadata.ResourceVersion ?? _resourceVersion;
                return;
            }
            Prepare(obj);
            var key = Key(obj.Metadata.Namespace, obj.Name);
            _items.TryGetValue(key, out var old);
            InformerEvent<T>? ev = e.Type switch
            {
                "ADDED" or "MODIFIED" => Store(key, old, obj, old is null ? InformerEventType.Added : InformerEventType.Updated),
                "DELETED" when old is not null => Removed(key, old, obj),
                _ => null,
            };
            _resourceVersion = obj.Metadata.ResourceVersion ?? _resourceVersion;
            if (ev is not null) Dispatch([ev]);
        }
    }

    private InformerEvent<T> Removed(string key, T old, T last)
    {
        Remove(key, old);
        return new InformerEvent<T>(InformerEventType.Deleted, old, last);
    }

    private void Resync()
    {
        lock (_gate) Dispatch(_items.Values.Select(i => new InformerEvent<T>(InformerEventType.Updated, i, i)).ToList());
    }

    private InformerEvent<T> Store(string key, T? old, T item, InformerEventType type)
    {
        if (old is not null) Unindex(key, old);
        _items[key] = item;
        foreach (var owner in item.Metadata.OwnerReferences ?? [])
        {
            if (!_byOwner.TryGetValue(owner.Uid, out var set)) _byOwner[owner.Uid] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(key);
        }
        return new InformerEvent<T>(type, old, item);
    }

    private void Remove(string key, T old)
    {
        _items.Remove(key);
        Unindex(key, old);
    }

    private void Unindex(string key, T old)
    {
        foreach (var owner in old.Metadata.OwnerReferences ?? [])
            if (_byOwner.TryGetValue(owner.Uid, out var set) && set.Remove(key) && set.Count == 0) _byOwner.Remove(owner.Uid);
    }

    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    private void Prepare(T item)
    {
        if (!_options.StripManagedFields) return;
        item.Metadata.ManagedFields = null;
        if (item.Metadata.Annotations is { } annotations && annotations.Remove(LastAppliedAnnotation) && annotations.Count == 0) item.Metadata.Annotations = null;
    }

    private void Dispatch(IReadOnlyList<InformerEvent<T>> events)
    {
        foreach (var ev in events)
            foreach (var h in _handlers)
            {
                try { h(ev); }
                catch (Exception ex) { _log.LogError(ex, "event handler of {Informer} failed", Description); }
            }
    }

    public static string Key(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";
}
