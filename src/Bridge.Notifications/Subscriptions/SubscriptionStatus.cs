using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Kernel;
using Bridge.Webhooks;

namespace Bridge.Subscriptions;

/// <summary>
/// How a subscription's deliveries went, as <c>GET /api/subscriptions/{id}</c> shows it (collection
/// <c>subscriptionStatus</c>, one document per subscription, written by whichever instance delivers).
/// </summary>
internal sealed record SubscriptionStatus(
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

    public JsonObject ToDocument() =>
        JsonSerializer.SerializeToNode(
            new SubscriptionStatusDocument(
                Id,
                Delivered,
                DeadLettered,
                Attempts,
                LastSuccessAt is { } success ? IsoTime.Format(success) : null,
                LastError,
                LastErrorAt is { } error ? IsoTime.Format(error) : null),
            SubscriptionsJsonContext.Default.SubscriptionStatusDocument)!.AsObject();

    /// <summary>The view inside a subscription's answer (no id: it is the subscription's).</summary>
    public JsonObject ToView()
    {
        var view = ToDocument();
        view.Remove("id");
        return view;
    }

    public static SubscriptionStatus FromDocument(string id, JsonObject? document)
    {
        if (document?.Deserialize(SubscriptionsJsonContext.Default.SubscriptionStatusDocument) is not { } stored)
        {
            return new SubscriptionStatus(id);
        }

        return new SubscriptionStatus(
            id,
            stored.Delivered ?? 0,
            stored.DeadLettered ?? 0,
            stored.Attempts ?? 0,
            IsoTime.TryParse(stored.LastSuccessAt, out var success) ? success : null,
            stored.LastError,
            IsoTime.TryParse(stored.LastErrorAt, out var error) ? error : null);
    }
}
