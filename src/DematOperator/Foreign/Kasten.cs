namespace DematOperator.Foreign;

// Veeam Kasten K10, as far as DematOperator reads and writes it. K10 is closed source and serves these kinds through
// an aggregated API, not CRDs: the shapes come from docs.kasten.io (api/actions, api/restorepoints, api/policies)
// and from field scripts run against K10 8.x/9.x; docs/backuppolicy.md lists each fact with its source.

/// <summary>What every K10 action's status carries: `status.state`, its times and, on failure, `status.error`.</summary>
public sealed class KastenActionStatus
{
    /// <summary>One of <see cref="KastenStates"/>, or a value a newer K10 added (read as "not finished").</summary>
    public string? State { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    public DateTimeOffset? EndTime { get; set; }
    public KastenError? Error { get; set; }
    /// <summary>BackupAction only: the RestorePoint it created, in the application's namespace.</summary>
    public KastenObjectRef? RestorePoint { get; set; }
}

/// <summary>K10 puts a short `message` and/or a `cause` (often a JSON chain of causes) on a failed action.</summary>
public sealed class KastenError
{
    public string? Message { get; set; }
    public string? Cause { get; set; }

    public string Text() => Message is { Length: > 0 } m ? m : Cause is { Length: > 0 } c ? c : "no error message";
}

public sealed class KastenObjectRef
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
}

/// <summary>actions.kio.kasten.io/v1alpha1 RunAction: "run this K10 Policy now" (subject kind Policy, in K10's namespace).</summary>
public sealed class KastenRunAction : Kube.Api.KubeObject
{
    public KastenRunActionSpec? Spec { get; set; }
    public KastenActionStatus? Status { get; set; }
}

public sealed class KastenRunActionSpec
{
    public KastenObjectRef? Subject { get; set; }
}

/// <summary>actions.kio.kasten.io/v1alpha1 BackupAction: an on-demand backup of one application (here, a namespace), created in it.</summary>
public sealed class KastenBackupAction : Kube.Api.KubeObject
{
    public KastenBackupActionSpec? Spec { get; set; }
    public KastenActionStatus? Status { get; set; }
}

public sealed class KastenBackupActionSpec
{
    /// <summary>The application: name and namespace (for a namespace application, both are the namespace).</summary>
    public KastenObjectRef? Subject { get; set; }
}

/// <summary>actions.kio.kasten.io/v1alpha1 ExportAction: copies a RestorePoint to a location profile (created in K10's namespace).</summary>
public sealed class KastenExportAction : Kube.Api.KubeObject
{
    public KastenExportActionSpec? Spec { get; set; }
    public KastenActionStatus? Status { get; set; }
}

public sealed class KastenExportActionSpec
{
    public KastenObjectRef? Subject { get; set; }
    public KastenObjectRef? Profile { get; set; }
    public KastenExportData? ExportData { get; set; }
}

public sealed class KastenExportData
{
    /// <summary>Also export the volumes' data, not only the snapshot references: needed to restore on another site.</summary>
    public bool? Enabled { get; set; }
}

/// <summary>actions.kio.kasten.io/v1alpha1 RestoreAction: restores a RestorePoint into a namespace; it must live in that namespace.</summary>
public sealed class KastenRestoreAction : Kube.Api.KubeObject
{
    public KastenRestoreActionSpec? Spec { get; set; }
    public KastenActionStatus? Status { get; set; }
}

public sealed class KastenRestoreActionSpec
{
    public KastenObjectRef? Subject { get; set; }
    public string? TargetNamespace { get; set; }
    /// <summary>The location profile, only for a restore point that was exported (read from object storage).</summary>
    public KastenObjectRef? Profile { get; set; }
    public KastenRestoreFilters? Filters { get; set; }
}

public sealed class KastenRestoreFilters
{
    public List<KastenResourceFilter>? IncludeResources { get; set; }
    public List<KastenResourceFilter>? ExcludeResources { get; set; }
}

public sealed class KastenResourceFilter
{
    /// <summary>DematOperator's own kinds, which no restore brings back (they would act twice).</summary>
    public static List<KastenResourceFilter> OperatorKinds() =>
        [.. Api.OperatorKinds.GroupAndResources.Select(r => new KastenResourceFilter { Group = r.Group, Resource = r.Resource })];

    public string? Group { get; set; }
    public string? Version { get; set; }
    public string? Resource { get; set; }
    public string? Name { get; set; }
}

