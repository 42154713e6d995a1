using System.Text.Json.Nodes;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.ThirdParty;
using DematOperator.TestSupport;

namespace DematOperator.KubeSim.Tests;

/// <summary>The emulator driven by the real kubectl over TLS with a bearer token, checked on output.</summary>
public sealed class KubectlTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private Kubectl Kubectl => sim.Kubectl;

    [Fact]
    public async Task Apply_reapply_and_configure_a_configmap_and_a_deployment()
    {
        await Kubectl.RunAsync("create", "namespace", "apply-test");
        const string yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: apply-test, labels: {app: web}}
            data: {level: "1"}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: apply-test}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: web
                    image: nginx:1
                    env: [{name: A, value: "1"}]
            """;
        (await Kubectl.ApplyAsync(yaml)).ShouldSucceed().Stdout.ShouldContain("configmap/settings created");
        var again = (await Kubectl.ApplyAsync(yaml)).ShouldSucceed().Stdout;
        again.ShouldContain("configmap/settings unchanged");
        again.ShouldContain("deployment.apps/web unchanged");
        var changed = (await Kubectl.ApplyAsync(yaml.Replace("level: \"1\"", "level: \"2\"").Replace("nginx:1", "nginx:2"))).ShouldSucceed().Stdout;
        changed.ShouldContain("configmap/settings configured");
        changed.ShouldContain("deployment.apps/web configured");
        (await Kubectl.RunAsync("-n", "apply-test", "get", "cm", "settings", "-o", "jsonpath={.data.level}")).ShouldSucceed().Stdout.ShouldBe("2");
        var deploy = JsonNode.Parse((await Kubectl.RunAsync("-n", "apply-test", "get", "deploy", "web", "-o", "json")).ShouldSucceed().Stdout)!;
        ((long)deploy["metadata"]!["generation"]!).ShouldBe(2);
        ((string)deploy["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!).ShouldBe("nginx:2");
        // The strategic merge patch kept the env list merged by name.
        ((string)deploy["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["name"]!).ShouldBe("A");
    }

    [Fact]
    public async Task Answers_say_no_cache_private_as_kube_apiserver_so_kubectl_never_reuses_stale_discovery()
    {
        var raw = (await Kubectl.RunAsync("get", "--raw", "/apis", "-v=8")).ShouldSucceed();
        raw.Stderr.ShouldContain("Cache-Control: no-cache, private");
    }

    [Fact]
    public async Task Our_crds_and_third_party_crds_apply_and_get_shows_printer_columns_across_namespaces()
    {
        (await Kubectl.RunAsync("apply", "-f", Path.Combine(RepoPaths.Config, "crd", "bases"))).ShouldSucceed().Stdout.ShouldContain("backuppolicies.ops.demat.gouv.fr");
        foreach (var (file, yaml) in ThirdPartyApis.Definitions)
            (await Kubectl.ApplyAsync(yaml)).ShouldSucceed().Stdout.ShouldContain("customresourcedefinition.apiextensions.k8s.io/", customMessage: file);
        await Kubectl.RunAsync("create", "namespace", "platau-prod");
        foreach (var sample in Directory.EnumerateFiles(Path.Combine(RepoPaths.Config, "samples"), "*.yaml").Where(f => !f.EndsWith("kustomization.yaml")))
        {
            var ns = File.ReadAllText(sample).Contains("dematoperator-system") ? "dematoperator-system" : null;
            if (ns is not null) await Kubectl.RunAsync("create", "namespace", ns);
            (await Kubectl.RunAsync("apply", "-f", sample)).ShouldSucceed();
        }
        var table = (await Kubectl.RunAsync("get", "bp", "-A")).ShouldSucceed().Stdout;
        var header = table.Split('\n')[0];
        foreach (var column in new[] { "NAMESPACE", "NAME", "METHOD", "SCHEDULE", "RPO", "RPO MET", "NEXT RUN", "READY", "AGE" }) header.ShouldContain(column);
        table.ShouldContain("platau-mongo-snapshots");
        table.ShouldContain("CSISnapshot");
        (await Kubectl.RunAsync("get", "demat", "-A")).ShouldSucceed().Stdout.ShouldContain("servicelevel.ops.demat.gouv.fr/platau-production");
        var samples = Directory.EnumerateFiles(Path.Combine(RepoPaths.Config, "samples"), "*.yaml").Count(f => !f.EndsWith("kustomization.yaml"));
        (await Kubectl.RunAsync("get", "bp,sl,pradrill,certrenewal,rr", "-A", "-o", "name")).ShouldSucceed().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(samples);
    }

    [Fact]
    public async Task Invalid_custom_resources_are_rejected_with_the_field_and_unknown_fields_by_strict_validation()
    {
        (await Kubectl.RunAsync("apply", "-f", Path.Combine(RepoPaths.Config, "crd", "bases"))).ShouldSucceed();
        await Kubectl.RunAsync("create", "namespace", "invalid-test");
        var bad = await Kubectl.ApplyAsync("""
            apiVersion: ops.demat.gouv.fr/v1alpha1
            kind: BackupPolicy
            metadata: {name: bad, namespace: invalid-test}
            spec:
              schedule: "0 * * * *"
              method: Tape
              rpo: four hours
              target: {namespaces: [a]}
            """);
        bad.ExitCode.ShouldNotBe(0);
        bad.Stderr.ShouldContain("spec.method: Unsupported value: \"Tape\"");
        bad.Stderr.ShouldContain("spec.rpo");
        var unknown = await Kubectl.ApplyAsync("""
            apiVersion: ops.demat.gouv.fr/v1alpha1
            kind: BackupPolicy
            metadata: {name: typo, namespace: invalid-test}
            spec:
              schedule: "0 * * * *"
              method: Velero
              target: {namespaces: [a]}
              retension: {keepLast: 3}
            """);
        unknown.ExitCode.ShouldNotBe(0);
        unknown.Stderr.ShouldContain("unknown field \"spec.retension\"");
    }

    [Fact]
    public async Task Get_watch_streams_changes()
    {
        await Kubectl.RunAsync("create", "namespace", "watch-test");
        var watchesBefore = sim.Cluster.OpenWatchCount;
        var watch = Kubectl.RunAsync(null, TimeSpan.FromSeconds(20), "-n", "watch-test", "get", "cm", "-w", "--request-timeout=8s");
        // Act only once kubectl's watch is open on the server, however slow the machine.
        await Eventually.HoldsAsync(() => sim.Cluster.OpenWatchCount > watchesBefore, "kubectl's watch is open");
        (await Kubectl.RunAsync("-n", "watch-test", "create", "configmap", "watched", "--from-literal=a=1")).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "watch-test", "patch", "cm", "watched", "--type", "merge", "-p", "{\"data\":{\"b\":\"2\"}}")).ShouldSucceed();
        var output = (await watch).Stdout;
        output.ShouldContain("watched   1");
        output.ShouldContain("watched   2");
    }

    [Fact]
    public async Task Patch_merge_and_json_including_a_failing_test_operation()
    {
        await Kubectl.RunAsync("create", "namespace", "patch-test");
        (await Kubectl.RunAsync("-n", "patch-test", "create", "configmap", "p", "--from-literal=a=1")).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "patch-test", "patch", "cm", "p", "--type", "merge", "-p", "{\"data\":{\"b\":\"2\",\"a\":null}}")).ShouldSucceed().Stdout.ShouldContain("patched");
        (await Kubectl.RunAsync("-n", "patch-test", "patch", "cm", "p", "--type", "json", "-p", "[{\"op\":\"test\",\"path\":\"/data/b\",\"value\":\"2\"},{\"op\":\"add\",\"path\":\"/data/c\",\"value\":\"3\"}]")).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "patch-test", "get", "cm", "p", "-o", "jsonpath={.data}")).Stdout.ShouldBe("{\"b\":\"2\",\"c\":\"3\"}");
        var failed = await Kubectl.RunAsync("-n", "patch-test", "patch", "cm", "p", "--type", "json", "-p", "[{\"op\":\"test\",\"path\":\"/data/b\",\"value\":\"9\"},{\"op\":\"add\",\"path\":\"/data/d\",\"value\":\"4\"}]");
        failed.ExitCode.ShouldNotBe(0);
        failed.Stderr.ShouldContain("testing value /data/b failed");
        (await Kubectl.RunAsync("-n", "patch-test", "get", "cm", "p", "-o", "jsonpath={.data.d}")).Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task Scale_and_wait_for_a_condition_then_describe()
    {
        await Kubectl.RunAsync("create", "namespace", "scale-test");
        (await Kubectl.ApplyAsync("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: scale-test}
            spec:
              replicas: 1
              selector: {matchLabels: {app: api}}
              template:
                metadata: {labels: {app: api}}
                spec: {containers: [{name: api, image: api:1}]}
            """)).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "scale-test", "scale", "deploy", "api", "--replicas=3")).ShouldSucceed().Stdout.ShouldContain("deployment.apps/api scaled");
        (await Kubectl.RunAsync("-n", "scale-test", "wait", "--for=condition=Available", "deploy/api", "--timeout=20s")).ShouldSucceed().Stdout.ShouldContain("condition met");
        await Eventually.HoldsAsync(async () => (await Kubectl.RunAsync("-n", "scale-test", "get", "deploy", "api", "-o", "jsonpath={.status.readyReplicas}")).Stdout == "3", "3 ready replicas");
        var describe = (await Kubectl.RunAsync("-n", "scale-test", "describe", "deploy", "api")).ShouldSucceed().Stdout;
        describe.ShouldContain("Name:");
        describe.ShouldContain("3 desired | 3 updated | 3 total | 3 available");
    }

    [Fact]
    public async Task Scale_subresource_of_a_custom_resource()
    {
        (await Kubectl.ApplyAsync("""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: workers.example.com}
            spec:
              group: example.com
              scope: Namespaced
              names: {plural: workers, singular: worker, kind: Worker}
              versions:
              - name: v1
                served: true
                storage: true
                subresources:
                  status: {}
                  scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec: {type: object, properties: {replicas: {type: integer}}}
                      status: {type: object, properties: {replicas: {type: integer}}}
            """)).ShouldSucceed();
        (await Kubectl.ApplyAsync("""
            apiVersion: example.com/v1
            kind: Worker
            metadata: {name: w, namespace: default}
            spec: {replicas: 1}
            """)).ShouldSucceed();
        (await Kubectl.RunAsync("scale", "worker/w", "--replicas=4")).ShouldSucceed().Stdout.ShouldContain("scaled");
        (await Kubectl.RunAsync("get", "worker", "w", "-o", "jsonpath={.spec.replicas}")).Stdout.ShouldBe("4");
        (await Kubectl.RunAsync("get", "--raw", "/apis/example.com/v1/namespaces/default/workers/w/scale")).Stdout.ShouldContain("\"kind\":\"Scale\"");
    }

    [Fact]
    public async Task Delete_with_and_without_finalizers()
    {
        await Kubectl.RunAsync("create", "namespace", "delete-test");
        (await Kubectl.RunAsync("-n", "delete-test", "create", "configmap", "plain")).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "delete-test", "delete", "cm", "plain")).ShouldSucceed().Stdout.ShouldContain("configmap \"plain\" deleted");
        (await Kubectl.RunAsync("-n", "delete-test", "get", "cm", "plain")).Stderr.ShouldContain("NotFound");

        (await Kubectl.ApplyAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: held, namespace: delete-test, finalizers: [example.com/hold]}
            """)).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "delete-test", "delete", "cm", "held", "--wait=false")).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "delete-test", "get", "cm", "held", "-o", "jsonpath={.metadata.deletionTimestamp}")).Stdout.ShouldNotBeEmpty();
        var adding = await Kubectl.RunAsync("-n", "delete-test", "patch", "cm", "held", "--type", "json", "-p", "[{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":\"example.com/more\"}]");
        adding.Stderr.ShouldContain("no new finalizers can be added if the object is being deleted");
        var waiter = Kubectl.RunAsync("-n", "delete-test", "wait", "--for=delete", "cm/held", "--timeout=20s");
        (await Kubectl.RunAsync("-n", "delete-test", "patch", "cm", "held", "--type", "json", "-p", "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]")).ShouldSucceed();
        (await waiter).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "delete-test", "get", "cm", "held")).Stderr.ShouldContain("NotFound");
    }

    [Fact]
    public async Task Create_namespace_then_delete_it_with_its_content()
    {
        (await Kubectl.RunAsync("create", "namespace", "short-lived")).ShouldSucceed().Stdout.ShouldContain("namespace/short-lived created");
        (await Kubectl.RunAsync("get", "ns", "short-lived", "--show-labels")).Stdout.ShouldContain("kubernetes.io/metadata.name=short-lived");
        (await Kubectl.RunAsync("-n", "short-lived", "create", "configmap", "inside")).ShouldSucceed();
        (await Kubectl.RunAsync("delete", "namespace", "short-lived", "--timeout=20s")).ShouldSucceed();
        (await Kubectl.RunAsync("get", "ns", "short-lived")).Stderr.ShouldContain("NotFound");
    }

    [Fact]
    public async Task Dry_run_server_validates_without_persisting()
    {
        await Kubectl.RunAsync("create", "namespace", "dry-test");
        (await Kubectl.RunAsync("-n", "dry-test", "create", "configmap", "ghost", "--dry-run=server")).ShouldSucceed().Stdout.ShouldContain("(server dry run)");
        (await Kubectl.RunAsync("-n", "dry-test", "get", "cm", "ghost")).Stderr.ShouldContain("NotFound");
    }

    /// <summary>
    /// The CSR flow an ops engineer runs by hand, with openssl as the requester and the signer: the spec is stamped with
    /// the requester and never changes, approval only through /approval (what `kubectl certificate approve` writes),
    /// the certificate only through /status and only once, and a denied request cannot be approved.
    /// </summary>
    [Fact]
    public async Task Certificate_signing_requests_are_approved_denied_and_signed_as_on_a_cluster()
    {
        var dir = Directory.CreateTempSubdirectory("csr-").FullName;
        async Task OpenSsl(params string[] args) => (await Processes.RunAsync("openssl", args, timeout: TimeSpan.FromSeconds(60))).ShouldSucceed();
        await OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", Path.Combine(dir, "ca.key"),
            "-subj", "/CN=IGC Test", "-days", "30", "-out", Path.Combine(dir, "ca.pem"));
        await OpenSsl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", Path.Combine(dir, "tls.key"),
            "-subj", "/CN=portal.example.gouv.fr", "-out", Path.Combine(dir, "tls.csr"));
        var request = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, "tls.csr")));
        string Csr(string name, string signer = "igc.example.gouv.fr/server", string? req = null) => $$"""
            apiVersion: certificates.k8s.io/v1
            kind: CertificateSigningRequest
            metadata: {name: {{name}}}
            spec:
              request: {{req ?? request}}
              signerName: {{signer}}
              expirationSeconds: 86400
              usages: [digital signature, key encipherment, server auth]
            """;
        async Task<CommandResult> PutApproval(string name, string type)
        {
            var csr = JsonNode.Parse((await Kubectl.RunAsync("get", "csr", name, "-o", "json")).ShouldSucceed().Stdout)!;
            ((JsonArray)csr["status"]!["conditions"]!).Add(new JsonObject { ["type"] = type, ["status"] = "True", ["reason"] = "ByHand" });
            var file = Path.Combine(dir, $"{name}-{type}.json");
            await File.WriteAllTextAsync(file, csr.ToJsonString());
            return await Kubectl.RunAsync("replace", "--raw", $"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/approval", "-f", file);
        }
        (await Kubectl.ApplyAsync(Csr("portal-1"))).ShouldSucceed().Stdout.ShouldContain("certificatesigningrequest.certificates.k8s.io/portal-1 created");
        var bad = await Kubectl.ApplyAsync(Csr("bad", signer: "no-slash", req: Convert.ToBase64String("not a request"u8.ToArray())));
        bad.ExitCode.ShouldNotBe(0);
        bad.Stderr.ShouldContain("spec.request: Invalid value");
        bad.Stderr.ShouldContain("spec.signerName: Invalid value: \"no-slash\"");
        (await Kubectl.RunAsync("get", "csr", "portal-1")).ShouldSucceed().Stdout.ShouldMatch(@"portal-1\s+\S+\s+igc.example.gouv.fr/server\s+\S+\s+24h\s+Pending");
        (await Kubectl.RunAsync("get", "csr", "portal-1", "-o", "jsonpath={.spec.username}")).ShouldSucceed().Stdout.ShouldNotBeEmpty();

        (await Kubectl.RunAsync("certificate", "approve", "portal-1")).ShouldSucceed().Stdout.ShouldContain("certificatesigningrequest.certificates.k8s.io/portal-1 approved");
        (await Kubectl.RunAsync("get", "csr", "portal-1", "-o", "jsonpath={.status.conditions[0].type} {.status.conditions[0].reason}")).ShouldSucceed()
            .Stdout.ShouldBe("Approved KubectlApprove");
        // kubectl itself refuses to deny an approved request; the server refuses it too, through /approval.
        (await Kubectl.RunAsync("certificate", "deny", "portal-1")).Stderr.ShouldContain("already Approved");
        (await PutApproval("portal-1", "Denied")).Stderr.ShouldContain("Approved and Denied conditions are mutually exclusive");

        await OpenSsl("x509", "-req", "-in", Path.Combine(dir, "tls.csr"), "-CA", Path.Combine(dir, "ca.pem"), "-CAkey", Path.Combine(dir, "ca.key"),
            "-CAcreateserial", "-days", "1", "-out", Path.Combine(dir, "tls.crt"));
        var signed = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, "tls.crt")));
        // The main endpoint never sets a certificate: kubectl patch without --subresource leaves it unset.
        await Kubectl.RunAsync("patch", "csr", "portal-1", "--type=merge", "-p", $$$"""{"status":{"certificate":"{{{signed}}}"}}""");
        (await Kubectl.RunAsync("get", "csr", "portal-1", "-o", "jsonpath={.status.certificate}")).Stdout.ShouldBeEmpty();
        (await Kubectl.RunAsync("patch", "csr", "portal-1", "--subresource=status", "--type=merge", "-p", $$$"""{"status":{"certificate":"{{{signed}}}"}}""")).ShouldSucceed();
        (await Kubectl.RunAsync("get", "csr", "portal-1")).ShouldSucceed().Stdout.ShouldContain("Approved,Issued");
        (await Kubectl.RunAsync("get", "csr", "portal-1", "-o", "jsonpath={.status.certificate}")).Stdout.ShouldBe(signed);
        var again = await Kubectl.RunAsync("patch", "csr", "portal-1", "--subresource=status", "--type=merge", "-p",
            $$$"""{"status":{"certificate":"{{{Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, "ca.pem")))}}}"}}""");
        again.Stderr.ShouldContain("updates may not modify existing certificate content");
        // A status writer cannot approve: Approved is only written through /approval.
        (await Kubectl.ApplyAsync(Csr("portal-2"))).ShouldSucceed();
        var sneaky = await Kubectl.RunAsync("patch", "csr", "portal-2", "--subresource=status", "--type=merge", "-p",
            """{"status":{"conditions":[{"type":"Approved","status":"True","reason":"Sneaky"}]}}""");
        sneaky.Stderr.ShouldContain("updates may not add a condition of type \"Approved\"");
        (await Kubectl.RunAsync("certificate", "deny", "portal-2")).ShouldSucceed().Stdout.ShouldContain("portal-2 denied");
        (await Kubectl.RunAsync("get", "csr", "portal-2")).ShouldSucceed().Stdout.ShouldContain("Denied");
        (await PutApproval("portal-2", "Approved")).Stderr.ShouldContain("Approved and Denied conditions are mutually exclusive");
        // The spec is immutable: a changed request is dropped, as by the registry strategy.
        (await Kubectl.RunAsync("patch", "csr", "portal-2", "--type=merge", "-p", """{"spec":{"signerName":"other.example.gouv.fr/x"}}""")).ShouldSucceed();
        (await Kubectl.RunAsync("get", "csr", "portal-2", "-o", "jsonpath={.spec.signerName}")).Stdout.ShouldBe("igc.example.gouv.fr/server");
    }
}

/// <summary>`kubectl auth can-i` and 403s with RBAC enforced.</summary>
public sealed class KubectlRbacTests : IAsyncLifetime
{
    private SimFixtureWithRbac _sim = new();

    public Task InitializeAsync() => _sim.InitializeAsync();
    public Task DisposeAsync() => _sim.DisposeAsync();

    private sealed class SimFixtureWithRbac() : SimFixture(new SimHostOptions { Clusters = ["sim"], RbacEnabled = true });

    [Fact]
    public async Task Auth_can_i_and_forbidden_answers_follow_roles_and_bindings()
    {
        var admin = _sim.Kubectl;
        (await admin.RunAsync("create", "namespace", "team")).ShouldSucceed();
        (await admin.ApplyAsync("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: cm-reader, namespace: team}
            rules:
            - apiGroups: [""]
              resources: [configmaps]
              verbs: [get, list, watch]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: bot-reads, namespace: team}
            subjects: [{kind: ServiceAccount, name: bot, namespace: team}]
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
            """)).ShouldSucceed();
        var token = _sim.Cluster.Auth.IssueServiceAccountToken("team", "bot");
        var path = Path.Combine(_sim.Directory, "bot.kubeconfig");
        await File.WriteAllTextAsync(path, _sim.Host.Kubeconfig([("sim", token)]));
        var bot = new Kubectl(path);
        (await bot.RunAsync("auth", "can-i", "list", "configmaps", "-n", "team")).Stdout.Trim().ShouldBe("yes");
        (await bot.RunAsync("auth", "can-i", "create", "configmaps", "-n", "team")).Stdout.Trim().ShouldBe("no");
        (await bot.RunAsync("auth", "can-i", "list", "configmaps", "-n", "default")).Stdout.Trim().ShouldBe("no");
        (await bot.RunAsync("-n", "team", "get", "cm")).ExitCode.ShouldBe(0);
        var denied = await bot.RunAsync("-n", "team", "create", "configmap", "x");
        denied.Stderr.ShouldContain("configmaps is forbidden: User \"system:serviceaccount:team:bot\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"team\"");
        (await admin.RunAsync("auth", "can-i", "delete", "nodes")).Stdout.Trim().ShouldBe("yes");
    }
}

