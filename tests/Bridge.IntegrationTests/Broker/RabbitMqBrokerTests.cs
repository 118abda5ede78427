using System.Text;
using Bridge.Broker;
using RabbitMQ.Client;
using static Bridge.IntegrationTests.Broker.BrokerTestSupport;

namespace Bridge.IntegrationTests.Broker;

/// <summary>Behaviour that any running broker shows: runs against the shared node (or BRIDGE_TEST_AMQP_URI).</summary>
public sealed class RabbitMqBrokerTests : IAsyncLifetime
{
    private string _uri = string.Empty;
    private RabbitMqBroker? _broker;
    private readonly RecordingLogger<RabbitMqBroker> _logger = new();

    private RabbitMqBroker Broker => _broker!;

    public async Task InitializeAsync()
    {
        // No shorter bound here: the first test to ask starts the shared node, which has its own start timeout
        // (generous, for a loaded machine) and reports the node's log when it runs out.
        _uri = await RabbitMqServer.GetSharedUriAsync();
        _broker = await StartBrokerAsync(_uri, _logger);
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await StopAsync(_broker);
        }
    }

    [Fact]
    public async Task Subscribe_ThenPublish_DeliversThroughTheBindingAsync()
    {
        var exchange = UniqueExchange();
        var recorder = new DeliveryRecorder();
        await using var subscription = await Broker.SubscribeAsync(exchange, "graph.*.information.#", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        await Broker.PublishAsync(exchange, "graph.progress.warning.g1", "{\"skip\":true}"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        await Broker.PublishAsync(exchange, "graph.progress.information.g1.n1", "{\"a\":1}"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        Assert.Equal(("graph.progress.information.g1.n1", "{\"a\":1}"), await recorder.NextAsync());
        Assert.True(Broker.Status.IsReady);
        Assert.StartsWith("connected to RabbitMQ at amqp://127.0.0.1:", Broker.Status.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_BindRefusedOnALiveConnection_IsReportedNotThrown_AndOthersStillBindAsync()
    {
        // amq.* exchanges are never declared by the bridge (RabbitMQ refuses that prefix): binding to a missing
        // one is a 404 that closes the topology channel under the bind.
        var missing = "amq.missing-" + Guid.NewGuid().ToString("N");
        await using var refused = await Broker.SubscribeAsync(missing, "#", static (in BrokerDelivery _) => { }, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.False(refused.IsBound);
        Assert.StartsWith($"Could not bind to {missing}/# at amqp://127.0.0.1:", refused.Problem, StringComparison.Ordinal);
        Assert.Contains(_logger.Entries, e => e.EventId.Id == 1034 && e.Message.Contains(missing, StringComparison.Ordinal));
        Assert.True(Broker.Status.IsReady, Broker.Status.Description);

        var exchange = UniqueExchange();
        var recorder = new DeliveryRecorder();
        await using var working = await Broker.SubscribeAsync(exchange, "#", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.True(working.IsBound, working.Problem);
        await Broker.PublishAsync(exchange, "after", "1"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.Equal("after", (await recorder.NextAsync()).RoutingKey);

        // Still reported after the broker's loop tried it again (every ConnectRetryMaxDelay, 500 ms here).
        await WaitUntilAsync(() => _logger.Entries.Count(e => e.EventId.Id == 1034) >= 2, () => "the refused bind was not tried again");
        Assert.False(refused.IsBound);
    }

    [Fact]
    public async Task Subscribe_HandlerThrows_ConsumerKeepsDeliveringToOthersAsync()
    {
        var exchange = UniqueExchange();
        var recorder = new DeliveryRecorder();
        await using var failing = await Broker.SubscribeAsync(exchange, "#", static (in BrokerDelivery _) => throw new InvalidOperationException("boom"), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        await using var working = await Broker.SubscribeAsync(exchange, "#", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        await Broker.PublishAsync(exchange, "one", "1"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        await Broker.PublishAsync(exchange, "two", "2"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        Assert.Equal("one", (await recorder.NextAsync()).RoutingKey);
        Assert.Equal("two", (await recorder.NextAsync()).RoutingKey);
        Assert.Contains(_logger.Entries, e => e.EventId.Id == 1000);
    }

    [Fact]
    public async Task Dispose_LastSubscription_NoFurtherDeliveryAsync()
    {
        var exchange = UniqueExchange();
        var gone = new DeliveryRecorder();
        var marker = new DeliveryRecorder();
        var subscription = await Broker.SubscribeAsync(exchange, "a.#", gone.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        await using var markerSubscription = await Broker.SubscribeAsync(exchange, "marker", marker.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        await subscription.DisposeAsync().AsTask().WaitAsync(TestTimeout);
        await Broker.PublishAsync(exchange, "a.b", "x"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        await Broker.PublishAsync(exchange, "marker", "m"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        // One queue, in order: once the marker is in, "a.b" would have been too.
        await marker.NextAsync();
        Assert.Equal(0, gone.Count);
        Assert.Equal(0, Broker.Index.SubscriberCount(exchange, "a.#"));
    }

    [Fact]
    public async Task Subscribe_ExchangeExistsWithOtherArguments_WarnsAndUsesItAsync()
    {
        var exchange = UniqueExchange();
        var factory = new ConnectionFactory { Uri = new Uri(_uri) };
        await using (var connection = await factory.CreateConnectionAsync().WaitAsync(TestTimeout))
        await using (var channel = await connection.CreateChannelAsync().WaitAsync(TestTimeout))
        {
            // Not durable, auto-delete off: the bridge's durable declaration of it gets PRECONDITION_FAILED.
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: false, autoDelete: false).WaitAsync(TestTimeout);
        }

        var recorder = new DeliveryRecorder();
        await using var subscription = await Broker.SubscribeAsync(exchange, "k.*", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        await Broker.PublishAsync(exchange, "k.1", "1"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        Assert.Equal("k.1", (await recorder.NextAsync()).RoutingKey);
        Assert.Contains(_logger.Entries, e => e.EventId.Id == 1026 && e.Message.Contains(exchange, StringComparison.Ordinal));
        Assert.True(Broker.Status.IsReady);

        // The consumer survived the closed topology channel: a second binding works too.
        await using var second = await Broker.SubscribeAsync(exchange, "other", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        await Broker.PublishAsync(exchange, "other", "2"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.Equal("other", (await recorder.NextAsync()).RoutingKey);
    }

    [Fact]
    public async Task TopicPattern_AgreesWithRabbitMqRoutingAsync()
    {
        string[] patterns = ["*.orange.*", "*.*.rabbit", "lazy.#", "a.#.b", "#.a", "a.#", "#.#", "a.*.#", "#", "*", "a..b", "a.*.b", "", "#.*", "*.#"];
        string[] keys = ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox", "lazy.pink.rabbit",
            "quick.brown.fox", "orange", "quick.orange.new.rabbit", "lazy.orange.new.rabbit", "lazy", "a", "b", "a.b", "a.x.b",
            "a.x.y.b", "x.a", "a.x", "", ".", "a..b", "a.", ".a", "a.b.c"];
        var exchange = UniqueExchange();
        var factory = new ConnectionFactory { Uri = new Uri(_uri) };
        await using var connection = await factory.CreateConnectionAsync().WaitAsync(TestTimeout);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)).WaitAsync(TestTimeout);
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: false, autoDelete: true).WaitAsync(TestTimeout);
        var queues = new Dictionary<string, string>();
        foreach (var pattern in patterns)
        {
            var queue = await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true).WaitAsync(TestTimeout);
            await channel.QueueBindAsync(queue.QueueName, exchange, pattern).WaitAsync(TestTimeout);
            queues[pattern] = queue.QueueName;
        }

        foreach (var key in keys)
        {
            await channel.BasicPublishAsync(exchange, key, Encoding.UTF8.GetBytes(key)).AsTask().WaitAsync(TestTimeout);
        }

        var mismatches = new List<string>();
        foreach (var pattern in patterns)
        {
            var routed = new HashSet<string>();
            while (await channel.BasicGetAsync(queues[pattern], autoAck: true).WaitAsync(TestTimeout) is { } message)
            {
                routed.Add(message.RoutingKey);
            }

            var compiled = TopicPattern.Compile(pattern);
            foreach (var key in keys)
            {
                if (compiled.IsMatch(key) != routed.Contains(key))
                {
                    mismatches.Add($"'{pattern}' vs '{key}': RabbitMQ {(routed.Contains(key) ? "routes" : "does not route")}");
                }
            }
        }

        Assert.Empty(mismatches);
    }
}
