using System.Collections.Concurrent;
using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DematOperator.Kube.Writes;

/// <summary>
/// Kubernetes Events for what a person should see (`kubectl describe`), aggregated client-side like
/// client-go's recorder: a repeat of the same reason and message on the same object bumps the count and
/// lastTimestamp of the existing Event instead of creating another. Event failures never fail a reconcile.
/// </summary>
public sealed class EventRecorder(KubeClient client, string component, ILoggerFactory? loggers = null)
{
    private readonly ConcurrentDictionary<string, CoreEvent> _recent = new();
    private readonly ILogger _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger<EventRecorder>();
    private readonly string _instance = Environment.MachineName;

    public Task NormalAsync(KubeObject regarding, string reason, string message, CancellationToken ct = default) =>
        RecordAsync(regarding, "Normal", reason, message, ct);

    public Task WarningAsync(KubeObject regarding, string reason, string message, CancellationToken ct = default) =>
        RecordAsync(regarding, "Warning", reason, message, ct);

    public async Task RecordAsync(KubeObject regarding, string type, string reason, string message, CancellationToken ct = default)
    {
        var ns = regarding.Metadata.Namespace ?? "default";
        if (message.Length > 1024) message = message[..1021] + "...";
        var key = $"{regarding.Metadata.Uid}|{type}|{reason}|{message}";
        var now = client.Time.GetUtcNow();
        try
        {
            if (_recent.TryGetValue(key, out var previous))
            {
                previous.Count = (previous.Count ?? 1) + 1;
                previous.LastTimestamp = now;
                try
                {
                    _recent[key] = await client.PatchAsync(Resources.Events, ns, previous.Name, PatchType.Merge,
                        $"{{\"count\":{previous.Count},\"lastTimestamp\":\"{KubeTimeConverter.Format(now)}\"}}", ct: ct);
                    return;
                }
                catch (KubeApiException e) when (e.IsNotFound) { _recent.TryRemove(key, out _); }
            }
            var ev = new CoreEvent
            {
                Metadata = new ObjectMeta { Name = $"{regarding.Name}.{now.ToUnixTimeMilliseconds():x}{Random.Shared.Next(0x1000):x3}", Namespace = ns },
                InvolvedObject = new ObjectReference
                {
                    ApiVersion = regarding.ApiVersion, Kind = regarding.Kind, Name = regarding.Name, Namespace = regarding.Metadata.Namespace,
                    Uid = regarding.Metadata.Uid, ResourceVersion = regarding.Metadata.ResourceVersion,
                },
                Reason = reason, Message = message, Type = type, Count = 1, FirstTimestamp = now, LastTimestamp = now,
                Source = new EventSource { Component = component, Host = _instance },
                ReportingComponent = component, ReportingInstance = _instance,
            };
            _recent[key] = await client.CreateAsync(Resources.Events, ev, ct);
            if (_recent.Count > 4096) _recent.Clear();
        }
        catch (Exception e) when (e is KubeApiException or KubeConnectionException)
        {
            _log.LogWarning("could not record event {Reason} on {Kind} {Name}: {Error}", reason, regarding.Kind, regarding.Name, e.Message);
        }
    }
}
