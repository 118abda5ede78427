using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker;

/// <summary>
/// The durable shared queues of a <see cref="RabbitMqBroker"/> (competing consumers across bridge instances, see
/// <see cref="IBroker.ConsumeQueueAsync"/>): the registered consumers, started whenever the broker is connected,
/// what makes one unusable (for the status), and the deletion of a queue no longer wanted.
/// </summary>
internal sealed class DurableQueues(RabbitMqConnectionState connection, RabbitMqTopology topology, TimeProvider timeProvider, ILogger logger, TimeSpan confirmTimeout)
{
    private const int ConsumerCountLooks = 8;
    private static readonly TimeSpan ConsumerCountInterval = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<DurableQueueConsumer, bool> _consumers = new();

    public async ValueTask<IQueueConsumer> ConsumeAsync(string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, CancellationToken cancellationToken)
    {
        var consumer = new DurableQueueConsumer(connection, topology, logger, Forget, queue, exchange, bindingKey, handler, options, confirmTimeout);
        _consumers[consumer] = true;
        if (connection.IsConnected)
        {
            // Connected now: start at once. Otherwise (or if this fails) the connect or recovery path starts it.
            try
            {
                await consumer.EnsureStartedAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RabbitMqLog.DurableConsumerFailed(logger, queue, RabbitMqErrors.Describe(ex));
            }
        }

        return consumer;
    }

    public async ValueTask<bool> DeleteAsync(string queue, CancellationToken cancellationToken)
    {
        if (connection.Connection is not { IsOpen: true } open)
        {
            return false;
        }

        // Quorum queues refuse queue.delete with if-unused or if-empty (NOT_IMPLEMENTED, which closes the whole
        // connection), so the counts are read with a passive declare first. A consumer that starts between the
        // read and the delete loses the queue: only an instance that has not yet learnt that the queue is no
        // longer wanted can do that, and the queue is deleted because nothing should consume it any more.
        try
        {
            // A quorum queue forgets a consumer whose channel closed a moment later (through its Raft log), so the
            // caller's own consumer, disposed just before, may still be counted: look again a few times.
            var (_, consumers) = await CountAsync(open, queue, cancellationToken);
            for (var look = 1; consumers > 0 && look < ConsumerCountLooks; look++)
            {
                await Task.Delay(ConsumerCountInterval, timeProvider, cancellationToken);
                (_, consumers) = await CountAsync(open, queue, cancellationToken);
            }

            if (consumers > 0)
            {
                // Another instance still consumes it; it deletes the queue when it lets go.
                RabbitMqLog.DurableQueueInUse(logger, queue);
                return false;
            }

            await using var channel = await open.CreateChannelAsync(cancellationToken: cancellationToken);
            var dropped = await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
            RabbitMqLog.DurableQueueDeleted(logger, queue, dropped);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            // Never existed, or another instance deleted it first.
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or BrokerUnreachableException)
        {
            RabbitMqLog.DurableConsumerFailed(logger, queue, RabbitMqErrors.Describe(ex));
            return false;
        }

        try
        {
            // Only when empty: the refused messages stay for the operator to read.
            var deadLetter = queue + ".dead-letter";
            if (await CountAsync(open, deadLetter, cancellationToken) is (0, 0))
            {
                await using var channel = await open.CreateChannelAsync(cancellationToken: cancellationToken);
                await channel.QueueDeleteAsync(deadLetter, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
            }
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
        {
            // Missing (404) or the connection went: harmless.
        }

        return true;
    }

    /// <summary>Why a registered durable queue cannot be used now, for the status; null when every one can.</summary>
    public string? Problems()
    {
        var problems = _consumers.Keys.Select(static consumer => consumer.Problem).OfType<string>().Order(StringComparer.Ordinal).ToList();
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    public bool AnyUnusable => _consumers.Keys.Any(static consumer => consumer.Problem is not null);

    /// <summary>Starts every registered durable consumer that has no open channel (idempotent).</summary>
    public async Task StartAllAsync(CancellationToken cancellationToken)
    {
        foreach (var consumer in _consumers.Keys)
        {
            try
            {
                await consumer.EnsureStartedAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next reconnection or reconciliation tries again.
                RabbitMqLog.DurableConsumerFailed(logger, consumer.Queue, RabbitMqErrors.Describe(ex));
            }
        }
    }

    private void Forget(DurableQueueConsumer consumer) => _consumers.TryRemove(consumer, out _);

    // A passive declare on a channel of its own (a 404 closes it): the queue's messages and consumers.
    private static async Task<(uint Messages, uint Consumers)> CountAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
        return (declared.MessageCount, declared.ConsumerCount);
    }
}
