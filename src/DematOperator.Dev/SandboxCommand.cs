using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups.Methods;
using DematOperator.Hosting;
using DematOperator.Kube.Api;
using DematOperator.Kube.Config;
using DematOperator.Kube.Crd;
using DematOperator.KubeSim;
using DematOperator.KubeSim.Hosting;
using DematOperator.KubeSim.ThirdParty;
using DematOperator.KubeSim.Store;
using Microsoft.Extensions.Logging;

namespace DematOperator.Dev;

/// <summary>
/// `sandbox`: two emulated clusters (sbg = production, rbx = acceptance and recovery site) with the CRDs,
/// the samples and an operator per cluster, so a newcomer can look at DematOperator without a cluster.
/// </summary>
internal static class SandboxCommand
{
    public static Command Build()
    {
        var dir = new Option<string>("--dir") { Description = "Where to write the kubeconfig and the operators' logs", DefaultValueFactory = _ => ".sandbox" };
        var engine = new Option<string>("--backup-engine")
        {
            Description = "What production backs up with and the PRA restores from: velero (OADP, a shared storage location) or kasten (K10, an export profile the recovery site imports)",
            DefaultValueFactory = _ => "velero",
        };
        engine.AcceptOnlyFromAmong("velero", "kasten");
        var portBase = new Option<int>("--port-base")
        {
            Description = "Preferred ports: BASE and BASE+1 the rbx operator's metrics and probes, BASE+2 and BASE+3 sbg's, BASE+10 and BASE+11 the sandbox's HTTP and TLS endpoints (a taken port is replaced by a free one; 0: all chosen by the system)",
            DefaultValueFactory = _ => 8080,
        };
        // Tests only: their counts of runs are exact when no scheduled slot can fall while they run, which the real
        // clock cannot promise. The clock still runs at the real rate (probes, timeouts), from the instant given.
        var clockStart = new Option<DateTimeOffset?>("--clock-start")
        {
            Description = "Start the clusters' and operators' clock at this instant (ISO 8601 with offset) instead of now; for tests",
            Hidden = true,
        };
        var command = new Command("sandbox", "Run the operator on two embedded emulated clusters (sbg, rbx) with the samples applied");
        command.Options.Add(dir);
        command.Options.Add(engine);
        command.Options.Add(portBase);
        command.Options.Add(clockStart);
        command.SetAction(async (parse, ct) =>
            await RunAsync(Path.GetFullPath(parse.GetValue(dir)!), parse.GetValue(engine) == "kasten" ? BackupMethod.Kasten : BackupMethod.Velero, ct, parse.GetValue(portBase),
                parse.GetValue(clockStart) is { } start ? new FixedStartTimeProvider(start) : TimeProvider.System));
        return command;
    }

    /// <summary>K10's location profile in the sandbox: production exports there, the recovery site imports from it.</summary>
    private const string KastenProfile = "ovh-s3-shared";

    private static readonly Dictionary<string, string[]> Namespaces = new()
    {
        ["sbg"] = ["platau-prod", "openshift-adp", "kasten-io", "dematoperator-system"],
        ["rbx"] = ["preprod", "validation", "demo", "perf", "openshift-adp", "kasten-io", "dematoperator-system"],
    };

