using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Client.Ledger;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// The ledger client against a small fake <c>/websocket</c> that follows ledger-notifications.md (the real
/// endpoint is built separately): Basic → token, <c>connect</c> first, JSON-RPC replies by id, notify frames.
/// </summary>
public sealed class LedgerNotificationClientTests : IAsyncLifetime
{
    private const string GoodToken = "token-of-alice";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private WebApplication _server = null!;
    private Uri _baseUri = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.UseWebSockets();
        _server.MapGet("/auth_token", (HttpRequest request) =>
            request.Headers.Authorization.ToString() == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:secret"))
                ? Results.Json(new { token = GoodToken, token_max_age = 604_800_000 })
                : Results.Json(new { id = "UnauthorizedError", message = "Invalid password" }, statusCode: 401));
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

        var error = await Record.ExceptionAsync(() => client.ConnectAsync().WaitAsync(Timeout));

        Assert.True(error is WebSocketException or LedgerDisconnectedException, $"unexpected {error?.GetType().Name}: {error?.Message}");
    }

    /// <summary>The contract's behaviour, reduced to what the client relies on.</summary>
    private async Task RunLedgerSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        if (context.Request.Query["token"] != GoodToken)
        {
            context.Response.StatusCode = 401;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var ct = context.RequestAborted;
        await SendAsync(socket, new JsonObject { ["jsonrpc"] = "2.0", ["id"] = null, ["method"] = "connect" }, ct);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer, ct);
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
            var id = request["id"]!.GetValue<long>();
            switch (request["method"]!.GetValue<string>())
            {
                case "subscribe_account":
                    var accounts = request["params"]!["accounts"]!.AsArray();
                    await SendAsync(socket, new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["result"] = accounts.Count }, ct);
                    await SendAsync(socket, new JsonObject
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
                case "subscribe_all_accounts":
                    await SendAsync(socket, Error(id, 40300, "RpcError", "Not authorized"), ct);
                    break;
                default:
                    await SendAsync(socket, Error(id, -32601, "RpcError", $"Unknown method: {request["method"]}"), ct);
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

    private static Task SendAsync(WebSocket socket, JsonObject message, CancellationToken ct) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, ct);
}
