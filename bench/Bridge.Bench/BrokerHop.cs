using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Bridge.Bench;

/// <summary>
/// The part of the bridge's latency that the ceiling does not have, measured alone: the bench's AMQP publisher →
/// RabbitMQ → one AMQP consumer in the bench process, bound to the topic the way the bridge binds (a server-named
/// exclusive queue). No bridge, no WebSocket. Published at the same message rate as a latency run, it says how
/// much of the bridge's publish-to-receive time is spent before the bridge has the message.
/// </summary>
public sealed class BrokerHop : IAsyncDisposable
{
    private readonly AmqpSession _session;
    private DeliveryRun? _run;

    private BrokerHop(AmqpSession session) => _session = session;

    public static async Task<BrokerHop> ConnectAsync(string amqpUri, CancellationToken cancellationToken)
    {
        var session = await AmqpSession.OpenAsync(amqpUri, "bridge-bench-hop", cancellationToken);
        var channel = session.Channel;
        var hop = new BrokerHop(session);
        var queue = await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue.QueueName, SubscriberFleet.Exchange, SubscriberFleet.RoutingKey, cancellationToken: cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += hop.OnReceivedAsync;
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, cancellationToken);
        return hop;
    }

    /// <summary>Publishes <paramref name="messages"/> at <paramref name="rate"/> per second and returns the publish-to-consume latencies.</summary>
    public async Task<LatencySummary> MeasureAsync(IBenchPublisher publisher, int messages, int size, double rate, CancellationToken cancellationToken)
    {
        var run = new DeliveryRun(messages, recordLatency: true);
        Volatile.Write(ref _run, run);
        try
        {
            await publisher.PublishAsync(messages, size, rate, cancellationToken);
            await run.Completed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return run.Latency();
        }
        finally
        {
            Volatile.Write(ref _run, null);
        }
    }

    private Task OnReceivedAsync(object sender, BasicDeliverEventArgs args)
    {
        var receivedAt = Stopwatch.GetTimestamp();
        Span<(long Seq, long Timestamp)> found = stackalloc (long, long)[1];
        if (Volatile.Read(ref _run) is { } run && PayloadFormat.Read(args.Body.Span, found) == 1)
        {
            run.OnDelivery(found[0].Seq, found[0].Timestamp, receivedAt);
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => _session.DisposeAsync();
}
