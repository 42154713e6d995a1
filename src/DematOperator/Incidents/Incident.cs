using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.Incidents;

[KubernetesKind(Group.Name, Group.Version, "Incident", "incidents", ShortNames = ["inc"], Categories = [Group.Category],
    Description = "Incident is one interruption of a ServiceLevel's service as the contract counts it: opened by the operator's probes or declared from a ticket, qualified by the operator or the Administration.")]
[PrinterColumn("ServiceLevel", "string", ".spec.serviceLevelRef.name", Order = 1, Priority = 1)]
[PrinterColumn("Severity", "string", ".spec.severity", Order = 2)]
[PrinterColumn("Cause", "string", ".spec.cause", Order = 3)]
[PrinterColumn("Started", "date", ".spec.startTime", Order = 4)]
[PrinterColumn("GTR Deadline", "string", ".status.gtrDeadline", Order = 5)]
[PrinterColumn("Resolved", "string", ".spec.resolvedTime", Order = 6)]
[PrinterColumn("Within GTR", "boolean", ".status.withinGtr", Order = 7)]
[PrinterColumn("Counted", "boolean", ".status.countedAsDowntime", Order = 8)]
[PrinterColumn("Status", "string", ".status.conditions[?(@.type==\"Ready\")].reason", Order = 9)]
[PrinterColumn("Ticket", "string", ".spec.ticket", Order = 10)]
public sealed class Incident : KubeObject
{
    [RequiredField] public IncidentSpec Spec { get; set; } = new();
    public IncidentStatusFields? Status { get; set; }
}

public sealed class IncidentSpec
{
    [RequiredField, Doc("The ServiceLevel (same namespace) whose service was interrupted.")] public LocalRef ServiceLevelRef { get; set; } = new();
    [RequiredField, EnumValues("Blocking", "Major", "Minor"), Doc("Blocking counts as downtime (with cause Platform); every severity counts for the GTR and IND_SUP.")]
    public string Severity { get; set; } = "";
    [RequiredField, Doc("When the incident began: the ticket's start, or the one the Administration gave (CCTP).")] public DateTimeOffset StartTime { get; set; }
    [Doc("When service was restored; absent while open.")] public DateTimeOffset? ResolvedTime { get; set; }
    [Doc("When the support acknowledged it (for the GTI).")] public DateTimeOffset? AcknowledgedTime { get; set; }
    [EnumValues("Platform", "Application", "External"), Default("\"Platform\""),
     Doc("Platform: the technical platform (counts for availability). Application and External are listed, not counted for IND_DISP.")]
    public string? Cause { get; set; }
    [Doc("Reference of the ticket (ITSM number)."), Length(0, 128)] public string? Ticket { get; set; }
    [EnumValues("Operator", "Administration"), Default("\"Operator\""), Doc("Who qualified it; the Administration's qualification prevails (CCTP) and the operator never changes it.")]
    public string? Qualification { get; set; }
    [Length(0, 1024), Doc("What happened, in a few words (shown in the monthly report).")] public string? Summary { get; set; }
}

public sealed class LocalRef
{
    [RequiredField, Length(1, 253)] public string Name { get; set; } = "";
}

public sealed class IncidentStatusFields : CommonStatus
{
    [Doc("GTR deadline: the start plus the tier's GTR for the severity, counted in service time.")] public DateTimeOffset? GtrDeadline { get; set; }
    public bool? WithinGtr { get; set; }
    [Doc("Service time the incident lasted (so far, when open).")] public long? ServiceSeconds { get; set; }
    [Doc("Whether it counts as downtime for availability (IND_DISP).")] public bool? CountedAsDowntime { get; set; }
    [Doc("Why it counts, or not.")] public string? Counting { get; set; }
}

/// <summary>The values of the Incident's fields, as the code compares them.</summary>
public static class IncidentValues
{
    public const string Blocking = nameof(Blocking), Major = nameof(Major), Minor = nameof(Minor);
    public const string Platform = nameof(Platform), Application = nameof(Application), External = nameof(External);
    public const string Operator = nameof(Operator), Administration = nameof(Administration);
    /// <summary>On Incidents the probes opened: the ServiceLevel, the probe and the ledger's incident id.</summary>
    public const string ServiceLevelLabel = Group.AnnotationPrefix + "servicelevel";
    public const string ProbeLabel = Group.AnnotationPrefix + "probe";
    public const string IncidentIdLabel = Group.AnnotationPrefix + "incident-id";
    /// <summary>What the operator last wrote (severity, start, resolved): a field that differs was edited by a person, who prevails.</summary>
    public const string OperatorValuesAnnotation = Group.AnnotationPrefix + "operator-values";
}
