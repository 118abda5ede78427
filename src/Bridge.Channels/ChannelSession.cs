using System.Net.WebSockets;
using Bridge.Connections;

namespace Bridge.Channels;

/// <summary>
/// The channel protocol's state for one connection: its default resource and its watches. Messages of a
/// connection are handled one at a time, so the watch table needs no lock.
/// </summary>
public sealed class ChannelSession(WebSocketConnection connection, string channel, ChannelRouter router) : IConnectionHandler
{
    private readonly Dictionary<(string Resource, string Params), WatchGroup> _watches = [];

    public WebSocketConnection Connection { get; } = connection;

    /// <summary>The resource named by the connection's path: the default of every message.</summary>
    public string Channel { get; } = channel;

    internal Dictionary<(string Resource, string Params), WatchGroup> Watches => _watches;

    public ValueTask HandleMessageAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken cancellationToken) =>
        router.HandleAsync(this, message, type, cancellationToken);

    /// <summary>Ends every watch of the connection (it is closing).</summary>
    public async ValueTask StopAllAsync(WatchRegistry registry)
    {
        foreach (var group in _watches.Values)
        {
            await registry.LeaveAsync(group, Connection);
        }

        _watches.Clear();
    }
}
