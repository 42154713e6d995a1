using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using DematOperator.TestSupport;

namespace DematOperator.Conformance.Tests;

/// <summary>
/// The emulator driven by KubernetesClient 21.0.8, an independent client: every verb the operator uses and those
/// GitOps tools and kubectl use. Each expectation is what a real kube-apiserver answers, with its source in
/// docs/emulator.md ("Conformance"), not what the emulator happens to do.
///
/// Client quirk, not an emulator bug: <c>List…WithHttpMessagesAsync(watch: true)</c> only returns once the first
/// event has arrived (the client's watch handler reads the stream before handing the response back). The watches
/// here therefore always have an event coming: the initial events, or the 410 ERROR.
/// </summary>
public sealed class ApiConformanceTests(ConformanceFixture sim) : IClassFixture<ConformanceFixture>
{
    private Kubernetes K => sim.Client;

    private static V1ConfigMap ConfigMap(string name, IDictionary<string, string>? labels = null, IDictionary<string, string>? data = null) =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = labels }, Data = data ?? new Dictionary<string, string> { ["k"] = "v" } };

    private static V1Deployment Deployment(string name, int replicas = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx:1", Env = [new V1EnvVar { Name = "A", Value = "1" }] }] },
            },
        },
    };

    private static async Task<HttpOperationException> Refused(Func<Task> call) => await Should.ThrowAsync<HttpOperationException>(call);

    /// <summary>The leaf paths of a managedFields entry's FieldsV1 tree, elements joined with "/".</summary>
    private static List<string> Owned(V1ManagedFieldsEntry entry)
    {
        var paths = new List<string>();
        void Walk(JsonElement node, string prefix)
        {
            foreach (var p in node.EnumerateObject())
            {
                var path = prefix.Length == 0 ? p.Name : $"{prefix}/{p.Name}";
                if (p.Value.ValueKind == JsonValueKind.Object && p.Value.EnumerateObject().Any()) Walk(p.Value, path); else paths.Add(path);
            }
        }
        Walk(JsonSerializer.SerializeToElement(entry.FieldsV1), "");
        return paths;
    }

    private static V1Status StatusOf(HttpOperationException e) => JsonSerializer.Deserialize<V1Status>(e.Response.Content, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    [Fact]
    public async Task Lists_come_in_pages_with_a_continue_token_and_the_remaining_count()
    {
        var ns = await sim.NamespaceAsync("pages");
        for (var i = 0; i < 5; i++) await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap($"cm-{i}"), ns);

        var first = await K.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2);
        first.Items.Select(c => c.Name()).ShouldBe(["cm-0", "cm-1"]);
        first.Metadata.ContinueProperty.ShouldNotBeNullOrEmpty();
        first.Metadata.RemainingItemCount.ShouldBe(3);
        var second = await K.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2, continueParameter: first.Metadata.ContinueProperty);
        second.Items.Select(c => c.Name()).ShouldBe(["cm-2", "cm-3"]);
        var last = await K.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2, continueParameter: second.Metadata.ContinueProperty);
        last.Items.Select(c => c.Name()).ShouldBe(["cm-4"]);
        last.Metadata.ContinueProperty.ShouldBeNullOrEmpty();
        second.Metadata.ResourceVersion.ShouldBe(first.Metadata.ResourceVersion, "every page is served at the first page's resourceVersion");
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_and_an_unknown_field_label_is_a_bad_request()
    {
        var ns = await sim.NamespaceAsync("selectors");
        await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("front", new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" }), ns);
        await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("back", new Dictionary<string, string> { ["app"] = "web", ["tier"] = "back" }), ns);
        await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("other"), ns);

        (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "app=web,tier in (front, middle)")).Items.Select(c => c.Name()).ShouldBe(["front"]);
        (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "!app")).Items.Select(c => c.Name()).ShouldBe(["other"]);
        (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "app,tier notin (front)")).Items.Select(c => c.Name()).ShouldBe(["back"]);
        (await K.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name!=other,metadata.name!=back")).Items.Select(c => c.Name()).ShouldBe(["front"]);

        var refused = await Refused(() => K.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "data.k=v"));
        refused.Response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        StatusOf(refused).Message.ShouldContain("field label not supported: data.k");
        var badLabels = await Refused(() => K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "app in web"));
        badLabels.Response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_update_with_a_stale_resourceVersion_is_a_409_conflict()
    {
        var ns = await sim.NamespaceAsync("conflict");
        var created = await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("cm"), ns);
        created.Data["k"] = "first";
        var updated = await K.CoreV1.ReplaceNamespacedConfigMapAsync(created, "cm", ns);
        updated.ResourceVersion().ShouldNotBe(created.ResourceVersion());

        created.Data["k"] = "stale";
        var refused = await Refused(() => K.CoreV1.ReplaceNamespacedConfigMapAsync(created, "cm", ns));
        refused.Response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var status = StatusOf(refused);
        status.Reason.ShouldBe("Conflict");
        status.Message.ShouldContain("the object has been modified; please apply your changes to the latest version and try again");
    }

    [Fact]
    public async Task Merge_json_and_strategic_merge_patches_apply_as_their_rfcs_and_the_patch_strategy_say()
    {
        var ns = await sim.NamespaceAsync("patch");
        await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("cm", data: new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }), ns);

        // RFC 7386: null removes a key, other keys are replaced.
        var merged = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":null,"c":"3"}}""", V1Patch.PatchType.MergePatch), "cm", ns);
        merged.Data.ShouldBe(new Dictionary<string, string> { ["b"] = "2", ["c"] = "3" });
        // RFC 6902: operations in order; a failed test refuses the whole patch (422).
        var patched = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""[{"op":"test","path":"/data/b","value":"2"},{"op":"replace","path":"/data/b","value":"20"}]""", V1Patch.PatchType.JsonPatch), "cm", ns);
        patched.Data["b"].ShouldBe("20");
        var failed = await Refused(() => K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""[{"op":"test","path":"/data/b","value":"2"}]""", V1Patch.PatchType.JsonPatch), "cm", ns));
        failed.Response.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);

        // Strategic merge: containers merge on their name, env on its name.
        await K.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), ns);
        var strategic = await K.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(
            """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2","env":[{"name":"B","value":"2"}]}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", ns);
        var container = strategic.Spec.Template.Spec.Containers.ShouldHaveSingleItem();
        container.Image.ShouldBe("nginx:2");
        container.Env.Select(e => e.Name).OrderBy(n => n).ShouldBe(["A", "B"]);
        strategic.Metadata.Generation.ShouldBe(2);
    }

    [Fact]
    public async Task Server_side_apply_creates_owns_conflicts_with_another_manager_and_force_takes_over()
    {
        var ns = await sim.NamespaceAsync("apply");
        const string config = """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"team":"a"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
             "spec":{"containers":[{"name":"web","image":"nginx:1"}]}}}}
            """;
        var created = await K.AppsV1.PatchNamespacedDeploymentWithHttpMessagesAsync(new V1Patch(config, V1Patch.PatchType.ApplyPatch), "web", ns, fieldManager: "gitops");
        created.Response.StatusCode.ShouldBe(HttpStatusCode.Created, "an apply that creates answers 201");
        var entry = created.Body.Metadata.ManagedFields.ShouldHaveSingleItem();
        entry.Manager.ShouldBe("gitops");
        entry.Operation.ShouldBe("Apply");
        entry.FieldsType.ShouldBe("FieldsV1");
        var owned = Owned(entry);
        owned.ShouldContain("f:spec/f:replicas");
        owned.ShouldContain("f:spec/f:template/f:spec/f:containers/k:{\"name\":\"web\"}/f:image");
        owned.ShouldContain("f:spec/f:template/f:spec/f:containers/k:{\"name\":\"web\"}/.");

        // The same configuration again changes nothing (the Deployment controller may have written status meanwhile).
        var again = await K.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(config, V1Patch.PatchType.ApplyPatch), "web", ns, fieldManager: "gitops");
        again.Metadata.Generation.ShouldBe(1);
        again.Metadata.ManagedFields.Single(m => m.Manager == "gitops").Time.ShouldBe(entry.Time);

        // Another manager changing a field gitops applied: 409 naming the manager and the field.
        const string scale = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}""";
        var conflict = await Refused(() => K.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(scale, V1Patch.PatchType.ApplyPatch), "web", ns, fieldManager: "autoscaler"));
        conflict.Response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var status = StatusOf(conflict);
        status.Message.ShouldBe("Apply failed with 1 conflict: conflict with \"gitops\" using apps/v1: .spec.replicas");
        var cause = status.Details.Causes.ShouldHaveSingleItem();
        cause.Reason.ShouldBe("FieldManagerConflict");
        cause.Field.ShouldBe(".spec.replicas");

        // The same value is no conflict: both own it.
        await K.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(scale.Replace("5", "2"), V1Patch.PatchType.ApplyPatch), "web", ns, fieldManager: "autoscaler");
        // Forced, the field changes hands.
        var forced = await K.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(scale, V1Patch.PatchType.ApplyPatch), "web", ns, fieldManager: "autoscaler", force: true);
        forced.Spec.Replicas.ShouldBe(5);
        Owned(forced.Metadata.ManagedFields.Single(m => m.Manager == "gitops")).ShouldNotContain("f:spec/f:replicas");

        // gitops stops applying its label and its container's image stays owned: the label goes, nothing else does.
        var trimmed = config.Replace(""","labels":{"team":"a"}""", "").Replace("\"replicas\":2,", "");
        var applied = await K.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(trimmed, V1Patch.PatchType.ApplyPatch), "web", ns, fieldManager: "gitops");
        (applied.Metadata.Labels ?? new Dictionary<string, string>()).ShouldNotContainKey("team");
        applied.Spec.Replicas.ShouldBe(5, "the autoscaler owns replicas now");
        applied.Spec.Template.Spec.Containers.ShouldHaveSingleItem().Image.ShouldBe("nginx:1");

        // An update (not an apply) by another manager takes the fields it changes, without conflict.
        var edited = await K.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:3"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", ns, fieldManager: "kubectl-edit");
        var editor = edited.Metadata.ManagedFields.Single(m => m.Manager == "kubectl-edit");
        editor.Operation.ShouldBe("Update");
        Owned(editor).ShouldBe(["f:spec/f:template/f:spec/f:containers/k:{\"name\":\"web\"}/f:image"]);
        var missingManager = await Refused(() => K.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(config, V1Patch.PatchType.ApplyPatch), "web", ns));
        missingManager.Response.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity, "fieldManager is required for apply");
    }

    [Fact]
    public async Task Deleting_a_configmap_answers_a_success_status_and_a_pod_answers_the_pod()
    {
        var ns = await sim.NamespaceAsync("delete");
        var cm = await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("cm"), ns);

        var wrongUid = await Refused(() => K.CoreV1.DeleteNamespacedConfigMapAsync("cm", ns, new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = "00000000-0000-0000-0000-000000000000" } }));
        wrongUid.Response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        StatusOf(wrongUid).Message.ShouldContain("Precondition failed: UID in precondition");
        var staleRv = await Refused(() => K.CoreV1.DeleteNamespacedConfigMapAsync("cm", ns, new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = "1" } }));
        staleRv.Response.StatusCode.ShouldBe(HttpStatusCode.Conflict);

        var status = await K.CoreV1.DeleteNamespacedConfigMapAsync("cm", ns, new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = cm.Uid(), ResourceVersion = cm.ResourceVersion() } });
        status.Status.ShouldBe("Success");
        status.Details.Name.ShouldBe("cm");
        status.Details.Kind.ShouldBe("configmaps", "finalizeDelete puts the resource in details.kind");
        status.Details.Uid.ShouldBe(cm.Uid());
        (await Refused(() => K.CoreV1.ReadNamespacedConfigMapAsync("cm", ns))).Response.StatusCode.ShouldBe(HttpStatusCode.NotFound);

        await K.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } }, ns);
        var pod = await K.CoreV1.DeleteNamespacedPodAsync("p", ns);
        pod.Kind.ShouldBe("Pod", "the pod store returns the deleted object (ReturnDeletedObject)");
        pod.Name().ShouldBe("p");
    }

    [Fact]
    public async Task Orphan_and_foreground_propagation_and_deletecollection()
    {
        var ns = await sim.NamespaceAsync("propagation");
        var owner = await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("owner"), ns);
        V1ConfigMap Dependent(string name) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["set"] = "x" }, OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = owner.Uid(), BlockOwnerDeletion = true }] },
        };
        await K.CoreV1.CreateNamespacedConfigMapAsync(Dependent("kept"), ns);
        await K.CoreV1.DeleteNamespacedConfigMapAsync("owner", ns, propagationPolicy: "Orphan");
        await Eventually.HoldsAsync(async () => (await K.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=owner")).Items.Count == 0, "orphaned owner gone");
        var kept = await K.CoreV1.ReadNamespacedConfigMapAsync("kept", ns);
        (kept.Metadata.OwnerReferences ?? []).ShouldBeEmpty("orphaning removes the owner reference from dependents");

        owner = await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("owner"), ns);
        await K.CoreV1.CreateNamespacedConfigMapAsync(Dependent("child"), ns);
        var deleting = await K.CoreV1.DeleteNamespacedConfigMapAsync("owner", ns, propagationPolicy: "Foreground");
        deleting.Status.ShouldBeNull("an object held by the foregroundDeletion finalizer is answered as itself, not a Status");
        var held = await K.CoreV1.ReadNamespacedConfigMapAsync("owner", ns);
        held.Metadata.DeletionTimestamp.ShouldNotBeNull();
        held.Metadata.Finalizers.ShouldContain("foregroundDeletion");
        await Eventually.HoldsAsync(async () => (await K.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=owner")).Items.Count == 0
                                                 && (await K.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=child")).Items.Count == 0, "owner gone after its dependent");

        for (var i = 0; i < 3; i++) await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap($"batch-{i}", new Dictionary<string, string> { ["batch"] = "yes" }), ns);
        await K.CoreV1.DeleteCollectionNamespacedConfigMapAsync(ns, labelSelector: "batch=yes");
        (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "batch=yes")).Items.ShouldBeEmpty();
        (await K.CoreV1.ListNamespacedConfigMapAsync(ns)).Items.Select(c => c.Name()).ShouldBe(["kept"]);
    }

    [Fact]
    public async Task Dry_run_writes_nothing()
    {
        var ns = await sim.NamespaceAsync("dryrun");
        var answered = await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("cm"), ns, dryRun: "All");
        answered.Name().ShouldBe("cm");
        answered.Metadata.CreationTimestamp.ShouldNotBeNull();
        (await Refused(() => K.CoreV1.ReadNamespacedConfigMapAsync("cm", ns))).Response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("cm"), ns);
        await K.CoreV1.DeleteNamespacedConfigMapAsync("cm", ns, dryRun: "All");
        (await K.CoreV1.ReadNamespacedConfigMapAsync("cm", ns)).Name().ShouldBe("cm");
    }

    [Fact]
    public async Task Status_and_scale_subresources_write_only_their_part()
    {
        var ns = await sim.NamespaceAsync("subresources");
        var created = await K.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", replicas: 2), ns);
        created.Metadata.Generation.ShouldBe(1);

        created.Status = new V1DeploymentStatus { Replicas = 7 };
        created.Spec.Replicas = 3;
        var viaMain = await K.AppsV1.ReplaceNamespacedDeploymentAsync(created, "web", ns);
        viaMain.Spec.Replicas.ShouldBe(3);
        (viaMain.Status?.Replicas ?? 0).ShouldNotBe(7, "the main resource ignores status when status is a subresource");

        viaMain.Status = new V1DeploymentStatus { ObservedGeneration = 9, Replicas = 7 };
        viaMain.Spec.Replicas = 5;
        var viaStatus = await K.AppsV1.ReplaceNamespacedDeploymentStatusAsync(viaMain, "web", ns);
        viaStatus.Status.ObservedGeneration.ShouldBe(9);
        viaStatus.Spec.Replicas.ShouldBe(3, "the status subresource ignores spec");
        viaStatus.Metadata.Generation.ShouldBe(2, "a status write does not move the generation");

        var scale = await K.AppsV1.ReadNamespacedDeploymentScaleAsync("web", ns);
        scale.Spec.Replicas.ShouldBe(3);
        scale.Spec.Replicas = 4;
        var rescaled = await K.AppsV1.ReplaceNamespacedDeploymentScaleAsync(scale, "web", ns);
        rescaled.Spec.Replicas.ShouldBe(4);
        (await K.AppsV1.ReadNamespacedDeploymentAsync("web", ns)).Spec.Replicas.ShouldBe(4);
        var patchedScale = await K.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("""{"spec":{"replicas":0}}""", V1Patch.PatchType.MergePatch), "web", ns);
        patchedScale.Spec.Replicas.ShouldBe(0);
    }

    [Fact]
    public async Task Leases_renew_with_optimistic_concurrency()
    {
        var ns = await sim.NamespaceAsync("leases");
        var now = TestClock.Start.UtcDateTime;
        var lease = await K.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "leader" },
            Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15, AcquireTime = now, RenewTime = now },
        }, ns);
        lease.Spec.HolderIdentity.ShouldBe("a");
        var stale = lease.Spec.RenewTime;
        lease.Spec.RenewTime = now.AddSeconds(5);
        var renewed = await K.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "leader", ns);
        renewed.Spec.RenewTime!.Value.ShouldBeGreaterThan(stale!.Value);
        lease.Spec.HolderIdentity = "b";
        (await Refused(() => K.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "leader", ns))).Response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Events_of_both_apis_are_selected_by_the_object_they_regard()
    {
        var ns = await sim.NamespaceAsync("events");
        var now = TestClock.Start.UtcDateTime;
        foreach (var target in new[] { "web", "db" })
            await K.CoreV1.CreateNamespacedEventAsync(new Corev1Event
            {
                Metadata = new V1ObjectMeta { Name = $"{target}.1" },
                InvolvedObject = new V1ObjectReference { Kind = "Deployment", Name = target, NamespaceProperty = ns, ApiVersion = "apps/v1" },
                Reason = "ScalingReplicaSet", Message = "scaled", Type = "Normal", Source = new V1EventSource { Component = "deployment-controller" },
                FirstTimestamp = now, LastTimestamp = now, Count = 1,
            }, ns);
        var described = await K.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name=web,involvedObject.namespace={ns},involvedObject.kind=Deployment");
        described.Items.ShouldHaveSingleItem().InvolvedObject.Name.ShouldBe("web");
        (await K.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "source=deployment-controller,type=Normal")).Items.Count.ShouldBe(2);
        (await K.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "reason!=ScalingReplicaSet")).Items.ShouldBeEmpty();

        await K.EventsV1.CreateNamespacedEventAsync(new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = "web.2" }, EventTime = now, ReportingController = "dematoperator", ReportingInstance = "dematoperator-0",
            Action = "Reconcile", Reason = "BackupSucceeded", Type = "Normal", Note = "done",
            Regarding = new V1ObjectReference { Kind = "BackupPolicy", Name = "web", NamespaceProperty = ns, ApiVersion = "ops.demat.gouv.fr/v1alpha1" },
        }, ns);
        var regarding = await K.EventsV1.ListNamespacedEventAsync(ns, fieldSelector: "regarding.name=web,reportingController=dematoperator");
        regarding.Items.ShouldHaveSingleItem().Reason.ShouldBe("BackupSucceeded");
    }

    [Fact]
    public async Task Watches_send_initial_events_then_a_bookmark_and_a_compacted_resourceVersion_is_410_gone()
    {
        var ns = await sim.NamespaceAsync("watch");
        await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("before"), ns);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<(WatchEventType Type, string Name, string? InitialEnd)>();
        await foreach (var (type, item) in K.CoreV1.WatchListNamespacedConfigMapAsync(ns, allowWatchBookmarks: true, sendInitialEvents: true,
            resourceVersionMatch: "NotOlderThan", cancellationToken: stop.Token))
        {
            seen.Add((type, item.Name() ?? "", item.Metadata?.Annotations?.TryGetValue("k8s.io/initial-events-end", out var end) == true ? end : null));
            if (type == WatchEventType.Bookmark) break;
        }
        seen.ShouldBe([(WatchEventType.Added, "before", null), (WatchEventType.Bookmark, "", "true")]);

        var list = await K.CoreV1.ListNamespacedConfigMapAsync(ns);
        await K.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("after"), ns);
        sim.Cluster.CompactHistory();
        // A watch from a compacted resourceVersion opens (200) and its one event is ERROR with a 410 Status
        // (the watch cache's "too old resource version"); the client hands that to onError as a KubernetesException.
        var errors = new List<Exception>();
        var events = new List<WatchEventType>();
        await foreach (var (type, _) in K.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: list.Metadata.ResourceVersion, onError: errors.Add, cancellationToken: stop.Token))
            events.Add(type);
        events.ShouldNotContain(WatchEventType.Added, "nothing is replayed from a compacted history");
        var gone = errors.OfType<KubernetesException>().ShouldHaveSingleItem();
        gone.Status.Code.ShouldBe(410);
        gone.Status.Reason.ShouldBe("Expired");
    }

    [Fact]
    public async Task Custom_resources_get_their_defaults_and_lose_unknown_fields()
    {
        var ns = await sim.NamespaceAsync("crd");
        await K.ApiextensionsV1.CreateCustomResourceDefinitionAsync(new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = "widgets.conformance.example" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "conformance.example", Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = "widgets", Singular = "widget", Kind = "Widget", ListKind = "WidgetList" },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = "v1", Served = true, Storage = true,
                        Subresources = new V1CustomResourceSubresources { Status = new object() },
                        Schema = new V1CustomResourceValidation
                        {
                            OpenAPIV3Schema = new V1JSONSchemaProps
                            {
                                Type = "object",
                                Properties = new Dictionary<string, V1JSONSchemaProps>
                                {
                                    ["spec"] = new()
                                    {
                                        Type = "object",
                                        Properties = new Dictionary<string, V1JSONSchemaProps>
                                        {
                                            ["size"] = new() { Type = "integer", DefaultProperty = 3 },
                                            ["color"] = new() { Type = "string" },
                                            ["parts"] = new()
                                            {
                                                Type = "array", XKubernetesListType = "map", XKubernetesListMapKeys = ["name"],
                                                Items = new V1JSONSchemaProps { Type = "object", Required = ["name"], Properties = new Dictionary<string, V1JSONSchemaProps> { ["name"] = new() { Type = "string" }, ["count"] = new() { Type = "integer" } } },
                                            },
                                            ["tags"] = new() { Type = "array", Items = new V1JSONSchemaProps { Type = "string" } },
                                        },
                                    },
                                    ["status"] = new() { Type = "object", XKubernetesPreserveUnknownFields = true },
                                },
                            },
                        },
                    },
                ],
            },
        });
        await Eventually.HoldsAsync(async () => (await K.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets.conformance.example")).Status?.Conditions?
            .Any(c => c.Type == "Established" && c.Status == "True") == true, "CRD established");

        var created = (JsonElement)await K.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "conformance.example/v1", ["kind"] = "Widget",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "w" },
            ["spec"] = new Dictionary<string, object> { ["color"] = "blue", ["shape"] = "round" },
        }, "conformance.example", "v1", ns, "widgets");
        var spec = created.GetProperty("spec");
        spec.GetProperty("size").GetInt32().ShouldBe(3, "defaulted from the schema");
        spec.GetProperty("color").GetString().ShouldBe("blue");
        spec.TryGetProperty("shape", out _).ShouldBeFalse("pruned: not in the schema");
        // A list written as an object: pruning empties it (its keys are not properties of an array), and
        // validation then names the type (apiextensions pruning.go, then the schema validator). Under
        // fieldValidation=Strict the pruned keys come first, as unknown fields, as on a real server.
        var wrongType = await Refused(() => K.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "conformance.example/v1", ["kind"] = "Widget", ["metadata"] = new Dictionary<string, object> { ["name"] = "bad" },
            ["spec"] = new Dictionary<string, object> { ["tags"] = new Dictionary<string, object> { ["name"] = "x" } },
        }, "conformance.example", "v1", ns, "widgets"));
        wrongType.Response.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        var typeCause = StatusOf(wrongType).Details.Causes.ShouldHaveSingleItem();
        typeCause.Field.ShouldBe("spec.tags");
        typeCause.Message.ShouldContain("must be of type array");

        var listed = (JsonElement)await K.CustomObjects.ListNamespacedCustomObjectAsync("conformance.example", "v1", ns, "widgets");
        listed.GetProperty("items").GetArrayLength().ShouldBe(1);

        // Server-side apply follows the schema's list types: a map list merges each manager's items by key, an
        // atomic list (the default) belongs to one manager as a whole.
        static string Applied(string part, string tag) =>
            $$$"""{"apiVersion":"conformance.example/v1","kind":"Widget","metadata":{"name":"g"},"spec":{"parts":[{"name":"{{{part}}}","count":1}],"tags":["{{{tag}}}"]}}""";
        await K.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(Applied("wheel", "red"), V1Patch.PatchType.ApplyPatch), "conformance.example", "v1", ns, "widgets", "g", fieldManager: "team-a");
        var conflict = await Refused(() => K.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(Applied("door", "blue"), V1Patch.PatchType.ApplyPatch), "conformance.example", "v1", ns, "widgets", "g", fieldManager: "team-b"));
        conflict.Response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        StatusOf(conflict).Details.Causes.ShouldHaveSingleItem().Field.ShouldBe(".spec.tags", "the atomic list conflicts, the map list does not");
        await K.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(Applied("door", "red"), V1Patch.PatchType.ApplyPatch), "conformance.example", "v1", ns, "widgets", "g", fieldManager: "team-b");
        var g = (JsonElement)await K.CustomObjects.GetNamespacedCustomObjectAsync("conformance.example", "v1", ns, "widgets", "g");
        g.GetProperty("spec").GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ShouldBe(["wheel", "door"]);
    }
}
