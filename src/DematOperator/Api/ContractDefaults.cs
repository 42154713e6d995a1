using NodaTime;

namespace DematOperator.Api;

/// <summary>
/// The contract's objectives where a spec says nothing (CONTEXT: production restarts within 2 hours, from a backup at
/// most 4 hours old). Written once: every default RPO and RTO of the operator is one of these.
/// </summary>
public static class ContractDefaults
{
    public static readonly Duration Rpo = Duration.FromHours(4);
    public static readonly Duration Rto = Duration.FromHours(2);
}
