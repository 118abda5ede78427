namespace Bridge.Broker;

/// <summary>What <see cref="RabbitMqBroker.SubscribeAsync"/> returns: disposing it removes the subscription (and its binding when it was the last).</summary>
internal sealed class RabbitMqSubscriptionHandle(RabbitMqTopology topology, SubscriptionIndex.Subscription subscription) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => topology.RemoveAsync(subscription);
}
