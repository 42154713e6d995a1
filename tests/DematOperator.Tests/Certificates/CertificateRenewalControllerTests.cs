using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Certificates;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Certificates;

/// <summary>CertificateRenewal against the emulator with real certificates, a controlled clock and the real openssl.</summary>
public sealed partial class CertificateRenewalControllerTests : IAsyncLifetime
{
    private const string Ns = "platau-prod";
    private static readonly ResourceType<DynamicObject> Routes = CertificateRenewalReconciler.Routes;
    private static readonly ResourceType<DynamicObject> CmCertificates = CertificateRenewalReconciler.CertManagerCertificates;
    private readonly ManualTimeProvider _clock = new(TestClock.Start);
    private readonly MetricsRegistry _metrics = new();
    private readonly TestPki.Issued _root = TestPki.RootCa();
    private TestPki.Issued _intermediate = null!;
    private SimHost _host = null!;
    private KubeClient _client = null!;
    /// <summary>The operator's own client: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;

    public async Task InitializeAsync()
    {
        _intermediate = TestPki.Sign(_root, "CN=IGC Serveurs Test,O=Ministere,C=FR", true, TestClock.Start.AddYears(-1), TestClock.Start.AddYears(5), isCa: true);
        _host = await OperatorClusters.StartAsync(_clock, "rbx");
        _client = OperatorClusters.Admin(_host, "rbx", _clock);
        _operator = OperatorClusters.Operator(_host, "rbx", _metrics, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10), MaxRetries = 1 });
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = Ns } });
        await TlsSecret("igc-ca", _intermediate.CertPem + _root.CertPem, _intermediate.KeyPem, ca: _root.CertPem, labels: []);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
    }

    private Task<Secret> TlsSecret(string name, string crt, string key, string? ca = null, Dictionary<string, string>? labels = null, Dictionary<string, string>? annotations = null)
    {
        var data = new Dictionary<string, byte[]> { ["tls.crt"] = Encoding.ASCII.GetBytes(crt), ["tls.key"] = Encoding.ASCII.GetBytes(key) };
        if (ca is not null) data["ca.crt"] = Encoding.ASCII.GetBytes(ca);
        return _client.CreateAsync(Resources.Secrets, new Secret
        {
            Metadata = new ObjectMeta { Name = name, Namespace = Ns, Labels = labels ?? new() { ["renew"] = "true" }, Annotations = annotations },
            Type = "kubernetes.io/tls", Data = data,
        });
    }

    private TestPki.Issued Leaf(double daysLeft, string cn = "platau.example.gouv.fr", TestPki.Issued? issuer = null) =>
        TestPki.Sign(issuer ?? _intermediate, $"CN={cn}", false, TestClock.Start.AddDays(-60), TestClock.Start.AddDays(daysLeft), [cn]);

    private async Task Workload(ResourceType<DynamicObject> type, string name, JsonObject podSpec, bool paused = false)
    {
        var spec = new JsonObject
        {
            ["replicas"] = 1,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } }, ["spec"] = podSpec },
        };
        if (paused) spec["paused"] = true;
        await _client.CreateAsync(type, new DynamicObject { Metadata = new ObjectMeta { Name = name, Namespace = Ns }, Fields = new JsonObject { ["spec"] = spec } });
    }

    private static JsonObject Pod(JsonObject? volume = null, JsonObject? container = null)
    {
        var c = container ?? new JsonObject();
        c["name"] = "app";
        c["image"] = "registry.example/app";
        var pod = new JsonObject { ["containers"] = new JsonArray(c) };
        if (volume is not null) pod["volumes"] = new JsonArray(volume);
        return pod;
    }

    private DematOperator.Kube.Controllers.Controller? _controller;

    /// <summary>
    /// Before moving the clock: no reconcile in flight and its wake-up registered. A wake-up registered after the clock
    /// moved would count its delay from the new time and be late by the whole step.
    /// </summary>
    private Task ControllerIdleWithWakeUp() =>
        Eventually.HoldsAsync(() => _controller is { } c && c.InFlight.Length == 0 && c.Queue.Length == 0 && c.Queue.Waiting > 0, "controller idle, its next check scheduled");

    private RunningOperator StartOperator()
    {
        var informer = new Informer<CertificateRenewal>(_operator, OperatorKinds.CertificateRenewals);
        var requests = CertificateRenewalController.SigningRequestInformer(_operator);
        var controller = _controller = CertificateRenewalController.Create(_operator, informer, requests, new EventRecorder(_operator, "dematoperator"), _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        return new RunningOperator(Task.WhenAll(informer.RunAsync(stop.Token), requests.RunAsync(stop.Token), controller.RunAsync(stop.Token)), stop);
    }

    private Task Renewal(string name, Action<CertificateRenewalSpec> tweak)
    {
        var spec = new CertificateRenewalSpec
        {
            RenewBefore = "720h",
            Issuer = new IssuerSpec { Ca = new SecretReference { Name = "igc-ca" } },
            Certificate = new NewCertificateSpec { Duration = "2160h", PrivateKey = new PrivateKeySpec { Algorithm = "ECDSA", Size = 256 } },
        };
        tweak(spec);
        return _client.CreateAsync(OperatorKinds.CertificateRenewals, new CertificateRenewal { Metadata = new ObjectMeta { Name = name, Namespace = Ns }, Spec = spec });
    }

    private async Task<CertificateStatusItem> Item(string renewal, string name, Func<CertificateStatusItem, bool> until, string what)
    {
        CertificateStatusItem? found = null;
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                var cr = await _client.GetAsync(OperatorKinds.CertificateRenewals, Ns, renewal);
                found = cr.Status?.Items?.FirstOrDefault(i => i.Name == name);
                return found is not null && until(found);
            }, $"{renewal}/{name}: {what}", TimeSpan.FromSeconds(20));
        }
        catch (Xunit.Sdk.XunitException e)
        {
            var reconciles = string.Join("; ", _metrics.Scrape().Split('\n').Where(l => l.StartsWith("controller_runtime_reconcile_total") || l.StartsWith("controller_runtime_reconcile_panics")));
            throw new Xunit.Sdk.XunitException($"{e.Message} (last seen: {found?.State} {found?.Message}; {reconciles})");
        }
        return found!;
    }

    private async Task<string> Text(string secret, string key) => Encoding.ASCII.GetString((await _client.GetAsync(Resources.Secrets, Ns, secret)).Data![key]);

    [Fact]
    public async Task A_secret_expiring_in_five_days_is_renewed_verified_kept_and_its_workloads_rolled_after_the_write()
    {
        var old = Leaf(5);
        await TlsSecret("platau-tls", old.CertPem + _intermediate.CertPem, old.KeyPem);
        var fine = Leaf(60, "portal.example.gouv.fr");
        await TlsSecret("portal-tls", fine.CertPem, fine.KeyPem);
        await Workload(Resources.Deployments, "portal", Pod(new JsonObject { ["name"] = "tls", ["secret"] = new JsonObject { ["secretName"] = "platau-tls" } }));
        await Workload(Resources.StatefulSets, "api", Pod(new JsonObject { ["name"] = "tls", ["projected"] = new JsonObject { ["sources"] = new JsonArray(new JsonObject { ["secret"] = new JsonObject { ["name"] = "platau-tls" } }) } }));
        await Workload(Resources.Deployments, "worker", Pod(container: new JsonObject { ["env"] = new JsonArray(new JsonObject { ["name"] = "TLS_KEY", ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = "platau-tls", ["key"] = "tls.key" } } }) }), paused: true);
        await Workload(Resources.Deployments, "unrelated", Pod());
        await Renewal("platau", s =>
        {
            s.Secrets = new ObjectSelection { Selector = new LabelSelectorSpec { MatchLabels = new() { ["renew"] = "true" } } };
            s.Rollout = new RolloutSpec { Enabled = true };
        });
        await using var op = StartOperator();

        var item = await Item("platau", "platau-tls", i => i.State == "Renewed", "renewed");
        item.Subject.ShouldBe("CN=platau.example.gouv.fr");
        item.DnsNames.ShouldBe(["platau.example.gouv.fr"]);
        item.Serial.ShouldNotBe(old.Certificate.SerialNumber);
        (await Item("platau", "portal-tls", i => i.State == "Valid", "still valid")).Message.ShouldBeNull();

        var secret = await _client.GetAsync(Resources.Secrets, Ns, "platau-tls");
        secret.Metadata.Annotations![CertificateRenewalReconciler.SerialAnnotation].ShouldBe(item.Serial);
        secret.Metadata.Annotations[CertificateRenewalReconciler.RevisionAnnotation].ShouldBe("1");
        var dir = Directory.CreateTempSubdirectory("renewed-").FullName;
        var chain = DematOperator.Certificates.Pki.ParseChain(await Text("platau-tls", "tls.crt"), "tls.crt");
        await File.WriteAllTextAsync(Path.Combine(dir, "leaf.pem"), chain[0].ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(dir, "chain.pem"), string.Concat(chain.Skip(1).Select(c => c.ExportCertificatePem() + "\n")));
        await File.WriteAllTextAsync(Path.Combine(dir, "ca.pem"), await Text("platau-tls", "ca.crt"));
        (await TestPki.OpenSsl(dir, "verify", "-attime", TestClock.Epoch(_clock.GetUtcNow()), "-CAfile", "ca.pem", "-untrusted", "chain.pem", "leaf.pem")).Output.ShouldContain("leaf.pem: OK");
        (await Text("platau-tls-previous", "tls.crt")).ShouldContain(old.Certificate.ExportCertificatePem().Split('\n')[1]);

        var annotation = "ops.demat.gouv.fr/cert-platau-tls";
        await Eventually.HoldsAsync(async () => (string?)(await _client.GetAsync(Resources.StatefulSets, Ns, "api")).Spec!["template"]!["metadata"]!["annotations"]?[annotation] == item.Serial, "statefulset rolled");
        var portal = await _client.GetAsync(Resources.Deployments, Ns, "portal");
        ((string?)portal.Spec!["template"]!["metadata"]!["annotations"]![annotation]).ShouldBe(item.Serial);
        long.Parse(portal.Metadata.ResourceVersion!).ShouldBeGreaterThan(long.Parse(secret.Metadata.ResourceVersion!), "rolled after the Secret held the new certificate");
        (await _client.GetAsync(Resources.Deployments, Ns, "worker")).Spec!["template"]!["metadata"]!["annotations"].ShouldBeNull("a paused Deployment is never rolled");
        (await _client.GetAsync(Resources.Deployments, Ns, "unrelated")).Spec!["template"]!["metadata"]!["annotations"].ShouldBeNull();

        var events = (await _client.ListAsync(Resources.Events, Ns)).Items;
        events.ShouldContain(e => e.Reason == "CertificateRenewed" && e.InvolvedObject!.Kind == "Secret" && e.InvolvedObject.Name == "platau-tls");
        events.ShouldContain(e => e.Reason == "CertificateRenewed" && e.InvolvedObject!.Kind == "CertificateRenewal");
        events.ShouldContain(e => e.Reason == "RolledOut");
        var scrape = _metrics.Scrape();
        scrape.ShouldContain("demat_certificate_renewals_total{namespace=\"platau-prod\",name=\"platau-tls\",source=\"Secret\",subject=\"CN=platau.example.gouv.fr\",result=\"success\"} 1");
        scrape.ShouldContain("demat_certificate_ready{namespace=\"platau-prod\",name=\"portal-tls\",source=\"Secret\",subject=\"CN=portal.example.gouv.fr\"} 1");
        (await DematOperator.Kube.Tests.Promtool.CheckMetricsAsync(scrape)).ShouldBe("");

        // The next pass finds it valid and writes nothing more.
        await ControllerIdleWithWakeUp();
        _clock.Advance(TimeSpan.FromHours(1));
        await Item("platau", "platau-tls", i => i.State == "Valid", "valid after renewal");
        (await _client.GetAsync(Resources.Secrets, Ns, "platau-tls")).Metadata.Annotations![CertificateRenewalReconciler.RevisionAnnotation].ShouldBe("1");
    }

    [Fact]
    public async Task A_cert_manager_secret_gets_the_issuing_condition_and_is_never_written()
    {
        var old = Leaf(3);
        var secret = await TlsSecret("cm-tls", old.CertPem, old.KeyPem, annotations: new() { [CertificateRenewalReconciler.CertManagerNameAnnotation] = "platau-cert" });
        await _client.CreateAsync(CmCertificates, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "platau-cert", Namespace = Ns },
            Fields = JsonNode.Parse("""{"spec":{"secretName":"cm-tls","dnsNames":["platau.example.gouv.fr"],"issuerRef":{"name":"igc","kind":"ClusterIssuer"}}}""")!.AsObject(),
        });
        await Renewal("cm", s => { s.Issuer = new IssuerSpec { CertManager = true }; s.Secrets = new ObjectSelection { Names = ["cm-tls"] }; });
        await using var op = StartOperator();
        await Item("cm", "cm-tls", i => i.Message?.Contains("re-issuance of Certificate platau-cert triggered") == true, "triggered");
        var certificate = await _client.GetAsync(CmCertificates, Ns, "platau-cert");
        var issuing = certificate.Status!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Issuing")!;
        ((string?)issuing["status"]).ShouldBe("True");
        ((string?)issuing["reason"]).ShouldBe("ManuallyTriggered");
        ((string?)issuing["message"]).ShouldBe("Certificate re-issuance manually triggered");
        (await _client.GetAsync(Resources.Secrets, Ns, "cm-tls")).Metadata.ResourceVersion.ShouldBe(secret.Metadata.ResourceVersion);
        (await _client.TryGetAsync(Resources.Secrets, Ns, "cm-tls-previous")).ShouldBeNull();
    }

    /// <summary>An edge Route for portal.apps.rbx.example holding its certificate inline.</summary>
    private Task<DynamicObject> EdgeRoute(string name, TestPki.Issued certificate, string? caCertificate = null)
    {
        var tls = new JsonObject { ["termination"] = "edge", ["certificate"] = certificate.CertPem, ["key"] = certificate.KeyPem };
        if (caCertificate is not null) tls["caCertificate"] = caCertificate;
        return _client.CreateAsync(Routes, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = name, Namespace = Ns },
            Fields = new JsonObject
            {
                ["spec"] = new JsonObject { ["host"] = "portal.apps.rbx.example", ["to"] = new JsonObject { ["kind"] = "Service", ["name"] = "portal" }, ["tls"] = tls },
            },
        });
    }

    [Fact]
    public async Task A_route_certificate_is_replaced_inline()
    {
        var old = Leaf(4, "portal.apps.rbx.example");
        await EdgeRoute("portal", old, _root.CertPem);
        await Renewal("routes", s => s.Routes = new ObjectSelection { Names = ["portal"] });
        await using var op = StartOperator();
        var item = await Item("routes", "portal", i => i.State == "Renewed", "route renewed");
        var route = await _client.GetAsync(Routes, Ns, "portal");
        var tls = route.Spec!["tls"]!;
        var leaf = DematOperator.Certificates.Pki.ParseChain((string)tls["certificate"]!, "route")[0];
        leaf.SerialNumber.ShouldBe(item.Serial);
        using var key = DematOperator.Certificates.Pki.ParseKey((string)tls["key"]!, "key");
        DematOperator.Certificates.Pki.KeyMatches(leaf, key).ShouldBeTrue();
        ((string?)tls["caCertificate"]).ShouldContain(_root.Certificate.ExportCertificatePem().Split('\n')[1]);
        ((string?)tls["termination"]).ShouldBe("edge");
        (await _client.GetAsync(Resources.Secrets, Ns, "route-portal-previous")).Data!["tls.crt"].ShouldBe(Encoding.ASCII.GetBytes(old.CertPem));
    }

    [Fact]
    public async Task A_conflict_on_the_secret_write_is_read_again_and_retried_at_once_not_at_the_next_interval()
    {
        var old = Leaf(5);
        await TlsSecret("platau-tls", old.CertPem + _intermediate.CertPem, old.KeyPem);
        var conflict = _host["rbx"].Cluster.Faults.ConflictOn("update", "secrets", "platau-tls");
        await Renewal("platau", s => { s.Interval = "24h"; s.Secrets = new ObjectSelection { Names = ["platau-tls"] }; });
        await using var op = StartOperator();
        // The clock stands still: only a retry at once, not the next 24 h check, can renew it.
        await Item("platau", "platau-tls", i => i.State == "Renewed", "renewed after the conflict");
        conflict.Remaining.ShouldBe(0, "the write met the injected 409");
        _metrics.Scrape().ShouldContain("controller_runtime_reconcile_total{controller=\"certificaterenewal\",result=\"requeue\"} 1");
        var secret = await _client.GetAsync(Resources.Secrets, Ns, "platau-tls");
        DematOperator.Certificates.Pki.ParseChain(Encoding.ASCII.GetString(secret.Data!["tls.crt"]), "tls.crt")[0].SerialNumber.ShouldNotBe(old.Certificate.SerialNumber);
    }

    [Fact]
    public async Task A_conflict_on_the_route_patch_is_read_again_and_retried_at_once()
    {
        var old = Leaf(4, "portal.apps.rbx.example");
        await EdgeRoute("portal", old);
        var conflict = _host["rbx"].Cluster.Faults.ConflictOn("patch", "routes", "portal");
        await Renewal("routes", s => { s.Interval = "24h"; s.Routes = new ObjectSelection { Names = ["portal"] }; });
        await using var op = StartOperator();
        await Item("routes", "portal", i => i.State == "Renewed", "route renewed after the conflict");
        conflict.Remaining.ShouldBe(0, "the patch met the injected 409");
    }

    [Fact]
    public async Task Renewals_wait_for_the_maintenance_window_unless_the_certificate_would_expire_first()
    {
        var paris = NodaTime.DateTimeZoneProviders.Tzdb["Europe/Paris"];
        var opens = NodaTime.Instant.FromDateTimeOffset(_clock.GetUtcNow()).Plus(NodaTime.Duration.FromHours(6)).InZone(paris);
        var waiting = Leaf(5, "waits.example.gouv.fr");
        await TlsSecret("waits-tls", waiting.CertPem, waiting.KeyPem);
        var urgent = Leaf(0.1, "urgent.example.gouv.fr");
        await TlsSecret("urgent-tls", urgent.CertPem, urgent.KeyPem);
        await Renewal("window", s =>
        {
            s.Secrets = new ObjectSelection { Names = ["waits-tls", "urgent-tls"] };
            s.MaintenanceWindow = new MaintenanceWindowSchedule { Schedule = $"{opens.Minute} {opens.Hour} * * *", Duration = "2h", TimeZone = "Europe/Paris" };
        });
        await using var op = StartOperator();
        await Item("window", "urgent-tls", i => i.State == "Renewed", "urgent renewed at once: it expires before the window");
        (await Item("window", "waits-tls", i => i.State == "RenewalDue", "waits")).Message!.ShouldContain("waiting for the maintenance window");
        await ControllerIdleWithWakeUp();
        _clock.Advance(TimeSpan.FromHours(6) + TimeSpan.FromMinutes(1));
        await Item("window", "waits-tls", i => i.State is "Renewed" or "Valid" && i.LastRenewal is not null, "renewed in the window");
    }

    [Fact]
    public async Task Bad_material_and_bad_cas_put_that_certificate_in_error_and_the_others_go_on()
    {
        var good = Leaf(60, "good.example.gouv.fr");
        await TlsSecret("good-tls", good.CertPem, good.KeyPem);
        await TlsSecret("garbage-tls", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", good.KeyPem);
        var other = Leaf(60, "other.example.gouv.fr");
        await TlsSecret("mismatch-tls", good.CertPem, other.KeyPem);
        var due = Leaf(2, "due.example.gouv.fr");
        await TlsSecret("due-tls", due.CertPem, due.KeyPem);
        var notCa = TestPki.RootCa(isCa: false);
        await TlsSecret("not-a-ca", notCa.CertPem, notCa.KeyPem, labels: []);
        var expired = TestPki.RootCa(notBefore: TestClock.Start.AddYears(-2), notAfter: TestClock.Start.AddDays(-1));
        await TlsSecret("expired-ca", expired.CertPem, expired.KeyPem, labels: []);
        var noSign = TestPki.RootCa(keyCertSign: false);
        await TlsSecret("nosign-ca", noSign.CertPem, noSign.KeyPem, labels: []);
        var dueMain = Leaf(2, "due-main.example.gouv.fr");
        await TlsSecret("due-main", dueMain.CertPem, dueMain.KeyPem);
        var names = new List<string> { "good-tls", "garbage-tls", "mismatch-tls", "due-main" };
        await Renewal("main", s => s.Secrets = new ObjectSelection { Names = names });
        foreach (var (cr, ca) in new[] { ("missing", "nope"), ("notca", "not-a-ca"), ("expired", "expired-ca"), ("nosign", "nosign-ca") })
            await Renewal(cr, s => { s.Secrets = new ObjectSelection { Names = ["due-tls"] }; s.Issuer = new IssuerSpec { Ca = new SecretReference { Name = ca } }; });
        await _client.CreateAsync(OperatorKinds.CertificateRenewals, new CertificateRenewal
        {
            Metadata = new ObjectMeta { Name = "both", Namespace = Ns },
            Spec = new CertificateRenewalSpec { RenewBefore = "720h", RenewBeforePercentage = 30, Secrets = new ObjectSelection { Names = ["good-tls"] } },
        });
        await using var op = StartOperator();
        (await Item("main", "garbage-tls", i => i.State == "Error", "garbage")).Message!.ShouldContain("tls.crt");
        (await Item("main", "mismatch-tls", i => i.State == "Error", "mismatch")).Message!.ShouldContain("does not match");
        (await Item("main", "good-tls", i => i.State == "Valid", "good")).Serial.ShouldBe(good.Certificate.SerialNumber);
        (await Item("main", "due-main", i => i.State == "Renewed", "the CA is fine in main")).LastRenewal.ShouldNotBeNull();
        foreach (var (cr, message) in new[] { ("missing", "not found"), ("notca", "is not a CA"), ("expired", "expired"), ("nosign", "keyCertSign") })
            (await Item(cr, "due-tls", i => i.State == "Error", cr)).Message!.ShouldContain(message);
        (await Text("due-tls", "tls.crt")).ShouldBe(due.CertPem, "nothing written with an unusable CA");
        await Eventually.HoldsAsync(async () => Conditions.Find((await _client.GetAsync(OperatorKinds.CertificateRenewals, Ns, "both")).Status?.Conditions, "Ready")?.Reason == "ConflictingFields", "exclusive fields");
        var text = string.Join("\n", (await _client.ListAsync(Resources.Events, Ns)).Items.Select(e => e.Message));
        text.ShouldNotContain("PRIVATE KEY");
    }

    [Fact]
    public async Task A_failed_write_leaves_the_secret_whole_and_the_next_check_renews_it()
    {
        var old = Leaf(3);
        await TlsSecret("platau-tls", old.CertPem, old.KeyPem);
        await Renewal("platau", s => { s.Secrets = new ObjectSelection { Names = ["platau-tls"] }; s.Interval = "1m"; });
        var fault = _host["rbx"].Cluster.Faults.FailRequests(500, verb: "update", resource: "secrets");
        await using var op = StartOperator();
        await Eventually.HoldsAsync(async () => await _client.TryGetAsync(Resources.Secrets, Ns, "platau-tls-previous") is not null, "previous kept before the write");
        // A reconcile ended on the refused write (the 500 reached the controller) before the Secret is judged.
        await Eventually.HoldsAsync(() => _metrics.Scrape().Split('\n').Any(l => l.StartsWith("controller_runtime_reconcile_errors_total{controller=\"certificaterenewal\"}", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal)),
            "a reconcile failed on the write");
        var secret = await _client.GetAsync(Resources.Secrets, Ns, "platau-tls");
        var cert = DematOperator.Certificates.Pki.ParseChain(Encoding.ASCII.GetString(secret.Data!["tls.crt"]), "crt")[0];
        using (var key = DematOperator.Certificates.Pki.ParseKey(Encoding.ASCII.GetString(secret.Data["tls.key"]), "key"))
            DematOperator.Certificates.Pki.KeyMatches(cert, key).ShouldBeTrue("the Secret is whole: old certificate with old key");
        cert.SerialNumber.ShouldBe(old.Certificate.SerialNumber);
        _host["rbx"].Cluster.Faults.Remove(fault);
        await ControllerIdleWithWakeUp();
        _clock.Advance(TimeSpan.FromMinutes(2));
        await Item("platau", "platau-tls", i => i.State == "Renewed" || i.LastRenewal is not null, "renewed once the API accepts the write");
    }

    [Fact]
    public async Task An_endpoint_still_serving_the_old_certificate_is_reported()
    {
        var old = Leaf(20, "localhost");
        var renewed = Leaf(90, "localhost");
        await TlsSecret("served-tls", renewed.CertPem, renewed.KeyPem);
        using var served = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(old.CertPem, old.KeyPem);
        // Port 0: the system picks a free port (a random one collided with ephemeral ports now and then).
        using var kestrel = new HostBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureWebHost(w => w.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(served)))
                .Configure(app => app.Run(ctx => ctx.Response.WriteAsync("ok"))))
            .Build();
        await kestrel.StartAsync();
        var bound = kestrel.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single();
        var port = new Uri(bound).Port;
        try
        {
            await Renewal("endpoints", s =>
            {
                s.Issuer = null;
                s.Endpoints =
                [
                    new EndpointSpec { Name = "portal", Host = "127.0.0.1", Port = port, ServerName = "localhost", Secret = new SecretReference { Name = "served-tls" } },
                    new EndpointSpec { Name = "down", Host = "127.0.0.1", Port = 1 },
                ];
            });
            await using var op = StartOperator();
            var item = await Item("endpoints", "portal", i => i.State == "Error", "stale endpoint");
            item.Message!.ShouldContain("served certificate is not the renewed one");
            item.Serial.ShouldBe(old.Certificate.SerialNumber);
            (await Item("endpoints", "down", i => i.State == "Error", "unreachable")).Message!.ShouldContain("unreachable");
            _metrics.Scrape().ShouldContain("demat_certificate_served_current{namespace=\"platau-prod\",name=\"portal\",source=\"Endpoint\",subject=\"CN=localhost\"} 0");
        }
        finally { await kestrel.StopAsync(); }
    }
}
