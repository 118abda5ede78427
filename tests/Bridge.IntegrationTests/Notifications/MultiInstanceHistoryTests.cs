using System.Text;
using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>
/// Two bridge instances on one RabbitMQ and one MongoDB (the stand-in): every message is stored once, because
/// storing goes through the shared durable history queue and not through each instance's own queue.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class MultiInstanceHistoryTests
{
    [Fact]
    public async Task TwoInstances_StoreEachMessageOnce_AndBothServeTheSameHistory()
    {
        var amqp = await RabbitMqServer.GetSharedUriAsync();
        await using var mongo = await MongoStandIn.StartAsync();
        var exchange = "notifications-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["Bridge:RabbitMq:Uri"] = amqp,
            ["Bridge:Mongo:Uri"] = mongo.Uri,
            ["Bridge:Mongo:Database"] = MongoStandIn.NewDatabaseName(),
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Notifications:Exchange"] = exchange,
            ["Bridge:Notifications:HistoryQueue"] = "bridge.test.history." + exchange,
        };
        await using var first = await BridgeHost.StartAsync(settings);
        await using var second = await BridgeHost.StartAsync(settings);
        await Readiness.WaitUntilReadyAsync(first, TimeSpan.FromSeconds(30));
        await Readiness.WaitUntilReadyAsync(second, TimeSpan.FromSeconds(30));

        const int Count = 12;
        await using (var producer = await new ConnectionFactory { Uri = new Uri(amqp) }.CreateConnectionAsync())
        await using (var channel = await producer.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true);
            for (var i = 0; i < Count; i++)
            {
                await channel.BasicPublishAsync(exchange, "webhook_tx", mandatory: false, new BasicProperties { Persistent = true },
                    Encoding.UTF8.GetBytes(Message($"tx-multi-{i}", "pending")));
            }
        }

        using var fromFirst = Http(first);
        using var fromSecond = Http(second);
        await WaitForHistoryAsync(fromFirst, "?limit=100", items => items.Count >= Count, $"{Count} stored messages");
        await Task.Delay(1000);
        var seenByFirst = (await GetPageAsync(fromFirst, "?limit=100"))["items"]!.AsArray();
        var seenBySecond = (await GetPageAsync(fromSecond, "?limit=100"))["items"]!.AsArray();

        Assert.Equal(Count, seenByFirst.Count);
        Assert.Equal(Count, seenByFirst.Select(item => (string?)item!["id"]).Distinct().Count());
        Assert.Equal(seenByFirst.Select(item => (string?)item!["id"]), seenBySecond.Select(item => (string?)item!["id"]));
    }
}
