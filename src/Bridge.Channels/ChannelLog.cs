namespace Bridge.Channels;

internal static partial class ChannelLog
{
    [LoggerMessage(EventId = 5000, EventName = "ChannelRequestRefused", Level = LogLevel.Information,
        Message = "Connection {ConnectionId}: {Handler} on '{Resource}' refused with {Code}: {Reason}")]
    public static partial void RequestRefused(ILogger logger, Guid connectionId, string handler, string resource, string code, string reason);

    [LoggerMessage(EventId = 5001, EventName = "ChannelRequestFailed", Level = LogLevel.Error,
        Message = "Connection {ConnectionId}: {Handler} failed unexpectedly")]
    public static partial void RequestFailed(ILogger logger, Guid connectionId, string handler, Exception exception);

    [LoggerMessage(EventId = 5002, EventName = "WatchDeliveryDropped", Level = LogLevel.Warning,
        Message = "A message for '{Resource}' from {Exchange} with key {RoutingKey} was not delivered: {Reason}")]
    public static partial void DeliveryDropped(ILogger logger, string resource, string exchange, string routingKey, string reason);

    [LoggerMessage(EventId = 5003, EventName = "WatchGroupCreated", Level = LogLevel.Debug,
        Message = "Watching '{Resource}' on {Exchange} with key {RoutingKey} for params {Params}")]
    public static partial void WatchGroupCreated(ILogger logger, string resource, string exchange, string routingKey, string @params);

    [LoggerMessage(EventId = 5004, EventName = "UnsubscribeFailed", Level = LogLevel.Warning,
        Message = "Removing the binding {Exchange}/{RoutingKey} failed")]
    public static partial void UnsubscribeFailed(ILogger logger, string exchange, string routingKey, Exception exception);

    [LoggerMessage(EventId = 5006, EventName = "WatchFilterQueueFull", Level = LogLevel.Warning,
        Message = "The watch of '{Resource}' with params {Params} fell too far behind evaluating its filter: its {Members} members are disconnected")]
    public static partial void WatchFilterQueueFull(ILogger logger, string resource, string @params, int members);

    [LoggerMessage(EventId = 5005, EventName = "ChannelConnectionRefused", Level = LogLevel.Information,
        Message = "A connection to channel '{Channel}' was refused: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string channel, string reason);

    [LoggerMessage(EventId = 5013, EventName = "ChangeStreamFallback", Level = LogLevel.Warning,
        Message = "Resource '{Resource}' is configured to follow a change stream, but the document store cannot serve one: it is watched on the broker ({Exchange}, key {RoutingKey})")]
    public static partial void ChangeStreamFallback(ILogger logger, string resource, string exchange, string routingKey);

    [LoggerMessage(EventId = 5007, EventName = "SnapshotResendFailed", Level = LogLevel.Warning,
        Message = "A fresh list for the snapshot watchers of '{Resource}' could not be read: {Reason}")]
    public static partial void SnapshotResendFailed(ILogger logger, string resource, string reason);

    [LoggerMessage(EventId = 5008, EventName = "ChangeStreamsServed", Level = LogLevel.Information,
        Message = "The document store serves change streams: resources {Resources} follow them")]
    public static partial void ChangeStreamsServed(ILogger logger, string resources);

    [LoggerMessage(EventId = 5009, EventName = "ChangeStreamResourcesOnBroker", Level = LogLevel.Warning,
        Message = "Resources {Resources} are configured to follow change streams, which the document store cannot serve (a standalone MongoDB, or the embedded store): they are watched on the broker")]
    public static partial void ChangeStreamResourcesOnBroker(ILogger logger, string resources);

    [LoggerMessage(EventId = 5010, EventName = "ChangeStreamProbeFailed", Level = LogLevel.Warning,
        Message = "Checking whether the document store serves change streams failed; watches that follow them will report the error")]
    public static partial void ChangeStreamProbeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5011, EventName = "ChangeStreamMovedToBroker", Level = LogLevel.Warning,
        Message = "The document store stopped serving change streams while '{Resource}' followed one: its watch {Params} is now watched on the broker ({Exchange}, key {RoutingKey})")]
    public static partial void ChangeStreamMovedToBroker(ILogger logger, string resource, string @params, string exchange, string routingKey);

    [LoggerMessage(EventId = 5012, EventName = "ChangeStreamBrokerFallbackFailed", Level = LogLevel.Warning,
        Message = "Moving the watch {Params} of '{Resource}' to the broker failed ({Reason}); trying again")]
    public static partial void ChangeStreamBrokerFallbackFailed(ILogger logger, string resource, string @params, string reason);
}
