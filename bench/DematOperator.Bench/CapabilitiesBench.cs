using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Certificates;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Bench;

/// <summary>
/// ServiceLevel and CertificateRenewal at the scale of the issues: the month computation over 10,000
/// transitions, 500 ServiceLevels × 4 probes every 30 s in the shipped operator process, and a scan of
/// 2,000 TLS Secrets.
/// </summary>
internal static class CapabilitiesBench
{
    public static async Task<List<string>> RunAsync(string root)
    {
        var rows = new List<string>();
        rows.AddRange(MonthComputation());
        rows.AddRange(await OperatorAtScaleAsync(root));
        return rows;
    }

    private static IEnumerable<string> MonthComputation()
    {
        var zone = DateTimeZoneProviders.Tzdb["Europe/Paris"];
        var calendar = new ServiceCalendar(ServiceTier.Or, zone, HolidayCalendar.France);
        var month = new YearMonth(2026, 3);
        var start = calendar.Month(month).Start;
        // 5,000 outages = 10,000 up/down transitions spread over the month (a very flappy service).
        var outages = Enumerable.Range(0, 5000).Select(i => new Outage(start + Duration.FromSeconds(i * 535), start + Duration.FromSeconds(i * 535 + 60),
            i % 7 == 0 ? Severity.Major : Severity.Blocking)).ToList();
        MonthlyAvailability.Compute(calendar, month, outages, []);
        var sw = Stopwatch.StartNew();
        const int rounds = 20;
        MonthlyReport? report = null;
        for (var i = 0; i < rounds; i++) report = MonthlyAvailability.Compute(calendar, month, outages, [], start + Duration.FromDays(20), [new TimeSpanInterval(start, start + Duration.FromHours(30))]);
        yield return Harness.Row("month computation, 10,000 transitions (5,000 incidents, DST month, unknown time)", $"{sw.Elapsed.TotalMilliseconds / rounds:F1} ms (availability {report!.Availability:P3})");
    }

