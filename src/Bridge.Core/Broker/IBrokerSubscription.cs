namespace Bridge.Broker;

/// <summary>
/// What <see cref="IBroker.SubscribeAsync"/> returns: a subscription registered from the moment it is returned
/// until it is disposed, whether or not the broker can bind it right now. <see cref="IsBound"/> says whether it
/// is bound at this moment and <see cref="Problem"/> why not; the broker binds it when it can (after connecting,
/// after each reconnection, and every retry delay after a failed bind), with no action of the caller.
/// </summary>
public interface IBrokerSubscription : IAsyncDisposable
{
    /// <summary>True when the broker is connected and the binding is in place: a message published now reaches the handler.</summary>
    bool IsBound { get; }

    /// <summary>Why the subscription is not bound now (the broker is not connected, or its bind failed), or null when it is.</summary>
    string? Problem { get; }
}
