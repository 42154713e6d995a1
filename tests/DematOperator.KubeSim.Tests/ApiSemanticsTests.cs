using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.TestSupport;

namespace DematOperator.KubeSim.Tests;

/// <summary>The object semantics real API servers have and common fakes lack, each checked over HTTP.</summary>
public sealed class ApiSemanticsTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static readonly ResourceType<DynamicObject> ConfigMaps = Resources.Dynamic("", "v1", "configmaps", "ConfigMap", true);
    private static readonly ResourceType<DynamicObject> Policies = Resources.Dynamic("ops.demat.gouv.fr", "v1alpha1", "backuppolicies", "BackupPolicy", true);
    private static readonly ResourceType<DynamicObject> Namespaces = Resources.Namespaces;

    private KubeClient Client() => SimClients.For(sim.Host, "sim");

    private async Task<string> NewNamespace(KubeClient c)
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..8];
        await c.CreateAsync(Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = name } });
        return name;
    }

    private static DynamicObject Policy(string ns, string name, string schedule = "0 * * * *") => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Fields = new JsonObject
        {
            ["spec"] = new JsonObject { ["schedule"] = schedule, ["method"] = "Velero", ["target"] = new JsonObject { ["namespaces"] = new JsonArray("a") } },
        },
    };

    [Fact]
    public async Task Create_sets_uid_timestamp_generation_and_a_global_increasing_resource_version()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        var a = await c.CreateAsync(Policies, Policy(ns, "a"));
        var b = await c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { GenerateName = "gen-", Namespace = ns } });
        a.Metadata.Uid.ShouldNotBeNullOrEmpty();
        a.Metadata.CreationTimestamp.ShouldNotBeNull();
        a.Metadata.Generation.ShouldBe(1);
        b.Name.ShouldStartWith("gen-");
        b.Name.Length.ShouldBe("gen-".Length + 5);
        b.Metadata.Generation.ShouldBeNull();
        long.Parse(b.Metadata.ResourceVersion!).ShouldBeGreaterThan(long.Parse(a.Metadata.ResourceVersion!));
        var dup = await Should.ThrowAsync<KubeApiException>(() => c.CreateAsync(Policies, Policy(ns, "a")));
        dup.Status.Reason.ShouldBe("AlreadyExists");
        dup.Code.ShouldBe(409);
    }

    [Fact]
    public async Task Defaults_are_applied_and_unknown_fields_pruned()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        var p = Policy(ns, "defaults");
        p.Spec!["surprise"] = 1;
        var created = await c.CreateAsync(Policies, p);
        ((string?)created.Spec!["rpo"]).ShouldBe("4h");
        ((string?)created.Spec["deletionPolicy"]).ShouldBe("Retain");
        created.Spec.ContainsKey("surprise").ShouldBeFalse();
    }

    [Fact]
    public async Task Spec_changes_bump_generation_metadata_changes_do_not_and_noop_writes_change_nothing()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        var p = await c.CreateAsync(Policies, Policy(ns, "gen"));
        p.Metadata.Labels = new() { ["x"] = "y" };
        var labelled = await c.UpdateAsync(Policies, p);
        labelled.Metadata.Generation.ShouldBe(1);
        labelled.Metadata.ResourceVersion.ShouldNotBe(p.Metadata.ResourceVersion);
        var same = await c.UpdateAsync(Policies, labelled);
        same.Metadata.ResourceVersion.ShouldBe(labelled.Metadata.ResourceVersion);
        labelled.Spec!["schedule"] = "5 * * * *";
        var respec = await c.UpdateAsync(Policies, labelled);
        respec.Metadata.Generation.ShouldBe(2);
    }

    [Fact]
    public async Task Stale_resource_version_is_a_conflict_with_the_real_message_and_custom_resources_need_one()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        var p = await c.CreateAsync(Policies, Policy(ns, "occ"));
        var first = Clone(p);
        first.Spec!["schedule"] = "1 * * * *";
        await c.UpdateAsync(Policies, first);
        p.Spec!["schedule"] = "2 * * * *";
        var conflict = await Should.ThrowAsync<KubeApiException>(() => c.UpdateAsync(Policies, p));
        conflict.Code.ShouldBe(409);
        conflict.Status.Message.ShouldBe($"Operation cannot be fulfilled on backuppolicies.ops.demat.gouv.fr \"occ\": the object has been modified; please apply your changes to the latest version and try again");
        p.Metadata.ResourceVersion = null;
        var missing = await Should.ThrowAsync<KubeApiException>(() => c.UpdateAsync(Policies, p));
        missing.Code.ShouldBe(422);
        missing.Status.Causes!.ShouldContain(x => x.Field == "metadata.resourceVersion");
    }

    [Fact]
    public async Task Status_subresource_is_split_from_the_main_resource()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        var p = Policy(ns, "split");
        p.Fields!["status"] = new JsonObject { ["missedRuns"] = 5 };
        var created = await c.CreateAsync(Policies, p);
        created.Status.ShouldBeNull();
        created.Fields!["status"] = new JsonObject { ["missedRuns"] = 1 };
        created.Spec!["schedule"] = "9 * * * *";
        created.Metadata.Labels = new() { ["via"] = "status" };
        var afterStatus = await c.UpdateStatusAsync(Policies, created);
        ((long?)afterStatus.Status!["missedRuns"]).ShouldBe(1);
        ((string?)afterStatus.Spec!["schedule"]).ShouldBe("0 * * * *");
        afterStatus.Metadata.Labels.ShouldBeNull();
        afterStatus.Metadata.Generation.ShouldBe(1);
        afterStatus.Fields!["status"] = new JsonObject { ["missedRuns"] = 7 };
        var viaMain = await c.UpdateAsync(Policies, afterStatus);
        ((long?)viaMain.Status!["missedRuns"]).ShouldBe(1);
    }

    [Fact]
    public async Task Finalizers_hold_deletion_bump_generation_and_the_last_removal_deletes()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        var p = Policy(ns, "fin");
        p.Metadata.Finalizers = ["example.com/a"];
        var created = await c.CreateAsync(Policies, p);
        await c.DeleteAsync(Policies, ns, "fin");
        var deleting = await c.GetAsync(Policies, ns, "fin");
        deleting.Metadata.DeletionTimestamp.ShouldNotBeNull();
        deleting.Metadata.Generation.ShouldBe(2);
        await Should.ThrowAsync<KubeApiException>(() => c.PatchAsync(Policies, ns, "fin", PatchType.Merge, "{\"metadata\":{\"finalizers\":[\"example.com/a\",\"example.com/b\"]}}"));
        await c.PatchAsync(Policies, ns, "fin", PatchType.Json, "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"}]");
        (await c.TryGetAsync(Policies, ns, "fin")).ShouldBeNull();
    }

    [Fact]
    public async Task Objects_need_an_existing_active_namespace()
    {
        using var c = Client();
        var missing = await Should.ThrowAsync<KubeApiException>(() => c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { Name = "x", Namespace = "does-not-exist" } }));
        missing.Code.ShouldBe(404);
        missing.Status.Message.ShouldBe("namespaces \"does-not-exist\" not found");
        var ns = await NewNamespace(c);
        await c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { Name = "held", Namespace = ns, Finalizers = ["example.com/x"] } });
        await c.DeleteAsync(Namespaces, null, ns);
        (await c.GetAsync(Namespaces, null, ns)).Status!["phase"]!.GetValue<string>().ShouldBe("Terminating");
        var terminating = await Should.ThrowAsync<KubeApiException>(() => c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { Name = "late", Namespace = ns } }));
        terminating.Code.ShouldBe(403);
        terminating.Status.Message.ShouldContain("because it is being terminated");
        await c.PatchAsync(ConfigMaps, ns, "held", PatchType.Merge, "{\"metadata\":{\"finalizers\":null}}");
        await Eventually.HoldsAsync(async () => await c.TryGetAsync(Namespaces, null, ns) is null, "namespace removed once empty");
    }

    [Fact]
    public async Task Garbage_collector_cascades_background_foreground_and_orphans()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        async Task<(DynamicObject Owner, DynamicObject Child)> Family(string name)
        {
            var owner = await c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { Name = name, Namespace = ns } });
            var child = await c.CreateAsync(ConfigMaps, new DynamicObject
            {
                Metadata = new ObjectMeta
                {
                    Name = name + "-child", Namespace = ns,
                    OwnerReferences = [new OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = name, Uid = owner.Metadata.Uid!, BlockOwnerDeletion = true }],
                },
            });
            return (owner, child);
        }
        await Family("bg");
        await c.DeleteAsync(ConfigMaps, ns, "bg", new DeleteRequest("Background"));
        await Eventually.HoldsAsync(async () => await c.TryGetAsync(ConfigMaps, ns, "bg-child") is null, "background cascade");

        await Family("fg");
        await c.DeleteAsync(ConfigMaps, ns, "fg", new DeleteRequest("Foreground"));
        (await c.GetAsync(ConfigMaps, ns, "fg")).Metadata.Finalizers.ShouldContain("foregroundDeletion");
        await Eventually.HoldsAsync(async () => await c.TryGetAsync(ConfigMaps, ns, "fg") is null && await c.TryGetAsync(ConfigMaps, ns, "fg-child") is null, "foreground cascade");

        await Family("or");
        await c.DeleteAsync(ConfigMaps, ns, "or", new DeleteRequest("Orphan"));
        await Eventually.HoldsAsync(async () => await c.TryGetAsync(ConfigMaps, ns, "or") is null, "owner gone");
        var orphan = await c.GetAsync(ConfigMaps, ns, "or-child");
        orphan.Metadata.OwnerReferences.ShouldBeNull();
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_and_unknown_field_labels_are_refused()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        foreach (var (name, env, tier) in new[] { ("a", "prod", "web"), ("b", "prod", "db"), ("c", "qa", "web"), ("d", "dev", "") })
        {
            var labels = new Dictionary<string, string> { ["env"] = env };
            if (tier.Length > 0) labels["tier"] = tier;
            await c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = labels } });
        }
        async Task<string> Names(string? labels, string? fields = null) =>
            string.Join(",", (await c.ListAsync(ConfigMaps, ns, new ListRequest(labels, fields))).Items.Select(i => i.Name));
        (await Names("env=prod")).ShouldBe("a,b");
        (await Names("env==prod,tier!=db")).ShouldBe("a");
        (await Names("env in (qa,dev)")).ShouldBe("c,d");
        (await Names("env notin (prod)")).ShouldBe("c,d");
        (await Names("tier")).ShouldBe("a,b,c");
        (await Names("!tier")).ShouldBe("d");
        (await Names(null, "metadata.name=c")).ShouldBe("c");
        (await Names(null, "metadata.name!=c,metadata.namespace=" + ns)).ShouldBe("a,b,d");
        var bad = await Should.ThrowAsync<KubeApiException>(() => c.ListAsync(ConfigMaps, ns, new ListRequest(FieldSelector: "spec.nodeName=x")));
        bad.Code.ShouldBe(400);
        bad.Status.Message.ShouldBe("field label not supported: spec.nodeName");
    }

    [Fact]
    public async Task Pagination_keeps_one_resource_version_and_expired_continue_tokens_are_410()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        for (var i = 0; i < 7; i++) await c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { Name = $"p{i}", Namespace = ns } });
        var first = await c.ListAsync(ConfigMaps, ns, new ListRequest(Limit: 3));
        first.Items.Count.ShouldBe(3);
        first.Metadata.RemainingItemCount.ShouldBe(4);
        var second = await c.ListAsync(ConfigMaps, ns, new ListRequest(Limit: 3, Continue: first.Metadata.Continue));
        second.Metadata.ResourceVersion.ShouldBe(first.Metadata.ResourceVersion);
        var third = await c.ListAsync(ConfigMaps, ns, new ListRequest(Limit: 3, Continue: second.Metadata.Continue));
        third.Items.Count.ShouldBe(1);
        third.Metadata.Continue.ShouldBeNull();
        first.Items.Concat(second.Items).Concat(third.Items).Select(i => i.Name).ShouldBe(Enumerable.Range(0, 7).Select(i => $"p{i}"));
        (await c.ListAllAsync(ConfigMaps, ns, new ListRequest(Limit: 2))).Items.Count.ShouldBe(7);
        // Compaction beyond the list's resourceVersion makes its continue token unusable, as on etcd.
        await c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { Name = "later", Namespace = ns } });
        sim.Cluster.CompactHistory();
        var expired = await Should.ThrowAsync<KubeApiException>(() => c.ListAsync(ConfigMaps, ns, new ListRequest(Limit: 3, Continue: first.Metadata.Continue)));
        expired.Code.ShouldBe(410);
        expired.Status.Reason.ShouldBe("Expired");
    }

    [Fact]
    public async Task Patches_json_merge_strategic_and_415_for_strategic_on_custom_resources()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        await c.CreateAsync(Policies, Policy(ns, "pt"));
        var smp = await Should.ThrowAsync<KubeApiException>(() => c.PatchAsync(Policies, ns, "pt", PatchType.Strategic, "{\"spec\":{}}"));
        smp.Code.ShouldBe(415);
        var merged = await c.PatchAsync(Policies, ns, "pt", PatchType.Merge, "{\"spec\":{\"suspend\":true}}");
        ((bool?)merged.Spec!["suspend"]).ShouldBe(true);
        var failed = await Should.ThrowAsync<KubeApiException>(() => c.PatchAsync(Policies, ns, "pt", PatchType.Json, "[{\"op\":\"test\",\"path\":\"/spec/suspend\",\"value\":false},{\"op\":\"replace\",\"path\":\"/spec/suspend\",\"value\":false}]"));
        failed.Code.ShouldBe(422);
        var invalid = await Should.ThrowAsync<KubeApiException>(() => c.PatchAsync(Policies, ns, "pt", PatchType.Merge, "{\"spec\":{\"method\":\"Floppy\"}}"));
        invalid.Code.ShouldBe(422);
        invalid.Status.Causes!.Single().Field.ShouldBe("spec.method");
        invalid.Status.Causes!.Single().Reason.ShouldBe("FieldValueNotSupported");
        var deploy = Resources.Deployments;
        await c.CreateAsync(deploy, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "d", Namespace = ns },
            Fields = JsonNode.Parse("""{"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"one","image":"i:1"},{"name":"two","image":"i:1"}]}}}}""")!.AsObject(),
        });
        var patched = await c.PatchAsync(deploy, ns, "d", PatchType.Strategic, """{"spec":{"template":{"spec":{"containers":[{"name":"two","image":"i:2"}]}}}}""");
        var containers = patched.Spec!["template"]!["spec"]!["containers"]!.AsArray();
        containers.Count.ShouldBe(2);
        ((string?)containers[1]!["image"]).ShouldBe("i:2");
    }

    [Fact]
    public async Task Immutable_fields_are_rejected()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        var deploy = await c.CreateAsync(Resources.Deployments, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "imm", Namespace = ns },
            Fields = JsonNode.Parse("""{"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b","c":"d"}},"spec":{"containers":[{"name":"x","image":"y"}]}}}}""")!.AsObject(),
        });
        var e = await Should.ThrowAsync<KubeApiException>(() => c.PatchAsync(Resources.Deployments, ns, "imm", PatchType.Merge, "{\"spec\":{\"selector\":{\"matchLabels\":{\"c\":\"d\"}}}}"));
        e.Code.ShouldBe(422);
        e.Status.Message.ShouldContain("field is immutable");
        await c.CreateAsync(ConfigMaps, new DynamicObject { Metadata = new ObjectMeta { Name = "frozen", Namespace = ns }, Fields = JsonNode.Parse("""{"immutable":true,"data":{"a":"1"}}""")!.AsObject() });
        (await Should.ThrowAsync<KubeApiException>(() => c.PatchAsync(ConfigMaps, ns, "frozen", PatchType.Merge, "{\"data\":{\"a\":\"2\"}}"))).Code.ShouldBe(422);
    }

    [Fact]
    public async Task Dry_run_persists_nothing()
    {
        using var c = Client();
        var ns = await NewNamespace(c);
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        http.DefaultRequestHeaders.Authorization = new("Bearer", sim.Cluster.Auth.AdminToken);
        var response = await http.PostAsync($"{sim.Host.Servers[0].Url}/api/v1/namespaces/{ns}/configmaps?dryRun=All",
            new StringContent("""{"metadata":{"name":"dry"}}""", System.Text.Encoding.UTF8, "application/json"));
        ((int)response.StatusCode).ShouldBe(201);
        (await c.TryGetAsync(ConfigMaps, ns, "dry")).ShouldBeNull();
    }

    [Fact]
    public async Task Crd_deletion_removes_its_objects_then_its_resources()
    {
        using var c = Client();
        var crds = Resources.Dynamic("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false);
        var crd = JsonNode.Parse("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
             "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},
             "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer","minimum":1}}}}}}}]}}
            """)!.AsObject();
        var created = await c.CreateAsync(crds, new DynamicObject { Metadata = new ObjectMeta { Name = "widgets.example.com" }, Fields = new JsonObject { ["spec"] = crd["spec"]!.DeepClone() } });
        created.Status!["conditions"]!.AsArray().ShouldContain(x => (string?)x!["type"] == "Established" && (string?)x["status"] == "True");
        var widgets = Resources.Dynamic("example.com", "v1", "widgets", "Widget", true);
        var ns = await NewNamespace(c);
        await c.CreateAsync(widgets, new DynamicObject { Metadata = new ObjectMeta { Name = "w", Namespace = ns }, Fields = new JsonObject { ["spec"] = new JsonObject { ["size"] = 2 } } });
        var tooSmall = await Should.ThrowAsync<KubeApiException>(() => c.CreateAsync(widgets, new DynamicObject { Metadata = new ObjectMeta { Name = "w0", Namespace = ns }, Fields = new JsonObject { ["spec"] = new JsonObject { ["size"] = 0 } } }));
        tooSmall.Status.Causes!.Single().Message.ShouldBe("Invalid value: 0: spec.size in body should be greater than or equal to 1");
        await c.DeleteAsync(crds, null, "widgets.example.com");
        await Eventually.HoldsAsync(async () => await c.TryGetAsync(crds, null, "widgets.example.com") is null, "CRD gone after its objects");
        var gone = await Should.ThrowAsync<KubeApiException>(() => c.ListAsync(widgets, ns));
        gone.Code.ShouldBe(404);
    }

    [Fact]
    public async Task Non_structural_crd_is_rejected()
    {
        using var c = Client();
        var crds = Resources.Dynamic("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false);
        var e = await Should.ThrowAsync<KubeApiException>(() => c.CreateAsync(crds, new DynamicObject
        {
            Metadata = new ObjectMeta { Name = "bads.example.com" },
            Fields = JsonNode.Parse("""{"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"bads","kind":"Bad"},"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"properties":{"x":{"type":"string"}}}}}}}]}}""")!.AsObject(),
        }));
        e.Code.ShouldBe(422);
        e.Status.Causes!.ShouldContain(x => x.Field == "spec.versions[0].schema.openAPIV3Schema.properties[spec].type");
    }

    private static DynamicObject Clone(DynamicObject o) =>
        System.Text.Json.JsonSerializer.Deserialize(System.Text.Json.JsonSerializer.Serialize(o, KubeJsonContext.Default.DynamicObject), KubeJsonContext.Default.DynamicObject)!;
}
