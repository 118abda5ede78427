using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.Connections;
using Bridge.Documents;
using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Channels;

/// <summary>The "done when": what a newcomer sees on the embedded defaults.</summary>
public sealed class EmbeddedDemoTests
{
    [Fact]
    public async Task EmbeddedDefaults_NodesChannel_GetsSessionListAndLiveItemsFromTheDemo()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            // What `dotnet run --project src/Bridge` gets: demo on, anonymous channels on.
            ["Bridge:Demo:Enabled"] = null,
            ["Bridge:Demo:Interval"] = "00:00:00.200",
        });
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("/nodes"));

        await client.SendAsync(new { handler = "init" });
        var session = await client.ReceiveAsync(awaiting: "session");
        await client.SendAsync(new { handler = "all" });
        var list = await client.ReceiveMatchingAsync(m => (string?)m["handler"] == "list", "list");
        await client.SendAsync(new { handler = "watch" });
        var item = await client.ReceiveMatchingAsync(m => (string?)m["handler"] == "item", "a live item from the demo", TimeSpan.FromSeconds(20));

        Assert.Equal("session", (string?)session["handler"]);
        Assert.NotEmpty(list["items"]!.AsArray());
        Assert.Equal("nodes", (string?)item["resource"]);
        Assert.Equal("updated", (string?)item["id"]![0]);
        var nodeId = (string)item["id"]![1]!;
        Assert.Contains(list["items"]!.AsArray(), node => (string?)node!["id"] == nodeId);
    }
}

