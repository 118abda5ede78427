using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Broker;

internal static class BrokerTestSupport
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    public static string UniqueExchange() => "test." + Guid.NewGuid().ToString("N");

    /// <param name="uri">The node.</param>
    /// <param name="logger">Where the broker logs; a fresh recording logger when null.</param>
    /// <param name="publishConfirmTimeout">Bridge:RabbitMq:PublishConfirmTimeout; the default when null.</param>
    public static RabbitMqBroker CreateBroker(string uri, ILogger<RabbitMqBroker>? logger = null, TimeSpan? publishConfirmTimeout = null)
    {
        var options = new RabbitMqOptions
        {
            Uri = uri,
            ClientName = "bridge-tests",
            ConnectRetryDelay = TimeSpan.FromMilliseconds(100),
            ConnectRetryMaxDelay = TimeSpan.FromMilliseconds(500),
            NetworkRecoveryInterval = TimeSpan.FromMilliseconds(500),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        if (publishConfirmTimeout is { } timeout)
        {
            options.PublishConfirmTimeout = timeout;
        }

        return new(Options.Create(options), logger ?? new RecordingLogger<RabbitMqBroker>(), TimeProvider.System);
    }

    /// <summary>
    /// Sends <paramref name="signal"/> (STOP, CONT) to a private node's Erlang VM: a frozen node keeps its TCP connections
    /// up (heartbeats are 60 s) and answers nothing, as RabbitMQ 3.10.8 did when a cluster node stopped.
    /// </summary>
    public static async Task SignalAsync(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]))!;
        await kill.WaitForExitAsync().WaitAsync(TestTimeout);
        Assert.Equal(0, kill.ExitCode);
    }

    public static async Task<RabbitMqBroker> StartBrokerAsync(string uri, ILogger<RabbitMqBroker>? logger = null)
    {
        var broker = CreateBroker(uri, logger);
        await broker.StartAsync(CancellationToken.None).WaitAsync(TestTimeout);
        await WaitUntilAsync(() => broker.Status.IsReady, () => $"the broker did not become ready: {broker.Status.Description}");
        return broker;
    }

    public static async Task StopAsync(RabbitMqBroker broker)
    {
        await broker.StopAsync(CancellationToken.None).WaitAsync(TestTimeout);
        broker.Dispose();
    }

    public static Task WaitUntilAsync(Func<bool> condition, Func<string> failure, TimeSpan? timeout = null) =>
        WaitUntil.TrueAsync(condition, failure, timeout ?? TestTimeout);

    /// <summary>Whether <paramref name="queue"/> exists on the broker at <paramref name="uri"/> (a passive declare).</summary>
    public static async Task<bool> QueueExistsAsync(string uri, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return false;
        }
    }

    /// <summary>Bindings of <paramref name="exchange"/> to queues, as "routingKey" lines, from rabbitmqctl.</summary>
    public static async Task<string[]> ListBindingsAsync(RabbitMqServer server, string exchange)
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var output = await server.RunCtlAsync(timeout.Token, "list_bindings", "source_name", "destination_kind", "routing_key", "--quiet", "--no-table-headers");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(fields => fields.Length == 3 && fields[0] == exchange && fields[1] == "queue")
            .Select(fields => fields[2])];
    }
}

/// <summary>Collects deliveries (copying the body, which is only valid during the call) for awaiting with a timeout.</summary>
internal sealed class DeliveryRecorder
{
    private readonly Channel<(string RoutingKey, string Body)> _received = Channel.CreateUnbounded<(string, string)>();

    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Handle(in BrokerDelivery delivery)
    {
        Interlocked.Increment(ref _count);
        _received.Writer.TryWrite((delivery.RoutingKey, Encoding.UTF8.GetString(delivery.Body.Span)));
    }

    public async Task<(string RoutingKey, string Body)> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? BrokerTestSupport.TestTimeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No delivery within {timeout ?? BrokerTestSupport.TestTimeout}.");
            throw;
        }
    }

    public bool TryNext(out (string RoutingKey, string Body) delivery) => _received.Reader.TryRead(out delivery);
}

internal sealed class RecordingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, eventId, formatter(state, exception)));
}
