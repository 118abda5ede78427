namespace Bridge.Documents;

/// <summary>Log messages of the documents area (EventIds 2000-2049).</summary>
internal static partial class DocumentsLog
{
    [LoggerMessage(EventId = 2000, EventName = "EmbeddedStoreOpened", Level = LogLevel.Information,
        Message = "Embedded document store opened: {SeededCount} seeded collections, {PersistedCount} persisted collections under {Directory}")]
    public static partial void EmbeddedStoreOpened(ILogger logger, int seededCount, int persistedCount, string directory);

    [LoggerMessage(EventId = 2001, EventName = "TornLastLineIgnored", Level = LogLevel.Warning,
        Message = "Ignored the incomplete last line {Line} of {Path}: the write it held did not finish (crash or power loss)")]
    public static partial void TornLastLineIgnored(ILogger logger, string path, int line);

    [LoggerMessage(EventId = 2002, EventName = "CollectionReplayed", Level = LogLevel.Debug,
        Message = "Replayed {RecordCount} records of collection {Collection} into {DocumentCount} documents")]
    public static partial void CollectionReplayed(ILogger logger, string collection, int recordCount, int documentCount);

    [LoggerMessage(EventId = 2003, EventName = "PersistedSeededCollectionIgnored", Level = LogLevel.Information,
        Message = "Collection {Collection} is seeded at every start: its persisted file {Path} is left as it is and not loaded")]
    public static partial void PersistedSeededCollectionIgnored(ILogger logger, string collection, string path);

    [LoggerMessage(EventId = 2004, EventName = "StoreInUse", Level = LogLevel.Information,
        Message = "Document store in use: {Store}")]
    public static partial void StoreInUse(ILogger logger, string store);

    [LoggerMessage(EventId = 2005, EventName = "PersistFailed", Level = LogLevel.Error,
        Message = "Could not persist a change to collection {Collection}; the change was not applied")]
    public static partial void PersistFailed(ILogger logger, string collection, Exception exception);
}
