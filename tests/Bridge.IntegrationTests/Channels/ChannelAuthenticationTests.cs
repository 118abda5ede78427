using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels;

/// <summary>Outside the embedded demo, channels admit only callers with a token from the token endpoint.</summary>
public sealed class ChannelAuthenticationTests : IAsyncLifetime
{
    private BridgeHost _host = null!;

    public async Task InitializeAsync() => _host = await BridgeHost.StartAsync(new Dictionary<string, string?>
    {
        ["Bridge:Channels:AllowAnonymous"] = "false",
        ["Bridge:Accounts:0:Name"] = "alice",
        ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("alice-secret"),
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> TokenAsync()
    {
        using var http = new HttpClient { BaseAddress = _host.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:alice-secret")));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
    }

    [Fact]
    public async Task NoToken_IsRefusedWith401BeforeTheUpgrade()
    {
        var error = await Assert.ThrowsAsync<WebSocketException>(() => ChannelClient.ConnectAsync(_host.WebSocketUri("/nodes")));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidToken_IsRefused()
    {
        var error = await Assert.ThrowsAsync<WebSocketException>(() => ChannelClient.ConnectAsync(_host.WebSocketUri("/nodes?token=not-a-token")));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenInQuery_IsAccepted_AndTheChannelStillResolves()
    {
        var token = await TokenAsync();
        await using var client = await ChannelClient.ConnectAsync(_host.WebSocketUri($"/nodes?token={Uri.EscapeDataString(token)}"));
        await client.SendAsync(new { handler = "all" });
        var reply = await client.ReceiveAsync();

        Assert.Equal("list", (string?)reply["handler"]);
        Assert.Equal("nodes", (string?)reply["resource"]);
    }

    [Fact]
    public async Task BearerToken_IsAccepted()
    {
        var token = await TokenAsync();
        await using var client = await ChannelClient.ConnectAsync(_host.WebSocketUri("/skus"),
            options => options.SetRequestHeader("Authorization", $"Bearer {token}"));

        Assert.Equal(WebSocketState.Open, client.State);
        Assert.Empty(await client.SyncAsync());
    }

    [Fact]
    public async Task PlainHttp_WithoutToken_Gets401Json()
    {
        using var http = new HttpClient { BaseAddress = _host.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/nodes");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("UnauthorizedError", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]);
    }
}
