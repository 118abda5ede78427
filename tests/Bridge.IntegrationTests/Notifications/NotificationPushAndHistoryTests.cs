using System.Net;
using System.Text;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>Push to every UI and the paged history, on the embedded defaults.</summary>
[Collection("Notifications")]
public sealed class NotificationPushAndHistoryTests
{
    private static Task PublishAsync(BridgeHost host, string routingKey, string json) =>
        host.Services.GetRequiredService<IBroker>().PublishAsync("notifications", routingKey, Encoding.UTF8.GetBytes(json), CancellationToken.None).AsTask();

    [Fact]
    public async Task Publish_ReachesEveryClientOnTheNotificationsChannel_WithoutWatch()
    {
        await using var host = await BridgeHost.StartAsync();
        await using var first = await ChannelClient.ConnectAsync(host.WebSocketUri("notifications"));
        await using var second = await ChannelClient.ConnectAsync(host.WebSocketUri("notifications"));
        await using var other = await ChannelClient.ConnectAsync(host.WebSocketUri("nodes"));
        await first.SyncAsync();
        await second.SyncAsync();
        await other.SyncAsync();

        await PublishAsync(host, "webhook_tx.template", Message("tx-1", "pending", "template"));

        foreach (var client in new[] { first, second })
        {
            var frame = await client.ReceiveAsync(awaiting: "the pushed notification");
            Assert.Equal("item", (string?)frame["handler"]);
            Assert.Equal("notifications", (string?)frame["resource"]);
            Assert.Equal("tx-1", (string?)frame["id"]);
            Assert.Equal("pending", (string?)frame["data"]!["status"]);
            Assert.Equal("template", (string?)frame["data"]!["sub_type"]);
        }

        await other.AssertNothingAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Publish_ReachesAClientOnTheRootPath_ThatWatchesTheResource_UntilItStops()
    {
        // RackHD's own clients connect to "/" and name the resource in every message (issue 13).
        await using var host = await BridgeHost.StartAsync();
        await using var watcher = await ChannelClient.ConnectAsync(host.WebSocketUri(""));
        await using var bystander = await ChannelClient.ConnectAsync(host.WebSocketUri(""));
        await watcher.SendAsync(new { handler = "watch", resource = "notifications" });
        await watcher.SyncAsync();
        await bystander.SyncAsync();

        await PublishAsync(host, "webhook_tx", Message("tx-root", "pending"));

        var frame = await watcher.ReceiveAsync(awaiting: "the notification pushed to the watching root client");
        Assert.Equal("item", (string?)frame["handler"]);
        Assert.Equal("notifications", (string?)frame["resource"]);
        Assert.Equal("tx-root", (string?)frame["id"]);
        await bystander.AssertNothingAsync(TimeSpan.FromMilliseconds(300));

        await watcher.SendAsync(new { handler = "stop", resource = "notifications" });
        await watcher.SyncAsync();
        await PublishAsync(host, "webhook_tx", Message("tx-after-stop", "success"));
        await watcher.AssertNothingAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task Stop_OnTheNotificationsChannel_KeepsThePushes()
    {
        // The channel's own connections receive every message whatever they send (as before issue 13).
        await using var host = await BridgeHost.StartAsync();
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("notifications"));
        await client.SendAsync(new { handler = "stop" });
        await client.SyncAsync();

        await PublishAsync(host, "webhook_tx", Message("tx-kept", "pending"));

        Assert.Equal("tx-kept", (string?)(await client.ReceiveAsync(awaiting: "the notification after stop"))["id"]);
    }

    [Fact]
    public async Task InvalidMessage_IsNeitherPushedNorStored()
    {
        await using var host = await BridgeHost.StartAsync();
        using var http = Http(host);
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("notifications"));
        await client.SyncAsync();

        await PublishAsync(host, "webhook_tx", """{"type":"webhook_tx","id":"tx-bad","status":"finished"}""");
        await PublishAsync(host, "webhook_tx", "not json");
        await PublishAsync(host, "webhook_tx", Message("tx-good", "success"));

        var frame = await client.ReceiveAsync(awaiting: "the valid notification");
        Assert.Equal("tx-good", (string?)frame["id"]);
        var page = await WaitForHistoryAsync(http, "", items => items.Count >= 1, "the valid message");
        Assert.Equal(["tx-good"], page["items"]!.AsArray().Select(i => (string?)i!["id"]));
    }

