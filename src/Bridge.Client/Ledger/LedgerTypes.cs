using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

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

/// <summary>The answer of <c>/auth_token</c>.</summary>
public sealed record LedgerToken(string Token, TimeSpan? MaxAge);

/// <summary>
/// <c>{"method":"notify","params":{"event":E,"resource":R,"related_resources":{...},"id":...}}</c>:
/// <see cref="Event"/> is e.g. <c>transfer.create</c>, <c>transfer.update</c> or <c>message.send</c>.
/// </summary>
public sealed record LedgerNotification(string Event, JsonObject? Resource, JsonObject? RelatedResources, string? Id, JsonObject Params);

public sealed class LedgerNotificationEventArgs(LedgerNotification notification) : EventArgs
{
    public LedgerNotification Notification { get; } = notification;
}

/// <summary>A connection ended; <see cref="WillReconnect"/> false when the client gave up (e.g. <c>/auth_token</c> refused the password) or must not reconnect.</summary>
public sealed class LedgerDisconnectedEventArgs(Exception? error, bool willReconnect) : EventArgs
{
    /// <summary>Why the connection ended or the reconnection stopped; null when the server closed it cleanly.</summary>
    public Exception? Error { get; } = error;

    public bool WillReconnect { get; } = willReconnect;
}

/// <summary>Raised after a reconnection, once the subscription calls were re-sent.</summary>
public sealed class LedgerReconnectedEventArgs(int subscriptionsRestored) : EventArgs
{
    /// <summary>How many subscription calls were replayed (<c>subscribe_account</c> counts once, whatever its number of accounts).</summary>
    public int SubscriptionsRestored { get; } = subscriptionsRestored;
}

/// <summary>A JSON-RPC error: <c>{"code":C,"message":"Name: text","data":{"name":..,"message":..}}</c>.</summary>
public sealed class LedgerRpcException : Exception
{
    public LedgerRpcException(int code, string message, JsonObject? data)
        : base(message)
    {
        Code = code;
        ErrorData = data;
    }

    public LedgerRpcException()
        : this(50000, "unknown error", null)
    {
    }

    public LedgerRpcException(string message)
        : this(50000, message, null)
    {
    }

    public LedgerRpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = 50000;
    }

    /// <summary>The JSON-RPC code, e.g. 40300 (not authorized) or -32601 (unknown method).</summary>
    public int Code { get; }

    /// <summary>The error's <c>data</c> member (<c>name</c>, <c>message</c>, sometimes <c>validationErrors</c>).</summary>
    public JsonObject? ErrorData { get; }

    internal static LedgerRpcException From(JsonObject error)
    {
        var code = error["code"] is JsonValue value && value.TryGetValue<int>(out var c) ? c : 50000;
        return new LedgerRpcException(code, error["message"]?.ToString() ?? "the ledger reported an error", error["data"]?.DeepClone() as JsonObject);
    }
}

/// <summary>The ledger connection ended while a request or the handshake waited.</summary>
public sealed class LedgerDisconnectedException : Exception
{
    public LedgerDisconnectedException()
        : base("the ledger connection closed")
    {
    }

    public LedgerDisconnectedException(string message)
        : base(message)
    {
    }

    public LedgerDisconnectedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
