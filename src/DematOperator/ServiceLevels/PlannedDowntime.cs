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
