using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace Bridge.Client.Channels;

/// <summary>A reply or watch event of the MonoRail channel protocol, typed by its <c>handler</c>.</summary>
public abstract record ChannelEvent(string Resource);

/// <summary>
/// <c>{"handler":"item","resource":R,"id":ID,"data":{...}}</c>. On a collection watch <see cref="Id"/> is
/// <c>["created"|"updated"|..., "&lt;id&gt;"]</c>; on <c>mq</c> it is the routing key; from <c>get</c> it is the document id.
/// </summary>
public sealed record ChannelItem(string Resource, JsonNode? Id, JsonNode? Data) : ChannelEvent(Resource)
{
    /// <summary>The frame's <c>position</c> on a recovering watch (opaque), or null.</summary>
    public string? Position { get; init; }

    /// <summary>The waterline event of a collection watch item (<c>created</c>, <c>updated</c>, ...), or null.</summary>
    public string? ChangeKind => Id is JsonArray { Count: 2 } pair ? pair[0]?.GetValue<string>() : null;

    /// <summary>The document id whatever the shape of <see cref="Id"/> (the second element of a waterline pair).</summary>
    public string? DocumentId => Id switch
    {
        JsonArray { Count: 2 } pair => pair[1]?.ToString(),
        JsonValue value => value.ToString(),
        _ => null,
    };
}

/// <summary><c>{"handler":"remove","resource":R,"id":ID,"data":{...}}</c>: a destroyed document (or a <c>get</c> that found nothing).</summary>
public sealed record ChannelRemove(string Resource, JsonNode? Id, JsonNode? Data) : ChannelEvent(Resource)
{
    /// <summary>The frame's <c>position</c> on a recovering watch (opaque), or null.</summary>
    public string? Position { get; init; }
}

/// <summary>
/// <c>{"handler":"recovered","resource":R,"params":P,"recovered":B,"missed":N}</c>: after a reconnection, the
/// watch's replay is done. <see cref="Recovered"/> true: the <see cref="Missed"/> events before this one were
/// those published while disconnected, and nothing was lost. False: the bridge could not fill the gap (the
/// position was too old, or of another deployment): resynchronise (a snapshot watch got a fresh list first).
/// </summary>
public sealed record ChannelRecovered(string Resource, JsonObject? Parameters, bool Recovered, long Missed) : ChannelEvent(Resource);

/// <summary><c>{"handler":"list","resource":R,"items":[...]}</c>: the answer to <c>all</c> and <c>query</c>.</summary>
public sealed record ChannelList(string Resource, IReadOnlyList<JsonObject> Items) : ChannelEvent(Resource);

/// <summary>The server answered a request with <c>{"handler":"error","params":{"code":...,"message":...}}</c>.</summary>
public sealed class ChannelErrorException : Exception
{
    public ChannelErrorException(string? resource, string code, string serverMessage, string? request)
        : base($"{code}: {serverMessage}")
    {
        Resource = resource;
        Code = code;
        ServerMessage = serverMessage;
        Request = request;
    }

    public ChannelErrorException()
        : this(null, "unknown", "unknown error", null)
    {
    }

    public ChannelErrorException(string message)
        : this(null, "unknown", message, null)
    {
    }

    public ChannelErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "unknown";
        ServerMessage = message;
    }

    public string? Resource { get; }

    /// <summary>The machine-readable code, e.g. <c>invalid_filter</c>, <c>not_supported</c>, <c>unknown_resource</c>.</summary>
    public string Code { get; }

    public string ServerMessage { get; }

    /// <summary>The handler of the request the server refused (<c>query</c>, <c>watch</c>, ...), when it says.</summary>
    public string? Request { get; }
}

/// <summary>The connection dropped while a request waited for its reply: the server may or may not have handled it.</summary>
public sealed class ChannelDisconnectedException : Exception
{
    public ChannelDisconnectedException()
        : base("the channel connection closed before the reply arrived")
    {
    }

    public ChannelDisconnectedException(string message)
        : base(message)
    {
    }

    public ChannelDisconnectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

public sealed class ChannelSessionEventArgs(Guid sessionId) : EventArgs
{
    public Guid SessionId { get; } = sessionId;
}

/// <summary>Raised after every (re)connection once the session is known and every active watch has been re-sent.</summary>
public sealed class ChannelReadyEventArgs(Guid sessionId, bool isReconnect, int watchesRestored) : EventArgs
{
    public Guid SessionId { get; } = sessionId;

    public bool IsReconnect { get; } = isReconnect;

    public int WatchesRestored { get; } = watchesRestored;
}

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

/// <summary>An <c>error</c> no pending request was waiting for (e.g. a refused <c>watch</c>, which has no success reply).</summary>
public sealed class ChannelErrorEventArgs(ChannelErrorException error) : EventArgs
{
    public ChannelErrorException Error { get; } = error;
}
