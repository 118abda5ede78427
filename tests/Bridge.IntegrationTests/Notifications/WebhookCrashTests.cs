using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Subscriptions;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>At least once across a crash: a bridge process killed with SIGKILL mid-delivery, a new process on the same node.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class WebhookCrashTests
{
    private const int Events = 20;

    [Fact]
    public async Task ABridgeKilledMidDelivery_AndANewProcess_DeliverEveryEventAtLeastOnce_WithStableWebhookIds()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = "notifications-" + Guid.NewGuid().ToString("N")[..8];
        var data = Directory.CreateTempSubdirectory("bridge-crash-");
        var settings = new Dictionary<string, string>
        {
            ["Bridge:RabbitMq:Uri"] = uri,
            ["Bridge:Notifications:Exchange"] = exchange,
            ["Bridge:Notifications:HistoryQueue"] = "bridge.test.history." + exchange,
            ["Bridge:DataDirectory"] = data.FullName,
            ["Bridge:Embedded:Seed"] = "false",
            ["Bridge:Accounts:0:Name"] = "ops",
            ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("ops-secret"),
            ["Bridge:Webhooks:AllowHttp"] = "true",
            ["Bridge:Webhooks:AllowedHosts:0"] = "127.0.0.1",
            ["Bridge:Webhooks:Timeout"] = "00:00:30",
        };

        // A receiver that takes its time: deliveries are in flight when the bridge dies.
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = static async (_, ct) =>
        {
            await Task.Delay(250, ct);
            return 200;
        };

        var port = LoopbackPorts.FreeForRestarts(1)[0];
        string subscriptionId;
        var first = await BridgeProcess.StartAsync(settings, port);
        try
        {
            using var http = new HttpClient { BaseAddress = first.BaseUri, Timeout = TimeSpan.FromSeconds(20) };
            http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));
            subscriptionId = (string)(await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url))["id"]!;

            await using var producer = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
            await using var channel = await producer.CreateChannelAsync(new CreateChannelOptions(true, true));
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true);
            for (var i = 0; i < Events; i++)
            {
                await channel.BasicPublishAsync(exchange, "webhook_tx", mandatory: false, new BasicProperties { Persistent = true },
                    Encoding.UTF8.GetBytes(NotificationTestSupport.Message($"tx-crash-{i}", "pending")));
            }

            await receiver.WaitForAsync(r => r.Count >= 3, "the first deliveries before the kill", TimeSpan.FromSeconds(30));
            await first.KillAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        var before = receiver.Requests.Count;
        Assert.True(before < Events, $"all {Events} events were delivered before the kill: the test proves nothing");

        await using (var second = await BridgeProcess.StartAsync(settings, port))
        {
            try
            {
                await receiver.WaitForAsync(r => DistinctEvents(r).Count == Events, $"all {Events} events after the restart", TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message}; the new process said:\n{second.Output}", ex);
            }
        }

        var requests = receiver.Requests.ToList();
        Assert.All(requests, r => Assert.Equal(subscriptionId, r.Subscription));

        // Every event, by its data id, exactly the published set; each has one webhook-id, shared by its duplicates.
        var published = Enumerable.Range(0, Events).Select(i => $"tx-crash-{i}").ToHashSet();
        Assert.Equal(published.Order(StringComparer.Ordinal), DistinctEvents(requests).Order(StringComparer.Ordinal));
        var idsPerEvent = requests.GroupBy(EventOf).ToDictionary(g => g.Key, g => g.Select(r => r.WebhookId).Distinct().ToList());
        Assert.All(idsPerEvent, e => Assert.True(e.Value.Count == 1, $"{e.Key} came with several webhook-ids: {string.Join(", ", e.Value)}"));
        Assert.Equal(Events, requests.Select(r => r.WebhookId).Distinct().Count());

        await using (var cleanup = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync())
        await using (var channel = await cleanup.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync(SubscriptionDispatcher.QueueName(subscriptionId));
            await channel.QueueDeleteAsync(SubscriptionDispatcher.QueueName(subscriptionId) + ".dead-letter");
        }

        data.Delete(recursive: true);
    }

    private static string EventOf(WebhookReceiver.Received request) => (string)JsonNode.Parse(request.Body)!["data"]!["id"]!;

    private static HashSet<string> DistinctEvents(IEnumerable<WebhookReceiver.Received> requests) => [.. requests.Select(EventOf)];
}
