namespace Bridge.Client;

internal static partial class ClientLog
{
    [LoggerMessage(EventId = 7000, EventName = "ChannelConnected", Level = LogLevel.Information,
        Message = "Channel client connected to {Uri}: session {SessionId}, {Watches} watches restored (reconnect: {IsReconnect})")]
    public static partial void ChannelConnected(ILogger logger, Uri uri, Guid sessionId, int watches, bool isReconnect);

    [LoggerMessage(EventId = 7001, EventName = "ChannelDisconnected", Level = LogLevel.Warning,
        Message = "Channel client lost its connection to {Uri}; reconnecting: {WillReconnect}")]
    public static partial void ChannelDisconnected(ILogger logger, Uri uri, bool willReconnect, Exception? exception);

    [LoggerMessage(EventId = 7002, EventName = "ChannelReconnectFailed", Level = LogLevel.Debug,
        Message = "Reconnection attempt {Attempt} to {Uri} failed; next in {Delay}")]
    public static partial void ReconnectFailed(ILogger logger, int attempt, Uri uri, TimeSpan delay, Exception? exception);

    [LoggerMessage(EventId = 7003, EventName = "ChannelUnparseableMessage", Level = LogLevel.Warning,
        Message = "Channel client ignored a message it could not parse")]
    public static partial void UnparseableMessage(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7004, EventName = "ChannelEventHandlerFailed", Level = LogLevel.Error,
        Message = "A handler of the channel client's {Event} event threw")]
    public static partial void EventHandlerFailed(ILogger logger, string @event, Exception exception);

    [LoggerMessage(EventId = 7005, EventName = "ChannelWatchOverflow", Level = LogLevel.Warning,
        Message = "A watch on {Resource} is read too slowly: its oldest buffered event was dropped")]
    public static partial void WatchOverflow(ILogger logger, string resource);

    [LoggerMessage(EventId = 7010, EventName = "LedgerConnected", Level = LogLevel.Information,
        Message = "Ledger client connected to {Uri}")]
    public static partial void LedgerConnected(ILogger logger, Uri uri);

    [LoggerMessage(EventId = 7011, EventName = "LedgerDisconnected", Level = LogLevel.Warning,
        Message = "Ledger client lost its connection to {Uri}; reconnecting: {WillReconnect}")]
    public static partial void LedgerDisconnected(ILogger logger, Uri uri, bool willReconnect, Exception? exception);

    [LoggerMessage(EventId = 7012, EventName = "LedgerUnexpectedMessage", Level = LogLevel.Warning,
        Message = "Ledger client ignored a message: {Reason}")]
    public static partial void LedgerUnexpectedMessage(ILogger logger, string reason);

    [LoggerMessage(EventId = 7013, EventName = "LedgerReconnected", Level = LogLevel.Information,
        Message = "Ledger client reconnected to {Uri}: {Subscriptions} subscription calls restored")]
    public static partial void LedgerReconnected(ILogger logger, Uri uri, int subscriptions);

    [LoggerMessage(EventId = 7014, EventName = "LedgerReconnectFailed", Level = LogLevel.Debug,
        Message = "Ledger reconnection attempt {Attempt} to {Uri} failed; next in {Delay}")]
    public static partial void LedgerReconnectFailed(ILogger logger, int attempt, Uri uri, TimeSpan delay, Exception? exception);

    [LoggerMessage(EventId = 7015, EventName = "LedgerReconnectAbandoned", Level = LogLevel.Error,
        Message = "Ledger client stopped reconnecting to {Uri}")]
    public static partial void LedgerReconnectAbandoned(ILogger logger, Uri uri, Exception exception);

    [LoggerMessage(EventId = 7016, EventName = "LedgerResubscribeRefused", Level = LogLevel.Warning,
        Message = "The ledger refused the re-sent {Method} after a reconnection")]
    public static partial void LedgerResubscribeRefused(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 7017, EventName = "ChannelWatchRecovered", Level = LogLevel.Information,
        Message = "Watch of {Resource} resumed after a reconnection: recovered {Recovered}, {Missed} missed events replayed")]
    public static partial void WatchRecovered(ILogger logger, string resource, bool recovered, long missed);

    [LoggerMessage(EventId = 7018, EventName = "ChannelWatchRecoveryUnsupported", Level = LogLevel.Warning,
        Message = "The bridge cannot recover the watch of {Resource} ({Reason}); watching it without recovery: events published while disconnected will be missed")]
    public static partial void WatchRecoveryUnsupported(ILogger logger, string resource, string reason);

    [LoggerMessage(EventId = 7019, EventName = "ChannelWatchResendFailed", Level = LogLevel.Warning,
        Message = "Could not send the watch of {Resource} again without recovery; it is sent at the next reconnection")]
    public static partial void WatchResendFailed(ILogger logger, string resource, Exception exception);
}
