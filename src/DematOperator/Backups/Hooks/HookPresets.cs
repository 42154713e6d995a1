using DematOperator.Api;
using NodaTime;

namespace DematOperator.Backups.Hooks;

/// <summary>A hook with its preset applied and its timeouts parsed.</summary>
public sealed record ResolvedHook(string Name, string Namespace, WorkloadRef Workload, string? Container, bool LastPod,
    IReadOnlyList<string>? Pre, Duration PreTimeout, IReadOnlyList<string>? Post, Duration PostTimeout, bool ContinueOnError)
{
    /// <summary>The workload's data is captured by the hook itself (Elasticsearch's snapshot API): its volumes are not snapshotted.</summary>
    public bool CapturesItsOwnData { get; init; }

    /// <summary>The command with the run's name in place of <see cref="HookPresets.RunPlaceholder"/>.</summary>
    public static IReadOnlyList<string> ForRun(IReadOnlyList<string> command, string run) => [.. command.Select(a => a.Replace(HookPresets.RunPlaceholder, run, StringComparison.Ordinal))];
}

/// <summary>
/// The presets' commands. MongoDB 6: `db.fsyncLock()` flushes and blocks writes until `db.fsyncUnlock()`; the lock is
/// the server's (it outlives the shell that took it) and is counted, so each lock gets exactly one unlock, and it
/// is taken on a secondary, never on the primary (the command refuses). Elasticsearch 7: a snapshot through its API
/// into a registered repository, waited for, instead of snapshotting its volumes. PostgreSQL: `CHECKPOINT` before an atomic
/// snapshot of the data directory (WAL included), which PostgreSQL recovers from as from a crash, with little to
/// replay; `pg_backup_start`/`pg_backup_stop` would need one session open across the capture, which separate
/// commands cannot hold. RabbitMQ 3.12: the definitions (queues, exchanges, bindings, users) exported onto the data
/// volume, so the capture holds them.
/// </summary>
public static class HookPresets
{
    public const string MongoDb6 = "MongoDB6";
    public const string PostgreSql = "PostgreSQL";
    public const string RabbitMq = "RabbitMQ";
    public const string Elasticsearch7 = "Elasticsearch7";
    /// <summary>Replaced by the run's name in a command (Elasticsearch snapshot names: lower case, as run names are).</summary>
    public const string RunPlaceholder = "$(RUN)";

    private static readonly Dictionary<string, (string[]? Pre, string[]? Post, bool LastPod)> Commands = new()
    {
        [MongoDb6] = (["mongosh", "--quiet", "--eval", "if (db.hello().isWritablePrimary) { print('refusing to lock the primary'); quit(3) } printjson(db.fsyncLock())"],
                      ["mongosh", "--quiet", "--eval", "printjson(db.fsyncUnlock())"], true),
        [PostgreSql] = (["psql", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CHECKPOINT"], null, false),
        [RabbitMq] = (["rabbitmqctl", "export_definitions", "/var/lib/rabbitmq/mnesia/definitions.json"], null, false),
    };

    public static ResolvedHook Resolve(BackupHook hook, string defaultNamespace)
    {
        // Elasticsearch: "the only reliable way to back up a cluster is by using the snapshot and restore functionality"
        // (its docs); the snapshot completes before the command returns, so it is the capture, not a freeze.
        var preset = hook.Preset == Elasticsearch7
            ? (["curl", "-sf", "-XPUT", $"http://localhost:9200/_snapshot/{hook.Repository}/{RunPlaceholder}?wait_for_completion=true"], null, false)
            : hook.Preset is { } p && Commands.TryGetValue(p, out var c) ? c : ((string[]?)null, (string[]?)null, false);
        IReadOnlyList<string>? pre = hook.Pre?.Command is { Count: > 0 } explicitPre ? explicitPre : preset.Item1;
        IReadOnlyList<string>? post = hook.Post?.Command is { Count: > 0 } explicitPost ? explicitPost : preset.Item2;
        var last = hook.Pod is null ? preset.Item3 : hook.Pod == "Last";
        return new ResolvedHook(hook.Name, hook.Namespace ?? defaultNamespace, hook.Workload, hook.Container, last,
            pre, Timeout(hook.Pre?.Timeout, hook.Preset == Elasticsearch7 ? Duration.FromMinutes(30) : Duration.FromMinutes(1)), post, Timeout(hook.Post?.Timeout, Duration.FromMinutes(1)), hook.OnError == "Continue")
        {
            CapturesItsOwnData = hook.Preset == Elasticsearch7,
        };
    }

    /// <summary>The hook's timeout; a bad one (reported by the checks as InvalidDuration) reads as the default, never throws.</summary>
    private static Duration Timeout(string? text, Duration fallback)
    {
        try { return Durations.Parse(text) ?? fallback; }
        catch (FormatException) { return fallback; }
    }
}
