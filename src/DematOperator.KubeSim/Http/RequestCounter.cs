namespace DematOperator.KubeSim;

/// <summary>Counts requests by verb, so tests can assert that a quiet operator makes no writes.</summary>
public sealed class RequestCounter
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _counts = new();
    public void Add(string verb, string resource) => _counts.AddOrUpdate($"{verb} {resource}", 1, (_, n) => n + 1);
    public long Count(Func<string, bool> predicate) => _counts.Where(p => predicate(p.Key)).Sum(p => p.Value);
    public long Writes => Count(k => k.StartsWith("create ", StringComparison.Ordinal) || k.StartsWith("update ", StringComparison.Ordinal) || k.StartsWith("patch ", StringComparison.Ordinal) || k.StartsWith("delete", StringComparison.Ordinal));
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts);
    public void Reset() => _counts.Clear();
}
