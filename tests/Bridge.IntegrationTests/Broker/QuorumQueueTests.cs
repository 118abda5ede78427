using System.Collections.Concurrent;
using Bridge.Broker;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Bridge.IntegrationTests.Broker;

/// <summary>
/// A classic queue of the same name as a shared durable queue (left by an older bridge) is reported (log +
/// readiness) and picked up once migrated, never a crash loop. That the queues are quorum queues, replicated
/// over the nodes, is checked on the cluster (<see cref="Cluster.ClusterFailoverTests"/>).
/// </summary>
public sealed class QuorumQueueTests
{
    private static string UniqueQueue() => "bridge.test.quorum." + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task ConsumeQueue_OverAClassicQueue_ReportsNotReadyNamingIt_KeepsTheRest_AndPicksItUpOnceMigratedAsync()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var classic = UniqueQueue();
        var other = UniqueQueue();
        var exchange = BrokerTestSupport.UniqueExchange();
        await DeclareClassicAsync(uri, classic);
        var logger = new RecordingLogger<RabbitMqBroker>();
        var broker = await BrokerTestSupport.StartBrokerAsync(uri, logger);
        var handled = new ConcurrentQueue<string>();
        QueueHandler record = (delivery, _) =>
        {
            handled.Enqueue(delivery.RoutingKey);
            return ValueTask.FromResult(true);
        };
        try
        {
            // Registration does not throw at the caller; the other queue works meanwhile.
            await using var blocked = await broker.ConsumeQueueAsync(classic, exchange, "blocked.#", record, CancellationToken.None);
            await using var working = await broker.ConsumeQueueAsync(other, exchange, "working.#", record, CancellationToken.None);

            Assert.False(broker.Status.IsReady);
            Assert.Contains($"durable queue {classic} exists with other arguments than the bridge declares", broker.Status.Description, StringComparison.Ordinal);
            Assert.Contains(QuorumQueue.MigrationDocument, broker.Status.Description, StringComparison.Ordinal);
            var logged = Assert.Single(logger.Entries, entry => entry.EventId.Id == 1054);
            Assert.Equal(LogLevel.Error, logged.Level);
            Assert.Contains(classic, logged.Message, StringComparison.Ordinal);

            await broker.PublishAsync(exchange, "working.1", "x"u8.ToArray(), CancellationToken.None);
            await BrokerTestSupport.WaitUntilAsync(() => handled.Contains("working.1"), () => "the other durable queue was not consumed");

            // Retried every ConnectRetryMaxDelay (500 ms here) without a new log line for the same problem.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Single(logger.Entries, entry => entry.EventId.Id == 1054);
            Assert.False(broker.Status.IsReady);

            // The operator migrates it (here: deletes the empty classic queue): the bridge declares the quorum
            // queue by itself, becomes ready and consumes it.
            await DeleteAsync(uri, classic);
            await BrokerTestSupport.WaitUntilAsync(() => broker.Status.IsReady, () => $"not ready after the migration: {broker.Status.Description}");
            await Assert.ThrowsAsync<OperationInterruptedException>(() => DeclareClassicAsync(uri, classic));
            await broker.PublishAsync(exchange, "blocked.1", "x"u8.ToArray(), CancellationToken.None);
            await BrokerTestSupport.WaitUntilAsync(() => handled.Contains("blocked.1"), () => "the migrated queue was not consumed");
        }
        finally
        {
            await BrokerTestSupport.StopAsync(broker);
            await DeleteAsync(uri, classic, classic + ".dead-letter", other, other + ".dead-letter");
        }
    }

    private static async Task DeclareClassicAsync(string uri, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: null);
    }

    private static async Task DeleteAsync(string uri, params string[] queues)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues)
        {
            await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
        }
    }
}
