namespace Bridge.Subscriptions;

/// <summary>A subscription's delivery status as collection <c>subscriptionStatus</c> stores it (times as ISO text).</summary>
internal sealed record SubscriptionStatusDocument(
    string? Id,
    long? Delivered,
    long? DeadLettered,
    long? Attempts,
    string? LastSuccessAt,
    string? LastError,
    string? LastErrorAt);
