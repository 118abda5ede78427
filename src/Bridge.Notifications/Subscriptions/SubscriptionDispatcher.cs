using System.Collections.Frozen;
using Bridge.Broker;
using Bridge.Channels;
using Bridge.Kernel;
using Bridge.Webhooks;
using Microsoft.Extensions.Options;

namespace Bridge.Subscriptions;

/// <summary>
/// The activity source of the subscription pipeline (seed 002 "ListeningActivityHandler"). Every subscription
/// has its own durable queue, <c>bridge.webhooks.&lt;subscription id&gt;</c>, bound to its broker binding: the
/// broker keeps each subscription's events apart, so a slow or dead target holds back only its own queue,
/// and events published while no bridge runs wait there. Every instance consumes every subscription's queue
/// with prefetch 1 as a single active consumer: one instance delivers a subscription's events, in order, one
/// at a time, and another takes over when it dies; an event leaves the queue only when its target answered
/// 2xx or it was given up (dead-lettered with the reason, see <see cref="SubscriptionWorker"/>): at least
/// once, across crashes and restarts. The set of subscriptions is re-read from the store every
/// <see cref="WebhookOptions.RefreshInterval"/> (to see those made on other instances) and at once after a
/// change made here; subscriptions past their <c>endAt</c> are removed then.
/// </summary>
internal sealed class SubscriptionDispatcher : BackgroundService
{
    private readonly IBroker _broker;
    private readonly SubscriptionStore _store;
    private readonly ResourceTable _resources;
    private readonly FrozenDictionary<string, INotificationEmitter> _emitters;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SubscriptionDispatcher> _logger;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private readonly SemaphoreSlim _reloadRequested = new(0, 1);
    private readonly Dictionary<string, (SubscriptionWorker Worker, IQueueConsumer Consumer)> _active = new(StringComparer.Ordinal);

    /// <summary>One message in hand per subscription, handed over between instances (see the class comment).</summary>
    private static readonly QueueConsumerOptions QueueOptions = new(Prefetch: 1, SingleActiveConsumer: true);

