using DematOperator.Api;
using NodaTime;

namespace DematOperator.Backups;

/// <summary>The checks of a BackupPolicy that need no cluster: used by the controller and by `validate`.</summary>
public static class BackupPolicyChecks
{
    public static IEnumerable<SpecProblem> Check(BackupPolicySpec spec, Instant now, bool checkScheduleGaps = true)
    {
        CronSchedule? schedule = null;
        if (!CronSchedule.TryParse(spec.Schedule, out schedule, out var cronError))
            yield return new SpecProblem("spec.schedule", "InvalidSchedule", cronError!);
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(spec.TimeZone ?? "UTC");
        if (zone is null)
            yield return new SpecProblem("spec.timeZone", "UnknownTimeZone", $"\"{spec.TimeZone}\" is not an IANA time zone (e.g. Europe/Paris)");
        Duration? rpo = null;
        foreach (var (field, value) in new[] { ("spec.rpo", spec.Rpo), ("spec.startingDeadline", spec.StartingDeadline), ("spec.csiSnapshot.timeout", spec.CsiSnapshot?.Timeout), ("spec.velero.ttl", spec.Velero?.Ttl) })
        {
            Duration? parsed = null;
            string? error = null;
            try { parsed = Durations.Parse(value); }
            catch (FormatException e) { error = e.Message; }
            if (error is not null) yield return new SpecProblem(field, "InvalidDuration", error);
            else if (field == "spec.rpo") rpo = parsed ?? ContractDefaults.Rpo;
        }
        if (rpo is { } r && r <= Duration.Zero) yield return new SpecProblem("spec.rpo", "InvalidDuration", "must be positive");
        if ((spec.Target.Namespaces?.Count ?? 0) == 0 && spec.Target.NamespaceSelector is null)
            yield return new SpecProblem("spec.target", "NoTarget", "set target.namespaces or target.namespaceSelector");
        if (Methods.BackupMethods.Of(spec) == Methods.BackupMethod.CSISnapshot && string.IsNullOrEmpty(spec.CsiSnapshot?.VolumeSnapshotClassName))
            yield return new SpecProblem("spec.csiSnapshot.volumeSnapshotClassName", "MissingSnapshotClass", "required for method CSISnapshot");
        var method = Methods.BackupMethods.Of(spec);
        foreach (var (field, set, usedBy) in new[] { ("spec.csiSnapshot", spec.CsiSnapshot is not null, Methods.BackupMethod.CSISnapshot), ("spec.velero", spec.Velero is not null, Methods.BackupMethod.Velero), ("spec.kasten", spec.Kasten is not null, Methods.BackupMethod.Kasten) })
            if (set && method is { } m && m != usedBy)
                yield return new SpecProblem(field, "UnusedSettings", $"{field[5..]} settings are ignored with method {m}", Warning: true);
        if (method == Methods.BackupMethod.Kasten && spec.Kasten?.Policy is { Length: > 0 } && spec.Retention is not null)
            yield return new SpecProblem("spec.retention", "UnusedSettings", "ignored with a K10 Policy: K10 retires its restore points by the Policy's own retention", Warning: true);
        var hookNames = new HashSet<string>();
        foreach (var (hook, i) in (spec.Hooks ?? []).Select((h, i) => (h, i)))
        {
            var field = $"spec.hooks[{i}]";
            if (method == Methods.BackupMethod.Kasten)
                yield return new SpecProblem(field, "HooksUnsupported", "K10 runs its own hooks: bind a Kanister blueprint (backupPrehook/backupPosthook) to the workload in K10");
            if (hook.Preset == Hooks.HookPresets.Elasticsearch7 && string.IsNullOrEmpty(hook.Repository))
                yield return new SpecProblem($"{field}.repository", "MissingRepository", "Elasticsearch7 snapshots into a repository registered in the cluster: name it");
            if (hook.Preset == Hooks.HookPresets.Elasticsearch7 && method != Methods.BackupMethod.CSISnapshot)
                yield return new SpecProblem($"{field}.preset", "HooksUnsupported", "Elasticsearch7 replaces the volume snapshot of its workload: method CSISnapshot only");
            if (!hookNames.Add(hook.Name)) yield return new SpecProblem($"{field}.name", "DuplicateName", $"\"{hook.Name}\" names two hooks");
            var resolved = Hooks.HookPresets.Resolve(hook, spec.Target.Namespaces?.FirstOrDefault() ?? "");
            if (resolved.Pre is null && resolved.Post is null)
                yield return new SpecProblem(field, "NoHookCommand", "give a preset, a pre or a post command");
            if (hook.Namespace is { } hookNs && spec.Target.NamespaceSelector is null && !(spec.Target.Namespaces ?? []).Contains(hookNs))
                yield return new SpecProblem($"{field}.namespace", "HookNamespaceNotTargeted", $"\"{hookNs}\" is not a target namespace: its volumes would not be captured");
            foreach (var (f, value) in new[] { ($"{field}.pre.timeout", hook.Pre?.Timeout), ($"{field}.post.timeout", hook.Post?.Timeout) })
            {
                string? error = null;
                try { Durations.Parse(value); }
                catch (FormatException e) { error = e.Message; }
                if (error is not null) yield return new SpecProblem(f, "InvalidDuration", error);
            }
        }
        if (checkScheduleGaps && schedule is not null && zone is not null && rpo is { } objective && objective > Duration.Zero)
        {
            var gap = schedule.LongestGap(now, zone);
            if (gap > objective)
                yield return new SpecProblem("spec.schedule", "ScheduleGapExceedsRpo",
                    $"the schedule leaves gaps of up to {Durations.Human(gap)} in {zone.Id}, longer than the {Durations.Human(objective)} RPO", Warning: true);
        }
    }
}
