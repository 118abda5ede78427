using System.Net.WebSockets;

namespace Bridge.Client.Channels;

/// <summary>
/// Raised when the connection drops. A reconnection (when <see cref="WillReconnect"/>) starts at once; only when
/// that attempt fails do the next ones back off. <see cref="CloseStatus"/> says why the bridge closed it, when it
/// sent a close frame: 1012 is a deploy (reconnect now), 1013 a client that read too slowly.
/// </summary>
public sealed class ChannelDisconnectedEventArgs(Exception? error, bool willReconnect) : EventArgs
{
    public Exception? Error { get; } = error;

    public bool WillReconnect { get; } = willReconnect;

    /// <summary>The bridge's close code, or null when the connection was lost without a close frame.</summary>
    public WebSocketCloseStatus? CloseStatus { get; } = (error as BridgeClosedException)?.CloseStatus;

    public string? CloseDescription { get; } = (error as BridgeClosedException)?.CloseDescription;
}
