using Bridge.Broker;

namespace Bridge.Channels;

/// <summary>
/// The <see cref="EqualityFilterIndex"/> of every (resource, source) that has watches whose filter requires a string
/// equality: the first such group creates the index and its one broker subscription, the last one's leaving ends both.
/// </summary>
/// <remarks>Used only under the <see cref="WatchRegistry"/>'s gate, which serializes every call and every disposal.</remarks>
internal sealed class EqualityFilterIndexes(IBroker broker, ILogger logger)
{
    private readonly Dictionary<(string Resource, WatchSource Source), EqualityFilterIndex> _indexes = [];

    public int Count => _indexes.Count;

    /// <summary>
    /// Subscribes <paramref name="group"/> through its source's index when its filter requires a field to equal a
    /// string; null when it does not (the caller subscribes the group to the broker itself).
    /// </summary>
    /// <exception cref="BrokerUnavailableException">The index's broker subscription could not be made.</exception>
    public async ValueTask<IAsyncDisposable?> TrySubscribeAsync(WatchSpec spec, WatchGroup group, CancellationToken cancellationToken)
    {
        if (!spec.Filter.TryGetStringEquality(out var path, out var value))
        {
            return null;
        }

        var key = (spec.Resource.Name, spec.Source);
        if (!_indexes.TryGetValue(key, out var index))
        {
            index = new EqualityFilterIndex(spec.Resource.Name, spec.Source, logger);
            index.BrokerSubscription = await broker.SubscribeAsync(spec.Source.Exchange, spec.Source.RoutingKey, index.OnDelivery, cancellationToken).BoundNowAsync();
            _indexes.Add(key, index);
        }

        index.Add(path, value, group);
        return new Registration(this, key, index, path, value, group);
    }

    private sealed class Registration(
        EqualityFilterIndexes owner, (string, WatchSource) key, EqualityFilterIndex index, string path, string value, WatchGroup group) : IAsyncDisposable
    {
        private bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!index.Remove(path, value, group))
            {
                return;
            }

            owner._indexes.Remove(key);
            if (index.BrokerSubscription is { } subscription)
            {
                await subscription.DisposeAsync();
            }
        }
    }
}