    [Fact]
    public async Task History_PagesNewestFirst_WithoutGapsOrDuplicates_WhileMessagesArrive()
    {
        await using var host = await BridgeHost.StartAsync();
        using var http = Http(host);
        for (var i = 0; i < 25; i++)
        {
            await PublishAsync(host, "webhook_tx", Message($"tx-{i:00}", "pending"));
        }

        var first = await WaitForHistoryAsync(http, "?limit=10", items => items.Count == 10 && (string?)items[0]!["id"] == "tx-24", "25 messages");
        var seen = first["items"]!.AsArray().Select(i => (string)i!["id"]!).ToList();
        var next = (string?)first["next"];
        while (next is not null)
        {
            // New arrivals between pages land before the first page, never inside the ones still to read.
            await PublishAsync(host, "webhook_tx", Message($"late-{seen.Count}", "success"));
            var page = await GetPageAsync(http, $"?limit=10&before={Uri.EscapeDataString(next)}");
            seen.AddRange(page["items"]!.AsArray().Select(i => (string)i!["id"]!));
            next = (string?)page["next"];
        }

        Assert.Equal(Enumerable.Range(0, 25).Reverse().Select(i => $"tx-{i:00}"), seen);
    }

    [Fact]
    public async Task History_FiltersByTransactionStatusAndTime_OverHttpAndChannel()
    {
        await using var host = await BridgeHost.StartAsync();
        using var http = Http(host);
        await PublishAsync(host, "webhook_tx", Message("tx-a", "pending"));
        await PublishAsync(host, "webhook_tx", Message("tx-b", "pending"));
        await PublishAsync(host, "webhook_tx", Message("tx-a", "success", step: 3));
        await WaitForHistoryAsync(http, "", items => items.Count == 3, "three messages");

        var byId = await GetPageAsync(http, "?id=tx-a");
        Assert.Equal(["success", "pending"], byId["items"]!.AsArray().Select(i => (string?)i!["status"]));
        var byStatus = await GetPageAsync(http, "?status=pending");
        Assert.Equal(["tx-b", "tx-a"], byStatus["items"]!.AsArray().Select(i => (string?)i!["id"]));
        var future = await GetPageAsync(http, $"?since={DateTime.UtcNow.AddMinutes(5):yyyy-MM-ddTHH:mm:ssZ}");
        Assert.Empty(future["items"]!.AsArray());
        var past = await GetPageAsync(http, $"?until={DateTime.UtcNow.AddMinutes(5):yyyy-MM-ddTHH:mm:ssZ}&status=success,pending");
        Assert.Equal(3, past["items"]!.AsArray().Count);

        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("notifications"));
        await client.SendAsync(new { handler = "query", resource = "notifications", @params = new { limit = 1, id = "tx-a" } });
        var list = await client.ReceiveAsync(awaiting: "the list reply");
        Assert.Equal("list", (string?)list["handler"]);
        Assert.Equal("notifications", (string?)list["resource"]);
        Assert.Equal("success", (string?)list["items"]![0]!["status"]);
        var next = (string?)list["next"];
        Assert.NotNull(next);

        await client.SendAsync(new { handler = "query", @params = new { limit = 1, id = "tx-a", before = next } });
        var older = await client.ReceiveAsync(awaiting: "the second page");
        Assert.Equal("pending", (string?)older["items"]![0]!["status"]);
        Assert.Null(older["next"]);

        await client.SendAsync(new { handler = "query", @params = new { before = "garbage!" } });
        var error = await client.ReceiveAsync(awaiting: "the error reply");
        Assert.Equal("error", (string?)error["handler"]);
        Assert.Equal("invalid_params", (string?)error["params"]!["code"]);

        using var bad = await http.GetAsync(new Uri("/api/notifications?status=done", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task History_SurvivesARestartOnTheSameDataDirectory()
    {
        string dataDirectory;
        await using (var host = await BridgeHost.StartAsync())
        {
            dataDirectory = host.DataDirectory;
            using var http = Http(host);
            await PublishAsync(host, "webhook_tx", Message("tx-r", "pending"));
            await PublishAsync(host, "webhook_tx", Message("tx-r", "success"));
            await WaitForHistoryAsync(http, "", items => items.Count == 2, "both messages before the restart");
        }

        await using var restarted = await BridgeHost.StartAsync(dataDirectory: dataDirectory);
        using var again = Http(restarted);
        var page = await GetPageAsync(again, "");
        Assert.Equal(["success", "pending"], page["items"]!.AsArray().Select(i => (string?)i!["status"]));
    }

    [Fact]
    public async Task HistoryApi_WithoutAnonymousAccess_NeedsCredentials()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "false",
            ["Bridge:Accounts:0:Name"] = "ops",
            ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("ops-secret"),
        });
        using var http = Http(host);
        using var anonymous = await http.GetAsync(new Uri("/api/notifications", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));
        var page = await GetPageAsync(http, "");
        Assert.Empty(page["items"]!.AsArray());
        Assert.Null(page["next"]);
    }
}
