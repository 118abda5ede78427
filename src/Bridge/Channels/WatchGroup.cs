using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Connections;
using Bridge.Documents;
using Bridge.Observability;

namespace Bridge.Channels;

/// <summary>What a watch asks for, in a form where equal requests compare equal (key order does not matter).</summary>
public sealed record WatchSpec(ResourceDefinition Resource, string CanonicalParams, WatchSource Source, Filter Filter)
{
    public (string Resource, string Params) Key => (Resource.Name, CanonicalParams);
}

/// <summary>
/// All connections watching the same resource with the same params. The group holds one broker
/// subscription, turns each delivery into a frame once, and queues that frame to every member.
/// </summary>
public sealed class WatchGroup
{
    private readonly ILogger _logger;
    private readonly FrontMetrics _metrics;
    private readonly object _membersLock = new();
    private ImmutableArray<WebSocketConnection> _members = [];

    // Members waiting for their snapshot: their live frames are held here, in order, until FlushSnapshot.
    private volatile ImmutableDictionary<WebSocketConnection, List<ReadOnlyMemory<byte>>> _buffering =
        ImmutableDictionary<WebSocketConnection, List<ReadOnlyMemory<byte>>>.Empty;

    public WatchGroup(WatchSpec spec, FrontMetrics metrics, ILogger logger)
    {
        Spec = spec;
        _metrics = metrics;
        _logger = logger;
    }

    public WatchSpec Spec { get; }

    internal IAsyncDisposable? Subscription { get; set; }

    public int MemberCount => _members.Length;

    internal void Add(WebSocketConnection connection, bool bufferUntilSnapshot = false)
    {
        lock (_membersLock)
        {
            if (bufferUntilSnapshot)
            {
                _buffering = _buffering.SetItem(connection, []);
            }

            _members = _members.Add(connection);
        }
    }

    /// <summary>
    /// Sends <paramref name="snapshotFrame"/>, then the live frames held since the member joined that the snapshot
    /// does not already reflect (<see cref="SnapshotMerge"/>), then lets live frames through again. Done under the
    /// members lock, so no live frame can overtake the snapshot or the held frames.
    /// </summary>
    internal void FlushSnapshot(WebSocketConnection connection, ReadOnlyMemory<byte> snapshotFrame, IReadOnlyList<System.Text.Json.Nodes.JsonObject> snapshot)
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

    internal bool Contains(WebSocketConnection connection) => _members.Contains(connection);

    /// <returns>True when the group has no members left.</returns>
    internal bool Remove(WebSocketConnection connection)
    {
        lock (_membersLock)
        {
            _buffering = _buffering.Remove(connection);
            _members = _members.Remove(connection);
            return _members.IsEmpty;
        }
    }

    /// <summary>The broker's callback: runs on its dispatch thread, never blocks.</summary>
    internal void OnDelivery(in BrokerDelivery delivery)
    {
        var members = _members;
        if (members.IsEmpty)
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

        if (_buffering.IsEmpty)
        {
            foreach (var member in members)
            {
                member.TrySend(frame);
            }

            _metrics.DeliveryHandedOver(delivery.ReceivedTimestamp);
            return;
        }

        // Rare: a member is reading its snapshot. Fan out under the lock so FlushSnapshot sees a consistent buffer.
        lock (_membersLock)
        {
            foreach (var member in _members)
            {
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

    private bool TryEncode(in BrokerDelivery delivery, out ReadOnlyMemory<byte> frame)
    {
        frame = default;
        var resource = Spec.Resource.Name;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(delivery.Body);
        }
        catch (JsonException) when (Spec.Source.Format == WatchFormat.Raw && Spec.Filter == Filter.Empty)
        {
            // A raw subscription forwards what producers send; a non-JSON body travels as a string.
            var text = Encoding.UTF8.GetString(delivery.Body.Span);
            frame = ChannelFrames.Change("item", resource, JsonValue.Create(delivery.RoutingKey), JsonValue.Create(text));
            return true;
        }

        using (document)
        {
            var root = document.RootElement;
            if (Spec.Source.Format == WatchFormat.Raw)
            {
                if (Spec.Filter != Filter.Empty && !Spec.Filter.Matches(ToNode(root)))
                {
                    return false;
                }

                var routingKey = delivery.RoutingKey;
                frame = ChannelFrames.Change("item", resource, writer => writer.WriteStringValue(routingKey), root);
                return true;
            }

            return TryEncodeWaterline(delivery.RoutingKey, root, out frame);
        }
    }

    /// <summary>
    /// RackHD publishes a model change as routing key <c>&lt;collection&gt;.&lt;event&gt;.&lt;id&gt;</c> with body
    /// <c>{"event","record"}</c>; the contract turns <c>destroyed</c> into <c>remove</c> and every other event into
    /// <c>item</c> with the id <c>[event, id]</c>.
    /// </summary>
    private bool TryEncodeWaterline(string routingKey, JsonElement root, out ReadOnlyMemory<byte> frame)
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

        if (Spec.Filter != Filter.Empty && !Spec.Filter.Matches(ToNode(record)))
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
}
