using System.Collections.Concurrent;
using Bridge.Observability;

namespace Bridge.Connections;

/// <summary>
/// Every open connection, for broadcasts (seed 004 "Server Broadcast Method") and for closing them all on
/// shutdown. A broadcast frame is encoded once by the caller and shared by every recipient.
/// </summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<Guid, WebSocketConnection> _connections = new();

    public ConnectionRegistry(BridgeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        metrics.ObserveQueuedFrames(QueuedFrames);
    }

    public int Count => _connections.Count;

    public void Add(WebSocketConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connections[connection.Id] = connection;
        connection.Metrics.ConnectionOpened();
    }

    public void Remove(WebSocketConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_connections.TryRemove(connection.Id, out _))
        {
            connection.Metrics.ConnectionClosed();
        }
    }

    /// <summary>Frames waiting in every connection's send queue (read when metrics are collected, not per frame).</summary>
    public long QueuedFrames()
    {
        long queued = 0;
        foreach (var connection in _connections.Values)
        {
            queued += connection.QueuedFrames;
        }

        return queued;
    }

    /// <summary>Sends <paramref name="frame"/> to every connection that <paramref name="predicate"/> selects (all when null).</summary>
    /// <returns>How many connections the frame was queued to.</returns>
    public int Broadcast(ReadOnlyMemory<byte> frame, Func<WebSocketConnection, bool>? predicate = null)
    {
        var sent = 0;
        foreach (var connection in _connections.Values)
        {
            if ((predicate is null || predicate(connection)) && connection.TrySend(frame))
            {
                sent++;
            }
        }

        return sent;
    }

    /// <summary>Sends to the connections opened on one path (for channels, <c>/{channel}</c>).</summary>
    public int BroadcastToPath(string path, ReadOnlyMemory<byte> frame) =>
        Broadcast(frame, connection => string.Equals(connection.Path, path, StringComparison.Ordinal));

    /// <summary>Sends to the connections that are members of <paramref name="resource"/> (<see cref="WebSocketConnection.Join"/>).</summary>
    public int BroadcastToMembers(string resource, ReadOnlyMemory<byte> frame) =>
        Broadcast(frame, connection => connection.IsMemberOf(resource));

}
