using System.Diagnostics;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Certificates;
using DematOperator.Cli;
using DematOperator.Drills;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.Reports;
using DematOperator.ServiceLevels;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using NodaTime.Text;

namespace DematOperator.Tests.Reports;

/// <summary>
/// May 2026 on the emulator, built with a controlled clock: two ServiceLevels (one with a blocking and a major
/// incident, one created mid-month), a Velero BackupPolicy with two failed runs, a PRA rehearsal, certificates
/// renewed, failing and expiring, and production workloads, one of them unprobed. Every figure of the report
/// is checked against values computed by hand, in the three formats, then the month-end ConfigMap.
/// </summary>
public sealed class MonthlyReportTests : IAsyncLifetime
{
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
    private static readonly ResourceType<DynamicObject> Backups = Resources.Dynamic("velero.io", "v1", "backups", "Backup", true);
    private static Instant At(string local) => LocalDateTimePattern.GeneralIso.Parse(local).Value.InZoneLeniently(Paris).ToInstant();

    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
    private SimHost _host = null!;
    private KubeClient _client = null!;
    /// <summary>The operator's own client: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;

    // Hand-computed figures.
    private const long ArgentMayServiceSeconds = 170 * 3600;          // 21 weekdays − 4 holidays (1, 8, 14, 25 May) = 17 days × 10 h
    private const long OrMayServiceSeconds = 364 * 3600;              // 26 days Monday-Saturday × 14 h (holidays are OR service days)
    private const long OrUnknownBeforeCreation = 230 * 3600;          // 16 service days before 20 May × 14 h + 20 May 06:00-12:00
    private const long BackupUnmetSeconds = 5 * 3600 + 600;           // 10 May 10:00 → 15:10 (runs of 09:00 and 12:00 failed)
    private const long MaySeconds = 31 * 86400;

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg");
        _client = OperatorClusters.Admin(_host, "sbg", _clock);
        _operator = OperatorClusters.Operator(_host, "sbg", null, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "platau-prod", Labels = new() { [ReportSnapshot.EnvironmentLabel] = "production" } } });
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "openshift-adp" } });
        foreach (var (type, name) in new[] { (Resources.Deployments, "platau-api"), (Resources.Deployments, "platau-front"), (Resources.StatefulSets, "mongodb") })
            await _client.CreateAsync(type, new DynamicObject
            {
                Metadata = new ObjectMeta { Name = name, Namespace = "platau-prod" },
                Fields = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["replicas"] = 1, ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                        ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } }, ["spec"] = JsonNode.Parse("""{"containers":[{"name":"c","image":"x"}]}""") },
                    },
                },
            });
        await BuildMayAsync();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
    }

    private async Task BuildMayAsync()
    {
        // In March: the BackupPolicy, the preprod ServiceLevel, the drill and the certificates exist.
        var policy = await _client.CreateAsync(OperatorKinds.BackupPolicies, new BackupPolicy
        {
            Metadata = new ObjectMeta { Name = "platau-velero", Namespace = "platau-prod" },
            Spec = new BackupPolicySpec { Schedule = "0 */3 * * *", TimeZone = "Europe/Paris", Rpo = "4h", Method = "Velero", Target = new BackupTarget { Namespaces = ["platau-prod"] } },
        });
        await ObjectWriter.UpdateStatusAsync(_client, OperatorKinds.BackupPolicies, policy, p => p.Status = new BackupPolicyStatus { MissedRuns = 4, MissedByMonth = new() { ["2026-04"] = 1, ["2026-05"] = 3 } }, default);
        var preprodSpec = new ServiceLevelSpec
        {
            Tier = "ARGENT", Environment = "preprod", Interval = "1h",
            Probes =
            [
                new ProbeSpec { Name = "portal", Http = new HttpProbeSpec { Url = "http://platau-front.platau-prod.svc:8080/healthz" } },
                new ProbeSpec { Name = "search", Critical = false, Workload = new WorkloadProbeSpec { Kind = "Deployment", Name = "platau-api" } },
            ],
        };
        var preprod = await _client.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel { Metadata = new ObjectMeta { Name = "platau-preprod", Namespace = "platau-prod" }, Spec = preprodSpec });
        var drill = await _client.CreateAsync(OperatorKinds.PraDrills, new PraDrill
        {
            Metadata = new ObjectMeta { Name = "pra-yearly", Namespace = "dematoperator-system" },
            Spec = new PraDrillSpec { Schedule = "0 21 16 5 *", Source = new DrillSource { Namespaces = ["platau-prod"] }, Backup = new DrillBackup { BackupPolicy = "platau-velero", BackupPolicyNamespace = "platau-prod" } },
        });
        var certificates = await _client.CreateAsync(OperatorKinds.CertificateRenewals, new CertificateRenewal
        {
            Metadata = new ObjectMeta { Name = "platau-tls", Namespace = "platau-prod" },
            Spec = new CertificateRenewalSpec { Secrets = new ObjectSelection(), Routes = new ObjectSelection() },
        });

        // 20 May, 12:00 in Paris: the production ServiceLevel is created.
        _clock.Advance(At("2026-05-20T12:00:00").ToDateTimeOffset() - _clock.GetUtcNow());
        var productionSpec = new ServiceLevelSpec { Tier = "OR", Environment = "production", Interval = "1h", Probes = [new ProbeSpec { Name = "portal", Http = new HttpProbeSpec { Url = "http://platau-front.platau-prod.svc:8080/" } }] };
        var production = await _client.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel { Metadata = new ObjectMeta { Name = "platau-production", Namespace = "platau-prod" }, Spec = productionSpec });

        // The ServiceLevels' hourly rounds through May, as the operator's ledger keeps them.
        ServiceLevelChecks.Resolve(preprodSpec, out var preprodSettings);
        var preprodStatus = new ServiceLevelStatus();
        for (var t = At("2026-04-30T22:00:00"); t <= At("2026-06-01T02:00:00"); t += Duration.FromHours(1))
        {
            var portalDown = t == At("2026-05-12T10:00:00") || t == At("2026-05-12T11:00:00");
            var searchDown = t >= At("2026-05-20T15:00:00") && t < At("2026-05-21T17:00:00");
            ServiceLevelLedger.Advance(preprodStatus, preprodSettings!, At("2026-04-01T00:00:00"), t,
                [new ProbeOutcome("portal", !portalDown, portalDown ? "HTTP 503" : "HTTP 200", TimeSpan.Zero), new ProbeOutcome("search", !searchDown, "", TimeSpan.Zero)]);
        }
        ServiceLevelChecks.Resolve(productionSpec, out var productionSettings);
        var productionStatus = new ServiceLevelStatus();
        for (var t = At("2026-05-20T12:00:00"); t <= At("2026-06-01T02:00:00"); t += Duration.FromHours(1))
            ServiceLevelLedger.Advance(productionStatus, productionSettings!, Instant.FromDateTimeOffset(production.Metadata.CreationTimestamp!.Value), t, [new ProbeOutcome("portal", true, "", TimeSpan.Zero)]);
        await ObjectWriter.UpdateStatusAsync(_client, OperatorKinds.ServiceLevels, preprod, s => s.Status = preprodStatus, default);
        await ObjectWriter.UpdateStatusAsync(_client, OperatorKinds.ServiceLevels, production, s => s.Status = productionStatus, default);

        // Velero runs every 3 hours, data at the start, completed 10 minutes later; 10 May 09:00 and 12:00 failed.
        for (var start = At("2026-04-30T21:00:00"); start < At("2026-06-01T00:00:00"); start += Duration.FromHours(3))
        {
            var failed = start == At("2026-05-10T09:00:00") || start == At("2026-05-10T12:00:00");
            var name = RunLabels.RunName("platau-velero", start);
            await _client.CreateAsync(Backups, new DynamicObject
            {
                Metadata = new ObjectMeta { Name = name, Namespace = "openshift-adp", Labels = new() { [RunLabels.Policy] = "platau-velero", [RunLabels.PolicyNamespace] = "platau-prod", [RunLabels.Run] = name } },
                Fields = new JsonObject
                {
                    ["spec"] = new JsonObject { ["includedNamespaces"] = new JsonArray("platau-prod") },
                    ["status"] = new JsonObject
                    {
                        ["phase"] = failed ? "Failed" : "Completed",
                        ["startTimestamp"] = start.ToString(),
                        ["completionTimestamp"] = (start + Duration.FromMinutes(10)).ToString(),
                    },
                },
            });
        }

        await ObjectWriter.UpdateStatusAsync(_client, OperatorKinds.PraDrills, drill, d => d.Status = new PraDrillStatus
        {
            Phase = DrillPhase.Idle, LastResult = DrillResult.Succeeded,
            History =
            [
                new DrillRunSummary { Name = "pra-yearly-20260516-190000", Mode = DrillMode.Rehearsal, Result = DrillResult.Succeeded, StartTime = At("2026-05-16T21:00:00").ToDateTimeOffset(),
                    EndTime = At("2026-05-16T23:30:00").ToDateTimeOffset(), RtoSeconds = 5400, RpoSeconds = 3600, RtoMet = true, RpoMet = true, Report = "pra-yearly-20260516-190000-report" },
                new DrillRunSummary { Name = "pra-yearly-20260420-190000", Mode = DrillMode.Rehearsal, Result = DrillResult.Failed, StartTime = At("2026-04-20T21:00:00").ToDateTimeOffset(), EndTime = At("2026-04-20T22:00:00").ToDateTimeOffset(), Message = "Restore: failed" },
            ],
        }, default);
        await ObjectWriter.UpdateStatusAsync(_client, OperatorKinds.CertificateRenewals, certificates, c => c.Status = new CertificateRenewalStatus
        {
            Certificates = 4,
            Items =
            [
                new CertificateStatusItem { Source = "Secret", Namespace = "platau-prod", Name = "platau-tls", Subject = "CN=platau", State = "Valid", NotAfter = At("2027-05-20T12:00:00").ToDateTimeOffset(), LastRenewal = At("2026-05-20T12:00:00").ToDateTimeOffset() },
                new CertificateStatusItem { Source = "Secret", Namespace = "platau-prod", Name = "broken-tls", State = "Error", Reason = "InvalidCertificate", Message = "tls.crt is not valid PEM" },
                new CertificateStatusItem { Source = "Route", Namespace = "platau-prod", Name = "platau-portal", Subject = "CN=portal", State = "Valid", NotAfter = At("2026-06-20T12:00:00").ToDateTimeOffset() },
                new CertificateStatusItem { Source = "Secret", Namespace = "platau-prod", Name = "api-tls", Subject = "CN=api", State = "Valid", NotAfter = At("2026-09-01T12:00:00").ToDateTimeOffset(), LastRenewal = At("2026-04-02T12:00:00").ToDateTimeOffset() },
            ],
        }, default);
        // 1 June, 02:00 in Paris.
        _clock.Advance(At("2026-06-01T02:00:00").ToDateTimeOffset() - _clock.GetUtcNow());
    }

    private async Task<MonthlyServiceReport> Report() =>
        MonthlyServiceReport.Build([await ReportSnapshot.GatherAsync(_client, "sbg", default)], new YearMonth(2026, 5), Paris, Instant.FromDateTimeOffset(_clock.GetUtcNow()));

    [Fact]
    public async Task Every_figure_of_may_matches_the_hand_computed_values()
    {
        var r = await Report();
        var preprod = r.Availability.Single(a => a.Name == "platau-preprod");
        preprod.ServiceSeconds.ShouldBe(ArgentMayServiceSeconds);
        preprod.DowntimeSeconds.ShouldBe(7200, "12 May 10:00-12:00, the major incident is not downtime");
        preprod.UnknownSeconds.ShouldBe(0);
        preprod.Availability!.Value.ShouldBe(1 - 7200.0 / ArgentMayServiceSeconds, 1e-12);
        preprod.Met.ShouldBe(false, "98.82 % < 99.5 %");
        preprod.Note.ShouldBeNull();
        var production = r.Availability.Single(a => a.Name == "platau-production");
        production.ServiceSeconds.ShouldBe(OrMayServiceSeconds);
        production.UnknownSeconds.ShouldBe(OrUnknownBeforeCreation);
        production.Availability.ShouldBe(1);
        // Measured from 20 May only: most of May's service time has no data, so no verdict (CCTP figures are never guessed).
        production.Figure.Coverage!.Value.ShouldBe((OrMayServiceSeconds - OrUnknownBeforeCreation) / (double)OrMayServiceSeconds, 1e-12);
        production.Figure.InsufficientData.ShouldBe(true);
        production.Met.ShouldBeNull();
        production.Note!.ShouldContain("mesuré depuis le 2026-05-20T12:00:00+02:00 (créé en cours de mois)");
        production.Note.ShouldContain("données insuffisantes");
        preprod.Figure.Coverage.ShouldBe(1);
        preprod.Figure.InsufficientData.ShouldBe(false);
        r.AvailabilityByTier.Select(g => (g.Tier, g.Environment)).ShouldBe([("ARGENT", "preprod"), ("OR", "production")]);

        // The contract's indicators, per tier and environment, against their thresholds.
        IndicatorRow Ind(string name, string env) => r.Indicators.Single(i => i.Indicator == name && i.Environment == env);
        Ind("IND_DISP02", "preprod").Value!.Value.ShouldBe(1 - 7200.0 / ArgentMayServiceSeconds, 1e-12);
        Ind("IND_DISP02", "preprod").Met.ShouldBe(false);
        Ind("IND_DISP01", "production").Value.ShouldBeNull("données insuffisantes: measured from 20 May only");
        Ind("IND_DISP01", "production").Meaning.ShouldBe("données insuffisantes");
        Ind("IND_INC02", "preprod").Value.ShouldBe(1, "its one critical incident was resolved within the 4 h GTR");
        (Ind("IND_INC02", "preprod").Objective, Ind("IND_INC02", "preprod").Met).ShouldBe((0.90, true));
        Ind("IND_INC01", "production").Value.ShouldBeNull("no critical incident on OR: sans objet, not 100 %");
        Ind("IND_INC01", "production").Objective.ShouldBe(0.95);
        Ind("IND_SUP02", "preprod").Value.ShouldBe(0, "the major incident was closed by the month's end");

        var blocking = r.Incidents.Single(i => i.Severity == "blocking");
        (blocking.Count, blocking.Resolved, blocking.WithinGtr, blocking.OpenAtMonthEnd).ShouldBe((1, 1, 1, 0));
        blocking.WithinGtrRatio.ShouldBe(1);
        var major = r.Incidents.Single(i => i.Severity == "major");
        (major.Count, major.Resolved, major.WithinGtr, major.OpenAtMonthEnd).ShouldBe((1, 1, 0, 0));
        major.WithinGtrRatio.ShouldBe(0);
        r.IncidentList.Count.ShouldBe(2);
        var majorRow = r.IncidentList.Single(i => i.Severity == "major");
        majorRow.Start.ShouldBe(At("2026-05-20T15:00:00"));
        majorRow.Deadline.ShouldBe(At("2026-05-21T13:00:00"), "8 ARGENT service hours: 3 on Wednesday, 5 on Thursday");
        majorRow.End.ShouldBe(At("2026-05-21T17:00:00"));
        majorRow.WithinGtr.ShouldBe(false);

        var backup = r.Backups.Single();
        backup.Succeeded.ShouldBe(31 * 8 - 2);
        backup.Failed.ShouldBe(2);
        backup.RpoMetRatio!.Value.ShouldBe(1 - (double)BackupUnmetSeconds / MaySeconds, 1e-9);
        backup.OldestRecoveryPointAge.ShouldBe(Duration.FromHours(9) + Duration.FromMinutes(10), "06:00 data, next success completed 15:10");
        backup.Note.ShouldBeNull();
        backup.Missed.ShouldBe(3, "May's missed slots, not the running total");

        var drill = r.Drills.ShouldHaveSingleItem();
        (drill.Result, drill.RtoSeconds, drill.RpoSeconds).ShouldBe(("Succeeded", 5400L, 3600L));
        r.Pra.LastSuccess.ShouldBe(At("2026-05-16T23:30:00"));
        r.Pra.DaysUntilYearlyDeadline.ShouldBe(349);

        r.RenewedCertificates.Select(c => c.Name).ShouldBe(["platau-tls"]);
        r.FailingCertificates.Select(c => c.Name).ShouldBe(["broken-tls"]);
        r.ExpiringCertificates.Select(c => c.Name).ShouldBe(["platau-portal"]);

        r.Coverage.Count.ShouldBe(3);
        r.CoverageRatio!.Value.ShouldBe(2.0 / 3, 1e-12);
        r.Coverage.Single(c => !c.Covered).Name.ShouldBe("mongodb");
    }

    [Fact]
    public async Task The_three_formats_carry_the_same_figures_and_the_cli_reads_the_cluster()
    {
        var r = await Report();
        var md = ReportWriter.Markdown(r);
        md.ShouldContain("# Rapport mensuel de service — 2026-05");
        md.ShouldContain("mai 2026");
        md.ShouldContain("| ARGENT | preprod | 99.50 % | 98.82 % | — | 100.00 % | **non atteint** | 170.00 h | 2.00 h | 0.00 h | 1 |");
        md.ShouldContain("**données insuffisantes**");
        md.ShouldContain("| IND_INC01 | OR | production | sans objet | ≥ 95.00 % | sans objet |");
        md.ShouldContain("| IND_DISP02 | ARGENT | preprod | 98.82 % | ≥ 99.50 % | **non atteint** |");
        md.ShouldNotContain("| blocking |");
        foreach (var english in new[] { "| Rehearsal |", "| Succeeded |", "| Error |", "| Expired |", "| Valid |" }) md.ShouldNotContain(english);
        md.ShouldContain("| majeur | 1 | 1 | 0 | 0.00 % | 0 |");
        md.ShouldContain("| 2026-05-20T15:00:00+02:00 | 2026-05-21T17:00:00+02:00 | 2026-05-21T13:00:00+02:00 | non |");
        md.ShouldContain("| sbg | platau-prod/platau-velero | Velero | 4.00 h | 99.31 % | 246 | 0 | 2 | 3 | 9.17 h |");
        md.ShouldContain("Jours avant l'échéance annuelle : 349");
        md.ShouldContain("(2/3)");
        md.ShouldContain("Non couverts : StatefulSet platau-prod/mongodb (sbg)");

        var csv = ReportWriter.Csv(r);
        csv.Keys.ShouldBe(["clusters.csv", "availability.csv", "availability-by-tier.csv", "maintenance.csv", "indicators.csv", "incidents-by-severity.csv", "incidents.csv", "backups.csv", "pra.csv", "certificates.csv", "coverage.csv"], ignoreOrder: true);
        csv["indicators.csv"].ShouldContain("IND_INC02,ARGENT,preprod,1,0.9,true,");
        csv["indicators.csv"].ShouldContain("IND_INC01,OR,production,,0.95,,");
        csv["incidents-by-severity.csv"].ShouldContain("blocking,1,1,1,1,0\n");
        csv["backups.csv"].ShouldContain(",246,0,2,3,33000,");
        csv["incidents.csv"].ShouldContain("major,2026-05-20T15:00:00+02:00,2026-05-21T17:00:00+02:00,2026-05-21T13:00:00+02:00,false");
        csv["coverage.csv"].ShouldContain("sbg,StatefulSet,platau-prod,mongodb,false");

        var json = JsonNode.Parse(ReportWriter.Json(r))!;
        ((string?)json["month"]).ShouldBe("2026-05");
        var preprod = json["availability"]!.AsArray().Single(a => (string?)a!["servicelevel"] == "platau-preprod")!;
        ((double)preprod["availability"]!).ShouldBe(1 - 7200.0 / ArgentMayServiceSeconds, 1e-12);
        ((long)json["availability"]!.AsArray().Single(a => (string?)a!["servicelevel"] == "platau-production")!["unknownSeconds"]!).ShouldBe(OrUnknownBeforeCreation);
        ((double)json["backups"]![0]!["rpoMetRatio"]!).ShouldBe(1 - (double)BackupUnmetSeconds / MaySeconds, 1e-9);
        ((int)json["pra"]!["daysUntilYearlyDeadline"]!).ShouldBe(349);
        ((double)json["monitoringCoverage"]!["ratio"]!).ShouldBe(2.0 / 3, 1e-12);

        // The verb, as an ops engineer runs it, against the same cluster.
        var dir = Directory.CreateTempSubdirectory("report-").FullName;
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, _host.Kubeconfig());
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(RunCommand).Assembly.Location, "report", "--kubeconfig", kubeconfig, "--context", "sbg", "--month", "2026-05", "--format", "csv", "--out", dir }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        p.ExitCode.ShouldBe(0, stderr);
        (await File.ReadAllTextAsync(Path.Combine(dir, "backups.csv"))).ShouldContain(",246,0,2,3,33000,");
        var planning = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(RunCommand).Assembly.Location, "report", "--kubeconfig", kubeconfig, "--context", "sbg", "--year", "2026", "--maintenance" }) planning.ArgumentList.Add(a);
        using var pp = Process.Start(planning)!;
        var planned = await pp.StandardOutput.ReadToEndAsync();
        await pp.WaitForExitAsync();
        pp.ExitCode.ShouldBe(0, await pp.StandardError.ReadToEndAsync());
        planned.ShouldStartWith("cluster,namespace,servicelevel,start,end,impact,approval_ref,excluded,description\n");
        (await File.ReadAllTextAsync(Path.Combine(dir, "availability-by-tier.csv"))).ShouldContain("OR,production,0.998,1,0.368132,1,0.368132,true,,1310400,0,828000,1", customMessage: "measured from 20 May: 36.8 % coverage, no verdict");
    }

    [Fact]
    public async Task Without_context_report_reads_every_context_and_names_the_one_it_could_not_read()
    {
        var dir = Directory.CreateTempSubdirectory("report-contexts-").FullName;
        var reachable = Path.Combine(dir, "sbg.kubeconfig");
        await File.WriteAllTextAsync(reachable, _host.Kubeconfig());
        // A second file of KUBECONFIG names a cluster nobody answers for (port 1 of loopback: connection refused).
        var gone = Path.Combine(dir, "gone.kubeconfig");
        await File.WriteAllTextAsync(gone, """
            apiVersion: v1
            kind: Config
            clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
            users: [{name: gone, user: {token: x}}]
            contexts: [{name: gone, context: {cluster: gone, user: gone}}]
            """);
        var run = await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["report", "--month", "2026-05", "--format", "json"],
            new Dictionary<string, string?> { ["KUBECONFIG"] = string.Join(Path.PathSeparator, reachable, gone) });
        run.ExitCode.ShouldBe(0, run.Stderr);
        run.Stderr.ShouldContain("report: read sbg; not read: gone");
        var json = JsonNode.Parse(run.Stdout)!;
        var clusters = json["clusters"]!.AsArray();
        clusters.Select(c => ((string?)c!["name"], (bool)c["read"]!)).ShouldBe([("sbg", true), ("gone", false)]);
        ((string?)clusters[1]!["error"]).ShouldContain("127.0.0.1:1");
        ((string?)json["pra"]!["lastSuccessDrill"]).ShouldNotBeNull("the drill of the cluster that was read is found");

        var md = await Processes.OperatorAsync(typeof(RunCommand).Assembly, ["report", "--month", "2026-05"],
            new Dictionary<string, string?> { ["KUBECONFIG"] = string.Join(Path.PathSeparator, reachable, gone) });
        md.Stdout.ShouldContain("Clusters lus : sbg. **Clusters non lus** : gone (");
    }

    [Fact]
    public void A_report_without_a_successful_drill_says_so_only_when_every_cluster_was_read()
    {
        var read = MonthlyServiceReport.Build([new ReportSnapshot("sbg", [], [], [], [], [])], new YearMonth(2026, 5), Paris, Instant.FromUtc(2026, 6, 2, 8, 0));
        ReportWriter.Markdown(read).ShouldContain("aucun exercice réussi : échéance dépassée");
        ReportWriter.Markdown(read).ShouldContain("Clusters lus : sbg.");
        var partial = MonthlyServiceReport.Build([new ReportSnapshot("sbg", [], [], [], [], [])], new YearMonth(2026, 5), Paris, Instant.FromUtc(2026, 6, 2, 8, 0),
            [new ClusterSource("rbx", "cannot reach the API server")]);
        var text = ReportWriter.Markdown(partial);
        text.ShouldNotContain("échéance dépassée", customMessage: "the drill may well be on the cluster that was not read");
        text.ShouldContain("aucun exercice réussi sur les clusters lus ; rbx non lu(s) : à vérifier");
        text.ShouldContain("**Clusters non lus** : rbx (cannot reach the API server)");
        HtmlReportWriter.Render(partial).ShouldContain("rbx non lu(s)");
        ReportWriter.Csv(partial)["clusters.csv"].ShouldBe("cluster,read,error\nsbg,true,\nrbx,false,cannot reach the API server\n");
    }

    [Fact]
    public async Task The_month_end_config_map_is_written_once_and_thirteen_months_are_kept()
    {
        for (var m = new YearMonth(2025, 4); m < new YearMonth(2026, 5); m = m.PlusMonths(1))
            await _client.CreateAsync(Resources.ConfigMaps, new ConfigMap
            {
                Metadata = new ObjectMeta { Name = MonthlyReportPublisher.ConfigMapName(m), Namespace = "dematoperator-system", Labels = new() { [MonthlyReportPublisher.MonthLabel] = m.ToString("yyyy-MM", null) } },
                Data = new() { ["report.md"] = "old" },
            });
        var events = new EventRecorder(_operator, "dematoperator");
        var publisher = new MonthlyReportPublisher(_operator, "dematoperator-system", events, NullLogger<MonthlyReportPublisher>.Instance);
        (await publisher.PublishAsync(default)).ShouldBe("dematoperator-report-2026-05");
        var written = await _client.GetAsync(Resources.ConfigMaps, "dematoperator-system", "dematoperator-report-2026-05");
        written.Data!["report.md"].ShouldContain("| ARGENT | preprod | 99.50 % | 98.82 % |");
        written.Data.Keys.ShouldContain("report.json");
        written.Data.Keys.ShouldContain("backups.csv");
        var kept = (await _client.ListAsync(Resources.ConfigMaps, "dematoperator-system", new ListRequest(MonthlyReportPublisher.MonthLabel))).Items.Select(c => c.Name).Order().ToList();
        kept.Count.ShouldBe(13);
        kept.ShouldNotContain("dematoperator-report-2025-04");
        (await _client.ListAsync(Resources.Events, "dematoperator-system")).Items.ShouldContain(e => e.Reason == "MonthlyReportPublished");

        // A restart (or a new leader) later that day writes nothing, nor differently.
        _clock.Advance(TimeSpan.FromHours(3));
        var again = new MonthlyReportPublisher(_operator, "dematoperator-system", events, NullLogger<MonthlyReportPublisher>.Instance);
        (await again.PublishAsync(default)).ShouldBeNull();
        (await _client.GetAsync(Resources.ConfigMaps, "dematoperator-system", "dematoperator-report-2026-05")).Metadata.ResourceVersion.ShouldBe(written.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_month_the_cluster_holds_nothing_of_is_never_published_empty()
    {
        // An operator installed in June 2026 (the world of this class starts in May): March 2026 has no figure here.
        var publisher = new MonthlyReportPublisher(_operator, "dematoperator-system", new EventRecorder(_operator, "dematoperator"), NullLogger<MonthlyReportPublisher>.Instance,
            cluster: "sbg");
        var march = MonthlyServiceReport.Build([await ReportSnapshot.GatherAsync(_client, "sbg", default)], new YearMonth(2026, 3), Paris, Instant.FromUtc(2026, 4, 1, 8, 0));
        MonthlyReportPublisher.HoldsAnything(march).ShouldBeFalse();
        var may = MonthlyServiceReport.Build([await ReportSnapshot.GatherAsync(_client, "sbg", default)], new YearMonth(2026, 5), Paris, Instant.FromDateTimeOffset(_clock.GetUtcNow()));
        MonthlyReportPublisher.HoldsAnything(may).ShouldBeTrue();
        // May's report, published by the operator, names the cluster as its kubeconfig does, not "local".
        (await publisher.PublishAsync(default)).ShouldBe("dematoperator-report-2026-05");
        var written = await _client.GetAsync(Resources.ConfigMaps, "dematoperator-system", "dematoperator-report-2026-05");
        written.Data!["report.md"].ShouldContain("Clusters lus : sbg.");
        written.Data["report.md"].ShouldNotContain("| local |");
    }

    [Fact]
    public async Task In_the_first_hour_of_a_month_nothing_is_published_yet()
    {
        // June measured (the figures as the ServiceLevel would hold them at the end of June: May's, renamed), so June has a report.
        var sl = await _client.GetAsync(OperatorKinds.ServiceLevels, "platau-prod", "platau-production");
        var may = sl.Status!.History!.Single(h => h.Month == "2026-05");
        sl.Status.CurrentMonth = System.Text.Json.JsonSerializer.Deserialize(System.Text.Json.JsonSerializer.Serialize(may, OperatorJsonContext.Default.MonthFigures), OperatorJsonContext.Default.MonthFigures);
        sl.Status.CurrentMonth!.Month = "2026-06";
        await _client.UpdateStatusAsync(OperatorKinds.ServiceLevels, sl);
        _clock.Advance(At("2026-07-01T00:30:00").ToDateTimeOffset() - _clock.GetUtcNow());
        var publisher = new MonthlyReportPublisher(_operator, "dematoperator-system", new EventRecorder(_operator, "dematoperator"), NullLogger<MonthlyReportPublisher>.Instance);
        (await publisher.PublishAsync(default)).ShouldBeNull();
        _clock.Advance(TimeSpan.FromHours(1));
        (await publisher.PublishAsync(default)).ShouldBe("dematoperator-report-2026-06");
    }

    [Fact]
    public void A_month_with_a_PRA_drill_says_how_much_of_the_excluded_time_was_the_drill()
    {
        var sl = new ServiceLevel
        {
            Metadata = new ObjectMeta { Name = "preprod", Namespace = "preprod", CreationTimestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) },
            Spec = new ServiceLevelSpec { Tier = "BRONZE", Environment = "preprod" },
            Status = new ServiceLevelStatus
            {
                History = [new MonthFigures { Month = "2026-03", Objective = 0.98, Availability = 1, ServiceSeconds = 500_000, DowntimeSeconds = 0, UnknownSeconds = 0, MaintenanceSeconds = 5400, PlannedSeconds = 5400, Met = true }],
            },
        };
        var report = MonthlyServiceReport.Build([new ReportSnapshot("rbx", [sl], [], [], [], [])], new YearMonth(2026, 3), DateTimeZoneProviders.Tzdb["Europe/Paris"], Instant.FromUtc(2026, 4, 2, 8, 0));
        var row = report.Availability.ShouldHaveSingleItem();
        row.MaintenanceSeconds.ShouldBe(5400);
        row.Note!.ShouldContain("dont 1.50 h d'exercice PRA");
        row.Note.ShouldContain("raison PraDrill");
    }

    [Fact]
    public void Maintenance_windows_are_listed_excluded_only_when_approved_and_the_year_s_planning_exports()
    {
        var sl = new ServiceLevel
        {
            Metadata = new ObjectMeta { Name = "platau", Namespace = "platau-prod", CreationTimestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) },
            Spec = new ServiceLevelSpec
            {
                Tier = "OR", Environment = "production",
                MaintenanceWindows =
                [
                    new MaintenanceWindowSpec { Start = "2026-03-10T21:00:00+01:00", End = "2026-03-10T23:00:00+01:00", Description = "upgrade", ApprovalRef = "ADM-2026-03", Impact = "Outage" },
                    new MaintenanceWindowSpec { Start = "2026-03-20T21:00:00+01:00", End = "2026-03-20T22:00:00+01:00", Description = "patch, not agreed" },
                    new MaintenanceWindowSpec { Start = "2027-01-05T21:00:00+01:00", End = "2027-01-05T22:00:00+01:00", ApprovalRef = "ADM-2027-01" },
                ],
            },
            Status = new ServiceLevelStatus
            {
                History = [new MonthFigures
                {
                    Month = "2026-03", Objective = 0.998, Availability = 1, AvailabilityWithoutExclusions = 0.995, ServiceSeconds = 400_000, DowntimeSeconds = 0, UnknownSeconds = 0, MaintenanceSeconds = 7200, Met = true,
                    MaintenanceWindows =
                    [
                        new MaintenanceWindowStatus { Start = new DateTimeOffset(2026, 3, 10, 20, 0, 0, TimeSpan.Zero), End = new DateTimeOffset(2026, 3, 10, 22, 0, 0, TimeSpan.Zero), Description = "upgrade", ApprovalRef = "ADM-2026-03", Impact = "Outage", Excluded = true },
                        new MaintenanceWindowStatus { Start = new DateTimeOffset(2026, 3, 20, 20, 0, 0, TimeSpan.Zero), End = new DateTimeOffset(2026, 3, 20, 21, 0, 0, TimeSpan.Zero), Description = "patch, not agreed", Impact = "Outage", Excluded = false },
                    ],
                }],
            },
        };
        var snapshots = new[] { new ReportSnapshot("sbg", [sl], [], [], [], []) };
        var report = MonthlyServiceReport.Build(snapshots, new YearMonth(2026, 3), Paris, Instant.FromUtc(2026, 4, 2, 8, 0));
        report.Maintenance.Select(w => (w.ApprovalRef, w.Excluded)).ShouldBe([("ADM-2026-03", true), (null, false)]);
        report.Availability.Single().WithoutExclusions.ShouldBe(0.995);
        var md = ReportWriter.Markdown(report);
        md.ShouldContain("### Maintenances du mois");
        md.ShouldContain("| **aucun** | non | patch, not agreed |");
        md.ShouldContain("| 99.50 % |");
        ReportWriter.Csv(report)["maintenance.csv"].ShouldContain(",Outage,ADM-2026-03,true,upgrade");
        var planning = MonthlyServiceReport.MaintenancePlanningCsv(snapshots, 2026, Paris).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        planning.Length.ShouldBe(3, "the header and the two windows of 2026, not 2027's");
        planning[1].ShouldBe("sbg,platau-prod,platau,2026-03-10T21:00:00+01:00,2026-03-10T23:00:00+01:00,Outage,ADM-2026-03,true,upgrade");
        planning[2].ShouldBe("sbg,platau-prod,platau,2026-03-20T21:00:00+01:00,2026-03-20T22:00:00+01:00,Outage,,false,\"patch, not agreed\"");
    }

    [Fact]
    public async Task The_french_report_says_a_certificate_s_reason_in_french_and_keeps_the_operator_s_message_as_data()
    {
        var report = await Report();
        var md = ReportWriter.Markdown(report);
        md.ShouldContain("| en erreur | — | — | certificat illisible (InvalidCertificate) |");
        md.ShouldNotContain("tls.crt is not valid PEM", customMessage: "the operator's English message is not the French report's text");
        ReportWriter.Json(report).ShouldContain("\"message\": \"tls.crt is not valid PEM\"");
    }

    [Fact]
    public void The_html_chart_and_its_title_say_the_same_of_a_policy_measured_for_an_afternoon()
    {
        // Created on 7 December 2026 at 14:00 Paris, one run done at 17:20, the report read at 17:45: the ratio covers the
        // afternoon, not the month, and the curve shows that run although no hourly sample followed it.
        var created = At("2026-12-07T14:00:00");
        var policy = new BackupPolicy
        {
            Metadata = new ObjectMeta { Name = "platau-velero", Namespace = "platau-prod", CreationTimestamp = created.ToDateTimeOffset() },
            Spec = new BackupPolicySpec { Schedule = "0 */4 * * *", Method = "Velero", Rpo = "4h", Target = new BackupTarget { Namespaces = ["platau-prod"] } },
        };
        var run = new ObservedRun("platau-velero-now-1", RunPhase.Succeeded, At("2026-12-07T17:10:00"), At("2026-12-07T17:20:00"), At("2026-12-07T17:10:00"), null, true);
        var report = MonthlyServiceReport.Build([new ReportSnapshot("sbg", [], [(policy, [run])], [], [], [])], new YearMonth(2026, 12), Paris, At("2026-12-07T17:45:00"));
        var html = HtmlReportWriter.Render(report);
        // Held from the completion at 17:20 (data of 17:10, 4 h RPO) to 17:45: 25 min of the 225 measured = 11.11 %.
        html.ShouldContain("RPO tenu 11.11 % de la période mesurée (du 2026-12-07T14:00:00+01:00 au 2026-12-07T17:45:00+01:00), 1 sauvegarde(s) réussie(s)");
        html.ShouldNotContain("aucun point de reprise ce mois-ci");
        html.ShouldNotContain("% du mois");
        html.ShouldContain("<polyline", customMessage: "the run of 17:20 is on the curve");
    }

    [Fact]
    public async Task The_html_report_is_one_french_page_with_its_charts_and_renders_in_chromium()
    {
        var html = HtmlReportWriter.Render(await Report());
        html.Replace("http://www.w3.org/2000/svg", "").ShouldNotContain("http", customMessage: "self-contained: nothing fetched (the SVG namespace aside)");
        html.ShouldNotContain("<script");
        foreach (var english in new[] { ">blocking<", ">major<", ">Rehearsal<", ">Succeeded<", ">Failed<" }) html.ShouldNotContain(english);
        var dir = Directory.CreateTempSubdirectory("html-report-").FullName;
        var file = Path.Combine(dir, "report.html");
        await File.WriteAllTextAsync(file, html);

        var dom = await Chromium.DumpDomAsync(file);
        dom.ShouldContain("Indicateurs du contrat");
        // The daily chart of each tier and environment, the timeline, and one recovery-point curve per policy, as the browser parsed them.
        System.Text.RegularExpressions.Regex.Matches(dom, "<svg ").Count.ShouldBe(2 + 1 + (await Report()).Backups.Count);
        dom.ShouldContain("<polyline");
        dom.ShouldContain("données insuffisantes");

        var shot = Png.Decode(await Chromium.ScreenshotAsync(file, 1100, 1800));
        (shot.Width, shot.Height).ShouldBe((1100, 1800));
        var colours = shot.Pixels.Distinct().Count();
        colours.ShouldBeGreaterThan(50, "a blank page has one colour; text, tables and charts have many");
        shot.Pixels.Count(p => p == 0x000091).ShouldBeGreaterThan(500, "the headings and rules are drawn in the report's blue");
    }
}