/// <summary>Connection-level policies: slow consumers, broadcast, and survival of a broker restart.</summary>
public sealed class ChannelConnectionTests
{
    [Fact]
    public async Task SlowConsumer_IsDisconnected_WhileOthersKeepReceiving()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Connections:SendQueueCapacity"] = "8",
        });
        var registry = host.Services.GetRequiredService<ConnectionRegistry>();
        await using var slow = await ChannelClient.ConnectAsync(host.WebSocketUri("/mq"));
        await using var fast = await ChannelClient.ConnectAsync(host.WebSocketUri("/mq"));
        await slow.SyncAsync();
        await fast.SyncAsync();

        // The slow client never reads; big frames fill the socket buffers and then its queue of 8.
        var frame = Encoding.UTF8.GetBytes($$"""{"handler":"item","resource":"mq","id":"x","data":"{{new string('x', 256 * 1024)}}"}""");
        await WaitUntil.TrueAsync(
            async () =>
            {
                if (registry.Count != 2)
                {
                    return true;
                }

                registry.BroadcastToPath("mq", frame);
                await fast.ReceiveAsync(awaiting: "broadcast on the fast client");
                return false;
            },
            () => $"the slow client was never cut off ({registry.Count} connections)", TimeSpan.FromSeconds(20), TimeSpan.Zero);

        Assert.Equal(1, registry.Count);
        await fast.SendAsync(new { handler = "init" });
        Assert.Equal("session", (string?)(await fast.ReceiveMatchingAsync(m => (string?)m["handler"] == "session", "session"))["handler"]);
    }

    [Fact]
    public async Task Broadcast_ReachesAllConnections_OrOnlyThoseOfOneChannel()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        var registry = host.Services.GetRequiredService<ConnectionRegistry>();
        await using var nodes = await ChannelClient.ConnectAsync(host.WebSocketUri("/nodes"));
        await using var skus = await ChannelClient.ConnectAsync(host.WebSocketUri("/skus"));
        await nodes.SyncAsync();
        await skus.SyncAsync();

        var toAll = registry.Broadcast(Encoding.UTF8.GetBytes("""{"handler":"item","resource":"notice","id":"all","data":{}}"""));
        var toNodes = registry.BroadcastToPath("nodes", Encoding.UTF8.GetBytes("""{"handler":"item","resource":"notice","id":"nodes","data":{}}"""));

        Assert.Equal(2, toAll);
        Assert.Equal(1, toNodes);
        Assert.Equal("all", (string?)(await nodes.ReceiveAsync())["id"]);
        Assert.Equal("nodes", (string?)(await nodes.ReceiveAsync())["id"]);
        Assert.Equal("all", (string?)(await skus.ReceiveAsync())["id"]);
        await skus.AssertNothingAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task WatchGroups_AreSharedAcrossConnections_AndGoWithTheLastWatcher()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        var watches = host.Services.GetRequiredService<WatchRegistry>();
        var a = await ChannelClient.ConnectAsync(host.WebSocketUri("/catalogs"));
        var b = await ChannelClient.ConnectAsync(host.WebSocketUri("/catalogs"));
        await a.SendTextAsync("""{"handler":"watch","params":{"source":"dmi","node":"n"}}""");
        await b.SendTextAsync("""{"handler":"watch","params":{"node":"n","source":"dmi"}}""");
        await a.SyncAsync();
        await b.SyncAsync();
        Assert.Equal(1, watches.GroupCount);

        await a.DisposeAsync();
        await b.DisposeAsync();
        await WaitUntil.TrueAsync(() => watches.GroupCount == 0, () => $"{watches.GroupCount} watch groups left after both clients went",
            ChannelClient.DefaultTimeout, TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task RabbitMqRestart_InTheMiddleOfAWatch_DoesNotEndIt()
    {
        await using var rabbit = await RabbitMqServer.StartAsync();
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:RabbitMq:Uri"] = rabbit.AmqpUri,
            ["Bridge:RabbitMq:NetworkRecoveryInterval"] = "00:00:01",
        });
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("/catalogs"));
        await client.SendAsync(new { handler = "watch" });
        await client.SyncAsync();

        await PublishAsync(rabbit.AmqpUri, "catalogs.created.before", """{"event":"created","record":{"id":"before"}}""");
        Assert.Equal("before", (string?)(await client.ReceiveAsync(awaiting: "item before restart"))["id"]![1]);

        await rabbit.RestartAsync();
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(60));

        // The bridge re-applies its bindings just after it reports ready: publish until the item arrives.
        var after = await WaitUntil.ValueAsync(
            async () =>
            {
                await PublishAsync(rabbit.AmqpUri, "catalogs.created.after", """{"event":"created","record":{"id":"after"}}""");
                return await client.TryReceiveAsync(TimeSpan.FromMilliseconds(500));
            },
            static after => after is not null, static _ => "no item arrived after the broker restart",
            TimeSpan.FromSeconds(30), TimeSpan.Zero);

        Assert.NotNull(after);
        Assert.Equal("after", (string?)after["id"]![1]);
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task Watch_WhileRabbitMqIsDown_AnswersBrokerUnavailable_AndWatchesOnceItIsUp()
    {
        // The broker registers a subscription made while it is down (IBroker.SubscribeAsync); the channel
        // protocol still answers such a watch at once with broker_unavailable, as it did before that contract.
        await using var rabbit = RabbitMqServer.Prepare();
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:RabbitMq:Uri"] = rabbit.AmqpUri,
            ["Bridge:RabbitMq:ConnectRetryMaxDelay"] = "00:00:01",
        });
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("/catalogs"));
        await client.SendAsync(new { handler = "watch" });
        var error = await client.ReceiveMatchingAsync(static frame => (string?)frame["handler"] == "error", "the watch's answer while RabbitMQ is down");
        Assert.Equal("broker_unavailable", (string?)error["params"]!["code"]);
        Assert.StartsWith("the message broker is unavailable: The broker is not available: waiting for RabbitMQ at",
            (string?)error["params"]!["message"], StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, client.State);

        await rabbit.RestartAsync();
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(60));
        await client.SendAsync(new { handler = "watch" });
        await client.SyncAsync();
        await PublishAsync(rabbit.AmqpUri, "catalogs.created.up", """{"event":"created","record":{"id":"up"}}""");
        Assert.Equal("up", (string?)(await client.ReceiveAsync(awaiting: "an item once RabbitMQ is up"))["id"]![1]);
    }

    private static async Task PublishAsync(string amqpUri, string routingKey, string json)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(amqpUri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("on.waterline", ExchangeType.Topic, durable: true);
        await channel.BasicPublishAsync("on.waterline", routingKey, Encoding.UTF8.GetBytes(json));
    }
}

/// <summary>Query answers come from the store the bridge is configured with.</summary>
public sealed class ChannelStoreTests
{
    [Fact]
    public async Task Query_SeesDocumentsWrittenToTheStore()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await store.UpsertAsync("skus", "sku-test-1", new JsonObject { ["id"] = "sku-test-1", ["name"] = "Test SKU" }, CancellationToken.None);
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("/skus"));

        await client.SendAsync(new { handler = "query", @params = new { name = "Test SKU" } });
        var items = (await client.ReceiveAsync())["items"]!.AsArray();

        Assert.Equal("sku-test-1", (string?)Assert.Single(items)!["id"]);
    }
}
