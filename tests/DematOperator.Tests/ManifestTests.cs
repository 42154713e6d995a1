using System.Diagnostics;
using System.Text.Json.Nodes;
using DematOperator.Cli;
using DematOperator.Dev;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;
using DematOperator.TestSupport;

namespace DematOperator.Tests;

public sealed class ManifestTests
{
    private static IEnumerable<JsonObject> Docs(string relative) =>
        YamlDocuments.ParseObjects(File.ReadAllText(Path.Combine(RepoPaths.Config, relative)));

    [Fact]
    public void Committed_crds_are_what_the_code_generates()
    {
        foreach (var (file, yaml) in ManifestsCommand.Render())
        {
            var path = Path.Combine(RepoPaths.Config, "crd", "bases", file);
            File.Exists(path).ShouldBeTrue($"{file} is missing: run `make manifests`");
            File.ReadAllText(path).ShouldBe(yaml, $"{file} differs from the generated CRD: run `make manifests`");
        }
    }

    [Fact]
    public void Committed_servicelevel_rules_are_what_the_code_generates() =>
        File.ReadAllText(Path.Combine(RepoPaths.Config, "prometheus", "servicelevels.yaml")).ShouldBe(ManifestsCommand.RenderServiceLevelRules(), "run `make manifests`");

    [Fact]
    public void Generated_yaml_parses_back_to_the_generated_object()
    {
        var crd = CrdGenerator.Generate(typeof(DematOperator.Backups.BackupPolicy));
        var parsed = YamlDocuments.ParseObjects(YamlWriter.Write(crd)).Single();
        JsonNode.DeepEquals(parsed, crd).ShouldBeTrue();
    }

