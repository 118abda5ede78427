namespace Bridge.Broker;

public static class BrokerExtensions
{
    /// <summary><see cref="IBroker.ConsumeQueueAsync"/> with the default prefetch and competing consumers.</summary>
    public static ValueTask<IQueueConsumer> ConsumeQueueAsync(this IBroker broker, string queue, string exchange, string bindingKey, QueueHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        return broker.ConsumeQueueAsync(queue, exchange, bindingKey, handler, QueueConsumerOptions.Default, cancellationToken);
    }
}
