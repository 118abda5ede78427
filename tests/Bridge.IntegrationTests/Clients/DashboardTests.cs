using System.Net;
using System.Text;
using System.Text.Json;
using Bridge.Broker;
using Bridge.Demo;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Bridge.IntegrationTests.Clients;

/// <summary>Debian's chromium, driven by Playwright (never <c>playwright install</c>), shared by the dashboard tests.</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            Timeout = 30_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>The dashboard at /ui/ in headless Chromium against a bridge with the demo producer on.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>, IAsyncLifetime
{
    private const float Timeout = 15_000;

    private BridgeHost _host = null!;

    public async Task InitializeAsync() => _host = await BridgeHost.StartAsync(BrowserClientNodeTests.DemoSettings());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task UiWithoutSlash_RedirectsToTheDashboard_AndIsNotAChannel()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _host.BaseUri };

        using var redirect = await http.GetAsync(new Uri("/ui", UriKind.Relative));
        using var page = await http.GetAsync(new Uri("/ui/", UriKind.Relative));
        using var script = await http.GetAsync(new Uri("/client/bridge.js", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/ui/", redirect.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("dashboard.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("export class BridgeClient", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_Loads_AndShowsLiveDemoTraffic()
    {
        var page = await OpenDashboardAsync();

        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = Timeout });
        await Expect(page.Locator("#workflows .workflow").First).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator("#logs li").First).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator("#count-nodes")).ToHaveTextAsync(SampleData.NodeIds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = Timeout });
        await Expect(page.Locator("#inventory tbody tr")).ToHaveCountAsync(SampleData.NodeIds.Count, new() { Timeout = Timeout });

        await TakeScreenshotAsync(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Dashboard_ShowsAPublishedNodeChange_InTheInventoryTable()
    {
        var page = await OpenDashboardAsync();
        await Expect(page.Locator("#inventory tbody tr")).ToHaveCountAsync(SampleData.NodeIds.Count, new() { Timeout = Timeout });

        await PublishAsync("on.waterline", "nodes.created.dashboard-node", new
        {
            @event = "created",
            record = new { id = "dashboard-node", name = "zz-dashboard-node", type = "compute", tags = new[] { "test" } },
        });

        await Expect(page.Locator("#inventory tbody tr[data-id='dashboard-node']")).ToContainTextAsync("zz-dashboard-node", new() { Timeout = Timeout });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NotificationsPanel_PagesTheHistory()
    {
        // The demo's own webhook_tx transactions land in the same history, several a second: this host has the demo
        // off, so the page counts only what the test published.
        var settings = BrowserClientNodeTests.DemoSettings();
        settings["Bridge:Demo:Enabled"] = "false";
        await using var quiet = await BridgeHost.StartAsync(settings);
        for (var i = 0; i < 25; i++)
        {
            await PublishAsync(quiet, "notifications", "webhook_tx", new
            {
                type = "webhook_tx",
                sub_type = (string?)null,
                id = $"tx-{i:d2}",
                status = "success",
                message = $"history {i:d2}",
                ts_display = 0,
                ts_started = 0,
                ts_completed = 0,
                on_step = 1,
                total_steps = 1,
                by = "test",
            });
        }

        var history = await OpenDashboardAsync(quiet);
        await Expect(history.Locator("#notifications li")).ToHaveCountAsync(20, new() { Timeout = Timeout });
        await history.Locator("#notifications-more").ClickAsync();
        await Expect(history.Locator("#notifications li")).ToHaveCountAsync(25, new() { Timeout = Timeout });
        await history.Context.CloseAsync();
    }

    [Fact]
    public async Task LedgerPanel_WithoutAToken_AsksForOne_AndWithATokenTheBridgeRefuses_SaysNotAvailable()
    {
        var anonymous = await OpenDashboardAsync();
        await Expect(anonymous.Locator("#ledger-token")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await anonymous.Context.CloseAsync();

        var withToken = await OpenDashboardAsync("?token=not-a-real-token");
        await Expect(withToken.Locator("#ledger-state")).ToContainTextAsync("ledger notifications not available", new() { Timeout = Timeout });
        await withToken.Context.CloseAsync();
    }

    [Fact]
    public async Task LedgerPanel_WithAnAdminToken_ShowsTransfersAsTheyHappen()
    {
        using var http = new HttpClient { BaseAddress = _host.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin-secret")));
        using var response = await http.SendAsync(request);
        var token = (string)System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
        var page = await OpenDashboardAsync("?token=" + Uri.EscapeDataString(token));
        // The demo's own transfers (alice → bob) arrive once the subscription is live, and clear the state line.
        await Expect(page.Locator("#ledger li").First).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator("#ledger-token")).ToBeHiddenAsync();

        const string Base = "http://localhost:5000";
        await PublishAsync("ledger", "transfer.update", new
        {
            resource = new
            {
                id = $"{Base}/transfers/{Guid.NewGuid()}",
                ledger = Base,
                debits = new[] { new { account = $"{Base}/accounts/carol", amount = "5", authorized = true } },
                credits = new[] { new { account = $"{Base}/accounts/dave", amount = "5" } },
                state = "executed",
            },
        });

        await Expect(page.Locator("#ledger li", new() { HasText = "carol → dave" })).ToHaveCountAsync(1, new() { Timeout = Timeout });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Dashboard_BridgeRestart_ReconnectsByItself_AndKeepsReceiving()
    {
        var page = await OpenDashboardAsync();
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = Timeout });

        var (baseUri, dataDirectory) = (_host.BaseUri, _host.DataDirectory);
        await _host.DisposeAsync();
        await Expect(page.Locator("#status")).Not.ToHaveAttributeAsync("data-state", "open", new() { Timeout = Timeout });
        _host = await StartOnPortAsync(baseUri, dataDirectory);

        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 20_000 });
        // 'live' means the watches were re-sent; the bridge may still be joining them, so publish until one lands.
        var marker = page.Locator("#logs li", new() { HasText = "marker after restart" });
        await WaitUntil.TrueAsync(
            async () =>
            {
                if (await marker.CountAsync() > 0)
                {
                    return true;
                }

                await PublishAsync("on.logging", "warning", new { level = "warning", message = "marker after restart", module = "test" });
                return false;
            },
            () => "the dashboard's log did not receive events after the restart", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(500));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Dashboard_OnANarrowWindow_StacksThePanels()
    {
        var context = await chromium.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 420, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(_host.BaseUri, "/ui/").ToString());
        await Expect(page.Locator("#logs li").First).ToBeVisibleAsync(new() { Timeout = Timeout });

        var workflows = await page.Locator("section.workflows").BoundingBoxAsync();
        var notifications = await page.Locator("section.notifications").BoundingBoxAsync();
        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");

        Assert.NotNull(workflows);
        Assert.NotNull(notifications);
        Assert.True(notifications.Y > workflows.Y + workflows.Height - 1, "on a narrow window the panels stack vertically");
        Assert.True(scrollWidth <= 420, $"no horizontal page scroll on a narrow window (scrollWidth {scrollWidth})");
        await context.CloseAsync();
    }

    [Fact]
    public async Task OperationsStrip_CountsAClientThatConnects_AndShowsTheDependencies()
    {
        var page = await OpenDashboardAsync();
        var connections = page.Locator("#ops-connections");
        await Expect(connections).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9]+$"), new() { Timeout = Timeout });

        // The page's own sockets settle first (its channel client and the notifications channel).
        var before = -1;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < deadline;)
        {
            var now = int.Parse(await connections.InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
            if (now == before && now >= 2)
            {
                break;
            }

            before = now;
            await Task.Delay(2500);
        }

        await using var extra = await ChannelClient.ConnectAsync(_host.WebSocketUri("/nodes"));
        await extra.SyncAsync();

        await Expect(connections).ToHaveTextAsync((before + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = Timeout });
        await Expect(page.Locator("#ops-broker")).ToHaveTextAsync("ready", new() { Timeout = Timeout });
        await Expect(page.Locator("#ops-store")).ToHaveTextAsync("ready", new() { Timeout = Timeout });
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private Task<IPage> OpenDashboardAsync(string query = "") => OpenDashboardAsync(_host, query);

    private async Task<IPage> OpenDashboardAsync(BridgeHost host, string query = "")
    {
        var context = await chromium.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(host.BaseUri, "/ui/" + query).ToString(), new() { Timeout = Timeout });
        return page;
    }

    private Task PublishAsync(string exchange, string routingKey, object body) => PublishAsync(_host, exchange, routingKey, body);

    private static Task PublishAsync(BridgeHost host, string exchange, string routingKey, object body) =>
        host.Services.GetRequiredService<IBroker>()
            .PublishAsync(exchange, routingKey, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body)), CancellationToken.None)
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Always into the test output; also to BRIDGE_DASHBOARD_SCREENSHOT when set (how docs/dashboard.png is made).</summary>
    private static async Task TakeScreenshotAsync(IPage page)
    {
        await Task.Delay(1500); // let a few more events land so the picture shows traffic
        var bytes = await page.ScreenshotAsync(new() { FullPage = true });
        await File.WriteAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "dashboard.png"), bytes);
        if (Environment.GetEnvironmentVariable("BRIDGE_DASHBOARD_SCREENSHOT") is { Length: > 0 } target)
        {
            await File.WriteAllBytesAsync(target, bytes);
        }
    }

    private static async Task<BridgeHost> StartOnPortAsync(Uri baseUri, string dataDirectory)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await BridgeHost.StartAsync(BrowserClientNodeTests.DemoSettings(), dataDirectory, baseUri);
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }
}
