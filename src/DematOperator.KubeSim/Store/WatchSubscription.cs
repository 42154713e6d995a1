using System.Threading.Channels;
using DematOperator.Kube.Api;

namespace DematOperator.KubeSim.Store;

public enum WatchMessageKind { Added, Modified, Deleted, Bookmark, Error }

public readonly record struct WatchMessage(WatchMessageKind Kind, StoredObject? Object, long ResourceVersion, bool InitialEventsEnd = false, ApiStatus? Error = null);

/// <summary>One open watch: a FIFO of messages filled under the cluster's lock, so no event is lost or reordered.</summary>
public sealed class WatchSubscription : IDisposable
{
    private readonly Action<WatchSubscription> _onDispose;
    internal readonly Channel<WatchMessage> Channel = System.Threading.Channels.Channel.CreateUnbounded<WatchMessage>(new() { SingleReader = true });

    internal WatchSubscription(string storageKey, string? ns, WatchOptions options, Action<WatchSubscription> onDispose)
    {
        StorageKey = storageKey;
        Namespace = ns;
        Options = options;
        _onDispose = onDispose;
    }

    public string StorageKey { get; }
    public string? Namespace { get; }
    public WatchOptions Options { get; }
    public ChannelReader<WatchMessage> Reader => Channel.Reader;

    /// <summary>Ends the stream from the server side, as a dropped connection or a timeout would.</summary>
    public void Close(ApiStatus? error = null)
    {
        if (error is not null) Channel.Writer.TryWrite(new WatchMessage(WatchMessageKind.Error, null, 0, Error: error));
        Channel.Writer.TryComplete();
    }

    internal bool Accepts(StoredObject o) =>
        (Namespace is null || o.Namespace == Namespace) && Options.Fields.Matches(o);

    internal bool Offer(StoreEvent e)
    {
        var now = Accepts(e.Object) && Options.Labels.Matches(e.Object.Labels);
        var before = e.Previous is not null && Accepts(e.Previous) && Options.Labels.Matches(e.Previous.Labels);
        WatchMessageKind? kind = e.Type switch
        {
            WatchEventType.Added when now => WatchMessageKind.Added,
            WatchEventType.Deleted when now || before => WatchMessageKind.Deleted,
            WatchEventType.Modified when now && before => WatchMessageKind.Modified,
            WatchEventType.Modified when now => WatchMessageKind.Added,
            // An object that stops matching the selector leaves the watcher's view: the server says DELETED.
            WatchEventType.Modified when before => WatchMessageKind.Deleted,
            _ => null,
        };
        return kind is not { } k || Channel.Writer.TryWrite(new WatchMessage(k, e.Object, e.ResourceVersion));
    }

    public void Dispose()
    {
        Channel.Writer.TryComplete();
        _onDispose(this);
    }
}
