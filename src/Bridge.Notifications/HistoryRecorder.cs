using Bridge.Broker;
using Microsoft.Extensions.Options;

namespace Bridge.Notifications;

/// <summary>
/// The stored half (contract "Pull"): consumes the durable queue every bridge instance shares, so each
/// message is stored once however many instances run. A message that is not a valid webhook_tx notification,
/// or that cannot be stored, is refused and so dead-lettered (<c>&lt;queue&gt;.dead-letter</c>).
/// </summary>
internal sealed class HistoryRecorder(
    IBroker broker,
    NotificationHistory history,
    IOptions<NotificationOptions> options,
    ILogger<HistoryRecorder> logger) : IHostedService
{
    private readonly NotificationOptions _options = options.Value;
    private IAsyncDisposable? _consumer;
    private volatile bool _indexesReady;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryEnsureIndexesAsync(cancellationToken);
        try
        {
            _consumer = await broker.ConsumeQueueAsync(_options.HistoryQueue, _options.Exchange, NotificationPush.BindingKey, StoreAsync, cancellationToken);
        }
        catch (NotSupportedException ex)
        {
            // A broker without shared queues (a test double) leaves the bridge without a history, not without its other fronts.
            NotificationsLog.HistoryUnavailable(logger, ex.Message);
            return;
        }

        NotificationsLog.HistoryStarted(logger, _options.Exchange, _options.HistoryQueue, _options.Retention);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_consumer is not null)
        {
            await _consumer.DisposeAsync();
        }
    }

    private async ValueTask<bool> StoreAsync(BrokerDelivery delivery, CancellationToken cancellationToken)
    {
        if (!TransactionMessage.TryParse(delivery.Body.Span, out var message, out var error))
        {
            NotificationsLog.Invalid(logger, delivery.Exchange, delivery.RoutingKey, "stored", error);
            return false;
        }

        if (!_indexesReady)
        {
            await TryEnsureIndexesAsync(cancellationToken);
        }

        var deliveryId = NotificationIds.Of(delivery);
        try
        {
            // A redelivery follows a consumer that may have stored the message before its acknowledgement was lost
            // (its node died): the history keeps each message once, so look before storing it again.
            if (delivery.Redelivered && await history.ContainsDeliveryAsync(deliveryId, cancellationToken))
            {
                NotificationsLog.RedeliveryAlreadyStored(logger, TransactionMessage.IdOf(message), deliveryId);
                return true;
            }

            var item = await history.AppendAsync(message, cancellationToken, deliveryId);
            NotificationsLog.Stored(logger, TransactionMessage.IdOf(message), TransactionMessage.StatusOf(message), (string)item["storedAt"]!);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            NotificationsLog.StoreFailed(logger, TransactionMessage.IdOf(message), ex);
            return false;
        }
    }

    private async Task TryEnsureIndexesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await history.EnsureIndexesAsync(cancellationToken);
            _indexesReady = true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            NotificationsLog.IndexesFailed(logger, ex.Message);
        }
    }
}
