using System.Net.WebSockets;
using System.Text;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Observability;

/// <summary>
/// A bridge and N <c>mq</c> watchers of one routing key, for counting what the delivery path does per message and
/// per recipient (issue 15). The watchers read into one reused buffer and only count frames, so that what the
/// process allocates while a round is delivered is the bridge's, not the clients'.
/// </summary>
public sealed class FanOutRig : IAsyncDisposable
{
    public const string Exchange = "on.test";

    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"seq":"0000000042","ts":"0000000000000000","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""");

    private readonly BridgeHost _host;
    private readonly IConnection? _producer;
    private readonly IChannel? _channel;
    private readonly string _routingKey = "fanout." + Guid.NewGuid().ToString("N")[..8];
    private readonly List<ClientWebSocket> _clients = [];
    private readonly List<Task> _readers = [];
    private readonly CancellationTokenSource _stop = new();
    private long _received;

    private FanOutRig(BridgeHost host, IConnection? producer, IChannel? channel)
    {
        _host = host;
        _producer = producer;
        _channel = channel;
    }

    public BridgeHost Host => _host;

    public int Recipients => _clients.Count;

    /// <param name="broker"><c>embedded</c> (the in-process broker; the test publishes through it) or <c>rabbitmq</c> (the run's node; an AMQP producer of the test's own).</param>
    /// <param name="metrics"><c>Bridge:Metrics:Enabled</c>.</param>
    /// <param name="tracing"><c>Bridge:Tracing:Enabled</c>.</param>
    public static async Task<FanOutRig> StartAsync(string broker, bool metrics, bool tracing)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Metrics:Enabled"] = metrics ? "true" : "false",
            ["Bridge:Tracing:Enabled"] = tracing ? "true" : "false",
        };
        string? amqp = null;
        if (broker == "rabbitmq")
        {
            amqp = await RabbitMqServer.GetSharedUriAsync();
            settings["Bridge:RabbitMq:Uri"] = amqp;
        }

        var host = await BridgeHost.StartAsync(settings);
        try
        {
            await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(60));
            if (amqp is null)
            {
                return new FanOutRig(host, null, null);
            }

            var producer = await new ConnectionFactory { Uri = new Uri(amqp) }.CreateConnectionAsync();
            return new FanOutRig(host, producer, await producer.CreateChannelAsync());
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connects <paramref name="count"/> more watchers, each live (its <c>session</c> reply came after its watch).</summary>
    public async Task AddRecipientsAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var socket = new ClientWebSocket();
            using var timeout = new CancellationTokenSource(ChannelClient.DefaultTimeout);
            await socket.ConnectAsync(_host.WebSocketUri("/mq"), timeout.Token);
            var watch = $$$"""{"handler":"watch","params":{"exchange":"{{{Exchange}}}","routingKey":"{{{_routingKey}}}"}}""";
            await socket.SendAsync(Encoding.UTF8.GetBytes(watch), WebSocketMessageType.Text, true, timeout.Token);
            await socket.SendAsync("""{"handler":"init"}"""u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, timeout.Token);
                if (result.EndOfMessage && Encoding.UTF8.GetString(buffer, 0, result.Count).Contains("\"session\"", StringComparison.Ordinal))
                {
                    break;
                }
            }

            _clients.Add(socket);
            _readers.Add(CountFramesAsync(socket));
        }
    }

    /// <summary>Publishes <paramref name="messages"/> and waits until every watcher has received each of them.</summary>
    public async Task RoundAsync(int messages)
    {
        var expected = Interlocked.Read(ref _received) + ((long)messages * _clients.Count);
        for (var i = 0; i < messages; i++)
        {
            if (_channel is not null)
            {
                await _channel.BasicPublishAsync(Exchange, _routingKey, Body);
            }
            else
            {
                await _host.Services.GetRequiredService<IBroker>().PublishAsync(Exchange, _routingKey, Body, CancellationToken.None);
            }
        }

        await WaitUntil.TrueAsync(() => Interlocked.Read(ref _received) >= expected,
            () => $"timed out waiting for {messages} messages × {_clients.Count} watchers: {Interlocked.Read(ref _received) - (expected - ((long)messages * _clients.Count))} frames arrived");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var client in _clients)
        {
            client.Abort();
            client.Dispose();
        }

        await Task.WhenAll(_readers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_producer is not null)
        {
            await _producer.DisposeAsync();
        }

        await _host.DisposeAsync();
        _stop.Dispose();
    }

    private async Task CountFramesAsync(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (result.EndOfMessage)
                {
                    Interlocked.Increment(ref _received);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The rig is being disposed.
        }
    }
}
