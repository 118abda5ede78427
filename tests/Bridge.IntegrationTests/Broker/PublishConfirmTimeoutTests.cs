using System.Diagnostics;
using Bridge.Broker;
using static Bridge.IntegrationTests.Broker.BrokerTestSupport;

namespace Bridge.IntegrationTests.Broker;

/// <summary>
/// A publish whose confirm never comes fails after Bridge:RabbitMq:PublishConfirmTimeout instead of hanging.
/// The node here is private: its Erlang VM is frozen (SIGSTOP) for a few seconds, which keeps the TCP connection
/// up (heartbeats are 60 s) while nothing is confirmed, as RabbitMQ 3.10.8 did when a cluster node stopped.
/// </summary>
public sealed class PublishConfirmTimeoutTests
{
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Publish_WhileTheNodeDoesNotConfirm_FailsAfterTheTimeout_AndTheChannelStaysUsableAsync()
    {
        await using var server = await RabbitMqServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var logger = new RecordingLogger<RabbitMqBroker>();
        var broker = CreateBroker(server.AmqpUri, logger, ConfirmTimeout);
        await broker.StartAsync(CancellationToken.None).WaitAsync(TestTimeout);
        try
        {
            await WaitUntilAsync(() => broker.Status.IsReady, () => $"not ready: {broker.Status.Description}");
            var exchange = UniqueExchange();
            var recorder = new DeliveryRecorder();
            await using var subscription = await broker.SubscribeAsync(exchange, "#", recorder.Handle, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            await broker.PublishAsync(exchange, "before", "1"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            Assert.Equal("before", (await recorder.NextAsync()).RoutingKey);

            var pid = await server.GetVmPidAsync(CancellationToken.None).WaitAsync(TestTimeout);
            BrokerUnavailableException failure;
            var clock = Stopwatch.StartNew();
            await SignalAsync("STOP", pid);
            try
            {
                // Bounded by the test too, far above the option: without the option this publish never returns.
                failure = await Assert.ThrowsAsync<BrokerUnavailableException>(async () =>
                    await broker.PublishAsync(exchange, "frozen", "2"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout));
            }
            finally
            {
                await SignalAsync("CONT", pid);
            }

            Assert.True(clock.Elapsed >= ConfirmTimeout, $"failed after {clock.Elapsed}, before the timeout");
            Assert.Contains($"did not confirm the publish to {exchange} within 00:00:01", failure.Message, StringComparison.Ordinal);
            Assert.Contains("Bridge:RabbitMq:PublishConfirmTimeout", failure.Message, StringComparison.Ordinal);
            var logged = Assert.Single(logger.Entries, static e => e.EventId.Id == 1035);
            Assert.Contains(exchange, logged.Message, StringComparison.Ordinal);
            Assert.Contains("00:00:01", logged.Message, StringComparison.Ordinal);

            // The same channel publishes again once the node runs: no replacement (event 1033) was needed.
            await broker.PublishAsync(exchange, "after", "3"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            var keys = new List<string>();
            while (!keys.Contains("after"))
            {
                // The frozen publish reached the node's socket before the freeze and may be routed once it thaws.
                keys.Add((await recorder.NextAsync()).RoutingKey);
            }

            Assert.All(keys, static key => Assert.Contains(key, new[] { "frozen", "after" }));
            Assert.DoesNotContain(logger.Entries, static e => e.EventId.Id == 1033);
            Assert.True(broker.Status.IsReady, broker.Status.Description);
        }
        finally
        {
            await StopAsync(broker);
        }
    }
}
