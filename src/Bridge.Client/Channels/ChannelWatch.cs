using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Bridge.Client.Channels;

/// <summary>
/// One active watch: an async stream of its <see cref="ChannelItem"/>, <see cref="ChannelRemove"/> and
/// <see cref="ChannelList"/> events that continues across reconnections. Dispose (or <see cref="StopAsync"/>) to end it.
/// </summary>
public sealed class ChannelWatch : IAsyncEnumerable<ChannelEvent>, IAsyncDisposable
{
    private readonly BridgeChannelClient _client;
    private readonly Channel<ChannelEvent> _events;
    private readonly string? _routingKey;

    internal ChannelWatch(BridgeChannelClient client, string resource, JsonObject? parameters, int capacity, ILogger logger)
    {
        _client = client;
        Resource = resource;
        Parameters = parameters;
        Key = KeyOf(resource, parameters);
        // An mq item carries only its routing key: the pattern tells this watch's items from another mq watch's.
        _routingKey = parameters?["routingKey"] is JsonValue value && value.TryGetValue<string>(out var pattern) ? pattern : null;
        _events = Channel.CreateBounded<ChannelEvent>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
            _ => ClientLog.WatchOverflow(logger, resource));
    }

    public string Resource { get; }

    public JsonObject? Parameters { get; }

    internal string Key { get; }

    /// <summary>The last <c>position</c> this watch received (recovery), sent as <c>"since"</c> when the watch is re-sent.</summary>
    public string? Position => Volatile.Read(ref _position);

    private string? _position;
    private volatile bool _recovers = true;

    /// <summary>False once the bridge refused <c>"recover"</c> for this watch: it is sent without it from then on.</summary>
    internal bool Recovers
    {
        get => _recovers;
        set => _recovers = value;
    }

    /// <summary>The events as they arrive; ends when the watch is stopped or the client disconnected.</summary>
    public async IAsyncEnumerable<ChannelEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var change in _events.Reader.ReadAllAsync(cancellationToken))
        {
            yield return change;
        }
    }

    /// <summary>Waits for the next event, bounded by <paramref name="timeout"/>.</summary>
    public async Task<ChannelEvent> ReadAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await _events.Reader.ReadAsync(limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no event on the watch of '{Resource}' within {timeout.TotalSeconds} s");
        }
    }

    public IAsyncEnumerator<ChannelEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);

    /// <summary>Ends the watch (sends <c>stop</c> unless another watch of this client has the same params).</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _client.StopWatchAsync(this, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (Exception ex) when (ex is ChannelDisconnectedException or TimeoutException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            // The connection is gone, and with it the server's watch.
        }
    }

    internal static string KeyOf(string resource, JsonObject? parameters) =>
        resource + "\n" + (parameters is null ? "{}" : Canonical(parameters));

    internal bool Accepts(ChannelEvent change) =>
        change.Resource == Resource
        && (_routingKey is null || change is not ChannelItem { Id: JsonValue id } || RoutingKeyPattern.Matches(_routingKey, id.ToString()));

    internal void Deliver(ChannelEvent change)
    {
        if (change is ChannelItem { Position: { } itemPosition })
        {
            Volatile.Write(ref _position, itemPosition);
        }
        else if (change is ChannelRemove { Position: { } removePosition })
        {
            Volatile.Write(ref _position, removePosition);
        }

        _events.Writer.TryWrite(change);
    }

    internal void Complete(Exception? error) => _events.Writer.TryComplete(error);

    /// <summary>Key order must not matter (the bridge compares watches the same way).</summary>
    private static string Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => "{" + string.Join(",", obj.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => JsonSerializer.Serialize(pair.Key) + ":" + Canonical(pair.Value))) + "}",
        JsonArray array => "[" + string.Join(",", array.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };
}
