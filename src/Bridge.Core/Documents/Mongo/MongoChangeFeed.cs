using Bridge.Documents.Changes;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Bridge.Documents.Mongo;

/// <summary>
/// MongoDB change streams for watches (<c>fullDocument: updateLookup</c>), one per watched collection, reference
/// counted like broker bindings. A deployment that cannot serve them (a standalone <c>mongod</c> answers code
/// 40573) is reported once and every later subscription answers null, so its watches fall back to the broker.
/// </summary>
public sealed class MongoChangeFeed(
    MongoDocumentStore store,
    IOptions<MongoOptions> options,
    TimeProvider timeProvider,
    ILogger<MongoChangeFeed> logger) : IChangeFeed, IAsyncDisposable
{
    /// <summary>What a standalone server answers to <c>$changeStream</c>.</summary>
    public const int NotAReplicaSetCode = 40573;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, MongoCollectionWatch> _streams = new(StringComparer.Ordinal);
    private readonly TimeSpan _timeout = options.Value.OperationTimeout;
    private volatile bool _unsupported;

    /// <summary>True once the server has said it cannot serve change streams.</summary>
    public bool IsUnsupported => _unsupported;

    /// <summary>How many collections have an open stream (for tests and diagnostics).</summary>
    public int StreamCount
    {
        get
        {
            lock (_streams)
            {
                return _streams.Count;
            }
        }
    }

    public async ValueTask<IAsyncDisposable?> SubscribeAsync(string collection, ChangeHandler handler, Action onHistoryLost, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(collection);
        if (_unsupported)
        {
            return null;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_streams.TryGetValue(collection, out var stream))
            {
                stream = new MongoCollectionWatch(store.Database.GetCollection<BsonDocument>(collection), ChangeStreamAwait, timeProvider, logger);
                if (!await OpenAsync(stream, cancellationToken))
                {
                    return null;
                }

                lock (_streams)
                {
                    _streams.Add(collection, stream);
                }

                MongoLog.ChangeStreamOpened(logger, collection);
            }

            return new Subscription(this, stream, stream.Add(handler, onHistoryLost));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Opens and closes a stream on <paramref name="collection"/> to learn whether the server serves change
    /// streams: false (reported once) for code 40573, null when the server cannot be reached now.
    /// </summary>
    public async Task<bool?> ProbeAsync(string collection, CancellationToken cancellationToken)
    {
        if (_unsupported)
        {
            return false;
        }

        await using var stream = new MongoCollectionWatch(store.Database.GetCollection<BsonDocument>(collection), ChangeStreamAwait, timeProvider, logger);
        try
        {
            return await OpenAsync(stream, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<MongoCollectionWatch> streams;
        lock (_streams)
        {
            streams = [.. _streams.Values];
            _streams.Clear();
        }

        // The gate stays: watches that leave during shutdown still release through it.
        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>getMore waits this long for changes; it bounds how quickly an unwatched stream closes.</summary>
    private static TimeSpan ChangeStreamAwait => TimeSpan.FromSeconds(1);

    private async Task<bool> OpenAsync(MongoCollectionWatch stream, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            await stream.OpenAsync(timeout.Token);
            return true;
        }
        catch (MongoCommandException e) when (e.Code == NotAReplicaSetCode)
        {
            await stream.DisposeAsync();
            if (!_unsupported)
            {
                _unsupported = true;
                MongoLog.ChangeStreamsUnsupported(logger, store.Address, e.ErrorMessage);
            }

            return false;
        }
        catch (Exception e) when (MongoDocumentStore.IsConnectivityError(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await stream.DisposeAsync();
            throw new StoreUnavailableException($"MongoDB at {store.Address} could not open a change stream on '{stream.Name}': {e.Message}", e);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    private async ValueTask ReleaseAsync(MongoCollectionWatch stream, MongoCollectionWatch.Subscriber subscriber)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            stream.Remove(subscriber);
            if (!stream.IsEmpty)
            {
                return;
            }

            lock (_streams)
            {
                _streams.Remove(stream.Name);
            }
        }
        finally
        {
            _gate.Release();
        }

        await stream.DisposeAsync();
        MongoLog.ChangeStreamClosed(logger, stream.Name);
    }

    private sealed class Subscription(MongoChangeFeed feed, MongoCollectionWatch stream, MongoCollectionWatch.Subscriber subscriber) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? feed.ReleaseAsync(stream, subscriber) : ValueTask.CompletedTask;
    }
}
