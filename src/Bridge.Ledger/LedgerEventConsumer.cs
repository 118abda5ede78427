using Bridge.Broker;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Ledger;

/// <summary>
/// Feeds ledger events from the broker to the ledger WebSockets: a per-instance subscription to the ledger
/// exchange (every instance delivers to its own sockets) and the shared durable validation queue that
/// dead-letters malformed events once. Starting never waits for the broker: both are registered at once and the
/// broker binds them when it can and restores them after a reconnection (IBroker.SubscribeAsync), so nothing here retries.
/// </summary>
internal sealed class LedgerEventConsumer(
    IBroker broker,
    LedgerUris uris,
    LedgerSubscriptions subscriptions,
    LedgerEventCounters counters,
    IOptions<LedgerOptions> options,
    BridgeMetrics metrics,
    ILogger<LedgerEventConsumer> logger) : IHostedService, IAsyncDisposable
{
    private readonly string _exchange = options.Value.Exchange;
    private IAsyncDisposable? _queue;
    private IBrokerSubscription? _subscription;

    /// <summary>Whether the per-instance subscription is bound on the broker now (tests wait for it).</summary>
    public bool IsSubscribed => Volatile.Read(ref _subscription) is { IsBound: true };

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

        var subscription = await broker.SubscribeAsync(_exchange, "#", Deliver, cancellationToken);
        Volatile.Write(ref _subscription, subscription);
        LedgerLog.Subscribed(logger, _exchange, subscription.Problem is { } problem ? "waiting: " + problem : "bound");
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeHandlesAsync();

    public async ValueTask DisposeAsync() => await DisposeHandlesAsync();

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