    public static async Task<int> RunAsync(string dir, BackupMethod engine, CancellationToken ct, int portBase, TimeProvider time)
    {
        Directory.CreateDirectory(dir);
        // RBAC on, and the operators authenticate as the ServiceAccount bound to config/rbac: the sandbox runs with
        // exactly the permissions a real deployment grants (you, with the printed kubeconfig, are cluster-admin).
        await using var host = await SimHost.StartAsync(new SimHostOptions { Clusters = ["sbg", "rbx"], RbacEnabled = true, Time = time });
        // --port-base 0: every port chosen by the system (several sandboxes side by side, as the tests run them).
        int Port(int offset) => FreePort(portBase == 0 ? 0 : portBase + offset);
        await using var world = await SandboxWorld.StartAsync(Port(10), Port(11), time);
        var repo = FindRepoRoot();
        foreach (var server in host.Servers) Seed(server.Cluster, repo, world, host, engine, Path.Combine(dir, "samples", server.Cluster.Name));
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, host.Kubeconfig(), ct);
        File.SetUnixFileMode(kubeconfig, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // You play the IGC: its intermediate's certificate and key, outside the clusters, sign what the operator asks.
        var igc = Path.Combine(dir, "igc");
        Directory.CreateDirectory(igc);
        await File.WriteAllTextAsync(Path.Combine(igc, "igc.pem"), world.Intermediate.CertificatePem, ct);
        await File.WriteAllTextAsync(Path.Combine(igc, "igc.key"), world.Intermediate.KeyPem, ct);
        File.SetUnixFileMode(Path.Combine(igc, "igc.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var operators = new List<Task<int>>();
        var loggerProviders = new List<FileLoggerProvider>();
        var ports = new Dictionary<string, int>();
        var probePorts = new Dictionary<string, int>();
        foreach (var server in host.Servers)
        {
            var name = server.Cluster.Name;
            var metricsPort = Port(name == "rbx" ? 0 : 2);
            var probePort = Port(name == "rbx" ? 1 : 3);
            ports[name] = metricsPort;
            probePorts[name] = probePort;
            var provider = new FileLoggerProvider(Path.Combine(dir, $"operator-{name}.log"));
            loggerProviders.Add(provider);
            var loggers = LoggerFactory.Create(b => b.AddProvider(provider));
            var token = server.Cluster.Auth.IssueServiceAccountToken("dematoperator-system", "dematoperator");
            operators.Add(Task.Run(() => OperatorHost.RunAsync(new OperatorOptions
            {
                Endpoint = KubeConfigLoader.FromText(host.Kubeconfig([(name, token)]), name),
                MetricsEndpoint = new IPEndPoint(IPAddress.Loopback, metricsPort),
                ProbeEndpoint = new IPEndPoint(IPAddress.Loopback, probePort),
                LeaseNamespace = "dematoperator-system",
                Identity = "system:serviceaccount:dematoperator-system:dematoperator",
                Loggers = loggers,
                Time = time,
            }, ct), CancellationToken.None));
        }

        Console.WriteLine($"""
            DematOperator sandbox is running: two emulated OpenShift clusters, the CRDs, the samples, and one operator per cluster.
            Backup engine: {(engine == BackupMethod.Kasten ? $"Kasten K10 (production exports to the profile {KastenProfile}, which rbx's K10 imports)" : "Velero/OADP (a storage location shared by sbg and rbx)")}.

              export KUBECONFIG={kubeconfig}
              kubectl config get-contexts                        # sbg (production) and rbx (acceptance + PRA site)
              kubectl --context sbg get bp,sl,pradrill,certrenewal -A     # production: backups, service levels, certificates
              kubectl --context rbx get pradrill -A                         # the PRA drill runs on the recovery site
              kubectl --context sbg get volumesnapshots,{(engine == BackupMethod.Kasten ? "runactions,restorepoints" : "backups.velero.io")} -A
              kubectl --context sbg describe sl platau-production -n platau-prod
              kubectl --context sbg get certrenewal platau-tls -n platau-prod -o yaml

            Take a backup now, then rehearse the PRA (restore on rbx, verify, measure, report, roll back).
            In the sandbox the rehearsal rolls back at once (rollback.after: 0s); config/samples keeps the
            restored production up 30 minutes for inspection:
              kubectl --context sbg annotate bp {(engine == BackupMethod.Kasten ? "platau-kasten" : "platau-velero")} -n platau-prod {Group.AnnotationPrefix}run-now="$(date +%s)" --overwrite
              kubectl --context rbx annotate pradrill pra-yearly -n dematoperator-system {Group.AnnotationPrefix}run-now="$(date +%s)" --overwrite
              kubectl --context rbx get pradrill pra-yearly -n dematoperator-system -w
            Once a backup exists, see what restoring it would bring back (a dry run), then restore it into a scratch namespace
            (a RestoreRequest runs once: the real restore is a second request):
              {RestoreCommand(repo, "restorerequest-dry-run.yaml", engine)} && kubectl --context sbg get rr -n platau-prod
              {RestoreCommand(repo, "restorerequest-restore.yaml", engine)} && kubectl --context sbg get rr -n platau-prod
              kubectl --context rbx get cm -n dematoperator-system -l {Group.AnnotationPrefix}pra-drill=pra-yearly

            Play the IGC: platau-igc asks it to sign a certificate that does not exist yet (docs/certificaterenewal.md):
              {IgcCommands(igc)}

            The samples as the sandbox applied them (probes on its local endpoints): re-apply or edit them with
              kubectl --context sbg apply --server-side -k {Path.Combine(dir, "samples", "sbg")}
            (config/samples itself names real hosts, which do not resolve here: its probes would fail with "DNS: ...").

            Simulate an outage of Plat'AU (toggle), and watch the ServiceLevel open an incident:
              curl -X POST http://127.0.0.1:{world.HttpPort}/_sandbox/outage

            Metrics:  http://127.0.0.1:{ports["sbg"]}/metrics (sbg operator)   http://127.0.0.1:{ports["rbx"]}/metrics (rbx operator)
            Probes:   http://127.0.0.1:{probePorts["sbg"]}/readyz                http://127.0.0.1:{probePorts["rbx"]}/readyz
            Logs:     {dir}/operator-sbg.log  {dir}/operator-rbx.log
            Press Ctrl-C to stop; everything runs in memory and is gone afterwards.
            ready
            """);
        await Console.Out.FlushAsync(ct);
        try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
        var codes = await Task.WhenAll(operators);
        foreach (var p in loggerProviders) p.Dispose();
        Console.WriteLine("sandbox stopped");
        return codes.Any(c => c is not 0) ? 1 : 0;
    }

    /// <summary>The sample as is with Velero; with Kasten, the same request naming the Kasten policy (the Velero one is not deployed then).</summary>
    private static string RestoreCommand(string? repo, string sample, BackupMethod engine)
    {
        var path = Path.Combine(repo ?? ".", "config", "samples", sample);
        return engine == BackupMethod.Kasten
            ? $"sed 's/backupPolicy: platau-velero/backupPolicy: platau-kasten/' {path} | kubectl --context sbg apply -f -"
            : $"kubectl --context sbg apply -f {path}";
    }

    /// <summary>What an ops engineer types to have the IGC sign a request, with the sandbox's IGC files (as docs/certificaterenewal.md gives it).</summary>
    private static string IgcCommands(string igc)
    {
        const string Csr = "\"$CSR\"";
        string[] lines =
        [
            "CSR=$(kubectl --context sbg get csr -l app.kubernetes.io/managed-by=dematoperator -o jsonpath='{.items[0].metadata.name}')",
            $"kubectl --context sbg get csr {Csr} -o jsonpath='{{.spec.request}}' | base64 -d > \"{igc}/$CSR.csr\"",
            $"openssl req -in \"{igc}/$CSR.csr\" -noout -verify -subject",
            $"kubectl --context sbg certificate approve {Csr}",
            $"openssl x509 -req -in \"{igc}/$CSR.csr\" -CA \"{igc}/igc.pem\" -CAkey \"{igc}/igc.key\" -CAcreateserial -copy_extensions copy -days 365 -out \"{igc}/$CSR.crt\"",
            $"cat \"{igc}/$CSR.crt\" \"{igc}/igc.pem\" > \"{igc}/$CSR-chain.pem\"",
            $"kubectl --context sbg patch csr {Csr} --subresource=status --type=merge -p \"{{\\\"status\\\":{{\\\"certificate\\\":\\\"$(base64 -w0 \"{igc}/$CSR-chain.pem\")\\\"}}}}\"",
            "kubectl --context sbg get certrenewal platau-igc -n platau-prod",
        ];
        return string.Join("\n  ", lines);
    }

    /// <summary>CRDs (ours from the code, the third-party APIs the emulator describes), namespaces, Velero and CSI basics, samples.</summary>
    /// <param name="adaptedSamples">Where the samples as the sandbox applied them (probe URLs on the sandbox's endpoints, ...) are written,
    /// with a kustomization, so `kubectl apply --server-side -k` of that folder re-applies them as they are.</param>
    private static void Seed(SimCluster cluster, string? repo, SandboxWorld world, SimHost host, BackupMethod engine, string adaptedSamples)
    {
        var crdDef = cluster.Registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
        foreach (var type in OperatorKinds.All) cluster.Create(RequestContext.System, crdDef, null, CrdGenerator.Generate(type));
        ThirdPartyApis.Install(cluster);
        var nsDef = cluster.Registry.Find("", "v1", "namespaces")!;
        foreach (var ns in Namespaces[cluster.Name])
            cluster.Create(RequestContext.System, nsDef, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        if (cluster.Registry.Find("velero.io", "v1", "backupstoragelocations") is { } bsl)
            cluster.Create(RequestContext.System, bsl, "openshift-adp", JsonNode.Parse("""
                {"metadata":{"name":"default"},"spec":{"provider":"aws","default":true,"objectStorage":{"bucket":"demat-pra"}}}
                """)!.AsObject());
        if (cluster.Registry.Find("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses") is { } vsc)
            cluster.Create(RequestContext.System, vsc, null, JsonNode.Parse("""
                {"metadata":{"name":"csi-ceph-rbd","annotations":{"snapshot.storage.kubernetes.io/is-default-class":"true"}},"driver":"rbd.csi.ceph.com","deletionPolicy":"Delete"}
                """)!.AsObject());
        if (engine == BackupMethod.Kasten) SeedKasten(cluster);
        PopulateWorkloads(cluster);
        SeedSecrets(cluster, world, host);
        if (repo is not null) KustomizationInstaller.Apply(cluster, Path.Combine(repo, "config", "rbac"), "dematoperator-system");
        var samples = repo is null ? null : Path.Combine(repo, "config", "samples");
        if (samples is null || !Directory.Exists(samples)) return;
        if (Directory.Exists(adaptedSamples)) Directory.Delete(adaptedSamples, recursive: true);
        foreach (var file in Directory.EnumerateFiles(samples, "*.yaml").Order())
            foreach (var obj in YamlDocuments.ParseObjects(File.ReadAllText(file)))
            {
                var ns = ObjectMetaAccess.Namespace(obj);
                var apiVersion = (string?)obj["apiVersion"] ?? "";
                var def = cluster.Registry.FindKind(apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "", apiVersion[(apiVersion.IndexOf('/') + 1)..], (string?)obj["kind"] ?? "");
                if (def is null || ns is null || cluster.TryGet("/namespaces", null, ns) is null) continue;
                // A RestoreRequest runs once, at once: it is for you to apply once a backup exists (the printed commands say how).
                if ((string?)obj["kind"] == "RestoreRequest") continue;
                // The drill runs on the recovery site; production's resources on production.
                if ((string?)obj["kind"] == "PraDrill" != (cluster.Name == "rbx")) continue;
                // The cross-site backup is the engine's: the other engine's sample would only say it is not installed.
                if ((string?)obj["kind"] == "BackupPolicy" && (string?)obj["spec"]?["method"] is nameof(BackupMethod.Velero) or nameof(BackupMethod.Kasten)
                    && (string?)obj["spec"]?["method"] != engine.ToString()) continue;
                if ((string?)obj["kind"] == "PraDrill" && engine == BackupMethod.Kasten)
                    obj["spec"]!["backup"] = new JsonObject
                    {
                        ["engine"] = "Kasten", ["kasten"] = new JsonObject { ["exportProfile"] = KastenProfile },
                        ["backupPolicy"] = "platau-kasten", ["backupPolicyNamespace"] = "platau-prod",
                    };
                world.Adapt(obj);
                // Applied as `kubectl apply --server-side` would (field manager kubectl), so re-applying the adapted samples
                // changes nothing and conflicts with no one; config/samples' own values (real host names) would replace them.
                var json = obj.ToJsonString();
                var asKubectl = new RequestContext("kubernetes-admin", FieldManager: "kubectl");
                cluster.Patch(asKubectl, def, ns, ObjectMetaAccess.Name(obj)!, "application/apply-patch+yaml", json);
                Directory.CreateDirectory(adaptedSamples);
                var copy = Path.Combine(adaptedSamples, Path.GetFileName(file));
                File.AppendAllText(copy, (File.Exists(copy) ? "---\n" : "") + json + "\n");
            }
        if (Directory.Exists(adaptedSamples))
            File.WriteAllText(Path.Combine(adaptedSamples, "kustomization.yaml"),
                "resources:\n" + string.Concat(Directory.EnumerateFiles(adaptedSamples, "*.yaml").Select(Path.GetFileName)
                    .Where(f => f != "kustomization.yaml").Order().Select(f => $"- {f}\n")));
    }

    /// <summary>
    /// K10 as DEMAT'ADS runs it: on both sites the shared location profile; on sbg the Policy platau-4h (backup of
    /// platau-prod, export to the profile), which the Kasten BackupPolicy runs at each slot; on rbx the import policy.
    /// </summary>
    private static void SeedKasten(SimCluster cluster)
    {
        var profiles = cluster.Registry.Find("config.kio.kasten.io", "v1alpha1", "profiles");
        var policies = cluster.Registry.Find("config.kio.kasten.io", "v1alpha1", "policies");
        if (profiles is null || policies is null) return;
        JsonObject Parse(string json) => JsonNode.Parse(json.Replace("PROFILE", KastenProfile, StringComparison.Ordinal))!.AsObject();
        cluster.Create(RequestContext.System, profiles, "kasten-io", Parse("""
            {"metadata":{"name":"PROFILE"},"spec":{"type":"Location","locationSpec":{"type":"ObjectStore","objectStore":{"objectStoreType":"S3","name":"demat-pra","region":"gra"}}}}
            """));
        cluster.Create(RequestContext.System, policies, "kasten-io", Parse(cluster.Name == "sbg"
            ? """
              {"metadata":{"name":"platau-4h"},"spec":{"comment":"Plat'AU production, run by the BackupPolicy platau-kasten","frequency":"@onDemand",
               "selector":{"matchLabels":{"k10.kasten.io/appNamespace":"platau-prod"}},
               "actions":[{"action":"backup"},{"action":"export","exportParameters":{"profile":{"name":"PROFILE","namespace":"kasten-io"},"exportData":{"enabled":true}}}]}}
              """
            : """
              {"metadata":{"name":"import-sbg"},"spec":{"comment":"Plat'AU production's exports, for the PRA","frequency":"@hourly",
               "actions":[{"action":"import","importParameters":{"profile":{"name":"PROFILE","namespace":"kasten-io"}}}]}}
              """));
    }

    /// <summary>
    /// DEMAT'ADS-like workloads: on sbg the Plat'AU production (API, front, MongoDB StatefulSet with its PVCs,
    /// RabbitMQ); on rbx the test environments that a PRA stops to make room.
    /// </summary>
    private static void PopulateWorkloads(SimCluster cluster)
    {
        var deployments = cluster.Registry.Find("apps", "v1", "deployments")!;
        var statefulSets = cluster.Registry.Find("apps", "v1", "statefulsets")!;
        var pvcs = cluster.Registry.Find("", "v1", "persistentvolumeclaims")!;
        static JsonObject Labels(string name) => new() { ["app.kubernetes.io/name"] = name };
        static JsonObject Template(string name, string image)
        {
            var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = name, ["image"] = image }) };
            // The front mounts the TLS Secret that CertificateRenewal renews, so its rollout can be seen.
            if (name == "platau-front") spec["volumes"] = new JsonArray(new JsonObject { ["name"] = "tls", ["secret"] = new JsonObject { ["secretName"] = "platau-tls" } });
            return new JsonObject { ["metadata"] = new JsonObject { ["labels"] = Labels(name) }, ["spec"] = spec };
        }
        void Deployment(string ns, string name, int replicas) => cluster.Create(RequestContext.System, deployments, ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = Labels(name) },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas, ["selector"] = new JsonObject { ["matchLabels"] = Labels(name) },
                ["template"] = Template(name, $"registry.demat.local/{name}:1.0"),
            },
        });
        void Database(string ns, string name, int replicas, string size)
        {
            cluster.Create(RequestContext.System, statefulSets, ns, new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = Labels(name) },
                ["spec"] = new JsonObject
                {
                    ["replicas"] = replicas, ["serviceName"] = name, ["selector"] = new JsonObject { ["matchLabels"] = Labels(name) },
                    ["template"] = Template(name, $"{name}:6"),
                },
            });
            for (var i = 0; i < replicas; i++)
                cluster.Create(RequestContext.System, pvcs, ns, new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = $"data-{name}-{i}", ["labels"] = Labels(name) },
                    ["spec"] = new JsonObject
                    {
                        ["accessModes"] = new JsonArray("ReadWriteOnce"), ["storageClassName"] = "ceph-rbd",
                        ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = size } },
                    },
                });
        }
        if (cluster.Name == "sbg")
        {
            // mongosh in the sandbox's MongoDB 6 replica set (mongodb-0 is the primary), for the BackupPolicy's freeze and thaw.
            cluster.Exec.Answer(c => c.Namespace == "platau-prod" && c.Pod.StartsWith("mongodb-", StringComparison.Ordinal) && c.Command[0] == "mongosh", c =>
                c.Command[^1].Contains("fsyncLock()", StringComparison.Ordinal)
                    ? c.Pod == "mongodb-0" ? new ExecAnswer(3, "refusing to lock the primary\n") : ExecAnswer.Ok("{ info: 'now locked against writes', lockCount: 1, ok: 1 }\n")
                    : ExecAnswer.Ok("{ info: 'fsyncUnlock completed', lockCount: 0, ok: 1 }\n"));
            Deployment("platau-prod", "platau-api", 3);
            Deployment("platau-prod", "platau-front", 2);
            Deployment("platau-prod", "platau-search", 2);
            Database("platau-prod", "mongodb", 3, "50Gi");
            Database("platau-prod", "rabbitmq", 1, "10Gi");
            return;
        }
        foreach (var env in new[] { "preprod", "validation", "demo", "perf" })
        {
            Deployment(env, "platau-api", env == "perf" ? 0 : 1);
            Deployment(env, "platau-front", env == "perf" ? 0 : 1);
            Database(env, "mongodb", 1, "20Gi");
        }
    }

    /// <summary>
    /// On sbg the IGC CA and Plat'AU's certificates (one due soon, one served by the local TLS endpoint, a Route
    /// with an inline certificate); on rbx the kubeconfig Secret through which the drill reads sbg.
    /// </summary>
    private static void SeedSecrets(SimCluster cluster, SandboxWorld world, SimHost host)
    {
        var secrets = cluster.Registry.Find("", "v1", "secrets")!;
        void Secret(string ns, string name, JsonObject data, string type = "kubernetes.io/tls", JsonObject? labels = null) =>
            cluster.Create(RequestContext.System, secrets, ns, new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels ?? new JsonObject() },
                ["type"] = type, ["data"] = data,
            });
        if (cluster.Name == "rbx")
        {
            Secret("dematoperator-system", "sbg-kubeconfig", new JsonObject { ["kubeconfig"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(host.Kubeconfig([("sbg", host["sbg"].Cluster.Auth.AdminToken)]))) }, "Opaque");
            return;
        }
        var renew = new JsonObject { [Group.AnnotationPrefix + "renew"] = "true" };
        // The IGC's root, public, for certificaterenewal-igc.yaml: what a certificate the IGC signs must chain to.
        cluster.Create(RequestContext.System, cluster.Registry.Find("", "v1", "configmaps")!, "platau-prod", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "igc-trust" },
            ["data"] = new JsonObject { ["ca.crt"] = world.Root.CertificatePem },
        });
        Secret("platau-prod", "igc-ca", SandboxWorld.TlsSecretData(world.Intermediate.CertificatePem + world.Root.CertificatePem, world.Intermediate.KeyPem, world.Root.CertificatePem));
        var due = world.Leaf("platau.example.gouv.fr", 10);
        Secret("platau-prod", "platau-tls", SandboxWorld.TlsSecretData(due.CertificatePem + world.Intermediate.CertificatePem, due.KeyPem), labels: renew);
        var api = world.Leaf("api.platau.example.gouv.fr", 200);
        Secret("platau-prod", "platau-api-tls", SandboxWorld.TlsSecretData(api.CertificatePem + world.Intermediate.CertificatePem, api.KeyPem), labels: (JsonObject)renew.DeepClone());
        Secret("platau-prod", "platau-portal-tls", SandboxWorld.TlsSecretData(world.PortalCertificate.CertificatePem + world.Intermediate.CertificatePem, world.PortalCertificate.KeyPem),
            labels: new JsonObject { [Group.AnnotationPrefix + "watch"] = "true" });
        if (cluster.Registry.Find("route.openshift.io", "v1", "routes") is { } routes)
        {
            var routeCert = world.Leaf("portal.apps.sbg.example.gouv.fr", 5);
            cluster.Create(RequestContext.System, routes, "platau-prod", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "platau-portal" },
                ["spec"] = new JsonObject
                {
                    ["host"] = "portal.apps.sbg.example.gouv.fr",
                    ["to"] = new JsonObject { ["kind"] = "Service", ["name"] = "platau-front" },
                    ["tls"] = new JsonObject { ["termination"] = "edge", ["certificate"] = routeCert.CertificatePem, ["key"] = routeCert.KeyPem },
                },
            });
        }
    }

    private static string? FindRepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            var d = new DirectoryInfo(start);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "DematOperator.sln"))) d = d.Parent;
            if (d is not null) return d.FullName;
        }
        return null;
    }

    private static int FreePort(int preferred)
    {
        try
        {
            using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, preferred);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }
        catch (System.Net.Sockets.SocketException)
        {
            using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }
    }
}
