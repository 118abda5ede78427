using Bridge.Broker;
using Xunit.Abstractions;
using static Bridge.IntegrationTests.Broker.BrokerTestSupport;

namespace Bridge.IntegrationTests.Broker;

/// <summary>The broker going away and coming back: each test owns a private node it can stop and start.</summary>
public sealed class RabbitMqBrokerRecoveryTests(ITestOutputHelper output)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private void Phase(string name) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1}s {name}");

    [Fact]
    public async Task Start_WhileBrokerIsDown_ReportsWhatItWaitsForAndBecomesReadyOnceItIsUpAsync()
    {
        await using var server = RabbitMqServer.Prepare();
        var logger = new RecordingLogger<RabbitMqBroker>();
        var broker = CreateBroker(server.AmqpUri, logger);
        try
        {
            // Host start must not wait for the broker.
            await broker.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            await WaitUntilAsync(() => logger.Entries.Count(e => e.EventId.Id == 1022) >= 2, () => "no failed connection attempts were logged");

            var expected = $"waiting for RabbitMQ at amqp://127.0.0.1:{server.AmqpPort}: ";
            Assert.False(broker.Status.IsReady);
            Assert.StartsWith(expected, broker.Status.Description, StringComparison.Ordinal);
            var attempt = logger.Entries.First(e => e.EventId.Id == 1022).Message;
            Assert.Contains($"amqp://127.0.0.1:{server.AmqpPort}", attempt, StringComparison.Ordinal);
            Assert.Contains("attempt 1 failed", attempt, StringComparison.Ordinal);
            Assert.DoesNotContain("guest:guest", attempt, StringComparison.Ordinal);

            await server.RestartAsync().WaitAsync(TimeSpan.FromSeconds(90));
            await WaitUntilAsync(() => broker.Status.IsReady, () => $"not ready after the broker came up: {broker.Status.Description}");

            var exchange = UniqueExchange();
            var recorder = new DeliveryRecorder();
            await using var subscription = await broker.SubscribeAsync(exchange, "#", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            await broker.PublishAsync(exchange, "hello", "1"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            Assert.Equal("hello", (await recorder.NextAsync()).RoutingKey);
        }
        finally
        {
            await StopAsync(broker);
        }
    }

    [Fact]
    public async Task Subscribe_WhileBrokerIsDown_IsRegisteredAndReceivesOnceItIsUpWithoutTheCallerRetryingAsync()
    {
        await using var server = RabbitMqServer.Prepare();
        var broker = CreateBroker(server.AmqpUri);
        try
        {
            await broker.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            var exchange = UniqueExchange();
            var recorder = new DeliveryRecorder();

            // Returned at once, not thrown: registered, not bound, and saying why.
            await using var subscription = await broker.SubscribeAsync(exchange, "nodes.#", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            Assert.False(subscription.IsBound);
            Assert.StartsWith($"The broker is not available: waiting for RabbitMQ at amqp://127.0.0.1:{server.AmqpPort}", subscription.Problem, StringComparison.Ordinal);
            Assert.Equal([new BrokerBinding(exchange, "nodes.#")], broker.Index.GetBindings());

            // One made and disposed while down leaves nothing behind once the broker is up.
            var dropped = await broker.SubscribeAsync(exchange, "gone.#", static (in BrokerDelivery _) => { }, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            await dropped.DisposeAsync();
            Assert.False(dropped.IsBound);

            await server.RestartAsync().WaitAsync(TimeSpan.FromSeconds(90));
            Phase("node started");
            await WaitUntilAsync(() => subscription.IsBound, () => $"not bound after the broker came up: {subscription.Problem}");
            Assert.Null(subscription.Problem);

            await broker.PublishAsync(exchange, "nodes.1.updated", "after"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            Assert.Equal(("nodes.1.updated", "after"), await recorder.NextAsync());
            Assert.Equal(["nodes.#"], await ListBindingsAsync(server, exchange));
        }
        finally
        {
            await StopAsync(broker);
        }
    }

    [Fact]
    public async Task BrokerRestart_DuringSubscription_KeepsDeliveringWithoutResubscribingAsync()
    {
        await using var server = await RabbitMqServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(90));
        Phase("node started");
        var logger = new RecordingLogger<RabbitMqBroker>();
        var broker = await StartBrokerAsync(server.AmqpUri, logger);
        try
        {
            var exchange = UniqueExchange();
            var recorder = new DeliveryRecorder();
            await using var subscription = await broker.SubscribeAsync(exchange, "nodes.*.updated", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            await broker.PublishAsync(exchange, "nodes.1.updated", "before"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            Assert.Equal("before", (await recorder.NextAsync()).Body);
            var queueBefore = broker.QueueName;

            await server.StopAsync().WaitAsync(TestTimeout);
            Phase("node stopped");
            await WaitUntilAsync(() => !broker.Status.IsReady, () => "still ready with the broker stopped");
            await server.RestartAsync().WaitAsync(TimeSpan.FromSeconds(90));
            Phase("node restarted");
            await WaitUntilAsync(() => broker.Status.IsReady, () => $"not ready after the restart: {broker.Status.Description}");
            Phase("bridge ready again");

            await broker.PublishAsync(exchange, "nodes.2.updated", "after"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            Assert.Equal(("nodes.2.updated", "after"), await recorder.NextAsync());
            Assert.NotEqual(queueBefore, broker.QueueName);
            Assert.Equal(["nodes.*.updated"], await ListBindingsAsync(server, exchange));

            // The binding still comes and goes with its subscription after recovery.
            await subscription.DisposeAsync().AsTask().WaitAsync(TestTimeout);
            Assert.Empty(await ListBindingsAsync(server, exchange));
        }
        finally
        {
            await StopAsync(broker);
            Phase("bridge stopped");
            foreach (var entry in logger.Entries)
            {
                output.WriteLine($"{entry.Level} {entry.EventId.Id} {entry.Message}");
            }
        }
    }
}
