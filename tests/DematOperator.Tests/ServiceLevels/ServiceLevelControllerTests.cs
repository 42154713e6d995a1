using System.Net;
using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.ServiceLevels;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.ServiceLevels;

/// <summary>A local HTTP service whose health is switched by the test.</summary>
public sealed class FlakyService : IDisposable
{
    private readonly HttpListener _listener;
    private volatile bool _up = true;

    public FlakyService()
    {
        // HttpListener cannot bind port 0: try random ports, each with a new listener (a failed Start disposes it).
        for (var attempt = 0; ; attempt++)
        {
            Port = Random.Shared.Next(20000, 60000);
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try { listener.Start(); _listener = listener; break; }
            catch (HttpListenerException) when (attempt < 20) { listener.Close(); }
        }
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; private set; }
    public string Url => $"http://127.0.0.1:{Port}/healthz";
    public bool Up { get => _up; set => _up = value; }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            context.Response.StatusCode = _up ? 200 : 503;
            var body = System.Text.Encoding.UTF8.GetBytes(_up ? "ok: platau" : "maintenance");
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    public void Dispose() => _listener.Close();
}

/// <summary>ServiceLevel against the emulator with a controlled clock and a real local HTTP service.</summary>
public sealed class ServiceLevelControllerTests : IAsyncLifetime
{
    private static readonly ResourceType<DynamicObject> Rules = ServiceLevelReconciler.PrometheusRules;
    // Saturday 30 May 2026, 19:00 in Paris: an hour of OR service left before the weekend's Sunday and the month's end.
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 5, 30, 17, 0, 0, TimeSpan.Zero));
    private readonly FlakyService _service = new();
    private readonly MetricsRegistry _metrics = new();
    private SimHost _host = null!;
    private KubeClient _client = null!;
    /// <summary>The operator's own client: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg");
        _client = OperatorClusters.Admin(_host, "sbg", _clock);
        _operator = OperatorClusters.Operator(_host, "sbg", _metrics, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = "platau-prod" } });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
        _service.Dispose();
    }

    private RunningOperator StartOperator()
    {
        var informer = new Informer<ServiceLevel>(_operator, OperatorKinds.ServiceLevels);
        var probes = new ProbeRunner(_operator);
        var controller = ServiceLevelController.Create(_operator, informer, probes, new EventRecorder(_operator, "dematoperator"), _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        return new RunningOperator(Task.WhenAll(informer.RunAsync(stop.Token), controller.RunAsync(stop.Token)), stop, probes);
    }

    private Task<ServiceLevel> Get(string name = "platau") => _client.GetAsync(OperatorKinds.ServiceLevels, "platau-prod", name);

    private async Task Create(string name, Action<ServiceLevelSpec>? tweak = null)
    {
        var spec = new ServiceLevelSpec
        {
            Tier = "OR", Environment = "production", Interval = "1m", AlertAfter = "1m",
            Probes = [new ProbeSpec { Name = "portal", Timeout = "2s", Http = new HttpProbeSpec { Url = _service.Url, BodyMatch = "platau" } }],
        };
        tweak?.Invoke(spec);
        await _client.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel { Metadata = new ObjectMeta { Name = name, Namespace = "platau-prod" }, Spec = spec });
    }

    /// <summary>Moves the clock one interval at a time until the condition holds.</summary>
    private async Task StepUntil(Func<ServiceLevel, bool> condition, string what, int maxSteps = 10)
    {
        for (var step = 0; ; step++)
        {
            if (condition(await Get())) return;
            if (step >= maxSteps) throw new Xunit.Sdk.XunitException($"not reached after {maxSteps} steps: {what}");
            _clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(150);
        }
    }

    [Fact]
    public async Task A_conflict_on_the_status_write_is_read_again_and_retried_at_once()
    {
        var conflict = _host["sbg"].Cluster.Faults.ConflictOn("update", "servicelevels", "conflicted", subresource: "status");
        await Create("conflicted");
        await using var op = StartOperator();
        // The clock stands still: only a retry at once writes the first round.
        await Eventually.HoldsAsync(async () => (await Get("conflicted")).Status?.State == "Up", "first round written after the conflict");
        conflict.Remaining.ShouldBe(0, "the status write met the injected 409");
    }

    [Fact]
    public async Task Outage_opens_and_closes_an_incident_survives_a_restart_and_rolls_the_month_into_history()
    {
        await Create("platau");
        var op = StartOperator();
        await Eventually.HoldsAsync(async () => (await Get()).Status?.State == "Up", "first round: up");
        var sl = await Get();
        Conditions.Find(sl.Status!.Conditions, "Ready")!.Status.ShouldBe("True");
        sl.Status.CurrentMonth!.Month.ShouldBe("2026-05");
        sl.Status.CurrentMonth.UnknownSeconds!.Value.ShouldBeGreaterThan(0, "the month before the resource existed is unknown");

        _service.Up = false;
        await StepUntil(s => s.Status?.State == "Down", "incident opened after two failed rounds");
        sl = await Get();
        var incident = sl.Status!.Incidents!.ShouldHaveSingleItem();
        incident.Severity.ShouldBe("blocking");
        incident.Message!.ShouldContain("HTTP 503");
        incident.Deadline.ShouldBe(incident.Start + TimeSpan.FromHours(36),
            "OR blocking GTR: 2 service hours, 1 h left on Saturday, resumes Monday 06:00 (Sunday 31 May is no service day)");
        var scrape = _metrics.Scrape();
        scrape.ShouldContain("demat_sla_up{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\"} 0");
        scrape.ShouldContain("demat_probe_success{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\",probe=\"portal\"} 0");
        scrape.ShouldContain("demat_sla_incidents_open{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\",severity=\"blocking\"} 1");
        (await _client.ListAsync(Resources.Events, "platau-prod")).Items.ShouldContain(e => e.Reason == "IncidentOpened" && e.Type == "Warning");

        _service.Up = true;
        await StepUntil(s => s.Status?.State == "Up", "recovered");
        sl = await Get();
        var closed = sl.Status!.Incidents!.ShouldHaveSingleItem();
        closed.End.ShouldNotBeNull();
        closed.WithinGtr.ShouldBe(true);
        var downtime = sl.Status.CurrentMonth!.DowntimeSeconds!.Value;
        downtime.ShouldBe((long)(closed.End!.Value - closed.Start).TotalSeconds);
        sl.Status.CurrentMonth.Availability!.Value.ShouldBeLessThan(1);
        scrape = _metrics.Scrape();
        scrape.ShouldContain("demat_sla_incidents_within_gtr_ratio{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\",severity=\"blocking\"} 1");
        scrape.ShouldContain("demat_sla_incidents_total{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\",severity=\"blocking\"} 1");
        scrape.ShouldContain("demat_sla_downtime_seconds_total{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\"}");
        // The issue names this gauge; "hours" there is "service hours" (a 0/1 flag), not a unit, which promtool's lint cannot know.
        (await DematOperator.Kube.Tests.Promtool.CheckMetricsAsync(scrape)).Replace("demat_sla_in_service_hours use base unit \"seconds\" instead of \"hours\"\n", "").ShouldBe("");

        // The operator restarts within an interval: the month goes on from the checkpoint, nothing is unknown or lost.
        var unknownBefore = sl.Status.CurrentMonth.UnknownSeconds;
        await op.DisposeAsync();
        op = StartOperator();
        _clock.Advance(TimeSpan.FromSeconds(50));
        await StepUntil(s => s.Status!.CheckpointTime > sl.Status.CheckpointTime, "a round after the restart");
        sl = await Get();
        sl.Status!.CurrentMonth!.DowntimeSeconds.ShouldBe(downtime);
        sl.Status.CurrentMonth.UnknownSeconds.ShouldBe(unknownBefore);

        // Over the weekend to Monday 1 June 06:30: May is closed into the history.
        _clock.Advance(new DateTimeOffset(2026, 6, 1, 4, 30, 0, TimeSpan.Zero) - _clock.GetUtcNow());
        await StepUntil(s => s.Status?.CurrentMonth?.Month == "2026-06", "month rollover");
        sl = await Get();
        var may = sl.Status!.History!.ShouldHaveSingleItem();
        may.Month.ShouldBe("2026-05");
        may.DowntimeSeconds.ShouldBe(downtime);
        may.Incidents.ShouldBe(1);
        sl.Status.CurrentMonth!.DowntimeSeconds.ShouldBe(0);
        sl.Status.Incidents!.ShouldHaveSingleItem("the last closed incidents stay listed");
        (await _client.ListAsync(Resources.Events, "platau-prod")).Items.ShouldContain(e => e.Reason == "MonthClosed");
        _metrics.Scrape().ShouldContain("demat_sla_availability_ratio{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\",period=\"previous\"}");

        // The rules the operator owns follow the spec.
        var rule = await _client.GetAsync(Rules, "platau-prod", "platau-sla");
        rule.Metadata.OwnerReferences!.ShouldHaveSingleItem().Name.ShouldBe("platau");
        var down = rule.Spec!["groups"]![0]!["rules"]!.AsArray().First(r => (string?)r!["alert"] == "DematServiceDown")!;
        ((string?)down["for"]).ShouldBe("1m");

        // Deleted, it leaves no series behind: counters (service seconds, incidents) included.
        await _client.DeleteAsync(OperatorKinds.ServiceLevels, "platau-prod", "platau");
        await Eventually.HoldsAsync(() => !_metrics.Scrape().Contains("servicelevel=\"platau\""), "every series of the deleted ServiceLevel gone");
        await op.DisposeAsync();
    }

    [Fact]
    public async Task Bad_input_gives_ready_false_and_an_event_while_other_service_levels_are_measured()
    {
        await Create("platau");
        await Create("bad-zone", s => s.TimeZone = "Europe/Nowhere");
        await Create("bad-url", s => s.Probes = [new ProbeSpec { Name = "portal", Http = new HttpProbeSpec { Url = "not a url" } }]);
        await Create("overlap", s => s.MaintenanceWindows =
        [
            new MaintenanceWindowSpec { Start = "2026-06-02T10:00:00+02:00", End = "2026-06-02T12:00:00+02:00" },
            new MaintenanceWindowSpec { Start = "2026-06-02T11:00:00+02:00", End = "2026-06-02T13:00:00+02:00" },
        ]);
        await Create("slow", s => s.Probes = [new ProbeSpec { Name = "blackhole", Timeout = "1s", Tcp = new TcpProbeSpec { Host = "10.255.255.1", Port = 9 } }]);
        await using var op = StartOperator();
        foreach (var (name, reason) in new[] { ("bad-zone", "UnknownTimeZone"), ("bad-url", "InvalidUrl"), ("overlap", "OverlappingMaintenanceWindows") })
        {
            await Eventually.HoldsAsync(async () => Conditions.Find((await Get(name)).Status?.Conditions, "Ready")?.Reason == reason, $"{name}: {reason}");
            Conditions.Find((await Get(name)).Status!.Conditions, "Ready")!.Status.ShouldBe("False");
        }
        (await _client.ListAsync(Resources.Events, "platau-prod")).Items.Select(e => e.Reason).ShouldContain("OverlappingMaintenanceWindows");
        await Eventually.HoldsAsync(async () => (await Get("platau")).Status?.State == "Up", "the valid one is measured");
        await Eventually.HoldsAsync(async () => (await Get("slow")).Status?.Probes?.FirstOrDefault()?.Message?.Length > 0, "the slow one times out");
    }
}
