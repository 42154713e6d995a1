using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DematOperator.Cli;
using DematOperator.TestSupport;

namespace DematOperator.Tests;

/// <summary>
/// The first ten minutes of a newcomer, automated: start the sandbox as the README says, wait for its ready
/// line, and look with the real kubectl through the kubeconfig it printed. The same run is then searched for
/// any secret that leaked into logs, Events, statuses or metrics.
/// </summary>
public sealed class SandboxTests
{
    /// <summary>Tuesday 2 June 2026, 10:35 in Paris.</summary>
    internal static readonly DateTimeOffset ClockStart = TestClock.Start.AddMinutes(35);

    /// <summary>Starts `sandbox` (of the development tools, DematOperator.Dev) as the README says and reads what it prints up to its `ready` line.</summary>
    internal static async Task<(Process Sandbox, string Printed)> StartAsync(string dir, params string[] options)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        // --port-base 0: ports chosen by the system, so the sandboxes of parallel tests never race for 8080-8091.
        // --clock-start: the samples' schedules (every 2 h at :15, every 4 h at :00, every 3 h at :30 from 01:30, Paris) have
        // no slot within 85 minutes of 10:35 Paris, so the only runs are the ones a test asks for and its counts are exact.
        var start = ClockStart.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var a in new[] { typeof(DematOperator.Dev.SandboxCommand).Assembly.Location, "sandbox", "--dir", dir, "--port-base", "0", "--clock-start", start }.Concat(options))
            psi.ArgumentList.Add(a);
        var sandbox = Process.Start(psi)!;
        var printed = new StringBuilder();
        try
        {
            while (true)
            {
                var line = await sandbox.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? throw new Xunit.Sdk.XunitException($"sandbox exited: {printed}{await sandbox.StandardError.ReadToEndAsync()}");
                printed.AppendLine(line);
                if (line.Trim() == "ready") return (sandbox, printed.ToString());
            }
        }
        catch
        {
            sandbox.Kill(entireProcessTree: true);
            sandbox.Dispose();
            throw;
        }
    }

    [Fact]
    public async Task The_sandbox_with_kasten_backs_up_through_K10_and_rehearses_the_pra_from_an_imported_export()
    {
        var dir = Directory.CreateTempSubdirectory("sandbox-kasten-").FullName;
        var (sandbox, text) = await StartAsync(dir, "--backup-engine", "kasten");
        try
        {
            text.ShouldContain("Backup engine: Kasten K10");
            text.ShouldContain("annotate bp platau-kasten");
            var kubeconfig = Regex.Match(text, @"export KUBECONFIG=(\S+)").Groups[1].Value;
            var kubectl = new Kubectl(kubeconfig);
            async Task<string> Get(params string[] args) => (await kubectl.RunAsync(args)).ShouldSucceed().Stdout;
            (await Get("--context", "sbg", "get", "bp", "-n", "platau-prod", "-o", "name")).ShouldNotContain("platau-velero", Case.Sensitive, "one cross-site backup: the engine's");

            // A run on demand: one RunAction of the K10 Policy, and the RPO met from its RestorePoint.
            (await kubectl.RunAsync("--context", "sbg", "annotate", "bp", "platau-kasten", "-n", "platau-prod", "ops.demat.gouv.fr/run-now=first-look", "--overwrite")).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "bp", "platau-kasten", "-n", "platau-prod", "-o", "jsonpath={.status.conditions[?(@.type==\"RecoveryPointObjectiveMet\")].status}")) == "True",
                "a K10 backup completed", TimeSpan.FromSeconds(30));
            // No scheduled slot falls while the test runs (ClockStart): the policy's only RunAction is the one asked for.
            var runActions = (await Get("--context", "sbg", "get", "runactions.actions.kio.kasten.io", "-n", "kasten-io", "-l", "ops.demat.gouv.fr/backup-policy=platau-kasten", "-o", "name"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            runActions.ShouldHaveSingleItem().ShouldStartWith("runaction.actions.kio.kasten.io/platau-kasten-now-");
            (await Get("--context", "sbg", "get", "restorepoints.apps.kio.kasten.io", "-n", "platau-prod", "-L", "k10.kasten.io/exportProfile")).ShouldContain("ovh-s3-shared");

            // The rehearsal on rbx restores the export rbx's K10 imported, then rolls back.
            await Eventually.HoldsAsync(async () => (await Get("--context", "rbx", "get", "restorepointcontents.apps.kio.kasten.io", "-o", "name")).Length > 0, "the export imported on rbx", TimeSpan.FromSeconds(30));
            var before = await Get("--context", "rbx", "get", "deploy,sts", "-A", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.replicas} {end}");
            (await kubectl.RunAsync("--context", "rbx", "annotate", "pradrill", "pra-yearly", "-n", "dematoperator-system", "ops.demat.gouv.fr/run-now=first-look", "--overwrite")).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "jsonpath={.status.lastResult}")).Length > 0,
                "the drill finished", TimeSpan.FromSeconds(90));
            var drill = JsonNode.Parse(await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "json"))!;
            ((string?)drill["status"]!["lastResult"]).ShouldBe("Succeeded", drill["status"]!["history"]?.ToJsonString());
            (await Get("--context", "rbx", "get", "deploy,sts", "-A", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.replicas} {end}")).ShouldBe(before, "test environments given back exactly");
            (await kubectl.RunAsync("--context", "rbx", "get", "ns", "platau-prod")).ExitCode.ShouldNotBe(0, "the restored namespace was rolled back");
            var report = (string)drill["status"]!["history"]![0]!["report"]!;
            var json = JsonNode.Parse(await Get("--context", "rbx", "get", "cm", report, "-n", "dematoperator-system", "-o", "jsonpath={.data.report\\.json}"))!;
            ((string?)json["backup"]!["engine"]).ShouldBe("Kasten");
            ((string?)json["backup"]!["points"]![0]!["namespace"]).ShouldBe("platau-prod");
            var rbxWrites = Regex.Matches(await File.ReadAllTextAsync(Path.Combine(dir, "operator-rbx.log")), @"verb=(create|update|patch|delete) resource=(\S+)")
                .Select(m => (Verb: m.Groups[1].Value, Resource: m.Groups[2].Value)).ToList();
            rbxWrites.ShouldContain(w => w.Resource == "restoreactions.actions.kio.kasten.io");
            string[] forbidden = ["runactions.actions.kio.kasten.io", "backupactions.actions.kio.kasten.io", "exportactions.actions.kio.kasten.io", "restorepointcontents.apps.kio.kasten.io",
                "policies.config.kio.kasten.io", "backuppolicies.ops.demat.gouv.fr", "servicelevels.ops.demat.gouv.fr", "certificaterenewals.ops.demat.gouv.fr", "secrets"];
            rbxWrites.Where(w => forbidden.Contains(w.Resource)).ShouldBeEmpty("a rehearsal never acts on production's backups");

            // The monthly report counts the Kasten run from its RestorePoints.
            var month = (await Get("--context", "sbg", "get", "bp", "platau-kasten", "-n", "platau-prod", "-o", "jsonpath={.status.recoveryPoint}"))[..7];
            var reportRun = await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["report", "--kubeconfig", kubeconfig, "--context", "sbg", "--month", month, "--format", "json"]);
            var row = JsonNode.Parse(reportRun.ShouldSucceed().Stdout)!["backups"]!.AsArray().Single(b => (string?)b!["policy"] == "platau-kasten")!;
            month.ShouldBe("2026-06");
            (await Get("--context", "sbg", "get", "runactions.actions.kio.kasten.io", "-n", "kasten-io", "-l", "ops.demat.gouv.fr/backup-policy=platau-kasten", "-o", "jsonpath={.items[*].status.state}"))
                .ShouldBe("Complete");
            ((int?)row["succeeded"]).ShouldBe(1, "the one run asked for, completed");
            ((int?)row["failed"]).ShouldBe(0);
            // Under config/rbac's ServiceAccount: nothing forbidden.
            using var http = new HttpClient();
            var metrics = string.Join("\n", await Task.WhenAll(Regex.Matches(text, @"http://127\.0\.0\.1:\d+/metrics").Select(m => http.GetStringAsync(m.Value))));
            metrics.ShouldNotContain("code=\"403\"");
        }
        finally
        {
            sandbox.Kill(entireProcessTree: true);
            await sandbox.WaitForExitAsync();
            sandbox.Dispose();
        }
    }

    [Fact]
    public async Task The_sandbox_backs_up_measures_watches_certificates_and_rehearses_the_pra_without_leaking_secrets()
    {
        var dir = Directory.CreateTempSubdirectory("sandbox-").FullName;
        var (sandbox, text) = await StartAsync(dir);
        try
        {
            var kubeconfig = Regex.Match(text, @"export KUBECONFIG=(\S+)").Groups[1].Value;
            kubeconfig.ShouldBe(Path.Combine(dir, "kubeconfig"));
            var metricsUrls = Regex.Matches(text, @"http://127\.0\.0\.1:\d+/metrics").Select(m => m.Value).ToList();
            metricsUrls.Count.ShouldBe(2);
            text.ShouldContain("get bp,sl,pradrill,certrenewal -A");
            var kubectl = new Kubectl(kubeconfig);
            async Task<string> Get(params string[] args) => (await kubectl.RunAsync(args)).ShouldSucceed().Stdout;

            // Backups: a run started on demand, as the printed commands say.
            (await kubectl.RunAsync("--context", "sbg", "annotate", "bp", "platau-velero", "-n", "platau-prod", "ops.demat.gouv.fr/run-now=first-look", "--overwrite")).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "bp", "platau-velero", "-n", "platau-prod", "-o", "jsonpath={.status.conditions[?(@.type==\"RecoveryPointObjectiveMet\")].status}")) == "True",
                "a Velero backup completed", TimeSpan.FromSeconds(30));
            (await Get("--context", "sbg", "get", "backups.velero.io", "-n", "openshift-adp", "-o", "name")).ShouldContain("backup.velero.io/platau-velero-now-");

            // The MongoDB sample freezes a secondary around its snapshots: its recovery point is application-consistent.
            (await kubectl.RunAsync("--context", "sbg", "annotate", "bp", "platau-mongo-snapshots", "-n", "platau-prod", "ops.demat.gouv.fr/run-now=first-look", "--overwrite")).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "bp", "platau-mongo-snapshots", "-n", "platau-prod", "-o", "jsonpath={.status.recoveryPointConsistency}")) == "Application",
                "an application-consistent snapshot run", TimeSpan.FromSeconds(30));

            // Service levels report availability; certificates are listed.
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "sl", "platau-production", "-n", "platau-prod", "-o", "jsonpath={.status.currentMonth.coverage}")).Length > 0,
                "availability reported", TimeSpan.FromSeconds(30));
            // A percentage once some service time was measured; "—" while none was (outside service hours, say), never 100 % by default.
            var thisMonth = JsonNode.Parse(await Get("--context", "sbg", "get", "sl", "platau-production", "-n", "platau-prod", "-o", "jsonpath={.status.currentMonth}"))!;
            ((string?)thisMonth["availabilityPercent"]).ShouldBe((double?)thisMonth["coverage"] > 0 ? ((double)thisMonth["availability"]! * 100).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) + "%" : "—");
            var table = await Get("--context", "sbg", "get", "bp,sl,pradrill,certrenewal", "-A");
            table.ShouldContain("platau-production");
            table.ShouldContain("platau-mongo-snapshots");
            await Eventually.HoldsAsync(async () => int.TryParse(await Get("--context", "sbg", "get", "certrenewal", "platau-tls", "-n", "platau-prod", "-o", "jsonpath={.status.certificates}"), out var n) && n >= 3,
                "certificates listed", TimeSpan.FromSeconds(30));
            var items = JsonNode.Parse(await Get("--context", "sbg", "get", "certrenewal", "platau-tls", "-n", "platau-prod", "-o", "jsonpath={.status.items}"))!.AsArray();
            items.Select(i => (string?)i!["source"]).Distinct().Order().ShouldBe(["Endpoint", "Route", "Secret"]);

            // Play the IGC with the printed commands, run as printed: the certificate that did not exist is created.
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "csr", "-l", "app.kubernetes.io/managed-by=dematoperator", "-o", "name")).Length > 0,
                "a signature requested of the IGC", TimeSpan.FromSeconds(30));
            var igcLines = text[text.IndexOf("Play the IGC", StringComparison.Ordinal)..].Split('\n').Skip(1).TakeWhile(l => l.Trim().Length > 0).Select(l => l.Trim()).ToList();
            igcLines.Count.ShouldBe(8);
            // openssl signs from the machine's clock; the sandbox runs on ClockStart's: faketime gives openssl that instant, so the
            // certificate is valid from the sandbox's "now" (kubectl, a static binary, is not affected and needs not be). When the
            // suite itself runs under faketime (docs/testing.md), its libfaketime is taken out first: nested, the inner instant
            // would be shifted by the outer one.
            var at = ClockStart.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            var igc = await Processes.RunAsync("env", ["-u", "LD_PRELOAD", "-u", "FAKETIME", "faketime", at, "bash", "-euo", "pipefail", "-c", string.Join("\n", igcLines)],
                new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig, ["TZ"] = "UTC" }, TimeSpan.FromSeconds(60));
            igc.ExitCode.ShouldBe(0, igc.Output);
            await Eventually.HoldsAsync(async () => (await Get("--context", "sbg", "get", "certrenewal", "platau-igc", "-n", "platau-prod", "-o", "jsonpath={.status.items[0].state}")) is "Created" or "Valid",
                "the IGC's certificate installed", TimeSpan.FromSeconds(30));
            (await Get("--context", "sbg", "get", "secret", "platau-instruction-tls", "-n", "platau-prod", "-o", "jsonpath={.type}")).ShouldBe("kubernetes.io/tls");

            // The PRA rehearsal on rbx, triggered as an ops engineer would.
            var before = await Get("--context", "rbx", "get", "deploy,sts", "-A", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.replicas} {end}");
            (await kubectl.RunAsync("--context", "rbx", "annotate", "pradrill", "pra-yearly", "-n", "dematoperator-system", "ops.demat.gouv.fr/run-now=first-look", "--overwrite")).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "jsonpath={.status.lastResult}")).Length > 0,
                "the drill finished", TimeSpan.FromSeconds(90));
            var drill = JsonNode.Parse(await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "json"))!;
            ((string?)drill["status"]!["lastResult"]).ShouldBe("Succeeded", drill["status"]!["history"]?.ToJsonString());
            (await Get("--context", "rbx", "get", "deploy,sts", "-A", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.replicas} {end}")).ShouldBe(before, "test environments given back exactly");
            (await kubectl.RunAsync("--context", "rbx", "get", "ns", "platau-prod")).ExitCode.ShouldNotBe(0, "the restored namespace was rolled back");
            var report = (string)drill["status"]!["history"]![0]!["report"]!;
            (await Get("--context", "rbx", "get", "cm", report, "-n", "dematoperator-system", "-o", "jsonpath={.data.report\\.md}")).ShouldContain("Succeeded");

            // Rehearse again, as the printed sequence says: the second run restores production's backup, not a copy
            // made on rbx, and nothing either rehearsal restored acted on rbx.
            (await kubectl.RunAsync("--context", "rbx", "annotate", "pradrill", "pra-yearly", "-n", "dematoperator-system", "ops.demat.gouv.fr/run-now=second-look", "--overwrite")).ShouldSucceed();
            await Eventually.HoldsAsync(async () => (await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "jsonpath={.status.history[*].name}")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 2
                                                    && (await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "jsonpath={.status.currentRun}")).Length == 0,
                "the second drill finished", TimeSpan.FromSeconds(90));
            var history = JsonNode.Parse(await Get("--context", "rbx", "get", "pradrill", "pra-yearly", "-n", "dematoperator-system", "-o", "jsonpath={.status.history}"))!.AsArray();
            history.Select(h => (string?)h!["result"]).ShouldAllBe(r => r == "Succeeded", history.ToJsonString());
            var manualBackups = (await Get("--context", "sbg", "get", "backups.velero.io", "-n", "openshift-adp", "-l", "ops.demat.gouv.fr/backup-policy=platau-velero,ops.demat.gouv.fr/trigger=manual", "-o", "name"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            manualBackups.Length.ShouldBe(1, "one backup was asked for, one exists: no rehearsal added to production's chain");
            // No scheduled slot falls while the test runs (ClockStart): production's only backup is the one asked for, and
            // both rehearsals restored it, never one made on rbx.
            var productionBackups = (await Get("--context", "sbg", "get", "backups.velero.io", "-n", "openshift-adp", "-l", "ops.demat.gouv.fr/backup-policy=platau-velero", "-o", "name"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            productionBackups.ShouldBe(manualBackups);
            var asked = manualBackups[0]["backup.velero.io/".Length..];
            history.Select(h => (string?)h!["backupName"]).ShouldBe([asked, asked], "both rehearsals restored production's backup");
            // By meaning: the rbx operator never wrote anything a restored BackupPolicy, ServiceLevel or CertificateRenewal would.
            var rbxWrites = Regex.Matches(await File.ReadAllTextAsync(Path.Combine(dir, "operator-rbx.log")), @"verb=(create|update|patch|delete) resource=(\S+)")
                .Select(m => (Verb: m.Groups[1].Value, Resource: m.Groups[2].Value)).ToList();
            rbxWrites.ShouldContain(w => w.Resource == "restores.velero.io", "the rbx log has the drill's audit lines");
            string[] forbidden = ["backups.velero.io", "deletebackuprequests.velero.io", "schedules.velero.io", "volumesnapshots.snapshot.storage.k8s.io", "secrets",
                "prometheusrules.monitoring.coreos.com", "backuppolicies.ops.demat.gouv.fr", "servicelevels.ops.demat.gouv.fr", "certificaterenewals.ops.demat.gouv.fr"];
            rbxWrites.Where(w => forbidden.Contains(w.Resource)).ShouldBeEmpty("a rehearsal's restored objects never act on rbx");
            // The monthly report counts production's runs exactly: the completed Velero backups of the policy on sbg.
            var backups = JsonNode.Parse(await Get("--context", "sbg", "get", "backups.velero.io", "-n", "openshift-adp", "-l", "ops.demat.gouv.fr/backup-policy=platau-velero", "-o", "json"))!["items"]!.AsArray();
            backups.Select(b => (string?)b!["status"]?["phase"]).ShouldBe(["Completed"]);
            var month = ((string)backups[0]!["metadata"]!["creationTimestamp"]!)[..7];
            month.ShouldBe("2026-06");
            var reportRun = await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["report", "--kubeconfig", kubeconfig, "--context", "sbg", "--month", month, "--format", "json"]);
            var row = JsonNode.Parse(reportRun.ShouldSucceed().Stdout)!["backups"]!.AsArray().Single(b => (string?)b!["policy"] == "platau-velero")!;
            ((int?)row["succeeded"]).ShouldBe(1, "the one backup asked for, completed");
            ((int?)row["failed"]).ShouldBe(0);

            // Metrics of both operators expose the demat_* families.
            using var http = new HttpClient();
            var metrics = string.Join("\n", await Task.WhenAll(metricsUrls.Select(u => http.GetStringAsync(u))));
            foreach (var family in new[] { "demat_backup_last_success_timestamp_seconds", "demat_sla_availability_ratio", "demat_probe_success", "demat_certificate_expiration_timestamp_seconds", "demat_pra_drill_rto_seconds" })
                metrics.ShouldContain($"# TYPE {family} ");
            // The operators ran with config/rbac's ServiceAccount under the emulator's RBAC: nothing was forbidden, nothing panicked.
            metrics.ShouldNotContain("code=\"403\"");
            metrics.Split('\n').Where(l => l.StartsWith("controller_runtime_reconcile_panics_total{", StringComparison.Ordinal)).ShouldAllBe(l => l.EndsWith(" 0"));

            // Secrets stay secret: no token, key or kubeconfig credential in anything a person or a scraper sees.
            var seen = new StringBuilder(metrics);
            foreach (var context in new[] { "sbg", "rbx" })
            {
                seen.Append(await Get("--context", context, "get", "events", "-A", "-o", "json"));
                seen.Append(await Get("--context", context, "get", "bp,sl,pradrill,certrenewal", "-A", "-o", "json"));
                seen.Append(await Get("--context", context, "get", "cm", "-A", "-o", "json"));
            }
            foreach (var log in Directory.EnumerateFiles(dir, "*.log")) seen.Append(await File.ReadAllTextAsync(log));
            seen.Append(text);
            var haystack = seen.ToString();
            var tokens = Regex.Matches(await File.ReadAllTextAsync(kubeconfig), @"token: (\S+)").Select(m => m.Groups[1].Value).ToList();
            tokens.ShouldNotBeEmpty();
            foreach (var token in tokens) haystack.ShouldNotContain(token, Case.Sensitive, "a bearer token leaked");
            haystack.ShouldNotContain("PRIVATE KEY", Case.Sensitive);
            haystack.ShouldNotContain("LS0tLS1CRUdJTiBQUklWQVRF", Case.Sensitive, "a base64 private key leaked");
            haystack.ShouldNotContain("client-key-data", Case.Sensitive);
            var secretsJson = JsonNode.Parse(await Get("--context", "sbg", "get", "secrets", "-n", "platau-prod", "-o", "json"))!;
            foreach (var secret in secretsJson["items"]!.AsArray())
                foreach (var value in (secret!["data"] as JsonObject ?? []).Where(kv => kv.Key.EndsWith(".key", StringComparison.Ordinal)))
                    haystack.ShouldNotContain((string)value.Value!, Case.Sensitive, $"Secret {secret["metadata"]!["name"]} key material leaked");
        }
        finally
        {
            sandbox.Kill(entireProcessTree: true);
            await sandbox.WaitForExitAsync();
            sandbox.Dispose();
        }
    }
}
