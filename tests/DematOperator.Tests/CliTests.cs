using System.Diagnostics;
using DematOperator.Cli;
using DematOperator.TestSupport;

namespace DematOperator.Tests;

public sealed class CliTests
{
    [Theory]
    [InlineData(":8080", "0.0.0.0", 8080)]
    [InlineData("127.0.0.1:9090", "127.0.0.1", 9090)]
    [InlineData("[::1]:8081", "::1", 8081)]
    public void Bind_addresses_follow_controller_runtime(string text, string address, int port)
    {
        var ep = RunCommand.ParseAddress(text)!;
        ep.Address.ToString().ShouldBe(address);
        ep.Port.ShouldBe(port);
        RunCommand.ParseAddress("0").ShouldBeNull();
    }

    [Fact]
    public async Task Sim_verb_serves_two_clusters_prints_ready_and_writes_a_kubeconfig_kubectl_uses()
    {
        var dir = Directory.CreateTempSubdirectory("sim-verb-").FullName;
        var kubeconfig = Path.Combine(dir, "kc");
        var dll = typeof(RunCommand).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "sim", "--kubeconfig-out", kubeconfig, "--clusters", "sbg,rbx" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        try
        {
            var readLine = p.StandardOutput.ReadLineAsync();
            (await readLine.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe("ready");
            var kubectl = new Kubectl(kubeconfig);
            (await kubectl.RunAsync("config", "get-contexts", "-o", "name")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["rbx", "sbg"], ignoreOrder: true);
            (await kubectl.RunAsync("config", "current-context")).Stdout.Trim().ShouldBe("sbg");
            (await kubectl.RunAsync("--context", "rbx", "get", "ns", "default", "-o", "name")).ShouldSucceed().Stdout.Trim().ShouldBe("namespace/default");
            File.ReadAllText(kubeconfig).ShouldContain("certificate-authority-data:");
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }
}
