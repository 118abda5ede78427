namespace Bridge.Broker;

/// <summary>
/// The broker of the embedded mode (no <c>Bridge:RabbitMq:Uri</c>): publishing calls the matching
/// subscribers synchronously, in process, with RabbitMQ's topic semantics. Nothing leaves the process.
/// </summary>
public sealed class InProcessBroker(ILogger<InProcessBroker> logger) : IBroker
{
    private static readonly DependencyStatus Ready = new(true, "in-process broker");

    private readonly SubscriptionIndex _index = new(logger);

    public DependencyStatus Status => Ready;

    /// <summary>The live subscriptions, for diagnostics and tests.</summary>
    public SubscriptionIndex Index => _index;

    public ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var registration = _index.Add(exchange, bindingKey, handler);
        return ValueTask.FromResult<IAsyncDisposable>(new IndexSubscriptionHandle(_index, registration.Subscription));
    }

    public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(routingKey, nameof(routingKey));
        cancellationToken.ThrowIfCancellationRequested();
        _index.Dispatch(new BrokerDelivery(exchange, routingKey, body));
        return ValueTask.CompletedTask;
    }

    private sealed class IndexSubscriptionHandle(SubscriptionIndex index, SubscriptionIndex.Subscription subscription) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            index.Remove(subscription);
            return ValueTask.CompletedTask;
        }
    }
}
