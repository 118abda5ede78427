using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker;

/// <summary>
/// Binding reconciliation for a <see cref="RabbitMqBroker"/>: the instance queue's bindings follow the
/// <see cref="SubscriptionIndex"/> reference counts, exchanges are declared before they are bound or published
/// to, and after a recovery every binding the index holds is applied again while those that went during the
/// outage are removed. Declarations and (un)bindings use a channel of their own, so that a PRECONDITION_FAILED
/// (which closes a channel) never takes the consumer or the publisher down.
/// </summary>
internal sealed class RabbitMqTopology(RabbitMqConnectionState connection, SubscriptionIndex index, ILogger logger) : IDisposable
{
    // Guards the topology channel, binding changes, _knownExchanges' declarations and _staleBindings.
    private readonly SemaphoreSlim _lock = new(1, 1);

    // Exchanges declared by the bridge or seen by a passive declare: publishing to them cannot fail with a 404.
    private readonly ConcurrentDictionary<string, bool> _knownExchanges = new(StringComparer.Ordinal);

    // Bounds the throw-away channels of existence checks, so a flood of publishes to missing exchanges costs
    // the broker a few channels at a time, not one per request.
    private readonly SemaphoreSlim _probeSlots = new(4, 4);
    private readonly HashSet<BrokerBinding> _staleBindings = [];

    private IChannel? _channel;

    /// <summary>The topology channel (for closing it on stop).</summary>
    public IChannel? Channel => _channel;

    /// <summary>Takes the topology channel of a new connection.</summary>
    public void Attach(IChannel channel) => _channel = channel;

