namespace Bridge.Broker;

/// <summary>
/// What <see cref="RabbitMqBroker.SubscribeAsync"/> returns: the binding's live state as the topology knows it;
/// disposing it removes the subscriber (and its binding when it was the last).
/// </summary>
internal sealed class RabbitMqSubscriptionHandle(RabbitMqTopology topology, SubscriptionIndex.Subscriber subscriber) : IBrokerSubscription
{
    public bool IsBound => !subscriber.IsRemoved && topology.IsBound(subscriber.Binding);

    public string? Problem => subscriber.IsRemoved ? "unsubscribed" : topology.ProblemOf(subscriber.Binding);

    public ValueTask DisposeAsync() => topology.RemoveAsync(subscriber);
}
