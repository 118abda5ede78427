using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Bridge.Broker;
using Bridge.Json;

namespace Bridge.Channels;

/// <summary>
/// The watch groups of one resource and source whose filters require a field to equal a string
/// (<c>params: {"node": "&lt;id&gt;"}</c>): they share one broker subscription, and each message is parsed once and
/// handed only to the groups whose string the message carries, by a dictionary lookup per indexed field. N UIs
/// each watching their own node cost one lookup per message, not N filter evaluations (issue 17).
/// </summary>
/// <remarks>
/// The lookup is a necessary condition only: a group handed a message still evaluates its whole filter, so a
/// filter with more conditions than the equality stays exact. The field is resolved as the filter resolves it
/// (<c>Bridge.Documents.JsonSemantics.Resolve</c>: into array elements, and numeric steps as indexes) and a string
/// inside an array counts, as MongoDB's equality does. Writers (<see cref="Add"/>, <see cref="Remove"/>) are
/// serialized by the <see cref="WatchRegistry"/>'s gate; <see cref="OnDelivery"/> reads without a lock.
/// </remarks>
internal sealed class EqualityFilterIndex(string resource, WatchSource source, ILogger logger)
{
    [ThreadStatic]
    private static List<WatchGroup>? _threadMatches;

    // Few distinct fields per source (usually one): an array replaced on change.
    private volatile FieldIndex[] _fields = [];
    private int _groups;

    public WatchSource Source { get; } = source;

    /// <summary>The index's own broker subscription, shared by all its groups.</summary>
    public IAsyncDisposable? BrokerSubscription { get; set; }

    public int GroupCount => Volatile.Read(ref _groups);

    public void Add(string path, string value, WatchGroup group)
    {
        var field = Array.Find(_fields, f => f.Path == path);
        if (field is null)
        {
            field = new FieldIndex(path);
            _fields = [.. _fields, field];
        }

        field.ByValue.AddOrUpdate(value, static (_, g) => [g], static (_, existing, g) => [.. existing, g], group);
        Volatile.Write(ref _groups, _groups + 1);
    }

    /// <returns>True when no group is left (the caller ends the broker subscription).</returns>
    public bool Remove(string path, string value, WatchGroup group)
    {
        var field = Array.Find(_fields, f => f.Path == path);
        if (field is null || !field.ByValue.TryGetValue(value, out var groups) || Array.IndexOf(groups, group) < 0)
        {
            return _groups == 0;
        }

        var kept = Array.FindAll(groups, g => !ReferenceEquals(g, group));
        if (kept.Length == 0)
        {
            field.ByValue.TryRemove(value, out _);
        }
        else
        {
            field.ByValue[value] = kept;
        }

        if (field.ByValue.IsEmpty)
        {
            _fields = Array.FindAll(_fields, f => !ReferenceEquals(f, field));
        }

        Volatile.Write(ref _groups, _groups - 1);
        return _groups == 0;
    }

    /// <summary>The broker's callback: parses the body once and hands the message to the groups it can match.</summary>
    public void OnDelivery(in BrokerDelivery delivery)
    {
        var fields = _fields;
        if (fields.Length == 0)
        {
            return;
        }

        JsonDocument document;
        try
        {
            document = UntrustedJson.ParseDocument(delivery.Body, UntrustedJson.MaxDocumentDepth);
        }
        catch (JsonException ex)
        {
            // Every group here has a filter, and a filter matches only JSON objects.
            ChannelLog.DeliveryDropped(logger, resource, delivery.Exchange, delivery.RoutingKey, "body is not acceptable JSON: " + ex.Message);
            return;
        }

        var matches = _threadMatches ?? [];
        _threadMatches = null;
        try
        {
            using (document)
            {
                if (!TryGetDocument(document.RootElement, delivery, out var filtered))
                {
                    return;
                }

                foreach (var field in fields)
                {
                    Collect(filtered, field, 0, matches);
                }

                // The parsed body goes along: a group whose filter this lookup answered encodes from it on this
                // thread, so a one-recipient message is parsed once and never copied (issue 17).
                foreach (var group in matches)
                {
                    group.OnIndexedDelivery(in delivery, document.RootElement);
                }
            }
        }
        finally
        {
            matches.Clear();
            _threadMatches = matches;
        }
    }

    /// <summary>What the groups' filters are evaluated on: the body (raw) or its <c>record</c> (waterline).</summary>
    private bool TryGetDocument(JsonElement root, in BrokerDelivery delivery, out JsonElement document)
    {
        document = root;
        if (Source.Format == WatchFormat.Waterline)
        {
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("record", out document) || document.ValueKind != JsonValueKind.Object)
            {
                ChannelLog.DeliveryDropped(logger, resource, delivery.Exchange, delivery.RoutingKey, "body has no 'record' object");
                return false;
            }
        }

        return document.ValueKind == JsonValueKind.Object;
    }

    private static void Collect(JsonElement node, FieldIndex field, int step, List<WatchGroup> matches)
    {
        var segments = field.Segments;
        if (step == segments.Length)
        {
            switch (node.ValueKind)
            {
                case JsonValueKind.String:
                    AddGroupsOf(node, field, matches);
                    break;
                case JsonValueKind.Array:
                    foreach (var element in node.EnumerateArray())
                    {
                        if (element.ValueKind == JsonValueKind.String)
                        {
                            AddGroupsOf(element, field, matches);
                        }
                    }

                    break;
            }

            return;
        }

        switch (node.ValueKind)
        {
            case JsonValueKind.Object:
                if (node.TryGetProperty(segments[step], out var child))
                {
                    Collect(child, field, step + 1, matches);
                }

                break;
            case JsonValueKind.Array:
                if (int.TryParse(segments[step], NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position < node.GetArrayLength())
                {
                    Collect(node[position], field, step + 1, matches);
                }

                foreach (var element in node.EnumerateArray())
                {
                    if (element.ValueKind == JsonValueKind.Object)
                    {
                        Collect(element, field, step, matches);
                    }
                }

                break;
        }
    }

    private static void AddGroupsOf(JsonElement value, FieldIndex field, List<WatchGroup> matches)
    {
        if (!field.ByValue.TryGetValue(value.GetString()!, out var groups))
        {
            return;
        }

        foreach (var group in groups)
        {
            // A record can carry the same string twice (an array, two paths): each group gets the message once.
            if (!matches.Contains(group))
            {
                matches.Add(group);
            }
        }
    }

    private sealed class FieldIndex(string path)
    {
        public string Path { get; } = path;

        public string[] Segments { get; } = path.Split('.');

        public ConcurrentDictionary<string, WatchGroup[]> ByValue { get; } = new(StringComparer.Ordinal);
    }
}
