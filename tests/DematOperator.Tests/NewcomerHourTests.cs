using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DematOperator.Cli;
using DematOperator.TestSupport;

namespace DematOperator.Tests;

/// <summary>
/// The first hour of an ops engineer, as a test: the sandbox started as the README says, then the commands it prints and
/// the docs show, run as printed (through bash, with the printed KUBECONFIG), each outcome asserted. The sandbox's
/// operators run as config/rbac's ServiceAccount under the emulator's RBAC, as deployed.
/// </summary>
public sealed class NewcomerHourTests
{
    /// <summary>The printed line that starts with <paramref name="start"/> (trimmed), for running it verbatim.</summary>
    private static string Printed(string text, string start) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(start, StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"the sandbox printed no line starting with {start}:\n{text}");

    private static async Task<CommandResult> Bash(string kubeconfig, string script) =>
        await Processes.RunAsync("bash", ["-euo", "pipefail", "-c", script], new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig }, TimeSpan.FromSeconds(60));

    [Theory]
    [InlineData("velero")]
    [InlineData("kasten")]
    public async Task The_printed_and_documented_commands_work_and_say_what_happened(string engine)
    {
        var dir = Directory.CreateTempSubdirectory($"newcomer-{engine}-").FullName;
        var (sandbox, text) = await SandboxTests.StartAsync(dir, "--backup-engine", engine);
        try
        {
            var kubeconfig = Regex.Match(text, @"export KUBECONFIG=(\S+)").Groups[1].Value;
            var kubectl = new Kubectl(kubeconfig);
            async Task<string> Get(params string[] args) => (await kubectl.RunAsync(args)).ShouldSucceed().Stdout;
            var policy = engine == "kasten" ? "platau-kasten" : "platau-velero";

            // Backup now, as printed.
            (await Bash(kubeconfig, Printed(text, $"kubectl --context sbg annotate bp {policy}"))).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "bp", policy, "-n", "platau-prod", "-o", "jsonpath={.status.lastRun.phase}")) == "Succeeded",
                "the backup asked for succeeded", TimeSpan.FromSeconds(60));

            // Re-applying the samples as printed (the sandbox's adapted copy, server-side) conflicts with nothing and keeps its probes local.
            var reapply = await Bash(kubeconfig, Printed(text, "kubectl --context sbg apply --server-side -k"));
            reapply.ExitCode.ShouldBe(0, reapply.Output);
            reapply.Stdout.ShouldContain("servicelevel.ops.demat.gouv.fr/platau-production serverside-applied");
            (await Get("--context", "sbg", "get", "sl", "platau-production", "-n", "platau-prod", "-o", "jsonpath={.spec.probes[0].http.url}")).ShouldStartWith("http://127.0.0.1:");

            // The dry run then the real restore, as printed: each request reaches a phase, with Ready and its reason in the columns.
            var restoreLines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("config/samples/restorerequest-", StringComparison.Ordinal)).ToList();
            restoreLines.Count.ShouldBe(2);
            (await Bash(kubeconfig, restoreLines[0])).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "rr", "platau-look-before-restore", "-n", "platau-prod", "-o", "jsonpath={.status.phase}")) == "Planned",
                "the dry run planned", TimeSpan.FromSeconds(30));
            (await Bash(kubeconfig, restoreLines[1])).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "rr", "platau-restore-scratch", "-n", "platau-prod", "-o", "jsonpath={.status.phase}")) is "Succeeded" or "Failed",
                "the restore ended", TimeSpan.FromSeconds(60));
            var restored = JsonNode.Parse(await Get("--context", "sbg", "get", "rr", "platau-restore-scratch", "-n", "platau-prod", "-o", "json"))!["status"]!;
            ((string?)restored["phase"]).ShouldBe("Succeeded", restored.ToJsonString());
            var table = await Get("--context", "sbg", "get", "rr", "-n", "platau-prod");
            table.ShouldContain("REASON");
            Regex.IsMatch(table, @"platau-look-before-restore\s+\S+\s+Planned\s+.*\s+True\s+Planned").ShouldBeTrue(table);
            Regex.IsMatch(table, @"platau-restore-scratch\s+\S+\s+Succeeded\s+.*\s+True\s+Restored").ShouldBeTrue(table);
            (await Get("--context", "sbg", "get", "deploy", "-n", "platau-restore-scratch", "-o", "name")).ShouldContain("platau-api");

            // In place, as docs/restorerequest.md shows: refused without existingResourcePolicy, done with update.
            foreach (var (name, update) in new[] { ("in-place-refused", false), ("in-place-update", true) })
            {
                var yaml = string.Join("\n", "apiVersion: ops.demat.gouv.fr/v1alpha1", "kind: RestoreRequest", "metadata:", $"  name: {name}", "  namespace: platau-prod",
                    "spec:", $"  backupPolicy: {policy}", update ? "  existingResourcePolicy: update" : "");
                (await Bash(kubeconfig, $"kubectl --context sbg apply -f - <<'YAML'\n{yaml}\nYAML")).ShouldSucceed();
            }
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "rr", "in-place-refused", "in-place-update", "-n", "platau-prod", "-o", "jsonpath={.items[*].status.phase}"))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, _] phases && phases.All(p => p is "Succeeded" or "Failed"), "both in-place requests ended", TimeSpan.FromSeconds(60));
            (await Get("--context", "sbg", "get", "rr", "in-place-refused", "-n", "platau-prod", "-o", "jsonpath={.status.failureReason}")).ShouldBe("WouldOverwrite");
            (await Get("--context", "sbg", "get", "rr", "in-place-update", "-n", "platau-prod", "-o", "jsonpath={.status.phase}")).ShouldBe("Succeeded");

            // Declare an Incident from a ticket as docs/incidents.md does, a duplicate of it, and a later outage: the
            // duplicate is refused and never changes whether the later one counts.
            var created = DateTimeOffset.Parse(await Get("--context", "sbg", "get", "sl", "platau-production", "-n", "platau-prod", "-o", "jsonpath={.metadata.creationTimestamp}"),
                System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();
            static string At(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            string Incident(string name, DateTimeOffset start, DateTimeOffset? end) => string.Join("\n",
                "apiVersion: ops.demat.gouv.fr/v1alpha1", "kind: Incident", "metadata:", $"  name: {name}", "  namespace: platau-prod", "spec:",
                "  serviceLevelRef:", "    name: platau-production", "  severity: Blocking", $"  startTime: \"{At(start)}\"",
                end is { } e ? $"  resolvedTime: \"{At(e)}\"" : "", $"  ticket: INC-{name}");
            foreach (var (name, yaml) in new[]
                     {
                         ("declared", Incident("declared", created.AddHours(-3), created.AddHours(-2.5))),
                         ("duplicate", Incident("duplicate", created.AddHours(-2.75), null)),
                         ("later", Incident("later", created.AddHours(-1.5), created.AddHours(-1))),
                     })
            {
                (await Bash(kubeconfig, $"kubectl --context sbg apply -f - <<'YAML'\n{yaml}\nYAML")).ShouldSucceed();
                await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "inc", name, "-n", "platau-prod", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}")).Length > 0,
                    $"{name} judged", TimeSpan.FromSeconds(30));
            }
            var incidents = await Get("--context", "sbg", "get", "inc", "-n", "platau-prod");
            incidents.ShouldContain("COUNTED");
            Regex.IsMatch(incidents, @"declared\s.*\strue\s+Counted\s").ShouldBeTrue(incidents);
            Regex.IsMatch(incidents, @"duplicate\s.*\sfalse\s+Overlapping\s").ShouldBeTrue(incidents);
            Regex.IsMatch(incidents, @"later\s.*\strue\s+Counted\s").ShouldBeTrue(incidents);
            // Corrected from the ticket: the duplicate closed; it is still refused (it overlaps the declared one), and the others still count.
            (await kubectl.RunAsync("--context", "sbg", "patch", "inc", "duplicate", "-n", "platau-prod", "--type", "merge", "-p", $"{{\"spec\":{{\"resolvedTime\":\"{At(created.AddHours(-2.6))}\"}}}}")).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "inc", "duplicate", "-n", "platau-prod", "-o", "jsonpath={.status.observedGeneration}")) == "2",
                "the correction judged", TimeSpan.FromSeconds(30));
            incidents = await Get("--context", "sbg", "get", "inc", "-n", "platau-prod");
            Regex.IsMatch(incidents, @"duplicate\s.*\sfalse\s+Overlapping\s").ShouldBeTrue(incidents);
            Regex.IsMatch(incidents, @"later\s.*\strue\s+Counted\s").ShouldBeTrue(incidents);

            // The ServiceLevel's columns never contradict its condition.
            var sl = JsonNode.Parse(await Get("--context", "sbg", "get", "sl", "platau-production", "-n", "platau-prod", "-o", "json"))!["status"]!;
            var verdict = (string)sl["currentMonth"]!["verdict"]!;
            var objectiveMet = sl["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "ObjectiveMet")!;
            ((string?)objectiveMet["status"]).ShouldBe(verdict switch { "atteint" => "True", "non atteint" => "False", _ => "Unknown" });
            ((string)objectiveMet["message"]!).ShouldContain($"availability {(string?)sl["currentMonth"]!["availabilityPercent"]}");
            (await Get("--context", "sbg", "get", "sl", "-n", "platau-prod")).ShouldContain(verdict);

            // Rehearse, then report without --context: every context is read, and rbx's drill is found.
            (await Bash(kubeconfig, Printed(text, "kubectl --context rbx annotate pradrill pra-yearly"))).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "jsonpath={.status.lastResult}")) == "Succeeded",
                "the drill succeeded", TimeSpan.FromSeconds(90));
            var month = (await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "jsonpath={.status.lastSuccessfulTime}"))[..7];
            var env = new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig };
            var json = await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["report", "--month", month, "--format", "json"], env);
            json.ExitCode.ShouldBe(0, json.Stderr);
            json.Stderr.ShouldContain("report: read sbg, rbx");
            var report = JsonNode.Parse(json.Stdout)!;
            ((string?)report["pra"]!["lastSuccessDrill"]).ShouldNotBeNull("the drill that succeeded on rbx");
            var md = await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["report", "--month", month], env);
            md.Stdout.ShouldContain("Clusters lus : sbg, rbx.");
            md.Stdout.ShouldNotContain("échéance dépassée");
            var outDir = Path.Combine(dir, "report");
            foreach (var format in new[] { "csv", "html" })
                (await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["report", "--month", month, "--format", format, "--out", outDir], env)).ShouldSucceed();
            File.ReadAllText(Path.Combine(outDir, "clusters.csv")).ShouldBe("cluster,read,error\nsbg,true,\nrbx,true,\n");
            File.ReadAllText(Path.Combine(outDir, "report.html")).ShouldContain("Clusters lus : sbg, rbx.");

            // validate, as docs/validate.md shows: the samples pass, a broken file is refused with its line.
            (await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["validate", "-f", Path.Combine(RepoPaths.Config, "samples")])).ShouldSucceed();
            var broken = await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["validate", "-f", Path.Combine(RepoPaths.Root, "tests", "DematOperator.Tests", "Validation", "broken", "inc-times.yaml")]);
            broken.ExitCode.ShouldBe(1);
            broken.Stderr.ShouldContain("inc-times.yaml:9: spec.severity");

            // Under config/rbac: nothing forbidden, nothing shown as failing.
            using var http = new HttpClient();
            var metrics = string.Join("\n", await Task.WhenAll(Regex.Matches(text, @"http://127\.0\.0\.1:\d+/metrics").Select(m => http.GetStringAsync(m.Value))));
            metrics.ShouldNotContain("code=\"403\"");
            foreach (var context in new[] { "sbg", "rbx" })
                (await Get("--context", context, "get", "demat", "-A", "-o", "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].reason} {end}"))
                    .Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldNotContain(r => r == "Forbidden" || r == "ReconcileError");
        }
        finally
        {
            sandbox.Kill(entireProcessTree: true);
            await sandbox.WaitForExitAsync();
            sandbox.Dispose();
        }
    }
}
