using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace Bridge.IntegrationTests.Auth;

public sealed class CrossSiteUpgradeFixture : IAsyncLifetime
{
    internal TestBridge Bridge { get; private set; } = null!;

    internal string Token { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Bridge = await TestBridge.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:PublicUrl"] = "https://bridge.example.com",
            ["Bridge:Accounts:0:Name"] = "alice",
            ["Bridge:Accounts:0:Password"] = "alice-pw",
            ["Bridge:Connections:AllowedOrigins:0"] = "https://ui.example.com",
            // The tests send many correct passwords; only wrong ones count, but keep the budget out of the way.
            ["Bridge:Auth:FailedPasswordsPerAddress"] = "1000",
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = TokenEndpointTests.Basic("alice", "alice-pw");
        using var response = await Bridge.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        Token = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
    }

    public async Task DisposeAsync() => await Bridge.DisposeAsync();
}

/// <summary>
/// Issue 11 item 7: a page of another site cannot open a WebSocket that rides on the browser's cached HTTP Basic
/// credentials, on either front; tokens, the bridge's own origin and listed origins are not affected.
/// </summary>
public sealed class CrossSiteUpgradeTests(CrossSiteUpgradeFixture fixture) : IClassFixture<CrossSiteUpgradeFixture>
{
    private static readonly AuthenticationHeaderValue AliceBasic = TokenEndpointTests.Basic("alice", "alice-pw");

    private string Authority => fixture.Bridge.Client.BaseAddress!.Authority;

    private async Task<(int Status, string Body)> UpgradeAsync(string path, string? origin, string? authorization, string query = "")
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        if (authorization is not null)
        {
            socket.Options.SetRequestHeader("Authorization", authorization);
        }

        using var timeout = new CancellationTokenSource(TestBridge.Timeout);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{Authority}{path}{query}"), timeout.Token);
            var status = (int)socket.HttpStatusCode;
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            return (status, "");
        }
        catch (WebSocketException)
        {
            return ((int)socket.HttpStatusCode, "");
        }
    }

    [Theory]
    [InlineData("/nodes")]
    [InlineData("/websocket")]
    public async Task ForeignOrigin_WithBasic_IsRefused403(string path)
    {
        Assert.Equal(403, (await UpgradeAsync(path, "https://evil.example", AliceBasic.ToString())).Status);
        Assert.Equal(403, (await UpgradeAsync(path, "null", AliceBasic.ToString())).Status);
        // Same host, another port or scheme, is another origin.
        Assert.Equal(403, (await UpgradeAsync(path, "http://127.0.0.1:1", AliceBasic.ToString())).Status);
        Assert.Contains(fixture.Bridge.Logs.Entries, entry => entry.EventId == 4010 && entry.Message.Contains("https://evil.example", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/nodes")]
    [InlineData("/websocket")]
    public async Task OwnOrListedOrigin_WithBasic_IsAccepted(string path)
    {
        Assert.Equal(101, (await UpgradeAsync(path, $"http://{Authority}", AliceBasic.ToString())).Status);
        Assert.Equal(101, (await UpgradeAsync(path, "https://bridge.example.com", AliceBasic.ToString())).Status);
        Assert.Equal(101, (await UpgradeAsync(path, "https://UI.example.com:443", AliceBasic.ToString())).Status);
        // No Origin at all: not a browser page.
        Assert.Equal(101, (await UpgradeAsync(path, null, AliceBasic.ToString())).Status);
    }

    [Theory]
    [InlineData("/nodes")]
    [InlineData("/websocket")]
    public async Task ForeignOrigin_WithAToken_IsAccepted_TokensAreNotAmbient(string path)
    {
        Assert.Equal(101, (await UpgradeAsync(path, "https://evil.example", null, $"?token={fixture.Token}")).Status);
        Assert.Equal(101, (await UpgradeAsync(path, "https://evil.example", $"Bearer {fixture.Token}")).Status);
    }
}
