using System.Text.Json.Nodes;

namespace Bridge.Subscriptions;

/// <summary>
/// A webhook subscription as collection <c>subscriptions</c> stores it, field for field (times as the history's
/// ISO text, <c>rate</c> as an ISO-8601 duration). Every field is optional here: what a stored document lacks is
/// judged when it is turned back into a <see cref="Webhooks.WebhookSubscription"/>.
/// </summary>
internal sealed record SubscriptionDocument(
    string? Id,
    string? Owner,
    string? Type,
    JsonObject? Topic,
    string? SendTo,
    string? Secret,
    string? Rate,
    string? StartAt,
    string? EndAt,
    string? CreatedAt,
    bool? Disabled,
    string? DisabledReason,
    string? PreviousSecret,
    string? PreviousSecretUntil);
