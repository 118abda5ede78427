namespace Bridge.Documents.Changes;

/// <summary>
/// The document store's own change notifications (MongoDB change streams), for watches that must see every
/// writer of a collection. Subscriptions are reference counted per collection like broker bindings: the first
/// opens the stream, the last closes it.
/// </summary>
public interface IChangeFeed
{
    /// <summary>
    /// Subscribes to the changes of <paramref name="collection"/>; completes once the stream is open, so a change
    /// made after this returns is delivered. Null when the store cannot serve change streams (the caller falls back
    /// to the broker). Throws <see cref="StoreUnavailableException"/> when the store cannot be reached right now.
    /// </summary>
    /// <param name="collection">The collection to follow.</param>
    /// <param name="handler">Gets each change.</param>
    /// <param name="onHistoryLost">Called when the stream had to start afresh and changes may have been missed.</param>
    /// <param name="onUnsupported">
    /// Called once, and then the stream has ended, when the server stops serving change streams while the stream is
    /// open (a replica set member restarted as a standalone server): the caller moves to the broker, as it would
    /// have at subscription time.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for the stream to open.</param>
    ValueTask<IAsyncDisposable?> SubscribeAsync(string collection, ChangeHandler handler, Action onHistoryLost, Action onUnsupported, CancellationToken cancellationToken);

    /// <summary>Whether change streams are served: false when they cannot be, null when the store cannot be reached now.</summary>
    Task<bool?> ProbeAsync(string collection, CancellationToken cancellationToken);
}
