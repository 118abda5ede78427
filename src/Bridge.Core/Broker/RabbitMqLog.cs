namespace Bridge.Broker;

/// <summary>
/// The log events of the RabbitMQ broker and its parts, in one place so that their ids stay together (operators
/// filter on them, docs/operations.md). Every part logs through the broker's own logger category.
/// </summary>
internal static partial class RabbitMqLog
{
    [LoggerMessage(EventId = 1020, EventName = "RabbitMqConnecting", Level = LogLevel.Information,
        Message = "Connecting to RabbitMQ at {Address}")]
    public static partial void Connecting(ILogger logger, string address);

    [LoggerMessage(EventId = 1021, EventName = "RabbitMqConnected", Level = LogLevel.Information,
        Message = "Connected to RabbitMQ at {Address}; consuming queue {Queue}")]
    public static partial void Connected(ILogger logger, string address, string queue);

    [LoggerMessage(EventId = 1022, EventName = "RabbitMqAttemptFailed", Level = LogLevel.Warning,
        Message = "Waiting for RabbitMQ at {Address}: attempt {Attempt} failed: {Reason}; next attempt in {Delay}")]
    public static partial void AttemptFailed(ILogger logger, string address, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 1023, EventName = "RabbitMqConnectionLost", Level = LogLevel.Warning,
        Message = "Lost the connection to RabbitMQ at {Address} ({ReplyCode} {Reason}); recovering automatically")]
    public static partial void ConnectionLost(ILogger logger, string address, ushort replyCode, string reason);

    [LoggerMessage(EventId = 1024, EventName = "RabbitMqRecoveryAttemptFailed", Level = LogLevel.Warning,
        Message = "Waiting for RabbitMQ at {Address} to come back: {Reason}")]
    public static partial void RecoveryAttemptFailed(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 1025, EventName = "RabbitMqRecovered", Level = LogLevel.Information,
        Message = "Reconnected to RabbitMQ at {Address}; {BindingCount} bindings active on queue {Queue}")]
    public static partial void Recovered(ILogger logger, string address, int bindingCount, string queue);

    [LoggerMessage(EventId = 1026, EventName = "RabbitMqExchangeExistsDifferently", Level = LogLevel.Warning,
        Message = "Exchange {Exchange} already exists with another type or other arguments ({Reason}); using it as it is")]
    public static partial void ExchangeExistsDifferently(ILogger logger, string exchange, string reason);

    [LoggerMessage(EventId = 1027, EventName = "RabbitMqUnbindFailed", Level = LogLevel.Warning,
        Message = "Could not remove the binding {Exchange}/{BindingKey} ({Reason}); it will be removed after the next reconnection")]
    public static partial void UnbindFailed(ILogger logger, string exchange, string bindingKey, string reason);

    [LoggerMessage(EventId = 1028, EventName = "RabbitMqAckFailed", Level = LogLevel.Debug,
        Message = "Could not acknowledge deliveries up to {DeliveryTag} ({Reason}); the exclusive queue drops them with the connection")]
    public static partial void AckFailed(ILogger logger, ulong deliveryTag, string reason);

    [LoggerMessage(EventId = 1029, EventName = "RabbitMqStopFailed", Level = LogLevel.Warning,
        Message = "Closing the connection to RabbitMQ at {Address} did not finish cleanly")]
    public static partial void StopFailed(ILogger logger, string address, Exception exception);

    [LoggerMessage(EventId = 1030, EventName = "RabbitMqQueueRenamed", Level = LogLevel.Information,
        Message = "The bridge's queue was re-created after recovery: {Before} is now {After}")]
    public static partial void QueueRenamed(ILogger logger, string before, string after);

    [LoggerMessage(EventId = 1031, EventName = "RabbitMqBindingAdded", Level = LogLevel.Debug,
        Message = "Bound {Exchange}/{BindingKey} to queue {Queue}")]
    public static partial void BindingAdded(ILogger logger, string exchange, string bindingKey, string queue);

    [LoggerMessage(EventId = 1033, EventName = "RabbitMqPublishRetried", Level = LogLevel.Information,
        Message = "A publish to {Exchange} was lost with its channel ({Reason}); publishing it again on a new channel")]
    public static partial void PublishRetried(ILogger logger, string exchange, string reason);

    [LoggerMessage(EventId = 1032, EventName = "RabbitMqBindingRemoved", Level = LogLevel.Debug,
        Message = "Unbound {Exchange}/{BindingKey} from queue {Queue}")]
    public static partial void BindingRemoved(ILogger logger, string exchange, string bindingKey, string queue);

    [LoggerMessage(EventId = 1050, EventName = "DurableConsumerStarted", Level = LogLevel.Information,
        Message = "Consuming durable queue {Queue} bound to {Exchange}/{BindingKey}")]
    public static partial void DurableConsumerStarted(ILogger logger, string queue, string exchange, string bindingKey);

    [LoggerMessage(EventId = 1051, EventName = "DurableConsumerFailed", Level = LogLevel.Warning,
        Message = "Durable queue {Queue}: {Reason}")]
    public static partial void DurableConsumerFailed(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 1052, EventName = "DurableQueueDeleted", Level = LogLevel.Information,
        Message = "Deleted durable queue {Queue}, which nothing uses any more ({Dropped} messages dropped with it)")]
    public static partial void DurableQueueDeleted(ILogger logger, string queue, uint dropped);

    [LoggerMessage(EventId = 1053, EventName = "DurableQueueInUse", Level = LogLevel.Debug,
        Message = "Durable queue {Queue} is still consumed by another instance; that instance deletes it when it lets go")]
    public static partial void DurableQueueInUse(ILogger logger, string queue);

    [LoggerMessage(EventId = 1054, EventName = "DurableQueueUnusable", Level = LogLevel.Error,
        Message = "Not consuming durable queue {Queue}: {Problem}. The bridge reports not ready and tries again after each reconnection and every retry delay")]
    public static partial void DurableQueueUnusable(ILogger logger, string queue, string problem);

    [LoggerMessage(EventId = 1055, EventName = "DurableMessageUnsettled", Level = LogLevel.Warning,
        Message = "Durable queue {Queue}: could not record the verdict on delivery {DeliveryTag} ({Reason}); the message stays on the queue and is delivered again")]
    public static partial void DurableMessageUnsettled(ILogger logger, string queue, ulong deliveryTag, string reason);

    [LoggerMessage(EventId = 1034, EventName = "RabbitMqBindPending", Level = LogLevel.Warning,
        Message = "Could not bind {Exchange}/{BindingKey} to queue {Queue} now ({Reason}); the subscription stays registered and the bind is retried after each reconnection and every retry delay")]
    public static partial void BindPending(ILogger logger, string exchange, string bindingKey, string queue, string reason);

    [LoggerMessage(EventId = 1035, EventName = "RabbitMqPublishConfirmTimedOut", Level = LogLevel.Warning,
        Message = "RabbitMQ at {Node} did not confirm a publish to {Exchange} within {Timeout} (Bridge:RabbitMq:PublishConfirmTimeout); the publish failed, the publish channel stays in use")]
    public static partial void PublishConfirmTimedOut(ILogger logger, string exchange, TimeSpan timeout, string node);
}