    [Fact]
    public void Every_spec_field_of_our_kinds_says_what_it_is_in_kubectl_explain()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Config, "crd", "bases"), "ops.demat.gouv.fr_*.yaml"))
        {
            var crd = YamlDocuments.ParseObjects(File.ReadAllText(file)).Single();
            var spec = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!.AsObject();
            spec.Where(p => p.Value!["description"] is null).Select(p => p.Key).ShouldBeEmpty($"{Path.GetFileName(file)}: spec fields with <no description>");
        }
    }

    [Fact]
    public void Rbac_has_no_wildcards_and_never_deletes_secrets()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Config, "rbac"), "*.yaml"))
            foreach (var doc in YamlDocuments.ParseObjects(File.ReadAllText(file)))
                foreach (var rule in (doc["rules"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    foreach (var field in new[] { "apiGroups", "resources", "verbs", "nonResourceURLs" })
                        (rule[field] as JsonArray ?? []).Select(v => (string?)v).ShouldNotContain("*", $"wildcard in {Path.GetFileName(file)}");
                    // Secrets are read (CA bundles, kubeconfigs) and written in place by certificate renewal: never deleted or listed in bulk by patch.
                    if ((rule["resources"] as JsonArray ?? []).Select(v => (string?)v).Contains("secrets"))
                        (rule["verbs"] as JsonArray ?? []).Select(v => (string?)v).ShouldAllBe(v => v == "get" || v == "list" || v == "watch" || v == "create" || v == "update");
                }
    }

    [Fact]
    public void Secret_writes_are_granted_once_for_certificate_renewal_and_every_permission_is_documented()
    {
        var rules = Directory.EnumerateFiles(Path.Combine(RepoPaths.Config, "rbac"), "*.yaml")
            .SelectMany(f => YamlDocuments.ParseObjects(File.ReadAllText(f)).Select(d => (File: Path.GetFileName(f), Doc: d)))
            .SelectMany(x => (x.Doc["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(r => (x.File, Kind: (string?)x.Doc["kind"], Rule: r)))
            .ToList();
        static List<string> Strings(JsonNode? n) => (n as JsonArray ?? []).Select(v => (string)v!).ToList();
        var secretWrites = rules.Where(r => Strings(r.Rule["resources"]).Contains("secrets") && Strings(r.Rule["verbs"]).Intersect(["create", "update", "patch", "delete"]).Any()).ToList();
        secretWrites.Count.ShouldBe(1, "one rule, for CertificateRenewal's renewals");
        secretWrites[0].Kind.ShouldBe("ClusterRole");
        var role = File.ReadAllText(Path.Combine(RepoPaths.Config, "rbac", "role.yaml"));
        // The comment heading the rule's section names the capability it is for.
        System.Text.RegularExpressions.Regex.Matches(role[..role.IndexOf("  verbs: [list, create, update]", StringComparison.Ordinal)], @"^# (\w+):", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Last().Groups[1].Value.ShouldBe("CertificateRenewal");
        // docs/security.md explains every resource the operator is granted.
        var security = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "security.md"));
        foreach (var resource in rules.Where(r => r.File == "role.yaml" || r.File == "report_role.yaml" || r.File == "leader_election_role.yaml").SelectMany(r => Strings(r.Rule["resources"])).Distinct())
            security.ShouldContain($"`{resource}`", Case.Sensitive, $"docs/security.md does not explain {resource}");
    }

    [Fact]
    public void Every_metric_the_code_registers_is_documented()
    {
        var names = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), @"\.(Gauge|Counter|Histogram)\(""([a-z_]+)""").Select(m => m.Groups[2].Value))
            .Distinct().ToList();
        names.Count.ShouldBeGreaterThan(40);
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "metrics.md"));
        names.Where(n => !doc.Contains(n, StringComparison.Ordinal)).ShouldBeEmpty("metrics missing from docs/metrics.md");
    }

    [Fact]
    public void Manager_runs_two_hardened_replicas_that_restricted_v2_admits()
    {
        var deploy = Docs("manager/manager.yaml").Single(d => (string?)d["kind"] == "Deployment");
        ((int)deploy["spec"]!["replicas"]!).ShouldBe(2);
        var pod = deploy["spec"]!["template"]!["spec"]!;
        ((bool)pod["securityContext"]!["runAsNonRoot"]!).ShouldBeTrue();
        ((string?)pod["securityContext"]!["seccompProfile"]!["type"]).ShouldBe("RuntimeDefault");
        pod["securityContext"]!.AsObject().ContainsKey("runAsUser").ShouldBeFalse();
        var container = pod["containers"]![0]!;
        ((bool)container["securityContext"]!["readOnlyRootFilesystem"]!).ShouldBeTrue();
        ((bool)container["securityContext"]!["allowPrivilegeEscalation"]!).ShouldBeFalse();
        ((string?)container["securityContext"]!["capabilities"]!["drop"]![0]).ShouldBe("ALL");
        container["securityContext"]!.AsObject().ContainsKey("runAsUser").ShouldBeFalse();
        ((string?)container["livenessProbe"]!["httpGet"]!["path"]).ShouldBe("/healthz");
        ((string?)container["readinessProbe"]!["httpGet"]!["path"]).ShouldBe("/readyz");
        container["resources"]!["limits"]!["memory"].ShouldNotBeNull();
    }

    [Fact]
    public async Task Kustomize_renders_the_default_overlay()
    {
        var result = await new Kubectl("/dev/null").RunAsync("kustomize", Path.Combine(RepoPaths.Config, "default"));
        result.ShouldSucceed();
        var kinds = YamlDocuments.ParseObjects(result.Stdout).Select(d => (string?)d["kind"]).ToList();
        kinds.Count(k => k == "CustomResourceDefinition").ShouldBe(DematOperator.Api.OperatorKinds.All.Length);
        kinds.ShouldContain("Deployment");
        kinds.ShouldContain("ClusterRoleBinding");
    }

    [Theory]
    [InlineData("rules.yaml", "rules.generated.yaml")]
    [InlineData("backups.yaml", "backups.generated.yaml")]
    [InlineData("servicelevels.yaml", "servicelevels.generated.yaml")]
    [InlineData("pradrills.yaml", "pradrills.generated.yaml")]
    [InlineData("certificates.yaml", "certificates.generated.yaml")]
    public async Task Prometheus_rules_pass_promtool_check_and_unit_tests(string file, string generated)
    {
        var dir = Directory.CreateTempSubdirectory("rules-").FullName;
        var rule = Docs($"prometheus/{file}").Single(d => (string?)d["kind"] == "PrometheusRule");
        File.WriteAllText(Path.Combine(dir, generated), YamlWriter.Write(new JsonObject { ["groups"] = rule["spec"]!["groups"]!.DeepClone() }));
        foreach (var test in Directory.EnumerateFiles(Path.Combine(RepoPaths.Config, "prometheus", "tests"))) File.Copy(test, Path.Combine(dir, Path.GetFileName(test)));
        (await Promtool(dir, "check", "rules", generated)).ShouldBe("");
        var tests = Directory.EnumerateFiles(dir, "*_test.yaml").Where(t => File.ReadAllText(t).Contains(generated)).Select(Path.GetFileName).ToArray();
        tests.ShouldNotBeEmpty();
        (await Promtool(dir, ["test", "rules", .. tests!])).ShouldBe("");
    }

    [Fact]
    public async Task Shell_scripts_pass_shellcheck()
    {
        var scripts = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "hack"), "*.sh", SearchOption.AllDirectories)
            .Append(Path.Combine(RepoPaths.Root, ".ci", "run")).ToList();
        scripts.Count.ShouldBeGreaterThan(2);
        // -x follows the `. env.sh` sources; run from the root so their paths resolve.
        var psi = new ProcessStartInfo("shellcheck") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        psi.ArgumentList.Add("-x");
        foreach (var s in scripts) psi.ArgumentList.Add(Path.GetRelativePath(RepoPaths.Root, s));
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("shellcheck is required (apt-get install shellcheck)");
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        output.ShouldBeEmpty();
        p.ExitCode.ShouldBe(0);
    }

    [Theory]
    [InlineData("grafana/dashboard-configmap.yaml")]
    [InlineData("grafana/servicelevels-configmap.yaml")]
    [InlineData("grafana/evidence-configmap.yaml")]
    public async Task Grafana_dashboards_follow_the_dashboard_model(string file)
    {
        var cm = Docs(file).Single();
        var json = (string)((JsonObject)cm["data"]!).Single().Value!;
        var dashboard = JsonNode.Parse(json)!.AsObject();
        foreach (var field in new[] { "title", "uid", "schemaVersion", "panels" }) dashboard.ContainsKey(field).ShouldBeTrue($"{file} lacks {field}");
        var panels = dashboard["panels"]!.AsArray().Select(p => p!.AsObject()).ToList();
        panels.Count.ShouldBeGreaterThan(3);
        foreach (var p in panels)
        {
            ((string?)p["type"]).ShouldNotBeNullOrEmpty();
            var grid = p["gridPos"]!.AsObject();
            ((int)grid["w"]!).ShouldBeInRange(1, 24);
            ((int)grid["x"]! + (int)grid["w"]!).ShouldBeLessThanOrEqualTo(24);
            p["targets"]!.AsArray().ShouldAllBe(t => !string.IsNullOrEmpty((string?)t!["expr"]));
        }
        // Panels must not overlap on Grafana's 24-column grid.
        for (var i = 0; i < panels.Count; i++)
            for (var j = i + 1; j < panels.Count; j++)
            {
                var (a, b) = (panels[i]["gridPos"]!, panels[j]["gridPos"]!);
                var overlap = (int)a["x"]! < (int)b["x"]! + (int)b["w"]! && (int)b["x"]! < (int)a["x"]! + (int)a["w"]!
                              && (int)a["y"]! < (int)b["y"]! + (int)b["h"]! && (int)b["y"]! < (int)a["y"]! + (int)a["h"]!;
                overlap.ShouldBeFalse($"{file}: panels {i} and {j} overlap");
            }
        // Every query is valid PromQL: promtool parses them as recording rules.
        // Grafana's interval variables become a duration and template variables a regex, as Grafana substitutes them.
        var exprs = panels.SelectMany(p => p["targets"]!.AsArray()).Select(t => (string)t!["expr"]!)
            .Select(e => System.Text.RegularExpressions.Regex.Replace(e, @"\$__\w+", "5m"))
            .Select(e => System.Text.RegularExpressions.Regex.Replace(e, @"\$\{?\w+\}?", ".*")).ToList();
        var rules = new JsonObject { ["groups"] = new JsonArray(new JsonObject
        {
            ["name"] = "dashboard",
            ["rules"] = new JsonArray([.. exprs.Select((e, i) => (JsonNode)new JsonObject { ["record"] = $"dashboard:query{i}", ["expr"] = e })]),
        }) };
        var dir = Directory.CreateTempSubdirectory("dashboard-").FullName;
        File.WriteAllText(Path.Combine(dir, "queries.yaml"), YamlWriter.Write(rules));
        (await Promtool(dir, "check", "rules", "queries.yaml")).ShouldBe("");
    }

    internal static async Task<string> Promtool(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("promtool") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 ? "" : output;
    }
}
