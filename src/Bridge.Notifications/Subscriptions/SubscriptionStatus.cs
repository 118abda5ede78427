using System.Text.Json.Nodes;
using Bridge.Notifications;

namespace Bridge.Subscriptions;

/// <summary>
/// How a subscription's deliveries went, as <c>GET /api/subscriptions/{id}</c> shows it (collection
/// <c>subscriptionStatus</c>, one document per subscription, written by whichever instance delivers).
/// </summary>
public sealed record SubscriptionStatus(
    string Id,
    long Delivered = 0,
    long DeadLettered = 0,
    long Attempts = 0,
    DateTimeOffset? LastSuccessAt = null,
    string? LastError = null,
    DateTimeOffset? LastErrorAt = null)
{
    /// <summary>This status after one delivery's outcome.</summary>
    public SubscriptionStatus After(DeliveryResult result, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Delivered
            ? this with { Delivered = Delivered + 1, Attempts = Attempts + result.Attempts, LastSuccessAt = now }
            : this with { DeadLettered = DeadLettered + 1, Attempts = Attempts + result.Attempts, LastError = result.Error, LastErrorAt = now };
    }

    public JsonObject ToDocument() => new()
    {
        ["id"] = Id,
        ["delivered"] = Delivered,
        ["deadLettered"] = DeadLettered,
        ["attempts"] = Attempts,
        ["lastSuccessAt"] = LastSuccessAt is { } success ? NotificationTime.Format(success) : null,
        ["lastError"] = LastError,
        ["lastErrorAt"] = LastErrorAt is { } error ? NotificationTime.Format(error) : null,
    };

    /// <summary>The view inside a subscription's answer (no id: it is the subscription's).</summary>
    public JsonObject ToView()
    {
        var view = ToDocument();
        view.Remove("id");
        return view;
    }

    public static SubscriptionStatus FromDocument(string id, JsonObject? document) => document is null
        ? new SubscriptionStatus(id)
        : new SubscriptionStatus(
            id,
            (long?)document["delivered"] ?? 0,
            (long?)document["deadLettered"] ?? 0,
            (long?)document["attempts"] ?? 0,
            NotificationTime.TryParse((string?)document["lastSuccessAt"], out var success) ? success : null,
            (string?)document["lastError"],
            NotificationTime.TryParse((string?)document["lastErrorAt"], out var error) ? error : null);
}
