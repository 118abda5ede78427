namespace Bridge.Broker;

/// <summary>How a durable queue is consumed.</summary>
/// <param name="Prefetch">Messages in hand at once (unacknowledged); each one counts against the broker's consumer timeout.</param>
/// <param name="SingleActiveConsumer">
/// Only one instance's consumer receives at a time (the others wait as standbys and take over when it goes):
/// the queue's messages are handled one after another, in order, whatever the number of instances.
/// </param>
public sealed record QueueConsumerOptions(ushort Prefetch = 32, bool SingleActiveConsumer = false)
{
    public static QueueConsumerOptions Default { get; } = new();
}
