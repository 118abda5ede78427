using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.IntegrationTests.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Subscriptions;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>A webhook binding's durable queue lives as long as a subscription uses it, not for ever.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class WebhookQueueCleanupTests
{
    [Fact]
    public async Task DeletingTheLastSubscriptionOfABinding_DeletesItsQueue()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = "notifications-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["Bridge:RabbitMq:Uri"] = uri,
            ["Bridge:Notifications:Exchange"] = exchange,
            ["Bridge:Notifications:HistoryQueue"] = "bridge.test.history." + exchange,
            ["Bridge:Accounts:0:Name"] = "ops",
            ["Bridge:Accounts:0:Password"] = "ops-secret",
        };
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await BridgeHost.StartAsync(settings);
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
        using var http = Http(host);
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));

        var subscription = await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url, new { id = "tx-cleanup" });
        var topic = JsonNode.Parse("""{"resource":"notifications","params":{"id":"tx-cleanup"}}""")!.AsObject();
        Assert.True(SubscriptionRequest.TryResolve(topic, host.Services.GetRequiredService<ResourceTable>(), out var binding, out var error), error);
        var queue = SubscriptionDispatcher.QueueName(binding.Exchange, binding.BindingKey);
        await WaitForQueueAsync(uri, queue, exists: true, $"the subscription's queue {queue} was not declared");

        using var deleted = await http.DeleteAsync($"/api/subscriptions/{(string)subscription["id"]!}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        await WaitForQueueAsync(uri, queue, exists: false, $"the queue {queue} outlived its last subscription");
        Assert.False(await BrokerTestSupport.QueueExistsAsync(uri, queue + ".dead-letter"), "its empty dead-letter queue outlived it");
    }

    private static async Task WaitForQueueAsync(string uri, string queue, bool exists, string failure)
    {
        var deadline = DateTime.UtcNow + NotificationTestSupport.Timeout;
        while (await BrokerTestSupport.QueueExistsAsync(uri, queue) != exists)
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(100);
        }
    }
}
