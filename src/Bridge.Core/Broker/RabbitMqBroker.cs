using System.Diagnostics;
using Bridge.Observability;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Bridge.Broker;

/// <summary>
/// <see cref="IBroker"/> on RabbitMQ: one connection (automatic recovery on), one server-named exclusive
/// auto-delete queue per bridge instance consumed on one channel, and deliveries fanned out in process through
/// the <see cref="SubscriptionIndex"/>. This class owns the connection and its recovery and composes the parts
/// that do the rest, each with its own state and lock: <see cref="RabbitMqTopology"/> (exchanges and bindings),
/// <see cref="RabbitMqPublisher"/> (the confirming publish channel), <see cref="AcknowledgementBatcher"/> (the
/// instance queue's acks) and <see cref="DurableQueues"/> (the shared durable queues).
/// </summary>
/// <remarks>
/// Start-up connects in the background (host start never waits for the broker): a Polly pipeline retries
/// with capped, jittered exponential backoff until it connects or the host stops; <see cref="Status"/>
/// says what it is waiting for. After a connection loss the client recovers the connection, queue,
/// bindings and consumer; the bridge then re-applies every binding the index holds (idempotent) and
/// removes those that went while disconnected, so subscribers never act.
/// </remarks>
public sealed class RabbitMqBroker : BackgroundService, IBroker
{
    private readonly RabbitMqOptions _options;
    private readonly ILogger<RabbitMqBroker> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly SubscriptionIndex _index;
    private readonly ConnectionFactory _factory;
    private readonly ResiliencePipeline _retryPipeline;
    private readonly RabbitMqEndpoints _endpoints;
    private readonly BridgeMetrics? _metrics;
    private readonly SemaphoreSlim _recoverySignal = new(0);

    private readonly RabbitMqConnectionState _connection;
    private readonly RabbitMqTopology _topology;
    private readonly RabbitMqPublisher _publisher;
    private readonly AcknowledgementBatcher _acknowledgements;
    private readonly DurableQueues _durableQueues;

    private IChannel? _consumeChannel;

    public RabbitMqBroker(IOptions<RabbitMqOptions> options, ILogger<RabbitMqBroker> logger, TimeProvider timeProvider, BridgeMetrics? metrics = null)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider;
        _index = new SubscriptionIndex(logger);

        var uri = new Uri(_options.Uri!);
        _endpoints = new RabbitMqEndpoints(_options);
        _connection = new RabbitMqConnectionState(_endpoints);
        _topology = new RabbitMqTopology(_connection, _index, logger);
        _publisher = new RabbitMqPublisher(_connection, _topology, _options.PublishConfirmTimeout, timeProvider, logger);
        _durableQueues = new DurableQueues(_connection, _topology, timeProvider, logger, _options.PublishConfirmTimeout);

        // A quarter of the prefetch window: the broker never waits for an ack while the bridge keeps up.
        _acknowledgements = new AcknowledgementBatcher(Math.Max(1, _options.Prefetch / 4), () => _consumeChannel, timeProvider, logger);

        _factory = new ConnectionFactory
        {
            Uri = uri,
            ClientProvidedName = _options.ClientName,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = _options.NetworkRecoveryInterval,
            RequestedConnectionTimeout = _options.ConnectTimeout,
            // One dispatcher: deliveries reach the index in queue order and the handlers never run concurrently.
            ConsumerDispatchConcurrency = 1,
        };

