using System.Text.Json;
using DematOperator.Api;
using DematOperator.Kube.Informers;

namespace DematOperator.Bench;

/// <summary>
/// The informer cache's diet, per cached object: a BackupPolicy as a real cluster serves it after `kubectl apply`
/// and a status write by the operator (a last-applied-configuration annotation and two managedFields entries),
/// cached whole and cached as the informers do (both dropped). Managed heap after a full collection, 5,000 objects.
/// </summary>
internal static class CacheDietBench
{
    private const string Spec = """{"schedule":"0 */2 * * *","timeZone":"Europe/Paris","method":"Velero","rpo":"4h","target":{"namespaces":["platau-prod"],"selector":{"matchLabels":{"app.kubernetes.io/part-of":"platau"}}},"retention":{"keepLast":6,"keepDaily":7,"keepWeekly":4}}""";

    private static string Json(int i)
    {
        var lastApplied = JsonSerializer.Serialize($$"""{"apiVersion":"ops.demat.gouv.fr/v1alpha1","kind":"BackupPolicy","metadata":{"annotations":{},"name":"policy-{{i}}","namespace":"platau-prod"},"spec":{{Spec}}}""");
        const string managed = """[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"ops.demat.gouv.fr/v1alpha1","time":"2026-11-30T09:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},"f:spec":{".":{},"f:method":{},"f:retention":{".":{},"f:keepDaily":{},"f:keepLast":{},"f:keepWeekly":{}},"f:rpo":{},"f:schedule":{},"f:target":{".":{},"f:namespaces":{},"f:selector":{".":{},"f:matchLabels":{".":{},"f:app.kubernetes.io/part-of":{}}}},"f:timeZone":{}}}},{"manager":"dematoperator","operation":"Update","apiVersion":"ops.demat.gouv.fr/v1alpha1","time":"2026-11-30T09:00:01Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{".":{},"f:conditions":{},"f:lastScheduleTime":{},"f:nextScheduleTime":{},"f:observedGeneration":{},"f:recoveryPoint":{}}},"subresource":"status"}]""";
        return $$$"""{"apiVersion":"ops.demat.gouv.fr/v1alpha1","kind":"BackupPolicy","metadata":{"name":"policy-{{{i}}}","namespace":"platau-prod","uid":"{{{Guid.NewGuid()}}}","resourceVersion":"{{{1000 + i}}}","generation":1,"creationTimestamp":"2026-11-30T09:00:00Z","annotations":{"kubectl.kubernetes.io/last-applied-configuration":{{{lastApplied}}}},"managedFields":{{{managed}}}},"spec":{{{Spec}}},"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","reason":"Scheduled","message":"next run 2026-11-30 10:00 UTC","lastTransitionTime":"2026-11-30T09:00:01Z","observedGeneration":1}]}}""";
    }

    public static List<string> Run(int count = 5000)
    {
        var texts = Enumerable.Range(0, count).Select(Json).ToList();
        var rows = new List<string>();
        foreach (var strip in new[] { false, true })
            rows.Add(Harness.Row($"cached BackupPolicy, {(strip ? "managedFields and last-applied dropped (the informers)" : "whole")}", $"{Measure(texts, strip) / count / 1024:F2} KiB per object"));
        return rows;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static double Measure(List<string> texts, bool strip)
    {
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        var before = GC.GetTotalMemory(true);
        var cache = new List<Backups.BackupPolicy>(texts.Count);
        foreach (var t in texts)
        {
            var o = JsonSerializer.Deserialize(t, OperatorKinds.BackupPolicies.TypeInfo)!;
            if (strip)
            {
                o.Metadata.ManagedFields = null;
                if (o.Metadata.Annotations is { } a && a.Remove(Informer<Backups.BackupPolicy>.LastAppliedAnnotation) && a.Count == 0) o.Metadata.Annotations = null;
            }
            cache.Add(o);
        }
        var after = GC.GetTotalMemory(true);
        GC.KeepAlive(cache);
        return after - before;
    }
}
