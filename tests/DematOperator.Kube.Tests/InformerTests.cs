using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Informers;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Store;
using DematOperator.TestSupport;

namespace DematOperator.Kube.Tests;

/// <summary>Informers converge to the exact server state through drops, 410s, error bursts and a long outage.</summary>
public sealed class InformerTests : IAsyncLifetime
{
    private readonly SimFixture _sim = new();
    public Task InitializeAsync() => _sim.InitializeAsync();
    public Task DisposeAsync() => _sim.DisposeAsync();

    private SimCluster Cluster => _sim.Cluster;
    private static readonly InformerOptions Fast = new()
    {
        MinWatchTimeout = TimeSpan.FromSeconds(30),
        Backoff = new Backoff(TimeProvider.System, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500)),
    };

    private void Put(string name, string value)
    {
        var def = Cluster.Registry.Find("", "v1", "configmaps")!;
        var existing = Cluster.TryGet(def.StorageKey, "default", name);
        var obj = new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = name, ["namespace"] = "default" }, ["data"] = new System.Text.Json.Nodes.JsonObject { ["v"] = value } };
        if (existing is null) Cluster.Create(RequestContext.System, def, "default", obj);
        else
        {
            obj["metadata"]!["resourceVersion"] = existing.ResourceVersion.ToString();
            Cluster.Update(RequestContext.System, def, "default", name, obj);
        }
    }

    private void Remove(string name) => Cluster.Delete(RequestContext.System, Cluster.Registry.Find("", "v1", "configmaps")!, "default", name, new DeleteOptions());

    private Dictionary<string, string> ServerState() =>
        Cluster.List(Cluster.Registry.Find("", "v1", "configmaps")!, "default", ListOptions.Everything).Items
            .ToDictionary(o => o.Name, o => (string?)o.Parse()["data"]?["v"] ?? "");

    private static Dictionary<string, string> CacheState(Informer<ConfigMap> informer) =>
        informer.List("default").ToDictionary(o => o.Name, o => o.Data?.GetValueOrDefault("v") ?? "");

    private static async Task Converged(Informer<ConfigMap> informer, Func<Dictionary<string, string>> server, string what, TimeSpan? within = null) =>
        await Eventually.HoldsAsync(() =>
        {
            var s = server();
            var c = CacheState(informer);
            return s.Count == c.Count && s.All(p => c.TryGetValue(p.Key, out var v) && v == p.Value);
        }, what, within ?? TimeSpan.FromSeconds(20));

    private (Informer<ConfigMap> Informer, List<InformerEvent<ConfigMap>> Events, CancellationTokenSource Stop, Task Run) Start(KubeClient client)
    {
        var informer = new Informer<ConfigMap>(client, Resources.ConfigMaps, new InformerOptions
        {
            Namespace = "default", MinWatchTimeout = Fast.MinWatchTimeout, Backoff = Fast.Backoff,
        });
        var events = new List<InformerEvent<ConfigMap>>();
        informer.AddHandler(e => { lock (events) events.Add(e); });
        var stop = new CancellationTokenSource();
        return (informer, events, stop, Task.Run(() => informer.RunAsync(stop.Token)));
    }

    [Fact]
    public async Task Survives_watch_drops_and_in_stream_410_and_synthesizes_deletes_on_relist()
    {
        for (var i = 0; i < 5; i++) Put($"cm-{i}", "1");
        using var client = SimClients.For(_sim.Host, "sim");
        var (informer, events, stop, run) = Start(client);
        await informer.WaitForSyncAsync(new CancellationTokenSource(10_000).Token);
        await Converged(informer, ServerState, "initial sync");

        Cluster.Faults.DropWatchesAfterEvents = 1;
        for (var i = 0; i < 5; i++) Put($"cm-{i}", "2");
        await Converged(informer, ServerState, "after dropped watches");
        Cluster.Faults.DropWatchesAfterEvents = null;

        // Deleted while the informer is forced to relist: it must see the deletion without a DELETED watch event.
        Cluster.DropAllWatches();
        Remove("cm-0");
        Put("cm-9", "new");
        Cluster.CompactHistory();
        Cluster.Faults.ExpireNextWatch();
        await Converged(informer, ServerState, "after 410");
        informer.Relists.ShouldBeGreaterThan(1);
        lock (events) events.ShouldContain(e => e.Type == InformerEventType.Deleted && e.New.Name == "cm-0");
        stop.Cancel();
        await run;
    }

    [Fact]
    public async Task Survives_500_503_429_bursts()
    {
        Put("burst", "0");
        using var client = SimClients.For(_sim.Host, "sim", options: new KubeClientOptions { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        var (informer, _, stop, run) = Start(client);
        await informer.WaitForSyncAsync(new CancellationTokenSource(10_000).Token);
        var rules = new[] { 500, 503, 429 }.Select(code => Cluster.Faults.FailRequests(code, rate: 0.6, retryAfterSeconds: 0)).ToList();
        Cluster.DropAllWatches();
        for (var i = 0; i < 20; i++) { Put("burst", i.ToString()); Put($"b-{i}", "x"); }
        await Task.Delay(1000);
        foreach (var r in rules) Cluster.Faults.Remove(r);
        await Converged(informer, ServerState, "after error bursts");
        stop.Cancel();
        await run;
    }

    [Fact]
    public async Task Survives_an_unreachable_api_for_60_seconds_and_sees_what_changed_meanwhile()
    {
        for (var i = 0; i < 3; i++) Put($"keep-{i}", "1");
        Put("doomed", "1");
        using var client = SimClients.For(_sim.Host, "sim", options: new KubeClientOptions { MaxRetries = 0 });
        var (informer, events, stop, run) = Start(client);
        await informer.WaitForSyncAsync(new CancellationTokenSource(10_000).Token);
        Cluster.Faults.Unreachable = true;
        await Eventually.HoldsAsync(() => informer.DisconnectedSince is not null, "informer notices the outage");
        Remove("doomed");
        Put("keep-0", "changed");
        Put("born-offline", "1");
        Cluster.CompactHistory();
        await Task.Delay(TimeSpan.FromSeconds(60));
        informer.DisconnectedSince.ShouldNotBeNull();
        Cluster.Faults.Unreachable = false;
        await Converged(informer, ServerState, "after the outage", TimeSpan.FromSeconds(30));
        informer.DisconnectedSince.ShouldBeNull();
        lock (events) events.ShouldContain(e => e.Type == InformerEventType.Deleted && e.New.Name == "doomed");
        stop.Cancel();
        await run;
    }

    [Fact]
    public async Task Resync_replays_the_cache_as_updates()
    {
        Put("resynced", "1");
        using var client = SimClients.For(_sim.Host, "sim");
        var informer = new Informer<ConfigMap>(client, Resources.ConfigMaps, new InformerOptions
        {
            Namespace = "default", ResyncPeriod = TimeSpan.FromMilliseconds(500), MinWatchTimeout = TimeSpan.FromSeconds(1),
        });
        var replays = 0;
        informer.AddHandler(e => { if (e.Type == InformerEventType.Updated && ReferenceEquals(e.Old, e.New) && e.New.Name == "resynced") Interlocked.Increment(ref replays); });
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => informer.RunAsync(stop.Token));
        await Eventually.HoldsAsync(() => Volatile.Read(ref replays) >= 1, "a resync replayed the cached object", TimeSpan.FromSeconds(20));
        stop.Cancel();
        await run;
    }

    [Fact]
    public async Task Owner_index_and_late_handlers_see_the_cache()
    {
        var def = Cluster.Registry.Find("", "v1", "configmaps")!;
        var owner = Cluster.Create(RequestContext.System, def, "default", new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "owner" } });
        Cluster.Create(RequestContext.System, def, "default", System.Text.Json.Nodes.JsonNode.Parse($$$"""{"metadata":{"name":"owned","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"{{{owner.Uid}}}"}]}}""")!.AsObject());
        using var client = SimClients.For(_sim.Host, "sim");
        var (informer, _, stop, run) = Start(client);
        await informer.WaitForSyncAsync(new CancellationTokenSource(10_000).Token);
        informer.ByOwner(owner.Uid).Single().Name.ShouldBe("owned");
        var late = new List<string>();
        informer.AddHandler(e => late.Add(e.New.Name));
        late.ShouldContain("owner");
        late.ShouldContain("owned");
        stop.Cancel();
        await run;
    }
}
