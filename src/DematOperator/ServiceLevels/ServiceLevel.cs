using DematOperator.Api;
using DematOperator.Kube.Api;
using DematOperator.Kube.Crd;

namespace DematOperator.ServiceLevels;

[KubernetesKind(Group.Name, Group.Version, "ServiceLevel", "servicelevels", ShortNames = ["sl"], Categories = [Group.Category],
    Description = "ServiceLevel measures an environment's availability in its tier's service hours (OR, ARGENT, BRONZE) and incidents against the GTR.")]
[PrinterColumn("Tier", "string", ".spec.tier", Order = 1)]
[PrinterColumn("Environment", "string", ".spec.environment", Order = 2)]
[PrinterColumn("Availability", "string", ".status.currentMonth.availabilityPercent", Order = 3)]
[PrinterColumn("Coverage", "string", ".status.currentMonth.coveragePercent", Order = 4)]
[PrinterColumn("Verdict", "string", ".status.currentMonth.verdict", Order = 5)]
[PrinterColumn("Budget Left", "string", ".status.currentMonth.errorBudgetRemainingPercent", Order = 6, Priority = 1)]
[PrinterColumn("State", "string", ".status.state", Order = 7)]
[PrinterColumn("Open Incidents", "integer", ".status.openIncidents", Order = 8)]
[PrinterColumn("Worst Open", "string", ".status.worstOpenSeverity", Order = 9)]
[PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Order = 10)]
public sealed class ServiceLevel : KubeObject
{
    [RequiredField] public ServiceLevelSpec Spec { get; set; } = new();
    public ServiceLevelStatus? Status { get; set; }
}

public sealed class ServiceLevelSpec
{
    [RequiredField, Doc("Contract tier: OR, ARGENT or BRONZE (presets of objective, service hours and GTR)."), EnumValues("OR", "ARGENT", "BRONZE")]
    public string Tier { get; set; } = "";
    [RequiredField, Doc("Environment measured, e.g. production, preprod."), Length(1, 63)] public string Environment { get; set; } = "";
    [Doc("IANA time zone of the service hours."), Default("\"Europe/Paris\"")] public string? TimeZone { get; set; }
    [Doc("Public holiday calendar."), EnumValues("FR", "FR-ALSACE-MOSELLE", "none"), Default("\"FR\"")] public string? Holidays { get; set; }
    [Doc("Extra holidays (YYYY-MM-DD), e.g. days the contract adds.")] public List<string>? ExtraHolidays { get; set; }
    [Doc("Overrides the tier's objective, as a percentage, e.g. \"99.9\"."), Pattern(@"^[0-9]{1,2}(\.[0-9]+)?$")] public string? Objective { get; set; }
    [Doc("Share of the service time that must be measured for a verdict, as a percentage; below it the month reads \"données insuffisantes\"."),
     Default("\"90\""), Pattern(@"^[0-9]{1,3}(\.[0-9]+)?$")]
    public string? MinimumCoverage { get; set; }
    [Doc("Overrides the tier's service hours.")] public ServiceHoursSpec? ServiceHours { get; set; }
    [Doc("Overrides the tier's guaranteed resolution times.")] public GtrSpec? Gtr { get; set; }
    [Doc("Declared maintenance: excluded from service time when approved (approvalRef) and with an impact.")] public List<MaintenanceWindowSpec>? MaintenanceWindows { get; set; }
    [Doc("Probes run by the operator; a critical probe down opens a blocking incident, another one a major incident.")] public List<ProbeSpec>? Probes { get; set; }
    [Doc("Time between probe rounds (Go duration)."), Default("\"30s\""), Pattern(Group.DurationPattern)] public string? Interval { get; set; }
    [Doc("Consecutive failures before a probe counts as down."), Default("2"), Range(1, 100)] public int? FailureThreshold { get; set; }
    [Doc("How long the service must be down in service hours before the DematServiceDown alert fires (Go duration)."), Default("\"2m\""), Pattern(Group.DurationPattern)]
    public string? AlertAfter { get; set; }
}

public sealed class ServiceHoursSpec
{
    [Doc("Service days."), Items(1, 7)] public List<string>? Days { get; set; }
    [Doc("Opening time, HH:mm local."), Pattern(@"^([01][0-9]|2[0-3]):[0-5][0-9]$")] public string? Opens { get; set; }
    [Doc("Closing time, HH:mm local (24:00 for midnight)."), Pattern(@"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")] public string? Closes { get; set; }
    [Doc("Whether public holidays that fall on service days are service days.")] public bool? HolidaysAreServiceDays { get; set; }
}

public sealed class GtrSpec
{
    [Doc("Blocking incidents: \"4h\" (service hours) or \"2d\" (service days)."), Pattern(@"^[1-9][0-9]{0,3}(h|d)$")] public string? Blocking { get; set; }
    [Pattern(@"^[1-9][0-9]{0,3}(h|d)$")] public string? Major { get; set; }
    [Pattern(@"^[1-9][0-9]{0,3}(h|d)$")] public string? Minor { get; set; }
}

