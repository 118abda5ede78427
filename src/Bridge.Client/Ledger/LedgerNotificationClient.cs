using System.Buffers;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Client.Ledger;

/// <summary>
/// A client of the ledger notification API (five-bells-ledger's <c>/websocket</c>, JSON-RPC 2.0): gets a
/// token from <c>/auth_token</c> with HTTP Basic, connects with <c>?token=</c>, waits for the server's
/// <c>connect</c> notification, and then subscribes; notifications arrive as <see cref="LedgerNotification"/>.
/// </summary>
/// <remarks>Requests carry ids (unlike the channel protocol), so replies are matched by id.</remarks>
public sealed class LedgerNotificationClient : IAsyncDisposable
{
    private readonly LedgerClientOptions _options;
    private readonly Uri _baseUri;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _pendingLock = new();
    private readonly Dictionary<long, TaskCompletionSource<JsonNode?>> _pending = [];
    private readonly TaskCompletionSource _connectNotification = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<LedgerNotification> _notifications = Channel.CreateBounded<LedgerNotification>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true });
    private readonly CancellationTokenSource _lifetime = new();

    private ClientWebSocket? _socket;
    private Task? _receiving;
    private long _nextId;

    public LedgerNotificationClient(LedgerClientOptions options, ILogger<LedgerNotificationClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _baseUri = options.BaseUri ?? throw new ArgumentException("LedgerClientOptions.BaseUri is required", nameof(options));
        _logger = logger ?? NullLogger<LedgerNotificationClient>.Instance;
    }

    /// <summary>Raised for every <c>notify</c> (also readable as a stream from <see cref="ReadNotificationsAsync"/>).</summary>
    public event EventHandler<LedgerNotificationEventArgs>? Notification;

    /// <summary>The connection ended (the server closed it, or it failed).</summary>
    public event EventHandler<EventArgs>? Disconnected;

    /// <summary>The token the client connected with (fetched from <c>/auth_token</c> when none was given).</summary>
    public string? Token { get; private set; }

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

    /// <summary>Connects to <c>/websocket?token=</c> and waits for the server's <c>connect</c> notification.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (_socket is not null)
        {
            throw new InvalidOperationException("the client is already connected");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            Token = _options.Token;
            if (Token is null)
            {
                if (_options.Account is null || _options.Password is null)
                {
                    throw new InvalidOperationException("set LedgerClientOptions.Token, or Account and Password");
                }

                using var http = new HttpClient();
                Token = (await GetTokenAsync(http, _baseUri, _options.Account, _options.Password, timeout.Token)).Token;
            }

            var scheme = _baseUri.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
            var uri = new Uri($"{scheme}://{_baseUri.Authority}/websocket?token={Uri.EscapeDataString(Token)}");
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
            _socket = socket;
            await socket.ConnectAsync(uri, timeout.Token);
            _receiving = ReceiveLoopAsync(socket, _lifetime.Token);
            await _connectNotification.Task.WaitAsync(timeout.Token);
            ClientLog.LedgerConnected(_logger, uri);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no 'connect' notification from {_baseUri} within {_options.ConnectTimeout.TotalSeconds} s");
        }
    }

    /// <summary><c>subscribe_account</c>: replaces the connection's subscriptions; names or account URIs. Returns the number of accounts.</summary>
    public async Task<int> SubscribeAccountAsync(IEnumerable<string> accounts, string eventType = "*", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var uris = new JsonArray(accounts.Select(account => (JsonNode)AccountUri(account)).ToArray());
        var result = await CallAsync("subscribe_account", new JsonObject { ["eventType"] = eventType, ["accounts"] = uris }, cancellationToken);
        return result?.GetValue<int>() ?? 0;
    }

    /// <summary><c>subscribe_all_accounts</c> (admins only): every account's notifications.</summary>
    public async Task<int> SubscribeAllAccountsAsync(string eventType = "*", CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("subscribe_all_accounts", new JsonObject { ["eventType"] = eventType }, cancellationToken);
        return result?.GetValue<int>() ?? 0;
    }

    /// <summary>Any JSON-RPC method: its <c>result</c>, or <see cref="LedgerRpcException"/> with the server's code and message.</summary>
    public async Task<JsonNode?> CallAsync(string method, JsonObject? parameters, CancellationToken cancellationToken = default)
    {
        var socket = _socket ?? throw new InvalidOperationException("call ConnectAsync first");
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pendingLock)
        {
            _pending[id] = reply;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters ?? [] };
            await _sendLock.WaitAsync(timeout.Token);
            try
            {
                await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(request), WebSocketMessageType.Text, true, timeout.Token);
            }
            finally
            {
                _sendLock.Release();
            }

            return await reply.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no reply to '{method}' within {_options.RequestTimeout.TotalSeconds} s");
        }
        finally
        {
            lock (_pendingLock)
            {
                _pending.Remove(id);
            }
        }
    }

    /// <summary>The notifications as they arrive; ends when the connection ends.</summary>
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

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        if (_socket is { State: WebSocketState.Open } socket)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client disconnect", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // Best effort: aborted below.
            }
        }

        _socket?.Abort();
        if (_receiving is not null)
        {
            try
            {
                await _receiving.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
            {
                // Ended with the socket.
            }
        }

        _socket?.Dispose();
        _lifetime.Dispose();
        _sendLock.Dispose();
    }

    private string AccountUri(string account) =>
        account.Contains("://", StringComparison.Ordinal) ? account : new Uri(_baseUri, $"/accounts/{Uri.EscapeDataString(account)}").ToString();

    private async Task ReceiveLoopAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var buffer = new ArrayBufferWriter<byte>(8192);
        Exception? error = null;
        try
        {
            while (true)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(8192), cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    buffer.Advance(result.Count);
                }
                while (!result.EndOfMessage);

                Dispatch(buffer.WrittenSpan);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            error = ex;
        }
        finally
        {
            var closed = new LedgerDisconnectedException("the ledger connection closed", error);
            _connectNotification.TrySetException(closed);
            lock (_pendingLock)
            {
                foreach (var pending in _pending.Values)
                {
                    pending.TrySetException(closed);
                }
            }

            _notifications.Writer.TryComplete();
            if (!cancellationToken.IsCancellationRequested)
            {
                ClientLog.LedgerDisconnected(_logger, _baseUri, error);
                Disconnected?.Invoke(this, EventArgs.Empty);
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> utf8)
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
            _connectNotification.TrySetResult();
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
            try
            {
                Notification?.Invoke(this, new LedgerNotificationEventArgs(notification));
            }
            catch (Exception ex)
            {
                ClientLog.EventHandlerFailed(_logger, nameof(Notification), ex);
            }

            return;
        }

        if (message["id"] is JsonValue idValue && idValue.TryGetValue<long>(out var id))
        {
            TaskCompletionSource<JsonNode?>? pending;
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
                pending.TrySetException(LedgerRpcException.From(error));
            }
            else
            {
                pending.TrySetResult(message["result"]?.DeepClone());
            }

            return;
        }

        if (message["error"] is JsonObject uncorrelated)
        {
            // id null: the server could not read the request; fail the oldest (the client sends one at a time in practice).
            TaskCompletionSource<JsonNode?>? oldest;
            lock (_pendingLock)
            {
                var first = _pending.OrderBy(pair => pair.Key).FirstOrDefault();
                oldest = first.Value;
                if (oldest is not null)
                {
                    _pending.Remove(first.Key);
                }
            }

            oldest?.TrySetException(LedgerRpcException.From(uncorrelated));
            return;
        }

        ClientLog.LedgerUnexpectedMessage(_logger, "neither a notification nor a reply");
    }
}
