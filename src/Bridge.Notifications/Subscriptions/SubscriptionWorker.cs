using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Channels;
using Bridge.Json;
using Bridge.Webhooks;

namespace Bridge.Subscriptions;

/// <summary>
/// The handler of one subscription's durable queue (<see cref="SubscriptionDispatcher.QueueName"/>). The broker
/// gives it one message at a time (prefetch 1, a single active consumer over all instances), and the message
/// is acknowledged only when this returns: after the target answered 2xx, or after the delivery was given up
/// (then it is dead-lettered with the reason). A message that is outside the subscription's window or does
/// not match its filter is acknowledged at once. Deliveries are spaced by the subscription's <c>rate</c>, and
/// <see cref="WebhookOptions.DisableAfterFailures"/> given-up deliveries in a row disable the subscription.
/// </summary>
internal sealed class SubscriptionWorker
{
    private readonly INotificationEmitter _emitter;
    private readonly SubscriptionStore _store;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Func<WebhookSubscription, string, Task> _disable;
    private readonly ILogger _logger;
    private SubscriptionStatus? _status;
    private DateTimeOffset? _lastStart;
    private int _consecutiveFailures;
    private volatile string? _disabledReason;
    private long _givenUp;

    public SubscriptionWorker(WebhookSubscription subscription, TopicBinding binding, INotificationEmitter emitter, SubscriptionStore store,
        WebhookOptions options, TimeProvider timeProvider, Func<WebhookSubscription, string, Task> disable, ILogger logger)
    {
        Subscription = subscription;
        Binding = binding;
        _emitter = emitter;
        _store = store;
        _options = options;
        _timeProvider = timeProvider;
        _disable = disable;
        _logger = logger;
    }

    public WebhookSubscription Subscription { get; private set; }

    public TopicBinding Binding { get; }

    /// <summary>A refreshed copy of the subscription (same id, binding and target; a new secret, say) replaces the one read.</summary>
    public void Update(WebhookSubscription subscription) => Subscription = subscription;

    public async ValueTask<bool> HandleAsync(BrokerDelivery delivery, CancellationToken cancellationToken)
    {
        var subscription = Subscription;
        if (_disabledReason is { } disabled)
        {
            // Disabled while the consumer is being stopped: keep the event for the operator rather than drop it.
            throw new DeadLetterException($"subscription {subscription.Id} is disabled: {disabled}");
        }

        var now = _timeProvider.GetUtcNow();
        if (!subscription.IsOpenAt(now))
        {
            return true;
        }

        var data = Parse(delivery);
        var subject = Binding.Format == WatchFormat.Waterline ? data?["record"] : data;
        if (!Binding.Filter.Matches(subject))
        {
            return true;
        }

        await WaitForRateAsync(subscription, cancellationToken);
        var notification = NotificationGenerator.Generate(delivery, data, Binding.Format, _timeProvider.GetUtcNow());
        var result = await _emitter.EmitAsync(subscription, notification, cancellationToken);
        await RecordAsync(result, cancellationToken);
        if (result.Delivered)
        {
            _consecutiveFailures = 0;
            return true;
        }

        _consecutiveFailures++;
        var givenUp = Interlocked.Increment(ref _givenUp);
        var webhookId = WebhookEmitter.WebhookId(subscription.Id, notification.Id);
        SubscriptionsLog.DeliveryGivenUp(_logger, subscription.Id, webhookId, _consecutiveFailures, givenUp, result.Error ?? "");
        if (_consecutiveFailures >= _options.DisableAfterFailures)
        {
            var reason = $"{_consecutiveFailures} consecutive deliveries to {subscription.SendTo} were given up";
            _disabledReason = reason;
            await _disable(subscription, reason);
        }

        throw new DeadLetterException($"webhook {webhookId} to subscription {subscription.Id} given up after {result.Attempts} attempt(s): {result.Error}");
    }

    private JsonNode? Parse(BrokerDelivery delivery)
    {
        try
        {
            return UntrustedJson.ParseNode(delivery.Body.Span, UntrustedJson.MaxDocumentDepth);
        }
        catch (JsonException)
        {
            SubscriptionsLog.EventNotJson(_logger, delivery.Exchange, delivery.RoutingKey);
            return JsonValue.Create(Encoding.UTF8.GetString(delivery.Body.Span));
        }
    }

    private async Task WaitForRateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.Rate is { } rate && _lastStart is { } last)
        {
            // Bounded by WebhookSubscription.MaxRate: the message waits unacknowledged (see WebhookOptions.BrokerAckTimeout).
            var wait = last + TimeSpan.FromTicks(Math.Min(rate.Ticks, WebhookSubscription.MaxRate.Ticks)) - _timeProvider.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _timeProvider, cancellationToken);
            }
        }

        _lastStart = _timeProvider.GetUtcNow();
    }

    /// <summary>Updates the stored status; a store outage costs the status, never the delivery's outcome.</summary>
    private async Task RecordAsync(DeliveryResult result, CancellationToken cancellationToken)
    {
        var id = Subscription.Id;
        try
        {
            // Read once when this instance starts delivering (another one may have delivered before), then kept.
            _status ??= await _store.GetStatusAsync(id, cancellationToken);
            _status = _status.After(result, _timeProvider.GetUtcNow());
            await _store.SaveStatusAsync(_status, cancellationToken);
        }
        catch (Exception ex) when (ex is Documents.StoreUnavailableException or InvalidOperationException)
        {
            SubscriptionsLog.StatusNotSaved(_logger, id, ex.Message);
        }
    }
}
