using System.ComponentModel.DataAnnotations;

namespace Bridge.Client.Ledger;

public sealed class LedgerClientOptions
{
    /// <summary>The bridge's (ledger's) HTTP base, e.g. <c>http://127.0.0.1:5000</c>; the WebSocket is <c>/websocket</c> on the same port.</summary>
    [Required]
    public Uri? BaseUri { get; set; }

    /// <summary>Account name and password for <c>/auth_token</c>; not needed when <see cref="Token"/> is set.</summary>
    public string? Account { get; set; }

    public string? Password { get; set; }

    /// <summary>A token obtained earlier (they live long: five-bells clients reconnect with the same token).</summary>
    public string? Token { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a call waits for its reply (including waiting for a reconnection) before it fails with <see cref="TimeoutException"/>.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First reconnection delay; it doubles (with jitter) up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect and re-subscribe automatically after the connection drops (not after <see cref="LedgerNotificationClient.DisconnectAsync"/>).</summary>
    public bool AutoReconnect { get; set; } = true;

    /// <summary>
    /// WebSocket keep-alive: a ping every interval, and the connection counts as dropped (and is reconnected)
    /// when no pong comes within <see cref="KeepAliveTimeout"/>, so a ledger that vanished without closing
    /// the connection (a dead host, a dropped NAT entry) is noticed in seconds, not when TCP gives up.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
