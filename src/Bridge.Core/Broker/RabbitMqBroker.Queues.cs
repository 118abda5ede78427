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
    private const int ConsumerCountLooks = 8;
    private static readonly TimeSpan ConsumerCountInterval = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<DurableQueueConsumer, bool> _durableConsumers = new();

    public async ValueTask<IQueueConsumer> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(bindingKey, nameof(bindingKey));
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfZero(options.Prefetch);

        var consumer = new DurableQueueConsumer(this, queue, exchange, bindingKey, handler, options);
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

        // Quorum queues refuse queue.delete with if-unused or if-empty (NOT_IMPLEMENTED, which closes the whole
        // connection), so the counts are read with a passive declare first. A consumer that starts between the
        // read and the delete loses the queue: only an instance that has not yet learnt that the queue is no
        // longer wanted can do that, and the queue is deleted because nothing should consume it any more.
        try
        {
            // A quorum queue forgets a consumer whose channel closed a moment later (through its Raft log), so the
            // caller's own consumer, disposed just before, may still be counted: look again a few times.
            var (_, consumers) = await CountAsync(connection, queue, cancellationToken);
            for (var look = 1; consumers > 0 && look < ConsumerCountLooks; look++)
            {
                await Task.Delay(ConsumerCountInterval, _timeProvider, cancellationToken);
                (_, consumers) = await CountAsync(connection, queue, cancellationToken);
            }

            if (consumers > 0)
            {
                // Another instance still consumes it; it deletes the queue when it lets go.
                Log.DurableQueueInUse(_logger, queue);
                return false;
            }

            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var dropped = await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
            Log.DurableQueueDeleted(_logger, queue, dropped);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            // Never existed, or another instance deleted it first.
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or BrokerUnreachableException)
        {
            Log.DurableConsumerFailed(_logger, queue, Describe(ex));
            return false;
        }

        try
        {
            // Only when empty: the refused messages stay for the operator to read.
            var deadLetter = queue + ".dead-letter";
            if (await CountAsync(connection, deadLetter, cancellationToken) is (0, 0))
            {
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                await channel.QueueDeleteAsync(deadLetter, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
            }
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
        {
            // Missing (404) or the connection went: harmless.
        }

        return true;
    }

    // A passive declare on a channel of its own (a 404 closes it): the queue's messages and consumers.
    private static async Task<(uint Messages, uint Consumers)> CountAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
        return (declared.MessageCount, declared.ConsumerCount);
    }

    // Why a registered durable queue cannot be used now, for the status; null when every one can.
    private string? DurableQueueProblems()
    {
        var problems = _durableConsumers.Keys.Select(static consumer => consumer.Problem).OfType<string>().Order(StringComparer.Ordinal).ToList();
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private bool AnyDurableQueueUnusable => _durableConsumers.Keys.Any(static consumer => consumer.Problem is not null);

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

    /// <remarks>
    /// A message is acknowledged only after its handler accepted it, and a refused one only after its copy (with
    /// the reason in <see cref="QueueHandlerRunner.ReasonHeader"/>) was confirmed on the dead-letter queue: a
    /// crash at any point leaves it on the queue or on both, never on neither.
    /// </remarks>
    private sealed class DurableQueueConsumer(RabbitMqBroker broker, string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options)
        : IQueueConsumer
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private readonly CancellationTokenSource _stopping = new();
        private readonly string _deadLetter = queue + ".dead-letter";
        private IChannel? _channel;
        private string? _problem;
        private string? _consumerTag;
        private bool _disposed;
        private volatile bool _draining;
        private int _inFlight;
        private TaskCompletionSource _idle = NewIdle(completed: true);

        public string Queue { get; } = queue;

        /// <summary>Why the queue cannot be used now (it exists with other arguments), or null; see <see cref="RabbitMqBroker.Status"/>.</summary>
        public string? Problem
        {
            get => Volatile.Read(ref _problem);
            private set => Volatile.Write(ref _problem, value);
        }

        public async Task EnsureStartedAsync(CancellationToken cancellationToken)
        {
            await _lock.WaitAsync(cancellationToken);
            try
            {
                if (_disposed || _draining || _channel is { IsOpen: true } || broker._connection is not { IsOpen: true } connection)
                {
                    return;
                }

                if (_channel is not null)
                {
                    await _channel.DisposeAsync();
                    _channel = null;
                }

                await broker.DeclareExchangeUnderLockAsync(exchange, cancellationToken);

                // Confirms on this channel: a refused message's copy must be on the dead-letter queue before the ack.
                var channel = await connection.CreateChannelAsync(
                    new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
                await channel.BasicQosAsync(0, options.Prefetch, global: false, cancellationToken);
                var arguments = QuorumQueue.Arguments(
                [
                    new("x-dead-letter-exchange", ""),
                    new("x-dead-letter-routing-key", _deadLetter),
                ]);
                if (options.SingleActiveConsumer)
                {
                    arguments["x-single-active-consumer"] = true;
                }

                try
                {
                    await channel.QueueDeclareAsync(_deadLetter, durable: true, exclusive: false, autoDelete: false, arguments: QuorumQueue.Arguments(), cancellationToken: cancellationToken);
                    await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: cancellationToken);
                }
                catch (Exception ex) when (QuorumQueue.IsInequivalent(ex, out var reason))
                {
                    // Not transient: a classic queue of this name stays one until an operator migrates it. Reported
                    // once (log and readiness) and retried slowly by the broker's loop, never thrown at the caller.
                    await channel.DisposeAsync();
                    var problem = QuorumQueue.Advice(ex.Message.Contains(_deadLetter, StringComparison.Ordinal) ? _deadLetter : Queue, reason);
                    if (Problem != problem)
                    {
                        Problem = problem;
                        Log.DurableQueueUnusable(broker._logger, Queue, problem);
                    }

                    return;
                }

                Problem = null;
                await channel.QueueBindAsync(Queue, exchange, bindingKey, arguments: null, noWait: false, cancellationToken);

                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += OnReceivedAsync;
                _consumerTag = await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, cancellationToken);
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
            if (_draining)
            {
                // Stopping: not ours to start any more. Unacknowledged, it goes back to the queue when the channel closes.
                return;
            }

            BeginWork();
            try
            {
                await HandleAsync(((AsyncEventingBasicConsumer)sender).Channel, args);
            }
            finally
            {
                EndWork();
            }
        }

        private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs args)
        {
            // The handler is asynchronous and args.Body is only valid until this callback's task completes;
            // copying keeps the handler free to hand the body on.
            var body = args.Body.ToArray();
            var delivery = new BrokerDelivery(args.Exchange, args.RoutingKey, body,
                BridgeTracing.ExtractFromHeaders(args.BasicProperties.Headers), Stopwatch.GetTimestamp())
            {
                MessageId = args.BasicProperties.MessageId,
                Redelivered = args.Redelivered,
            };
            var verdict = await QueueHandlerRunner.RunAsync(handler, delivery, Queue, broker._logger, _stopping.Token);
            if (verdict.Outcome == QueueOutcome.Abandoned)
            {
                // Stopping mid-message: leave it unacknowledged, the broker redelivers it to another consumer.
                return;
            }

            try
            {
                if (verdict.Outcome == QueueOutcome.Refused)
                {
                    await PublishDeadLetterAsync(channel, args, body, verdict.Reason);
                }

                await channel.BasicAckAsync(args.DeliveryTag, multiple: false);
            }
            catch (Exception ex)
            {
                // The channel went away: the message is redelivered after recovery (at least once).
                Log.AckFailed(broker._logger, args.DeliveryTag, Describe(ex));
            }
        }

        private async Task PublishDeadLetterAsync(IChannel channel, BasicDeliverEventArgs args, byte[] body, string reason)
        {
            var headers = new Dictionary<string, object?>(args.BasicProperties.Headers ?? new Dictionary<string, object?>())
            {
                [QueueHandlerRunner.ReasonHeader] = reason,
                ["x-bridge-original-exchange"] = args.Exchange,
                ["x-bridge-original-routing-key"] = args.RoutingKey,
            };
            var properties = new BasicProperties
            {
                Persistent = true,
                MessageId = args.BasicProperties.MessageId,
                ContentType = args.BasicProperties.ContentType,
                Headers = headers,
            };

            // With confirmation tracking on, this completes once the broker has the copy. Not cancelled by stopping:
            // the verdict is in, and finishing it (copy, then ack) takes a moment (disposal waits for it).
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await channel.BasicPublishAsync("", _deadLetter, mandatory: false, properties, body, timeout.Token);
        }

        public async Task StopAsync(CancellationToken drainDeadline)
        {
            _draining = true;
            await _lock.WaitAsync(CancellationToken.None);
            try
            {
                if (_channel is { IsOpen: true } channel && _consumerTag is { } tag)
                {
                    try
                    {
                        // No new deliveries; those in hand finish below.
                        await channel.BasicCancelAsync(tag, noWait: false, CancellationToken.None);
                    }
                    catch (Exception ex)
                    {
                        Log.DurableConsumerFailed(broker._logger, Queue, Describe(ex));
                    }
                }
            }
            finally
            {
                _lock.Release();
            }

            Task idle;
            lock (_stopping)
            {
                idle = _idle.Task;
            }

            await idle.WaitAsync(drainDeadline).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await _stopping.CancelAsync();
        }

        private void BeginWork()
        {
            lock (_stopping)
            {
                if (_inFlight++ == 0)
                {
                    _idle = NewIdle(completed: false);
                }
            }
        }

        private void EndWork()
        {
            lock (_stopping)
            {
                if (--_inFlight == 0)
                {
                    _idle.TrySetResult();
                }
            }
        }

        private static TaskCompletionSource NewIdle(bool completed)
        {
            var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (completed)
            {
                idle.SetResult();
            }

            return idle;
        }

        public async ValueTask DisposeAsync()
        {
            broker._durableConsumers.TryRemove(this, out _);
            _draining = true;
            await _lock.WaitAsync(CancellationToken.None);
            try
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                await _stopping.CancelAsync();

                // Handlers see the cancellation and abandon their messages; one that had already decided finishes
                // its dead-letter copy and ack first.
                Task idle;
                lock (_stopping)
                {
                    idle = _idle.Task;
                }

                await idle.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (_channel is { IsOpen: true } channel)
                {
                    try
                    {
                        // Closing the channel returns every message still unacknowledged to the queue.
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

        [LoggerMessage(EventId = 1054, EventName = "DurableQueueUnusable", Level = LogLevel.Error,
            Message = "Not consuming durable queue {Queue}: {Problem}. The bridge reports not ready and tries again after each reconnection and every retry delay")]
        public static partial void DurableQueueUnusable(ILogger logger, string queue, string problem);
    }
}
