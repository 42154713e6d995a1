using DematOperator.Engines.Velero;
using DematOperator.Foreign;
using DematOperator.Kube.Api;

namespace DematOperator.Tests.Engines;

/// <summary>One reading of a Velero Restore for the drill and the RestoreRequest: each phase and count, by hand.</summary>
public sealed class VeleroRestoreReadingTests
{
    private static VeleroRestore Restore(string? phase, int? items = null, int? errors = null, int? warnings = null, string? failureReason = null, List<string>? validation = null) => new()
    {
        Metadata = new ObjectMeta { Name = "pra-1", Namespace = "openshift-adp" },
        Status = new VeleroRestoreStatus
        {
            Phase = phase, Errors = errors, Warnings = warnings, FailureReason = failureReason, ValidationErrors = validation,
            Progress = items is null ? null : new VeleroRestoreProgress { ItemsRestored = items },
        },
    };

    public static TheoryData<string, VeleroRestore?, VeleroRestoreReading> Cases => new()
    {
        { "not created yet", null, new(RestoreReadingKind.Pending, "New", 0, 0, null) },
        { "no status yet", new VeleroRestore { Metadata = new ObjectMeta { Name = "pra-1" } }, new(RestoreReadingKind.Pending, "New", 0, 0, null) },
        { "in progress", Restore("InProgress", items: 12), new(RestoreReadingKind.Pending, "InProgress", 12, 0, null) },
        { "completed", Restore("Completed", items: 42, warnings: 3), new(RestoreReadingKind.Completed, "Completed", 42, 3, null) },
        { "completed, nothing", Restore("Completed", errors: 0), new(RestoreReadingKind.Completed, "Completed", 0, 0, null) },
        { "completed with errors", Restore("Completed", items: 40, errors: 2),
            new(RestoreReadingKind.Failed, "Completed", 40, 0, "Velero Restore pra-1 completed with 2 error(s)") },
        { "partially failed", Restore("PartiallyFailed", items: 30, errors: 5),
            new(RestoreReadingKind.Failed, "PartiallyFailed", 30, 0, "Velero Restore pra-1 ended PartiallyFailed: 5 error(s)") },
        { "failed with a reason", Restore("Failed", failureReason: "found a restore with status \"InProgress\"", validation: ["ignored"]),
            new(RestoreReadingKind.Failed, "Failed", 0, 0, "Velero Restore pra-1 ended Failed: found a restore with status \"InProgress\"") },
        { "failed validation", Restore("FailedValidation", validation: ["backup not found: pra-backup", "second"]),
            new(RestoreReadingKind.Failed, "FailedValidation", 0, 0, "Velero Restore pra-1 ended FailedValidation: backup not found: pra-backup") },
        { "failed, nothing said", Restore("Failed"), new(RestoreReadingKind.Failed, "Failed", 0, 0, "Velero Restore pra-1 ended Failed: 0 error(s)") },
        { "failed, an empty list of validation errors", Restore("FailedValidation", errors: 1, validation: []),
            new(RestoreReadingKind.Failed, "FailedValidation", 0, 0, "Velero Restore pra-1 ended FailedValidation: 1 error(s)") },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Each_phase_reads_as_one_outcome(string what, VeleroRestore? restore, VeleroRestoreReading expected) =>
        VeleroRestoreReading.Of(restore, "pra-1").ShouldBe(expected, what);
}
