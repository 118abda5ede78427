using System.Net.WebSockets;

namespace Bridge.Connections;

internal static partial class ConnectionLog
{
    [LoggerMessage(EventId = 4000, EventName = "ConnectionOpened", Level = LogLevel.Debug,
        Message = "Connection {ConnectionId} opened on {Path} by {Caller}")]
    public static partial void Opened(ILogger logger, Guid connectionId, string path, string caller);

    [LoggerMessage(EventId = 4001, EventName = "ConnectionClosed", Level = LogLevel.Debug,
        Message = "Connection {ConnectionId} closed: {Reason}")]
    public static partial void Closed(ILogger logger, Guid connectionId, string reason);

    [LoggerMessage(EventId = 4002, EventName = "SlowConsumer", Level = LogLevel.Warning,
        Message = "Connection {ConnectionId} closed: its send queue is full ({Capacity} frames); the client is not reading fast enough")]
    public static partial void SlowConsumer(ILogger logger, Guid connectionId, int capacity);

    [LoggerMessage(EventId = 4003, EventName = "MessageTooBig", Level = LogLevel.Warning,
        Message = "Connection {ConnectionId} closed: a message exceeded {Limit} bytes")]
    public static partial void MessageTooBig(ILogger logger, Guid connectionId, int limit);

    [LoggerMessage(EventId = 4004, EventName = "SendFailed", Level = LogLevel.Debug,
        Message = "Connection {ConnectionId}: send failed, aborting the connection")]
    public static partial void SendFailed(ILogger logger, Guid connectionId, Exception exception);

    [LoggerMessage(EventId = 4005, EventName = "ReceiveFailed", Level = LogLevel.Debug,
        Message = "Connection {ConnectionId}: receive ended with {ErrorCode}")]
    public static partial void ReceiveFailed(ILogger logger, Guid connectionId, WebSocketError errorCode, Exception exception);

    [LoggerMessage(EventId = 4006, EventName = "HandlerFailed", Level = LogLevel.Error,
        Message = "Connection {ConnectionId}: the message handler failed unexpectedly")]
    public static partial void HandlerFailed(ILogger logger, Guid connectionId, Exception exception);
}
