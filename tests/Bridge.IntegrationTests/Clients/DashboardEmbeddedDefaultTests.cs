using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// The dashboard on the embedded default as a newcomer meets it after <c>dotnet run</c> (issue 15): no account
/// configured (the bridge generates its admin), the demo producer on. Every panel is alive without a pasted token.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardEmbeddedDefaultTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>, IAsyncLifetime
{
    private const float Timeout = 20_000;

    private BridgeHost _host = null!;

    public async Task InitializeAsync() => _host = await BridgeHost.StartAsync(new Dictionary<string, string?>
    {
        ["Bridge:Demo:Enabled"] = "true",
        ["Bridge:Demo:Interval"] = "00:00:00.200",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task LedgerAndNotificationPanels_FollowTheDemoWithoutAToken()
    {
        var page = await OpenDashboardAsync();

        await Expect(page.Locator("#ledger li").First).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator("#ledger li").First).ToContainTextAsync("alice → bob", new() { Timeout = Timeout });
        await Expect(page.Locator("#ledger-token")).ToBeHiddenAsync();
        await Expect(page.Locator("#notifications li").First).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator("#notifications li").First).ToContainTextAsync("webhook_tx", new() { Timeout = Timeout });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AWorkflowWhoseTasksAreAllDone_ShowsRunningBelow100_UntilItFinishes()
    {
        var page = await OpenDashboardAsync();
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = Timeout });
        var graphId = Guid.NewGuid().ToString();
        var row = page.Locator($"#workflows li[data-graph='{graphId}']");

        await PublishGraphAsync(graphId, "started", new { graphId, graphName = "Test Graph" });
        await PublishGraphAsync(graphId, "progress.updated", new { graphId, graphName = "Test Graph", progress = new { value = 2, maximum = 2, percentage = "100%" } });
        await Expect(row.Locator(".task")).ToContainTextAsync("99%", new() { Timeout = Timeout });
        await Expect(row.Locator(".badge")).ToHaveTextAsync("running");

        await PublishGraphAsync(graphId, "finished", new { graphId, graphName = "Test Graph", status = "succeeded" });
        await Expect(row.Locator(".task")).ToContainTextAsync("100%", new() { Timeout = Timeout });
        await Expect(row.Locator(".badge")).ToHaveTextAsync("succeeded");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheSession_IsGivenToThisBridgesPageOnLoopbackOnly()
    {
        using var http = new HttpClient { BaseAddress = _host.BaseUri };

        using var own = await http.GetAsync(new Uri(Bridge.Clients.DashboardSession.Path, UriKind.Relative));
        var token = (string?)JsonNode.Parse(await own.Content.ReadAsStringAsync())!["token"];
        using var rebound = await SendAsync(http, request => request.Headers.Host = "evil.example");
        using var crossSite = await SendAsync(http, request => request.Headers.Add("Sec-Fetch-Site", "cross-site"));

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("no-store", own.Headers.CacheControl?.ToString());
        Assert.False(string.IsNullOrEmpty(token));
        Assert.Equal(HttpStatusCode.NotFound, rebound.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, crossSite.StatusCode);
        Assert.Equal("NotFoundError", (string?)JsonNode.Parse(await crossSite.Content.ReadAsStringAsync())!["id"]);

        // The token is an admin's: the ledger's subscribe_all_accounts is an admin's method.
        await using var ledger = await ChannelClient.ConnectAsync(_host.WebSocketUri("/websocket?token=" + Uri.EscapeDataString(token!)));
        var connect = await ledger.ReceiveAsync();
        await ledger.SendTextAsync("""{"jsonrpc":"2.0","id":1,"method":"subscribe_all_accounts","params":{"eventType":"*"}}""");
        var reply = await ledger.ReceiveMatchingAsync(m => m["id"] is not null, "the subscription's answer");
        Assert.Equal("connect", (string?)connect["method"]);
        Assert.Null(reply["error"]);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Bridge.Clients.DashboardSession.Path);
        configure(request);
        return await http.SendAsync(request);
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private async Task<IPage> OpenDashboardAsync()
    {
        var context = await chromium.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(_host.BaseUri, "/ui/").ToString(), new() { Timeout = Timeout });
        return page;
    }

    private Task PublishGraphAsync(string graphId, string action, object data) =>
        _host.Services.GetRequiredService<IBroker>()
            .PublishAsync("on.events", $"graph.{action}.information.{graphId}.node1", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
            {
                type = "graph",
                action,
                severity = "information",
                typeId = graphId,
                nodeId = "node1",
                data,
                version = "1.0",
                createdAt = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            })), CancellationToken.None)
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));
}
