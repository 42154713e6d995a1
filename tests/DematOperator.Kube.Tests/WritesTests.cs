using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging;

namespace DematOperator.Kube.Tests;

/// <summary>Finalizers that never lose someone else's, aggregated events, the audit log, traces, owner mapping.</summary>
public sealed class WritesTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static readonly ResourceType<DynamicObject> Policies = Resources.Dynamic("ops.demat.gouv.fr", "v1alpha1", "backuppolicies", "BackupPolicy", true);

    private async Task<(KubeClient Client, string Ns)> Setup(ILoggerFactory? loggers = null)
    {
        var endpoint = DematOperator.Kube.Config.KubeConfigLoader.FromText(sim.Host.Kubeconfig(), "sim");
        var client = new KubeClient(endpoint, new KubeClientOptions { Identity = "system:serviceaccount:ops:dematoperator" }, loggers: loggers);
        var ns = "w-" + Guid.NewGuid().ToString("N")[..8];
        await client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = ns } });
        return (client, ns);
    }

    private static DynamicObject Policy(string ns, string name) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Fields = JsonNode.Parse("""{"spec":{"schedule":"0 * * * *","method":"Velero","target":{"namespaces":["a"]}}}""")!.AsObject(),
    };

    [Fact]
    public async Task Finalizers_are_added_once_and_removed_without_touching_anyone_elses()
    {
        var (c, ns) = await Setup();
        var p = await c.CreateAsync(Policies, Policy(ns, "f"));
        p = await ObjectWriter.AddFinalizerAsync(c, Policies, p, "ops.demat.gouv.fr/cleanup", default);
        p = await ObjectWriter.AddFinalizerAsync(c, Policies, p, "ops.demat.gouv.fr/cleanup", default);
        p.Metadata.Finalizers.ShouldBe(["ops.demat.gouv.fr/cleanup"]);
        // Someone else adds theirs after we read: our stale copy must not erase it.
        var stale = p;
        await c.PatchAsync(Policies, ns, "f", PatchType.Json, """[{"op":"add","path":"/metadata/finalizers/0","value":"example.com/other"}]""");
        var after = await ObjectWriter.RemoveFinalizerAsync(c, Policies, stale, "ops.demat.gouv.fr/cleanup", default);
        after.Metadata.Finalizers.ShouldBe(["example.com/other"]);
        (await c.GetAsync(Policies, ns, "f")).Metadata.Finalizers.ShouldBe(["example.com/other"]);
    }

    [Fact]
    public async Task Repeated_events_are_aggregated_into_one_with_a_count()
    {
        var (c, ns) = await Setup();
        var p = await c.CreateAsync(Policies, Policy(ns, "e"));
        var recorder = new EventRecorder(c, "dematoperator");
        await recorder.WarningAsync(p, "ScheduleInvalid", "cron expression \"x\" has 1 field, expected 5");
        await recorder.WarningAsync(p, "ScheduleInvalid", "cron expression \"x\" has 1 field, expected 5");
        await recorder.NormalAsync(p, "Reconciled", "ok");
        var events = (await c.ListAsync(Resources.Events, ns)).Items;
        events.Count.ShouldBe(2);
        var warning = events.Single(e => e.Reason == "ScheduleInvalid");
        warning.Count.ShouldBe(2);
        warning.Type.ShouldBe("Warning");
        warning.InvolvedObject.Uid.ShouldBe(p.Metadata.Uid);
        warning.Source!.Component.ShouldBe("dematoperator");
    }

    [Fact]
    public async Task Every_write_is_an_audit_line_with_who_what_and_why_and_every_call_a_span()
    {
        var lines = new ConcurrentQueue<string>();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new CapturingProvider(lines)));
        var spans = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "DematOperator.Kube",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => spans.Enqueue(a.DisplayName),
        };
        ActivitySource.AddActivityListener(listener);
        var (c, ns) = await Setup(loggers);
        using (KubeClient.Because("test creates a policy"))
            await c.CreateAsync(Policies, Policy(ns, "audited"));
        var line = lines.Single(l => l.Contains("name=audited"));
        line.ShouldContain("user=system:serviceaccount:ops:dematoperator");
        line.ShouldContain("verb=create");
        line.ShouldContain("resource=backuppolicies.ops.demat.gouv.fr");
        line.ShouldContain($"namespace={ns}");
        line.ShouldContain("code=201");
        line.ShouldContain("reason=test creates a policy");
        spans.ShouldContain($"POST /apis/ops.demat.gouv.fr/v1alpha1/namespaces/{ns}/backuppolicies");
        lines.ShouldNotContain(l => l.Contains(sim.Cluster.Auth.AdminToken));
    }

    [Fact]
    public async Task Owned_objects_wake_their_controlling_owner()
    {
        var (c, ns) = await Setup();
        var owner = await c.CreateAsync(Policies, Policy(ns, "owner"));
        var policies = new Informer<DynamicObject>(c, Policies, new InformerOptions { Namespace = ns });
        var configMaps = new Informer<ConfigMap>(c, Resources.ConfigMaps, new InformerOptions { Namespace = ns });
        var woken = new ConcurrentQueue<string>();
        var controller = new Controller("owns", new Recorder(woken))
            .For(policies, e => e.Type == InformerEventType.Added)
            .Owns(configMaps, "ops.demat.gouv.fr/v1alpha1", "BackupPolicy");
        // Handlers run in order: once this one sees the unrelated ConfigMap, the controller's mapping has handled it.
        var unrelatedSeen = false;
        configMaps.AddHandler(e => { if (e.New.Name == "unrelated") unrelatedSeen = true; });
        using var stop = new CancellationTokenSource();
        var runs = new[] { policies.RunAsync(stop.Token), configMaps.RunAsync(stop.Token), controller.RunAsync(stop.Token) };
        await Eventually.HoldsAsync(() => woken.Count == 1, "initial reconcile");
        await c.CreateAsync(Resources.ConfigMaps, new ConfigMap
        {
            Metadata = new ObjectMeta
            {
                Name = "owned", Namespace = ns,
                OwnerReferences = [new OwnerReference { ApiVersion = "ops.demat.gouv.fr/v1alpha1", Kind = "BackupPolicy", Name = "owner", Uid = owner.Metadata.Uid!, Controller = true }],
            },
        });
        await c.CreateAsync(Resources.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "unrelated", Namespace = ns } });
        await Eventually.HoldsAsync(() => woken.Count == 2, "owner woken by its ConfigMap");
        await Eventually.HoldsAsync(() => unrelatedSeen && controller.Queue.Length == 0, "the unrelated ConfigMap's event handled");
        woken.Count.ShouldBe(2);
        woken.ShouldAllBe(k => k == $"{ns}/owner");
        stop.Cancel();
        await Task.WhenAll(runs);
    }

    private sealed class Recorder(ConcurrentQueue<string> woken) : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
        {
            woken.Enqueue(request.ToString());
            return Task.FromResult(ReconcileResult.Done);
        }
    }

    private sealed class CapturingProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(lines);
        public void Dispose() { }

        private sealed class Capturing(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}
