using Bridge.Broker;
using Bridge.Connections;
using Bridge.Observability;

namespace Bridge.Channels;

/// <summary>
/// The watch groups of the whole bridge. Connections watching the same thing share a group, and groups
/// watching the same exchange and key share the broker's reference-counted binding.
/// </summary>
public sealed class WatchRegistry(IBroker broker, BridgeMetrics metrics, ILogger<WatchRegistry> logger)
{
    // Joining and leaving are rare next to deliveries; one gate keeps group creation and the broker
    // subscription it awaits consistent without touching the delivery path, which reads members lock-free.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Resource, string Params), WatchGroup> _groups = [];

    public int GroupCount
    {
        get
        {
            lock (_groups)
            {
                return _groups.Count;
            }
        }
    }

    /// <summary>Adds <paramref name="connection"/> to the group for <paramref name="spec"/>, subscribing to the broker for a new group.</summary>
    /// <exception cref="BrokerUnavailableException">The broker cannot take a new subscription right now.</exception>
    /// <param name="spec">What to watch.</param>
    /// <param name="connection">The watcher.</param>
    /// <param name="cancellationToken">Cancels the wait for the gate and the broker.</param>
    /// <param name="bufferUntilSnapshot">Hold this member's live frames until <see cref="WatchGroup.FlushSnapshot"/>.</param>
    public async ValueTask<WatchGroup> JoinAsync(WatchSpec spec, WebSocketConnection connection, CancellationToken cancellationToken, bool bufferUntilSnapshot = false)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_groups.TryGetValue(spec.Key, out var group))
            {
                group = new WatchGroup(spec, metrics.Channels, logger);
                group.Subscription = await broker.SubscribeAsync(spec.Source.Exchange, spec.Source.RoutingKey, group.OnDelivery, cancellationToken);
                lock (_groups)
                {
                    _groups.Add(spec.Key, group);
                }

                ChannelLog.WatchGroupCreated(logger, spec.Resource.Name, spec.Source.Exchange, spec.Source.RoutingKey, spec.CanonicalParams);
            }

            group.Add(connection, bufferUntilSnapshot);
            metrics.Channels.WatchesChanged(spec.Resource.Name, 1);
            return group;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes the connection; the group and its subscription go with the last member.</summary>
    public async ValueTask LeaveAsync(WatchGroup group, WebSocketConnection connection)
    {
        // Leaving happens on close too, when the connection's token is already cancelled: it must still complete.
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (group.Contains(connection))
            {
                metrics.Channels.WatchesChanged(group.Spec.Resource.Name, -1);
            }

            if (!group.Remove(connection))
            {
                return;
            }

            lock (_groups)
            {
                _groups.Remove(group.Spec.Key);
            }

            if (group.Subscription is { } subscription)
            {
                try
                {
                    await subscription.DisposeAsync();
                }
                catch (Exception ex)
                {
                    // The binding is left behind on the broker until reconnection; nothing the client can act on.
                    ChannelLog.UnsubscribeFailed(logger, group.Spec.Source.Exchange, group.Spec.Source.RoutingKey, ex);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
