using System.Text;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Subscriptions;
using RabbitMQ.Client;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>Stopping a bridge lets the webhook delivery in flight finish (within the host's shutdown timeout), and acknowledges it.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class WebhookDrainTests
{
    [Fact]
    public async Task ADeliveryInFlightWhenTheBridgeStops_IsCompleted_AndNotDeliveredAgainByTheNextOne()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = "notifications-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["Bridge:RabbitMq:Uri"] = uri,
            ["Bridge:Notifications:Exchange"] = exchange,
            ["Bridge:Notifications:HistoryQueue"] = "bridge.test.history." + exchange,
            ["Bridge:Accounts:0:Name"] = "ops",
            ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("ops-secret"),
            ["Bridge:Webhooks:AllowHttp"] = "true",
            ["Bridge:Webhooks:AllowedHosts:0"] = "127.0.0.1",
            ["Bridge:Webhooks:Timeout"] = "00:00:30",
        };
        var answered = 0;
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async (_, ct) =>
        {
            // Longer than the old one-second drain; cancelled (and never counted) if the bridge abandons the request.
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            Interlocked.Increment(ref answered);
            return 200;
        };

        string dataDirectory;
        string id;
        var host = await BridgeHost.StartAsync(settings);
        try
        {
            dataDirectory = host.DataDirectory;
            await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
            using var http = Http(host);
            http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));
            id = (string)(await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url))["id"]!;
            await using (var producer = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync())
            await using (var channel = await producer.CreateChannelAsync(new CreateChannelOptions(true, true)))
            {
                await channel.BasicPublishAsync(exchange, "webhook_tx", mandatory: false, new BasicProperties { Persistent = true },
                    Encoding.UTF8.GetBytes(Message("tx-drain", "pending")));
            }

            await receiver.WaitForAsync(r => r.Count == 1, "the delivery to start");
        }
        finally
        {
            await host.DisposeAsync();
        }

        Assert.Equal(1, Volatile.Read(ref answered));

        // Acknowledged before the stop completed: the next bridge on the same queue has nothing to redeliver.
        await using (var next = await BridgeHost.StartAsync(settings, dataDirectory))
        {
            await Readiness.WaitUntilReadyAsync(next, TimeSpan.FromSeconds(30));
            await next.Services.GetRequiredService<SubscriptionDispatcher>().ReloadAsync(CancellationToken.None);
            await Task.Delay(1500);
            Assert.Single(receiver.Requests);
        }

        await using var cleanup = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var admin = await cleanup.CreateChannelAsync();
        await admin.QueueDeleteAsync(SubscriptionDispatcher.QueueName(id));
        await admin.QueueDeleteAsync(SubscriptionDispatcher.QueueName(id) + ".dead-letter");
    }
}
