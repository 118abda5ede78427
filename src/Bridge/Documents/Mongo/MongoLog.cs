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
}
