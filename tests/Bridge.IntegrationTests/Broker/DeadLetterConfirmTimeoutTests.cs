using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Bridge.Broker;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using static Bridge.IntegrationTests.Broker.BrokerTestSupport;

namespace Bridge.IntegrationTests.Broker;

/// <summary>
/// A refused message of a durable queue whose dead-letter copy the node does not confirm: the copy fails after
/// Bridge:RabbitMq:PublishConfirmTimeout (it had a fixed 10 s), the failure is logged, and the message goes back to the
/// queue instead of staying unacknowledged on the live channel. The node is private and frozen (SIGSTOP), as in
/// <see cref="PublishConfirmTimeoutTests"/>.
/// </summary>
public sealed class DeadLetterConfirmTimeoutTests
{
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(1);

    // Far below the 10 s the copy used to wait, far above the one second it waits now.
    private static readonly TimeSpan FrozenAtMost = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task RefusedMessage_WhoseCopyIsNotConfirmed_FailsAfterTheTimeout_AndIsDeliveredAgainAsync()
    {
        await using var server = await RabbitMqServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var logger = new RecordingLogger<RabbitMqBroker>();
        var broker = CreateBroker(server.AmqpUri, logger, ConfirmTimeout);
        await broker.StartAsync(CancellationToken.None).WaitAsync(TestTimeout);
        var pid = await server.GetVmPidAsync(CancellationToken.None).WaitAsync(TestTimeout);
        var queue = "bridge.test." + Guid.NewGuid().ToString("N");
        var exchange = UniqueExchange();
        var seen = new ConcurrentQueue<(string Body, bool Redelivered)>();
        var frozen = new Stopwatch();
        var thawed = false;
        try
        {
            await WaitUntilAsync(() => broker.Status.IsReady, () => $"not ready: {broker.Status.Description}");
            await using var consumer = await broker.ConsumeQueueAsync(queue, exchange, "#", async (delivery, _) =>
            {
                var body = Encoding.UTF8.GetString(delivery.Body.Span);
                seen.Enqueue((body, delivery.Redelivered));
                if (body == "bad" && !delivery.Redelivered)
                {
                    // The verdict is in; the node freezes before it can take the dead-letter copy.
                    frozen.Restart();
                    await SignalAsync("STOP", pid);
                }

                return body != "bad";
            }, CancellationToken.None);
            await broker.PublishAsync(exchange, "tx", "bad"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);

            try
            {
                await WaitUntilAsync(() => logger.Entries.Any(static e => e.EventId.Id == 1055) || frozen.Elapsed > FrozenAtMost,
                    () => "the handler did not refuse the message");
                Assert.True(frozen.Elapsed <= FrozenAtMost, $"nothing was logged {frozen.Elapsed} after the node froze");
                Assert.True(frozen.Elapsed >= ConfirmTimeout, $"gave up after {frozen.Elapsed}, before the timeout");
                var logged = Assert.Single(logger.Entries, static e => e.EventId.Id == 1055);
                Assert.Equal(LogLevel.Warning, logged.Level);
                Assert.Contains(queue, logged.Message, StringComparison.Ordinal);
                Assert.Contains("did not confirm the copy to " + queue + ".dead-letter within 00:00:01", logged.Message, StringComparison.Ordinal);
                Assert.Contains("Bridge:RabbitMq:PublishConfirmTimeout", logged.Message, StringComparison.Ordinal);
            }
            finally
            {
                await SignalAsync("CONT", pid);
                thawed = true;
            }

            // Given back to the queue: delivered again, refused again, and this time copied and acknowledged.
            await WaitUntilAsync(() => seen.Count >= 2, () => $"the message was delivered {seen.Count} time(s)");
            Assert.Equal([("bad", false), ("bad", true)], seen.Take(2));
            var copies = 0u;
            for (var attempt = 0; attempt < 100 && copies == 0; attempt++)
            {
                copies = await CountAsync(server.AmqpUri, queue + ".dead-letter");
                await Task.Delay(copies == 0 ? 100 : 0);
            }

            // One copy, or two when the frozen one was routed once the node ran again: never none.
            Assert.InRange(copies, 1u, 2u);

            // The channel kept working: the next message is handled and nothing else came back.
            await broker.PublishAsync(exchange, "tx", "good"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
            await WaitUntilAsync(() => seen.Any(static s => s.Body == "good"), () => "the next message was not handled");
            Assert.Equal(3, seen.Count);
        }
        finally
        {
            if (!thawed)
            {
                await SignalAsync("CONT", pid);
            }

            await StopAsync(broker);
        }
    }

    private static async Task<uint> CountAsync(string uri, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }
}
