using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Bridge.Observability;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker;

/// <summary>
/// <see cref="IBroker"/> on RabbitMQ: one connection (automatic recovery on), one server-named exclusive
/// auto-delete queue per bridge instance consumed on one channel, bindings added and removed as the
/// <see cref="SubscriptionIndex"/> reference counts say, and deliveries fanned out in process.
/// Publishing uses its own channel with publisher confirms; declarations and (un)bindings use a third
/// channel, so that a PRECONDITION_FAILED (which closes a channel) never takes the consumer down.
/// </summary>
/// <remarks>
/// Start-up connects in the background (host start never waits for the broker): a Polly pipeline retries
/// with capped, jittered exponential backoff until it connects or the host stops; <see cref="Status"/>
/// says what it is waiting for. After a connection loss the client recovers the connection, queue,
/// bindings and consumer; the bridge then re-applies every binding the index holds (idempotent) and
/// removes those that went while disconnected, so subscribers never act.
/// </remarks>
public sealed partial class RabbitMqBroker : BackgroundService, IBroker
{
    // Acknowledgements go out in batches (see OnReceivedAsync); this bounds how long a quiet queue keeps its last few unacknowledged.
    private static readonly TimeSpan AckFlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly RabbitMqOptions _options;
    private readonly ILogger<RabbitMqBroker> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly SubscriptionIndex _index;
    private readonly ConnectionFactory _factory;
    private readonly ResiliencePipeline _retryPipeline;
    private readonly RabbitMqEndpoints _endpoints;
    private readonly string _address;
    private readonly BridgeMetrics? _metrics;

    // Guards the topology channel, binding changes, _knownExchanges and _staleBindings.
    private readonly SemaphoreSlim _topologyLock = new(1, 1);
    private readonly SemaphoreSlim _publishChannelLock = new(1, 1);
    private readonly SemaphoreSlim _recoverySignal = new(0);
    private readonly SemaphoreSlim _ackLock = new(1, 1);
    private readonly int _ackBatchSize;

    // Exchanges declared by the bridge or seen by a passive declare: publishing to them cannot fail with a 404.
    private readonly ConcurrentDictionary<string, bool> _knownExchanges = new(StringComparer.Ordinal);

    // Bounds the throw-away channels of existence checks, so a flood of publishes to missing exchanges costs
    // the broker a few channels at a time, not one per request.
    private readonly SemaphoreSlim _probeSlots = new(4, 4);
    private readonly HashSet<BrokerBinding> _staleBindings = [];

    private IConnection? _connection;
    private IChannel? _consumeChannel;
    private IChannel? _topologyChannel;
    private IChannel? _publishChannel;
    private volatile string _queueName = string.Empty;
    private volatile bool _isConnected;
    private volatile bool _isStopping;
    private volatile StatusSnapshot _status;

    // The newest delivery handed to the index (written by the consumer dispatch) and the newest acknowledged (under _ackLock).
    private ulong _deliveredTag;
    private ulong _ackedTag;
    private int _deliveriesSinceAck;

    public RabbitMqBroker(IOptions<RabbitMqOptions> options, ILogger<RabbitMqBroker> logger, TimeProvider timeProvider, BridgeMetrics? metrics = null)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider;
        _index = new SubscriptionIndex(logger);

        // A quarter of the prefetch window: the broker never waits for an ack while the bridge keeps up.
        _ackBatchSize = Math.Max(1, _options.Prefetch / 4);

