using System.Collections.Concurrent;
using System.Diagnostics;
using Bridge.Observability;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker;

// Durable shared queues (competing consumers across bridge instances), see IBroker.ConsumeQueueAsync.
public sealed partial class RabbitMqBroker
{
    private readonly ConcurrentDictionary<DurableQueueConsumer, bool> _durableConsumers = new();

    public async ValueTask<IAsyncDisposable> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(bindingKey, nameof(bindingKey));
        ArgumentNullException.ThrowIfNull(handler);

        var consumer = new DurableQueueConsumer(this, queue, exchange, bindingKey, handler);
        _durableConsumers[consumer] = true;
        if (_isConnected)
        {
            // Connected now: start at once. Otherwise (or if this fails) the connect or recovery path starts it.
            try
            {
                await consumer.EnsureStartedAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.DurableConsumerFailed(_logger, queue, Describe(ex));
            }
        }

        return consumer;
    }

    public async ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        if (_connection is not { IsOpen: true } connection)
        {
            return false;
        }

        // A refused queue.delete closes its channel, so each attempt gets a channel of its own.
        try
        {
            await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
            {
                var dropped = await channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: false, cancellationToken: cancellationToken);
                Log.DurableQueueDeleted(_logger, queue, dropped);
            }
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 406)
        {
            // PRECONDITION_FAILED: another instance still consumes it; it deletes the queue when it lets go.
            Log.DurableQueueInUse(_logger, queue);
            return false;
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or BrokerUnreachableException)
        {
            Log.DurableConsumerFailed(_logger, queue, Describe(ex));
            return false;
        }

        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.QueueDeleteAsync(queue + ".dead-letter", ifUnused: false, ifEmpty: true, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
        {
            // Not empty (406): the refused messages stay for the operator to read. Or the connection went: harmless.
        }

        return true;
    }

    /// <summary>Starts every registered durable consumer that has no open channel (idempotent).</summary>
    private async Task StartDurableConsumersAsync(CancellationToken cancellationToken)
    {
        foreach (var consumer in _durableConsumers.Keys)
        {
            try
            {
                await consumer.EnsureStartedAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next reconnection or reconciliation tries again.
                Log.DurableConsumerFailed(_logger, consumer.Queue, Describe(ex));
            }
        }
    }

    private sealed class DurableQueueConsumer(RabbitMqBroker broker, string queue, string exchange, string bindingKey, QueueHandler handler) : IAsyncDisposable
    {
        private const ushort Prefetch = 32;

        private readonly SemaphoreSlim _lock = new(1, 1);
        private readonly CancellationTokenSource _stopping = new();
        private IChannel? _channel;
        private bool _disposed;

        public string Queue { get; } = queue;

        public async Task EnsureStartedAsync(CancellationToken cancellationToken)
        {
            await _lock.WaitAsync(cancellationToken);
            try
            {
                if (_disposed || _channel is { IsOpen: true } || broker._connection is not { IsOpen: true } connection)
                {
                    return;
                }

                if (_channel is not null)
                {
                    await _channel.DisposeAsync();
                }

                await broker.DeclareExchangeUnderLockAsync(exchange, cancellationToken);
                var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                await channel.BasicQosAsync(0, Prefetch, global: false, cancellationToken);
                var deadLetter = Queue + ".dead-letter";
                await channel.QueueDeclareAsync(deadLetter, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken);
                await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false,
                    arguments: new Dictionary<string, object?>
                    {
                        ["x-dead-letter-exchange"] = "",
                        ["x-dead-letter-routing-key"] = deadLetter,
                    },
                    cancellationToken: cancellationToken);
                await channel.QueueBindAsync(Queue, exchange, bindingKey, arguments: null, noWait: false, cancellationToken);

                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += OnReceivedAsync;
                await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, cancellationToken);
                _channel = channel;
                Log.DurableConsumerStarted(broker._logger, Queue, exchange, bindingKey);
            }
            finally
            {
                _lock.Release();
            }
        }

        private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs args)
        {
            var channel = ((AsyncEventingBasicConsumer)sender).Channel;

            // The handler is asynchronous and args.Body is only valid until this callback's task completes;
            // copying keeps the handler free to hand the body on.
            var delivery = new BrokerDelivery(args.Exchange, args.RoutingKey, args.Body.ToArray(),
                BridgeTracing.ExtractFromHeaders(args.BasicProperties.Headers), Stopwatch.GetTimestamp());
            var outcome = await QueueHandlerRunner.RunAsync(handler, delivery, Queue, broker._logger, _stopping.Token);
            if (outcome == QueueOutcome.Abandoned)
            {
                // Stopping mid-message: leave it unacknowledged, the broker redelivers it to another consumer.
                return;
            }

            try
            {
                if (outcome == QueueOutcome.Accepted)
                {
                    await channel.BasicAckAsync(args.DeliveryTag, multiple: false);
                }
                else
                {
                    await channel.BasicNackAsync(args.DeliveryTag, multiple: false, requeue: false);
                }
            }
            catch (Exception ex)
            {
                // The channel went away: the message is redelivered after recovery (at least once).
                Log.AckFailed(broker._logger, args.DeliveryTag, Describe(ex));
            }
        }

        public async ValueTask DisposeAsync()
        {
            broker._durableConsumers.TryRemove(this, out _);
            await _lock.WaitAsync(CancellationToken.None);
            try
            {
                _disposed = true;
                await _stopping.CancelAsync();
                if (_channel is { IsOpen: true } channel)
                {
                    try
                    {
                        await channel.CloseAsync();
                    }
                    catch (Exception ex)
                    {
                        Log.DurableConsumerFailed(broker._logger, Queue, Describe(ex));
                    }
                }

                if (_channel is not null)
                {
                    await _channel.DisposeAsync();
                }
            }
            finally
            {
                _lock.Release();
            }
        }
    }

    private async ValueTask DeclareExchangeUnderLockAsync(string exchange, CancellationToken cancellationToken)
    {
        await _topologyLock.WaitAsync(cancellationToken);
        try
        {
            await DeclareExchangeAsync(exchange, cancellationToken);
        }
        finally
        {
            _topologyLock.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1050, EventName = "DurableConsumerStarted", Level = LogLevel.Information,
            Message = "Consuming durable queue {Queue} bound to {Exchange}/{BindingKey}")]
        public static partial void DurableConsumerStarted(ILogger logger, string queue, string exchange, string bindingKey);

        [LoggerMessage(EventId = 1051, EventName = "DurableConsumerFailed", Level = LogLevel.Warning,
            Message = "Durable queue {Queue}: {Reason}")]
        public static partial void DurableConsumerFailed(ILogger logger, string queue, string reason);

        [LoggerMessage(EventId = 1052, EventName = "DurableQueueDeleted", Level = LogLevel.Information,
            Message = "Deleted durable queue {Queue}, which nothing uses any more ({Dropped} messages dropped with it)")]
        public static partial void DurableQueueDeleted(ILogger logger, string queue, uint dropped);

        [LoggerMessage(EventId = 1053, EventName = "DurableQueueInUse", Level = LogLevel.Debug,
            Message = "Durable queue {Queue} is still consumed by another instance; that instance deletes it when it lets go")]
        public static partial void DurableQueueInUse(ILogger logger, string queue);
    }
}
