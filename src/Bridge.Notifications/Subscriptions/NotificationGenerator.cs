using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Channels;
using Bridge.Kernel;
using Bridge.Notifications;
using Bridge.Webhooks;

namespace Bridge.Subscriptions;

/// <summary>
/// The generator and serializer of the pipeline: a broker event becomes
/// <c>{"id","type","published","topic":{"exchange","routingKey"},"data"}</c> once, serialized once.
/// </summary>
internal static class NotificationGenerator
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

        var id = NotificationIds.Of(delivery);
        var notification = new JsonObject
        {
            ["id"] = id,
            ["type"] = type,
            ["published"] = IsoTime.Format(published),
            ["topic"] = new JsonObject { ["exchange"] = delivery.Exchange, ["routingKey"] = delivery.RoutingKey },
            ["data"] = data?.DeepClone(),
        };
        return new OutgoingNotification(id, JsonSerializer.SerializeToUtf8Bytes(notification), delivery.TraceContext);
    }
}
