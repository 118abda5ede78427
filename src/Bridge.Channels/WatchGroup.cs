using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Bridge.Broker;
using Bridge.Connections;
using Bridge.Documents;
using Bridge.Json;
using Bridge.Observability;

namespace Bridge.Channels;

/// <summary>
/// All connections watching the same resource with the same params. The group holds one broker
/// subscription, turns each delivery into a frame once, and queues that frame to every member.
/// </summary>
/// <remarks>
/// A group with a filter does its work off the broker's dispatch thread (issue 11, item 4): a client's
/// filter, however costly, must not delay the frames of any other watch. Its deliveries (copied) and its
/// snapshot flushes go through one bounded queue drained by one loop, so the group's frames keep their order
/// and a snapshot still sees exactly the deliveries dispatched before it. A group that falls
/// <c>Bridge:Channels:WatchFilterQueueCapacity</c> deliveries behind disconnects its members, as a slow
/// consumer is. Unfiltered groups only encode, and stay on the dispatch thread; so does a group whose filter is one
/// string equality, which its <see cref="EqualityFilterIndex"/> answers with a lookup (issue 17). A group of one
/// member asks for its frame to be written inline (<see cref="WebSocketConnection.TrySend"/>), a group of several
/// queues it to each member's send loop.
/// </remarks>
internal sealed class WatchGroup
{
    public const int DefaultFilterQueueCapacity = 1024;

    private readonly ILogger _logger;
    private readonly FrontMetrics _metrics;
    private readonly object _membersLock = new();
    private readonly Channel<QueuedWork>? _work;
    private readonly FilterEvaluationSlots? _evaluationSlots;
    private readonly Task _worker = Task.CompletedTask;
    private readonly WatchMembers<WebSocketConnection> _members = new();
    private readonly bool _filterAnsweredBySource;
    private int _overflowReported;

    // Members waiting for their snapshot: their live frames are held here, in order, until FlushSnapshot.
    private volatile ImmutableDictionary<WebSocketConnection, List<ReadOnlyMemory<byte>>> _buffering =
        ImmutableDictionary<WebSocketConnection, List<ReadOnlyMemory<byte>>>.Empty;

