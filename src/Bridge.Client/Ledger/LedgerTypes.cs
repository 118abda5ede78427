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

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
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