    private static async Task<List<string>> OperatorAtScaleAsync(string root)
    {
        var rows = new List<string>();
        var exe = Path.Combine(root, "artifacts", "operator", "DematOperator");
        if (!File.Exists(exe)) throw new FileNotFoundException("run `make publish` first", exe);
        var dir = Directory.CreateTempSubdirectory("bench-cap-").FullName;
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        using var sim = Harness.Start("dotnet", $"{Path.Combine(root, "src", "DematOperator.Dev", "bin", "Release", "net10.0", "DematOperator.Dev.dll")} sim --clusters bench --kubeconfig-out {kubeconfig} --crds {Path.Combine(root, "config", "crd", "bases")}");
        while (!File.Exists(kubeconfig)) await Task.Delay(100);
        await Task.Delay(1000);
        using var admin = new KubeClient(KubeConfigLoader.FromFiles([kubeconfig]));
        foreach (var ns in new[] { "dematoperator-system", "platau-prod", "certs" })
            await admin.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        await admin.CreateAsync(Resources.Deployments, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "platau-api", Namespace = "platau-prod" },
            Fields = JsonNode.Parse("""{"spec":{"replicas":2,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}""")!.AsObject(),
        });

        // The endpoints the 2,000 probes per minute hit: a local HTTP service (and its port for TCP).
        var httpPort = Harness.FreePort();
        using var service = new HttpListener();
        service.Prefixes.Add($"http://127.0.0.1:{httpPort}/");
        service.Start();
        var served = 0;
        _ = Task.Run(async () =>
        {
            while (service.IsListening)
            {
                try
                {
                    var context = await service.GetContextAsync();
                    Interlocked.Increment(ref served);
                    context.Response.StatusCode = 200;
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            }
        });

        var metricsPort = Harness.FreePort();
        using var op = Harness.Start(exe, $"run --kubeconfig {kubeconfig} --leader-election-namespace dematoperator-system --metrics-bind-address 127.0.0.1:{metricsPort} --health-probe-bind-address 127.0.0.1:{Harness.FreePort()}",
            new() { ["LOG_LEVEL"] = "Warning", ["DOTNET_GCgen0size"] = "200000" });
        op.BeginOutputReadLine();
        op.BeginErrorReadLine();
        await Task.Delay(TimeSpan.FromSeconds(15));
        var idle = Harness.RssMiB(op.Id);
        rows.Add(Harness.Row("operator idle RSS (shipped build, 4 controllers)", $"{idle:F1} MiB"));

        for (var i = 0; i < 500; i++)
            await admin.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel
            {
                Metadata = new ObjectMeta { Name = $"sl-{i:D3}", Namespace = "platau-prod" },
                Spec = new ServiceLevelSpec
                {
                    Tier = (i % 3) switch { 0 => "OR", 1 => "ARGENT", _ => "BRONZE" }, Environment = $"env-{i % 10}", Interval = "30s",
                    Probes =
                    [
                        new ProbeSpec { Name = "portal", Http = new HttpProbeSpec { Url = $"http://127.0.0.1:{httpPort}/healthz" } },
                        new ProbeSpec { Name = "api", Http = new HttpProbeSpec { Url = $"http://127.0.0.1:{httpPort}/actuator/health" } },
                        new ProbeSpec { Name = "db", Tcp = new TcpProbeSpec { Host = "127.0.0.1", Port = httpPort } },
                        new ProbeSpec { Name = "replicas", Critical = false, Workload = new WorkloadProbeSpec { Kind = "Deployment", Name = "platau-api", MinReady = 1 } },
                    ],
                },
            });
        await Task.Delay(TimeSpan.FromSeconds(40));
        var cpuBefore = Harness.CpuSeconds(op.Id);
        var servedBefore = Volatile.Read(ref served);
        var requestsBefore = await RequestsAsync(metricsPort);
        var window = TimeSpan.FromSeconds(120);
        await Task.Delay(window);
        var cpu = Harness.CpuSeconds(op.Id) - cpuBefore;
        var probesPerSecond = (Volatile.Read(ref served) - servedBefore) / window.TotalSeconds;
        var requests = (await RequestsAsync(metricsPort) - requestsBefore) / window.TotalMinutes;
        rows.Add(Harness.Row("500 ServiceLevels × 4 probes every 30 s: operator CPU", $"{cpu / window.TotalSeconds * 100:F1} % of one core ({cpu:F1} s over {window.TotalSeconds:F0} s)"));
        rows.Add(Harness.Row("500 ServiceLevels × 4 probes: operator RSS", $"{Harness.RssMiB(op.Id):F1} MiB"));
        rows.Add(Harness.Row("500 ServiceLevels: HTTP probes served per second (expected 33.3)", $"{probesPerSecond:F1}"));
        rows.Add(Harness.Row("500 ServiceLevels: API requests per minute (workload probes, status checkpoints in service hours)", $"{requests:F0}"));

        // 2,000 TLS Secrets in one namespace, one CertificateRenewal watching them all (monitor only).
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyPem = key.ExportPkcs8PrivateKeyPem();
        for (var i = 0; i < 2000; i++)
        {
            var request = new CertificateRequest($"CN=svc-{i}.platau.example", key, HashAlgorithmName.SHA256);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(80 + i % 200));
            await admin.CreateAsync(Resources.Secrets, new Secret
            {
                Metadata = new ObjectMeta { Name = $"tls-{i:D4}", Namespace = "certs" },
                Type = "kubernetes.io/tls",
                Data = new() { ["tls.crt"] = Encoding.ASCII.GetBytes(cert.ExportCertificatePem()), ["tls.key"] = Encoding.ASCII.GetBytes(keyPem) },
            });
        }
        cpuBefore = Harness.CpuSeconds(op.Id);
        var sw = Stopwatch.StartNew();
        await admin.CreateAsync(OperatorKinds.CertificateRenewals, new CertificateRenewal
        {
            Metadata = new ObjectMeta { Name = "all", Namespace = "certs" },
            Spec = new CertificateRenewalSpec { Secrets = new ObjectSelection(), Interval = "1h" },
        });
        while ((await admin.GetAsync(OperatorKinds.CertificateRenewals, "certs", "all")).Status?.Certificates != 2000) await Task.Delay(100);
        rows.Add(Harness.Row("scan of 2,000 TLS Secrets (list, parse, key check, status, metrics)", $"{sw.Elapsed.TotalSeconds:F1} s, {Harness.CpuSeconds(op.Id) - cpuBefore:F1} s CPU"));
        rows.Add(Harness.Row("operator RSS after the scan (500 ServiceLevels still probing)", $"{Harness.RssMiB(op.Id):F1} MiB"));
        op.Kill(entireProcessTree: true);
        sim.Kill(entireProcessTree: true);
        service.Stop();
        return rows;
    }

    private static async Task<double> RequestsAsync(int metricsPort)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        return text.Split('\n').Where(l => l.StartsWith("rest_client_requests_total{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