/// <summary>kubectl's everyday commands as a new user tries them in the sandbox (issue #21).</summary>
public sealed class KubectlEverydayTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private Kubectl Kubectl => sim.Kubectl;

    [Fact]
    public async Task Describe_shows_the_events_of_the_object()
    {
        await Kubectl.RunAsync("create", "namespace", "describe-test");
        (await Kubectl.RunAsync("-n", "describe-test", "create", "configmap", "settings", "--from-literal=a=1")).ShouldSucceed();
        var uid = (await Kubectl.RunAsync("-n", "describe-test", "get", "cm", "settings", "-o", "jsonpath={.metadata.uid}")).ShouldSucceed().Stdout;
        (await Kubectl.ApplyAsync($$"""
            apiVersion: v1
            kind: Event
            metadata: {name: settings.1, namespace: describe-test}
            involvedObject: {kind: ConfigMap, name: settings, namespace: describe-test, uid: {{uid}}, apiVersion: v1}
            reason: SettingsChecked
            message: the settings were read
            type: Normal
            source: {component: dematoperator}
            count: 1
            """)).ShouldSucceed();
        var described = (await Kubectl.RunAsync("-n", "describe-test", "describe", "configmap", "settings")).ShouldSucceed().Stdout;
        described.ShouldContain("Events:");
        described.ShouldContain("SettingsChecked");
        described.ShouldContain("the settings were read");
    }

    [Fact]
    public async Task Apply_server_side_takes_the_samples_and_a_second_manager_conflicts_as_on_a_cluster()
    {
        foreach (var ns in Directory.GetFiles(Path.Combine(RepoPaths.Config, "samples"), "*.yaml")
                     .SelectMany(f => File.ReadAllLines(f)).Where(l => l.TrimStart().StartsWith("namespace:", StringComparison.Ordinal))
                     .Select(l => l.Split(':', 2)[1].Trim()).Distinct())
            await Kubectl.RunAsync("create", "namespace", ns);
        // -f on the folder applies every sample and, as on a cluster, reports kustomization.yaml as no object.
        var samples = Directory.GetFiles(Path.Combine(RepoPaths.Config, "samples"), "*.yaml").Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal)).ToList();
        var byFile = await Kubectl.RunAsync("apply", "--server-side", "-f", Path.Combine(RepoPaths.Config, "samples"));
        byFile.Stdout.Split('\n').Count(l => l.EndsWith(" serverside-applied", StringComparison.Ordinal)).ShouldBe(samples.Count, byFile.Output);
        byFile.Stderr.ShouldContain("kustomization.yaml");
        var first = (await Kubectl.RunAsync("apply", "--server-side", "-k", Path.Combine(RepoPaths.Config, "samples"))).ShouldSucceed().Stdout;
        first.ShouldContain("serverside-applied");
        var again = (await Kubectl.RunAsync("apply", "--server-side", "-k", Path.Combine(RepoPaths.Config, "samples"))).ShouldSucceed().Stdout;
        again.ShouldContain("serverside-applied");

        await Kubectl.RunAsync("create", "namespace", "ssa-test");
        const string config = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: shared, namespace: ssa-test}
            data: {level: "1", owner: gitops}
            """;
        (await Kubectl.ApplyAsync(config, "--server-side", "--field-manager=gitops")).ShouldSucceed();
        var conflict = await Kubectl.ApplyAsync(config.Replace("level: \"1\"", "level: \"2\""), "--server-side", "--field-manager=hotfix");
        conflict.ExitCode.ShouldNotBe(0);
        conflict.Stderr.ShouldContain("Apply failed with 1 conflict: conflict with \"gitops\" using v1: .data.level");
        (await Kubectl.ApplyAsync(config.Replace("level: \"1\"", "level: \"2\""), "--server-side", "--field-manager=hotfix", "--force-conflicts")).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "ssa-test", "get", "cm", "shared", "-o", "jsonpath={.data.level}")).ShouldSucceed().Stdout.ShouldBe("2");
        var managers = (await Kubectl.RunAsync("-n", "ssa-test", "get", "cm", "shared", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}")).ShouldSucceed().Stdout;
        managers.Split(' ').Order().ShouldBe(["gitops", "hotfix"]);
    }

    [Fact]
    public async Task Create_deployment_scale_and_rollout_status_work_as_on_a_cluster()
    {
        await Kubectl.RunAsync("create", "namespace", "web-test");
        (await Kubectl.RunAsync("-n", "web-test", "create", "deployment", "web", "--image=nginx:1.27", "--port=8080", "--replicas=2")).ShouldSucceed()
            .Stdout.ShouldContain("deployment.apps/web created");
        var deploy = JsonNode.Parse((await Kubectl.RunAsync("-n", "web-test", "get", "deploy", "web", "-o", "json")).ShouldSucceed().Stdout)!;
        ((long)deploy["spec"]!["replicas"]!).ShouldBe(2);
        ((string)deploy["spec"]!["selector"]!["matchLabels"]!["app"]!).ShouldBe("web");
        var container = deploy["spec"]!["template"]!["spec"]!["containers"]![0]!;
        ((string)container["image"]!).ShouldBe("nginx:1.27");
        ((long)container["ports"]![0]!["containerPort"]!).ShouldBe(8080);
        container.AsObject().ContainsKey("workingDir").ShouldBeFalse("zero values of the protobuf body are not stored as empty strings");
        deploy["metadata"]!.AsObject().ContainsKey("creationTimestamp").ShouldBeTrue();

        (await Kubectl.RunAsync(null, TimeSpan.FromSeconds(90), "-n", "web-test", "rollout", "status", "deployment/web", "--timeout=80s")).ShouldSucceed()
            .Stdout.ShouldContain("successfully rolled out");
        (await Kubectl.RunAsync("-n", "web-test", "scale", "deployment", "web", "--replicas=3")).ShouldSucceed().Stdout.ShouldContain("deployment.apps/web scaled");
        (await Kubectl.RunAsync("-n", "web-test", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}")).ShouldSucceed().Stdout.ShouldBe("3");
        (await Kubectl.RunAsync(null, TimeSpan.FromSeconds(90), "-n", "web-test", "rollout", "status", "deployment/web", "--timeout=80s")).ShouldSucceed()
            .Stdout.ShouldContain("successfully rolled out");
        (await Kubectl.RunAsync("-n", "web-test", "scale", "deployment", "web", "--replicas=0")).ShouldSucceed();
        (await Kubectl.RunAsync("-n", "web-test", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}")).ShouldSucceed().Stdout.ShouldBe("0");
        var deleted = (await Kubectl.RunAsync("-n", "web-test", "delete", "deployment", "web")).ShouldSucceed().Stdout;
        deleted.ShouldContain("deployment.apps \"web\" deleted");
    }

    [Fact]
    public async Task Annotations_over_256_KiB_are_refused_with_the_api_servers_text()
    {
        await Kubectl.RunAsync("create", "namespace", "size-test");
        static string WithNote(int bytes) => $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: size-test\n  annotations:\n    note: {new string('x', bytes)}\n";
        // Server-side: client-side apply would add the same bytes again in last-applied-configuration.
        var refused = await Kubectl.ApplyAsync(WithNote(300 * 1024), "--server-side");
        refused.ExitCode.ShouldNotBe(0);
        refused.Stderr.ShouldContain("metadata.annotations: Too long: must have at most 262144 bytes");
        (await Kubectl.ApplyAsync(WithNote(200 * 1024), "--server-side")).ShouldSucceed();
        var huge = $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\n  namespace: size-test\ndata:\n  a: {new string('x', 1024 * 1024)}\n  b: {new string('y', 1024 * 1024)}\n";
        var tooLarge = await Kubectl.ApplyAsync(huge, "--server-side");
        tooLarge.ExitCode.ShouldNotBe(0);
        tooLarge.Stderr.ShouldContain("etcdserver: request is too large");
    }

    [Fact]
    public async Task Sort_by_reads_fields_outside_metadata()
    {
        await Kubectl.RunAsync("create", "namespace", "sort-test");
        foreach (var (name, rank) in new[] { ("alpha", "3"), ("bravo", "1"), ("charlie", "2") })
            (await Kubectl.RunAsync("-n", "sort-test", "create", "configmap", name, $"--from-literal=rank={rank}")).ShouldSucceed();
        var sorted = (await Kubectl.RunAsync("-n", "sort-test", "get", "cm", "--sort-by=.data.rank", "-o", "name", "--selector=!nothing")).ShouldSucceed().Stdout;
        sorted.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("kube-root-ca")).ShouldBe(["configmap/bravo", "configmap/charlie", "configmap/alpha"]);
        var table = (await Kubectl.RunAsync("-n", "sort-test", "get", "cm", "--sort-by=.data.rank")).ShouldSucceed().Stdout;
        var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ')[0]).ToList();
        rows.ShouldBe(["bravo", "charlie", "alpha"]);
    }
}
