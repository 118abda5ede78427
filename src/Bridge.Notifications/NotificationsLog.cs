namespace Bridge.Notifications;

internal static partial class NotificationsLog
{
    [LoggerMessage(EventId = 9000, EventName = "NotificationInvalid", Level = LogLevel.Warning,
        Message = "A message on {Exchange} with key {RoutingKey} is not a valid webhook_tx notification and was not {Action}: {Reason}")]
    public static partial void Invalid(ILogger logger, string exchange, string routingKey, string action, string reason);

    [LoggerMessage(EventId = 9001, EventName = "NotificationBroadcast", Level = LogLevel.Debug,
        Message = "Transaction {TransactionId} ({Status}) pushed to {Connections} connections")]
    public static partial void Broadcast(ILogger logger, string transactionId, string status, int connections);

    [LoggerMessage(EventId = 9003, EventName = "NotificationPushStarted", Level = LogLevel.Information,
        Message = "Pushing webhook_tx messages from {Exchange} to the '{Channel}' channel (binding: {Binding}; the broker binds it when it can)")]
    public static partial void PushStarted(ILogger logger, string exchange, string channel, string binding);

    [LoggerMessage(EventId = 9004, EventName = "NotificationStored", Level = LogLevel.Debug,
        Message = "Transaction {TransactionId} ({Status}) stored in the history at {StoredAt}")]
    public static partial void Stored(ILogger logger, string transactionId, string status, string storedAt);

    [LoggerMessage(EventId = 9005, EventName = "NotificationStoreFailed", Level = LogLevel.Error,
        Message = "Storing a notification of transaction {TransactionId} failed; the message is dead-lettered")]
    public static partial void StoreFailed(ILogger logger, string transactionId, Exception exception);

    [LoggerMessage(EventId = 9006, EventName = "NotificationIndexesFailed", Level = LogLevel.Warning,
        Message = "Declaring the history's indexes failed (retried at the next message): {Reason}")]
    public static partial void IndexesFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 9007, EventName = "NotificationHistoryStarted", Level = LogLevel.Information,
        Message = "Storing webhook_tx messages from {Exchange} through the shared queue {Queue}, kept for {Retention}")]
    public static partial void HistoryStarted(ILogger logger, string exchange, string queue, TimeSpan retention);

    [LoggerMessage(EventId = 9008, EventName = "NotificationHistoryUnavailable", Level = LogLevel.Error,
        Message = "The broker offers no shared queues: notifications are not stored ({Reason})")]
    public static partial void HistoryUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 9009, EventName = "NotificationPushUnavailable", Level = LogLevel.Error,
        Message = "The broker offers no subscriptions: notifications are not pushed ({Reason})")]
    public static partial void PushUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 9010, EventName = "NotificationRedeliveryAlreadyStored", Level = LogLevel.Information,
        Message = "Notification {TransactionId} came again (delivery {DeliveryId}, redelivered after a lost acknowledgement) and is stored already: kept once")]
    public static partial void RedeliveryAlreadyStored(ILogger logger, string? transactionId, string deliveryId);
}
