using System.Collections.Concurrent;
using System.Text;
using Bridge.Broker;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Broker;

/// <summary>IBroker.ConsumeQueueAsync: once-per-message work shared by every bridge instance.</summary>
public sealed class DurableQueueTests
{
    private static string UniqueQueue() => "bridge.test." + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task InProcess_HandlesEachMessage_AndKeepsRefusedOnesAsDeadLetters()
    {
        var broker = new InProcessBroker(NullLogger<InProcessBroker>.Instance);
        var handled = new ConcurrentQueue<string>();
        await using var consumer = await broker.ConsumeQueueAsync("history", "notifications", "webhook_tx.#", (delivery, _) =>
        {
            var body = Encoding.UTF8.GetString(delivery.Body.Span);
            handled.Enqueue(body);
            return ValueTask.FromResult(body != "bad");
        }, CancellationToken.None);

        foreach (var body in new[] { "one", "bad", "two" })
        {
            await broker.PublishAsync("notifications", "webhook_tx", Encoding.UTF8.GetBytes(body), CancellationToken.None);
        }

        await BrokerTestSupport.WaitUntilAsync(() => handled.Count == 3, () => $"handled {handled.Count} of 3");
        await BrokerTestSupport.WaitUntilAsync(() => broker.DeadLetters.Count == 1, () => "the refused message was not dead-lettered");
        Assert.Equal(["one", "bad", "two"], handled);
        Assert.Equal("bad", Encoding.UTF8.GetString(broker.DeadLetters[0].Delivery.Body.Span));
    }

    [Fact]
    public async Task RabbitMq_TwoInstances_ShareTheQueue_EachMessageHandledOnce_RefusedOnesDeadLettered()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = BrokerTestSupport.UniqueExchange();
        var queue = UniqueQueue();
        var first = await BrokerTestSupport.StartBrokerAsync(uri);
        var second = await BrokerTestSupport.StartBrokerAsync(uri);
        var handled = new ConcurrentBag<(int Instance, string Body)>();
        QueueHandler Handler(int instance) => (delivery, _) =>
        {
            var body = Encoding.UTF8.GetString(delivery.Body.Span);
            handled.Add((instance, body));
            return ValueTask.FromResult(!body.StartsWith("bad", StringComparison.Ordinal));
        };

        try
        {
            await using var a = await first.ConsumeQueueAsync(queue, exchange, "tx.#", Handler(1), CancellationToken.None);
            await using var b = await second.ConsumeQueueAsync(queue, exchange, "tx.#", Handler(2), CancellationToken.None);
            var bodies = Enumerable.Range(0, 40).Select(i => i % 10 == 9 ? $"bad-{i}" : $"ok-{i}").ToList();
            foreach (var body in bodies)
            {
                await first.PublishAsync(exchange, "tx.status", Encoding.UTF8.GetBytes(body), CancellationToken.None);
            }

            await BrokerTestSupport.WaitUntilAsync(() => handled.Count >= bodies.Count, () => $"handled {handled.Count} of {bodies.Count}");
            await Task.Delay(300);

            Assert.Equal(bodies.Order(StringComparer.Ordinal), handled.Select(h => h.Body).Order(StringComparer.Ordinal));
            var deadLettered = await DrainAsync(uri, queue + ".dead-letter");
            Assert.Equal(bodies.Where(b => b.StartsWith("bad", StringComparison.Ordinal)).Order(StringComparer.Ordinal), deadLettered.Order(StringComparer.Ordinal));
        }
        finally
        {
            await BrokerTestSupport.StopAsync(first);
            await BrokerTestSupport.StopAsync(second);
        }
    }

    [Fact]
    public async Task RabbitMq_ConsumerRegisteredBeforeConnecting_StartsOnceConnected_AndKeepsMessagesWhileAway()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = BrokerTestSupport.UniqueExchange();
        var queue = UniqueQueue();
        var handled = new ConcurrentQueue<string>();
        var broker = BrokerTestSupport.CreateBroker(uri);
        await using var consumer = await broker.ConsumeQueueAsync(queue, exchange, "#", (delivery, _) =>
        {
            handled.Enqueue(Encoding.UTF8.GetString(delivery.Body.Span));
            return ValueTask.FromResult(true);
        }, CancellationToken.None);

        try
        {
            await broker.StartAsync(CancellationToken.None);
            await BrokerTestSupport.WaitUntilAsync(() => broker.Status.IsReady, () => broker.Status.Description);
            Assert.True(await BrokerTestSupport.QueueExistsAsync(uri, queue), "the durable queue was declared once connected");

            await broker.PublishAsync(exchange, "any", Encoding.UTF8.GetBytes("hello"), CancellationToken.None);
            await BrokerTestSupport.WaitUntilAsync(() => handled.Contains("hello"), () => "the message was not handled");
        }
        finally
        {
            await BrokerTestSupport.StopAsync(broker);
        }
    }

    [Fact]
    public async Task RabbitMq_DeleteQueue_WaitsForTheLastConsumer_AndKeepsRefusedMessagesUntilRead()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = BrokerTestSupport.UniqueExchange();
        var queue = UniqueQueue();
        var first = await BrokerTestSupport.StartBrokerAsync(uri);
        var second = await BrokerTestSupport.StartBrokerAsync(uri);
        var handled = 0;
        QueueHandler refuseAll = (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.FromResult(false);
        };

        try
        {
            var a = await first.ConsumeQueueAsync(queue, exchange, "#", refuseAll, CancellationToken.None);
            var b = await second.ConsumeQueueAsync(queue, exchange, "#", refuseAll, CancellationToken.None);
            await first.PublishAsync(exchange, "tx", Encoding.UTF8.GetBytes("refused"), CancellationToken.None);
            await BrokerTestSupport.WaitUntilAsync(() => Volatile.Read(ref handled) == 1, () => "the message was not handled");

            // The first instance lets go while the second still consumes: the queue stays.
            await a.DisposeAsync();
            Assert.False(await first.DeleteQueueAsync(queue, CancellationToken.None));
            Assert.True(await BrokerTestSupport.QueueExistsAsync(uri, queue), "a queue another instance consumes was deleted");

            // The last one to let go deletes it; the dead-letter queue holds a refused message, so it stays.
            await b.DisposeAsync();
            Assert.True(await second.DeleteQueueAsync(queue, CancellationToken.None));
            Assert.False(await BrokerTestSupport.QueueExistsAsync(uri, queue), "the unused queue is still there");
            Assert.Equal(["refused"], await DrainAsync(uri, queue + ".dead-letter"));

            // Asked again once the refused message was read: nothing left behind, and no error for the missing queue.
            Assert.True(await second.DeleteQueueAsync(queue, CancellationToken.None));
            Assert.False(await BrokerTestSupport.QueueExistsAsync(uri, queue + ".dead-letter"), "the empty dead-letter queue is still there");
        }
        finally
        {
            await BrokerTestSupport.StopAsync(first);
            await BrokerTestSupport.StopAsync(second);
        }
    }


    private static async Task<List<string>> DrainAsync(string uri, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var bodies = new List<string>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            bodies.Add(Encoding.UTF8.GetString(message.Body.Span));
        }

        return bodies;
    }
}
