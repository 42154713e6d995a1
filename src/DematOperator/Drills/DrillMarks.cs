using DematOperator.Api;

namespace DematOperator.Drills;

/// <summary>The annotations a person sets on a PraDrill, and the labels and annotations a run leaves on what it touches.</summary>
public static class DrillMarks
{
    public const string RunNowAnnotation = Group.AnnotationPrefix + "run-now";
    public const string AbortAnnotation = Group.AnnotationPrefix + "abort";
    public const string ConfirmFailoverAnnotation = Group.AnnotationPrefix + "confirm-failover";
    public const string QuiescedByAnnotation = Group.AnnotationPrefix + "pra-quiesced-by";
    public const string OriginalReplicasAnnotation = Group.AnnotationPrefix + "pra-original-replicas";
    public const string OriginalSuspendAnnotation = Group.AnnotationPrefix + "pra-original-suspend";
    public const string RunLabel = Group.AnnotationPrefix + "pra-run";
    public const string DrillLabel = Group.AnnotationPrefix + "pra-drill";
    public const string Finalizer = Group.AnnotationPrefix + "pra-rollback";
}

/// <summary>The PraDrill's condition types and the reasons of its Ready condition, as docs/pradrill.md lists them.</summary>
public static class DrillConditions
{
    public const string Ready = nameof(Ready);
    public const string LastRunSucceeded = nameof(LastRunSucceeded);
    public const string CoverageComplete = nameof(CoverageComplete);
    public const string ScheduledRunMissed = nameof(ScheduledRunMissed);

    public const string Idle = nameof(Idle);
    public const string Running = nameof(Running);
    public const string InvalidKubeconfig = nameof(InvalidKubeconfig);
    public const string FailoverNotConfirmed = nameof(FailoverNotConfirmed);
    public const string QuiesceNamespaceNotFound = nameof(QuiesceNamespaceNotFound);
    public const string UnknownBackupPolicy = nameof(UnknownBackupPolicy);
    public const string UnsuitableBackupPolicy = nameof(UnsuitableBackupPolicy);
    public const string DrillMissed = nameof(DrillMissed);
    public const string RunStarted = nameof(RunStarted);
    public const string SourceUnreachable = nameof(SourceUnreachable);
}
