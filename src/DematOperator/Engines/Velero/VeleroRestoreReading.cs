using DematOperator.Foreign;

namespace DematOperator.Engines.Velero;

public enum RestoreReadingKind { Pending, Completed, Failed }

/// <summary>
/// What a Velero Restore says of itself, read in this one place for the PRA drill and the RestoreRequest alike
/// (velero pkg/apis/velero/v1/restore_types.go, RestoreStatus): Completed with errors is a failure (status.errors counts
/// the items Velero could not restore); a failed phase (PartiallyFailed, Failed, FailedValidation) carries
/// status.failureReason, else the first validation error, else the error count; anything else is still going.
/// Completed is not yet a success: what it restored (status.progress.itemsRestored) is judged by the caller.
/// </summary>
public sealed record VeleroRestoreReading(RestoreReadingKind Kind, string Phase, int ItemsRestored, int Warnings, string? Failure)
{
    public static VeleroRestoreReading Of(VeleroRestore? restore, string name)
    {
        var status = restore?.Status;
        var phase = status?.Phase ?? VeleroPhases.New;
        var (items, warnings) = (status?.Progress?.ItemsRestored ?? 0, status?.Warnings ?? 0);
        if (phase == VeleroPhases.Completed)
            return status?.Errors is > 0 and var errors
                ? new(RestoreReadingKind.Failed, phase, items, warnings, $"Velero Restore {name} completed with {errors} error(s)")
                : new(RestoreReadingKind.Completed, phase, items, warnings, null);
        if (VeleroPhases.IsFailure(phase))
        {
            var why = status?.FailureReason ?? status?.ValidationErrors?.FirstOrDefault() ?? $"{status?.Errors ?? 0} error(s)";
            return new(RestoreReadingKind.Failed, phase, items, warnings, $"Velero Restore {name} ended {phase}: {why}");
        }
        return new(RestoreReadingKind.Pending, phase, items, warnings, null);
    }
}
