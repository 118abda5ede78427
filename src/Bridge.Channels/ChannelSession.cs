using System.Net.WebSockets;
using Bridge.Channels.Recovery;
using Bridge.Connections;

namespace Bridge.Channels;

/// <summary>
/// The channel protocol's state for one connection: its default resource and its watches. Messages of a
/// connection are handled one at a time, so the watch table needs no lock.
/// </summary>
internal sealed class ChannelSession(WebSocketConnection connection, string channel, ChannelRouter router) : IConnectionHandler
{
    private readonly Dictionary<(string Resource, string Params), WatchGroup> _watches = [];

    public WebSocketConnection Connection { get; } = connection;

    /// <summary>The resource named by the connection's path: the default of every message.</summary>
    public string Channel { get; } = channel;

    internal Dictionary<(string Resource, string Params), WatchGroup> Watches => _watches;

    /// <summary>The watches with <c>"recover": true</c> (issue 16 §1), fed by the recovery log rather than a watch group.</summary>
    internal Dictionary<(string Resource, string Params), RecoveringMember> RecoveringWatches { get; } = [];

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
        foreach (var member in RecoveringWatches.Values)
        {
            await member.LeaveAsync();
        }

        RecoveringWatches.Clear();
    }
}
