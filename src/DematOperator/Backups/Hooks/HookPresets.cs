using DematOperator.Api;
using NodaTime;

namespace DematOperator.Backups.Hooks;

/// <summary>A hook with its preset applied and its timeouts parsed.</summary>
public sealed record ResolvedHook(string Name, string Namespace, WorkloadRef Workload, string? Container, bool LastPod,
    IReadOnlyList<string>? Pre, Duration PreTimeout, IReadOnlyList<string>? Post, Duration PostTimeout, bool ContinueOnError);

/// <summary>
/// The presets' commands. MongoDB 6: `db.fsyncLock()` flushes and blocks writes until `db.fsyncUnlock()`; the lock is
/// the server's (it outlives the shell that took it) and is counted, so each lock gets exactly one unlock, and it
/// is taken on a secondary, never on the primary (the command refuses). PostgreSQL: `CHECKPOINT` before an atomic
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

    private static readonly Dictionary<string, (string[]? Pre, string[]? Post, bool LastPod)> Commands = new()
    {
        [MongoDb6] = (["mongosh", "--quiet", "--eval", "if (db.hello().isWritablePrimary) { print('refusing to lock the primary'); quit(3) } printjson(db.fsyncLock())"],
                      ["mongosh", "--quiet", "--eval", "printjson(db.fsyncUnlock())"], true),
        [PostgreSql] = (["psql", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CHECKPOINT"], null, false),
        [RabbitMq] = (["rabbitmqctl", "export_definitions", "/var/lib/rabbitmq/mnesia/definitions.json"], null, false),
    };

    public static ResolvedHook Resolve(BackupHook hook, string defaultNamespace)
    {
        var preset = hook.Preset is { } p && Commands.TryGetValue(p, out var c) ? c : ((string[]?)null, (string[]?)null, false);
        IReadOnlyList<string>? pre = hook.Pre?.Command is { Count: > 0 } explicitPre ? explicitPre : preset.Item1;
        IReadOnlyList<string>? post = hook.Post?.Command is { Count: > 0 } explicitPost ? explicitPost : preset.Item2;
        var last = hook.Pod is null ? preset.Item3 : hook.Pod == "Last";
        return new ResolvedHook(hook.Name, hook.Namespace ?? defaultNamespace, hook.Workload, hook.Container, last,
            pre, Timeout(hook.Pre?.Timeout), post, Timeout(hook.Post?.Timeout), hook.OnError == "Continue");
    }

    /// <summary>The hook's timeout; a bad one (reported by the checks as InvalidDuration) reads as the default, never throws.</summary>
    private static Duration Timeout(string? text)
    {
        try { return BackupDecisions.ParseDuration(text) ?? Duration.FromMinutes(1); }
        catch (FormatException) { return Duration.FromMinutes(1); }
    }
}
