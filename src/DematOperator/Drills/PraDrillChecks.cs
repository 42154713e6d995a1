using DematOperator.Api;
using DematOperator.Backups;
using NodaTime;

namespace DematOperator.Drills;

public static class PraDrillChecks
{
    public static IEnumerable<SpecProblem> Check(PraDrillSpec spec)
    {
        if (spec.Schedule is { } s && !CronSchedule.TryParse(s, out _, out var error))
            yield return new SpecProblem("spec.schedule", "InvalidSchedule", error!);
        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(spec.TimeZone ?? "Europe/Paris") is null)
            yield return new SpecProblem("spec.timeZone", "UnknownTimeZone", $"\"{spec.TimeZone}\" is not an IANA time zone");
        foreach (var (field, value) in new[] { ("spec.objectives.rto", spec.Objectives?.Rto), ("spec.objectives.rpo", spec.Objectives?.Rpo) })
        {
            string? problem = null;
            try { BackupDecisions.ParseDuration(value); } catch (FormatException e) { problem = e.Message; }
            if (problem is not null) yield return new SpecProblem(field, "InvalidDuration", problem);
        }
        if (spec.Mode == "Failover" && spec.Schedule is not null)
            yield return new SpecProblem("spec.schedule", "ScheduledFailover", "a real failover is never scheduled: use mode Rehearsal, or start the failover by hand");
    }
}
