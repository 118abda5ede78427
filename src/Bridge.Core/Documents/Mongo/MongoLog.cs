namespace Bridge.Documents.Mongo;

/// <summary>Log messages of the MongoDB store (EventIds 6000-6199).</summary>
internal static partial class MongoLog
{
    [LoggerMessage(EventId = 6000, EventName = "MongoStoreCreated", Level = LogLevel.Information,
        Message = "MongoDB document store on database {Database} at {Address} (MongoDB.Driver; operation timeout {Timeout})")]
    public static partial void StoreCreated(ILogger logger, string database, string address, TimeSpan timeout);

    [LoggerMessage(EventId = 6001, EventName = "MongoUnreachable", Level = LogLevel.Warning,
        Message = "MongoDB at {Address} is unreachable: {Reason}")]
    public static partial void Unreachable(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 6002, EventName = "MongoReachable", Level = LogLevel.Information,
        Message = "MongoDB at {Address} answers")]
    public static partial void Reachable(ILogger logger, string address);

    [LoggerMessage(EventId = 6003, EventName = "MongoCircuitOpened", Level = LogLevel.Warning,
        Message = "MongoDB circuit opened for {BreakDuration}: store operations fail at once with store_unavailable")]
    public static partial void CircuitOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(EventId = 6004, EventName = "MongoCircuitClosed", Level = LogLevel.Information,
        Message = "MongoDB circuit closed: store operations go through again")]
    public static partial void CircuitClosed(ILogger logger);

    [LoggerMessage(EventId = 6005, EventName = "MongoSeeded", Level = LogLevel.Information,
        Message = "Seeded {Count} sample documents into empty collection {Collection}")]
    public static partial void Seeded(ILogger logger, string collection, int count);

    [LoggerMessage(EventId = 6006, EventName = "MongoSeedFailed", Level = LogLevel.Warning,
        Message = "Seeding the sample collections failed; it is tried again at the next successful ping")]
    public static partial void SeedFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6010, EventName = "MongoChangeStreamsUnsupported", Level = LogLevel.Warning,
        Message = "MongoDB at {Address} cannot serve change streams ({Reason}; a standalone server answers code 40573, change streams need a replica set or a sharded cluster): resources configured with Changes = ChangeStream watch the broker instead, and Both only the broker")]
    public static partial void ChangeStreamsUnsupported(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 6011, EventName = "MongoChangeStreamOpened", Level = LogLevel.Debug,
        Message = "Change stream opened on collection {Collection}")]
    public static partial void ChangeStreamOpened(ILogger logger, string collection);

    [LoggerMessage(EventId = 6012, EventName = "MongoChangeStreamClosed", Level = LogLevel.Debug,
        Message = "Change stream on collection {Collection} closed: nobody watches it any more")]
    public static partial void ChangeStreamClosed(ILogger logger, string collection);

    [LoggerMessage(EventId = 6013, EventName = "MongoChangeStreamInterrupted", Level = LogLevel.Warning,
        Message = "Change stream on collection {Collection} interrupted ({Reason}); reopening it from its last resume token")]
    public static partial void ChangeStreamInterrupted(ILogger logger, string collection, string reason);

    [LoggerMessage(EventId = 6014, EventName = "MongoChangeStreamResumed", Level = LogLevel.Information,
        Message = "Change stream on collection {Collection} resumed from its last resume token")]
    public static partial void ChangeStreamResumed(ILogger logger, string collection);

    [LoggerMessage(EventId = 6015, EventName = "MongoChangeStreamHistoryLost", Level = LogLevel.Warning,
        Message = "Change stream on collection {Collection} cannot resume (code {Code}: {Reason}); a fresh stream starts now and snapshot watchers get a new list, changes in between may be missed")]
    public static partial void ChangeStreamHistoryLost(ILogger logger, string collection, int code, string reason);

    [LoggerMessage(EventId = 6016, EventName = "MongoChangeHandlerFailed", Level = LogLevel.Error,
        Message = "A watcher of collection {Collection} failed on a change; the others still get it")]
    public static partial void ChangeHandlerFailed(ILogger logger, string collection, Exception exception);

    [LoggerMessage(EventId = 6017, EventName = "MongoChangeStreamStopSlow", Level = LogLevel.Warning,
        Message = "Change stream on collection {Collection} did not stop in time; its cursor is closed anyway")]
    public static partial void ChangeStreamStopSlow(ILogger logger, string collection);
}
