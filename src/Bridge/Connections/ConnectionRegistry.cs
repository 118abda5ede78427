using System.Collections.Concurrent;

namespace Bridge.Connections;

/// <summary>
/// Every open connection, for broadcasts (seed 004 "Server Broadcast Method") and for closing them all on
/// shutdown. A broadcast frame is encoded once by the caller and shared by every recipient.
/// </summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<Guid, WebSocketConnection> _connections = new();

    public int Count => _connections.Count;

    public void Add(WebSocketConnection connection) => _connections[connection.Id] = connection;

    public void Remove(WebSocketConnection connection) => _connections.TryRemove(connection.Id, out _);

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

    public void AbortAll()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Abort();
        }
    }
}
