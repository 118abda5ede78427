using System.Net.WebSockets;

namespace Bridge.Client;

/// <summary>
/// The bridge ended the connection with a close frame: <see cref="CloseStatus"/> tells a deploy (1012, service
/// restart: the client reconnects at once) from a slow-consumer cut-off (1013) or any other reason.
/// </summary>
public sealed class BridgeClosedException : Exception
{
    /// <summary>1012: the bridge is stopping (a deploy); reconnecting at once is what it asks for.</summary>
    public const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    public BridgeClosedException()
    {
    }

    public BridgeClosedException(string message)
        : base(message)
    {
    }

    public BridgeClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BridgeClosedException(WebSocketCloseStatus? closeStatus, string? closeDescription)
        : base($"the bridge closed the connection ({(int?)closeStatus} {closeDescription})")
    {
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
    }

    public WebSocketCloseStatus? CloseStatus { get; }

    public string? CloseDescription { get; }
}
