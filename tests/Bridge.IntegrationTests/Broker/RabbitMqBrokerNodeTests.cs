using Bridge.Broker;
using static Bridge.IntegrationTests.Broker.BrokerTestSupport;

namespace Bridge.IntegrationTests.Broker;

/// <summary>Tests that look inside the broker (rabbitmqctl) and so need a private node of their own.</summary>
public sealed class RabbitMqBrokerNodeTests : IAsyncLifetime
{
    private RabbitMqServer? _server;
    private RabbitMqBroker? _broker;

    private RabbitMqServer Server => _server!;

    private RabbitMqBroker Broker => _broker!;

    public async Task InitializeAsync()
    {
        // The launcher bounds a node's start itself (a cold node on a loaded machine can take more than TestTimeout).
        _server = await RabbitMqServer.StartAsync();
        _broker = await StartBrokerAsync(_server.AmqpUri);
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await StopAsync(_broker);
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Subscribe_SameKeyTwice_SharesOneBrokerBindingUntilTheLastGoesAsync()
    {
        var exchange = UniqueExchange();
        var first = await Broker.SubscribeAsync(exchange, "nodes.#", static (in BrokerDelivery _) => { }, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        var second = await Broker.SubscribeAsync(exchange, "nodes.#", static (in BrokerDelivery _) => { }, CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        Assert.Equal(["nodes.#"], await ListBindingsAsync(Server, exchange));

        await first.DisposeAsync().AsTask().WaitAsync(TestTimeout);
        Assert.Equal(["nodes.#"], await ListBindingsAsync(Server, exchange));

        await second.DisposeAsync().AsTask().WaitAsync(TestTimeout);
        Assert.Empty(await ListBindingsAsync(Server, exchange));
    }

    [Fact]
    public async Task Subscribe_OnEmptyBroker_DeclaresTheExchangeAsDurableTopicAsync()
    {
        var exchange = UniqueExchange();
        var published = UniqueExchange();
        await using var subscription = await Broker.SubscribeAsync(exchange, "#", static (in BrokerDelivery _) => { }, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        await Broker.PublishAsync(published, "k", "x"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);

        using var timeout = new CancellationTokenSource(TestTimeout);
        var exchanges = await Server.RunCtlAsync(timeout.Token, "list_exchanges", "name", "type", "durable", "--quiet", "--no-table-headers");
        Assert.Contains($"{exchange}\ttopic\ttrue", exchanges, StringComparison.Ordinal);
        Assert.Contains($"{published}\ttopic\ttrue", exchanges, StringComparison.Ordinal);
    }
}
