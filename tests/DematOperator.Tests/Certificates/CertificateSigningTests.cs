using System.Text;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Certificates;
using DematOperator.Foreign;
using DematOperator.Kube.Api;
using DematOperator.Kube.Writes;
using DematOperator.TestSupport;

namespace DematOperator.Tests.Certificates;

/// <summary>
/// External signing through certificates.k8s.io/v1, with the test as the ministry's IGC: the real kubectl approves
/// or denies (what an ops engineer types, as docs/certificaterenewal.md gives it) and the real `openssl ca` signs with
/// a CA key the operator never sees. Then creation and deletion of listed certificates, and misconfigurations.
/// </summary>
public sealed partial class CertificateRenewalControllerTests
{
    private const string Signer = "igc.developpement-durable.gouv.fr/server";
    private string? _igcDir;

    /// <summary>The IGC's desk: its intermediate's key and openssl's CA database, outside the cluster.</summary>
    private async Task<string> IgcAsync()
    {
        if (_igcDir is not null) return _igcDir;
        var dir = Directory.CreateTempSubdirectory("igc-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "igc.pem"), _intermediate.CertPem);
        await File.WriteAllTextAsync(Path.Combine(dir, "igc.key"), _intermediate.KeyPem);
        await File.WriteAllTextAsync(Path.Combine(dir, "index.txt"), "");
        await File.WriteAllTextAsync(Path.Combine(dir, "serial"), "1000\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "igc.cnf"), """
            [ca]
            default_ca = igc
            [igc]
            dir = .
            database = index.txt
            new_certs_dir = .
            serial = serial
            default_md = sha256
            policy = any
            unique_subject = no
            copy_extensions = copy
            x509_extensions = server
            [any]
            commonName = supplied
            [server]
            basicConstraints = critical,CA:FALSE
            authorityKeyIdentifier = keyid
            """);
        return _igcDir = dir;
    }

    private Kubectl KubectlFor()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("kubeconfig-").FullName, "kubeconfig");
        File.WriteAllText(path, _host.Kubeconfig());
        return new Kubectl(path);
    }

    /// <summary>`openssl ca` signs the request at the test's instant (openssl's own clock would be the machine's) and hands back leaf and intermediate.</summary>
    private async Task<string> IgcSignsAsync(string requestPem, TestPki.Issued? otherCa = null, string[]? extra = null)
    {
        var dir = await IgcAsync();
        var name = Guid.NewGuid().ToString("N")[..8];
        await File.WriteAllTextAsync(Path.Combine(dir, $"{name}.csr"), requestPem);
        var (cert, key) = otherCa is null ? ("igc.pem", "igc.key") : ($"{name}-other.pem", $"{name}-other.key");
        if (otherCa is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, cert), otherCa.CertPem);
            await File.WriteAllTextAsync(Path.Combine(dir, key), otherCa.KeyPem);
        }
        var now = _clock.GetUtcNow();
        var (code, output) = await TestPki.OpenSsl(dir, ["ca", "-batch", "-config", "igc.cnf", "-cert", cert, "-keyfile", key, "-in", $"{name}.csr", "-out", $"{name}.pem", "-notext",
            "-startdate", now.AddMinutes(-5).ToString("yyyyMMddHHmmss'Z'"), "-enddate", now.AddDays(365).ToString("yyyyMMddHHmmss'Z'"), .. extra ?? []]);
        code.ShouldBe(0, output);
        return await File.ReadAllTextAsync(Path.Combine(dir, $"{name}.pem")) + (otherCa is null ? _intermediate.CertPem : otherCa.CertPem);
    }

    private async Task TrustAnchor() =>
        await _client.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "igc-trust", Namespace = Ns }, Data = new() { ["ca.crt"] = _root.CertPem } });

    private static IssuerSpec External() => new()
    {
        External = new ExternalIssuerSpec { SignerName = Signer, ExpirationSeconds = 31_536_000, TrustAnchor = new TrustAnchorReference { Name = "igc-trust" } },
    };

    private async Task<CertificateSigningRequest> RequestFor(string renewal, string name)
    {
        var item = await Item(renewal, name, i => i.State == nameof(CertificateState.Pending) && i.SignatureRequest is not null, "a signature requested");
        return await _client.GetAsync(ForeignKinds.CertificateSigningRequests, null, item.SignatureRequest!);
    }

    private async Task ApproveAndSign(Kubectl kubectl, string csrName, TestPki.Issued? otherCa = null)
    {
        (await kubectl.RunAsync("certificate", "approve", csrName)).ShouldSucceed();
        var request = Encoding.ASCII.GetString(Convert.FromBase64String((await kubectl.RunAsync("get", "csr", csrName, "-o", "jsonpath={.spec.request}")).ShouldSucceed().Stdout));
        var signed = await IgcSignsAsync(request, otherCa);
        (await kubectl.RunAsync("patch", "csr", csrName, "--subresource=status", "--type=merge", "-p",
            $$$"""{"status":{"certificate":"{{{Convert.ToBase64String(Encoding.ASCII.GetBytes(signed))}}}"}}""")).ShouldSucceed();
    }

    /// <summary>Reconciles that ended with a planned wake-up: each is one complete check.</summary>
    private double Reconciles() =>
        _metrics.Scrape().Split('\n').Where(l => l.StartsWith("controller_runtime_reconcile_total{controller=\"certificaterenewal\",result=\"requeue_after\"}", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Single();

    [Fact]
    public async Task A_due_certificate_is_renewed_through_a_signing_request_signed_outside_the_operator_verified_installed_and_rolled()
    {
        var old = Leaf(5);
        await TlsSecret("platau-tls", old.CertPem + _intermediate.CertPem, old.KeyPem);
        await Workload(Resources.Deployments, "portal", Pod(new JsonObject { ["name"] = "tls", ["secret"] = new JsonObject { ["secretName"] = "platau-tls" } }));
        await TrustAnchor();
        await Renewal("igc", s =>
        {
            s.Issuer = External();
            s.Secrets = new ObjectSelection { Names = ["platau-tls"] };
            s.Rollout = new RolloutSpec { Enabled = true };
        });
        await using var op = StartOperator();

        var csr = await RequestFor("igc", "platau-tls");
        csr.Spec.SignerName.ShouldBe(Signer);
        csr.Spec.ExpirationSeconds.ShouldBe(31_536_000);
        csr.Spec.Usages.ShouldBe(["digital signature", "key encipherment", "server auth"]);
        csr.Spec.Username.ShouldNotBeNullOrEmpty("the API server stamps the requester");
        var dir = await IgcAsync();
        await File.WriteAllBytesAsync(Path.Combine(dir, "check.csr"), csr.Spec.Request!);
        var text = await TestPki.OpenSsl(dir, "req", "-in", "check.csr", "-noout", "-verify", "-text");
        text.Output.ShouldContain("verify OK");
        text.Output.ShouldContain("CN = platau.example.gouv.fr");
        text.Output.ShouldContain("DNS:platau.example.gouv.fr");
        text.Output.ShouldContain("ASN1 OID: prime256v1", customMessage: "the key follows certificate.privateKey (ECDSA 256)");
        var keySecret = await _client.GetAsync(Resources.Secrets, Ns, "platau-tls-next-key");
        keySecret.Data!.ShouldContainKey("tls.key");
        var cr = await _client.GetAsync(OperatorKinds.CertificateRenewals, Ns, "igc");
        System.Text.Json.JsonSerializer.Serialize(cr, OperatorJsonContext.Default.CertificateRenewal).ShouldNotContain("PRIVATE KEY");
        (await Text("platau-tls", "tls.crt")).ShouldBe(old.CertPem + _intermediate.CertPem, "nothing is written before the signature");

        // The IGC approves and signs; the operator is woken by its watch on the request, the clock stands still.
        var kubectl = KubectlFor();
        await ApproveAndSign(kubectl, csr.Name);
        var item = await Item("igc", "platau-tls", i => i.State == nameof(CertificateState.Renewed), "installed from the signed request");
        item.Message!.ShouldContain($"signed through CertificateSigningRequest {csr.Name} (approved: KubectlApprove");
        item.SignatureRequest.ShouldBeNull();

        var chain = Pki.ParseChain(await Text("platau-tls", "tls.crt"), "tls.crt");
        chain.Count.ShouldBe(2, "leaf and intermediate, never the root");
        chain[0].SerialNumber.ShouldBe(item.Serial);
        chain[0].Issuer.ShouldBe(_intermediate.Certificate.Subject);
        using (var key = Pki.ParseKey(await Text("platau-tls", "tls.key"), "tls.key"))
        {
            Pki.KeyMatches(chain[0], key).ShouldBeTrue();
            key.ExportSubjectPublicKeyInfo().ShouldNotBe(old.Key.ExportSubjectPublicKeyInfo(), "a new key");
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "leaf.pem"), chain[0].ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(dir, "chain.pem"), chain[1].ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(dir, "root.pem"), await Text("platau-tls", "ca.crt"));
        (await TestPki.OpenSsl(dir, "verify", "-attime", TestClock.Epoch(_clock.GetUtcNow()), "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem")).Output.ShouldContain("leaf.pem: OK");
        (await Text("platau-tls-previous", "tls.crt")).ShouldContain(old.Certificate.ExportCertificatePem().Split('\n')[1]);
        await Eventually.HoldsAsync(async () =>
            (await _client.GetAsync(ForeignKinds.Deployments, Ns, "portal")).Spec?.Template?.Metadata?.Annotations?.GetValueOrDefault("ops.demat.gouv.fr/cert-platau-tls") == item.Serial, "rolled");
        await Eventually.HoldsAsync(async () => await _client.TryGetAsync(Resources.Secrets, Ns, "platau-tls-next-key") is null
            && await _client.TryGetAsync(ForeignKinds.CertificateSigningRequests, null, csr.Name) is null, "the key Secret and the request are gone once installed");
        var events = (await _client.ListAsync(Resources.Events, Ns)).Items;
        events.ShouldContain(e => e.Reason == "SignatureRequested" && e.Message!.Contains($"kubectl certificate approve {csr.Name}"));
        events.ShouldContain(e => e.Reason == "CertificateRenewed" && e.InvolvedObject!.Kind == "Secret" && e.Message!.Contains(csr.Name));
        string.Join("\n", events.Select(e => e.Message)).ShouldNotContain("PRIVATE KEY");
        _metrics.Scrape().ShouldContain("demat_certificate_renewals_total{namespace=\"platau-prod\",name=\"platau-tls\",source=\"Secret\",subject=\"CN=platau.example.gouv.fr\",result=\"success\"} 1");
    }

    [Fact]
    public async Task A_denied_request_leaves_the_old_certificate_with_one_event_and_is_asked_again_after_the_backoff()
    {
        var old = Leaf(5);
        await TlsSecret("platau-tls", old.CertPem + _intermediate.CertPem, old.KeyPem);
        await TrustAnchor();
        await Renewal("igc", s => { s.Issuer = External(); s.Secrets = new ObjectSelection { Names = ["platau-tls"] }; s.Interval = "10m"; });
        await using var op = StartOperator();
        var csr = await RequestFor("igc", "platau-tls");
        var kubectl = KubectlFor();
        (await kubectl.RunAsync("certificate", "deny", csr.Name)).ShouldSucceed();

        var item = await Item("igc", "platau-tls", i => i.Reason == CertificateReasons.SignatureDenied, "denied");
        item.State.ShouldBe(nameof(CertificateState.Error));
        item.Message!.ShouldContain("KubectlDeny");
        item.Message.ShouldContain("the current certificate stays");
        item.Serial.ShouldBe(old.Certificate.SerialNumber);
        (await Text("platau-tls", "tls.crt")).ShouldBe(old.CertPem + _intermediate.CertPem);
        var failure = (await _client.GetAsync(OperatorKinds.CertificateRenewals, Ns, "igc")).Status!.Items!.Single().LastSigningFailure!;
        (failure.Request, failure.Reason, failure.Attempts).ShouldBe((csr.Name, CertificateReasons.SignatureDenied, 1));

        // The next check finds the refusal in status: no second Event, no new request; the refused one goes, its key with it.
        await ControllerIdleWithWakeUp();
        var checks = Reconciles();
        _clock.Advance(TimeSpan.FromMinutes(11));
        await Eventually.HoldsAsync(() => Reconciles() > checks && _controller!.InFlight.Length == 0, "checked again");
        (await _client.ListAsync(Resources.Events, Ns)).Items.Count(e => e.Reason == CertificateReasons.SignatureDenied).ShouldBe(1);
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(ForeignKinds.CertificateSigningRequests, null)).Items.Count == 0
            && await _client.TryGetAsync(Resources.Secrets, Ns, "platau-tls-next-key") is null, "the refused request and its key are gone (garbage collector)");
        (await Item("igc", "platau-tls", i => true, "still refused")).Reason.ShouldBe(CertificateReasons.SignatureDenied);

        // After the backoff (1 h for a first refusal) a new request, with a new key, goes out.
        await ControllerIdleWithWakeUp();
        _clock.Advance(TimeSpan.FromMinutes(50));
        var again = await RequestFor("igc", "platau-tls");
        again.Name.ShouldNotBe(csr.Name);
        again.Name.ShouldEndWith("-2");
        again.Spec.Request.ShouldNotBe(csr.Spec.Request, "a new key");
        // A second refusal doubles the wait.
        (await KubectlFor().RunAsync("certificate", "deny", again.Name)).ShouldSucceed();
        var second = (await Item("igc", "platau-tls", i => i.LastSigningFailure?.Attempts == 2, "refused twice")).LastSigningFailure!;
        second.Request.ShouldBe(again.Name);
        (await Item("igc", "platau-tls", i => true, "refused twice")).Message!.ShouldContain($"asked again at {(second.Time + TimeSpan.FromHours(2)).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}");
    }

    [Fact]
    public async Task A_signed_certificate_that_does_not_chain_to_the_trust_anchor_is_not_installed()
    {
        var old = Leaf(5);
        await TlsSecret("platau-tls", old.CertPem + _intermediate.CertPem, old.KeyPem);
        await TrustAnchor();
        await Renewal("igc", s => { s.Issuer = External(); s.Secrets = new ObjectSelection { Names = ["platau-tls"] }; });
        await using var op = StartOperator();
        var csr = await RequestFor("igc", "platau-tls");
        var rogue = TestPki.RootCa("CN=Not The IGC,O=Elsewhere,C=FR");
        await ApproveAndSign(KubectlFor(), csr.Name, rogue);
        var item = await Item("igc", "platau-tls", i => i.Reason == CertificateReasons.CertificateRejected, "rejected");
        item.Message!.ShouldContain("does not chain to the trust anchor");
        (await Text("platau-tls", "tls.crt")).ShouldBe(old.CertPem + _intermediate.CertPem);
        (await _client.TryGetAsync(Resources.Secrets, Ns, "platau-tls-previous")).ShouldBeNull("nothing was written at all");
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Any(e => e.Reason == CertificateReasons.CertificateRejected && e.Type == "Warning"), "a Warning Event");
    }

    [Fact]
    public async Task Listed_certificates_that_do_not_exist_are_created_by_the_ca_or_the_signer_and_deleted_with_the_resource_under_deletion_policy_delete()
    {
        await TrustAnchor();
        await Renewal("created", s =>
        {
            s.DeletionPolicy = CertificateDeletionPolicy.Delete;
            s.Certificates =
            [
                new ManagedCertificateSpec { SecretName = "api-tls", DnsNames = ["api.platau.example.gouv.fr", "api-int.platau.example.gouv.fr"] },
                new ManagedCertificateSpec { SecretName = "ext-tls", CommonName = "Portail PLAT'AU", DnsNames = ["portail.platau.example.gouv.fr"], Issuer = External() },
            ];
        });
        await using var op = StartOperator();

        var api = await Item("created", "api-tls", i => i.State == nameof(CertificateState.Created), "created by the internal CA");
        api.Subject.ShouldBe("CN=api.platau.example.gouv.fr");
        api.DnsNames.ShouldBe(["api.platau.example.gouv.fr", "api-int.platau.example.gouv.fr"]);
        var secret = await _client.GetAsync(Resources.Secrets, Ns, "api-tls");
        secret.Type.ShouldBe("kubernetes.io/tls");
        var cr = await _client.GetAsync(OperatorKinds.CertificateRenewals, Ns, "created");
        secret.Metadata.Labels![CertificateWrites.CreatedByLabel].ShouldBe(cr.Metadata.Uid);
        cr.Metadata.Finalizers.ShouldContain(CertificateRenewalReconciler.Finalizer);
        var leaf = Pki.ParseChain(Encoding.ASCII.GetString(secret.Data!["tls.crt"]), "tls.crt")[0];
        Pki.DnsNames(leaf).ShouldBe(["api.platau.example.gouv.fr", "api-int.platau.example.gouv.fr"]);
        leaf.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value.ShouldBe("1.3.6.1.5.5.7.3.1");

        var csr = await RequestFor("created", "ext-tls");
        (await _client.TryGetAsync(Resources.Secrets, Ns, "ext-tls")).ShouldBeNull("not before the signature");
        var dir = await IgcAsync();
        await File.WriteAllBytesAsync(Path.Combine(dir, "ext.csr"), csr.Spec.Request!);
        var text = (await TestPki.OpenSsl(dir, "req", "-in", "ext.csr", "-noout", "-text")).Output;
        text.ShouldContain("CN = Portail PLAT'AU");
        text.ShouldContain("DNS:portail.platau.example.gouv.fr");
        await ApproveAndSign(KubectlFor(), csr.Name);
        (await Item("created", "ext-tls", i => i.State == nameof(CertificateState.Created), "created from the signed request")).Subject.ShouldBe("CN=Portail PLAT'AU");
        (await _client.GetAsync(Resources.Secrets, Ns, "ext-tls")).Metadata.Labels![CertificateWrites.CreatedByLabel].ShouldBe(cr.Metadata.Uid);

        // Owned by the resource under deletionPolicy Delete: the garbage collector deletes them with it.
        CertificateWrites.IsOwnedBy(await _client.GetAsync(Resources.Secrets, Ns, "ext-tls"), cr).ShouldBeTrue();
        // A certificate that leaves the list is released: kept, no longer owned nor renewed.
        await ObjectWriter.UpdateAsync(_client, OperatorKinds.CertificateRenewals, await _client.GetAsync(OperatorKinds.CertificateRenewals, Ns, "created"),
            c => c.Spec.Certificates!.RemoveAll(x => x.SecretName == "api-tls"), default);
        await Eventually.HoldsAsync(async () => (await _client.GetAsync(Resources.Secrets, Ns, "api-tls")) is var released
            && released.Metadata.OwnerReferences is null && released.Metadata.Labels?.ContainsKey(CertificateWrites.CreatedByLabel) != true, "released when it left the list");
        // Deleting the resource deletes what it created and still lists.
        await _client.DeleteAsync(OperatorKinds.CertificateRenewals, Ns, "created");
        await Eventually.HoldsAsync(async () => await _client.TryGetAsync(Resources.Secrets, Ns, "ext-tls") is null
            && await _client.TryGetAsync(OperatorKinds.CertificateRenewals, Ns, "created") is null, "deleted with the resource");
        (await _client.TryGetAsync(Resources.Secrets, Ns, "api-tls")).ShouldNotBeNull("a released Secret stays");
    }

    [Fact]
    public async Task With_deletion_policy_retain_created_certificates_outlive_the_resource_and_pending_requests_are_withdrawn()
    {
        await TrustAnchor();
        await Renewal("kept", s =>
        {
            s.Issuer = External();
            s.Certificates = [new ManagedCertificateSpec { SecretName = "kept-tls", DnsNames = ["kept.platau.example.gouv.fr"], Issuer = new IssuerSpec { Ca = new SecretReference { Name = "igc-ca" } } },
                              new ManagedCertificateSpec { SecretName = "waiting-tls", DnsNames = ["waiting.platau.example.gouv.fr"] }];
        });
        await using var op = StartOperator();
        await Item("kept", "kept-tls", i => i.State == nameof(CertificateState.Created), "created");
        var csr = await RequestFor("kept", "waiting-tls");
        await _client.DeleteAsync(OperatorKinds.CertificateRenewals, Ns, "kept");
        await Eventually.HoldsAsync(async () => await _client.TryGetAsync(OperatorKinds.CertificateRenewals, Ns, "kept") is null, "gone");
        (await _client.TryGetAsync(ForeignKinds.CertificateSigningRequests, null, csr.Name)).ShouldBeNull("no request is left behind");
        await Eventually.HoldsAsync(async () => await _client.TryGetAsync(Resources.Secrets, Ns, "waiting-tls-next-key") is null, "no key is left behind (garbage collector)");
        (await _client.TryGetAsync(Resources.Secrets, Ns, "kept-tls")).ShouldNotBeNull("Retain keeps what was created");
    }

    [Fact]
    public async Task Names_of_the_spec_that_do_not_resolve_make_ready_false_with_one_event_and_an_errors_column()
    {
        var good = Leaf(60, "good.example.gouv.fr");
        await TlsSecret("good-tls", good.CertPem, good.KeyPem);
        await Renewal("typo", s =>
        {
            s.Issuer = new IssuerSpec { Ca = new SecretReference { Name = "igc-ca-typo" } };
            s.Secrets = new ObjectSelection { Names = ["good-tls", "platau-tsl"] };
            s.Routes = new ObjectSelection { Names = ["portal"] };
        });
        await using var op = StartOperator();
        CertificateRenewal? cr = null;
        await Eventually.HoldsAsync(async () => Conditions.Find((cr = await _client.GetAsync(OperatorKinds.CertificateRenewals, Ns, "typo")).Status?.Conditions, "Ready")?.Status == "False", "not ready");
        var ready = Conditions.Find(cr!.Status!.Conditions, "Ready")!;
        ready.Reason.ShouldBe(CertificateReasons.IssuerNotFound);
        ready.Message.ShouldContain("CA Secret platau-prod/igc-ca-typo not found");
        ready.Message.ShouldContain("Secret platau-prod/platau-tsl not found");
        ready.Message.ShouldContain("Route platau-prod/portal not found");
        cr.Status.Errors.ShouldBe(2);
        cr.Status.Items!.Single(i => i.Name == "good-tls").State.ShouldBe(nameof(CertificateState.Valid), "the others go on");
        await Eventually.HoldsAsync(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Any(e => e.Reason == CertificateReasons.IssuerNotFound), "an Event");
        var table = (await KubectlFor().RunAsync("-n", Ns, "get", "certrenewal", "typo")).ShouldSucceed().Stdout;
        table.ShouldMatch(@"NAME\s+CERTIFICATES\s+EXPIRING SOON\s+ERRORS\s+NEXT RENEWAL\s+READY");
        table.ShouldMatch(@"typo\s+3\s+0\s+2\s+\S+\s+False");

        // The same problem at the next check is not a second Event.
        await ControllerIdleWithWakeUp();
        var checks = Reconciles();
        _clock.Advance(TimeSpan.FromHours(1));
        await Eventually.HoldsAsync(() => Reconciles() > checks && _controller!.InFlight.Length == 0, "checked again");
        (await _client.ListAsync(Resources.Events, Ns)).Items.Count(e => e.Reason == CertificateReasons.IssuerNotFound).ShouldBe(1);

        // Fixed: Ready again.
        await TlsSecret("platau-tsl", good.CertPem, good.KeyPem);
        await ObjectWriter.UpdateAsync(_client, OperatorKinds.CertificateRenewals, cr, c => { c.Spec.Issuer!.Ca!.Name = "igc-ca"; c.Spec.Routes = null; }, default);
        await Eventually.HoldsAsync(async () => Conditions.IsTrue((await _client.GetAsync(OperatorKinds.CertificateRenewals, Ns, "typo")).Status?.Conditions, "Ready"), "ready once fixed");
    }
}
