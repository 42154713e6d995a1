using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.KubeSim.Hosting;
using DematOperator.TestSupport;

namespace DematOperator.KubeSim.Tests;

/// <summary>Watch streams: replay from a resourceVersion, initial ADDED events, bookmarks, 410, timeouts, initial-events-end.</summary>
public sealed class WatchTests : IAsyncLifetime
{
    private readonly Fixture _sim = new();
    private sealed class Fixture() : SimFixture(new SimHostOptions { Clusters = ["sim"], Configure = o => o.BookmarkInterval = TimeSpan.FromMilliseconds(300) });

    public Task InitializeAsync() => _sim.InitializeAsync();
    public Task DisposeAsync() => _sim.DisposeAsync();

    private static readonly ResourceType<DynamicObject> ConfigMaps = Resources.Dynamic("", "v1", "configmaps", "ConfigMap", true);

    private static async Task<List<WatchEvent<DynamicObject>>> Collect(KubeClient c, WatchRequest request, int count, string ns = "default", TimeSpan? within = null)
    {
        var events = new List<WatchEvent<DynamicObject>>();
        using var cts = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(10));
        try
        {
            await foreach (var e in c.WatchAsync(ConfigMaps, ns, request, cts.Token))
            {
                events.Add(e);
                if (events.Count >= count) break;
            }
        }
        catch (OperationCanceledException) { }
        return events;
    }

    private static DynamicObject Cm(string name, string? label = null) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "default", Labels = label is null ? null : new() { ["app"] = label } },
    };

    [Fact]
    public async Task Watch_from_a_resource_version_replays_what_happened_since_in_order()
    {
        using var c = SimClients.For(_sim.Host, "sim");
        var a = await c.CreateAsync(ConfigMaps, Cm("w-a"));
        await c.CreateAsync(ConfigMaps, Cm("w-b"));
        await c.PatchAsync(ConfigMaps, "default", "w-a", PatchType.Merge, "{\"data\":{\"x\":\"1\"}}");
        await c.DeleteAsync(ConfigMaps, "default", "w-b");
        var events = await Collect(c, new WatchRequest(a.Metadata.ResourceVersion, AllowBookmarks: false), 3);
        events.Select(e => $"{e.Type} {e.Object!.Name}").ShouldBe(["ADDED w-b", "MODIFIED w-a", "DELETED w-b"]);
        events.Select(e => long.Parse(e.Object!.Metadata.ResourceVersion!)).ShouldBeInOrder();
    }

    [Fact]
    public async Task Watch_without_resource_version_starts_with_added_events_for_existing_objects()
    {
        using var c = SimClients.For(_sim.Host, "sim");
        await c.CreateAsync(ConfigMaps, Cm("init-1", "init"));
        await c.CreateAsync(ConfigMaps, Cm("init-2", "init"));
        foreach (var rv in new[] { "", "0" })
        {
            var events = await Collect(c, new WatchRequest(rv, LabelSelector: "app=init", AllowBookmarks: false), 2);
            events.Select(e => $"{e.Type} {e.Object!.Name}").Order().ShouldBe(["ADDED init-1", "ADDED init-2"]);
        }
    }

    [Fact]
    public async Task Label_selector_watch_sees_objects_leave_and_enter_its_view()
    {
        using var c = SimClients.For(_sim.Host, "sim");
        var start = await c.CreateAsync(ConfigMaps, Cm("moving", "blue"));
        await c.PatchAsync(ConfigMaps, "default", "moving", PatchType.Merge, "{\"metadata\":{\"labels\":{\"app\":\"green\"}}}");
        await c.PatchAsync(ConfigMaps, "default", "moving", PatchType.Merge, "{\"metadata\":{\"labels\":{\"app\":\"blue\"}}}");
        var events = await Collect(c, new WatchRequest(start.Metadata.ResourceVersion, LabelSelector: "app=blue", AllowBookmarks: false), 2);
        events.Select(e => e.Type).ShouldBe(["DELETED", "ADDED"]);
    }

    [Fact]
    public async Task Bookmarks_carry_the_current_resource_version()
    {
        using var c = SimClients.For(_sim.Host, "sim");
        var created = await c.CreateAsync(ConfigMaps, Cm("bm"));
        var events = await Collect(c, new WatchRequest(created.Metadata.ResourceVersion, AllowBookmarks: true), 1);
        events.Single().Type.ShouldBe("BOOKMARK");
        long.Parse(events[0].Object!.Metadata.ResourceVersion!).ShouldBeGreaterThanOrEqualTo(long.Parse(created.Metadata.ResourceVersion!));
    }

    [Fact]
    public async Task Too_old_resource_version_is_an_in_stream_410_expired()
    {
        using var c = SimClients.For(_sim.Host, "sim");
        var old = await c.CreateAsync(ConfigMaps, Cm("old"));
        await c.CreateAsync(ConfigMaps, Cm("newer"));
        _sim.Cluster.CompactHistory();
        var e = await Should.ThrowAsync<KubeApiException>(() => Collect(c, new WatchRequest(old.Metadata.ResourceVersion, AllowBookmarks: false), 1));
        e.Code.ShouldBe(410);
        e.Status.Reason.ShouldBe("Expired");
        e.Status.Message.ShouldStartWith($"too old resource version: {old.Metadata.ResourceVersion} (");
    }

    [Fact]
    public async Task Timeout_seconds_ends_the_stream()
    {
        using var c = SimClients.For(_sim.Host, "sim");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var rv = _sim.Cluster.CurrentResourceVersion.ToString();
        var events = await Collect(c, new WatchRequest(rv, TimeoutSeconds: 1, AllowBookmarks: false), 100, within: TimeSpan.FromSeconds(10));
        events.ShouldBeEmpty();
        started.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Send_initial_events_ends_with_the_initial_events_end_bookmark_or_is_refused_without_bookmarks()
    {
        await using var c = new RawClient(_sim);
        await c.Client.CreateAsync(ConfigMaps, Cm("si-1", "si"));
        var lines = await c.WatchLines("/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Dsi&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true", 2);
        ((string?)lines[0]["type"]).ShouldBe("ADDED");
        ((string?)lines[1]["type"]).ShouldBe("BOOKMARK");
        ((string?)lines[1]["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]).ShouldBe("true");
        var refused = await c.Http.GetAsync($"{c.Base}/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true");
        ((int)refused.StatusCode).ShouldBe(422);
    }

    private sealed class RawClient : IAsyncDisposable
    {
        public RawClient(SimFixture sim)
        {
            Client = SimClients.For(sim.Host, "sim");
            Base = sim.Host.Servers[0].Url;
            Http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
            Http.DefaultRequestHeaders.Authorization = new("Bearer", sim.Cluster.Auth.AdminToken);
        }

        public KubeClient Client { get; }
        public HttpClient Http { get; }
        public string Base { get; }

        public async Task<List<JsonObject>> WatchLines(string path, int count)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var response = await Http.GetAsync(Base + path, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            var result = new List<JsonObject>();
            while (result.Count < count && await reader.ReadLineAsync(cts.Token) is { } line)
                if (line.Length > 0) result.Add(JsonNode.Parse(line)!.AsObject());
            return result;
        }

        public ValueTask DisposeAsync()
        {
            Client.Dispose();
            Http.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
