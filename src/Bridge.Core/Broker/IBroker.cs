namespace Bridge.Broker;

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
    /// matches <paramref name="bindingKey"/> (RabbitMQ topic syntax). Registers at once and binds when connected,
    /// as <see cref="ConsumeQueueAsync"/> does: when the broker is connected this completes once the binding is
    /// active, so that a message published after it returns is delivered; when it is not (or the bind fails), the
    /// subscription is still returned, <see cref="IBrokerSubscription.IsBound"/> false with the reason in
    /// <see cref="IBrokerSubscription.Problem"/> (and the broker's log), and the broker binds it once it can, after
    /// which messages reach the handler without the caller retrying. Never throws because the broker is away;
    /// throws <see cref="ArgumentException"/> for an invalid exchange or key, and when cancelled. A caller that must
    /// answer "bound now or not" (a channel <c>watch</c>) reads <see cref="IBrokerSubscription.IsBound"/>.
    /// </summary>
    ValueTask<IBrokerSubscription> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken);

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
