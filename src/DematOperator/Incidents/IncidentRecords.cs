using System.Text.Json.Nodes;
using DematOperator.Api;
using DematOperator.Backups;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Informers;
using DematOperator.Kube.Writes;
using DematOperator.ServiceLevels;
using NodaTime;

namespace DematOperator.Incidents;

/// <summary>
/// Incidents as resources: the probes' incidents are written as Incidents (owned by the ServiceLevel, qualification
/// Operator), people and pipelines correct them or declare others from tickets, and the ServiceLevel counts what they
/// say. Precedence: an Incident qualified by the Administration is never changed by the operator; a field a person
/// changed (it differs from what the operator last wrote, kept in an annotation) is never overwritten; the probes
/// fill only what nobody touched.
/// </summary>
public sealed class IncidentRecords(KubeClient client, Informer<Incident> incidents, EventRecorder events) : IIncidentRecords
{
    public async Task<DeclaredIncidents> DeclaredAsync(ServiceLevel sl, ServiceLevelSettings settings, Instant now, CancellationToken ct)
    {
        var all = incidents.List(sl.Namespace);
        var mine = all.Where(i => i.Spec.ServiceLevelRef.Name == sl.Name && !i.IsDeleting).ToList();
        var declared = mine.Where(i => IncidentChecks.Validate(i, sl, settings, all, now) is null).Select(i => IncidentChecks.ToLedger(i, settings.Calendar)).ToList();
        var deleted = new HashSet<string>();
        foreach (var probe in sl.Status?.Incidents ?? [])
        {
            if (probe.Incident is not { } name || mine.Any(i => i.Name == name)) continue;
            // The cache may not show an Incident written a moment ago: only the API server says it is gone.
            if (await client.TryGetAsync(OperatorKinds.Incidents, sl.Namespace, name, ct) is null) deleted.Add(probe.Id);
        }
        return new DeclaredIncidents(declared, deleted);
    }

    public async Task<IReadOnlyDictionary<string, string>> RecordAsync(ServiceLevel sl, IReadOnlyList<IncidentStatus> probeIncidents, Instant now, CancellationToken ct)
    {
        var written = new Dictionary<string, string>();
        using var because = KubeClient.Because($"ServiceLevel {sl.Namespace}/{sl.Name} incidents");
        foreach (var probe in probeIncidents)
        {
            if (probe.Incident is { } name)
            {
                if (probe.End is { } end && incidents.Get(sl.Namespace, name) is { } existing) await ResolveAsync(sl, existing, end, ct);
                continue;
            }
            var incident = NewIncident(sl, probe);
            try { await client.CreateAsync(OperatorKinds.Incidents, incident, ct); }
            catch (KubeApiException e) when (e.IsAlreadyExists) { }
            written[probe.Id] = incident.Name;
            await events.NormalAsync(sl, "IncidentRecorded", $"{probe.Severity} incident {probe.Id} recorded as Incident {incident.Name}: correct it there (start, end, severity, cause, ticket)", ct);
        }
        return written;
    }

    public static string NameFor(ServiceLevel sl, string probeId) => KubeNames.Fit($"{sl.Name}-{probeId}".ToLowerInvariant(), 253);

    private static Incident NewIncident(ServiceLevel sl, IncidentStatus probe)
    {
        var severity = ToSpecSeverity(probe.Severity);
        var spec = new IncidentSpec
        {
            ServiceLevelRef = new LocalRef { Name = sl.Name },
            Severity = severity,
            StartTime = probe.Start,
            ResolvedTime = probe.End,
            Cause = IncidentValues.Platform,
            Qualification = IncidentValues.Operator,
            Summary = probe.Message is { Length: > 1000 } m ? m[..1000] : probe.Message,
        };
        return new Incident
        {
            Metadata = new ObjectMeta
            {
                Name = NameFor(sl, probe.Id), Namespace = sl.Namespace,
                Labels = new()
                {
                    [IncidentValues.ServiceLevelLabel] = RunLabels.LabelValue(sl.Name),
                    [IncidentValues.IncidentIdLabel] = RunLabels.LabelValue(probe.Id),
                    [IncidentValues.ProbeLabel] = RunLabels.LabelValue(probe.Probes?.FirstOrDefault() ?? "none"),
                    ["app.kubernetes.io/managed-by"] = "dematoperator",
                },
                Annotations = new() { [IncidentValues.OperatorValuesAnnotation] = OperatorValues(spec) },
                OwnerReferences = [new OwnerReference { ApiVersion = Group.ApiVersion, Kind = "ServiceLevel", Name = sl.Name, Uid = sl.Metadata.Uid!, Controller = true, BlockOwnerDeletion = true }],
            },
            Spec = spec,
        };
    }

    /// <summary>Sets the end the probes saw, unless the Administration qualified the Incident or a person already set or changed it.</summary>
    private async Task ResolveAsync(ServiceLevel sl, Incident incident, DateTimeOffset end, CancellationToken ct)
    {
        if (incident.Spec.ResolvedTime is not null || incident.Spec.Qualification == IncidentValues.Administration) return;
        var recorded = incident.Metadata.Annotations?.GetValueOrDefault(IncidentValues.OperatorValuesAnnotation) is { } text ? JsonNode.Parse(text) : null;
        if (recorded is null || (string?)recorded["resolvedTime"] is not null) return;
        var spec = ObjectWriter.Copy(OperatorKinds.Incidents, incident).Spec;
        spec.ResolvedTime = end;
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = incident.Metadata.ResourceVersion,
                ["annotations"] = new JsonObject { [IncidentValues.OperatorValuesAnnotation] = OperatorValues(spec) },
            },
            ["spec"] = new JsonObject { ["resolvedTime"] = KubeTimeConverter.Format(end) },
        };
        try { await client.PatchAsync(OperatorKinds.Incidents, incident.Namespace, incident.Name, PatchType.Merge, patch.ToJsonString(), ct: ct); }
        catch (KubeApiException e) when (e.IsConflict || e.IsNotFound) { }
        await events.NormalAsync(sl, "IncidentResolved", $"Incident {incident.Name} resolved at {KubeTimeConverter.Format(end)} (probes back up)", ct);
    }

    private static string OperatorValues(IncidentSpec spec) => new JsonObject
    {
        ["severity"] = spec.Severity,
        ["startTime"] = KubeTimeConverter.Format(spec.StartTime),
        ["resolvedTime"] = spec.ResolvedTime is { } r ? KubeTimeConverter.Format(r) : null,
    }.ToJsonString();

    private static string ToSpecSeverity(string ledgerSeverity) => ledgerSeverity switch
    {
        "blocking" => IncidentValues.Blocking,
        "major" => IncidentValues.Major,
        _ => IncidentValues.Minor,
    };
}