        var uri = new Uri(_options.Uri!);
        _endpoints = new RabbitMqEndpoints(_options);
        _address = _endpoints.Description;
        _status = new StatusSnapshot(false, $"waiting for RabbitMQ at {_address}: not connected yet");

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
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.ConnectRetryDelay,
                MaxDelay = _options.ConnectRetryMaxDelay,
                OnRetry = args =>
                {
                    var reason = Describe(args.Outcome.Exception);
                    SetStatus(false, $"waiting for RabbitMQ at {_address}: {reason}");
                    Log.AttemptFailed(_logger, _address, args.AttemptNumber + 1, reason, args.RetryDelay);
                    return default;
                },
            })
            .Build();
    }

    public DependencyStatus Status
    {
        get
        {
            var status = _status;

            // A durable queue that exists with other arguments (a classic queue of an older bridge) is not
            // transient: not ready, naming the queue and the migration, until an operator deals with it.
            if (status.IsReady && DurableQueueProblems() is { } problems)
            {
                return new DependencyStatus(false, $"{status.Description}; {problems}");
            }

            return new DependencyStatus(status.IsReady, status.Description);
        }
    }

    /// <summary>The live subscriptions, for diagnostics and tests.</summary>
    public SubscriptionIndex Index => _index;

    /// <summary>The server-named queue this instance consumes (it changes when the client recovers the connection).</summary>
    public string QueueName => _queueName;

    public async ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(bindingKey, nameof(bindingKey));
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfNotConnected();

        await _topologyLock.WaitAsync(cancellationToken);
        try
        {
            ThrowIfNotConnected();
            var registration = _index.Add(exchange, bindingKey, handler);
            if (registration.IsNewBinding)
            {
                var binding = registration.Subscription.Binding;
                try
                {
                    await BindAsync(binding, cancellationToken);
                }
                catch (Exception ex)
                {
                    _index.Remove(registration.Subscription);

                    // The bind may have reached the broker before the failure: unbind it at the next reconciliation.
                    _staleBindings.Add(binding);
                    if (ex is OperationCanceledException)
                    {
                        throw;
                    }

                    throw new BrokerUnavailableException($"Could not bind to {exchange}/{bindingKey} at {_address}: {Describe(ex)}", ex);
                }
            }

            return new SubscriptionHandle(this, registration.Subscription);
        }
        finally
        {
            _topologyLock.Release();
        }
    }

    public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        PublishCheckedAsync(exchange, routingKey, body, declare: true, cancellationToken);

    public ValueTask PublishToExistingAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        PublishCheckedAsync(exchange, routingKey, body, declare: false, cancellationToken);

    /// <summary>
    /// Publishes on the shared confirming channel, but only to an exchange known to exist: a publish to a
    /// missing exchange is a channel error (404) that would close the channel under every other publish in
    /// flight (issue 11). Existence is learnt by declaring (<paramref name="declare"/>) or by a passive declare
    /// on a throw-away channel; and should the channel close anyway (the exchange was deleted since), the
    /// publishes it took down are retried once on a fresh channel after checking their exchange again.
    /// </summary>
    private async ValueTask PublishCheckedAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, bool declare, CancellationToken cancellationToken)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(routingKey, nameof(routingKey));
        ThrowIfNotConnected();

        var properties = NewProperties();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await EnsureExchangeKnownAsync(exchange, declare, cancellationToken);
                var channel = await GetPublishChannelAsync(cancellationToken);

                // With confirmation tracking on, this completes when the broker has confirmed the message. The id stays
                // with the message through every queue and redelivery (webhook ids derive from it); a retry keeps it.
                await channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body, cancellationToken);
                return;
            }
            catch (Exception ex) when (attempt == 1 && IsChannelFailure(ex))
            {
                // This publish, or another one on the same channel, hit a channel error. The message may or
                // may not have been routed; publishing again is the at-least-once promise of confirms.
                _knownExchanges.TryRemove(exchange, out _);
                Log.PublishRetried(_logger, exchange, Describe(ex));
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not BrokerUnavailableException and not ExchangeNotFoundException
                && IsTransient(ex))
            {
                _knownExchanges.TryRemove(exchange, out _);
                throw new BrokerUnavailableException($"Could not publish to {exchange} at {_address}: {Describe(ex)}", ex);
            }
        }
    }

    // A channel the server closed while the connection stays up: the cure is a new channel, not a new connection.
    private bool IsChannelFailure(Exception ex) =>
        ex is OperationInterruptedException or AlreadyClosedException or PublishException
        && _connection is { IsOpen: true };

    private async ValueTask EnsureExchangeKnownAsync(string exchange, bool declare, CancellationToken cancellationToken)
    {
        if (_knownExchanges.ContainsKey(exchange))
        {
            return;
        }

        if (!declare || ExchangeName.IsPredeclared(exchange))
        {
            await CheckExchangeExistsAsync(exchange, cancellationToken);
            return;
        }

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

    /// <summary>
    /// A passive declare on a channel of its own, closed by the broker when the exchange is missing, so that
    /// neither the publish nor the topology channel ever sees the 404. Missing answers are not cached: an
    /// operator may create the exchange at any time.
    /// </summary>
    private async ValueTask CheckExchangeExistsAsync(string exchange, CancellationToken cancellationToken)
    {
        if (_connection is not { IsOpen: true } connection)
        {
            throw new BrokerUnavailableException($"RabbitMQ at {_address} is not connected: {_status.Description}");
        }

        await _probeSlots.WaitAsync(cancellationToken);
        try
        {
            await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                await probe.ExchangeDeclarePassiveAsync(exchange, cancellationToken);
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.NotFound)
            {
                throw new ExchangeNotFoundException(exchange);
            }

            _knownExchanges[exchange] = true;
        }
        finally
        {
            _probeSlots.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var ackFlushStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var flushingAcks = FlushAcknowledgementsAsync(ackFlushStop.Token);
        try
        {
            Log.Connecting(_logger, _address);
            await _retryPipeline.ExecuteAsync(static (self, ct) => self.ConnectOnceAsync(ct), this, stoppingToken);

            while (!stoppingToken.IsCancellationRequested)
            {
                if (await _recoverySignal.WaitAsync(_options.ConnectRetryMaxDelay, stoppingToken))
                {
                    await _retryPipeline.ExecuteAsync(static (self, ct) => self.ReconcileAsync(ct), this, stoppingToken);
                }
                else if (_isConnected && AnyDurableQueueUnusable)
                {
                    // An operator may have migrated the queue meanwhile: try again, slowly (one declare per queue).
                    await StartDurableConsumersAsync(stoppingToken);
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
        _isStopping = true;
        await base.StopAsync(cancellationToken);

        _isConnected = false;
        SetStatus(false, $"stopped (RabbitMQ at {_address})");
        using var timeout = new CancellationTokenSource(_options.ShutdownTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            foreach (var channel in new[] { _consumeChannel, _publishChannel, _topologyChannel })
            {
                if (channel is { IsOpen: true })
                {
                    await channel.CloseAsync(Constants.ReplySuccess, "bridge stopping", abort: false, linked.Token);
                }
            }

            if (_connection is { } connection)
            {
                await connection.CloseAsync(Constants.ReplySuccess, "bridge stopping", _options.ShutdownTimeout, abort: false, linked.Token);
            }
        }
        catch (Exception ex)
        {
            Log.StopFailed(_logger, _address, ex);
        }
        finally
        {
            await DisposeConnectionAsync();
        }
    }

    public override void Dispose()
    {
        _isStopping = true;
        _connection?.Dispose();
        _topologyLock.Dispose();
        _publishChannelLock.Dispose();
        _probeSlots.Dispose();
        _recoverySignal.Dispose();
        _ackLock.Dispose();
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
            var publishChannel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);

            connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
            connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
            connection.ConnectionRecoveryErrorAsync += OnConnectionRecoveryErrorAsync;
            connection.QueueNameChangedAfterRecoveryAsync += OnQueueNameChangedAsync;

            var consumer = new AsyncEventingBasicConsumer(consumeChannel);
            consumer.ReceivedAsync += OnReceivedAsync;
            await consumeChannel.BasicConsumeAsync(queue.QueueName, autoAck: false, consumer, cancellationToken);

            _queueName = queue.QueueName;
            _connection = connection;
            _consumeChannel = consumeChannel;
            _topologyChannel = topologyChannel;
            _publishChannel = publishChannel;
            connection = null;

            _isConnected = true;

            // Ready only once the registered durable consumers run (one registered from now on starts itself).
            await StartDurableConsumersAsync(cancellationToken);
            SetStatus(true, $"connected to RabbitMQ at {ConnectedNode}");
            Log.Connected(_logger, ConnectedNode, _queueName);
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
        await _topologyLock.WaitAsync(cancellationToken);
        try
        {
            if (_connection is not { IsOpen: true })
            {
                throw new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.ConnectionForced, "the connection is not open yet"));
            }

            // Durable exchanges survive a restart, but the broker may be a new, empty node.
            _knownExchanges.Clear();
            var bindings = _index.GetBindings();
            foreach (var binding in bindings)
            {
                await BindAsync(binding, cancellationToken);
            }

            foreach (var stale in _staleBindings.ToArray())
            {
                if (_index.SubscriberCount(stale.Exchange, stale.BindingKey) == 0)
                {
                    var channel = await GetTopologyChannelAsync(cancellationToken);
                    await channel.QueueUnbindAsync(_queueName, stale.Exchange, stale.BindingKey, arguments: null, cancellationToken);
                }

                _staleBindings.Remove(stale);
            }

            _isConnected = true;
            SetStatus(true, $"connected to RabbitMQ at {ConnectedNode}");
            Log.Recovered(_logger, ConnectedNode, bindings.Count, _queueName);
        }
        finally
        {
            _topologyLock.Release();
        }

        // The client recovers consumers on recovered channels; this restarts any whose channel the server closed.
        await StartDurableConsumersAsync(cancellationToken);
    }

    // Under _topologyLock.
    private async ValueTask BindAsync(BrokerBinding binding, CancellationToken cancellationToken)
    {
        await DeclareExchangeAsync(binding.Exchange, cancellationToken);
        var channel = await GetTopologyChannelAsync(cancellationToken);
        await channel.QueueBindAsync(_queueName, binding.Exchange, binding.BindingKey, arguments: null, noWait: false, cancellationToken);
        _staleBindings.Remove(binding);
        Log.BindingAdded(_logger, binding.Exchange, binding.BindingKey, _queueName);
    }

    // Under _topologyLock.
    private async ValueTask DeclareExchangeAsync(string exchange, CancellationToken cancellationToken)
    {
        if (ExchangeName.IsPredeclared(exchange) || _knownExchanges.ContainsKey(exchange))
        {
            return;
        }

        var channel = await GetTopologyChannelAsync(cancellationToken);
        try
        {
            await channel.ExchangeDeclareAsync(
                exchange, ExchangeType.Topic, durable: true, autoDelete: false, arguments: null, passive: false, noWait: false, cancellationToken);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            // The exchange exists with another type, durability or arguments. Whoever made it owns it: use it
            // as it is. The 406 closed the topology channel; the next GetTopologyChannelAsync opens another.
            Log.ExchangeExistsDifferently(_logger, exchange, ex.ShutdownReason.ReplyText);
        }

        _knownExchanges[exchange] = true;
    }

    // Under _topologyLock.
    private async ValueTask<IChannel> GetTopologyChannelAsync(CancellationToken cancellationToken)
    {
        if (_topologyChannel is { IsOpen: true } open)
        {
            return open;
        }

        var replacement = await OpenReplacementChannelAsync(_topologyChannel, options: null, cancellationToken);
        _topologyChannel = replacement;
        return replacement;
    }

    private async ValueTask<IChannel> GetPublishChannelAsync(CancellationToken cancellationToken)
    {
        if (_publishChannel is { IsOpen: true } open)
        {
            return open;
        }

        await _publishChannelLock.WaitAsync(cancellationToken);
        try
        {
            if (_publishChannel is { IsOpen: true } reopened)
            {
                return reopened;
            }

            var replacement = await OpenReplacementChannelAsync(
                _publishChannel, new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            _publishChannel = replacement;
            return replacement;
        }
        finally
        {
            _publishChannelLock.Release();
        }
    }

    // A channel the server closed (406, 404) is not recovered by the client: replace it. While the connection
    // itself is down the old channel will be recovered with it, so there is nothing to replace yet.
    private async ValueTask<IChannel> OpenReplacementChannelAsync(IChannel? closed, CreateChannelOptions? options, CancellationToken cancellationToken)
    {
        if (_connection is not { IsOpen: true } connection)
        {
            throw new BrokerUnavailableException($"RabbitMQ at {_address} is not connected: {_status.Description}");
        }

        if (closed is not null)
        {
            await closed.DisposeAsync();
        }

        return await connection.CreateChannelAsync(options, cancellationToken);
    }

    private async ValueTask UnsubscribeAsync(SubscriptionIndex.Subscription subscription)
    {
        // Disposal is not cancellable; the client's continuation timeout bounds the unbind.
        await _topologyLock.WaitAsync(CancellationToken.None);
        try
        {
            if (!_index.Remove(subscription))
            {
                return;
            }

            var binding = subscription.Binding;
            if (!_isConnected || _isStopping)
            {
                _staleBindings.Add(binding);
                return;
            }

            try
            {
                var channel = await GetTopologyChannelAsync(CancellationToken.None);
                await channel.QueueUnbindAsync(_queueName, binding.Exchange, binding.BindingKey, arguments: null, CancellationToken.None);
                Log.BindingRemoved(_logger, binding.Exchange, binding.BindingKey, _queueName);
            }
            catch (Exception ex)
            {
                // Deliveries for it find no subscriber and are dropped; the next reconciliation retries the unbind.
                _staleBindings.Add(binding);
                Log.UnbindFailed(_logger, binding.Exchange, binding.BindingKey, Describe(ex));
            }
        }
        finally
        {
            _topologyLock.Release();
        }
    }

    /// <summary>
    /// Persistent, with an id that stays with the message through every queue and redelivery (webhook ids derive
    /// from it), and with the caller's trace context in the W3C headers when there is one (the RabbitMQ client
    /// replaces it with its own publish span's when its publisher source is traced, which keeps the chain intact).
    /// </summary>
    private static BasicProperties NewProperties()
    {
        var properties = new BasicProperties { Persistent = true, MessageId = Guid.NewGuid().ToString("N") };
        if (Activity.Current is not null)
        {
            var headers = new Dictionary<string, object?>(2, StringComparer.Ordinal);
            if (BridgeTracing.InjectIntoHeaders(headers))
            {
                properties.Headers = headers;
            }
        }

        return properties;
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

        // The one place deliveries are acknowledged, in batches: one basic.ack with multiple=true every
        // _ackBatchSize deliveries, and FlushAcknowledgementsAsync acks the rest when the queue goes quiet.
        // Acking each delivery cost a frame and a socket write per message (docs/benchmarks.md).
        Volatile.Write(ref _deliveredTag, args.DeliveryTag);
        if (++_deliveriesSinceAck >= _ackBatchSize)
        {
            _deliveriesSinceAck = 0;
            await AcknowledgeDeliveredAsync(args.CancellationToken);
        }
    }

    /// <summary>Acknowledges every delivery up to the newest one dispatched.</summary>
    /// <remarks>
    /// Correct across recovery: the client's recovering channel keeps delivery tags increasing over
    /// reconnections and drops an ack whose tag belongs to the lost connection, whose exclusive queue (and
    /// its unacknowledged messages) went with it.
    /// </remarks>
    private async ValueTask AcknowledgeDeliveredAsync(CancellationToken cancellationToken)
    {
        await _ackLock.WaitAsync(cancellationToken);
        try
        {
            var tag = Volatile.Read(ref _deliveredTag);
            if (tag <= _ackedTag || _consumeChannel is not { } channel)
            {
                return;
            }

            try
            {
                await channel.BasicAckAsync(tag, multiple: true, cancellationToken);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or OperationCanceledException)
            {
                // The queue is exclusive: an ack lost with the connection costs nothing.
                Log.AckFailed(_logger, tag, Describe(ex));
            }

            _ackedTag = tag;
        }
        finally
        {
            _ackLock.Release();
        }
    }

    private async Task FlushAcknowledgementsAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(AckFlushInterval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await AcknowledgeDeliveredAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the connection closes next, and the exclusive queue with it.
        }
    }

    private Task OnConnectionShutdownAsync(object sender, ShutdownEventArgs args)
    {
        if (_isStopping)
        {
            return Task.CompletedTask;
        }

        _isConnected = false;
        _metrics?.BrokerConnectionChanged("lost");
        var reason = args.ReplyText;
        SetStatus(false, $"waiting for RabbitMQ at {_address}: connection lost ({args.ReplyCode} {reason})");
        Log.ConnectionLost(_logger, ConnectedNode, args.ReplyCode, reason);
        return Task.CompletedTask;
    }

    private Task OnConnectionRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs args)
    {
        var reason = Describe(args.Exception);
        SetStatus(false, $"waiting for RabbitMQ at {_address}: {reason}");
        Log.RecoveryAttemptFailed(_logger, _address, reason);
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
        if (args.NameBefore == _queueName)
        {
            _queueName = args.NameAfter;
            Log.QueueRenamed(_logger, args.NameBefore, args.NameAfter);
        }

        return Task.CompletedTask;
    }

    private async ValueTask DisposeConnectionAsync()
    {
        foreach (var channel in new[] { _consumeChannel, _publishChannel, _topologyChannel })
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _consumeChannel = _publishChannel = _topologyChannel = null;
        _connection = null;
    }

    private void ThrowIfNotConnected()
    {
        if (!_isConnected)
        {
            throw new BrokerUnavailableException($"The broker is not available: {_status.Description}");
        }
    }

    // The node the connection is on (it changes when recovery moves to another), or the whole list before the first connection.
    private string ConnectedNode => _connection?.Endpoint is { } endpoint ? RabbitMqEndpoints.Describe(endpoint) : _address;

    private void SetStatus(bool isReady, string description) => _status = new StatusSnapshot(isReady, description);

    // What a connect, declare or bind can fail with while the broker is away or restarting; anything else
    // (a bug, a bad argument) surfaces instead of being retried forever.
    private static bool IsTransient(Exception ex) =>
        ex is BrokerUnreachableException or OperationInterruptedException or ConnectFailureException
            or IOException or SocketException or TimeoutException or BrokerUnavailableException or PublishException
            or ProtocolViolationException or ChannelAllocationException;

    private static string Describe(Exception? ex)
    {
        if (ex is null)
        {
            return "unknown error";
        }

        // BrokerUnreachableException says only "None of the specified endpoints were reachable".
        var innermost = ex;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return ReferenceEquals(innermost, ex) ? ex.Message : $"{ex.Message} ({innermost.Message})";
    }

    private sealed record StatusSnapshot(bool IsReady, string Description);

    private sealed class SubscriptionHandle(RabbitMqBroker broker, SubscriptionIndex.Subscription subscription) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => broker.UnsubscribeAsync(subscription);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1020, EventName = "RabbitMqConnecting", Level = LogLevel.Information,
            Message = "Connecting to RabbitMQ at {Address}")]
        public static partial void Connecting(ILogger logger, string address);

        [LoggerMessage(EventId = 1021, EventName = "RabbitMqConnected", Level = LogLevel.Information,
            Message = "Connected to RabbitMQ at {Address}; consuming queue {Queue}")]
        public static partial void Connected(ILogger logger, string address, string queue);

        [LoggerMessage(EventId = 1022, EventName = "RabbitMqAttemptFailed", Level = LogLevel.Warning,
            Message = "Waiting for RabbitMQ at {Address}: attempt {Attempt} failed: {Reason}; next attempt in {Delay}")]
        public static partial void AttemptFailed(ILogger logger, string address, int attempt, string reason, TimeSpan delay);

        [LoggerMessage(EventId = 1023, EventName = "RabbitMqConnectionLost", Level = LogLevel.Warning,
            Message = "Lost the connection to RabbitMQ at {Address} ({ReplyCode} {Reason}); recovering automatically")]
        public static partial void ConnectionLost(ILogger logger, string address, ushort replyCode, string reason);

        [LoggerMessage(EventId = 1024, EventName = "RabbitMqRecoveryAttemptFailed", Level = LogLevel.Warning,
            Message = "Waiting for RabbitMQ at {Address} to come back: {Reason}")]
        public static partial void RecoveryAttemptFailed(ILogger logger, string address, string reason);

        [LoggerMessage(EventId = 1025, EventName = "RabbitMqRecovered", Level = LogLevel.Information,
            Message = "Reconnected to RabbitMQ at {Address}; {BindingCount} bindings active on queue {Queue}")]
        public static partial void Recovered(ILogger logger, string address, int bindingCount, string queue);

        [LoggerMessage(EventId = 1026, EventName = "RabbitMqExchangeExistsDifferently", Level = LogLevel.Warning,
            Message = "Exchange {Exchange} already exists with another type or other arguments ({Reason}); using it as it is")]
        public static partial void ExchangeExistsDifferently(ILogger logger, string exchange, string reason);

        [LoggerMessage(EventId = 1027, EventName = "RabbitMqUnbindFailed", Level = LogLevel.Warning,
            Message = "Could not remove the binding {Exchange}/{BindingKey} ({Reason}); it will be removed after the next reconnection")]
        public static partial void UnbindFailed(ILogger logger, string exchange, string bindingKey, string reason);

        [LoggerMessage(EventId = 1028, EventName = "RabbitMqAckFailed", Level = LogLevel.Debug,
            Message = "Could not acknowledge deliveries up to {DeliveryTag} ({Reason}); the exclusive queue drops them with the connection")]
        public static partial void AckFailed(ILogger logger, ulong deliveryTag, string reason);

        [LoggerMessage(EventId = 1029, EventName = "RabbitMqStopFailed", Level = LogLevel.Warning,
            Message = "Closing the connection to RabbitMQ at {Address} did not finish cleanly")]
        public static partial void StopFailed(ILogger logger, string address, Exception exception);

        [LoggerMessage(EventId = 1030, EventName = "RabbitMqQueueRenamed", Level = LogLevel.Information,
            Message = "The bridge's queue was re-created after recovery: {Before} is now {After}")]
        public static partial void QueueRenamed(ILogger logger, string before, string after);

        [LoggerMessage(EventId = 1031, EventName = "RabbitMqBindingAdded", Level = LogLevel.Debug,
            Message = "Bound {Exchange}/{BindingKey} to queue {Queue}")]
        public static partial void BindingAdded(ILogger logger, string exchange, string bindingKey, string queue);

        [LoggerMessage(EventId = 1033, EventName = "RabbitMqPublishRetried", Level = LogLevel.Information,
            Message = "A publish to {Exchange} was lost with its channel ({Reason}); publishing it again on a new channel")]
        public static partial void PublishRetried(ILogger logger, string exchange, string reason);

        [LoggerMessage(EventId = 1032, EventName = "RabbitMqBindingRemoved", Level = LogLevel.Debug,
            Message = "Unbound {Exchange}/{BindingKey} from queue {Queue}")]
        public static partial void BindingRemoved(ILogger logger, string exchange, string bindingKey, string queue);
    }
}