public sealed class MaintenanceWindowSpec
{
    [RequiredField, Doc("Start (RFC 3339 with offset).")] public string Start { get; set; } = "";
    [RequiredField, Doc("End (RFC 3339 with offset).")] public string End { get; set; } = "";
    [Doc("What the maintenance is for.")] public string? Description { get; set; }
    [Doc("Reference of the Administration's agreement (CCTP: the dates are \"obligatoirement validées avec l'Administration\"); without it the window is not excluded."), Length(0, 128)]
    public string? ApprovalRef { get; set; }
    [Doc("None: no loss of service expected (preventive maintenance \"ne doit pas engendrer de perte d'exploitation\"): measured as usual. Degraded or Outage: excluded from service time once approved."),
     EnumValues("None", "Degraded", "Outage"), Default("\"Outage\"")]
    public string? Impact { get; set; }
}

public sealed class ProbeSpec
{
    [RequiredField, Doc("Probe name, unique in the ServiceLevel."), Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] public string Name { get; set; } = "";
    [Doc("Down ⇒ blocking incident (true) or major incident (false)."), Default("true")] public bool? Critical { get; set; }
    [Doc("Per-attempt timeout (Go duration)."), Default("\"5s\""), Pattern(Group.DurationPattern)] public string? Timeout { get; set; }
    public HttpProbeSpec? Http { get; set; }
    public TcpProbeSpec? Tcp { get; set; }
    public WorkloadProbeSpec? Workload { get; set; }
}

public sealed class HttpProbeSpec
{
    [RequiredField, Doc("http:// or https:// URL.")] public string Url { get; set; } = "";
    [EnumValues("GET", "HEAD", "POST"), Default("\"GET\"")] public string? Method { get; set; }
    [Doc("Status codes that mean up; 200-399 when empty.")] public List<int>? ExpectedStatus { get; set; }
    [Doc("A .NET regular expression the body must match.")] public string? BodyMatch { get; set; }
    [Doc("A Secret key with the PEM CA bundle to trust instead of the system's.")] public SecretKeyRef? CaBundle { get; set; }
    [Doc("Skips TLS verification (not recommended)."), Default("false")] public bool? InsecureSkipVerify { get; set; }
}

public sealed class SecretKeyRef
{
    [RequiredField] public string Name { get; set; } = "";
    [Default("\"ca.crt\"")] public string? Key { get; set; }
}

public sealed class TcpProbeSpec
{
    [RequiredField] public string Host { get; set; } = "";
    [RequiredField, Range(1, 65535)] public int Port { get; set; }
}

public sealed class WorkloadProbeSpec
{
    [RequiredField, EnumValues("Deployment", "StatefulSet")] public string Kind { get; set; } = "";
    [RequiredField] public string Name { get; set; } = "";
    [Doc("Namespace of the workload; the ServiceLevel's when empty.")] public string? Namespace { get; set; }
    [Doc("Ready replicas needed to be up."), Default("1"), Range(0, 10000)] public int? MinReady { get; set; }
}

public sealed class ServiceLevelStatus : CommonStatus
{
    [EnumValues("Up", "Down", "Degraded", "OutsideServiceHours", "Unknown", "Planned")] public string? State { get; set; }
    [Doc("Incidents open now (declared and probes'), and the worst severity among them.")] public int? OpenIncidents { get; set; }
    [EnumValues("blocking", "major", "minor")] public string? WorstOpenSeverity { get; set; }
    [Doc("Until when the figures below are accounted: the operator's checkpoint.")] public DateTimeOffset? CheckpointTime { get; set; }
    public MonthFigures? CurrentMonth { get; set; }
    [Doc("The last 13 closed months, newest first.")] public List<MonthFigures>? History { get; set; }
    [Doc("Open incidents, those of this month and the last closed ones, newest first.")] public List<IncidentStatus>? Incidents { get; set; }
    public List<ProbeStatus>? Probes { get; set; }
    [Doc("Planned interruptions seen by the operator (a PRA drill stopping this environment), excluded from service time like maintenance; the last 13 months.")]
    public List<PlannedPeriodStatus>? PlannedPeriods { get; set; }
}

public sealed class PlannedPeriodStatus
{
    public DateTimeOffset Start { get; set; }
    [Doc("The last time the interruption was seen in progress.")] public DateTimeOffset End { get; set; }
    [EnumValues("PraDrill")] public string Reason { get; set; } = "";
    [Doc("What planned it, e.g. the PraDrill run.")] public string Source { get; set; } = "";
}

