namespace Bridge.Broker.Recovery;

/// <summary>
/// The retained history of some exchanges (issue 16 §1): every message gets an offset in its exchange's log, the
/// same on every bridge instance of the deployment, so a watch can be resumed anywhere after a position.
/// In process it is memory; on RabbitMQ it is one stream queue per exchange, shared by all instances.
/// </summary>
public interface IRecoveryLog
{
    /// <summary>
    /// The generation of <paramref name="exchange"/>'s log: offsets of another epoch mean nothing here. On RabbitMQ it
    /// is read from the stream itself, so a stream deleted and created again is of a new epoch.
    /// </summary>
    string EpochOf(string exchange);

    /// <summary>For <c>/readyz</c>: whether the log can serve recovering watches now, and if not, what is down.</summary>
    DependencyStatus Status { get; }

    /// <summary>Whether <paramref name="exchange"/>'s traffic is retained.</summary>
    bool Retains(string exchange);

    /// <summary>
    /// Live messages of <paramref name="exchange"/> matching <paramref name="bindingKey"/>, with their offsets, in
    /// log order, from the moment this completes.
    /// </summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, RetainedHandler handler, CancellationToken cancellationToken);

    /// <summary>
    /// Reads every retained message of <paramref name="exchange"/> after offset <paramref name="after"/>, in order, on
    /// a reader of its own, up to the log's end <b>as it is when this is called</b> (whatever this instance's own
    /// live reader has seen so far), then calls <paramref name="onEnd"/> once: <see cref="ReplayOutcome.CaughtUp"/>
    /// with that end, or why the position cannot be honoured. Messages above the end are left to the live
    /// subscription; a subscriber that registered before calling this misses none of them.
    /// </summary>
    /// <returns>Stops the replay (<paramref name="onEnd"/> is then not called any more).</returns>
    ValueTask<IAsyncDisposable> ReplayAsync(string exchange, long after, RetainedHandler handler, ReplayEndHandler onEnd, CancellationToken cancellationToken);
}
