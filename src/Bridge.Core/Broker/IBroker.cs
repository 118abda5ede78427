namespace Bridge.Broker;

/// <summary>
/// A message as it left the broker: the exchange it was published to, its routing key and its body.
/// The body is only valid for the duration of the handler call; a handler that keeps it must copy it.
/// </summary>
/// <param name="Exchange">The exchange it was published to.</param>
/// <param name="RoutingKey">Its routing key.</param>
/// <param name="Body">Its body, valid only during the handler call.</param>
/// <param name="TraceContext">The producer's trace context (W3C <c>traceparent</c> in the AMQP headers), or default.</param>
/// <param name="ReceivedTimestamp">When the bridge received it (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), for the delivery-latency metric; 0 when unknown.</param>
public readonly record struct BrokerDelivery(
    string Exchange,
    string RoutingKey,
    ReadOnlyMemory<byte> Body,
    System.Diagnostics.ActivityContext TraceContext = default,
    long ReceivedTimestamp = 0)
{
    /// <summary>
    /// The message's id (AMQP <c>message-id</c>) when the publisher gave one; the bridge's own publishes always
    /// do. It is the same on every redelivery, which is what makes a webhook's <c>webhook-id</c> stable.
    /// </summary>
    public string? MessageId { get; init; }

    /// <summary>
    /// True when the broker says it may have handed this message out before (AMQP <c>redelivered</c>): a consumer
    /// whose node died after it acted but before its acknowledgement arrived. A store that must keep each message
    /// once checks for it then.
    /// </summary>
    public bool Redelivered { get; init; }
}

/// <summary>Receives deliveries for one subscription. Called on the broker's dispatch thread: never block.</summary>
public delegate void DeliveryHandler(in BrokerDelivery delivery);

/// <summary>What <c>/readyz</c> reports for a dependency.</summary>
public readonly record struct DependencyStatus(bool IsReady, string Description);

/// <summary>
/// The message broker as the fronts see it: topic subscriptions fanned out in process, and publishing.
/// It knows nothing about WebSockets. Bindings are reference counted: many subscriptions with the same
/// exchange and binding key share one broker binding, which goes when its last subscription is disposed.
/// </summary>
public interface IBroker
{
    DependencyStatus Status { get; }

    /// <summary>
    /// Subscribes <paramref name="handler"/> to messages on <paramref name="exchange"/> whose routing key
    /// matches <paramref name="bindingKey"/> (RabbitMQ topic syntax). Completes once the binding is active,
    /// so that a message published after this returns is delivered. Throws
    /// <see cref="BrokerUnavailableException"/> when the broker cannot be reached right now.
    /// </summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken);

    /// <summary>Publishes a persistent message to a topic exchange (declared if missing).</summary>
    ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes a persistent message to an exchange that already exists, never creating one: throws
    /// <see cref="ExchangeNotFoundException"/> when it does not exist. For names that come from a client
    /// (<c>POST /api/publish</c>), so that a typo neither creates a durable exchange nor disturbs other publishers.
    /// </summary>
    ValueTask PublishToExistingAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// Consumes a durable queue shared by every bridge instance (competing consumers), for work that must
    /// happen once per message whatever the number of instances: storing a notification, a webhook delivery.
    /// The queue <paramref name="queue"/> is declared durable and bound to <paramref name="exchange"/> /
    /// <paramref name="bindingKey"/>. A message the handler refuses (returns false or throws) is dead-lettered
    /// to the durable queue <c>&lt;queue&gt;.dead-letter</c> (with the reason when the handler threw
    /// <see cref="DeadLetterException"/>); an accepted one is acknowledged, and only then: a message whose
    /// handler had not finished when the instance died or stopped goes back to the queue (at least once).
    /// Registration never waits for the broker: the consumer runs whenever the broker is connected and
    /// resumes after a reconnection. Disposing the result stops consuming at once (the queue stays);
    /// <see cref="IQueueConsumer.StopAsync"/> lets the messages in hand finish first.
    /// </summary>
    ValueTask<IQueueConsumer> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a durable queue of <see cref="ConsumeQueueAsync"/> that is no longer wanted, with whatever it
    /// still holds, but only when no consumer is on it: a queue another instance still consumes stays, and
    /// the last instance to let go of it deletes it. Its dead-letter queue goes too when it is empty (refused
    /// messages are kept for the operator). True when the queue is gone (or never existed); false when it is
    /// still in use or the broker cannot be reached now. Never throws for those.
    /// </summary>
    ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken);
}

/// <summary>
/// Handles one message of a durable queue; the delivery's body stays valid until the returned task completes.
/// Returns true to acknowledge, false to dead-letter (say why in the log).
/// </summary>
public delegate ValueTask<bool> QueueHandler(BrokerDelivery delivery, CancellationToken cancellationToken);

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

/// <summary>A durable-queue consumer of <see cref="IBroker.ConsumeQueueAsync"/>.</summary>
public interface IQueueConsumer : IAsyncDisposable
{
    /// <summary>
    /// Takes no new message, lets the handlers in progress finish until <paramref name="drainDeadline"/> fires,
    /// then cancels those still running: their messages stay unacknowledged and go back to the queue.
    /// Disposing afterwards releases the rest.
    /// </summary>
    Task StopAsync(CancellationToken drainDeadline);
}

/// <summary>Thrown by a <see cref="QueueHandler"/> to dead-letter its message with a reason that travels with it.</summary>
public sealed class DeadLetterException(string reason) : Exception(reason);

public sealed class BrokerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
