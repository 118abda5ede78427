namespace Bridge.Ledger;

internal static partial class LedgerLog
{
    [LoggerMessage(EventId = 8000, EventName = "LedgerSubscribed", Level = LogLevel.Information,
        Message = "Ledger events: listening on exchange '{Exchange}' (routing keys transfer.create, transfer.update, message.send; binding: {Binding}; the broker binds it when it can)")]
    public static partial void Subscribed(ILogger logger, string exchange, string binding);

    [LoggerMessage(EventId = 8002, EventName = "LedgerEventMalformed", Level = LogLevel.Warning,
        Message = "Ledger event dead-lettered ({Count} so far): {Reason} (exchange '{Exchange}', routing key '{RoutingKey}')")]
    public static partial void Malformed(ILogger logger, long count, string reason, string exchange, string routingKey);

    [LoggerMessage(EventId = 8003, EventName = "LedgerEventSkipped", Level = LogLevel.Debug,
        Message = "Ledger event skipped: {Reason} (routing key '{RoutingKey}'); the validation queue dead-letters it")]
    public static partial void Skipped(ILogger logger, string reason, string routingKey);

    [LoggerMessage(EventId = 8004, EventName = "LedgerEventRouted", Level = LogLevel.Trace,
        Message = "Ledger event {Event} sent to {Connections} connection(s)")]
    public static partial void Routed(ILogger logger, string @event, int connections);

    [LoggerMessage(EventId = 8005, EventName = "LedgerConnectionRefused", Level = LogLevel.Information,
        Message = "Ledger WebSocket refused: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 8007, EventName = "LedgerValidationQueueUnavailable", Level = LogLevel.Error,
        Message = "Ledger events: the validation queue '{Queue}' could not be consumed; malformed events are skipped but not dead-lettered")]
    public static partial void ValidationQueueUnavailable(ILogger logger, string queue, Exception exception);
}
