using DematOperator.Kube.Api;

namespace DematOperator.Kube.Writes;

/// <summary>apimachinery's meta.SetStatusCondition semantics for lists of metav1.Condition.</summary>
public static class Conditions
{
    /// <summary>
    /// Sets or adds the condition of that type. lastTransitionTime moves only when the status changes.
    /// Returns whether anything changed, so callers can skip a no-op status write.
    /// </summary>
    public static bool Set(List<Condition> conditions, Condition wanted, DateTimeOffset now)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == wanted.Type);
        var transition = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        if (existing is null)
        {
            conditions.Add(new Condition
            {
                Type = wanted.Type, Status = wanted.Status, Reason = wanted.Reason, Message = wanted.Message,
                ObservedGeneration = wanted.ObservedGeneration, LastTransitionTime = transition,
            });
            return true;
        }
        var changed = false;
        if (existing.Status != wanted.Status)
        {
            existing.Status = wanted.Status;
            existing.LastTransitionTime = transition;
            changed = true;
        }
        if (existing.Reason != wanted.Reason) { existing.Reason = wanted.Reason; changed = true; }
        if (existing.Message != wanted.Message) { existing.Message = wanted.Message; changed = true; }
        if (existing.ObservedGeneration != wanted.ObservedGeneration) { existing.ObservedGeneration = wanted.ObservedGeneration; changed = true; }
        return changed;
    }

    public static bool Remove(List<Condition> conditions, string type) => conditions.RemoveAll(c => c.Type == type) > 0;

    public static Condition? Find(IEnumerable<Condition>? conditions, string type) => conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(IEnumerable<Condition>? conditions, string type) => Find(conditions, type)?.Status == "True";

    /// <summary>A condition; a null status is `Unknown` (the controller cannot tell, e.g. the cluster it reads does not answer).</summary>
    public static Condition Make(string type, bool? status, string reason, string message, long? generation) =>
        new() { Type = type, Status = status switch { true => "True", false => "False", null => "Unknown" }, Reason = reason, Message = message, ObservedGeneration = generation };
}
