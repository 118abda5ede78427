namespace Bridge.Broker.Recovery;

/// <summary>The recovery log's log lines (events 9400–9419).</summary>
internal static partial class RecoveryDiagnostics
{
    [LoggerMessage(EventId = 9400, EventName = "RecoveryRetaining", Level = LogLevel.Information,
        Message = "Recovery: retaining {Exchanges} for {MaxAge} / {MaxBytes} bytes each ({Store}, epoch {Epoch})")]
    public static partial void Retaining(ILogger logger, string exchanges, TimeSpan maxAge, long maxBytes, string store, string epoch);

    [LoggerMessage(EventId = 9401, EventName = "RecoveryStreamConnectFailed", Level = LogLevel.Warning,
        Message = "Recovery: could not reach RabbitMQ at {Address} for the streams ({Reason}); retrying in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, string address, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 9402, EventName = "RecoveryStreamArgumentsDiffer", Level = LogLevel.Warning,
        Message = "Recovery: stream {Stream} already exists with other arguments ({Reason}); using it as it is. Delete it or set a policy to change its retention")]
    public static partial void StreamArgumentsDiffer(ILogger logger, string stream, string reason);

    [LoggerMessage(EventId = 9403, EventName = "RecoveryStreamsReady", Level = LogLevel.Information,
        Message = "Recovery: streams {Streams} declared and followed at {Address}")]
    public static partial void StreamsReady(ILogger logger, string streams, string address);

    [LoggerMessage(EventId = 9404, EventName = "RecoveryReaderFailed", Level = LogLevel.Warning,
        Message = "Recovery: the reader of stream {Stream} failed ({Reason})")]
    public static partial void ReaderFailed(ILogger logger, string stream, string reason);

    [LoggerMessage(EventId = 9405, EventName = "RecoveryHandlerFailed", Level = LogLevel.Error,
        Message = "Recovery: a handler of {Exchange} threw at offset {Offset}; the other handlers still run")]
    public static partial void HandlerFailed(ILogger logger, string exchange, long offset, Exception exception);

    [LoggerMessage(EventId = 9406, EventName = "RecoveryReadersResumed", Level = LogLevel.Information,
        Message = "Recovery: connection recovered; {Count} stream readers resume after their last offset")]
    public static partial void ReadersResumed(ILogger logger, int count);

    [LoggerMessage(EventId = 9407, EventName = "RecoveryTailFollowed", Level = LogLevel.Debug,
        Message = "Recovery: this instance follows stream {Stream} from offset {Offset} (its start marker)")]
    public static partial void TailFollowed(ILogger logger, string stream, long offset);

    [LoggerMessage(EventId = 9408, EventName = "RecoveryReplayStarted", Level = LogLevel.Debug,
        Message = "Recovery: replay of stream {Stream} after offset {After} reads from offset {ReadFrom} (this instance's tail {Tail}) up to marker {Marker}")]
    public static partial void ReplayStarted(ILogger logger, string stream, long after, long readFrom, long tail, string marker);

    [LoggerMessage(EventId = 9409, EventName = "RecoveryReplayEnded", Level = LogLevel.Debug,
        Message = "Recovery: replay of stream {Stream} after offset {After} ended {Outcome} at offset {End} (first offset read {First})")]
    public static partial void ReplayEnded(ILogger logger, string stream, long after, ReplayOutcome outcome, long end, long first);

    [LoggerMessage(EventId = 9410, EventName = "RecoveryReaderConsuming", Level = LogLevel.Debug,
        Message = "Recovery: a reader of stream {Stream} consumes from {Start} as {ConsumerTag} on {Node}")]
    public static partial void ReaderConsuming(ILogger logger, string stream, string start, string consumerTag, string node);

    [LoggerMessage(EventId = 9411, EventName = "RecoveryEpochRead", Level = LogLevel.Information,
        Message = "Recovery: stream {Stream} is of epoch {Epoch} (proposed by this instance: {Proposed}; before: {Previous})")]
    public static partial void EpochRead(ILogger logger, string stream, string epoch, bool proposed, string previous);

    [LoggerMessage(EventId = 9412, EventName = "RecoveryReaderCancelled", Level = LogLevel.Warning,
        Message = "Recovery: RabbitMQ cancelled the reader of stream {Stream} after offset {Offset} (the stream deleted, or its replica gone); it resumes on its own, and /readyz names it meanwhile")]
    public static partial void ReaderCancelled(ILogger logger, string stream, long offset);

    [LoggerMessage(EventId = 9413, EventName = "RecoveryReaderResumed", Level = LogLevel.Information,
        Message = "Recovery: the cancelled reader of stream {Stream} reads again, after offset {Offset}")]
    public static partial void ReaderResumed(ILogger logger, string stream, long offset);
}
