using Bridge.Broker;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Ledger;

/// <summary>
/// Feeds ledger events from the broker to the ledger WebSockets: a per-instance subscription to the ledger
/// exchange (every instance delivers to its own sockets) and the shared durable validation queue that
/// dead-letters malformed events once. Starting never waits for the broker: the subscription is retried until
/// the broker answers, and the broker itself restores it after a reconnection.
/// </summary>
internal sealed class LedgerEventConsumer(
    IBroker broker,
    LedgerUris uris,
    LedgerSubscriptions subscriptions,
    LedgerEventCounters counters,
    IOptions<LedgerOptions> options,
    TimeProvider time,
    BridgeMetrics metrics,
    ILogger<LedgerEventConsumer> logger) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetryDelay = TimeSpan.FromSeconds(5);

    private readonly string _exchange = options.Value.Exchange;
    private readonly CancellationTokenSource _stopping = new();
    private IAsyncDisposable? _queue;
    private IAsyncDisposable? _subscription;
    private Task _retry = Task.CompletedTask;

    /// <summary>Whether the per-instance subscription is in place (tests wait for it).</summary>
    public bool IsSubscribed => Volatile.Read(ref _subscription) is not null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _queue = await broker.ConsumeQueueAsync(options.Value.ValidationQueue, _exchange, "#", ValidateAsync, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Delivery does not depend on the validation queue: without it malformed events are still skipped, only not dead-lettered.
            LedgerLog.ValidationQueueUnavailable(logger, options.Value.ValidationQueue, ex);
        }

        if (!await TrySubscribeAsync(FirstRetryDelay, cancellationToken))
        {
            _retry = RetrySubscribeAsync(_stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _retry.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await DisposeHandlesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeHandlesAsync();
        _stopping.Dispose();
    }

    private async Task DisposeHandlesAsync()
    {
        if (Interlocked.Exchange(ref _subscription, null) is { } subscription)
        {
            await subscription.DisposeAsync();
        }

        if (Interlocked.Exchange(ref _queue, null) is { } queue)
        {
            await queue.DisposeAsync();
        }
    }

    private async Task RetrySubscribeAsync(CancellationToken cancellationToken)
    {
        var delay = FirstRetryDelay;
        try
        {
            while (true)
            {
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetryDelay.Ticks));
                if (await TrySubscribeAsync(delay, cancellationToken))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> TrySubscribeAsync(TimeSpan nextDelay, CancellationToken cancellationToken)
    {
        try
        {
            Volatile.Write(ref _subscription, await broker.SubscribeAsync(_exchange, "#", Deliver, cancellationToken));
            LedgerLog.Subscribed(logger, _exchange);
            return true;
        }
        catch (BrokerUnavailableException ex)
        {
            LedgerLog.SubscribeWaiting(logger, _exchange, nextDelay, ex);
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LedgerLog.SubscribeFailed(logger, _exchange, nextDelay, ex);
            return false;
        }
    }

    private void Deliver(in BrokerDelivery delivery)
    {
        if (!LedgerEvent.TryCreate(delivery, uris, out var ledgerEvent, out var error))
        {
            counters.AddSkipped();
            metrics.LedgerEvent("invalid");
            LedgerLog.Skipped(logger, error, delivery.RoutingKey);
            return;
        }

        var sent = subscriptions.Route(ledgerEvent);
        metrics.LedgerEvent("routed");
        metrics.Ledger.DeliveryHandedOver(delivery.ReceivedTimestamp);
        LedgerLog.Routed(logger, ledgerEvent.EventName, sent);
    }

    private ValueTask<bool> ValidateAsync(BrokerDelivery delivery, CancellationToken cancellationToken)
    {
        if (LedgerEvent.TryCreate(delivery, uris, out _, out var error))
        {
            return ValueTask.FromResult(true);
        }

        var count = counters.AddMalformed();
        LedgerLog.Malformed(logger, count, error, delivery.Exchange, delivery.RoutingKey);
        return ValueTask.FromResult(false);
    }
}
