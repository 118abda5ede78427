using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Client.Ledger;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// The ledger client against a small fake <c>/websocket</c> that follows ledger-notifications.md (the real
/// endpoint is built separately): Basic → token, <c>connect</c> first, JSON-RPC replies by id, notify frames.
/// The fake records every connection and request and can drop its connections, so reconnection is observable.
/// </summary>
public sealed class LedgerNotificationClientTests : IAsyncLifetime
{
    private const string GoodToken = "token-of-alice";
    private const string AdminToken = "token-of-admin";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Tokens the fake accepts; a login issues a new one, and <see cref="DropConnectionsAsync"/> can expire them.</summary>
    private readonly ConcurrentDictionary<string, byte> _validTokens = new() { [GoodToken] = 0, [AdminToken] = 0 };
    private readonly ConcurrentDictionary<int, FakeConnection> _open = new();
    private readonly ConcurrentQueue<(int Connection, JsonObject Request)> _requests = new();
    private int _connections;
    private int _logins;
    private volatile bool _refuseLogins;
    private volatile bool _refuseSockets;
    private int _socketAttempts;

    private WebApplication _server = null!;
    private Uri _baseUri = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.UseWebSockets();
        _server.MapGet("/auth_token", IssueToken);
        _server.Map("/websocket", RunLedgerSocketAsync);
        await _server.StartAsync().WaitAsync(Timeout);
        var address = _server.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        _baseUri = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync().WaitAsync(Timeout);
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task GetToken_WithGoodPassword_ReturnsTokenAndMaxAge()
    {
        using var http = new HttpClient();

        var token = await LedgerNotificationClient.GetTokenAsync(http, _baseUri, "alice", "secret").WaitAsync(Timeout);

        Assert.Equal(GoodToken, token.Token);
        Assert.Equal(TimeSpan.FromDays(7), token.MaxAge);
    }

