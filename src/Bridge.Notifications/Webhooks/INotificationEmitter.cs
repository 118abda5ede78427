namespace Bridge.Webhooks;

/// <summary>Sends notifications over one channel type (seed 002 "NotificationEmitter"); adding a type adds one.</summary>
internal interface INotificationEmitter
{
    /// <summary>The subscription <c>type</c> this emitter serves, e.g. <c>webhook</c>.</summary>
    string ChannelType { get; }

    /// <summary>Delivers, retrying as the channel type does; says whether it was delivered or given up, and why.</summary>
    Task<DeliveryResult> EmitAsync(WebhookSubscription subscription, OutgoingNotification notification, CancellationToken cancellationToken);
}
