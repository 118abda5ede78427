using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;

namespace Bridge.UnitTests.Demo;

/// <summary>An IBroker that records what is published, and can refuse the first publishes as an unavailable broker does.</summary>
internal sealed class RecordingBroker : IBroker
{
    private int _failuresLeft;

    public ConcurrentQueue<(string Exchange, string RoutingKey, string Body)> Published { get; } = new();

    public DependencyStatus Status => new(true, "recording");

    public void FailNext(int publishes) => _failuresLeft = publishes;

    public IReadOnlyList<(string RoutingKey, JsonObject Body)> On(string exchange) =>
        [.. Published.Where(p => p.Exchange == exchange).Select(p => (p.RoutingKey, JsonNode.Parse(p.Body)!.AsObject()))];

    public ValueTask<IBrokerSubscription> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the demo producer only publishes");

    public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new BrokerUnavailableException("broker is down (test)");
        }

        Published.Enqueue((exchange, routingKey, Encoding.UTF8.GetString(body.Span)));
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishToExistingAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the demo producer publishes to its own exchanges, declaring them");

    public ValueTask<IQueueConsumer> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this fake broker has no durable queues");

    public ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this fake broker has no durable queues");
}
