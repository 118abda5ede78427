using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using Bridge.Kernel;
using Bridge.Webhooks;

namespace Bridge.Subscriptions;

/// <summary>How a <see cref="WebhookSubscription"/> is stored and shown (through <see cref="SubscriptionsJsonContext"/>).</summary>
internal static class SubscriptionDocuments
{
    /// <summary>The document as stored; the secret is in it because deliveries are signed with it.</summary>
    public static JsonObject ToDocument(this WebhookSubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var document = new SubscriptionDocument(
            subscription.Id,
            subscription.Owner,
            subscription.Type,
            subscription.Topic,
            subscription.SendTo.AbsoluteUri,
            subscription.Secret,
            subscription.Rate is { } rate ? XmlConvert.ToString(rate) : null,
            subscription.StartAt is { } start ? IsoTime.Format(start) : null,
            subscription.EndAt is { } end ? IsoTime.Format(end) : null,
            IsoTime.Format(subscription.CreatedAt),
            subscription.Disabled,
            subscription.DisabledReason,
            subscription.PreviousSecret,
            subscription.PreviousSecretUntil is { } until ? IsoTime.Format(until) : null);
        return JsonSerializer.SerializeToNode(document, SubscriptionsJsonContext.Default.SubscriptionDocument)!.AsObject();
    }

    /// <summary>What the API shows: the document without the secret (which only the creation response carries).</summary>
    public static JsonObject ToView(this WebhookSubscription subscription, bool withSecret = false)
    {
        var view = subscription.ToDocument();
        view.Remove("owner");
        view.Remove("previousSecret");
        if (!withSecret)
        {
            view.Remove("secret");
        }

        return view;
    }

    /// <summary>The subscription a stored document holds, or null when the document is not one (it is then skipped).</summary>
    public static WebhookSubscription? FromDocument(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        try
        {
            if (document.Deserialize(SubscriptionsJsonContext.Default.SubscriptionDocument) is not { Topic: { } topic } stored)
            {
                return null;
            }

            return new WebhookSubscription(
                stored.Id!,
                stored.Owner!,
                stored.Type!,
                topic,
                new Uri(stored.SendTo!, UriKind.Absolute),
                stored.Secret!,
                stored.Rate is { } rate ? XmlConvert.ToTimeSpan(rate) : null,
                IsoTime.TryParse(stored.StartAt, out var start) ? start : null,
                IsoTime.TryParse(stored.EndAt, out var end) ? end : null,
                IsoTime.TryParse(stored.CreatedAt, out var created) ? created : DateTimeOffset.UnixEpoch,
                stored.Disabled ?? false,
                stored.DisabledReason,
                stored.PreviousSecret,
                IsoTime.TryParse(stored.PreviousSecretUntil, out var until) ? until : null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or UriFormatException or OverflowException)
        {
            return null;
        }
    }
}
