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
/// fresh <c>list</c>.
/// </summary>
internal sealed class ChangeStreamWatch(
    WatchSpec spec,
    DeliveryHandler deliver,
    IDocumentStore store,
    int maxResults,
    TimeProvider timeProvider,
    ILogger logger) : IAsyncDisposable
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

    /// <summary>A broker delivery for a <see cref="ChangeSource.Both"/> resource (the broker's dispatch thread).</summary>
    public void OnBrokerDelivery(in BrokerDelivery delivery)
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

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task resync;
        lock (_lock)
        {
            resync = _resync;
        }

        await resync;
        _stop.Dispose();
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
