using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>The acceptance on a real RabbitMQ node: push, history across a restart, signed webhooks once each.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqNotificationAcceptanceTests
{
    [Fact]
    public async Task TransactionStatuses_ReachEveryUi_AreListedNewestFirstAfterARestart_AndAreDeliveredSignedOnceEach()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = "notifications-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["Bridge:RabbitMq:Uri"] = uri,
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Notifications:Exchange"] = exchange,
            ["Bridge:Notifications:HistoryQueue"] = "bridge.test.history." + exchange,
            ["Bridge:Accounts:0:Name"] = "ops",
            ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("ops-secret"),
            ["Bridge:Webhooks:RetryDelay"] = "00:00:00.050",
            ["Bridge:Webhooks:AllowHttp"] = "true",
            ["Bridge:Webhooks:AllowedHosts:0"] = "127.0.0.1",
        };
        await using var receiver = await WebhookReceiver.StartAsync();
        var host = await BridgeHost.StartAsync(settings);
        var dataDirectory = host.DataDirectory;
        try
        {
            await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
            using var http = Http(host);
            http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));
            var subscription = await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url, new { id = "tx-accept" });

            await using var first = await ChannelClient.ConnectAsync(host.WebSocketUri("notifications"));
            await using var second = await ChannelClient.ConnectAsync(host.WebSocketUri("notifications"));
            await first.SyncAsync();
            await second.SyncAsync();
            await WaitForPushBindingAsync(uri, exchange, host);

            await using (var producer = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync())
            await using (var channel = await producer.CreateChannelAsync(new CreateChannelOptions(true, true)))
            {
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true);
                foreach (var status in new[] { "pending", "success" })
                {
                    await channel.BasicPublishAsync(exchange, "webhook_tx", mandatory: false, new BasicProperties { Persistent = true },
                        Encoding.UTF8.GetBytes(Message("tx-accept", status)));
                }
            }

            foreach (var client in new[] { first, second })
            {
                var statuses = new List<string?>();
                while (statuses.Count < 2)
                {
                    var frame = await client.ReceiveMatchingAsync(f => (string?)f["id"] == "tx-accept", "a tx-accept push");
                    statuses.Add((string?)frame["data"]!["status"]);
                }

                Assert.Equal(["pending", "success"], statuses);
            }

            var page = await WaitForHistoryAsync(http, "?id=tx-accept", items => items.Count == 2, "both statuses");
            Assert.Equal(["success", "pending"], page["items"]!.AsArray().Select(i => (string?)i!["status"]));

            await receiver.WaitForAsync(r => r.Count >= 2, "both webhook deliveries");
            await Task.Delay(500);
            var deliveries = receiver.Requests.ToList();
            Assert.Equal(2, deliveries.Count);
            Assert.All(deliveries, d => Assert.True(d.VerifiesWith((string)subscription["secret"]!), $"not verified: {d.Signature}"));
            Assert.Equal(["pending", "success"], deliveries.Select(d => (string?)JsonNode.Parse(d.Body)!["data"]!["status"]).Order(StringComparer.Ordinal));
        }
        finally
        {
            await host.DisposeAsync();
        }

        await using var restarted = await BridgeHost.StartAsync(settings, dataDirectory);
        using var again = Http(restarted);
        var after = await GetPageAsync(again, "?id=tx-accept");
        Assert.Equal(["success", "pending"], after["items"]!.AsArray().Select(i => (string?)i!["status"]));
        await Task.Delay(500);
        Assert.Equal(2, receiver.Requests.Count);
    }

    /// <summary>The push subscription is made in the background at start: publish probes until a UI sees one.</summary>
    private static async Task WaitForPushBindingAsync(string uri, string exchange, BridgeHost host)
    {
        await using var probe = await ChannelClient.ConnectAsync(host.WebSocketUri("notifications"));
        await probe.SyncAsync();
        await using var producer = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await producer.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true);
        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await channel.BasicPublishAsync(exchange, "webhook_tx.probe", Encoding.UTF8.GetBytes(Message("probe", "pending")));
                await Task.Delay(200, stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        });
        try
        {
            await probe.ReceiveMatchingAsync(f => (string?)f["id"] == "probe", "a probe notification", NotificationTestSupport.Timeout);
        }
        finally
        {
            await stop.CancelAsync();
            await publishing.WaitAsync(NotificationTestSupport.Timeout);
        }
    }
}