    [Fact]
    public async Task GetToken_WithBadPassword_ThrowsWithTheServersMessage()
    {
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => LedgerNotificationClient.GetTokenAsync(http, _baseUri, "alice", "wrong").WaitAsync(Timeout));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("Invalid password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribeAccount_AfterConnect_ReturnsCountAndDeliversNotifications()
    {
        await using var client = new LedgerNotificationClient(new LedgerClientOptions { BaseUri = _baseUri, Account = "alice", Password = "secret" });
        var raised = new TaskCompletionSource<LedgerNotification>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Notification += (_, args) => raised.TrySetResult(args.Notification);

        await client.ConnectAsync().WaitAsync(Timeout);
        var count = await client.SubscribeAccountAsync(["alice", "bob"]).WaitAsync(Timeout);

        Assert.Equal(GoodToken, client.Token);
        Assert.Equal(2, count);
        var notification = await client.ReadNotificationAsync(Timeout);
        Assert.Equal("transfer.create", notification.Event);
        Assert.Equal("prepared", notification.Resource?["state"]?.GetValue<string>());
        Assert.Equal($"{_baseUri.GetLeftPart(UriPartial.Authority)}/accounts/alice", notification.Resource?["debits"]?[0]?["account"]?.GetValue<string>());
        Assert.Equal(notification, await raised.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Call_WhenTheServerRefuses_ThrowsRpcErrorWithCodeAndMessage()
    {
        await using var client = new LedgerNotificationClient(new LedgerClientOptions { BaseUri = _baseUri, Token = GoodToken });
        await client.ConnectAsync().WaitAsync(Timeout);

        var unknown = await Assert.ThrowsAsync<LedgerRpcException>(() => client.CallAsync("frobnicate", null).WaitAsync(Timeout));
        var forbidden = await Assert.ThrowsAsync<LedgerRpcException>(() => client.SubscribeAllAccountsAsync().WaitAsync(Timeout));

        Assert.Equal(-32601, unknown.Code);
        Assert.Equal("RpcError: Unknown method: frobnicate", unknown.Message);
        Assert.Equal(40300, forbidden.Code);
        Assert.Equal("RpcError", forbidden.ErrorData?["name"]?.GetValue<string>());
    }

    [Fact]
    public async Task Connect_WithARefusedToken_FailsInsteadOfHanging()
    {
        await using var client = new LedgerNotificationClient(new LedgerClientOptions
        {
            BaseUri = _baseUri,
            Token = "forged",
            ConnectTimeout = TimeSpan.FromSeconds(5),
        });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.ConnectAsync().WaitAsync(Timeout));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task Reconnect_WhenAFixedTokenIsRefused_StopsInsteadOfRetryingForEver()
    {
        await using var client = NewClient(new LedgerClientOptions { Token = GoodToken });
        var gaveUp = Signal<LedgerDisconnectedEventArgs>();
        client.Disconnected += (_, args) =>
        {
            if (!args.WillReconnect)
            {
                gaveUp.TrySetResult(args);
            }
        };
        await client.ConnectAsync().WaitAsync(Timeout);

        await DropConnectionsAsync(expireTokens: true);

        var args = await gaveUp.Task.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, Assert.IsType<HttpRequestException>(args.Error).StatusCode);
        var attempts = Volatile.Read(ref _socketAttempts);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(attempts, Volatile.Read(ref _socketAttempts));
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task ServerClosesTheSocket_ClientReconnectsResendsTheLastSubscriptionAndRaisesReconnected()
    {
        await using var client = NewClient(new LedgerClientOptions { Token = GoodToken });
        var disconnected = Signal<LedgerDisconnectedEventArgs>();
        var reconnected = Signal<LedgerReconnectedEventArgs>();
        client.Disconnected += (_, args) => disconnected.TrySetResult(args);
        client.Reconnected += (_, args) => reconnected.TrySetResult(args);
        await client.ConnectAsync().WaitAsync(Timeout);
        await client.SubscribeAccountAsync(["alice"]).WaitAsync(Timeout);
        await client.SubscribeAccountAsync(["bob", "carl"], "transfer.*").WaitAsync(Timeout);
        await client.ReadNotificationAsync(Timeout);
        await client.ReadNotificationAsync(Timeout);

        await DropConnectionsAsync();

        var dropped = await disconnected.Task.WaitAsync(Timeout);
        var restored = await reconnected.Task.WaitAsync(Timeout);
        Assert.True(dropped.WillReconnect);
        Assert.Equal(1, restored.SubscriptionsRestored);
        Assert.Equal(2, Volatile.Read(ref _connections));
        // subscribe_account replaces the connection's set: only the last call is re-sent, with its exact params.
        var resent = Assert.Single(RequestsOn(2));
        Assert.Equal("subscribe_account", (string?)resent["method"]);
        Assert.True(JsonNode.DeepEquals(RequestsOn(1)[1]["params"], resent["params"]), resent.ToJsonString());
        Assert.Equal(0, Volatile.Read(ref _logins));
        Assert.Equal(GoodToken, client.Token);
        Assert.True(client.IsConnected);
        // The stream goes on: the fake's notification for the re-sent subscription arrives on it.
        var after = await client.ReadNotificationAsync(Timeout);
        Assert.Equal($"{_baseUri.GetLeftPart(UriPartial.Authority)}/accounts/bob", after.Resource?["debits"]?[0]?["account"]?.GetValue<string>());
    }

    [Fact]
    public async Task Reconnect_ReplaysSubscribeAllAccountsAfterTheLastSubscribeAccount()
    {
        await using var client = NewClient(new LedgerClientOptions { Token = AdminToken });
        var reconnected = Signal<LedgerReconnectedEventArgs>();
        client.Reconnected += (_, args) => reconnected.TrySetResult(args);
        await client.ConnectAsync().WaitAsync(Timeout);
        await client.SubscribeAllAccountsAsync("message.send").WaitAsync(Timeout);
        await client.SubscribeAccountAsync(["alice"]).WaitAsync(Timeout);
        await client.SubscribeAllAccountsAsync("transfer.*").WaitAsync(Timeout);

        await DropConnectionsAsync();

        Assert.Equal(2, (await reconnected.Task.WaitAsync(Timeout)).SubscriptionsRestored);
        var resent = RequestsOn(2);
        Assert.Equal(new[] { "subscribe_account", "subscribe_all_accounts" }, resent.Select(request => (string?)request["method"]).ToArray());
        Assert.True(JsonNode.DeepEquals(RequestsOn(1)[1]["params"], resent[0]["params"]), resent[0].ToJsonString());
        Assert.Equal("transfer.*", (string?)resent[1]["params"]!["eventType"]);
    }

    [Fact]
    public async Task Reconnect_WhenLoggedInWithPassword_FetchesAFreshToken()
    {
        await using var client = NewClient(new LedgerClientOptions { Account = "alice", Password = "secret" });
        var reconnected = Signal<LedgerReconnectedEventArgs>();
        client.Reconnected += (_, args) => reconnected.TrySetResult(args);
        await client.ConnectAsync().WaitAsync(Timeout);
        await client.SubscribeAccountAsync(["alice"]).WaitAsync(Timeout);
        var firstToken = client.Token;

        // The old token stops working with the restart: reusing it would never get back in.
        await DropConnectionsAsync(expireTokens: true);

        await reconnected.Task.WaitAsync(Timeout);
        Assert.Equal(2, Volatile.Read(ref _logins));
        Assert.NotEqual(firstToken, client.Token);
        Assert.Equal("subscribe_account", (string?)Assert.Single(RequestsOn(2))["method"]);
    }

    [Fact]
    public async Task Dispose_DoesNotReconnect()
    {
        var client = NewClient(new LedgerClientOptions { Token = GoodToken });
        var disconnected = 0;
        client.Disconnected += (_, _) => Interlocked.Increment(ref disconnected);
        await client.ConnectAsync().WaitAsync(Timeout);
        await client.SubscribeAccountAsync(["alice"]).WaitAsync(Timeout);

        await client.DisposeAsync().AsTask().WaitAsync(Timeout);
        await WaitUntil.TrueAsync(() => _open.IsEmpty, "the fake to see the client's connection close");
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(1, Volatile.Read(ref _connections));
        Assert.Equal(0, Volatile.Read(ref disconnected));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CallAsync("subscribe_account", null).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Reconnect_WhenAuthTokenAnswers401_StopsAndRaisesDisconnectedWithTheError()
    {
        await using var client = NewClient(new LedgerClientOptions { Account = "alice", Password = "secret" });
        var gaveUp = Signal<LedgerDisconnectedEventArgs>();
        client.Disconnected += (_, args) =>
        {
            if (!args.WillReconnect)
            {
                gaveUp.TrySetResult(args);
            }
        };
        await client.ConnectAsync().WaitAsync(Timeout);
        await client.SubscribeAccountAsync(["alice"]).WaitAsync(Timeout);
        await client.ReadNotificationAsync(Timeout);

        _refuseLogins = true;
        await DropConnectionsAsync();

        var args = await gaveUp.Task.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, Assert.IsType<HttpRequestException>(args.Error).StatusCode);
        var logins = Volatile.Read(ref _logins);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(logins, Volatile.Read(ref _logins));
        Assert.Equal(1, Volatile.Read(ref _connections));
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<LedgerDisconnectedException>(() => client.SubscribeAccountAsync(["alice"]).WaitAsync(Timeout));
        // The notification stream ends instead of waiting for ever.
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => client.ReadNotificationAsync(Timeout));
    }

    [Fact]
    public async Task CallInFlight_WhenTheConnectionDrops_FailsWithDisconnected()
    {
        await using var client = NewClient(new LedgerClientOptions { Token = GoodToken });
        await client.ConnectAsync().WaitAsync(Timeout);
        var call = client.CallAsync("never_answered", null);
        await WaitUntil.TrueAsync(() => RequestsOn(1).Count == 1, "the fake to receive the call");

        await DropConnectionsAsync();

        await Assert.ThrowsAsync<LedgerDisconnectedException>(() => call.WaitAsync(Timeout));
    }

    [Fact]
    public async Task CallDuringOutage_WaitsForTheReconnection()
    {
        await using var client = NewClient(new LedgerClientOptions { Token = GoodToken });
        await client.ConnectAsync().WaitAsync(Timeout);
        _refuseSockets = true;
        await DropConnectionsAsync();
        await WaitUntil.TrueAsync(() => !client.IsConnected, "the client to notice the drop");

        var call = client.SubscribeAccountAsync(["alice"]);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(call.IsCompleted);
        _refuseSockets = false;

        Assert.Equal(1, await call.WaitAsync(Timeout));
        Assert.Equal(2, Volatile.Read(ref _connections));
    }

    private LedgerNotificationClient NewClient(LedgerClientOptions options)
    {
        options.BaseUri = _baseUri;
        options.ReconnectDelay = TimeSpan.FromMilliseconds(50);
        options.MaxReconnectDelay = TimeSpan.FromMilliseconds(200);
        return new LedgerNotificationClient(options);
    }

    private static TaskCompletionSource<T> Signal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private List<JsonObject> RequestsOn(int connection) =>
        _requests.Where(entry => entry.Connection == connection).Select(entry => entry.Request).ToList();

    /// <summary>Closes every open connection from the server's side, as a restarting ledger does.</summary>
    private async Task DropConnectionsAsync(bool expireTokens = false)
    {
        if (expireTokens)
        {
            _validTokens.Clear();
        }

        foreach (var connection in _open.Values)
        {
            await connection.CloseAsync().WaitAsync(Timeout);
        }
    }

    private IResult IssueToken(HttpRequest request)
    {
        var login = Interlocked.Increment(ref _logins);
        if (_refuseLogins || request.Headers.Authorization.ToString() != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:secret")))
        {
            return Results.Json(new { id = "UnauthorizedError", message = "Invalid password" }, statusCode: 401);
        }

        // The first login gets the well-known token; later ones get new tokens, as a ledger after a restart would.
        var token = login == 1 ? GoodToken : $"{GoodToken}-{login}";
        _validTokens[token] = 0;
        return Results.Json(new { token, token_max_age = 604_800_000 });
    }

    /// <summary>The contract's behaviour, reduced to what the client relies on.</summary>
    private async Task RunLedgerSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        Interlocked.Increment(ref _socketAttempts);
        if (_refuseSockets)
        {
            // A ledger that is down or restarting.
            context.Response.StatusCode = 503;
            return;
        }

        var token = context.Request.Query["token"].ToString();
        if (!_validTokens.ContainsKey(token))
        {
            context.Response.StatusCode = 401;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var number = Interlocked.Increment(ref _connections);
        using var connection = new FakeConnection(socket);
        _open[number] = connection;
        try
        {
            await ServeAsync(connection, number, token == AdminToken, context.RequestAborted);
        }
        finally
        {
            _open.TryRemove(number, out _);
        }
    }

    private async Task ServeAsync(FakeConnection connection, int number, bool isAdmin, CancellationToken ct)
    {
        await connection.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = null, ["method"] = "connect" }, ct);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await connection.Socket.ReceiveAsync(buffer, ct);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                return;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var request = JsonNode.Parse(buffer.AsSpan(0, result.Count))!.AsObject();
            _requests.Enqueue((number, (JsonObject)request.DeepClone()));
            var id = request["id"]!.GetValue<long>();
            switch (request["method"]!.GetValue<string>())
            {
                case "subscribe_account":
                    var accounts = request["params"]!["accounts"]!.AsArray();
                    await connection.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["result"] = accounts.Count }, ct);
                    await connection.SendAsync(new JsonObject
                    {
                        ["jsonrpc"] = "2.0",
                        ["id"] = null,
                        ["method"] = "notify",
                        ["params"] = new JsonObject
                        {
                            ["event"] = "transfer.create",
                            ["resource"] = new JsonObject
                            {
                                ["id"] = "http://ledger/transfers/1",
                                ["state"] = "prepared",
                                ["debits"] = new JsonArray(new JsonObject { ["account"] = accounts[0]!.GetValue<string>(), ["amount"] = "10" }),
                            },
                        },
                    }, ct);
                    break;
                case "subscribe_all_accounts" when isAdmin:
                    await connection.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["result"] = 1 }, ct);
                    break;
                case "subscribe_all_accounts":
                    await connection.SendAsync(Error(id, 40300, "RpcError", "Not authorized"), ct);
                    break;
                case "never_answered":
                    break;
                default:
                    await connection.SendAsync(Error(id, -32601, "RpcError", $"Unknown method: {request["method"]}"), ct);
                    break;
            }
        }
    }

    private static JsonObject Error(long id, int code, string name, string text) => new()
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id,
        ["error"] = new JsonObject
        {
            ["code"] = code,
            ["message"] = $"{name}: {text}",
            ["data"] = new JsonObject { ["name"] = name, ["message"] = text },
        },
    };

    /// <summary>One server-side connection: replies and the test's close share one sender at a time.</summary>
    private sealed class FakeConnection(WebSocket socket) : IDisposable
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public WebSocket Socket { get; } = socket;

        public async Task SendAsync(JsonObject message, CancellationToken ct)
        {
            await _sendLock.WaitAsync(ct);
            try
            {
                await Socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, ct);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public async Task CloseAsync()
        {
            await _sendLock.WaitAsync();
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "ledger restarting", CancellationToken.None);
            }
            catch (WebSocketException)
            {
                // Already gone.
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public void Dispose() => _sendLock.Dispose();
    }
}
