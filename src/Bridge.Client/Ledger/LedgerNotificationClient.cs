using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Bridge.Client.Ledger;

/// <summary>
/// A client of the ledger notification API (five-bells-ledger's <c>/websocket</c>, JSON-RPC 2.0): gets a
/// token from <c>/auth_token</c> with HTTP Basic, connects with <c>?token=</c>, waits for the server's
/// <c>connect</c> notification, and then subscribes; notifications arrive as <see cref="LedgerNotification"/>.
/// When the connection drops it reconnects with exponential backoff and jitter (a fresh token when it logs in
/// with a password) and re-sends its subscriptions, as ilp-plugin-bells does; <see cref="DisconnectAsync"/>
/// and <see cref="DisposeAsync"/> end it for good.
/// </summary>
/// <remarks>
/// Requests carry ids (unlike the channel protocol), so replies are matched by id. The subscriptions to
/// restore are kept as the calls that made them: <c>subscribe_account</c> replaces the connection's whole
/// set (ledger-notifications.md), so it starts the list over, and the calls after it are replayed in order.
/// </remarks>
public sealed class LedgerNotificationClient : IAsyncDisposable
{
    private readonly LedgerClientOptions _options;
    private readonly Uri _baseUri;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _reconnectPipeline;
    private readonly FrameSender _sender = new();
    private readonly ReadySignal _ready = new();
    private readonly Lock _stateLock = new();
    private readonly Lock _pendingLock = new();
    private readonly Dictionary<long, PendingCall> _pending = [];
    private readonly List<SubscriptionCall> _subscriptions = [];
    private readonly Channel<LedgerNotification> _notifications = Channel.CreateBounded<LedgerNotification>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true });

    private ClientWebSocket? _socket;
    private long _nextId;
    private readonly ClientLifecycle _lifecycle = new();

    public LedgerNotificationClient(LedgerClientOptions options, ILogger<LedgerNotificationClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _baseUri = options.BaseUri ?? throw new ArgumentException("LedgerClientOptions.BaseUri is required", nameof(options));
        _logger = logger ?? NullLogger<LedgerNotificationClient>.Instance;
        _reconnectPipeline = Reconnection.CreatePipeline(
            options.TimeProvider,
            options.ReconnectDelay,
            options.MaxReconnectDelay,
            // A refused password or token will not become right by retrying: that one ends the client.
            isFinal: ex => IsRefusedLogin(ex) || (ex is OperationCanceledException && _lifecycle.IsEnding),
            onRetry: (attempt, delay, error) => ClientLog.LedgerReconnectFailed(_logger, attempt, _baseUri, delay, error));
    }

    /// <summary>Raised for every <c>notify</c> (also readable as a stream from <see cref="ReadNotificationsAsync"/>).</summary>
    public event EventHandler<LedgerNotificationEventArgs>? Notification;

    /// <summary>
    /// The connection ended (the server closed it, or it failed), or the client gave up reconnecting
    /// (<see cref="LedgerDisconnectedEventArgs.WillReconnect"/> false, with the reason in <see cref="LedgerDisconnectedEventArgs.Error"/>).
    /// Not raised by <see cref="DisconnectAsync"/> or <see cref="DisposeAsync"/>.
    /// </summary>
    public event EventHandler<LedgerDisconnectedEventArgs>? Disconnected;

    /// <summary>A dropped connection was re-established and its subscriptions were re-sent.</summary>
    public event EventHandler<LedgerReconnectedEventArgs>? Reconnected;

    /// <summary>The token of the current connection (fetched from <c>/auth_token</c> when none was given; fetched again on every reconnection).</summary>
    public string? Token { get; private set; }

    /// <summary>True while a connection is open and its subscriptions are in place.</summary>
    public bool IsConnected => _ready.IsReady && _lifecycle.IsRunning;

    /// <summary><c>GET /auth_token</c> with HTTP Basic: <c>{"token":"...","token_max_age":ms}</c>.</summary>
    public static async Task<LedgerToken> GetTokenAsync(HttpClient http, Uri baseUri, string account, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/auth_token"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}:{password}")));
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string? message = null;
            try
            {
                message = JsonNode.Parse(body)?["message"]?.ToString();
            }
            catch (JsonException)
            {
                // Not the ledger's error shape: report the status alone.
            }

            throw new HttpRequestException($"/auth_token answered {(int)response.StatusCode}: {message ?? response.ReasonPhrase}", null, response.StatusCode);
        }

        var json = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("/auth_token did not answer a JSON object");
        var token = json["token"]?.GetValue<string>() ?? throw new JsonException("/auth_token's answer has no 'token'");
        var maxAge = json["token_max_age"] is JsonValue age && age.TryGetValue<long>(out var ms) ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        return new LedgerToken(token, maxAge);
    }

    /// <summary>
    /// Connects to <c>/websocket?token=</c> and waits for the server's <c>connect</c> notification. The first
    /// attempt's failure is thrown (wrong credentials should be seen at once); after that the client
    /// reconnects by itself.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Token is null && (_options.Account is null || _options.Password is null))
        {
            throw new InvalidOperationException("set LedgerClientOptions.Token, or Account and Password");
        }

        await _lifecycle.StartAsync(ct => EstablishAsync(isReconnect: false, ct), RunAsync, cancellationToken);
    }

    /// <summary>
    /// <c>subscribe_account</c>: replaces the connection's subscriptions; names or account URIs. Returns the
    /// number of accounts. Restored after a reconnection.
    /// </summary>
    public async Task<int> SubscribeAccountAsync(IEnumerable<string> accounts, string eventType = "*", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var uris = new JsonArray(accounts.Select(account => (JsonNode)AccountUri(account)).ToArray());
        var result = await CallAsync("subscribe_account", new JsonObject { ["eventType"] = eventType, ["accounts"] = uris }, cancellationToken);
        return result?.GetValue<int>() ?? 0;
    }

    /// <summary><c>subscribe_all_accounts</c> (admins only): every account's notifications. Restored after a reconnection.</summary>
    public async Task<int> SubscribeAllAccountsAsync(string eventType = "*", CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("subscribe_all_accounts", new JsonObject { ["eventType"] = eventType }, cancellationToken);
        return result?.GetValue<int>() ?? 0;
    }

    /// <summary>
    /// Any JSON-RPC method: its <c>result</c>, or <see cref="LedgerRpcException"/> with the server's code and
    /// message. While the client reconnects the call waits for the connection (within
    /// <see cref="LedgerClientOptions.RequestTimeout"/>); a call whose connection drops before the reply
    /// fails with <see cref="LedgerDisconnectedException"/>.
    /// </summary>
    public async Task<JsonNode?> CallAsync(string method, JsonObject? parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            await WaitReadyAsync(timeout.Token);
            var socket = _socket ?? throw new LedgerDisconnectedException("the ledger connection closed");
            return await SendRequestAsync(socket, method, parameters ?? [], remember: true, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no reply to '{method}' within {_options.RequestTimeout.TotalSeconds} s");
        }
    }

    /// <summary>The notifications as they arrive, across reconnections; ends when the client is disconnected for good.</summary>
    public async IAsyncEnumerable<LedgerNotification> ReadNotificationsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var notification in _notifications.Reader.ReadAllAsync(cancellationToken))
        {
            yield return notification;
        }
    }

    /// <summary>Waits for the next notification, bounded by <paramref name="timeout"/>.</summary>
    public async Task<LedgerNotification> ReadNotificationAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await _notifications.Reader.ReadAsync(limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no ledger notification within {timeout.TotalSeconds} s");
        }
    }

    /// <summary>Closes the connection and stays disconnected: no reconnection follows, pending calls fail, the notification stream ends.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        if (!await _lifecycle.CloseAsync(() => _socket, cancellationToken))
        {
            return;
        }

        // Calls that were waiting learn the connection closed; calls made from now on, that the client is done.
        FailPending(new LedgerDisconnectedException("the client was disconnected"));
        CloseForGood(new ObjectDisposedException(nameof(LedgerNotificationClient)));
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync();
        _socket?.Dispose();
        _lifecycle.Dispose();
        _sender.Dispose();
    }

    private static bool IsSubscriptionMethod(string method) =>
        method is "subscribe_account" or "subscribe_all_accounts" or "unsubscribe_account" or "unsubscribe_all_accounts";

    private static bool IsRefusedLogin(Exception ex) => ex is HttpRequestException { StatusCode: HttpStatusCode.Unauthorized };

    private Task RunAsync(ClientWebSocket socket, Task receiving, CancellationToken lifetime) =>
        Reconnection.RunAsync(
            socket,
            receiving,
            _options.AutoReconnect,
            _reconnectPipeline,
            ct => EstablishAsync(isReconnect: true, ct),
            dropped: (error, willReconnect) =>
            {
                MarkDisconnected(error, willReconnect, lifetime);
                if (!willReconnect && !lifetime.IsCancellationRequested)
                {
                    CloseForGood(new LedgerDisconnectedException("the ledger connection closed", error));
                }
            },
            gaveUp: error =>
            {
                ClientLog.LedgerReconnectAbandoned(_logger, _baseUri, error);
                CloseForGood(new LedgerDisconnectedException("the client stopped reconnecting", error));
                Raise(Disconnected, new LedgerDisconnectedEventArgs(error, willReconnect: false), nameof(Disconnected));
            },
            lifetime);

    /// <summary>Token, open, wait for <c>connect</c>, re-send the subscriptions, signal ready. Throws (and cleans up) on any failure.</summary>
    private async Task<(ClientWebSocket Socket, Task Receiving)> EstablishAsync(bool isReconnect, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
        socket.Options.KeepAliveTimeout = _options.KeepAliveTimeout;
        Task? receiving = null;
        try
        {
            var token = _options.Token;
            if (token is null)
            {
                // Every time: the token of the previous connection may have expired meanwhile.
                using var http = new HttpClient();
                token = (await GetTokenAsync(http, _baseUri, _options.Account!, _options.Password!, timeout.Token)).Token;
            }

            var scheme = _baseUri.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
            var endpoint = new Uri($"{scheme}://{_baseUri.Authority}/websocket");
            socket.Options.CollectHttpResponseDetails = true;
            try
            {
                await socket.ConnectAsync(new Uri($"{endpoint}?token={Uri.EscapeDataString(token)}"), timeout.Token);
            }
            catch (WebSocketException ex) when (socket.HttpStatusCode == HttpStatusCode.Unauthorized)
            {
                // The ledger checks the token before the upgrade. A refused token does not become valid by
                // retrying (a fixed one was revoked or has expired), so this ends the client like a refused password.
                throw new HttpRequestException($"{endpoint} refused the token (401)", ex, HttpStatusCode.Unauthorized);
            }

            var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            receiving = ReceiveLoopAsync(socket, connected, _lifecycle.Lifetime);
            await connected.Task.WaitAsync(timeout.Token);
            Token = token;
            _socket = socket;

            List<SubscriptionCall> subscriptions;
            lock (_stateLock)
            {
                subscriptions = [.. _subscriptions];
            }

            foreach (var call in subscriptions)
            {
                try
                {
                    await SendRequestAsync(socket, call.Method, (JsonObject)call.Parameters.DeepClone(), remember: false, timeout.Token);
                }
                catch (LedgerRpcException ex)
                {
                    // The ledger refuses it now (an account was removed, a right revoked): retrying cannot change that.
                    ClientLog.LedgerResubscribeRefused(_logger, call.Method, ex);
                }
            }

            if (isReconnect)
            {
                ClientLog.LedgerReconnected(_logger, endpoint, subscriptions.Count);
            }
            else
            {
                ClientLog.LedgerConnected(_logger, endpoint);
            }

            _ready.SetReady();
            if (isReconnect)
            {
                Raise(Reconnected, new LedgerReconnectedEventArgs(subscriptions.Count), nameof(Reconnected));
            }

            return (socket, receiving);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await WebSocketMessages.AbandonAsync(socket, receiving);
            throw new TimeoutException($"no 'connect' notification (or no reply to a re-sent subscription) from {_baseUri} within {_options.ConnectTimeout.TotalSeconds} s");
        }
        catch
        {
            await WebSocketMessages.AbandonAsync(socket, receiving);
            throw;
        }
    }

    private void MarkDisconnected(Exception? error, bool willReconnect, CancellationToken lifetime)
    {
        _ready.Reset();
        FailPending(new LedgerDisconnectedException("the ledger connection closed", error));
        if (!lifetime.IsCancellationRequested)
        {
            ClientLog.LedgerDisconnected(_logger, _baseUri, willReconnect, error);
            Raise(Disconnected, new LedgerDisconnectedEventArgs(error, willReconnect), nameof(Disconnected));
        }
    }

    private void CloseForGood(Exception reason)
    {
        _lifecycle.MarkClosed();
        _ready.Fail(reason);

        FailPending(reason);
        _notifications.Writer.TryComplete();
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        if (_lifecycle.IsNew)
        {
            throw new InvalidOperationException("call ConnectAsync first");
        }

        await _ready.WaitAsync(cancellationToken);
    }

    private async Task<JsonNode?> SendRequestAsync(ClientWebSocket socket, string method, JsonObject parameters, bool remember, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var call = new PendingCall(remember && IsSubscriptionMethod(method) ? new SubscriptionCall(method, (JsonObject)parameters.DeepClone()) : null);
        lock (_pendingLock)
        {
            _pending[id] = call;
        }

        try
        {
            var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters.DeepClone() };
            try
            {
                await _sender.SendAsync(socket, JsonSerializer.SerializeToUtf8Bytes(request), cancellationToken);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
            {
                throw new LedgerDisconnectedException("the ledger connection closed", ex);
            }

            return await call.Reply.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            lock (_pendingLock)
            {
                _pending.Remove(id);
            }
        }
    }

    /// <summary>Runs on the receive loop, before it can see the connection end, so a confirmed subscription is never missed by the next replay.</summary>
    private void Remember(SubscriptionCall call)
    {
        lock (_stateLock)
        {
            switch (call.Method)
            {
                case "subscribe_account":
                    _subscriptions.Clear();
                    _subscriptions.Add(call);
                    break;
                case "unsubscribe_all_accounts":
                    _subscriptions.RemoveAll(earlier => earlier.Method == "subscribe_all_accounts");
                    break;
                default:
                    _subscriptions.Add(call);
                    break;
            }
        }
    }

    private void FailPending(Exception error)
    {
        List<PendingCall> failed;
        lock (_pendingLock)
        {
            failed = [.. _pending.Values];
        }

        foreach (var call in failed)
        {
            call.Reply.TrySetException(error);
        }
    }

    private string AccountUri(string account) =>
        account.Contains("://", StringComparison.Ordinal) ? account : new Uri(_baseUri, $"/accounts/{Uri.EscapeDataString(account)}").ToString();

    private async Task ReceiveLoopAsync(ClientWebSocket socket, TaskCompletionSource connected, CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            // Every message is read as JSON, a binary one too (it is then reported as unexpected).
            await WebSocketMessages.ReceiveAsync(socket, (_, payload) => Dispatch(payload, connected), cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            error = ex;
            throw;
        }
        finally
        {
            // Whoever waits on this connection learns now, not at its timeout.
            var closed = new LedgerDisconnectedException("the ledger connection closed", error);
            connected.TrySetException(closed);
            FailPending(closed);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> utf8, TaskCompletionSource connected)
    {
        JsonObject message;
        try
        {
            message = JsonNode.Parse(utf8) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            ClientLog.LedgerUnexpectedMessage(_logger, ex.Message);
            return;
        }

        var method = message["method"]?.ToString();
        if (method == "connect")
        {
            connected.TrySetResult();
            return;
        }

        if (method == "notify")
        {
            if (message["params"] is not JsonObject parameters)
            {
                ClientLog.LedgerUnexpectedMessage(_logger, "a notify without params");
                return;
            }

            var notification = new LedgerNotification(
                parameters["event"]?.ToString() ?? "",
                parameters["resource"] as JsonObject,
                parameters["related_resources"] as JsonObject,
                parameters["id"]?.ToString(),
                parameters);
            _notifications.Writer.TryWrite(notification);
            Raise(Notification, new LedgerNotificationEventArgs(notification), nameof(Notification));
            return;
        }

        if (message["id"] is JsonValue idValue && idValue.TryGetValue<long>(out var id))
        {
            PendingCall? pending;
            lock (_pendingLock)
            {
                _pending.Remove(id, out pending);
            }

            if (pending is null)
            {
                ClientLog.LedgerUnexpectedMessage(_logger, $"a reply to unknown request {id}");
            }
            else if (message["error"] is JsonObject error)
            {
                pending.Reply.TrySetException(LedgerRpcException.From(error));
            }
            else
            {
                if (pending.Subscription is not null)
                {
                    Remember(pending.Subscription);
                }

                pending.Reply.TrySetResult(message["result"]?.DeepClone());
            }

            return;
        }

        if (message["error"] is JsonObject uncorrelated)
        {
            // id null: the server could not read the request; fail the oldest (the client sends one at a time in practice).
            PendingCall? oldest;
            lock (_pendingLock)
            {
                var first = _pending.OrderBy(pair => pair.Key).FirstOrDefault();
                oldest = first.Value;
                if (oldest is not null)
                {
                    _pending.Remove(first.Key);
                }
            }

            oldest?.Reply.TrySetException(LedgerRpcException.From(uncorrelated));
            return;
        }

        ClientLog.LedgerUnexpectedMessage(_logger, "neither a notification nor a reply");
    }

    private void Raise<TArgs>(EventHandler<TArgs>? handler, TArgs args, string name) => ClientEvents.Raise(this, handler, args, name, _logger);

    /// <summary>A call that changed the connection's subscriptions, replayed on the next connection.</summary>
    private sealed record SubscriptionCall(string Method, JsonObject Parameters);

    private sealed class PendingCall(SubscriptionCall? subscription)
    {
        /// <summary>Set when the call is to be remembered for replay once the ledger confirms it.</summary>
        public SubscriptionCall? Subscription { get; } = subscription;

        public TaskCompletionSource<JsonNode?> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
