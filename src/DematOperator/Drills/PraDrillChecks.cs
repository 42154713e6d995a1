using DematOperator.Api;
using DematOperator.Backups;
using System.Text.RegularExpressions;
using NodaTime;

namespace DematOperator.Drills;

/// <summary>A PraDrill's spec with defaults applied and durations parsed.</summary>
public sealed record DrillSettings(
    CronSchedule? Schedule,
    DateTimeZone Zone,
    bool Failover,
    Duration Rto,
    Duration Rpo,
    Duration RestoreTimeout,
    Duration VerifyTimeout,
    Duration RollbackAfter,
    IReadOnlyDictionary<string, string> NamespaceMapping)
{
    /// <summary>What a run in flight carries on with when its spec became unreadable: the contract's defaults.</summary>
    public static readonly DrillSettings Defaults = new(null, DateTimeZone.Utc, false, ContractDefaults.Rto, ContractDefaults.Rpo, Duration.FromHours(1),
        Duration.FromMinutes(30), Duration.Zero, new Dictionary<string, string>());

    /// <summary>Where each production namespace is restored on the target.</summary>
    public string TargetNamespace(string source) => NamespaceMapping.GetValueOrDefault(source, source);
}

/// <summary>The checks of a PraDrill that need no cluster: used by the controller and by `validate`.</summary>
public static class PraDrillChecks
{
    public static IEnumerable<SpecProblem> Check(PraDrillSpec spec) => Resolve(spec, out _);