        _retryPipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(RabbitMqErrors.IsTransient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.ConnectRetryDelay,
                MaxDelay = _options.ConnectRetryMaxDelay,
                OnRetry = args =>
                {
                    var reason = RabbitMqErrors.Describe(args.Outcome.Exception);
                    _connection.SetStatus(false, $"waiting for RabbitMQ at {_connection.Address}: {reason}");
                    RabbitMqLog.AttemptFailed(_logger, _connection.Address, args.AttemptNumber + 1, reason, args.RetryDelay);
                    return default;
                },
            })
            .Build();
    }

    public DependencyStatus Status
    {
        get
        {
            var isReady = _connection.IsReady;
            var description = _connection.StatusDescription;

            // A durable queue that exists with other arguments (a classic queue of an older bridge) is not
            // transient: not ready, naming the queue and the migration, until an operator deals with it.
            if (isReady && _durableQueues.Problems() is { } problems)
            {
                return new DependencyStatus(false, $"{description}; {problems}");
            }

            return new DependencyStatus(isReady, description);
        }
    }

    /// <summary>The live subscriptions, for diagnostics and tests.</summary>
    public SubscriptionIndex Index => _index;

    /// <summary>The server-named queue this instance consumes (it changes when the client recovers the connection).</summary>
    public string QueueName => _connection.QueueName;

    public async ValueTask<IBrokerSubscription> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(bindingKey, nameof(bindingKey));
        ArgumentNullException.ThrowIfNull(handler);

        var subscription = await _topology.AddAsync(exchange, bindingKey, handler, cancellationToken);
        return new RabbitMqSubscriptionHandle(_topology, subscription);
    }

    public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        PublishCheckedAsync(exchange, routingKey, body, declare: true, cancellationToken);

    public ValueTask PublishToExistingAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        PublishCheckedAsync(exchange, routingKey, body, declare: false, cancellationToken);

    public ValueTask<IQueueConsumer> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(bindingKey, nameof(bindingKey));
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfZero(options.Prefetch);
        return _durableQueues.ConsumeAsync(queue, exchange, bindingKey, handler, options, cancellationToken);
    }

    public ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        return _durableQueues.DeleteAsync(queue, cancellationToken);
    }

    private ValueTask PublishCheckedAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, bool declare, CancellationToken cancellationToken)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(routingKey, nameof(routingKey));
        _connection.ThrowIfNotConnected();
        return _publisher.PublishAsync(exchange, routingKey, body, declare, cancellationToken);
    }

    // Every retry delay while connected: what could not be set up on a live connection is tried again, slowly.
    private async Task RetryWhatFailedAsync(CancellationToken stoppingToken)
    {
        if (_topology.HasUnbound)
        {
            await _topology.BindUnboundAsync(stoppingToken);
        }

        if (_durableQueues.AnyUnusable)
        {
            // An operator may have migrated the queue meanwhile (one declare per queue).
            await _durableQueues.StartAllAsync(stoppingToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var ackFlushStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var flushingAcks = _acknowledgements.RunFlushLoopAsync(ackFlushStop.Token);
        try
        {
            RabbitMqLog.Connecting(_logger, _connection.Address);
            await _retryPipeline.ExecuteAsync(static (self, ct) => self.ConnectOnceAsync(ct), this, stoppingToken);

            while (!stoppingToken.IsCancellationRequested)
            {
                if (await _recoverySignal.WaitAsync(_options.ConnectRetryMaxDelay, stoppingToken))
                {
                    await _retryPipeline.ExecuteAsync(static (self, ct) => self.ReconcileAsync(ct), this, stoppingToken);
                }
                else if (_connection.IsConnected)
                {
                    await RetryWhatFailedAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync closes whatever was opened.
        }
        finally
        {
            await ackFlushStop.CancelAsync();
            await flushingAcks;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _connection.IsStopping = true;
        await base.StopAsync(cancellationToken);

        _connection.IsConnected = false;
        _connection.SetStatus(false, $"stopped (RabbitMQ at {_connection.Address})");
        using var timeout = new CancellationTokenSource(_options.ShutdownTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            foreach (var channel in new[] { _consumeChannel, _publisher.Channel, _topology.Channel })
            {
                if (channel is { IsOpen: true })
                {
                    await channel.CloseAsync(Constants.ReplySuccess, "bridge stopping", abort: false, linked.Token);
                }
            }

            if (_connection.Connection is { } connection)
            {
                await connection.CloseAsync(Constants.ReplySuccess, "bridge stopping", _options.ShutdownTimeout, abort: false, linked.Token);
            }
        }
        catch (Exception ex)
        {
            RabbitMqLog.StopFailed(_logger, _connection.Address, ex);
        }
        finally
        {
            await DisposeConnectionAsync();
        }
    }

    public override void Dispose()
    {
        _connection.IsStopping = true;
        _connection.Connection?.Dispose();
        _topology.Dispose();
        _publisher.Dispose();
        _recoverySignal.Dispose();
        _acknowledgements.Dispose();
        base.Dispose();
    }

    private async ValueTask ConnectOnceAsync(CancellationToken cancellationToken)
    {
        IConnection? connection = null;
        try
        {
            // Through the endpoint list: the client's recovery asks it again, which is how a connection moves to a live node.
            connection = await _factory.CreateConnectionAsync(_endpoints, _options.ClientName, cancellationToken);
            var consumeChannel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await consumeChannel.BasicQosAsync(0, (ushort)_options.Prefetch, global: false, cancellationToken);
            var queue = await consumeChannel.QueueDeclareAsync(
                queue: string.Empty, durable: false, exclusive: true, autoDelete: true, arguments: null, cancellationToken: cancellationToken);
            var topologyChannel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var publishChannel = await connection.CreateChannelAsync(RabbitMqPublisher.ChannelOptions, cancellationToken);

            connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
            connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
            connection.ConnectionRecoveryErrorAsync += OnConnectionRecoveryErrorAsync;
            connection.QueueNameChangedAfterRecoveryAsync += OnQueueNameChangedAsync;

            var consumer = new AsyncEventingBasicConsumer(consumeChannel);
            consumer.ReceivedAsync += OnReceivedAsync;
            await consumeChannel.BasicConsumeAsync(queue.QueueName, autoAck: false, consumer, cancellationToken);

            _connection.QueueName = queue.QueueName;
            _connection.Connection = connection;
            _consumeChannel = consumeChannel;
            _topology.Attach(topologyChannel);
            _publisher.Attach(publishChannel);
            connection = null;

            // Binds what was subscribed before the connection, then counts the broker connected.
            await _topology.ConnectedAsync(cancellationToken);

            // Ready only once the registered durable consumers run (one registered from now on starts itself).
            await _durableQueues.StartAllAsync(cancellationToken);
            _connection.SetStatus(true, $"connected to RabbitMQ at {_connection.ConnectedNode}");
            RabbitMqLog.Connected(_logger, _connection.ConnectedNode, _connection.QueueName);
        }
        finally
        {
            if (connection is not null)
            {
                // A half-built connection: drop it, the next attempt starts from scratch.
                await connection.DisposeAsync();
            }
        }
    }

    private async ValueTask ReconcileAsync(CancellationToken cancellationToken)
    {
        await _topology.ReconcileAsync(cancellationToken);

        // The client recovers consumers on recovered channels; this restarts any whose channel the server closed.
        await _durableQueues.StartAllAsync(cancellationToken);
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs args)
    {
        // args.Body is only valid until this callback returns. The handlers are synchronous and must copy
        // what they keep (see BrokerDelivery), so the body is passed through without a copy.
        var delivery = new BrokerDelivery(args.Exchange, args.RoutingKey, args.Body,
            BridgeTracing.ExtractFromHeaders(args.BasicProperties.Headers), Stopwatch.GetTimestamp());
        _metrics?.BrokerMessageReceived(args.Exchange);
        using (BridgeTracing.StartProcess(args.Exchange, args.RoutingKey, delivery.TraceContext))
        {
            _index.Dispatch(delivery);
        }

        await _acknowledgements.DeliveredAsync(args.DeliveryTag, args.CancellationToken);
    }

    private Task OnConnectionShutdownAsync(object sender, ShutdownEventArgs args)
    {
        if (_connection.IsStopping)
        {
            return Task.CompletedTask;
        }

        _connection.IsConnected = false;
        _metrics?.BrokerConnectionChanged("lost");
        var reason = args.ReplyText;
        _connection.SetStatus(false, $"waiting for RabbitMQ at {_connection.Address}: connection lost ({args.ReplyCode} {reason})");
        RabbitMqLog.ConnectionLost(_logger, _connection.ConnectedNode, args.ReplyCode, reason);
        return Task.CompletedTask;
    }

    private Task OnConnectionRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs args)
    {
        var reason = RabbitMqErrors.Describe(args.Exception);
        _connection.SetStatus(false, $"waiting for RabbitMQ at {_connection.Address}: {reason}");
        RabbitMqLog.RecoveryAttemptFailed(_logger, _connection.Address, reason);
        return Task.CompletedTask;
    }

    private Task OnRecoverySucceededAsync(object sender, AsyncEventArgs args)
    {
        // Reconcile on the broker's own loop, not inside the client's recovery callback.
        _metrics?.BrokerConnectionChanged("recovered");
        _recoverySignal.Release();
        return Task.CompletedTask;
    }

    private Task OnQueueNameChangedAsync(object sender, QueueNameChangedAfterRecoveryEventArgs args)
    {
        if (args.NameBefore == _connection.QueueName)
        {
            _connection.QueueName = args.NameAfter;
            RabbitMqLog.QueueRenamed(_logger, args.NameBefore, args.NameAfter);
        }

        return Task.CompletedTask;
    }

    private async ValueTask DisposeConnectionAsync()
    {
        if (_consumeChannel is not null)
        {
            await _consumeChannel.DisposeAsync();
        }

        await _publisher.DisposeChannelAsync();
        await _topology.DisposeChannelAsync();
        if (_connection.Connection is not null)
        {
            await _connection.Connection.DisposeAsync();
        }

        _consumeChannel = null;
        _connection.Connection = null;
    }
}
