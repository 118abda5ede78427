using System.Collections.Immutable;
using Bridge.Documents.Changes;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Bridge.Documents.Mongo;

/// <summary>
/// One change stream on one collection and the subscribers that share it. After a dropped cursor, a MongoDB
/// restart or a failover the stream is reopened from its last resume token, so no change is lost or repeated; a
/// token the server no longer knows ends in a warning, a fresh stream, and the subscribers' history-lost callback
/// (they may have missed changes). Its loop is a task of its own, ended and awaited by <see cref="DisposeAsync"/>.
/// </summary>
internal sealed class MongoCollectionWatch : IAsyncDisposable
{
    // Codes with which a server refuses to resume: ChangeStreamHistoryLost, ChangeStreamFatalError, InvalidResumeToken.
    private static readonly int[] HistoryLostCodes = [286, 280, 260];
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetryDelay = TimeSpan.FromSeconds(2);

    private readonly IMongoCollection<BsonDocument> _collection;
    private readonly TimeSpan _maxAwait;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Action<MongoCollectionWatch, string>? _onUnsupported;
    private readonly CancellationTokenSource _stop = new();
    private ImmutableArray<Subscriber> _subscribers = [];
    private IChangeStreamCursor<ChangeStreamDocument<BsonDocument>>? _cursor;
    private BsonDocument? _resumeToken;
    private Task? _loop;

    /// <param name="collection">The collection followed.</param>
    /// <param name="maxAwait">How long one getMore waits for changes.</param>
    /// <param name="timeProvider">Time, for the retry delays.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="onUnsupported">Told (with the server's reason) when the server stops serving change streams while the stream runs.</param>
    public MongoCollectionWatch(IMongoCollection<BsonDocument> collection, TimeSpan maxAwait, TimeProvider timeProvider, ILogger logger, Action<MongoCollectionWatch, string>? onUnsupported)
    {
        _collection = collection;
        _maxAwait = maxAwait;
        _timeProvider = timeProvider;
        _logger = logger;
        _onUnsupported = onUnsupported;
    }

    public string Name => _collection.CollectionNamespace.CollectionName;

    public bool IsEmpty => _subscribers.IsEmpty;

