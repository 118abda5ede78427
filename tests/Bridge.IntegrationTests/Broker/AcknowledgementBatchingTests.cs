using System.Text;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Options;
using static Bridge.IntegrationTests.Broker.BrokerTestSupport;

namespace Bridge.IntegrationTests.Broker;

/// <summary>
/// Deliveries are acknowledged in batches (every prefetch/4, and a flush when the queue goes quiet): the
/// prefetch window must keep moving, and nothing may stay unacknowledged once traffic stops. Runs on its own
/// node so that rabbitmqctl can read the bridge's exclusive queue.
/// </summary>
[Collection(StandaloneNodeCollection.Name)]
public sealed class AcknowledgementBatchingTests(AcknowledgementBatchingTests.NodeFixture node) : IClassFixture<AcknowledgementBatchingTests.NodeFixture>, IAsyncLifetime
{
    private const int Prefetch = 8;

    private RabbitMqBroker? _broker;

    private RabbitMqBroker Broker => _broker!;

    public async Task InitializeAsync()
    {
        _broker = new RabbitMqBroker(
            Options.Create(new RabbitMqOptions { Uri = node.Server.AmqpUri, ClientName = "bridge-ack-tests", Prefetch = Prefetch }),
            new RecordingLogger<RabbitMqBroker>(),
            TimeProvider.System);
        await _broker.StartAsync(CancellationToken.None).WaitAsync(TestTimeout);
        await WaitUntilAsync(() => _broker.Status.IsReady, () => $"the broker did not become ready: {_broker.Status.Description}");
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await StopAsync(_broker);
        }
    }

    [Fact]
    public async Task Publish_FarMoreThanPrefetch_EveryMessageIsDelivered()
    {
        var exchange = UniqueExchange();
        var recorder = new DeliveryRecorder();
        await using var subscription = await Broker.SubscribeAsync(exchange, "#", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        // Without acknowledgements the broker would stop after Prefetch deliveries.
        for (var i = 0; i < 25 * Prefetch; i++)
        {
            await Broker.PublishAsync(exchange, "k", Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        }

        await WaitUntilAsync(() => recorder.Count == 25 * Prefetch, () => $"delivered {recorder.Count} of {25 * Prefetch}");
    }

    [Fact]
    public async Task TrafficStops_BelowTheBatchSize_RemainingDeliveriesAreAcknowledged()
    {
        var exchange = UniqueExchange();
        var recorder = new DeliveryRecorder();
        await using var subscription = await Broker.SubscribeAsync(exchange, "#", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        // Prefetch 8 acks every 2 deliveries: the third waits for the quiet-queue flush.
        for (var i = 0; i < 3; i++)
        {
            await Broker.PublishAsync(exchange, "k", "{}"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        }

        await WaitUntilAsync(() => recorder.Count == 3, () => $"delivered {recorder.Count} of 3");
        await WaitUntil.ValueAsync(() => UnacknowledgedAsync(Broker.QueueName), static unacknowledged => unacknowledged == "0",
            unacknowledged => $"queue {Broker.QueueName} still has {unacknowledged} unacknowledged messages",
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
    }

    private async Task<string> UnacknowledgedAsync(string queue)
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var output = await node.Server.RunCtlAsync(timeout.Token, "list_queues", "name", "messages_unacknowledged", "--quiet", "--no-table-headers");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .FirstOrDefault(fields => fields.Length == 2 && fields[0] == queue)?[1].Trim() ?? "(no such queue)";
    }

    /// <summary>One private node for the class (StartAsync bounds its own start-up).</summary>
    public sealed class NodeFixture : IAsyncLifetime
    {
        private RabbitMqServer? _server;

        public RabbitMqServer Server => _server!;

        public async Task InitializeAsync() => _server = await RabbitMqServer.StartAsync();

        public async Task DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
