using System.Text.Json.Nodes;

namespace Bridge.Webhooks;

/// <summary>
/// A webhook subscription: where its deliveries go, signed with which secret, at what pace and in which window.
/// Stored in collection <c>subscriptions</c> (<see cref="Subscriptions.SubscriptionDocuments"/> maps it).
/// </summary>
internal sealed record WebhookSubscription(
    string Id,
    string Owner,
    string Type,
    JsonObject Topic,
    Uri SendTo,
    string Secret,
    TimeSpan? Rate,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    DateTimeOffset CreatedAt,
    bool Disabled = false,
    string? DisabledReason = null,
    string? PreviousSecret = null,
    DateTimeOffset? PreviousSecretUntil = null)
{
    public const string WebhookType = "webhook";

    /// <summary>
    /// The largest <c>rate</c>: a delivery waiting for its turn is held unacknowledged on the broker, and the
    /// broker takes back what is held longer than its consumer timeout (see <c>Bridge:Webhooks:BrokerAckTimeout</c>).
    /// </summary>
    public static readonly TimeSpan MaxRate = TimeSpan.FromMinutes(10);

    /// <summary>The keys that sign at <paramref name="now"/>: the secret, and during a rotation's overlap the previous one too.</summary>
    public IReadOnlyList<byte[]> SigningKeys(DateTimeOffset now) =>
        PreviousSecret is { } previous && PreviousSecretUntil is { } until && now < until
            ? [WebhookSignature.KeyOf(Secret), WebhookSignature.KeyOf(previous)]
            : [WebhookSignature.KeyOf(Secret)];

    /// <summary>Whether an event at <paramref name="now"/> falls in the subscription's window.</summary>
    public bool IsOpenAt(DateTimeOffset now) => (StartAt is null || now >= StartAt) && (EndAt is null || now < EndAt);
}
