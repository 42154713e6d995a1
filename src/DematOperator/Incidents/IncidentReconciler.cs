using DematOperator.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Controllers;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Incidents;

/// <summary>
/// Gives each Incident its status: valid or why not (Ready=False with the reason, and an Event), its GTR deadline in
/// service time, whether it was resolved within it, how much service time it lasted, and whether it counts as
/// downtime. The figures themselves are the ServiceLevel's: it counts the valid Incidents by the same rules.
/// </summary>
public sealed class IncidentReconciler(KubeClient client, Informer<Incident> incidents, Informer<ServiceLevel> serviceLevels, EventRecorder events) : IReconciler
{
    /// <summary>An open incident's service-time duration is refreshed this often.</summary>
    public static readonly TimeSpan OpenRefresh = TimeSpan.FromMinutes(5);

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        if (incidents.Get(request.Namespace, request.Name) is not { } incident || incident.IsDeleting) return ReconcileResult.Done;
        var now = Instant.FromDateTimeOffset(client.Time.GetUtcNow());
        var sl = serviceLevels.Get(incident.Namespace, incident.Spec.ServiceLevelRef.Name);
        ServiceLevelSettings? settings = null;
        if (sl is not null) ServiceLevelChecks.Resolve(sl.Spec, out settings);
        var siblings = incidents.List(incident.Namespace);
        if (IncidentChecks.Validate(incident, sl, settings, siblings, now) is { } problem)
        {
            await InvalidSpec.ReportAsync(client, OperatorKinds.Incidents, incident, i => i.Status ??= new IncidentStatusFields(), events, problem.Reason, problem.Message, ct,
                alsoClear: i => { i.Status!.CountedAsDowntime = false; i.Status.Counting = $"not counted: {problem.Message}"; });
            return ReconcileResult.Done;
        }
        var ledger = IncidentChecks.ToLedger(incident, settings!.Calendar);
        var start = Instant.FromDateTimeOffset(incident.Spec.StartTime);
        var end = incident.Spec.ResolvedTime is { } r ? Instant.FromDateTimeOffset(r) : now;
        var serviceTime = Intervals.Total(settings.Calendar.Windows(start, Instant.Max(start, end)));
        var counted = ServiceLevelLedger.ToOutage(ledger) is { Severity: Severity.Blocking, CountsAsDowntime: true };
        var counting = counted
            ? "counted as downtime: blocking, cause Platform, inside service time"
            : ledger.Cause != IncidentValues.Platform
                ? $"listed, not counted for availability (cause {ledger.Cause}); counted for the GTR and IND_SUP"
                : $"not downtime ({incident.Spec.Severity}); counted for the GTR and IND_SUP";
        await ObjectWriter.UpdateStatusAsync(client, OperatorKinds.Incidents, incident, i =>
        {
            var st = i.Status ??= new IncidentStatusFields();
            st.Conditions ??= [];
            st.ObservedGeneration = i.Metadata.Generation;
            st.GtrDeadline = ledger.Deadline;
            st.WithinGtr = ledger.WithinGtr;
            st.ServiceSeconds = (long)serviceTime.TotalSeconds;
            st.CountedAsDowntime = counted;
            st.Counting = counting;
            Conditions.Set(st.Conditions, Conditions.Make("Ready", true, counted ? "Counted" : "Listed", counting, i.Metadata.Generation), client.Time.GetUtcNow());
        }, ct);
        return incident.Spec.ResolvedTime is null ? ReconcileResult.After(OpenRefresh) : ReconcileResult.Done;
    }
}

public static class IncidentController
{
    public const string Name = "incident";

    /// <summary>
    /// Reconciles an Incident when its spec changes, its siblings (same ServiceLevel) when one of theirs does (an edit can
    /// make two overlap, or stop), and every Incident of a ServiceLevel when that ServiceLevel's spec changes (its calendar
    /// sets the deadlines). Status-only changes wake nothing: an open incident's duration moves with the clock, and waking
    /// on its own status write would rewrite it without end.
    /// </summary>
    public static Kube.Controllers.Controller Create(KubeClient client, Informer<Incident> incidents, Informer<ServiceLevel> serviceLevels, EventRecorder events,
        Kube.Metrics.MetricsRegistry metrics, Microsoft.Extensions.Logging.ILoggerFactory loggers) =>
        new Kube.Controllers.Controller(Name, new IncidentReconciler(client, incidents, serviceLevels, events), new ControllerOptions
            {
                MaxConcurrentReconciles = 2,
                FailureReporter = new ReconcileFailureReporter<Incident>(client,
                    OperatorKinds.Incidents, i => i.Status ??= new IncidentStatusFields(), events),
            }, metrics, loggers, client.Time)
            .For(incidents, Predicates.GenerationOrAnnotationsChanged)
            .Watches(incidents, e => incidents.List(e.New.Namespace).Where(i => i.Spec.ServiceLevelRef.Name == e.New.Spec.ServiceLevelRef.Name && i.Name != e.New.Name)
                .Select(i => new ReconcileRequest(i.Namespace, i.Name)), Predicates.GenerationOrAnnotationsChanged)
            .Watches(serviceLevels, e => incidents.List(e.New.Namespace).Where(i => i.Spec.ServiceLevelRef.Name == e.New.Name).Select(i => new ReconcileRequest(i.Namespace, i.Name)),
                Predicates.GenerationOrAnnotationsChanged);
}
