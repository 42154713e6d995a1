using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Incidents;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Metrics;
using DematOperator.Kube.Writes;
using DematOperator.KubeSim.Hosting;
using DematOperator.ServiceLevels;
using DematOperator.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Tests.Incidents;

/// <summary>
/// Incidents as resources, end to end on the emulator with a manual clock: the probes' incidents written and resolved,
/// a person's corrections and ticket declarations counted by the rules, bad input refused without touching the figures.
/// OR service hours (06:00-20:00, Monday to Saturday): Tuesday 2 June 2026 from 10:00 in Paris is service time.
/// </summary>
public sealed class IncidentTests : IAsyncLifetime
{
    private const string Ns = "platau-prod";
    private readonly ManualTimeProvider _clock = new(TestClock.Start);
    private readonly MetricsRegistry _metrics = new();
    private readonly SwitchableProbes _probes = new();
    private SimHost _host = null!;
    private KubeClient _client = null!;
    /// <summary>The operator's own client: config/rbac's ServiceAccount under RBAC.</summary>
    private KubeClient _operator = null!;

    private sealed class SwitchableProbes : IProbeRunner
    {
        public volatile bool Up = true;
        public Task<ProbeOutcome> RunAsync(string ns, ProbeSpec probe, CancellationToken ct) =>
            Task.FromResult(new ProbeOutcome(probe.Name, Up, Up ? "HTTP 200" : "HTTP 503", TimeSpan.FromMilliseconds(5)));
    }

