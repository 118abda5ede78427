using System.Text;
using Bridge.Broker;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>A running bridge plus a way for a test to act as a producer on its broker.</summary>
public abstract class BridgeFixture : IAsyncLifetime
{
    private BridgeHost? _host;

    public BridgeHost Host => _host ?? throw new InvalidOperationException("the fixture has not started");

    public Uri WebSocketUri(string path) => Host.WebSocketUri(path);

    public abstract Task PublishAsync(string exchange, string routingKey, string json);

    public async Task InitializeAsync() => _host = await StartHostAsync();

    public virtual async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    protected abstract Task<BridgeHost> StartHostAsync();

    /// <summary>Settings every suite host shares: a topic-only resource, to exercise configured resources.</summary>
    protected static Dictionary<string, string?> SuiteSettings() => new()
    {
        // The protocol suite is about the protocol; token checks on channels have their own tests.
        ["Bridge:Channels:AllowAnonymous"] = "true",
        ["Bridge:Channels:Resources:workflows:Exchange"] = "on.events",
        ["Bridge:Channels:Resources:workflows:RoutingKey"] = "graph.#",
    };
}

/// <summary>The bridge on its embedded defaults: in-process broker, embedded store. Producers publish through the bridge's own broker.</summary>
public sealed class EmbeddedBridgeFixture : BridgeFixture
{
    public override async Task PublishAsync(string exchange, string routingKey, string json) =>
        await Host.Services.GetRequiredService<IBroker>().PublishAsync(exchange, routingKey, Encoding.UTF8.GetBytes(json), CancellationToken.None);

    protected override Task<BridgeHost> StartHostAsync() => BridgeHost.StartAsync(SuiteSettings());
}

/// <summary>
/// The bridge on a real RabbitMQ node that the fixture starts (or <c>BRIDGE_TEST_AMQP_URI</c>). The test
/// publishes as an external producer over its own AMQP connection, as RackHD does.
/// </summary>
public class RabbitMqBridgeFixture : BridgeFixture
{
    private IConnection? _producer;
    private IChannel? _channel;

    public string AmqpUri { get; private set; } = "";

    public override async Task PublishAsync(string exchange, string routingKey, string json)
    {
        var channel = _channel ?? throw new InvalidOperationException("the fixture has not started");
        using var timeout = new CancellationTokenSource(ChannelClient.DefaultTimeout);
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, cancellationToken: timeout.Token);
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: false,
            new BasicProperties { ContentType = "application/json" }, Encoding.UTF8.GetBytes(json), timeout.Token);
    }

    protected override async Task<BridgeHost> StartHostAsync()
    {
        AmqpUri = await RabbitMqServer.GetSharedUriAsync();
        var settings = SuiteSettings();
        settings["Bridge:RabbitMq:Uri"] = AmqpUri;
        await AddSettingsAsync(settings);
        var host = await BridgeHost.StartAsync(settings);
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));

        _producer = await new ConnectionFactory { Uri = new Uri(AmqpUri) }.CreateConnectionAsync();
        _channel = await _producer.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return host;
    }

    /// <summary>A derived fixture's chance to add servers and settings before the bridge starts.</summary>
    protected virtual Task AddSettingsAsync(Dictionary<string, string?> settings) => Task.CompletedTask;

    public override async Task DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_producer is not null)
        {
            await _producer.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

public static class Readiness
{
    /// <summary>Polls <c>/readyz</c> until it answers 200.</summary>
    public static async Task WaitUntilReadyAsync(BridgeHost host, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = host.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        await WaitUntil.ValueAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                return (Ready: response.IsSuccessStatusCode, Body: await response.Content.ReadAsStringAsync());
            },
            static answer => answer.Ready,
            answer => $"the bridge did not become ready within {timeout.TotalSeconds} s; last /readyz: {answer.Body}",
            timeout, TimeSpan.FromMilliseconds(100));
    }
}
