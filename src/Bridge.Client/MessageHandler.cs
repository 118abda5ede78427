using System.Net.WebSockets;

namespace Bridge.Client;

/// <summary>Handles one whole WebSocket message on the receive loop; <paramref name="payload"/> is valid only during the call.</summary>
internal delegate void MessageHandler(WebSocketMessageType type, ReadOnlySpan<byte> payload);