/// <summary>apps.kio.kasten.io/v1alpha1 RestorePoint: an application captured at one time, in the application's namespace.</summary>
public sealed class KastenRestorePoint : Kube.Api.KubeObject
{
    public KastenRestorePointSpec? Spec { get; set; }
    public KastenRestorePointStatus? Status { get; set; }

    /// <summary>The data's instant: status.actionTime, else scheduledTime, else the object's creation (the order field tools use).</summary>
    public DateTimeOffset DataTime => Status?.ActionTime ?? Status?.ScheduledTime ?? Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch;
    public bool Exported => Metadata.Labels?.ContainsKey(KastenLabels.ExportProfile) == true;
}

public sealed class KastenRestorePointSpec
{
    public KastenObjectRef? RestorePointContentRef { get; set; }
}

public sealed class KastenRestorePointStatus
{
    public DateTimeOffset? ActionTime { get; set; }
    public DateTimeOffset? ScheduledTime { get; set; }
    public long? LogicalSizeBytes { get; set; }
    public long? PhysicalSizeBytes { get; set; }
}

/// <summary>
/// apps.kio.kasten.io/v1alpha1 RestorePointContent, cluster-scoped: the artifacts behind a RestorePoint. Deleting
/// it (not the RestorePoint) releases the data; on a cluster that imported an export, it is what exists before
/// anyone makes a RestorePoint of it.
/// </summary>
public sealed class KastenRestorePointContent : Kube.Api.KubeObject
{
    public KastenRestorePointContentStatus? Status { get; set; }

    public DateTimeOffset DataTime => Status?.ActionTime ?? Status?.ScheduledTime ?? Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch;
}

public sealed class KastenRestorePointContentStatus
{
    /// <summary>`Bound` to a RestorePoint, or `Unbound`.</summary>
    public string? State { get; set; }
    public DateTimeOffset? ActionTime { get; set; }
    public DateTimeOffset? ScheduledTime { get; set; }
    public KastenObjectRef? RestorePointRef { get; set; }
}

/// <summary>config.kio.kasten.io/v1alpha1 Policy: what DematOperator checks before running it (its actions, its export profile).</summary>
public sealed class KastenPolicy : Kube.Api.KubeObject
{
    public KastenPolicySpec? Spec { get; set; }
}

public sealed class KastenPolicySpec
{
    public string? Frequency { get; set; }
    public List<KastenPolicyAction>? Actions { get; set; }
    public Api.LabelSelectorSpec? Selector { get; set; }

    /// <summary>The profile its export action writes to, when it has one.</summary>
    public string? ExportProfile => Actions?.FirstOrDefault(a => a.Action == KastenPolicyActions.Export)?.ExportParameters?.Profile?.Name;
}

public sealed class KastenPolicyAction
{
    /// <summary>`backup`, `export`, `import`, `report`...</summary>
    public string? Action { get; set; }
    public KastenExportParameters? ExportParameters { get; set; }
}

public sealed class KastenExportParameters
{
    public KastenObjectRef? Profile { get; set; }
    public KastenExportData? ExportData { get; set; }
}

/// <summary>config.kio.kasten.io/v1alpha1 Profile: a location (object storage) exports go to; only whether it exists.</summary>
public sealed class KastenProfile : Kube.Api.KubeObject;

/// <summary>The values of an action's status.state. Strings on purpose: a state a newer K10 adds reads as "not finished".</summary>
public static class KastenStates
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    /// <summary>K10 did not run it (a run of the same policy was still going).</summary>
    public const string Skipped = "Skipped";
    public const string Cancelled = "Cancelled";
    public const string Deleting = "Deleting";

    public static bool IsFailure(string? state) => state is Failed or Skipped or Cancelled or Deleting;
}

public static class KastenPolicyActions
{
    public const string Backup = "backup";
    public const string Export = "export";
    public const string Import = "import";
}

/// <summary>Labels K10 requires on on-demand actions and puts on RestorePoints (docs.kasten.io api/actions; field scripts).</summary>
public static class KastenLabels
{
    public const string AppName = "k10.kasten.io/appName";
    public const string AppNamespace = "k10.kasten.io/appNamespace";
    public const string AppType = "k10.kasten.io/appType";
    public const string PolicyName = "k10.kasten.io/policyName";
    public const string PolicyNamespace = "k10.kasten.io/policyNamespace";
    /// <summary>On the RestorePoints a RunAction's policy run created: the RunAction's name.</summary>
    public const string RunActionName = "k10.kasten.io/runActionName";
    /// <summary>Present on exported restore points (and their contents): the location profile they were exported to.</summary>
    public const string ExportProfile = "k10.kasten.io/exportProfile";
}
