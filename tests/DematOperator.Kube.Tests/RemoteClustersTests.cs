using System.Text;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.KubeSim.Hosting;
using DematOperator.TestSupport;

namespace DematOperator.Kube.Tests;

public sealed class TwoSites() : SimFixture(new SimHostOptions { Clusters = ["rbx", "sbg"] });

public sealed class RemoteClustersTests(TwoSites sim) : IClassFixture<TwoSites>
{
    [Fact]
    public async Task A_kubeconfig_secret_gives_a_client_for_the_other_cluster_and_bad_ones_say_why()
    {
        using var rbx = SimClients.For(sim.Host, "rbx");
        using var sbg = SimClients.For(sim.Host, "sbg");
        await sbg.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "only-on-sbg", Namespace = "default" } });
        var kubeconfig = sim.Host.Kubeconfig([("sbg", sim.Host["sbg"].Cluster.Auth.AdminToken)]);
        await rbx.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "sbg-kubeconfig", Namespace = "default" }, Data = new() { ["kubeconfig"] = Encoding.UTF8.GetBytes(kubeconfig) } });
        await rbx.CreateAsync(Resources.Secrets, new Secret { Metadata = new ObjectMeta { Name = "garbage", Namespace = "default" }, Data = new() { ["kubeconfig"] = Encoding.UTF8.GetBytes("token: s3cr3t\n  bad: [indent") } });
        using var remotes = new RemoteClusters(rbx);
        var remote = await remotes.ForSecretAsync("default", "sbg-kubeconfig");
        (await remote.GetAsync(Resources.ConfigMaps, "default", "only-on-sbg")).Name.ShouldBe("only-on-sbg");
        (await remotes.ForSecretAsync("default", "sbg-kubeconfig")).ShouldBeSameAs(remote);
        (await Should.ThrowAsync<RemoteClusterException>(() => remotes.ForSecretAsync("default", "missing"))).Message.ShouldContain("does not exist");
        (await Should.ThrowAsync<RemoteClusterException>(() => remotes.ForSecretAsync("default", "sbg-kubeconfig", key: "other"))).Message.ShouldContain("no key \"other\"");
        var garbage = await Should.ThrowAsync<RemoteClusterException>(() => remotes.ForSecretAsync("default", "garbage"));
        garbage.Message.ShouldContain("is not a usable kubeconfig");
        garbage.Message.ShouldNotContain("s3cr3t");
    }

    [Fact]
    public async Task A_create_answered_500_is_not_retried_but_a_429_is()
    {
        var cluster = sim.Host["rbx"].Cluster;
        using var c = SimClients.For(sim.Host, "rbx");
        cluster.Faults.FailRequests(500, verb: "create", resource: "configmaps", count: 1);
        await Should.ThrowAsync<KubeApiException>(() => c.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "once", Namespace = "default" } }));
        cluster.Requests.Reset();
        cluster.Faults.FailRequests(429, verb: "create", resource: "configmaps", count: 1, retryAfterSeconds: 0);
        await c.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "retried", Namespace = "default" } });
        cluster.Requests.Count(k => k == "create configmaps").ShouldBe(2);
        cluster.Faults.FailRequests(503, verb: "get", resource: "configmaps", count: 2);
        (await c.GetAsync(Resources.ConfigMaps, "default", "retried")).Name.ShouldBe("retried");
    }

    [Fact]
    public async Task Latency_and_time_cut_watches_are_injected()
    {
        var cluster = sim.Host["sbg"].Cluster;
        using var c = SimClients.For(sim.Host, "sbg");
        cluster.Faults.Latency = TimeSpan.FromMilliseconds(300);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await c.ListAsync(Resources.ConfigMaps, "default");
        started.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(280));
        cluster.Faults.Latency = TimeSpan.Zero;
        cluster.Faults.DropWatchesAfter = TimeSpan.FromMilliseconds(500);
        started.Restart();
        await foreach (var _ in c.WatchAsync(Resources.ConfigMaps, "default", new WatchRequest(cluster.CurrentResourceVersion.ToString(), TimeoutSeconds: 60, AllowBookmarks: false))) { }
        started.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        cluster.Faults.DropWatchesAfter = null;
    }

    [Fact]
    public void Generation_predicate_drops_status_only_updates_but_keeps_spec_deletion_annotation_and_resync()
    {
        static ConfigMap Obj(long gen, string? annotation = null, bool deleting = false) => new()
        {
            Metadata = new ObjectMeta
            {
                Name = "x", Generation = gen, Annotations = annotation is null ? null : new() { ["ops.demat.gouv.fr/run-now"] = annotation },
                DeletionTimestamp = deleting ? DateTimeOffset.UnixEpoch : null,
            },
        };
        bool Passes(ConfigMap old, ConfigMap @new) => Predicates.GenerationOrAnnotationsChanged(new InformerEvent<ConfigMap>(InformerEventType.Updated, old, @new));
        Passes(Obj(1), Obj(1)).ShouldBeFalse();
        Passes(Obj(1), Obj(2)).ShouldBeTrue();
        Passes(Obj(1), Obj(1, "now")).ShouldBeTrue();
        Passes(Obj(1), Obj(1, deleting: true)).ShouldBeTrue();
        var same = Obj(1);
        Passes(same, same).ShouldBeTrue();
        Predicates.GenerationOrAnnotationsChanged(new InformerEvent<ConfigMap>(InformerEventType.Added, null, Obj(1))).ShouldBeTrue();
    }
}
