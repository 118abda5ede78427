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

    // Registered bindings not (yet) on the broker, with why: null when never attempted (registered while
    // disconnected), the bind's failure otherwise. Written under _lock; read without it by the handles.
    private readonly ConcurrentDictionary<BrokerBinding, string?> _unbound = new();

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

    /// <summary>
    /// Registers <paramref name="handler"/> and, when it is the first of its binding and the broker is connected,
    /// binds it. A binding that cannot be made now stays registered as unbound (see <see cref="IsBound"/>) and is
    /// bound by <see cref="BindUnboundAsync"/> or the next connection.
    /// </summary>
    public async ValueTask<SubscriptionIndex.Subscriber> AddAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var registration = index.Add(exchange, bindingKey, handler);
            if (!registration.IsNewBinding)
            {
                return registration.Subscriber;
            }

            var binding = registration.Subscriber.Binding;
            if (!connection.IsConnected)
            {
                // Nothing reached the broker: the next connection or reconciliation binds it.
                _unbound[binding] = null;
                return registration.Subscriber;
            }

            try
            {
                await BindAsync(binding, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                index.Remove(registration.Subscriber);

                // The bind may have reached the broker before the cancellation: unbind it at the next reconciliation.
                _staleBindings.Add(binding);
                throw;
            }
            catch (Exception ex)
            {
                MarkUnbound(binding, ex);
            }

            return registration.Subscriber;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Whether <paramref name="binding"/> is in place on a connected broker.</summary>
    public bool IsBound(BrokerBinding binding) => connection.IsConnected && !_unbound.ContainsKey(binding);

    /// <summary>Why <paramref name="binding"/> is not bound now, or null when it is.</summary>
    public string? ProblemOf(BrokerBinding binding)
    {
        if (!connection.IsConnected)
        {
            return $"The broker is not available: {connection.StatusDescription}";
        }

        return _unbound.TryGetValue(binding, out var failure) ? failure ?? "not bound yet" : null;
    }

    /// <summary>Whether some registered binding still waits for its bind (the broker's loop retries them).</summary>
    public bool HasUnbound => !_unbound.IsEmpty;

    /// <summary>Unregisters <paramref name="subscriber"/> and, when it was the last of its binding, unbinds it.</summary>
    public async ValueTask RemoveAsync(SubscriptionIndex.Subscriber subscriber)
    {
        // Disposal is not cancellable; the client's continuation timeout bounds the unbind.
        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            if (!index.Remove(subscriber))
            {
                return;
            }

            var binding = subscriber.Binding;
            if (_unbound.TryRemove(binding, out var failure) && failure is null)
            {
                // Registered while disconnected and never attempted: there is nothing to remove on the broker.
                return;
            }

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
    /// On a new connection: binds every subscription registered while there was none, then counts the broker
    /// connected (under the lock, so that a subscription made meanwhile is either bound here or binds itself).
    /// A bind that fails stays unbound and reported; it never fails the connection.
    /// </summary>
    public async ValueTask ConnectedAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            foreach (var binding in index.GetBindings())
            {
                await TryBindAsync(binding, throwWhenDisconnected: false, cancellationToken);
            }

            connection.IsConnected = true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// After a recovery: applies every binding the index holds again (idempotent), removes those that went while
    /// disconnected, and only then reports the broker connected and ready, so subscribers never act. Throws
    /// (and is retried) only when the connection is not open; a binding that fails on an open connection is
    /// reported and retried by <see cref="BindUnboundAsync"/>.
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
                await TryBindAsync(binding, throwWhenDisconnected: true, cancellationToken);
            }

            foreach (var stale in _staleBindings.ToArray())
            {
                if (index.SubscriberCount(stale.Exchange, stale.BindingKey) == 0)
                {
                    try
                    {
                        var channel = await GetChannelAsync(cancellationToken);
                        await channel.QueueUnbindAsync(connection.QueueName, stale.Exchange, stale.BindingKey, arguments: null, cancellationToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException && connection.Connection is { IsOpen: true })
                    {
                        // Refused on a live connection (the exchange went meanwhile, say): one stale binding must not
                        // keep the bridge from counting itself recovered. Deliveries for it find no subscriber.
                        RabbitMqLog.UnbindFailed(logger, stale.Exchange, stale.BindingKey, RabbitMqErrors.Describe(ex));
                        continue;
                    }
                }

                _staleBindings.Remove(stale);
            }

            connection.IsConnected = true;
            connection.SetStatus(true, $"connected to RabbitMQ at {connection.ConnectedNode}");
            RabbitMqLog.Recovered(logger, connection.ConnectedNode, bindings.Count - _unbound.Count, connection.QueueName);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Tries again the bindings whose bind failed while connected (the broker's loop calls it every retry delay).</summary>
    public async ValueTask BindUnboundAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            foreach (var binding in _unbound.Keys)
            {
                if (!connection.IsConnected)
                {
                    return;
                }

                await TryBindAsync(binding, throwWhenDisconnected: false, cancellationToken);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    // Under _lock. A failure on an open connection leaves the binding unbound (reported); a failure because the
    // connection went throws when the caller retries the whole pass, and otherwise waits for the recovery.
    private async ValueTask TryBindAsync(BrokerBinding binding, bool throwWhenDisconnected, CancellationToken cancellationToken)
    {
        try
        {
            await BindAsync(binding, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !(throwWhenDisconnected && connection.Connection is not { IsOpen: true }))
        {
            MarkUnbound(binding, ex);
        }
    }

    // Under _lock.
    private void MarkUnbound(BrokerBinding binding, Exception ex)
    {
        var reason = RabbitMqErrors.Describe(ex);
        // RemoveAsync unbinds it should it go before it is bound: the bind may have reached the broker before the failure.
        _unbound[binding] = $"Could not bind to {binding.Exchange}/{binding.BindingKey} at {connection.Address}: {reason}";
        RabbitMqLog.BindPending(logger, binding.Exchange, binding.BindingKey, connection.QueueName, reason);
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
        _unbound.TryRemove(binding, out _);
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
