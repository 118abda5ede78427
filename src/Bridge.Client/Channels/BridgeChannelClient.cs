using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Bridge.Client.Channels;

/// <summary>
/// A client of the bridge's MonoRail channel protocol (ws://host/{channel}) that stays connected: when the
/// connection drops it reconnects with exponential backoff and jitter and re-sends every active watch, so
/// watch streams continue by themselves. <see cref="DisconnectAsync"/> ends it for good (RackHD's
/// Messenger reconnected even after <c>disconnect()</c>).
/// </summary>
/// <remarks>
/// <para>
/// The protocol has no correlation ids. Replies are matched to requests by (reply kind, resource) in FIFO
/// order per connection: the bridge handles the messages of one connection one at a time and answers in
/// order, so the n-th <c>list</c> for resource R answers the n-th <c>query</c>/<c>all</c> sent for R, and
/// the n-th <c>item</c>/<c>remove</c> answer for R the n-th <c>get</c>. Errors name the refused request
/// (<c>params.request</c>) and are matched the same way.
/// </para>
/// <para>
/// A <c>get</c> answer and a watch event share the <c>item</c>/<c>remove</c> shapes. While a <c>get</c>
/// on R is pending, an <c>item</c> whose id is not a waterline pair (<c>["updated","id"]</c>) answers it,
/// and a <c>remove</c> answers it when its data equals the <c>get</c>'s params (the bridge echoes them);
/// anything else is a watch event.
/// </para>
/// <para>
/// An <c>mq</c> item carries its routing key but not its exchange: items go to the <c>mq</c> watches whose
/// routing-key pattern matches, so two <c>mq</c> watches on one connection with overlapping patterns on
/// different exchanges (<c>#</c> on <c>on.logging</c> and <c>graph.#</c> on <c>on.events</c>) cannot be told
/// apart. Use one client per exchange in that case.
/// </para>
/// </remarks>
public sealed class BridgeChannelClient : IAsyncDisposable
{
    private readonly BridgeChannelClientOptions _options;
    private readonly Uri _uri;
    private readonly string _defaultResource;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _reconnectPipeline;
    private readonly FrameSender _sender = new();
    private readonly ReadySignal _ready = new();
    private readonly Lock _stateLock = new();
    private readonly Dictionary<(string Kind, string Resource), LinkedList<PendingRequest>> _pending = [];
    private readonly List<ChannelWatch> _watches = [];

    private ClientWebSocket? _socket;
    private TaskCompletionSource<Guid>? _sessionReply;
    private readonly ClientLifecycle _lifecycle = new();

    public BridgeChannelClient(BridgeChannelClientOptions options, ILogger<BridgeChannelClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _uri = options.Uri ?? throw new ArgumentException("BridgeChannelClientOptions.Uri is required", nameof(options));
        if (_uri.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"BridgeChannelClientOptions.Uri must be ws:// or wss://, not '{_uri}'", nameof(options));
        }

