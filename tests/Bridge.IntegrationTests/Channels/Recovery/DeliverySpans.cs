using System.Collections.Concurrent;
using System.Diagnostics;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Channels.Recovery;

/// <summary>
/// Counts the messages of one exchange that AMQP consumers in this process received, by routing key, from
/// RabbitMQ.Client's own deliver spans (recorded when a host traces them: <c>Bridge:Tracing:Enabled</c>).
/// </summary>
public sealed class DeliverySpans : IDisposable
{
    private readonly ConcurrentDictionary<string, int> _byRoutingKey = new(StringComparer.Ordinal);
    private readonly ActivityListener _listener;

    public DeliverySpans(string exchange)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == RabbitMQActivitySource.SubscriberSourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("messaging.destination.name") as string == exchange
                    && activity.GetTagItem("messaging.rabbitmq.destination.routing_key") is string key)
                {
                    _byRoutingKey.AddOrUpdate(key, 1, static (_, n) => n + 1);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>How many times a message with <paramref name="routingKey"/> was delivered to a consumer here.</summary>
    public int Of(string routingKey) => _byRoutingKey.GetValueOrDefault(routingKey);

    public void Dispose() => _listener.Dispose();
}
