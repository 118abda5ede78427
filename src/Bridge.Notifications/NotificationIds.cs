using System.Security.Cryptography;
using System.Text;
using Bridge.Broker;

namespace Bridge.Notifications;

/// <summary>
/// Ids of notifications, shared by the history (which keeps a redelivered message once by it) and the webhook
/// pipeline (whose receivers dedupe on it): here, below both, so that neither reaches into the other.
/// </summary>
internal static class NotificationIds
{
    /// <summary>
    /// The notification id of a broker message, the same on every redelivery and every instance: a UUID derived
    /// from the message's <c>message-id</c> (every publish of the bridge has one), or, for a message published
    /// without one, from its exchange, routing key and body (two identical such messages then share an id).
    /// </summary>
    public static string Of(BrokerDelivery delivery)
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
