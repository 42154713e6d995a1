using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.KubeSim.Store;

namespace DematOperator.KubeSim.Controllers;

/// <summary>Plays the OpenShift router: every Route is admitted, with a host under the cluster's apps domain.</summary>
public sealed class RouteController : DelayedSimController
{
    public override string Name => "routes";

    public override Task OnChangeAsync(SimCluster cluster, StoreEvent change, CancellationToken ct)
    {
        if (change.Type == WatchEventType.Deleted || change.Object.StorageKey != "route.openshift.io/routes") return Task.CompletedTask;
        var obj = change.Object.Parse();
        if ((obj["status"] as JsonObject)?["ingress"] is JsonArray { Count: > 0 }) return Task.CompletedTask;
        Schedule(cluster, change.Object, Admit, TimeSpan.Zero);
        return Task.CompletedTask;
    }

    private static void Admit(SimCluster cluster, StoredObject o) => WriteStatus(cluster, o, (obj, status) =>
    {
        var host = (string?)(obj["spec"] as JsonObject)?["host"];
        if (string.IsNullOrEmpty(host)) host = $"{o.Name}-{o.Namespace}.apps.{cluster.Name}.sim.local";
        status["ingress"] = new JsonArray(new JsonObject
        {
            ["host"] = host, ["routerName"] = "default", ["wildcardPolicy"] = "None",
            ["routerCanonicalHostname"] = $"router-default.apps.{cluster.Name}.sim.local",
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Admitted", ["status"] = "True", ["lastTransitionTime"] = Now(cluster) }),
        });
    });
}