public sealed class MonthFigures
{
    [Doc("YYYY-MM in the ServiceLevel's time zone.")] public string Month { get; set; } = "";
    public double? Objective { get; set; }
    [Doc("1 − downtime / (service − unknown); absent when nothing was measured.")] public double? Availability { get; set; }
    public string? AvailabilityPercent { get; set; }
    [Doc("Measured service time / service time.")] public double? Coverage { get; set; }
    public string? CoveragePercent { get; set; }
    [Doc("The month's verdict in the contract's words, the one the condition ObjectiveMet and the report give: atteint, non atteint (so far, for the current month), données insuffisantes (coverage below spec.minimumCoverage), sans objet (no service time yet)."),
     EnumValues("atteint", "non atteint", "données insuffisantes", "sans objet")]
    public string? Verdict { get; set; }
    [Doc("Availability with the unknown time counted down.")] public double? AvailabilityLow { get; set; }
    [Doc("Availability with the unknown time counted up.")] public double? AvailabilityHigh { get; set; }
    [Doc("Coverage below spec.minimumCoverage: no verdict (met is absent).")] public bool? InsufficientData { get; set; }
    public long? ServiceSeconds { get; set; }
    public long? DowntimeSeconds { get; set; }
    [Doc("Service time without data (operator down, resource created mid-month): neither up nor down.")] public long? UnknownSeconds { get; set; }
    [Doc("Service time excluded: declared maintenance and planned interruptions.")] public long? MaintenanceSeconds { get; set; }
    [Doc("Of which planned interruptions (status.plannedPeriods: PRA drills).")] public long? PlannedSeconds { get; set; }
    public double? ErrorBudgetRemaining { get; set; }
    public string? ErrorBudgetRemainingPercent { get; set; }
    [Doc("Objective met (for the current month: so far).")] public bool? Met { get; set; }
    public int? Incidents { get; set; }
    [Doc("Incidents that started in the month, per severity.")] public Dictionary<string, IncidentTally>? BySeverity { get; set; }
    [Doc("The month's incidents as counted (declared Incidents and the probes' own), at most 50, for the monthly report.")] public List<IncidentStatus>? IncidentList { get; set; }
    [Doc("Availability if nothing were excluded (declared maintenance and planned interruptions counted as service time).")] public double? AvailabilityWithoutExclusions { get; set; }
    [Doc("The maintenance windows of the month, excluded or not, and why.")] public List<MaintenanceWindowStatus>? MaintenanceWindows { get; set; }
    [Doc("The contract's indicators for this ServiceLevel's tier (IND_DISP, IND_INC, IND_SUP, GTI): the report aggregates them per tier and environment.")]
    public List<IndicatorStatus>? Indicators { get; set; }
    [Doc("Service time without data, as periods: kept with closed months too, so a month can be recomputed when an Incident of it is corrected.")] public List<PeriodStatus>? UnknownPeriods { get; set; }
}

public sealed class MaintenanceWindowStatus
{
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset End { get; set; }
    public string? Description { get; set; }
    public string? ApprovalRef { get; set; }
    [EnumValues("None", "Degraded", "Outage")] public string Impact { get; set; } = "Outage";
    [Doc("Excluded from service time: approved, with an impact.")] public bool Excluded { get; set; }
}

public sealed class IndicatorStatus
{
    [Doc("IND_DISP01, IND_INC02, IND_SUP03, GTI_BLOCKING...")] public string Name { get; set; } = "";
    [Doc("Absent: sans objet (nothing to judge) or données insuffisantes.")] public double? Value { get; set; }
    public double? Objective { get; set; }
    public bool? Met { get; set; }
    public string? Meaning { get; set; }
}

public sealed class IncidentTally
{
    public int Count { get; set; }
    [Doc("Closed by the end of the month.")] public int Resolved { get; set; }
    [Doc("Closed at or before their GTR deadline.")] public int WithinGtr { get; set; }
    [Doc("Still open at the end of the month (or now, for the current month).")] public int Open { get; set; }
}

public sealed class PeriodStatus
{
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset End { get; set; }
}

public sealed class IncidentStatus
{
    [Doc("Stable id: the start time and severity.")] public string Id { get; set; } = "";
    [EnumValues("blocking", "major", "minor")] public string Severity { get; set; } = "";
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset? End { get; set; }
    [Doc("GTR deadline (the clock runs only in service hours).")] public DateTimeOffset Deadline { get; set; }
    public bool? WithinGtr { get; set; }
    [Doc("Probes down when the incident opened.")] public List<string>? Probes { get; set; }
    public string? Message { get; set; }
    [Doc("The Incident resource that records it (written by the operator for a probe incident, or declared).")] public string? Incident { get; set; }
    [EnumValues("Platform", "Application", "External"), Doc("Platform when empty.")] public string? Cause { get; set; }
    public string? Ticket { get; set; }
    [EnumValues("Operator", "Administration")] public string? Qualification { get; set; }
    [Doc("Its Incident was deleted by a person: no longer counted.")] public bool? Withdrawn { get; set; }
    [Doc("When the support acknowledged it (from the Incident).")] public DateTimeOffset? AcknowledgedTime { get; set; }
    [Doc("GTI measured: acknowledgement − start, in service time.")] public long? GtiSeconds { get; set; }
}

public sealed class ProbeStatus
{
    public string Name { get; set; } = "";
    public bool? Up { get; set; }
    public int? ConsecutiveFailures { get; set; }
    [Doc("Time of the first failure of the current streak.")] public DateTimeOffset? FailingSince { get; set; }
    public DateTimeOffset? LastTransitionTime { get; set; }
    public string? Message { get; set; }
}
