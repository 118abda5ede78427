namespace Bridge.Subscriptions;

internal static partial class SubscriptionsLog
{
    [LoggerMessage(EventId = 9100, EventName = "SubscriptionCreated", Level = LogLevel.Information,
        Message = "{Owner} subscribed {SubscriptionId} ({Type}) to {Exchange}/{BindingKey}, delivered to {SendTo}")]
    public static partial void Created(ILogger logger, string owner, string subscriptionId, string type, string exchange, string bindingKey, Uri sendTo);

    [LoggerMessage(EventId = 9101, EventName = "SubscriptionDeleted", Level = LogLevel.Information,
        Message = "{Owner} deleted subscription {SubscriptionId}")]
    public static partial void Deleted(ILogger logger, string owner, string subscriptionId);

    [LoggerMessage(EventId = 9103, EventName = "SubscriptionDeliveryGivenUp", Level = LogLevel.Warning,
        Message = "Subscription {SubscriptionId}: webhook {WebhookId} given up and dead-lettered ({Consecutive} in a row, {GivenUp} in all): {Reason}")]
    public static partial void DeliveryGivenUp(ILogger logger, string subscriptionId, string webhookId, int consecutive, long givenUp, string reason);

    [LoggerMessage(EventId = 9104, EventName = "SubscriptionDisabled", Level = LogLevel.Warning,
        Message = "Subscription {SubscriptionId} disabled: {Reason}")]
    public static partial void Disabled(ILogger logger, string subscriptionId, string reason);

    [LoggerMessage(EventId = 9105, EventName = "SubscriptionsRefreshFailed", Level = LogLevel.Warning,
        Message = "Reading the subscriptions failed (kept the previous set): {Reason}")]
    public static partial void RefreshFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 9106, EventName = "SubscriptionUnusable", Level = LogLevel.Warning,
        Message = "Stored subscription {SubscriptionId} is not usable and is skipped: {Reason}")]
    public static partial void Unusable(ILogger logger, string subscriptionId, string reason);

    [LoggerMessage(EventId = 9107, EventName = "SubscriptionActivityStarted", Level = LogLevel.Information,
        Message = "Consuming durable queue {Queue} of subscription {SubscriptionId} on {Exchange}/{BindingKey}")]
    public static partial void ActivityStarted(ILogger logger, string queue, string subscriptionId, string exchange, string bindingKey);

    [LoggerMessage(EventId = 9108, EventName = "SubscriptionDisableFailed", Level = LogLevel.Error,
        Message = "Disabling subscription {SubscriptionId} failed")]
    public static partial void DisableFailed(ILogger logger, string subscriptionId, Exception exception);

    [LoggerMessage(EventId = 9109, EventName = "SubscriptionEventNotJson", Level = LogLevel.Debug,
        Message = "A message on {Exchange}/{RoutingKey} is not JSON; it is delivered to raw subscriptions as a string")]
    public static partial void EventNotJson(ILogger logger, string exchange, string routingKey);

    [LoggerMessage(EventId = 9110, EventName = "SubscriptionExpired", Level = LogLevel.Information,
        Message = "Subscription {SubscriptionId} of {Owner} removed: {Reason}")]
    public static partial void Expired(ILogger logger, string subscriptionId, string owner, string reason);

    [LoggerMessage(EventId = 9111, EventName = "SubscriptionStatusNotSaved", Level = LogLevel.Warning,
        Message = "Subscription {SubscriptionId}: its delivery status could not be saved: {Reason}")]
    public static partial void StatusNotSaved(ILogger logger, string subscriptionId, string reason);

    [LoggerMessage(EventId = 9112, EventName = "SubscriptionSecretRotated", Level = LogLevel.Information,
        Message = "{Owner} rotated the secret of subscription {SubscriptionId}; the previous one also signs until {Until}")]
    public static partial void SecretRotated(ILogger logger, string owner, string subscriptionId, DateTimeOffset until);

    [LoggerMessage(EventId = 9113, EventName = "SubscriptionPinged", Level = LogLevel.Information,
        Message = "{Owner} pinged subscription {SubscriptionId}: {Outcome}")]
    public static partial void Pinged(ILogger logger, string owner, string subscriptionId, string outcome);

    [LoggerMessage(EventId = 9114, EventName = "SubscriptionTargetRefused", Level = LogLevel.Warning,
        Message = "{Owner} tried to subscribe to {SendTo}, refused: {Reason}")]
    public static partial void TargetRefused(ILogger logger, string owner, string sendTo, string reason);
}