    public SubscriptionDispatcher(
        IBroker broker,
        SubscriptionStore store,
        ResourceTable resources,
        IEnumerable<INotificationEmitter> emitters,
        IOptions<WebhookOptions> options,
        TimeProvider timeProvider,
        ILogger<SubscriptionDispatcher> logger)
    {
        _broker = broker;
        _store = store;
        _resources = resources;
        _emitters = emitters.ToFrozenDictionary(static e => e.ChannelType, StringComparer.Ordinal);
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>The channel types an emitter is registered for.</summary>
    public IReadOnlyCollection<string> ChannelTypes => _emitters.Keys;

    /// <summary>Delivery counters of this instance's worker for a subscription, for diagnostics and tests.</summary>
    public (long Delivered, long GivenUp)? CountersOf(string subscriptionId)
    {
        lock (_active)
        {
            return _active.TryGetValue(subscriptionId, out var active) ? (active.Worker.Delivered, active.Worker.GivenUp) : null;
        }
    }

    /// <summary>Asks for a re-read soon without waiting for it (safe from a worker).</summary>
    public void RequestReload()
    {
        try
        {
            _reloadRequested.Release();
        }
        catch (SemaphoreFullException)
        {
            // A re-read is already pending.
        }
    }

    /// <summary>Re-reads the subscriptions now and brings the queue consumers in line with them.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadLock.WaitAsync(cancellationToken);
        try
        {
            var active = await _store.ListActiveAsync(cancellationToken);
            var now = _timeProvider.GetUtcNow();
            var wanted = new Dictionary<string, (WebhookSubscription Subscription, TopicBinding Binding, INotificationEmitter Emitter)>(StringComparer.Ordinal);
            foreach (var subscription in active)
            {
                if (subscription.EndAt is { } end && end <= now)
                {
                    await ExpireAsync(subscription, end, now, cancellationToken);
                    continue;
                }

                if (!_emitters.TryGetValue(subscription.Type, out var emitter))
                {
                    SubscriptionsLog.Unusable(_logger, subscription.Id, $"no emitter for type '{subscription.Type}'");
                    continue;
                }

                if (!SubscriptionRequest.TryResolve(subscription.Topic, _resources, out var binding, out var error))
                {
                    SubscriptionsLog.Unusable(_logger, subscription.Id, error);
                    continue;
                }

                wanted[subscription.Id] = (subscription, binding, emitter);
            }

            List<(string Id, IQueueConsumer Consumer)> gone;
            lock (_active)
            {
                gone = [.. _active.Where(a => !wanted.ContainsKey(a.Key)).Select(a => (a.Key, a.Value.Consumer))];
                foreach (var (id, _) in gone)
                {
                    _active.Remove(id);
                }

                foreach (var (id, (subscription, _, _)) in wanted)
                {
                    if (_active.TryGetValue(id, out var existing))
                    {
                        existing.Worker.Update(subscription);
                    }
                }
            }

            foreach (var (id, consumer) in gone)
            {
                await consumer.DisposeAsync();

                // Deleted, expired or disabled: its queue would only fill up. The broker keeps it while another
                // instance still consumes it; the last instance to let go deletes it (refused events stay in its
                // dead-letter queue for the operator).
                await _broker.DeleteQueueAsync(QueueName(id), cancellationToken);
            }

            foreach (var (id, (subscription, binding, emitter)) in wanted)
            {
                bool known;
                lock (_active)
                {
                    known = _active.ContainsKey(id);
                }

                if (known)
                {
                    continue;
                }

                var worker = new SubscriptionWorker(subscription, binding, emitter, _store, _options, _timeProvider, DisableAsync, _logger);
                var queue = QueueName(id);
                var consumer = await _broker.ConsumeQueueAsync(queue, binding.Exchange, binding.BindingKey, worker.HandleAsync, QueueOptions, cancellationToken);
                lock (_active)
                {
                    _active[id] = (worker, consumer);
                }

                SubscriptionsLog.ActivityStarted(_logger, queue, id, binding.Exchange, binding.BindingKey);
            }
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <summary>The durable queue of one subscription: the same name on every instance.</summary>
    public static string QueueName(string subscriptionId) => "bridge.webhooks." + subscriptionId;

    private async Task ExpireAsync(WebhookSubscription subscription, DateTimeOffset end, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reason = $"subscription {subscription.Id} expired at {IsoTime.Format(end)} (its endAt) and was removed";
        await _store.RemoveAsync(subscription, reason, now, cancellationToken);
        SubscriptionsLog.Expired(_logger, subscription.Id, subscription.Owner, reason);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReloadAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                SubscriptionsLog.RefreshFailed(_logger, ex.Message);
            }

            try
            {
                await _reloadRequested.WaitAsync(_options.RefreshInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Takes no new event, lets the deliveries in progress finish until the host's shutdown timeout fires
    /// (<paramref name="cancellationToken"/>), then cancels the rest: their events stay unacknowledged and go back
    /// to their queues, for this instance's successor or another instance (never lost).
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _reloadLock.WaitAsync(CancellationToken.None);
        try
        {
            List<IQueueConsumer> consumers;
            lock (_active)
            {
                consumers = [.. _active.Values.Select(a => a.Consumer)];
                _active.Clear();
            }

            await Task.WhenAll(consumers.Select(c => c.StopAsync(cancellationToken)));
            foreach (var consumer in consumers)
            {
                await consumer.DisposeAsync();
            }
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    private async Task DisableAsync(WebhookSubscription subscription, string reason)
    {
        try
        {
            await _store.DisableAsync(subscription, reason, CancellationToken.None);
            SubscriptionsLog.Disabled(_logger, subscription.Id, reason);
        }
        catch (Exception ex)
        {
            SubscriptionsLog.DisableFailed(_logger, subscription.Id, ex);
        }

        RequestReload();
    }
}
