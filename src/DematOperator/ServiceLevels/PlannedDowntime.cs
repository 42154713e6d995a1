using NodaTime;

namespace DematOperator.ServiceLevels;

/// <summary>An interruption of service that was planned: it is excluded from service time like declared maintenance, with its reason.</summary>
public sealed record PlannedInterruption(string Reason, string Source, Instant Start);

/// <summary>Why planned time was planned, as status.plannedPeriods[].reason and the report say it.</summary>
public static class PlannedReasons
{
    /// <summary>A PRA drill stopped the test environments to make room for production on the recovery site.</summary>
    public const string PraDrill = nameof(PraDrill);
}

/// <summary>What tells a ServiceLevel its service is interrupted on purpose right now (a drill that stopped its namespaces).</summary>
public interface IPlannedDowntime
{
    IReadOnlyList<PlannedInterruption> Active(IReadOnlyCollection<string> namespaces);
}

public sealed class NoPlannedDowntime : IPlannedDowntime
{
    public static readonly NoPlannedDowntime Instance = new();
    public IReadOnlyList<PlannedInterruption> Active(IReadOnlyCollection<string> namespaces) => [];
}

/// <summary>
/// Where incidents are recorded as resources people can correct (Incidents): what the figures count, and the writing of
/// the probes' incidents there. Without it the probes' own record is all there is.
/// </summary>
public interface IIncidentRecords
{
    /// <summary>The valid Incident resources of this ServiceLevel, and the probe incidents whose Incident a person deleted.</summary>
    Task<DeclaredIncidents> DeclaredAsync(ServiceLevel sl, ServiceLevelSettings settings, Instant now, CancellationToken ct);

    /// <summary>Writes an Incident for each probe incident without one, and resolves those the probes saw end; returns probe id → Incident name of those written.</summary>
    Task<IReadOnlyDictionary<string, string>> RecordAsync(ServiceLevel sl, IReadOnlyList<IncidentStatus> probeIncidents, Instant now, CancellationToken ct);
}
