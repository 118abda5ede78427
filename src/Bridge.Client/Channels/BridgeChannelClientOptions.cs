using System.ComponentModel.DataAnnotations;

namespace Bridge.Client.Channels;

/// <summary>Options of <see cref="BridgeChannelClient"/>.</summary>
public sealed class BridgeChannelClientOptions
{
    /// <summary><c>ws://host:port/{channel}</c>; the channel is the default resource. <c>ws://host:port/</c> works when every call names its resource.</summary>
    [Required]
    public Uri? Uri { get; set; }

    /// <summary>A bridge token (from <c>/auth_token</c>); sent as <c>?token=</c> unless <see cref="SendTokenAsBearerHeader"/>.</summary>
    public string? Token { get; set; }

    /// <summary>Send the token as <c>Authorization: Bearer</c> instead of in the query string (keeps it out of access logs; browsers cannot do this).</summary>
    public bool SendTokenAsBearerHeader { get; set; }

    /// <summary>How long a request waits for its reply (including waiting for a reconnection) before it fails with <see cref="TimeoutException"/>.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the handshake (open, <c>init</c>, <c>session</c>) may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnection delay; it doubles (with jitter) up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect automatically after the connection drops (not after <see cref="BridgeChannelClient.DisconnectAsync"/>).</summary>
    public bool AutoReconnect { get; set; } = true;

    /// <summary>
    /// Watch with <c>"recover": true</c> (issue 16 §1): each watch keeps the last <c>position</c> it received and
    /// sends it as <c>"since"</c> when it is re-sent after a reconnection, so nothing published meanwhile is lost;
    /// the watch then yields a <see cref="ChannelRecovered"/> saying whether the gap was filled. RackHD ignores it.
    /// </summary>
    public bool Recover { get; set; } = true;

    /// <summary>Events a watch buffers for a slow reader; beyond it the oldest are dropped.</summary>
    public int WatchBufferCapacity { get; set; } = 10_000;

    /// <summary>WebSocket keep-alive: a ping every interval, and the connection counts as dead when no pong comes within <see cref="KeepAliveTimeout"/>.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
