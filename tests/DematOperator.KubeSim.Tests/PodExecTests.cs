using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.TestSupport;

namespace DematOperator.KubeSim.Tests;

/// <summary>
/// pods/exec over WebSocket, checked with the real kubectl (which speaks v5.channel.k8s.io since 1.30) and with
/// the operator's client: output, exit codes, runtime errors, refusals, and the simulated answers per pod.
/// </summary>
public sealed class PodExecTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private async Task<string> StatefulSetPod(KubeClient c, string ns)
    {
        await c.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        await c.CreateAsync(Resources.StatefulSets, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "mongodb", Namespace = ns },
            Fields = JsonNode.Parse("""
                {"spec":{"replicas":2,"selector":{"matchLabels":{"app":"mongodb"}},"serviceName":"mongodb",
                 "template":{"metadata":{"labels":{"app":"mongodb"}},"spec":{"containers":[{"name":"mongod","image":"mongo:7"},{"name":"exporter","image":"exporter:1"}]}}}}
                """)!.AsObject(),
        });
        await Eventually.HoldsAsync(async () => (await c.ListAsync(Resources.Dynamic("", "v1", "pods", "Pod", true), ns)).Items
            .Count(p => (string?)p.Status?["phase"] == "Running") == 2, "the StatefulSet's two pods running");
        return "mongodb-0";
    }

    [Fact]
    public async Task A_workload_has_its_pods_named_and_owned_as_the_real_controllers_do_them_and_scaling_down_removes_them()
    {
        using var c = SimClients.For(sim.Host, "sim");
        await StatefulSetPod(c, "exec-pods");
        var pods = Resources.Dynamic("", "v1", "pods", "Pod", true);
        var items = (await c.ListAsync(pods, "exec-pods", new ListRequest("app=mongodb"))).Items;
        items.Select(p => p.Name).Order().ShouldBe(["mongodb-0", "mongodb-1"]);
        items[0].Metadata.OwnerReferences!.Single().Kind.ShouldBe("StatefulSet");
        await c.PatchAsync(Resources.StatefulSets, "exec-pods", "mongodb", PatchType.Merge, """{"spec":{"replicas":1}}""");
        await Eventually.HoldsAsync(async () => (await c.ListAsync(pods, "exec-pods")).Items.Select(p => p.Name).SequenceEqual(["mongodb-0"]), "scaled down to mongodb-0");
    }

    [Fact]
    public async Task Kubectl_exec_prints_the_output_and_exits_with_the_command_s_code()
    {
        using var c = SimClients.For(sim.Host, "sim");
        var pod = await StatefulSetPod(c, "exec-kubectl");
        sim.Cluster.Exec.Answer("exec-kubectl", "mongodb-", new ExecAnswer(0, "12\n"));
        var count = await sim.Kubectl.RunAsync("-n", "exec-kubectl", "exec", pod, "-c", "mongod", "--", "mongosh", "--quiet", "--eval", "db.getCollectionNames().length");
        count.ShouldSucceed().Stdout.ShouldBe("12\n");
        var call = sim.Cluster.Exec.Calls.Last();
        (call.Namespace, call.Pod, call.Container).ShouldBe(("exec-kubectl", pod, "mongod"));
        call.Command.ShouldBe(["mongosh", "--quiet", "--eval", "db.getCollectionNames().length"], "arguments arrive as kubectl sent them");

        sim.Cluster.Exec.Answer("exec-kubectl", "mongodb-", new ExecAnswer(3, "", "boom\n"));
        var failed = await sim.Kubectl.RunAsync("-n", "exec-kubectl", "exec", pod, "--", "anything");
        failed.ExitCode.ShouldBe(3);
        failed.Stderr.ShouldContain("boom");
        failed.Stderr.ShouldContain("command terminated with exit code 3");
        (await sim.Kubectl.RunAsync("-n", "exec-kubectl", "exec", "nope-0", "--", "echo")).Stderr.ShouldContain("pods \"nope-0\" not found");
        (await sim.Kubectl.RunAsync("-n", "exec-kubectl", "exec", pod, "-c", "sidecar", "--", "echo")).Stderr.ShouldContain("container sidecar is not valid for pod mongodb-0");
    }

    [Fact]
    public async Task The_operator_client_reads_output_exit_codes_and_runtime_errors()
    {
        using var c = SimClients.For(sim.Host, "sim");
        var pod = await StatefulSetPod(c, "exec-client");
        (await c.ExecAsync("exec-client", pod, null, ["echo", "hello", "world"])).ShouldBe(new ExecResult(0, "hello world\n", ""));
        (await c.ExecAsync("exec-client", pod, "exporter", ["sh", "-c", "exit 4"])).ExitCode.ShouldBe(4);
        var missing = await c.ExecAsync("exec-client", pod, null, ["psql", "-tAc", "select 1"]);
        missing.ExitCode.ShouldBeNull();
        missing.Error!.ShouldContain("executable file not found");
        sim.Cluster.Exec.Answer(call => call.Pod == "mongodb-1", _ => new ExecAnswer(0, new string('x', 100_000)));
        (await c.ExecAsync("exec-client", "mongodb-1", null, ["dump"])).Stdout.Length.ShouldBe(ExecProtocol.MaxKept, "output is bounded");
        var notFound = await Should.ThrowAsync<KubeApiException>(() => c.ExecAsync("exec-client", "nope", null, ["echo"]));
        notFound.Code.ShouldBe(404);
    }
}
