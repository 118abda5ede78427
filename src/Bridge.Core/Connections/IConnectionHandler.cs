using System.Net.WebSockets;

namespace Bridge.Connections;

/// <summary>What a protocol front does with the messages of one connection.</summary>
public interface IConnectionHandler
{
    /// <summary>
    /// Handles one complete message. Messages of a connection are handled one at a time, in order;
    /// the buffer is only valid until the returned task completes.
    /// </summary>
    ValueTask HandleMessageAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken cancellationToken);
}
