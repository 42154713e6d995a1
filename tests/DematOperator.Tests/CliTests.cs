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
        var dll = typeof(DematOperator.Dev.SimCommand).Assembly.Location;
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

public sealed class CliErrorTests
{
    private static Task<CommandResult> Run(IDictionary<string, string?> env, params string[] args) => Processes.OperatorAsync(typeof(RunCommand).Assembly, args, env);

    [Fact]
    public async Task A_kubeconfig_that_does_not_exist_is_named_as_missing_by_report_and_run()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "kubeconfig");
        var report = await Run(new Dictionary<string, string?> { ["KUBECONFIG"] = missing }, "report", "--month", "2026-05");
        report.ExitCode.ShouldNotBe(0);
        (report.Stdout + report.Stderr).ShouldContain($"kubeconfig file {missing} does not exist");
        var run = await Run(new Dictionary<string, string?> { ["KUBECONFIG"] = null }, "run", "--kubeconfig", missing, "--metrics-bind-address", "0", "--health-probe-bind-address", "0");
        run.ExitCode.ShouldBe(2);
        (run.Stdout + run.Stderr).ShouldContain($"kubeconfig file {missing} does not exist");
    }

    [Fact]
    public async Task Runtime_error_messages_are_words_not_resource_keys()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N") + ".csv");
        var sla = await Run(new Dictionary<string, string?>(), "sla", "report", "--tier", "OR", "--month", "2026-05", "--outages", missing);
        sla.ExitCode.ShouldNotBe(0);
        var text = sla.Stdout + sla.Stderr;
        text.ShouldContain(missing);
        text.ShouldNotContain("IO_FileNotFound");
        text.ShouldContain("Could not find file");
    }
}

public sealed class SlaCliTests
{
    private static async Task<CommandResult> Sla(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(RunCommand).Assembly.Location, "sla", "report" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return new CommandResult(p.ExitCode, stdout, stderr);
    }

    [Fact]
    public async Task Json_report_has_the_contract_fields_and_bad_input_exits_2_with_the_line()
    {
        var dir = Directory.CreateTempSubdirectory("sla-").FullName;
        var outages = Path.Combine(dir, "outages.csv");
        await File.WriteAllTextAsync(outages, "start,end,severity\n2026-05-12T17:30:00+02:00,2026-05-12T19:00:00+02:00,blocking\n");
        var ok = await Sla("--tier", "ARGENT", "--month", "2026-05", "--outages", outages, "--format", "json");
        ok.ShouldSucceed();
        var json = System.Text.Json.Nodes.JsonNode.Parse(ok.Stdout)!;
        ((long)json["serviceSeconds"]!).ShouldBe(170 * 3600);
        ((long)json["downtimeSeconds"]!).ShouldBe(1800);
        ((double)json["availability"]!).ShouldBe(1 - 1800.0 / (170 * 3600), 1e-12);
        ((bool)json["met"]!).ShouldBeTrue();
        ((string?)json["incidents"]![0]!["deadline"]).ShouldBe("2026-05-13T11:30:00+02:00");
        ((bool?)json["incidents"]![0]!["withinGtr"]).ShouldBe(true);
        ((double?)json["withinGtrRatio"]!["blocking"]).ShouldBe(1.0);
        var text = await Sla("--tier", "OR", "--month", "2026-05");
        text.Stdout.ShouldContain("Disponibilité :    100.000 % (objectif 99.8 %) : atteint");
        text.Stdout.ShouldContain("Heures de service : 06:00-20:00, lundi, mardi, mercredi, jeudi, vendredi, samedi, jours fériés inclus");
        text.Stdout.ShouldContain("critique    0, GTR 2 h de service, résolus dans la GTR : sans objet");
        var withOutage = await Sla("--tier", "ARGENT", "--month", "2026-05", "--outages", outages);
        withOutage.Stdout.ShouldContain("  2026-05-12T17:30:00+02:00   2026-05-12T19:00:00+02:00   critique   2026-05-13T11:30:00+02:00   oui");
        await File.WriteAllTextAsync(outages, "start,end\n2026-05-12 17:30,2026-05-12T19:00:00+02:00\n");
        var bad = await Sla("--tier", "ARGENT", "--month", "2026-05", "--outages", outages);
        bad.ExitCode.ShouldBe(2);
        bad.Stderr.ShouldContain("outages.csv:2:");
        (await Sla("--tier", "PLATINE", "--month", "2026-05")).ExitCode.ShouldBe(2);
    }

    /// <summary>The shipped operator carries no emulator: the sandbox, sim and manifests are the development tools'.</summary>
    [Fact]
    public void The_shipped_operator_references_no_emulator_code()
    {
        var operatorAssembly = typeof(RunCommand).Assembly;
        operatorAssembly.GetReferencedAssemblies().Select(a => a.Name).ShouldNotContain("DematOperator.KubeSim");
        typeof(DematOperator.Kube.Client.KubeClient).Assembly.GetReferencedAssemblies().Select(a => a.Name).ShouldNotContain("DematOperator.KubeSim");
        foreach (var project in new[] { "DematOperator", "DematOperator.Kube" })
            File.ReadAllText(Path.Combine(RepoPaths.Root, "src", project, $"{project}.csproj")).ShouldNotContain("KubeSim");
        operatorAssembly.GetManifestResourceNames().Order().ShouldBe(Directory.EnumerateFiles(Path.Combine(RepoPaths.Config, "crd", "bases"), "*.yaml")
            .Select(f => "crd/" + Path.GetFileName(f)).Order(), "validate checks against the CRDs as generated");
    }
}