    public async Task InitializeAsync()
    {
        _host = await OperatorClusters.StartAsync(_clock, "sbg");
        _client = OperatorClusters.Admin(_host, "sbg", _clock);
        _operator = OperatorClusters.Operator(_host, "sbg", _metrics, _clock, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        await _client.CreateAsync(Resources.Namespaces, new DynamicObject { Metadata = new ObjectMeta { Name = Ns } });
        await _client.CreateAsync(OperatorKinds.ServiceLevels, new ServiceLevel
        {
            Metadata = new ObjectMeta { Name = "platau", Namespace = Ns },
            Spec = new ServiceLevelSpec { Tier = "OR", Environment = "production", Interval = "30s", Probes = [new ProbeSpec { Name = "api", Http = new HttpProbeSpec { Url = "https://platau.example/health" } }] },
        });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _operator.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>The ServiceLevel and Incident controllers wired as the operator wires them.</summary>
    private RunningOperator StartOperator()
    {
        var serviceLevels = new Informer<ServiceLevel>(_operator, OperatorKinds.ServiceLevels);
        var incidents = new Informer<Incident>(_operator, OperatorKinds.Incidents);
        var events = new EventRecorder(_operator, "dematoperator");
        var sl = ServiceLevelController.Create(_operator, serviceLevels, _probes, events, _metrics, NullLoggerFactory.Instance, incidentRecords: new IncidentRecords(_operator, incidents, events))
            .Watches(incidents, e => [new ReconcileRequest(e.New.Namespace, e.New.Spec.ServiceLevelRef.Name)], Predicates.GenerationOrAnnotationsChanged);
        var inc = IncidentController.Create(_operator, incidents, serviceLevels, events, _metrics, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        return new RunningOperator(Task.WhenAll(serviceLevels.RunAsync(stop.Token), incidents.RunAsync(stop.Token), sl.RunAsync(stop.Token), inc.RunAsync(stop.Token)), stop);
    }

    private Task<ServiceLevel> Sl() => _client.GetAsync(OperatorKinds.ServiceLevels, Ns, "platau");
    private async Task<List<Incident>> Incidents() => (await _client.ListAsync(OperatorKinds.Incidents, Ns)).Items;

    private async Task AdvanceUntil(Func<Task<bool>> condition, string what, int maxSteps = 300, int stepSeconds = 10)
    {
        for (var i = 0; !await condition(); i++)
        {
            if (i >= maxSteps) throw new Xunit.Sdk.XunitException($"not reached after {maxSteps} steps: {what}");
            _clock.Advance(TimeSpan.FromSeconds(stepSeconds));
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Moves the clock to exactly <paramref name="instant"/> and has the ServiceLevel probe and measure there (an annotation
    /// wakes it, as `kubectl annotate` would): the figures then describe a period the test chose, and their expected values
    /// are computed by hand, not read back from the operator's status.
    /// </summary>
    private async Task RoundAt(DateTimeOffset instant)
    {
        // The controllers start on the shared manual clock (their cache-sync waits are timers): nudge it a millisecond at a
        // time until the first round, so that round, which ends the unknown time before creation, is within a second of it.
        for (var i = 0; (await Sl()).Status?.CheckpointTime is null; i++)
        {
            if (i >= 900) throw new Xunit.Sdk.XunitException("no first round within 900 ms of the test clock");
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Delay(20);
        }
        while (_clock.GetUtcNow() < instant)
        {
            _clock.Advance(TimeSpan.FromSeconds(Math.Min(15, (instant - _clock.GetUtcNow()).TotalSeconds)));
            await Task.Delay(20);
        }
        var stamp = instant.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["test.demat/round"] = stamp } } };
        await _client.PatchAsync(OperatorKinds.ServiceLevels, Ns, "platau", PatchType.Merge, patch.ToJsonString());
        await Eventually.HoldsAsync(async () => (await Sl()).Status?.CheckpointTime == instant, $"measured at {instant:O}", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// OR service time (06:00-20:00 Monday-Saturday, Paris) from the month's start to the ServiceLevel's creation, Tuesday
    /// 2 June 2026 10:00: Monday 1 June 06:00-20:00 (not a holiday: Whit Monday 2026 is 25 May) and 2 June 06:00-10:00. The
    /// operator counts it as unknown: nothing measured it.
    /// </summary>
    private const long UnknownBeforeCreation = (14 + 4) * 3600;

    /// <summary>Lets the ServiceLevel measure, one round per step, until its checkpoint has passed <paramref name="minutes"/> more minutes.</summary>
    private async Task Measure(int minutes)
    {
        var until = _clock.GetUtcNow() + TimeSpan.FromMinutes(minutes);
        await AdvanceUntil(async () => (await Sl()).Status?.CheckpointTime >= until, $"measured {minutes} more minutes", maxSteps: minutes * 4 + 60, stepSeconds: 15);
    }

    private Task Patch(string name, string json) => _client.PatchAsync(OperatorKinds.Incidents, Ns, name, PatchType.Merge, json);

    private static Incident Declared(string name, DateTimeOffset start, DateTimeOffset? resolved, string severity = IncidentValues.Blocking, string serviceLevel = "platau") => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = Ns },
        Spec = new IncidentSpec
        {
            ServiceLevelRef = new LocalRef { Name = serviceLevel }, Severity = severity, StartTime = start, ResolvedTime = resolved,
            Ticket = "INC-2026-0042", Qualification = IncidentValues.Administration, Summary = "portal unreachable (ticket)",
        },
    };

    [Fact]
    public async Task A_probe_incident_is_written_as_an_Incident_resolved_by_the_probes_and_a_person_s_correction_prevails()
    {
        await using var op = StartOperator();
        // 45 minutes measured up first, so the corrected start below falls in measured service time.
        var down = TestClock.Start.AddMinutes(45);
        await RoundAt(down);
        _probes.Up = false;
        await RoundAt(down.AddSeconds(1));
        await AdvanceUntil(async () => (await Incidents()).Count == 1, "the probes' incident written as an Incident");
        var incident = (await Incidents()).Single();
        incident.Spec.Qualification.ShouldBe(IncidentValues.Operator);
        incident.Spec.Severity.ShouldBe(IncidentValues.Blocking);
        incident.Spec.ResolvedTime.ShouldBeNull();
        incident.Metadata.OwnerReferences!.Single().Kind.ShouldBe("ServiceLevel");
        incident.Metadata.Labels![IncidentValues.ProbeLabel].ShouldBe("api");
        // `kubectl get sl` shows the open incident and its severity, and the state does not hide it.
        await AdvanceUntil(async () => (await Sl()).Status?.OpenIncidents == 1, "the open incident counted in the status");
        var kubeconfig = Path.Combine(Directory.CreateTempSubdirectory("incident-kubeconfig-").FullName, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, _host.Kubeconfig());
        var table = (await new Kubectl(kubeconfig).RunAsync("--context", "sbg", "get", "sl", "-n", Ns)).ShouldSucceed().Stdout;
        table.ShouldContain("OPEN INCIDENTS");
        table.ShouldContain("WORST OPEN");
        // Created minutes ago: the month is barely measured, and the verdict column says so rather than a figure alone.
        System.Text.RegularExpressions.Regex.IsMatch(table, @"platau\s+OR\s+production\s+\S+\s+\S+\s+données insuffisantes\s+Down\s+1\s+blocking").ShouldBeTrue(table);
        await AdvanceUntil(async () => (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Status?.GtrDeadline is not null, "the Incident's status");
        var started = incident.Spec.StartTime;
        // Changes that are not the spec's wake nothing: in real time an open incident's duration moves between its status write and
        // the event of that write, so reconciling on it would rewrite the status without end. Label edits show the filter here.
        await AdvanceUntil(async () => (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Status?.ServiceSeconds is not null, "the Incident's duration");
        var before = Reconciled.Count(_metrics, IncidentController.Name);
        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Patch(incident.Name, new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["test.demat/touch"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } } }.ToJsonString());
        }
        // A spec edit after them is reconciled once: the label edits before it were filtered out, not merely not yet seen.
        await Patch(incident.Name, """{"spec":{"summary":"touched"}}""");
        var generation = (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Metadata.Generation;
        await Eventually.HoldsAsync(async () => (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Status?.ObservedGeneration == generation, "the spec edit reconciled");
        // The counter moves after the status write: wait for it. Events are handled in order, so a reconcile of the label
        // edits would have been counted before this one.
        await Eventually.HoldsAsync(() => Task.FromResult(Reconciled.Count(_metrics, IncidentController.Name) > before), "the spec edit's reconcile counted");
        (Reconciled.Count(_metrics, IncidentController.Name) - before).ShouldBe(1, "status and label changes do not reconcile the Incident");
        (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Status!.GtrDeadline.ShouldBe(started + TimeSpan.FromHours(2), "OR blocking GTR: 2 h of service time");

        // The first failed probe ran at down + 1 s, the first success at up + 1 s: an incident starts at its first failed
        // probe and ends at the first successful round (docs/servicelevel.md), so it lasted exactly up - down.
        started.ShouldBe(down.AddSeconds(1));
        var up = down.AddMinutes(20);
        await RoundAt(up);
        _probes.Up = true;
        await RoundAt(up.AddSeconds(1));
        await AdvanceUntil(async () => (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Spec.ResolvedTime is not null, "resolved when the probes see the end");
        (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Spec.ResolvedTime.ShouldBe(up.AddSeconds(1));
        await Measure(1);
        var downtime = (long)(up - down).TotalSeconds;
        (await Sl()).Status!.CurrentMonth!.DowntimeSeconds.ShouldBe(downtime);

        // The ticket says it began 30 minutes earlier: a person corrects the start and adds the ticket.
        var corrected = started - TimeSpan.FromMinutes(30);
        await Patch(incident.Name, new JsonObject { ["spec"] = new JsonObject { ["startTime"] = KubeTimeConverter.Format(corrected), ["ticket"] = "INC-2026-0042" } }.ToJsonString());
        await AdvanceUntil(async () => (await Sl()).Status!.CurrentMonth!.DowntimeSeconds == downtime + 1800, "the correction counted");
        await Measure(2);
        (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Spec.StartTime.ShouldBe(corrected, "the operator never overwrites a person's correction");

        // Requalified as an application anomaly: listed, not counted for availability (CCTP).
        await Patch(incident.Name, """{"spec":{"cause":"Application"}}""");
        await AdvanceUntil(async () => (await Sl()).Status!.CurrentMonth!.DowntimeSeconds == 0, "an application anomaly is not downtime");
        var sl = await Sl();
        sl.Status!.CurrentMonth!.Incidents.ShouldBe(1, "still listed");
        sl.Status.CurrentMonth.Availability.ShouldBe(1);
        var status = (await _client.GetAsync(OperatorKinds.Incidents, Ns, incident.Name)).Status!;
        status.CountedAsDowntime.ShouldBe(false);
        status.Counting!.ShouldContain("cause Application");
    }

    [Fact]
    public async Task An_Incident_declared_from_a_ticket_moves_the_figures_and_bad_input_never_does()
    {
        await using var op = StartOperator();
        var now = TestClock.Start.AddMinutes(60);
        await RoundAt(now);
        await _client.CreateAsync(OperatorKinds.Incidents, Declared("ticket-0042", now - TimeSpan.FromMinutes(50), now - TimeSpan.FromMinutes(20)));
        await AdvanceUntil(async () => (await Sl()).Status!.CurrentMonth!.DowntimeSeconds == 1800, "30 minutes of downtime from the ticket");
        await RoundAt(TestClock.Start.AddMinutes(65));
        var figures = (await Sl()).Status!.CurrentMonth!;
        // By hand: measured service time is creation (10:00) to 11:05, all within OR's hours; the month's earlier service time is unknown.
        (figures.ServiceSeconds, figures.UnknownSeconds, figures.DowntimeSeconds).ShouldBe((UnknownBeforeCreation + 65 * 60, UnknownBeforeCreation, 1800L));
        await AdvanceUntil(async () => Conditions.Find((await _client.GetAsync(OperatorKinds.Incidents, Ns, "ticket-0042")).Status?.Conditions, "Ready")?.Reason == "Counted", "the ticket's Incident counted");
        (await _client.GetAsync(OperatorKinds.Incidents, Ns, "ticket-0042")).Status!.WithinGtr.ShouldBe(true);
        // The same figures in the metrics and in every format of the report.
        figures.Availability!.Value.ShouldBe(1 - 1800.0 / (65 * 60), 1e-6, "the first round came a few milliseconds after creation");
        var scrape = _metrics.Scrape();
        scrape.ShouldContain("demat_indicator_value{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\",indicator=\"IND_INC01\"} 1");
        scrape.ShouldContain("demat_sla_downtime_seconds_total{namespace=\"platau-prod\",servicelevel=\"platau\",tier=\"OR\",environment=\"production\"}");
        var report = DematOperator.Reports.MonthlyServiceReport.Build([await DematOperator.Reports.ReportSnapshot.GatherAsync(_client, "sbg", default)],
            new NodaTime.YearMonth(2026, 6), NodaTime.DateTimeZoneProviders.Tzdb["Europe/Paris"], NodaTime.Instant.FromDateTimeOffset(_clock.GetUtcNow()));
        var row = report.Availability.Single();
        (row.DowntimeSeconds, row.Availability).ShouldBe((1800L, figures.Availability));
        report.IncidentList.ShouldHaveSingleItem().Ticket.ShouldBe("INC-2026-0042");
        report.Indicators.Single(i => i.Indicator == "IND_INC01").Value.ShouldBe(1);
        DematOperator.Reports.ReportWriter.Markdown(report).ShouldContain("| INC-2026-0042 |");
        DematOperator.Reports.HtmlReportWriter.Render(report).ShouldContain("<td>INC-2026-0042</td>");
        DematOperator.Reports.ReportWriter.Csv(report)["incidents.csv"].ShouldContain(",Platform,INC-2026-0042,");
        ((string?)System.Text.Json.Nodes.JsonNode.Parse(DematOperator.Reports.ReportWriter.Json(report))!["incidentList"]![0]!["ticket"]).ShouldBe("INC-2026-0042");

        // Bad input: each is refused with a reason and an Event, and the figures stay as they were.
        await _client.CreateAsync(OperatorKinds.Incidents, Declared("backwards", now - TimeSpan.FromMinutes(10), now - TimeSpan.FromMinutes(40)));
        await _client.CreateAsync(OperatorKinds.Incidents, Declared("nowhere", now - TimeSpan.FromMinutes(10), null, serviceLevel: "no-such-sl"));
        await _client.CreateAsync(OperatorKinds.Incidents, Declared("twice", now - TimeSpan.FromMinutes(40), now - TimeSpan.FromMinutes(5)));
        foreach (var (name, reason) in new[] { ("backwards", "ResolvedBeforeStart"), ("nowhere", "UnknownServiceLevel"), ("twice", "Overlapping") })
        {
            await AdvanceUntil(async () => Conditions.Find((await _client.GetAsync(OperatorKinds.Incidents, Ns, name)).Status?.Conditions, "Ready") is { Status: "False" } c && c.Reason == reason, $"{name}: {reason}");
            await AdvanceUntil(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Any(e => e.Reason == reason && e.InvolvedObject.Name == name), $"{name}: Event");
        }
        Conditions.Find((await _client.GetAsync(OperatorKinds.Incidents, Ns, "twice")).Status!.Conditions, "Ready")!.Message!.ShouldContain("ticket-0042");
        await Measure(2);
        var after = (await Sl()).Status!.CurrentMonth!;
        after.DowntimeSeconds.ShouldBe(figures.DowntimeSeconds);
        after.Incidents.ShouldBe(1, "refused Incidents are not counted");
    }

    [Fact]
    public async Task Deleting_the_Incident_of_a_probe_incident_withdraws_it_with_an_Event_and_the_Administration_s_qualification_is_never_touched()
    {
        await using var op = StartOperator();
        await Measure(2);
        _probes.Up = false;
        await AdvanceUntil(async () => (await Incidents()).Count == 1, "first incident written");
        var first = (await Incidents()).Single().Name;
        await Measure(5);
        _probes.Up = true;
        await AdvanceUntil(async () => (await _client.GetAsync(OperatorKinds.Incidents, Ns, first)).Spec.ResolvedTime is not null, "first resolved");
        await Measure(1);
        (await Sl()).Status!.CurrentMonth!.DowntimeSeconds!.Value.ShouldBeGreaterThan(0);
        await _client.DeleteAsync(OperatorKinds.Incidents, Ns, first);
        await AdvanceUntil(async () => (await Sl()).Status!.CurrentMonth!.DowntimeSeconds == 0, "withdrawn from the figures");
        await AdvanceUntil(async () => (await _client.ListAsync(Resources.Events, Ns)).Items.Any(e => e.Reason == "IncidentDeleted"), "the deletion's Event");
        var report = DematOperator.Reports.MonthlyServiceReport.Build([await DematOperator.Reports.ReportSnapshot.GatherAsync(_client, "sbg", default)],
            new NodaTime.YearMonth(2026, 6), NodaTime.DateTimeZoneProviders.Tzdb["Europe/Paris"], NodaTime.Instant.FromDateTimeOffset(_clock.GetUtcNow()));
        report.IncidentList.ShouldHaveSingleItem().Withdrawn.ShouldBe(true, "the deletion's effect is visible in the report");
        DematOperator.Reports.ReportWriter.Markdown(report).ShouldContain("supprimé par une personne (non compté)");
        await Measure(2);
        (await _client.TryGetAsync(OperatorKinds.Incidents, Ns, first)).ShouldBeNull("a deleted Incident is not written again");

        // A second outage, qualified by the Administration while open: the operator then leaves it as it is.
        _probes.Up = false;
        await AdvanceUntil(async () => (await Incidents()).Count == 1, "second incident written");
        var second = (await Incidents()).Single().Name;
        await Patch(second, """{"spec":{"qualification":"Administration","severity":"Major"}}""");
        await Measure(3);
        _probes.Up = true;
        await Measure(3);
        var kept = await _client.GetAsync(OperatorKinds.Incidents, Ns, second);
        kept.Spec.ResolvedTime.ShouldBeNull("the Administration's qualification prevails: the operator does not resolve it");
        kept.Spec.Severity.ShouldBe(IncidentValues.Major);
        (await Sl()).Status!.CurrentMonth!.DowntimeSeconds.ShouldBe(0, "requalified as major by the Administration: no downtime");
    }
}
