namespace Bridge.Broker.Recovery;

/// <summary>
/// The retained history of some exchanges (issue 16 §1): every message gets an offset in its exchange's log, the
/// same on every bridge instance of the deployment, so a watch can be resumed anywhere after a position.
/// In process it is memory; on RabbitMQ it is one stream queue per exchange, shared by all instances.
/// </summary>
public interface IRecoveryLog
{
    /// <summary>The log's generation: offsets of another epoch mean nothing here.</summary>
    string Epoch { get; }

    /// <summary>Whether <paramref name="exchange"/>'s traffic is retained.</summary>
    bool Retains(string exchange);

    /// <summary>
    /// The highest offset this instance has handed to live subscribers of <paramref name="exchange"/> (−1 when the
    /// log is known to be empty), or null when it does not know yet. It is updated before the message is
    /// dispatched, so a subscriber that reads it after registering misses nothing above it.
    /// </summary>
    long? KnownTail(string exchange);

    /// <summary>
    /// Live messages of <paramref name="exchange"/> matching <paramref name="bindingKey"/>, with their offsets, in
    /// log order, from the moment this completes.
    /// </summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, RetainedHandler handler, CancellationToken cancellationToken);

    /// <summary>
    /// Reads every retained message of <paramref name="exchange"/> after offset <paramref name="after"/>, in order,
    /// on a reader of its own, at least up to the tail known when called (RabbitMQ's reader follows the stream
    /// until disposed). The result says where the retained history starts when that is known.
    /// </summary>
    ValueTask<RecoveryReplay> ReplayAsync(string exchange, long after, RetainedHandler handler, CancellationToken cancellationToken);
}