    /// <param name="spec">What the group watches.</param>
    /// <param name="metrics">The channel front's instruments (delivery latency).</param>
    /// <param name="logger">Logger.</param>
    /// <param name="filterQueueCapacity">Deliveries a filtered group may hold before its members are let go.</param>
    /// <param name="evaluationSlots">
    /// Shared by every filtered group: how many may evaluate at once, so that filters together never take every
    /// core from the dispatch thread and the send loops. None for no bound.
    /// </param>
    /// <param name="filterAnsweredBySource">
    /// The group is fed only by an <see cref="EqualityFilterIndex"/> that hands it exactly the messages its filter
    /// matches (<see cref="Filter.IsSingleStringEquality"/>): nothing is left to evaluate, so the group encodes and
    /// sends on the dispatching thread, as an unfiltered group does, without the loop's hop and the body's copy.
    /// </param>
    public WatchGroup(WatchSpec spec, FrontMetrics metrics, ILogger logger, int filterQueueCapacity = DefaultFilterQueueCapacity, FilterEvaluationSlots? evaluationSlots = null,
        bool filterAnsweredBySource = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        _metrics = metrics;
        _logger = logger;
        _evaluationSlots = evaluationSlots;
        _filterAnsweredBySource = filterAnsweredBySource && spec.Filter.IsSingleStringEquality;
        if (!spec.Filter.IsEmpty && !_filterAnsweredBySource)
        {
            _work = Channel.CreateBounded<QueuedWork>(new BoundedChannelOptions(filterQueueCapacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            _worker = EvaluateQueuedAsync(_work.Reader);
        }
    }

    public WatchSpec Spec { get; }

    /// <summary>What feeds the group (a broker binding, a share of an equality index, or a change stream with its broker binding); disposed when the group ends.</summary>
    internal IAsyncDisposable? SourceSubscription { get; set; }

    internal void Add(WebSocketConnection connection, bool bufferUntilSnapshot = false)
    {
        lock (_membersLock)
        {
            if (bufferUntilSnapshot)
            {
                _buffering = _buffering.SetItem(connection, []);
            }

            _members.Add(connection);
        }
    }

    /// <summary>
    /// Sends <paramref name="snapshotFrame"/>, then the live frames held since the member joined that the snapshot
    /// does not already reflect (<see cref="SnapshotMerge"/>), then lets live frames through again. Done under the
    /// members lock, so no live frame can overtake the snapshot or the held frames.
    /// </summary>
    internal async ValueTask FlushSnapshotAsync(WebSocketConnection connection, ReadOnlyMemory<byte> snapshotFrame, IReadOnlyList<JsonObject> snapshot)
    {
        if (_work is null)
        {
            FlushSnapshot(connection, snapshotFrame, snapshot);
            return;
        }

        // Behind every delivery already queued, so those reach the held frames (and SnapshotMerge) first.
        var flush = new QueuedFlush(connection, snapshotFrame, snapshot);
        try
        {
            await _work.Writer.WriteAsync(flush, CancellationToken.None);
        }
        catch (ChannelClosedException)
        {
            // The group has ended (its last member left): nobody is left to send the snapshot to.
            return;
        }

        await flush.Done.Task;
    }

    private void FlushSnapshot(WebSocketConnection connection, ReadOnlyMemory<byte> snapshotFrame, IReadOnlyList<JsonObject> snapshot)
    {
        lock (_membersLock)
        {
            if (!_buffering.TryGetValue(connection, out var held))
            {
                return;
            }

            connection.TrySend(snapshotFrame);
            foreach (var frame in SnapshotMerge.Unreflected(snapshot, Spec.Resource.IdField, held))
            {
                connection.TrySend(frame);
            }

            _buffering = _buffering.Remove(connection);
        }
    }

    internal bool Contains(WebSocketConnection connection)
    {
        lock (_membersLock)
        {
            return _members.Contains(connection);
        }
    }

    /// <returns>True when the group has no members left.</returns>
    internal bool Remove(WebSocketConnection connection)
    {
        lock (_membersLock)
        {
            _buffering = _buffering.Remove(connection);
            _members.Remove(connection);
            return _members.Count == 0;
        }
    }

    /// <summary>
    /// Ends the group's evaluation loop once what is queued has been handled; called when its last member has
    /// left and its subscription is gone.
    /// </summary>
    internal Task CompleteAsync()
    {
        _work?.Writer.TryComplete();
        return _worker;
    }

    /// <summary>The broker's callback: runs on its dispatch thread, never blocks.</summary>
    internal void OnDelivery(in BrokerDelivery delivery)
    {
        if (_work is null)
        {
            Deliver(delivery);
            return;
        }

        if (_members.Count == 0)
        {
            return;
        }

        // The body is the broker's until this returns: the queue keeps a copy.
        if (!_work.Writer.TryWrite(new QueuedDelivery(delivery.Exchange, delivery.RoutingKey, delivery.Body.ToArray(), delivery.ReceivedTimestamp)))
        {
            OnQueueFull();
        }
    }

    /// <summary>
    /// The callback of an <see cref="EqualityFilterIndex"/>, on the broker's dispatch thread, with the body it parsed
    /// once for all its groups: a group whose filter the index answered encodes from it at once; any other queues the
    /// delivery for its filter loop, as <see cref="OnDelivery"/> does.
    /// </summary>
    internal void OnIndexedDelivery(in BrokerDelivery delivery, JsonElement root)
    {
        if (_work is not null)
        {
            OnDelivery(delivery);
            return;
        }

        if (_members.Count == 0)
        {
            return;
        }

        ReadOnlyMemory<byte> frame;
        try
        {
            if (!TryEncodeParsed(delivery, root, filterAnswered: true, out frame))
            {
                return;
            }
        }
        catch (Exception ex)
        {
            ChannelLog.DeliveryDropped(_logger, Spec.Resource.Name, delivery.Exchange, delivery.RoutingKey, ex.Message);
            return;
        }

        Fanout(frame, delivery.ReceivedTimestamp);
    }

    /// <summary>
    /// The group's filter work (its own queue, or a change-stream watch's in front of it) fell too far behind:
    /// its members are let go. Called on the thread that could not queue.
    /// </summary>
    internal void LetMembersGoBehindFilter() => OnQueueFull();

    private void OnQueueFull()
    {
        if (Interlocked.Exchange(ref _overflowReported, 1) == 0)
        {
            ChannelLog.WatchFilterQueueFull(_logger, Spec.Resource.Name, Spec.CanonicalParams, _members.Count);
        }

        // Members asked for this filter and cannot have every frame: like slow consumers, they are let go.
        foreach (var member in _members.Current)
        {
            member?.Abort();
        }
    }

    private async Task EvaluateQueuedAsync(ChannelReader<QueuedWork> work)
    {
        // Off the constructor's thread (the caller holds the registry's gate), and then on the thread pool.
        await Task.Yield();
        await foreach (var item in work.ReadAllAsync(CancellationToken.None))
        {
            if (_evaluationSlots is not null)
            {
                await _evaluationSlots.WaitAsync(CancellationToken.None);
            }

            try
            {
                Handle(item);
            }
            finally
            {
                _evaluationSlots?.Release();
            }
        }
    }

    private void Handle(QueuedWork item)
    {
        switch (item)
        {
            case QueuedDelivery delivery:
                Deliver(new BrokerDelivery(delivery.Exchange, delivery.RoutingKey, delivery.Body, ReceivedTimestamp: delivery.ReceivedTimestamp));
                break;
            case QueuedFlush flush:
                try
                {
                    FlushSnapshot(flush.Connection, flush.Frame, flush.Snapshot);
                    flush.Done.TrySetResult();
                }
                catch (Exception ex)
                {
                    flush.Done.TrySetException(ex);
                }

                break;
        }
    }

    private void Deliver(in BrokerDelivery delivery)
    {
        if (_members.Count == 0)
        {
            return;
        }

        ReadOnlyMemory<byte> frame;
        try
        {
            if (!TryEncode(delivery, out frame))
            {
                return;
            }
        }
        catch (Exception ex)
        {
            ChannelLog.DeliveryDropped(_logger, Spec.Resource.Name, delivery.Exchange, delivery.RoutingKey, ex.Message);
            return;
        }

        Fanout(frame, delivery.ReceivedTimestamp);
    }

    private void Fanout(ReadOnlyMemory<byte> frame, long receivedTimestamp)
    {
        if (_buffering.IsEmpty)
        {
            // A frame for one member may go out on this thread (within the dispatch's InlineSendAllowance); one for
            // several is queued to each, so that their writes run on the send loops' workers side by side.
            var inline = _members.Count == 1;
            foreach (var member in _members.Current)
            {
                member?.TrySend(frame, preferInline: inline);
            }

            _metrics.DeliveryHandedOver(receivedTimestamp);
            return;
        }

        // Rare: a member is reading its snapshot. Fan out under the lock so FlushSnapshot sees a consistent buffer.
        lock (_membersLock)
        {
            foreach (var member in _members.Current)
            {
                if (member is null)
                {
                    continue;
                }

                if (_buffering.TryGetValue(member, out var held))
                {
                    held.Add(frame);
                }
                else
                {
                    member.TrySend(frame);
                }
            }
        }
    }

    /// <summary>
    /// Encodes a delivery as this group's members see it, without sending it: recovering watches
    /// (<see cref="Recovery.RecoveringWatchGroup"/>) fan out on their own but show the same frames.
    /// </summary>
    internal bool TryEncodeFrame(in BrokerDelivery delivery, out ReadOnlyMemory<byte> frame)
    {
        try
        {
            return TryEncode(delivery, out frame);
        }
        catch (Exception ex)
        {
            ChannelLog.DeliveryDropped(_logger, Spec.Resource.Name, delivery.Exchange, delivery.RoutingKey, ex.Message);
            frame = default;
            return false;
        }
    }

    private bool TryEncode(in BrokerDelivery delivery, out ReadOnlyMemory<byte> frame)
    {
        frame = default;
        var resource = Spec.Resource.Name;
        JsonDocument document;
        try
        {
            document = UntrustedJson.ParseDocument(delivery.Body, UntrustedJson.MaxDocumentDepth);
        }
        catch (JsonException) when (Spec.Source.Format == WatchFormat.Raw && Spec.Filter == Filter.Empty)
        {
            // A raw subscription forwards what producers send; a body that is not (acceptable) JSON travels as a string.
            var text = Encoding.UTF8.GetString(delivery.Body.Span);
            frame = ChannelFrames.Change("item", resource, JsonValue.Create(delivery.RoutingKey), JsonValue.Create(text));
            return true;
        }

        using (document)
        {
            return TryEncodeParsed(delivery, document.RootElement, filterAnswered: false, out frame);
        }
    }

    /// <param name="delivery">The delivery.</param>
    /// <param name="root">Its parsed body.</param>
    /// <param name="filterAnswered">An index's lookup has matched the group's whole filter already: not evaluated again.</param>
    /// <param name="frame">The frame, when the delivery is one for the members.</param>
    private bool TryEncodeParsed(in BrokerDelivery delivery, JsonElement root, bool filterAnswered, out ReadOnlyMemory<byte> frame)
    {
        frame = default;
        var evaluate = Spec.Filter != Filter.Empty && !(filterAnswered && _filterAnsweredBySource);
        if (Spec.Source.Format == WatchFormat.Raw)
        {
            if (evaluate && !Spec.Filter.Matches(ToNode(root)))
            {
                return false;
            }

            var routingKey = delivery.RoutingKey;
            frame = ChannelFrames.Change("item", Spec.Resource.Name, writer => writer.WriteStringValue(routingKey), root);
            return true;
        }

        return TryEncodeWaterline(delivery.RoutingKey, root, evaluate, out frame);
    }

    /// <summary>
    /// RackHD publishes a model change as routing key <c>&lt;collection&gt;.&lt;event&gt;.&lt;id&gt;</c> with body
    /// <c>{"event","record"}</c>; the contract turns <c>destroyed</c> into <c>remove</c> and every other event into
    /// <c>item</c> with the id <c>[event, id]</c>.
    /// </summary>
    private bool TryEncodeWaterline(string routingKey, JsonElement root, bool evaluateFilter, out ReadOnlyMemory<byte> frame)
    {
        frame = default;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("record", out var record)
            || record.ValueKind != JsonValueKind.Object)
        {
            ChannelLog.DeliveryDropped(_logger, Spec.Resource.Name, Spec.Source.Exchange, routingKey, "body has no 'record' object");
            return false;
        }

        var eventName = root.TryGetProperty("event", out var ev) && ev.ValueKind == JsonValueKind.String
            ? ev.GetString()!
            : WordAt(routingKey, 1);
        if (string.IsNullOrEmpty(eventName))
        {
            ChannelLog.DeliveryDropped(_logger, Spec.Resource.Name, Spec.Source.Exchange, routingKey, "no event name in body or routing key");
            return false;
        }

        if (evaluateFilter && !Spec.Filter.Matches(ToNode(record)))
        {
            return false;
        }

        var id = IdFromRoutingKey(routingKey) ?? IdFromRecord(record);
        var resource = Spec.Resource.Name;
        frame = eventName == "destroyed"
            ? ChannelFrames.Change("remove", resource, writer => writer.WriteStringValue(id), record)
            : ChannelFrames.Change("item", resource, writer =>
            {
                writer.WriteStartArray();
                writer.WriteStringValue(eventName);
                writer.WriteStringValue(id);
                writer.WriteEndArray();
            }, record);
        return true;
    }

    private string? IdFromRecord(JsonElement record)
    {
        foreach (var field in new[] { Spec.Resource.IdField, "id", "_id" })
        {
            if (record.TryGetProperty(field, out var value))
            {
                return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
            }
        }

        return null;
    }

    /// <summary>Everything after <c>&lt;collection&gt;.&lt;event&gt;.</c>; ids never contain dots in RackHD, but keep them whole if they do.</summary>
    private static string? IdFromRoutingKey(string routingKey)
    {
        var first = routingKey.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : routingKey.IndexOf('.', first + 1);
        return second < 0 || second == routingKey.Length - 1 ? null : routingKey[(second + 1)..];
    }

    private static string? WordAt(string routingKey, int index)
    {
        var words = routingKey.Split('.');
        return index < words.Length ? words[index] : null;
    }

    private static JsonNode? ToNode(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(element),
        JsonValueKind.Array => JsonArray.Create(element),
        _ => JsonValue.Create(element),
    };

    private abstract record QueuedWork;

    private sealed record QueuedDelivery(string Exchange, string RoutingKey, byte[] Body, long ReceivedTimestamp) : QueuedWork;

    private sealed record QueuedFlush(WebSocketConnection Connection, ReadOnlyMemory<byte> Frame, IReadOnlyList<JsonObject> Snapshot) : QueuedWork
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