    public static List<SpecProblem> Resolve(PraDrillSpec spec, out DrillSettings? settings)
    {
        var problems = new List<SpecProblem>();
        settings = null;
        CronSchedule? schedule = null;
        if (spec.Schedule is { } s && !CronSchedule.TryParse(s, out schedule, out var error))
            problems.Add(new("spec.schedule", "InvalidSchedule", error!));
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(spec.TimeZone ?? "Europe/Paris");
        if (zone is null) problems.Add(new("spec.timeZone", "UnknownTimeZone", $"\"{spec.TimeZone}\" is not an IANA time zone"));
        Duration Parse(string field, string? value, Duration fallback)
        {
            try
            {
                var d = Durations.Parse(value) ?? fallback;
                if (d >= Duration.Zero && d <= Duration.FromDays(30)) return d;
                problems.Add(new(field, "InvalidDuration", "must be between 0s and 720h"));
            }
            catch (FormatException e) { problems.Add(new(field, "InvalidDuration", e.Message)); }
            return fallback;
        }
        var rto = Parse("spec.objectives.rto", spec.Objectives?.Rto, ContractDefaults.Rto);
        var rpo = Parse("spec.objectives.rpo", spec.Objectives?.Rpo, ContractDefaults.Rpo);
        var restoreTimeout = Parse("spec.restore.timeout", spec.Restore?.Timeout, Duration.FromHours(1));
        var verifyTimeout = Parse("spec.verify.timeout", spec.Verify?.Timeout, Duration.FromMinutes(30));
        var rollbackAfter = Parse("spec.rollback.after", spec.Rollback?.After, Duration.Zero);
        if (rto == Duration.Zero) problems.Add(new("spec.objectives.rto", "InvalidDuration", "must be positive"));
        if (rpo == Duration.Zero) problems.Add(new("spec.objectives.rpo", "InvalidDuration", "must be positive"));
        var failover = spec.Mode == "Failover";
        if (failover && spec.Schedule is not null)
            problems.Add(new("spec.schedule", "ScheduledFailover", "a real failover is never scheduled: use mode Rehearsal, or start the failover by hand"));
        if (spec.Source.Namespaces.Count == 0 || spec.Source.Namespaces.Any(string.IsNullOrWhiteSpace))
            problems.Add(new("spec.source.namespaces", "NoNamespaces", "list the production namespaces to restore"));
        var hasPolicy = !string.IsNullOrEmpty(spec.Backup.BackupPolicy);
        var hasSchedule = !string.IsNullOrEmpty(spec.Backup.VeleroSchedule);
        if (spec.Backup.Engine == "Kasten")
        {
            // K10's exports are found by the namespace they hold and the profile they went to; a BackupPolicy is optional.
            if (hasSchedule) problems.Add(new("spec.backup.veleroSchedule", "InvalidBackupSource", "a Velero Schedule with engine Kasten: remove it, or use engine Velero"));
            if (string.IsNullOrEmpty(spec.Backup.Kasten?.ExportProfile))
                problems.Add(new("spec.backup.kasten.exportProfile", "InvalidBackupSource", "engine Kasten restores what production exported: name the location profile"));
        }
        else
        {
            if (hasPolicy == hasSchedule)
                problems.Add(new("spec.backup", "InvalidBackupSource", "set exactly one of backupPolicy or veleroSchedule"));
            if (spec.Backup.Kasten is not null)
                problems.Add(new("spec.backup.kasten", "UnusedSettings", "kasten settings are ignored with engine Velero", Warning: true));
        }
        var mapping = spec.Restore?.NamespaceMapping ?? [];
        var targets = spec.Source.Namespaces.Select(n => mapping.GetValueOrDefault(n, n)).ToList();
        if (targets.Distinct().Count() != targets.Count)
            problems.Add(new("spec.restore.namespaceMapping", "InvalidNamespaceMapping", "two production namespaces map to the same target namespace"));
        var quiesced = spec.Quiesce?.Namespaces ?? [];
        if (quiesced.Intersect(targets).FirstOrDefault() is { } clash)
            problems.Add(new("spec.quiesce.namespaces", "QuiesceClash", $"\"{clash}\" is both a restore target and a test environment to stop"));
        if (spec.Quiesce is { Namespaces: null or { Count: 0 }, NamespaceSelector: null })
            problems.Add(new("spec.quiesce", "NoNamespaces", "list the test-environment namespaces or give a namespaceSelector"));
        foreach (var (check, i) in (spec.Verify?.Http ?? []).Select((c, i) => (c, i)))
            if (!Uri.TryCreate(check.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                problems.Add(new($"spec.verify.http[{i}].url", "InvalidUrl", $"\"{check.Url}\" is not an absolute http:// or https:// URL"));
        var execNames = new HashSet<string>();
        foreach (var (check, i) in (spec.Verify?.Exec ?? []).Select((c, i) => (c, i)))
        {
            var field = $"spec.verify.exec[{i}]";
            if (!execNames.Add(check.Name)) problems.Add(new($"{field}.name", "DuplicateName", $"\"{check.Name}\" names two exec checks"));
            if ((check.Workload is null) == string.IsNullOrEmpty(check.Pod))
                problems.Add(new(field, "InvalidExecTarget", "set exactly one of workload or pod"));
            if (check.Command.Count == 0 || check.Command.Any(string.IsNullOrEmpty))
                problems.Add(new($"{field}.command", "InvalidCommand", "give the command and its arguments, none empty"));
            if (check.Expect.Regex is null && check.Expect.Minimum is null)
                problems.Add(new($"{field}.expect", "NoExpectation", "give a regex or a minimum: an exit code alone proves no data"));
            if (check.Expect.Regex is { } regex)
            {
                try { _ = new Regex(regex, RegexOptions.None, TimeSpan.FromSeconds(1)); }
                catch (ArgumentException e) { problems.Add(new($"{field}.expect.regex", "InvalidRegex", e.Message)); }
            }
            if (check.Namespace is { } ns && !spec.Source.Namespaces.Contains(ns))
                problems.Add(new($"{field}.namespace", "NotRestored", $"\"{ns}\" is not in spec.source.namespaces: data checks run only in what the drill restored"));
            Parse($"{field}.timeout", check.Timeout, Duration.FromMinutes(1));
        }
        if (spec.Schedule is null && !failover)
            problems.Add(new("spec.schedule", "NotScheduled", "no schedule: the contract wants at least one rehearsal a year; runs start only with ops.demat.gouv.fr/run-now", Warning: true));
        if (zone is null || problems.Any(p => !p.Warning)) return problems;
        settings = new DrillSettings(schedule, zone, failover, rto, rpo, restoreTimeout, verifyTimeout, rollbackAfter, mapping);
        return problems;
    }
}
