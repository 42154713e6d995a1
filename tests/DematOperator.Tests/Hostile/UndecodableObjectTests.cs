using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.Store;
using DematOperator.TestSupport;

namespace DematOperator.Tests.Hostile;

/// <summary>An object stored under a looser schema (an older CRD) that our types cannot decode never stalls its kind.</summary>
public sealed class UndecodableObjectTests
{
    [Fact]
    public async Task An_undecodable_object_is_skipped_and_counted_and_the_others_are_listed_and_watched()
    {
        await using var host = await SimHost.StartAsync(new SimHostOptions { Clusters = ["sbg"] });
        var cluster = host["sbg"].Cluster;
        // The CRD as an older release shipped it: integers without bounds.
        var crd = YamlDocuments.ParseObjects(File.ReadAllText(Path.Combine(RepoPaths.Config, "crd", "bases", "ops.demat.gouv.fr_backuppolicies.yaml"))).Single();
        void Loosen(JsonNode? n)
        {
            if (n is JsonObject o) { o.Remove("maximum"); foreach (var (_, v) in o.ToList()) Loosen(v); }
            else if (n is JsonArray a) foreach (var v in a) Loosen(v);
        }
        Loosen(crd);
        cluster.Create(RequestContext.System, cluster.Registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!, null, crd);
        var metrics = new MetricsRegistry();
        using var client = new KubeClient(KubeConfigLoader.FromText(host.Kubeconfig(), "sbg"), metrics: metrics);
        await client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "p" } });
        var policies = Resources.Dynamic("ops.demat.gouv.fr", "v1alpha1", "backuppolicies", "BackupPolicy", true);
        JsonObject Spec(long keepLast) => new() { ["spec"] = new JsonObject { ["schedule"] = "0 * * * *", ["method"] = "Velero", ["target"] = new JsonObject { ["namespaces"] = new JsonArray("p") }, ["retention"] = new JsonObject { ["keepLast"] = keepLast } } };
        await client.CreateAsync(policies, new DynamicObject { Metadata = new ObjectMeta { Name = "huge", Namespace = "p" }, Fields = Spec(3_000_000_000) });
        await client.CreateAsync(policies, new DynamicObject { Metadata = new ObjectMeta { Name = "fine", Namespace = "p" }, Fields = Spec(3) });

        (await client.ListAsync(OperatorKinds.BackupPolicies, "p")).Items.Select(p => p.Name).ShouldBe(["fine"]);
        metrics.Scrape().ShouldContain("dematoperator_undecodable_objects_total{resource=\"backuppolicies.ops.demat.gouv.fr\"} 1");
        var informer = new Informer<DematOperator.Backups.BackupPolicy>(client, OperatorKinds.BackupPolicies);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None);
        await client.PatchAsync(policies, "p", "huge", PatchType.Merge, """{"metadata":{"labels":{"touched":"yes"}}}""");
        await client.CreateAsync(policies, new DynamicObject { Metadata = new ObjectMeta { Name = "later", Namespace = "p" }, Fields = Spec(5) });
        await Eventually.HoldsAsync(() => informer.Get("p", "later") is not null, "the watch goes on past the undecodable object");
        informer.Get("p", "huge").ShouldBeNull();
        await stop.CancelAsync();
        try { await run; } catch (OperationCanceledException) { }
    }
}
