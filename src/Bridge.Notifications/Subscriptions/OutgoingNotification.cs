using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Channels;
using Bridge.Notifications;

namespace Bridge.Subscriptions;

/// <summary>A notification serialized once, shared by every subscription it goes to.</summary>
/// <param name="Id">The notification's id: the same for every subscription and every retry (receivers dedupe on it).</param>
/// <param name="Body">The JSON bytes every emitter sends as they are.</param>
/// <param name="TraceContext">The producer's trace context, so that the delivery (a webhook POST's <c>traceparent</c>) joins its trace.</param>
public sealed record OutgoingNotification(string Id, ReadOnlyMemory<byte> Body, System.Diagnostics.ActivityContext TraceContext = default);

/// <summary>Sends notifications over one channel type (seed 002 "NotificationEmitter"); adding a type adds one.</summary>
public interface INotificationEmitter
{
    /// <summary>The subscription <c>type</c> this emitter serves, e.g. <c>webhook</c>.</summary>
    string ChannelType { get; }

    /// <summary>Delivers, retrying as the channel type does; says whether it was delivered or given up, and why.</summary>
    Task<DeliveryResult> EmitAsync(Subscription subscription, OutgoingNotification notification, CancellationToken cancellationToken);
}

/// <summary>
/// The generator and serializer of the pipeline: a broker event becomes
/// <c>{"id","type","published","topic":{"exchange","routingKey"},"data"}</c> once, serialized once.
/// </summary>
public static class NotificationGenerator
{
    public static OutgoingNotification Generate(BrokerDelivery delivery, JsonNode? data, WatchFormat format, DateTimeOffset published)
    {
        var type = "Update";
        if (format == WatchFormat.Waterline && data?["event"] is JsonValue e && e.TryGetValue<string>(out var waterlineEvent))
        {
            type = waterlineEvent switch
            {
                "created" => "Create",
                "destroyed" => "Delete",
                _ => "Update",
            };
        }

        var id = IdOf(delivery);
        var notification = new JsonObject
        {
            ["id"] = id,
            ["type"] = type,
            ["published"] = NotificationTime.Format(published),
            ["topic"] = new JsonObject { ["exchange"] = delivery.Exchange, ["routingKey"] = delivery.RoutingKey },
            ["data"] = data?.DeepClone(),
        };
        return new OutgoingNotification(id, JsonSerializer.SerializeToUtf8Bytes(notification), delivery.TraceContext);
    }

    /// <summary>
    /// The notification id of a broker message, the same on every redelivery and every instance: a UUID derived
    /// from the message's <c>message-id</c> (every publish of the bridge has one), or, for a message published
    /// without one, from its exchange, routing key and body (two identical such messages then share an id).
    /// </summary>
    public static string IdOf(BrokerDelivery delivery)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (delivery.MessageId is { Length: > 0 } messageId)
        {
            hash.AppendData(Encoding.UTF8.GetBytes("message-id\n" + messageId));
        }
        else
        {
            hash.AppendData(Encoding.UTF8.GetBytes("content\n" + delivery.Exchange + "\n" + delivery.RoutingKey + "\n"));
            hash.AppendData(delivery.Body.Span);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return "urn:uuid:" + new Guid(digest[..16]).ToString("D");
    }
}