    /// <summary>Opens the stream (a change made after this returns is delivered) and starts following it.</summary>
    /// <exception cref="MongoCommandException">The server refused (code 40573 on a standalone server).</exception>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        _cursor = await OpenCursorAsync(cancellationToken);
        Volatile.Write(ref _resumeToken, _cursor.GetResumeToken());
        _loop = Task.Run(() => FollowAsync(_stop.Token), CancellationToken.None);
    }

    public Subscriber Add(ChangeHandler handler, Action onHistoryLost, Action onUnsupported)
    {
        var subscriber = new Subscriber(handler, onHistoryLost, onUnsupported);
        ImmutableInterlocked.Update(ref _subscribers, static (list, s) => list.Add(s), subscriber);
        return subscriber;
    }

    public void Remove(Subscriber subscriber) =>
        ImmutableInterlocked.Update(ref _subscribers, static (list, s) => list.Remove(s), subscriber);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is { } loop)
        {
            try
            {
                // A getMore in flight ends at the latest after the stream's await time.
                await loop.WaitAsync(_maxAwait + TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                MongoLog.ChangeStreamStopSlow(_logger, Name);
            }
        }

        _cursor?.Dispose();
        _stop.Dispose();
    }

    private Task<IChangeStreamCursor<ChangeStreamDocument<BsonDocument>>> OpenCursorAsync(CancellationToken cancellationToken)
    {
        var options = new ChangeStreamOptions
        {
            FullDocument = ChangeStreamFullDocumentOption.UpdateLookup,
            ResumeAfter = Volatile.Read(ref _resumeToken),
            MaxAwaitTime = _maxAwait,
        };
        return _collection.WatchAsync(options, cancellationToken);
    }

    private async Task FollowAsync(CancellationToken stop)
    {
        var delay = FirstRetryDelay;
        var failing = false;
        var historyLost = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                _cursor ??= await OpenCursorAsync(stop);
                if (historyLost)
                {
                    historyLost = false;
                    NotifyHistoryLost();
                }

                if (failing)
                {
                    failing = false;
                    delay = FirstRetryDelay;
                    MongoLog.ChangeStreamResumed(_logger, Name);
                }

                while (await _cursor.MoveNextAsync(stop))
                {
                    foreach (var change in _cursor.Current)
                    {
                        Dispatch(change);
                    }

                    Volatile.Write(ref _resumeToken, _cursor.GetResumeToken());
                }

                // The server closed the stream (an invalidate): follow on from the last token.
                DropCursor();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (MongoCommandException e) when (e.Code == MongoChangeFeed.NotAReplicaSetCode)
            {
                // The server came back as a standalone one: no stream will open again; the watches move to the broker.
                DropCursor();
                _onUnsupported?.Invoke(this, e.ErrorMessage);
                NotifyUnsupported();
                return;
            }
            catch (MongoCommandException e) when (HistoryLostCodes.Contains(e.Code))
            {
                MongoLog.ChangeStreamHistoryLost(_logger, Name, e.Code, e.ErrorMessage);
                DropCursor();
                Volatile.Write(ref _resumeToken, null);
                historyLost = true;
            }
            catch (Exception e)
            {
                DropCursor();
                if (!failing)
                {
                    failing = true;
                    MongoLog.ChangeStreamInterrupted(_logger, Name, e.Message);
                }

                try
                {
                    await Task.Delay(delay, _timeProvider, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetryDelay.Ticks));
            }
        }
    }

    private void DropCursor()
    {
        _cursor?.Dispose();
        _cursor = null;
    }

    private void Dispatch(ChangeStreamDocument<BsonDocument> change)
    {
        var kind = change.OperationType switch
        {
            ChangeStreamOperationType.Insert => ChangeKind.Created,
            ChangeStreamOperationType.Update or ChangeStreamOperationType.Replace => ChangeKind.Updated,
            ChangeStreamOperationType.Delete => ChangeKind.Destroyed,
            _ => (ChangeKind?)null,
        };
        if (kind is null || change.DocumentKey is not { } key || !key.TryGetValue("_id", out var idValue))
        {
            return;
        }

        var document = change.FullDocument is { } full ? MongoDocumentMapping.FromStored(full) : null;
        if (kind != ChangeKind.Destroyed && document is null)
        {
            // An update whose document is gone by the time of the lookup: its delete follows in the stream.
            return;
        }

        var id = MongoDocumentMapping.ToJson(idValue) switch
        {
            System.Text.Json.Nodes.JsonValue text when text.TryGetValue<string>(out var s) => s,
            var other => other?.ToJsonString() ?? "null",
        };
        var documentChange = new DocumentChange(Name, kind.Value, id, document);
        foreach (var subscriber in _subscribers)
        {
            try
            {
                subscriber.Handler(documentChange);
            }
            catch (Exception e)
            {
                // One failing watcher must not stop the stream for the others.
                MongoLog.ChangeHandlerFailed(_logger, Name, e);
            }
        }
    }

    private void NotifyHistoryLost()
    {
        foreach (var subscriber in _subscribers)
        {
            try
            {
                subscriber.OnHistoryLost();
            }
            catch (Exception e)
            {
                MongoLog.ChangeHandlerFailed(_logger, Name, e);
            }
        }
    }

    private void NotifyUnsupported()
    {
        foreach (var subscriber in _subscribers)
        {
            try
            {
                subscriber.OnUnsupported();
            }
            catch (Exception e)
            {
                MongoLog.ChangeHandlerFailed(_logger, Name, e);
            }
        }
    }

    internal sealed record Subscriber(ChangeHandler Handler, Action OnHistoryLost, Action OnUnsupported);
}