    public async ValueTask DisposeChannelAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        _channel = null;
    }

    /// <summary>Registers <paramref name="handler"/> and, when it is the first of its binding, binds it on the broker.</summary>
    public async ValueTask<SubscriptionIndex.Subscription> AddAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            connection.ThrowIfNotConnected();
            var registration = index.Add(exchange, bindingKey, handler);
            if (registration.IsNewBinding)
            {
                var binding = registration.Subscription.Binding;
                try
                {
                    await BindAsync(binding, cancellationToken);
                }
                catch (Exception ex)
                {
                    index.Remove(registration.Subscription);

                    // The bind may have reached the broker before the failure: unbind it at the next reconciliation.
                    _staleBindings.Add(binding);
                    if (ex is OperationCanceledException)
                    {
                        throw;
                    }

                    throw new BrokerUnavailableException($"Could not bind to {exchange}/{bindingKey} at {connection.Address}: {RabbitMqErrors.Describe(ex)}", ex);
                }
            }

            return registration.Subscription;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Unregisters <paramref name="subscription"/> and, when it was the last of its binding, unbinds it.</summary>
    public async ValueTask RemoveAsync(SubscriptionIndex.Subscription subscription)
    {
        // Disposal is not cancellable; the client's continuation timeout bounds the unbind.
        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            if (!index.Remove(subscription))
            {
                return;
            }

            var binding = subscription.Binding;
            if (!connection.IsConnected || connection.IsStopping)
            {
                _staleBindings.Add(binding);
                return;
            }

            try
            {
                var channel = await GetChannelAsync(CancellationToken.None);
                await channel.QueueUnbindAsync(connection.QueueName, binding.Exchange, binding.BindingKey, arguments: null, CancellationToken.None);
                RabbitMqLog.BindingRemoved(logger, binding.Exchange, binding.BindingKey, connection.QueueName);
            }
            catch (Exception ex)
            {
                // Deliveries for it find no subscriber and are dropped; the next reconciliation retries the unbind.
                _staleBindings.Add(binding);
                RabbitMqLog.UnbindFailed(logger, binding.Exchange, binding.BindingKey, RabbitMqErrors.Describe(ex));
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// After a recovery: applies every binding the index holds again (idempotent), removes those that went while
    /// disconnected, and only then reports the broker connected and ready, so subscribers never act.
    /// </summary>
    public async ValueTask ReconcileAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (connection.Connection is not { IsOpen: true })
            {
                throw new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.ConnectionForced, "the connection is not open yet"));
            }

            // Durable exchanges survive a restart, but the broker may be a new, empty node.
            _knownExchanges.Clear();
            var bindings = index.GetBindings();
            foreach (var binding in bindings)
            {
                await BindAsync(binding, cancellationToken);
            }

            foreach (var stale in _staleBindings.ToArray())
            {
                if (index.SubscriberCount(stale.Exchange, stale.BindingKey) == 0)
                {
                    var channel = await GetChannelAsync(cancellationToken);
                    await channel.QueueUnbindAsync(connection.QueueName, stale.Exchange, stale.BindingKey, arguments: null, cancellationToken);
                }

                _staleBindings.Remove(stale);
            }

            connection.IsConnected = true;
            connection.SetStatus(true, $"connected to RabbitMQ at {connection.ConnectedNode}");
            RabbitMqLog.Recovered(logger, connection.ConnectedNode, bindings.Count, connection.QueueName);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Makes sure a publish to <paramref name="exchange"/> cannot fail with a 404: declares it, or checks that it exists.</summary>
    public async ValueTask EnsureExchangeKnownAsync(string exchange, bool declare, CancellationToken cancellationToken)
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

        await DeclareExchangeUnderLockAsync(exchange, cancellationToken);
    }

    /// <summary>Forgets that <paramref name="exchange"/> exists (a publish to it failed): the next publish checks again.</summary>
    public void ForgetExchange(string exchange) => _knownExchanges.TryRemove(exchange, out _);

    public async ValueTask DeclareExchangeUnderLockAsync(string exchange, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await DeclareExchangeAsync(exchange, cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// A passive declare on a channel of its own, closed by the broker when the exchange is missing, so that
    /// neither the publish nor the topology channel ever sees the 404. Missing answers are not cached: an
    /// operator may create the exchange at any time.
    /// </summary>
    private async ValueTask CheckExchangeExistsAsync(string exchange, CancellationToken cancellationToken)
    {
        var open = connection.RequireOpen();
        await _probeSlots.WaitAsync(cancellationToken);
        try
        {
            await using var probe = await open.CreateChannelAsync(cancellationToken: cancellationToken);
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

    // Under _lock.
    private async ValueTask BindAsync(BrokerBinding binding, CancellationToken cancellationToken)
    {
        await DeclareExchangeAsync(binding.Exchange, cancellationToken);
        var channel = await GetChannelAsync(cancellationToken);
        await channel.QueueBindAsync(connection.QueueName, binding.Exchange, binding.BindingKey, arguments: null, noWait: false, cancellationToken);
        _staleBindings.Remove(binding);
        RabbitMqLog.BindingAdded(logger, binding.Exchange, binding.BindingKey, connection.QueueName);
    }

    // Under _lock.
    private async ValueTask DeclareExchangeAsync(string exchange, CancellationToken cancellationToken)
    {
        if (ExchangeName.IsPredeclared(exchange) || _knownExchanges.ContainsKey(exchange))
        {
            return;
        }

        var channel = await GetChannelAsync(cancellationToken);
        try
        {
            await channel.ExchangeDeclareAsync(
                exchange, ExchangeType.Topic, durable: true, autoDelete: false, arguments: null, passive: false, noWait: false, cancellationToken);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            // The exchange exists with another type, durability or arguments. Whoever made it owns it: use it
            // as it is. The 406 closed the topology channel; the next GetChannelAsync opens another.
            RabbitMqLog.ExchangeExistsDifferently(logger, exchange, ex.ShutdownReason.ReplyText);
        }

        _knownExchanges[exchange] = true;
    }

    // Under _lock.
    private async ValueTask<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        var replacement = await connection.OpenReplacementChannelAsync(_channel, options: null, cancellationToken);
        _channel = replacement;
        return replacement;
    }

    public void Dispose()
    {
        _lock.Dispose();
        _probeSlots.Dispose();
    }
}
