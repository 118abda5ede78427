using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Connections;
using Bridge.Documents;
using Bridge.Documents.Changes;

namespace Bridge.Channels;

/// <summary>
/// Stands between a watch group and its change sources when a resource follows a change stream
/// (<see cref="ChangeSource.ChangeStream"/> or <see cref="ChangeSource.Both"/>). A change becomes exactly the
/// delivery an <c>on.waterline</c> event would be (routing key <c>&lt;collection&gt;.&lt;event&gt;.&lt;id&gt;</c>, body
/// <c>{"event","record"}</c>), so the group turns it into the same <c>item</c>/<c>remove</c> frame. The watch's
/// filter is applied here, to the full document: a deleted document is no longer there to test, so a remove is
/// delivered unless this watch saw the document's last version not match. With both sources each change is
/// delivered once (<see cref="DuplicateChangeFilter"/>). After the stream lost its history, snapshot watchers get a
/// fresh <c>list</c>. When the store stops serving change streams while the watch runs (a replica set member back
/// as a standalone server), a <see cref="ChangeSource.ChangeStream"/> watch moves to the broker, as it would have at
/// subscription time, and its snapshot watchers get a fresh <c>list</c> for what the move may have missed.
/// A filtered watch evaluates off the threads that hand it changes (the feed's loop, shared by every watch of the
/// collection, and the broker's dispatch thread), on a <see cref="FilterEvaluationQueue"/> of its own that keeps
/// the order of both sources: as a filtered broker watch does, it may not delay anybody else's frames.
/// </summary>
internal sealed class ChangeStreamWatch(
    WatchSpec spec,
    DeliveryHandler deliver,
    IBroker broker,
    IDocumentStore store,
    int maxResults,
    TimeProvider timeProvider,
    ILogger logger,
    FilterEvaluationSlots? evaluationSlots = null,
    int filterQueueCapacity = WatchGroup.DefaultFilterQueueCapacity,
    Action? onFilterQueueFull = null) : IAsyncDisposable
{
    /// <summary>The exchange name change-stream deliveries carry (never a broker exchange: it has a colon).</summary>
    public const string ChangeStreamExchange = "mongodb:change-stream";

    // Ids whose last version did not match the filter: their removes are not this watch's business. Bounded:
    // past the bound it forgets, and a forgotten id's remove is delivered (a client ignores an id it never had).
    private const int MaxNonMatching = 100_000;

    private readonly object _lock = new();
    private readonly HashSet<string> _nonMatching = new(StringComparer.Ordinal);
    private readonly HashSet<WebSocketConnection> _snapshotMembers = [];
    private readonly DuplicateChangeFilter? _duplicates = spec.Resource.Changes == ChangeSource.Both ? new DuplicateChangeFilter(timeProvider) : null;
    private readonly CancellationTokenSource _stop = new();
    private Task _resync = Task.CompletedTask;
    private Task _fallback = Task.CompletedTask;
    private IAsyncDisposable? _brokerFallback;

    // Null without a filter: then there is nothing costly to take off the caller's thread.
    private readonly FilterEvaluationQueue? _evaluation = spec.Filter.IsEmpty ? null : new FilterEvaluationQueue(
        filterQueueCapacity,
        evaluationSlots,
        onFilterQueueFull ?? (static () => { }),
        ex => ChannelLog.DeliveryDropped(logger, spec.Resource.Name, spec.Source.Exchange, spec.Source.RoutingKey, ex.Message));

    public WatchSpec Spec => spec;

    public void AddSnapshotMember(WebSocketConnection connection)
    {
        lock (_lock)
        {
            _snapshotMembers.Add(connection);
        }
    }

    public void RemoveMember(WebSocketConnection connection)
    {
        lock (_lock)
        {
            _snapshotMembers.Remove(connection);
        }
    }

    /// <summary>A change from the stream (the feed's loop: never blocks).</summary>
    public void OnChange(DocumentChange change)
    {
        if (_evaluation is null)
        {
            HandleChange(change);
        }
        else
        {
            _evaluation.Enqueue(() => HandleChange(change));
        }
    }

    /// <summary>A broker delivery for a <see cref="ChangeSource.Both"/> resource, or one moved to the broker (the broker's dispatch thread).</summary>
    public void OnBrokerDelivery(in BrokerDelivery delivery)
    {
        if (_evaluation is null)
        {
            HandleBrokerDelivery(delivery);
            return;
        }

        // The body is the broker's until this returns: the queued item keeps a copy.
        var copy = delivery with { Body = delivery.Body.ToArray() };
        _evaluation.Enqueue(() => HandleBrokerDelivery(copy));
    }

    private void HandleChange(DocumentChange change)
    {
        var eventName = change.Kind switch
        {
            ChangeKind.Created => "created",
            ChangeKind.Updated => "updated",
            _ => "destroyed",
        };
        JsonObject record;
        if (change.Document is { } document)
        {
            if (!PassesFilter(change.Id, document))
            {
                return;
            }

            record = document;
        }
        else
        {
            lock (_lock)
            {
                if (_nonMatching.Remove(change.Id))
                {
                    return;
                }
            }

            record = new JsonObject { ["id"] = change.Id };
        }

        if (_duplicates?.IsDuplicate(ChangeOrigin.ChangeStream, eventName, change.Id) == true)
        {
            return;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["event"] = eventName, ["record"] = record.DeepClone() });
        deliver(new BrokerDelivery(ChangeStreamExchange, $"{change.Collection}.{eventName}.{change.Id}", body));
    }

    private void HandleBrokerDelivery(in BrokerDelivery delivery)
    {
        var words = delivery.RoutingKey.Split('.', 3);
        JsonNode? record = null;
        try
        {
            record = JsonNode.Parse(delivery.Body.Span)?["record"];
        }
        catch (JsonException)
        {
            // Not a waterline body: the group says why when it drops it.
        }

        if (record is JsonObject document)
        {
            var id = words.Length == 3 ? words[2] : JsonSemantics.AsString(document[spec.Resource.IdField] ?? document["id"]);
            if (spec.Filter != Filter.Empty && !spec.Filter.Matches(document))
            {
                return;
            }

            var eventName = words.Length >= 2 ? words[1] : "";
            if (id is not null && eventName is "created" or "updated" or "destroyed"
                && _duplicates?.IsDuplicate(ChangeOrigin.Broker, eventName, id) == true)
            {
                return;
            }
        }

        deliver(delivery);
    }

    /// <summary>The stream started afresh and changes may be missing: snapshot watchers get a new list.</summary>
    public void OnHistoryLost()
    {
        lock (_lock)
        {
            if (_snapshotMembers.Count == 0 || spec.Resource.Collection is null || !_resync.IsCompleted)
            {
                return;
            }

            _resync = ResyncAsync([.. _snapshotMembers], _stop.Token);
        }
    }

    /// <summary>
    /// The store stopped serving change streams and this watch's stream has ended (the feed's loop: never blocks).
    /// With <see cref="ChangeSource.Both"/> the broker is already subscribed; otherwise the watch moves to it.
    /// </summary>
    public void OnStreamUnsupported()
    {
        lock (_lock)
        {
            if (spec.Resource.Changes == ChangeSource.Both || !_fallback.IsCompleted || _stop.IsCancellationRequested)
            {
                return;
            }

            _fallback = MoveToBrokerAsync(_stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task resync;
        Task fallback;
        lock (_lock)
        {
            resync = _resync;
            fallback = _fallback;
        }

        await fallback;
        await resync;
        if (_brokerFallback is { } subscription)
        {
            await subscription.DisposeAsync();
        }

        // Nothing hands it work any more (the stream and the broker subscription went first): let it finish.
        if (_evaluation is not null)
        {
            await _evaluation.CompleteAsync();
        }

        _stop.Dispose();
    }

    /// <summary>Subscribes on the broker (retrying while it is unavailable) until it holds or the watch ends.</summary>
    private async Task MoveToBrokerAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var delay = TimeSpan.FromMilliseconds(250);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _brokerFallback = await broker.SubscribeAsync(spec.Source.Exchange, spec.Source.RoutingKey, OnBrokerDelivery, cancellationToken).BoundNowAsync();
                ChannelLog.ChangeStreamMovedToBroker(logger, spec.Resource.Name, spec.CanonicalParams, spec.Source.Exchange, spec.Source.RoutingKey);
                OnHistoryLost();
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                ChannelLog.ChangeStreamBrokerFallbackFailed(logger, spec.Resource.Name, spec.CanonicalParams, e.Message);
            }

            try
            {
                await Task.Delay(delay, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    private bool PassesFilter(string id, JsonObject document)
    {
        if (spec.Filter == Filter.Empty)
        {
            return true;
        }

        var matches = spec.Filter.Matches(document);
        lock (_lock)
        {
            if (matches)
            {
                _nonMatching.Remove(id);
            }
            else
            {
                if (_nonMatching.Count >= MaxNonMatching)
                {
                    _nonMatching.Clear();
                }

                _nonMatching.Add(id);
            }
        }

        return matches;
    }

    private async Task ResyncAsync(IReadOnlyList<WebSocketConnection> members, CancellationToken cancellationToken)
    {
        try
        {
            var items = await store.FindAsync(spec.Resource.Collection!, new DocumentQuery(spec.Filter, [], 0, maxResults), cancellationToken);
            var frame = ChannelFrames.List(spec.Resource.Name, items);
            foreach (var member in members)
            {
                member.TrySend(frame);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The store is down too: the next history loss, or the client's own query, brings the list.
            ChannelLog.SnapshotResendFailed(logger, spec.Resource.Name, e.Message);
        }
    }
}
