using System.Net.WebSockets;

namespace Bridge.Connections;

/// <summary>
/// The close codes the bridge sends beyond those <see cref="WebSocketCloseStatus"/> names (RFC 6455 §7.4.1 and
/// the IANA registry): a client can tell a deploy (1012: reconnect now) and a slow-consumer cut-off (1013: try
/// again later) from a crash (1006, no close frame).
/// </summary>
internal static class CloseCodes
{
    /// <summary>1012 Service Restart: the bridge is stopping; reconnect now (to this or another instance).</summary>
    public const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    /// <summary>1013 Try Again Later: this client's send queue was full (it did not read fast enough).</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    public const string ServiceRestartReason = "bridge shutting down; reconnect";

    public const string SlowConsumerReason = "send queue full: the client is not reading fast enough";
}
