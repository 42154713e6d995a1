using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;

namespace DematOperator.TestSupport;

/// <summary>Objects and clock moves several test classes need, written once.</summary>
public static class TestObjects
{
    /// <summary>A Deployment or StatefulSet with one container, selected by `app: name`.</summary>
    public static Task Workload(KubeClient c, ResourceType<DynamicObject> type, string ns, string name, int replicas) => c.CreateAsync(type, new DynamicObject
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Fields = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                    ["spec"] = JsonNode.Parse($$"""{"containers":[{"name":"c","image":"registry.example/{{name}}"}]}"""),
                },
            },
        },
    });

    /// <summary>
    /// Moves the shared manual clock forward in steps until the condition holds (timers and simulated controllers fire
    /// on the way), failing with <paramref name="what"/> once <paramref name="max"/> of simulated time has passed.
    /// </summary>
    public static async Task AdvanceUntil(KubeSim.Hosting.ManualTimeProvider clock, Func<Task<bool>> condition, string what, TimeSpan step, TimeSpan max)
    {
        var moved = TimeSpan.Zero;
        while (!await condition())
        {
            if (moved > max) throw new Xunit.Sdk.XunitException($"not reached after advancing {moved}: {what}");
            clock.Advance(step);
            moved += step;
            await Task.Delay(40);
        }
    }
}
