using System.Globalization;
using DematOperator.Api;
using NodaTime;

namespace DematOperator.Backups;

/// <summary>
/// "Une sauvegarde permettant un retour arrière" before any fix or patch (CCTP): `ops.demat.gouv.fr/run-before`
/// names when the change happens; a run starts when the request appears, and the condition RollbackPointReady says,
/// purely from the runs, whether a successful run completed after the request and before the change.
/// </summary>
public static class RollbackPoints
{
    public const string Condition = "RollbackPointReady";

    public sealed record Request(string Value, Instant? Change, string? Error);
    public sealed record Verdict(bool Ready, string Reason, string Message);

    public static Request? Parse(string? annotation)
    {
        if (string.IsNullOrWhiteSpace(annotation)) return null;
        return DateTimeOffset.TryParse(annotation, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? new Request(annotation, Instant.FromDateTimeOffset(at), null)
            : new Request(annotation, null, $"{RunLabels.RunBeforeAnnotation}: \"{annotation}\" is not an RFC 3339 instant (e.g. 2026-06-02T20:00:00+02:00)");
    }

    /// <summary>The condition, or null when no run-before request is set.</summary>
    public static Verdict? Assess(Request? request, string? acknowledged, Instant? requestedAt, IReadOnlyList<ObservedRun> runs, Instant now)
    {
        if (request is null) return null;
        if (request.Error is { } error) return new Verdict(false, "InvalidRunBefore", error);
        var change = request.Change!.Value;
        if (acknowledged != request.Value || requestedAt is not { } asked)
            return new Verdict(false, "RollbackPointPending", $"a run is to start for the change of {Format(change)}");
        var after = runs.Where(r => r.Started >= asked - Duration.FromSeconds(1)).ToList();
        var good = after.Where(r => r.Phase == RunPhase.Succeeded && r.Completed is { } c && c <= change).MaxBy(r => r.Completed);
        if (good is not null)
            return new Verdict(true, "RollbackPointReady", $"run {good.Name} completed at {Format(good.Completed!.Value)} ({good.Consistency}-consistent, data of {Format(good.RecoveryPoint ?? good.Started)}): the change of {Format(change)} can be rolled back");
        if (now > change)
            return new Verdict(false, "RollbackPointMissed", $"no run succeeded between the request and the change of {Format(change)}: the change has no rollback point");
        if (after.FirstOrDefault(r => r.Phase == RunPhase.Failed) is { } failed && after.All(r => r.Phase != RunPhase.Running))
            return new Verdict(false, "RollbackPointFailed", $"run {failed.Name} failed ({failed.Error}): set {RunLabels.RunBeforeAnnotation} again to retry before {Format(change)}");
        return new Verdict(false, "RollbackPointPending", $"the run for the change of {Format(change)} is going");
    }

    private static string Format(Instant i) => i.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
