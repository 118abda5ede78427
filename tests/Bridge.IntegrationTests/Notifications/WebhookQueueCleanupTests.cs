using System.Net;
using System.Text;
using Bridge.IntegrationTests.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Subscriptions;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>A subscription's durable queue lives as long as the subscription, not for ever.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class WebhookQueueCleanupTests
{
    [Fact]
    public async Task DeletingASubscription_DeletesItsQueue()
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
        };
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await BridgeHost.StartAsync(settings);
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
        using var http = Http(host);
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));

        var subscription = await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url, new { id = "tx-cleanup" });
        var queue = SubscriptionDispatcher.QueueName((string)subscription["id"]!);
        await WaitForQueueAsync(uri, queue, exists: true, $"the subscription's queue {queue} was not declared");

        using var deleted = await http.DeleteAsync($"/api/subscriptions/{(string)subscription["id"]!}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        await WaitForQueueAsync(uri, queue, exists: false, $"the queue {queue} outlived its last subscription");
        Assert.False(await BrokerTestSupport.QueueExistsAsync(uri, queue + ".dead-letter"), "its empty dead-letter queue outlived it");
    }

    private static async Task WaitForQueueAsync(string uri, string queue, bool exists, string failure)
    {
        await WaitUntil.TrueAsync(async () => await BrokerTestSupport.QueueExistsAsync(uri, queue) == exists, () => failure,
            NotificationTestSupport.Timeout, TimeSpan.FromMilliseconds(100));
    }
}
