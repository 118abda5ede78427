using Bridge.Broker;
using Bridge.Connections;
using Bridge.Documents;
using Bridge.Documents.Changes;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Channels;

/// <summary>
/// The watch groups of the whole bridge. Connections watching the same thing share a group, and groups
/// watching the same exchange and key share the broker's reference-counted binding; groups of a resource that
/// follows a change stream (<see cref="ResourceDefinition.Changes"/>) share the feed's stream on its collection.
/// </summary>
internal sealed class WatchRegistry(
    IBroker broker,
    BridgeMetrics metrics,
    IChangeFeed changeFeed,
    IDocumentStore store,
    IOptions<ChannelOptions> options,
    FilterEvaluationSlots evaluationSlots,
    TimeProvider timeProvider,
    ILogger<WatchRegistry> logger)
{
    private readonly int _filterQueueCapacity = options.Value.WatchFilterQueueCapacity;

    // Joining and leaving are rare next to deliveries; one gate keeps group creation and the broker
    // subscription it awaits consistent without touching the delivery path, which reads members lock-free.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Resource, string Params), WatchGroup> _groups = [];
    private readonly Dictionary<WatchGroup, ChangeStreamWatch> _changeStreamWatches = [];
    private readonly HashSet<string> _fellBack = new(StringComparer.Ordinal);
    private readonly EqualityFilterIndexes _equalityIndexes = new(broker, logger);

    /// <summary>How many equality indexes (each one broker subscription) serve filtered groups right now.</summary>
    internal int EqualityIndexCount => _equalityIndexes.Count;

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
    /// <param name="bufferUntilSnapshot">Hold this member's live frames until <see cref="WatchGroup.FlushSnapshotAsync"/>.</param>
    public async ValueTask<WatchGroup> JoinAsync(WatchSpec spec, WebSocketConnection connection, CancellationToken cancellationToken, bool bufferUntilSnapshot = false)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_groups.TryGetValue(spec.Key, out var group))
            {
                group = await CreateGroupAsync(spec, cancellationToken);
                lock (_groups)
                {
                    _groups.Add(spec.Key, group);
                }

                ChannelLog.WatchGroupCreated(logger, spec.Resource.Name, spec.Source.Exchange, spec.Source.RoutingKey, spec.CanonicalParams);
            }

            group.Add(connection, bufferUntilSnapshot);
            if (bufferUntilSnapshot && _changeStreamWatches.TryGetValue(group, out var changeStreamWatch))
            {
                changeStreamWatch.AddSnapshotMember(connection);
            }

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

            _changeStreamWatches.TryGetValue(group, out var changeStreamWatch);
            changeStreamWatch?.RemoveMember(connection);
            if (!group.Remove(connection))
            {
                return;
            }

            _changeStreamWatches.Remove(group);

            lock (_groups)
            {
                _groups.Remove(group.Spec.Key);
            }

            if (group.SourceSubscription is { } subscription)
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

            // No delivery can arrive any more: let the group's evaluation loop finish what it holds and end.
            await group.CompleteAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A new group and its subscription: the broker, the change feed, or both (called under the gate).</summary>
    private async Task<WatchGroup> CreateGroupAsync(WatchSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Resource.Changes != ChangeSource.Broker && spec.Resource.Collection is { } collection)
        {
            // The group sees waterline deliveries and no filter: the change-stream watch filters, as it must for removes.
            var group = new WatchGroup(spec with { Filter = Filter.Empty, Source = spec.Source with { Format = WatchFormat.Waterline } }, metrics.Channels, logger,
                _filterQueueCapacity, evaluationSlots);
            var watch = new ChangeStreamWatch(spec, group.OnDelivery, broker, store, options.Value.MaxResults, timeProvider, logger,
                evaluationSlots, _filterQueueCapacity, group.LetMembersGoBehindFilter);
            var stream = await changeFeed.SubscribeAsync(collection, watch.OnChange, watch.OnHistoryLost, watch.OnStreamUnsupported, cancellationToken);
            if (stream is not null)
            {
                IAsyncDisposable? fromBroker = null;
                if (spec.Resource.Changes == ChangeSource.Both)
                {
                    try
                    {
                        fromBroker = await broker.SubscribeAsync(spec.Source.Exchange, spec.Source.RoutingKey, watch.OnBrokerDelivery, cancellationToken).BoundNowAsync();
                    }
                    catch
                    {
                        await stream.DisposeAsync();
                        await watch.DisposeAsync();
                        throw;
                    }
                }

                group.SourceSubscription = new ChangeStreamGroupSubscription(stream, fromBroker, watch);
                _changeStreamWatches[group] = watch;
                return group;
            }

            await watch.DisposeAsync();
            await group.CompleteAsync();
            if (_fellBack.Add(spec.Resource.Name))
            {
                ChannelLog.ChangeStreamFallback(logger, spec.Resource.Name, spec.Source.Exchange, spec.Source.RoutingKey);
            }
        }

        // A filter that is only a string equality is answered by its index's lookup: such a group has no filter loop.
        var onBroker = new WatchGroup(spec, metrics.Channels, logger, _filterQueueCapacity, evaluationSlots,
            filterAnsweredBySource: spec.Filter.IsSingleStringEquality);
        try
        {
            // Groups that filter on a field's string value share their source's index (one lookup per message).
            onBroker.SourceSubscription = await _equalityIndexes.TrySubscribeAsync(spec, onBroker, cancellationToken)
                ?? await broker.SubscribeAsync(spec.Source.Exchange, spec.Source.RoutingKey, onBroker.OnDelivery, cancellationToken).BoundNowAsync();
        }
        catch
        {
            // A filtered group's evaluation loop is already running: end it with the group that never was.
            await onBroker.CompleteAsync();
            throw;
        }

        return onBroker;
    }

    /// <summary>What a change-stream group holds: the stream, the broker binding of <see cref="ChangeSource.Both"/>, the watch.</summary>
    private sealed class ChangeStreamGroupSubscription(IAsyncDisposable stream, IAsyncDisposable? fromBroker, ChangeStreamWatch watch) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await stream.DisposeAsync();
                if (fromBroker is not null)
                {
                    await fromBroker.DisposeAsync();
                }
            }
            finally
            {
                await watch.DisposeAsync();
            }
        }
    }
}
