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
}
