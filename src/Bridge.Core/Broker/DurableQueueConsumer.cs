using System.Diagnostics;
using Bridge.Observability;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Bridge.Broker;

/// <summary>One durable shared queue of <see cref="IBroker.ConsumeQueueAsync"/> on RabbitMQ, on a confirming channel of its own.</summary>
/// <remarks>
/// A message is acknowledged only after its handler accepted it, and a refused one only after its copy (with
/// the reason in <see cref="QueueHandlerRunner.ReasonHeader"/>) was confirmed on the dead-letter queue: a
/// crash at any point leaves it on the queue or on both, never on neither.
/// </remarks>
internal sealed class DurableQueueConsumer(
    RabbitMqConnectionState connection, RabbitMqTopology topology, ILogger logger, Action<DurableQueueConsumer> onDisposed,
    string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, TimeSpan confirmTimeout)
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
            if (_disposed || _draining || _channel is { IsOpen: true } || connection.Connection is not { IsOpen: true } open)
            {
                return;
            }

            if (_channel is not null)
            {
                await _channel.DisposeAsync();
                _channel = null;
            }

            await topology.DeclareExchangeUnderLockAsync(exchange, cancellationToken);

            // Confirms on this channel: a refused message's copy must be on the dead-letter queue before the ack.
            var channel = await open.CreateChannelAsync(RabbitMqPublisher.ChannelOptions, cancellationToken);
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
                    RabbitMqLog.DurableQueueUnusable(logger, Queue, problem);
                }

                return;
            }

            Problem = null;
            await channel.QueueBindAsync(Queue, exchange, bindingKey, arguments: null, noWait: false, cancellationToken);

            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += OnReceivedAsync;
            _consumerTag = await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, cancellationToken);
            _channel = channel;
            RabbitMqLog.DurableConsumerStarted(logger, Queue, exchange, bindingKey);
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
        var verdict = await QueueHandlerRunner.RunAsync(handler, delivery, Queue, logger, _stopping.Token);
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
            RabbitMqLog.DurableMessageUnsettled(logger, Queue, args.DeliveryTag, RabbitMqErrors.Describe(ex));
            await RequeueAsync(channel, args.DeliveryTag);
        }
    }

    /// <summary>
    /// Gives a message back whose verdict could not be recorded. A channel that went away gives back all its
    /// unacknowledged messages by itself, at recovery. A live one does not: after a dead-letter copy the node did not
    /// confirm in time, the message would stay unacknowledged, and hold one of the consumer's prefetch slots, until the
    /// channel closed. Requeued, it is delivered again, and its copy may then reach the dead-letter queue twice, never
    /// zero times.
    /// </summary>
    private async Task RequeueAsync(IChannel channel, ulong deliveryTag)
    {
        if (!channel.IsOpen)
        {
            return;
        }

        try
        {
            await channel.BasicNackAsync(deliveryTag, multiple: false, requeue: true);
        }
        catch (Exception ex)
        {
            RabbitMqLog.DurableConsumerFailed(logger, Queue, "could not give back delivery " + deliveryTag + ": " + RabbitMqErrors.Describe(ex));
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

        // With confirmation tracking on, this completes once the broker has the copy, within the publish confirm
        // timeout (Bridge:RabbitMq:PublishConfirmTimeout), as every publish of the bridge. Not cancelled by stopping:
        // the verdict is in, and finishing it (copy, then ack) takes a moment (disposal waits for it).
        using var timeout = new CancellationTokenSource(confirmTimeout);
        try
        {
            await channel.BasicPublishAsync("", _deadLetter, mandatory: false, properties, body, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"RabbitMQ did not confirm the copy to {_deadLetter} within {confirmTimeout} ({RabbitMqOptions.SectionName}:{nameof(RabbitMqOptions.PublishConfirmTimeout)})");
        }
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
                    RabbitMqLog.DurableConsumerFailed(logger, Queue, RabbitMqErrors.Describe(ex));
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
        onDisposed(this);
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
                    RabbitMqLog.DurableConsumerFailed(logger, Queue, RabbitMqErrors.Describe(ex));
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