        _defaultResource = Uri.UnescapeDataString(_uri.AbsolutePath.Trim('/'));
        _logger = logger ?? NullLogger<BridgeChannelClient>.Instance;
        _reconnectPipeline = Reconnection.CreatePipeline(
            options.TimeProvider,
            options.ReconnectDelay,
            options.MaxReconnectDelay,
            isFinal: ex => ex is OperationCanceledException && _lifecycle.IsEnding,
            onRetry: (attempt, delay, error) => ClientLog.ReconnectFailed(_logger, attempt, _uri, delay, error));
    }

    /// <summary>After every (re)connection, once the session id is known and the watches are restored.</summary>
    public event EventHandler<ChannelReadyEventArgs>? Ready;

    /// <summary>The server reported the connection's session id (every connection gets a new one).</summary>
    public event EventHandler<ChannelSessionEventArgs>? Session;

    public event EventHandler<ChannelDisconnectedEventArgs>? Disconnected;

    /// <summary>An <c>error</c> reply that no pending request awaited, e.g. a refused watch.</summary>
    public event EventHandler<ChannelErrorEventArgs>? Error;

    /// <summary>The session id of the current connection, or null while disconnected.</summary>
    public Guid? SessionId { get; private set; }

    public bool IsConnected => _ready.IsReady && _lifecycle.IsRunning;

    /// <summary>
    /// Opens the connection and waits for the session. The first attempt's failure is thrown (a wrong URL
    /// or token should be seen at once); after that the client reconnects by itself.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.StartAsync(ct => EstablishAsync(isReconnect: false, ct), RunAsync, cancellationToken);
    }

    /// <summary><c>{"handler":"all"}</c>: every document of the resource (bounded by the server's maximum).</summary>
    public Task<ChannelList> AllAsync(string? resource = null, CancellationToken cancellationToken = default) =>
        RequestAsync<ChannelList>("all", "list", resource, null, cancellationToken);

    /// <summary><c>{"handler":"query","params":filter}</c>: the documents matching a filter (MongoDB subset, or Waterline's where/limit/skip/sort).</summary>
    public Task<ChannelList> QueryAsync(JsonObject filter, string? resource = null, CancellationToken cancellationToken = default) =>
        RequestAsync<ChannelList>("query", "list", resource, filter ?? throw new ArgumentNullException(nameof(filter)), cancellationToken);

    /// <summary><c>{"handler":"get","params":filter}</c>: the first match, or null when nothing matches.</summary>
    public async Task<ChannelItem?> GetAsync(JsonObject filter, string? resource = null, CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync<ChannelEvent>("get", "get", resource, filter ?? throw new ArgumentNullException(nameof(filter)), cancellationToken);
        return reply as ChannelItem;
    }

    /// <summary>
    /// Starts a watch: <c>{"handler":"watch","params":parameters}</c>. Read its events from the returned
    /// <see cref="ChannelWatch"/>; it survives reconnections (the client re-sends it) until it is stopped or disposed.
    /// For <c>mq</c> pass <c>{"exchange":E,"routingKey":K}</c>.
    /// </summary>
    public async Task<ChannelWatch> WatchAsync(JsonObject? parameters = null, string? resource = null, CancellationToken cancellationToken = default)
    {
        var name = ResolveResource(resource);
        var watch = new ChannelWatch(this, name, parameters?.DeepClone().AsObject(), _options.WatchBufferCapacity, _logger);
        bool first;
        lock (_stateLock)
        {
            first = !_watches.Any(existing => existing.Key == watch.Key);
            _watches.Add(watch);
        }

        // A second watch with the same identity shares the server's (which ignores repeats); only the first is sent.
        if (first)
        {
            try
            {
                await SendWhenReadyAsync(WatchFrame(watch), cancellationToken);
            }
            catch
            {
                lock (_stateLock)
                {
                    _watches.Remove(watch);
                }

                watch.Complete(null);
                throw;
            }
        }

        return watch;
    }

    /// <summary>
    /// <c>{"handler":"stop","params":parameters}</c>: ends this client's watches with those params on the
    /// resource (every watch of the resource when <paramref name="parameters"/> is null).
    /// </summary>
    public async Task StopAsync(JsonObject? parameters = null, string? resource = null, CancellationToken cancellationToken = default)
    {
        var name = ResolveResource(resource);
        var key = parameters is null ? null : ChannelWatch.KeyOf(name, parameters);
        List<ChannelWatch> stopped;
        lock (_stateLock)
        {
            stopped = _watches.Where(watch => watch.Resource == name && (key is null || watch.Key == key)).ToList();
            _watches.RemoveAll(stopped.Contains);
        }

        foreach (var watch in stopped)
        {
            watch.Complete(null);
        }

        if (IsConnected)
        {
            await SendWhenReadyAsync(Frame("stop", name, parameters), cancellationToken);
        }
    }

    internal async Task StopWatchAsync(ChannelWatch watch, CancellationToken cancellationToken)
    {
        bool last;
        lock (_stateLock)
        {
            if (!_watches.Remove(watch))
            {
                return;
            }

            last = !_watches.Any(other => other.Key == watch.Key);
        }

        watch.Complete(null);
        // The server ends a watch for the connection, not for one reader: stop only when no reader is left.
        if (last && IsConnected)
        {
            await SendWhenReadyAsync(Frame("stop", watch.Resource, watch.Parameters ?? []), cancellationToken);
        }
    }

    /// <summary>Closes the connection and stays disconnected: no reconnection follows, watches end, pending requests fail.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        if (!await _lifecycle.CloseAsync(() => _socket, cancellationToken))
        {
            return;
        }

        FailPending(new ChannelDisconnectedException("the client was disconnected"));
        _ready.Fail(new ObjectDisposedException(nameof(BridgeChannelClient)));
        List<ChannelWatch> watches;
        lock (_stateLock)
        {
            watches = [.. _watches];
            _watches.Clear();
        }

        foreach (var watch in watches)
        {
            watch.Complete(null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync();
        _lifecycle.Dispose();
        _sender.Dispose();
    }

    private Task RunAsync(ClientWebSocket socket, Task receiving, CancellationToken lifetime) =>
        Reconnection.RunAsync(
            socket,
            receiving,
            _options.AutoReconnect,
            _reconnectPipeline,
            ct => EstablishAsync(isReconnect: true, ct),
            dropped: MarkDisconnected,
            // Only a cancelled lifetime stops the retries, and that ends the loop before this.
            gaveUp: error => MarkDisconnected(error, willReconnect: false),
            lifetime);

    /// <summary>Open, <c>init</c>, wait for <c>session</c>, re-send the watches, signal ready. Throws (and cleans up) on any failure.</summary>
    private async Task<(ClientWebSocket Socket, Task Receiving)> EstablishAsync(bool isReconnect, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
        socket.Options.KeepAliveTimeout = _options.KeepAliveTimeout;
        var uri = _uri;
        if (!string.IsNullOrEmpty(_options.Token))
        {
            if (_options.SendTokenAsBearerHeader)
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {_options.Token}");
            }
            else
            {
                var separator = string.IsNullOrEmpty(_uri.Query) ? "?" : "&";
                uri = new Uri($"{_uri}{separator}token={Uri.EscapeDataString(_options.Token)}");
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        Task? receiving = null;
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
            var session = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
            _sessionReply = session;
            _socket = socket;
            receiving = ReceiveLoopAsync(socket, _lifecycle.Lifetime);
            await _sender.SendAsync(socket, Frame("init", null, null), timeout.Token);
            var sessionId = await session.Task.WaitAsync(timeout.Token);

            List<ChannelWatch> active;
            lock (_stateLock)
            {
                active = _watches.DistinctBy(watch => watch.Key).ToList();
            }

            foreach (var watch in active)
            {
                await _sender.SendAsync(socket, WatchFrame(watch), timeout.Token);
            }

            SessionId = sessionId;
            ClientLog.ChannelConnected(_logger, _uri, sessionId, active.Count, isReconnect);
            _ready.SetReady();
            Raise(Ready, new ChannelReadyEventArgs(sessionId, isReconnect, active.Count), nameof(Ready));
            return (socket, receiving);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await WebSocketMessages.AbandonAsync(socket, receiving);
            throw new TimeoutException($"no session from {_uri} within {_options.ConnectTimeout.TotalSeconds} s");
        }
        catch
        {
            await WebSocketMessages.AbandonAsync(socket, receiving);
            throw;
        }
    }

    private void MarkDisconnected(Exception? error, bool willReconnect)
    {
        _ready.Reset();
        SessionId = null;
        FailPending(new ChannelDisconnectedException("the channel connection closed before the reply arrived"));
        ClientLog.ChannelDisconnected(_logger, _uri, willReconnect, error);
        Raise(Disconnected, new ChannelDisconnectedEventArgs(error, willReconnect), nameof(Disconnected));
    }

    private async Task<T> RequestAsync<T>(string handler, string kind, string? resource, JsonObject? parameters, CancellationToken cancellationToken)
        where T : ChannelEvent
    {
        var name = ResolveResource(resource);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var pending = new PendingRequest(parameters?.DeepClone());
        try
        {
            await WaitReadyAsync(timeout.Token);
            var frame = Frame(handler, name, parameters);
            LinkedListNode<PendingRequest>? node = null;
            try
            {
                // Enqueued under the send lock so queue order is wire order, which is reply order.
                await _sender.SendAsync(CurrentSocket, frame, () => node = Enqueue((kind, name), pending), timeout.Token);
            }
            catch
            {
                if (node is not null)
                {
                    lock (_stateLock)
                    {
                        node.List?.Remove(node);
                    }
                }

                throw;
            }

            // On cancellation the request stays queued: its reply will still come and must be consumed by it.
            var reply = await pending.Reply.Task.WaitAsync(timeout.Token);
            return (T)reply;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no reply to '{handler}' on '{name}' within {_options.RequestTimeout.TotalSeconds} s");
        }
    }

    private LinkedListNode<PendingRequest> Enqueue((string Kind, string Resource) key, PendingRequest pending)
    {
        lock (_stateLock)
        {
            if (!_pending.TryGetValue(key, out var queue))
            {
                _pending[key] = queue = new LinkedList<PendingRequest>();
            }

            return queue.AddLast(pending);
        }
    }

    private async Task SendWhenReadyAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        await WaitReadyAsync(timeout.Token);
        await _sender.SendAsync(CurrentSocket(), frame, timeout.Token);
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        if (_lifecycle.IsNew)
        {
            throw new InvalidOperationException("call ConnectAsync first");
        }

        ObjectDisposedException.ThrowIf(_lifecycle.IsClosed, this);
        await _ready.WaitAsync(cancellationToken);
    }

    private ClientWebSocket CurrentSocket() => _socket ?? throw new ChannelDisconnectedException("not connected");

    private async Task ReceiveLoopAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        await WebSocketMessages.ReceiveAsync(socket, (type, payload) =>
        {
            if (type == WebSocketMessageType.Text)
            {
                Dispatch(payload);
            }
        }, cancellationToken);

        // The server closed the connection: the reconnection loop sees why.
        throw new BridgeClosedException(socket.CloseStatus, socket.CloseStatusDescription);
    }

    private void Dispatch(ReadOnlySpan<byte> utf8)
    {
        JsonObject message;
        try
        {
            message = JsonNode.Parse(utf8) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException ex)
        {
            ClientLog.UnparseableMessage(_logger, ex);
            return;
        }

        var handler = message["handler"]?.GetValueKind() == JsonValueKind.String ? message["handler"]!.GetValue<string>() : null;
        var resource = message["resource"]?.GetValueKind() == JsonValueKind.String ? message["resource"]!.GetValue<string>() : _defaultResource;
        switch (handler)
        {
            case "session":
                if (Guid.TryParse(message["id"]?.ToString(), out var sessionId))
                {
                    _sessionReply?.TrySetResult(sessionId);
                    Raise(Session, new ChannelSessionEventArgs(sessionId), nameof(Session));
                }

                break;
            case "list":
                var list = new ChannelList(resource, message["items"] is JsonArray items
                    ? items.OfType<JsonObject>().Select(item => (JsonObject)item.DeepClone()).ToList()
                    : []);
                if (!TryAnswer("list", resource, list, _ => true))
                {
                    DeliverToWatches(list);
                }

                break;
            case "item":
                var item = new ChannelItem(resource, message["id"]?.DeepClone(), message["data"]?.DeepClone()) { Position = PositionOf(message) };
                if (!TryAnswer("get", resource, item, _ => item.Id is not JsonArray))
                {
                    DeliverToWatches(item);
                }

                break;
            case "remove":
                var remove = new ChannelRemove(resource, message["id"]?.DeepClone(), message["data"]?.DeepClone()) { Position = PositionOf(message) };
                if (!TryAnswer("get", resource, remove, pending => JsonNode.DeepEquals(pending.Parameters, remove.Data)))
                {
                    DeliverToWatches(remove);
                }

                break;
            case "recovered":
                DeliverRecovered(resource, message);
                break;
            case "error":
                var parameters = message["params"] as JsonObject;
                var request = parameters?["request"]?.ToString();
                var error = new ChannelErrorException(
                    message["resource"]?.ToString(),
                    parameters?["code"]?.ToString() ?? "unknown",
                    parameters?["message"]?.ToString() ?? "the bridge reported an error without a message",
                    request);
                var kind = request switch
                {
                    "query" or "all" => "list",
                    "get" => "get",
                    _ => null,
                };
                if (request == "watch" && error.Code == "not_supported" && TryWatchWithoutRecovery(resource, parameters, error))
                {
                    break;
                }

                if (kind is null || !TryFail(kind, resource, error))
                {
                    Raise(Error, new ChannelErrorEventArgs(error), nameof(Error));
                }

                break;
            default:
                ClientLog.UnparseableMessage(_logger, new JsonException($"unknown handler '{handler}'"));
                break;
        }
    }

    private bool TryAnswer(string kind, string resource, ChannelEvent reply, Func<PendingRequest, bool> isAnswer)
    {
        PendingRequest? pending;
        lock (_stateLock)
        {
            if (!_pending.TryGetValue((kind, resource), out var queue) || queue.First is null || !isAnswer(queue.First.Value))
            {
                return false;
            }

            pending = queue.First.Value;
            queue.RemoveFirst();
        }

        pending.Reply.TrySetResult(reply);
        return true;
    }

    private bool TryFail(string kind, string resource, ChannelErrorException error)
    {
        PendingRequest? pending;
        lock (_stateLock)
        {
            if (!_pending.TryGetValue((kind, resource), out var queue) || queue.First is null)
            {
                return false;
            }

            pending = queue.First.Value;
            queue.RemoveFirst();
        }

        pending.Reply.TrySetException(error);
        return true;
    }

    private void FailPending(Exception error)
    {
        List<PendingRequest> failed;
        lock (_stateLock)
        {
            failed = _pending.Values.SelectMany(queue => queue).ToList();
            _pending.Clear();
        }

        foreach (var pending in failed)
        {
            pending.Reply.TrySetException(error);
        }
    }

    private void DeliverToWatches(ChannelEvent change)
    {
        List<ChannelWatch> targets;
        lock (_stateLock)
        {
            targets = _watches.Where(watch => watch.Accepts(change)).ToList();
        }

        foreach (var watch in targets)
        {
            watch.Deliver(change);
        }
    }

    /// <summary>The end of a replay goes to the watches with exactly those params (the bridge echoes them).</summary>
    private void DeliverRecovered(string resource, JsonObject message)
    {
        var parameters = message["params"] as JsonObject;
        var recovered = new ChannelRecovered(resource, parameters?.DeepClone().AsObject(),
            message["recovered"]?.GetValueKind() == JsonValueKind.True,
            message["missed"] is JsonValue missed && missed.TryGetValue<long>(out var count) ? count : 0);
        var key = ChannelWatch.KeyOf(resource, parameters is { Count: > 0 } ? parameters : null);
        List<ChannelWatch> targets;
        lock (_stateLock)
        {
            targets = _watches.Where(watch => watch.Key == key).ToList();
        }

        ClientLog.WatchRecovered(_logger, resource, recovered.Recovered, recovered.Missed);
        foreach (var watch in targets)
        {
            watch.Deliver(recovered);
        }
    }

    /// <summary>
    /// The bridge refused <c>"recover"</c> on a watch (<c>not_supported</c>: an exchange it does not retain, or
    /// recovery off): the watch goes on without it, and its application is told once (a <see cref="ChannelRecovered"/>
    /// with <see cref="ChannelRecovered.RecoverySupported"/> false). The error names the refused watch by its params
    /// (<c>"watch"</c>); one that does not (an older bridge) is taken for the only recovering watch of its resource.
    /// A watch already sent without recovery is refused for another reason: that error goes to the application.
    /// </summary>
    private bool TryWatchWithoutRecovery(string resource, JsonObject? errorParameters, ChannelErrorException error)
    {
        List<ChannelWatch> targets;
        lock (_stateLock)
        {
            var recovering = _watches.Where(watch => watch.Resource == resource && watch.Recovers).ToList();
            if (errorParameters?["watch"] is JsonObject refused)
            {
                var key = ChannelWatch.KeyOf(resource, refused.Count > 0 ? refused : null);
                targets = recovering.Where(watch => watch.Key == key).ToList();
            }
            else
            {
                targets = recovering.Select(static watch => watch.Key).Distinct().Count() == 1 ? recovering : [];
            }

            foreach (var watch in targets)
            {
                watch.Recovers = false;
            }
        }

        if (targets.Count == 0)
        {
            return false;
        }

        ClientLog.WatchRecoveryUnsupported(_logger, resource, error.ServerMessage);
        var first = targets[0];
        _ = ResendWithoutRecoveryAsync(first);
        foreach (var watch in targets)
        {
            watch.Deliver(new ChannelRecovered(resource, watch.Parameters?.DeepClone().AsObject(), Recovered: false, Missed: 0) { RecoverySupported = false });
        }

        return true;
    }

    // Off the receive loop, which must not wait for a send.
    private async Task ResendWithoutRecoveryAsync(ChannelWatch watch)
    {
        try
        {
            await SendWhenReadyAsync(WatchFrame(watch), CancellationToken.None);
        }
        catch (Exception ex) when (ex is ChannelDisconnectedException or OperationCanceledException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            ClientLog.WatchResendFailed(_logger, watch.Resource, ex);
        }
    }

    private static string? PositionOf(JsonObject message) =>
        message["position"] is JsonValue value && value.TryGetValue<string>(out var position) ? position : null;

    /// <summary><c>watch</c>, with <c>"recover": true</c> and, once the watch has a position, <c>"since"</c> (recovery, issue 16 §1).</summary>
    private ReadOnlyMemory<byte> WatchFrame(ChannelWatch watch)
    {
        if (!_options.Recover || !watch.Recovers)
        {
            return Frame("watch", watch.Resource, watch.Parameters);
        }

        var frame = new JsonObject { ["handler"] = "watch", ["resource"] = watch.Resource, ["recover"] = true };
        if (watch.Parameters is not null)
        {
            frame["params"] = watch.Parameters.DeepClone();
        }

        if (watch.Position is { } position)
        {
            frame["since"] = position;
        }

        return JsonSerializer.SerializeToUtf8Bytes(frame);
    }

    private void Raise<TArgs>(EventHandler<TArgs>? handler, TArgs args, string name) => ClientEvents.Raise(this, handler, args, name, _logger);

    private string ResolveResource(string? resource)
    {
        var name = resource ?? _defaultResource;
        return name.Length > 0 ? name : throw new ArgumentException("name a resource, or connect to ws://host/{resource}", nameof(resource));
    }

    private static ReadOnlyMemory<byte> Frame(string handler, string? resource, JsonObject? parameters)
    {
        var frame = new JsonObject { ["handler"] = handler };
        if (resource is not null)
        {
            frame["resource"] = resource;
        }

        if (parameters is not null)
        {
            frame["params"] = parameters.DeepClone();
        }

        return JsonSerializer.SerializeToUtf8Bytes(frame);
    }

    private sealed class PendingRequest(JsonNode? parameters)
    {
        public JsonNode? Parameters { get; } = parameters;

        public TaskCompletionSource<ChannelEvent> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
