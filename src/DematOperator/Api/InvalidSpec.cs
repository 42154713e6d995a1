using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Writes;

namespace DematOperator.Api;

/// <summary>How every controller answers a spec it cannot act on: Ready=False with the reason, and one Warning Event.</summary>
public static class InvalidSpec
{
    /// <param name="ensureStatus">Returns the object's status, creating it when absent.</param>
    /// <param name="alsoClear">Status fields that must not keep promising anything (a next run, say).</param>
    public static async Task ReportAsync<T>(KubeClient client, ResourceType<T> type, T obj, Func<T, CommonStatus> ensureStatus, EventRecorder events,
        string reason, string message, CancellationToken ct, Action<T>? alsoClear = null) where T : KubeObject
    {
        // Read through a copy: ensureStatus creates a status where there is none, and the object must stay as stored.
        var current = Conditions.Find(ensureStatus(ObjectWriter.Copy(type, obj)).Conditions, "Ready");
        var already = current is { Status: "False" } c && c.Reason == reason && c.Message == message && c.ObservedGeneration == obj.Metadata.Generation;
        await ObjectWriter.UpdateStatusAsync(client, type, obj, o =>
        {
            var status = ensureStatus(o);
            status.Conditions ??= [];
            status.ObservedGeneration = o.Metadata.Generation;
            alsoClear?.Invoke(o);
            Conditions.Set(status.Conditions, Conditions.Make("Ready", false, reason, message, o.Metadata.Generation), client.Time.GetUtcNow());
        }, ct);
        // One Event per distinct problem: re-reconciling the same bad spec does not repeat it.
        if (!already) await events.WarningAsync(obj, reason, message, ct);
    }
}
