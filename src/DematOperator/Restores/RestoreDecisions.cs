using DematOperator.Api;
using DematOperator.Backups;
using NodaTime;

namespace DematOperator.Restores;

/// <summary>The pure parts of a RestoreRequest: which recovery point, and the checks that need no cluster.</summary>
public static class RestoreDecisions
{
    /// <summary>
    /// The run to restore among the policy's runs: the one named, else the newest successful one whose data is older
    /// than <paramref name="before"/>, else the newest successful one. Only successful runs are recovery points.
    /// </summary>
    public static (ObservedRun? Run, string? Reason, string? Message) Choose(IReadOnlyList<ObservedRun> runs, string? name, DateTimeOffset? before)
    {
        var good = runs.Where(r => r.Phase == RunPhase.Succeeded && r.RecoveryPoint is not null).OrderByDescending(r => r.RecoveryPoint).ToList();
        if (name is { Length: > 0 })
        {
            var named = runs.FirstOrDefault(r => r.Name == name);
            return named is null ? (null, RestoreReasons.RunNotFound, $"the policy has no run {name} (retention may have removed it)")
                : named.Phase != RunPhase.Succeeded ? (null, RestoreReasons.NoRecoveryPoint, $"run {name} is {named.Phase}: not a recovery point")
                : (named, null, null);
        }
        if (before is { } limit)
        {
            var instant = Instant.FromDateTimeOffset(limit);
            return good.FirstOrDefault(r => r.RecoveryPoint < instant) is { } older ? (older, null, null)
                : (null, RestoreReasons.NoRecoveryPoint, $"no successful run has data older than {PersonTime.Format(instant)}");
        }
        return good.Count > 0 ? (good[0], null, null) : (null, RestoreReasons.NoRecoveryPoint, "the policy has no successful run yet");
    }

    public static IEnumerable<SpecProblem> Check(RestoreRequestSpec spec)
    {
        if (!string.IsNullOrEmpty(spec.Run) && spec.Before is not null)
            yield return new SpecProblem("spec.before", "AmbiguousRecoveryPoint", "give a run or an instant, not both");
        string? error = null;
        try { Durations.Parse(spec.Timeout); }
        catch (FormatException e) { error = e.Message; }
        if (error is not null) yield return new SpecProblem("spec.timeout", "InvalidDuration", error);
        if (spec.Include?.PvcsOnly == true && spec.Include.Kinds is { Count: > 0 } kinds && kinds.Any(k => k != "PersistentVolumeClaim"))
            yield return new SpecProblem("spec.include.kinds", "ConflictingSelection", "pvcsOnly restores only PersistentVolumeClaims");
        if (spec.TargetNamespace is { } ns && !System.Text.RegularExpressions.Regex.IsMatch(ns, "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))
            yield return new SpecProblem("spec.targetNamespace", "InvalidNamespace", $"\"{ns}\" is not a namespace name");
    }

    /// <summary>The kinds the selection keeps (null: all).</summary>
    public static IReadOnlyList<string>? Kinds(RestoreRequestSpec spec) => spec.Include?.PvcsOnly == true ? ["PersistentVolumeClaim"] : spec.Include?.Kinds is { Count: > 0 } k ? k : null;

    public static Duration Timeout(RestoreRequestSpec spec)
    {
        try { return Durations.Parse(spec.Timeout) ?? Duration.FromHours(1); }
        catch (FormatException) { return Duration.FromHours(1); }
    }
}
