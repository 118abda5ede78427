using System.Diagnostics;
using Bridge.Observability;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker;

/// <summary>
/// Publishing for a <see cref="RabbitMqBroker"/>: one long-lived channel with publisher confirms, shared by
/// every publish, and replaced (under its own lock) when the server closes it.
/// </summary>
internal sealed class RabbitMqPublisher(RabbitMqConnectionState connection, RabbitMqTopology topology, ILogger logger) : IDisposable
{
    /// <summary>The options of every publish channel: a publish completes when the broker has confirmed it.</summary>
    public static CreateChannelOptions ChannelOptions => new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private readonly SemaphoreSlim _channelLock = new(1, 1);
    private IChannel? _channel;

    /// <summary>The publish channel (for closing it on stop).</summary>
    public IChannel? Channel => _channel;

    /// <summary>Takes the publish channel of a new connection.</summary>
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
    /// Publishes on the shared confirming channel, but only to an exchange known to exist: a publish to a
    /// missing exchange is a channel error (404) that would close the channel under every other publish in
    /// flight (issue 11). Existence is learnt by declaring (<paramref name="declare"/>) or by a passive declare
    /// on a throw-away channel; and should the channel close anyway (the exchange was deleted since), the
    /// publishes it took down are retried once on a fresh channel after checking their exchange again.
    /// </summary>
    public async ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, bool declare, CancellationToken cancellationToken)
    {
        var properties = NewProperties();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await topology.EnsureExchangeKnownAsync(exchange, declare, cancellationToken);
                var channel = await GetChannelAsync(cancellationToken);

                // With confirmation tracking on, this completes when the broker has confirmed the message. The id stays
                // with the message through every queue and redelivery (webhook ids derive from it); a retry keeps it.
                await channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body, cancellationToken);
                return;
            }
            catch (Exception ex) when (attempt == 1 && IsChannelFailure(ex))
            {
                // This publish, or another one on the same channel, hit a channel error. The message may or
                // may not have been routed; publishing again is the at-least-once promise of confirms.
                topology.ForgetExchange(exchange);
                RabbitMqLog.PublishRetried(logger, exchange, RabbitMqErrors.Describe(ex));
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not BrokerUnavailableException and not ExchangeNotFoundException
                && RabbitMqErrors.IsTransient(ex))
            {
                topology.ForgetExchange(exchange);
                throw new BrokerUnavailableException($"Could not publish to {exchange} at {connection.Address}: {RabbitMqErrors.Describe(ex)}", ex);
            }
        }
    }

    // A channel the server closed while the connection stays up: the cure is a new channel, not a new connection.
    private bool IsChannelFailure(Exception ex) =>
        ex is OperationInterruptedException or AlreadyClosedException or PublishException
        && connection.Connection is { IsOpen: true };

    private async ValueTask<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await _channelLock.WaitAsync(cancellationToken);
        try
        {
            if (_channel is { IsOpen: true } reopened)
            {
                return reopened;
            }

            var replacement = await connection.OpenReplacementChannelAsync(_channel, ChannelOptions, cancellationToken);
            _channel = replacement;
            return replacement;
        }
        finally
        {
            _channelLock.Release();
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

    public void Dispose() => _channelLock.Dispose();
}
