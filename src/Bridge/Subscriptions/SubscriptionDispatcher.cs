using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Channels;
using Bridge.Json;
using Bridge.Webhooks;
using Microsoft.Extensions.Options;

namespace Bridge.Subscriptions;

/// <summary>
/// The activity source of the subscription pipeline (seed 002 "ListeningActivityHandler"). For every broker
/// binding that some subscription needs, the instance consumes a durable queue that all instances share
/// (<c>bridge.webhooks.&lt;hash of exchange and binding key&gt;</c>), so each event is taken by exactly one
/// instance; that instance matches it against the subscriptions of that binding, generates and serializes
/// the notification once, and hands it to each matching subscription's local worker, which delivers it.
/// The set of subscriptions is re-read from the store every <see cref="WebhookOptions.RefreshInterval"/>
/// (to see those made on other instances) and at once after a change made here.
/// </summary>
public sealed class SubscriptionDispatcher : BackgroundService
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
    private readonly Dictionary<string, SubscriptionWorker> _workers = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Exchange, string BindingKey), IAsyncDisposable> _consumers = [];
    private volatile FrozenDictionary<(string Exchange, string BindingKey), Target[]> _targets =
        FrozenDictionary<(string, string), Target[]>.Empty;

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
    public (long Delivered, long GivenUp, long Dropped)? CountersOf(string subscriptionId)
    {
        lock (_workers)
        {
            return _workers.TryGetValue(subscriptionId, out var worker) ? (worker.Delivered, worker.GivenUp, worker.Dropped) : null;
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

    /// <summary>Re-reads the subscriptions now and brings workers and queue consumers in line with them.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadLock.WaitAsync(cancellationToken);
        try
        {
            var active = await _store.ListActiveAsync(cancellationToken);
            var now = _timeProvider.GetUtcNow();
            var wanted = new Dictionary<string, (Subscription Subscription, TopicBinding Binding, INotificationEmitter Emitter)>(StringComparer.Ordinal);
            foreach (var subscription in active)
            {
                if (subscription.EndAt is { } end && end <= now)
                {
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

            var stopping = new List<SubscriptionWorker>();
            lock (_workers)
            {
                foreach (var id in _workers.Keys.Where(id => !wanted.ContainsKey(id)).ToList())
                {
                    _workers.Remove(id, out var worker);
                    stopping.Add(worker!);
                }

                foreach (var (id, (subscription, _, emitter)) in wanted)
                {
                    if (_workers.TryGetValue(id, out var existing))
                    {
                        existing.Update(subscription);
                        continue;
                    }

                    var worker = new SubscriptionWorker(subscription, emitter, _options, _timeProvider, DisableAsync, _logger);
                    _workers[id] = worker;
                    worker.Start();
                }

                _targets = wanted.Values
                    .GroupBy(w => (w.Binding.Exchange, w.Binding.BindingKey))
                    .ToFrozenDictionary(g => g.Key, g => g.Select(w => new Target(_workers[w.Subscription.Id], w.Binding)).ToArray());
            }

            foreach (var worker in stopping)
            {
                await worker.StopAsync(TimeSpan.Zero);
            }

            foreach (var key in _consumers.Keys.Where(key => !_targets.ContainsKey(key)).ToList())
            {
                _consumers.Remove(key, out var consumer);
                await consumer!.DisposeAsync();
                // No subscription uses this binding any more: its queue would only fill up. The broker keeps it
                // while another instance still consumes it; the last instance to let go deletes it.
                await _broker.DeleteQueueAsync(QueueName(key.Exchange, key.BindingKey), cancellationToken);
            }

            foreach (var key in _targets.Keys.Where(key => !_consumers.ContainsKey(key)).ToList())
            {
                var queue = QueueName(key.Exchange, key.BindingKey);
                _consumers[key] = await _broker.ConsumeQueueAsync(queue, key.Exchange, key.BindingKey,
                    (delivery, _) => ValueTask.FromResult(Dispatch(key, delivery)), cancellationToken);
                SubscriptionsLog.ActivityStarted(_logger, queue, key.Exchange, key.BindingKey);
            }
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <summary>The shared queue of one binding: the same name on every instance, so they compete for its events.</summary>
    public static string QueueName(string exchange, string bindingKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(exchange + "\n" + bindingKey));
        return "bridge.webhooks." + Convert.ToHexStringLower(hash.AsSpan(0, 8));
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

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _reloadLock.WaitAsync(CancellationToken.None);
        try
        {
            // Stop taking events first, then give the workers a moment to finish what they hold.
            foreach (var consumer in _consumers.Values)
            {
                await consumer.DisposeAsync();
            }

            _consumers.Clear();
            List<SubscriptionWorker> workers;
            lock (_workers)
            {
                workers = [.. _workers.Values];
                _workers.Clear();
                _targets = FrozenDictionary<(string, string), Target[]>.Empty;
            }

            await Task.WhenAll(workers.Select(w => w.StopAsync(TimeSpan.FromSeconds(1))));
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <summary>
    /// One event of a shared queue: matched, generated and serialized once per body format, queued to each
    /// matching subscription's worker without waiting for any delivery. Always acknowledged: the deliveries now
    /// belong to this instance's workers (at most once if the instance dies before delivering).
    /// </summary>
    private bool Dispatch((string Exchange, string BindingKey) key, BrokerDelivery delivery)
    {
        if (!_targets.TryGetValue(key, out var targets) || targets.Length == 0)
        {
            return true;
        }

        JsonNode? data;
        try
        {
            data = UntrustedJson.ParseNode(delivery.Body.Span, UntrustedJson.MaxDocumentDepth);
        }
        catch (JsonException)
        {
            SubscriptionsLog.EventNotJson(_logger, delivery.Exchange, delivery.RoutingKey);
            data = JsonValue.Create(Encoding.UTF8.GetString(delivery.Body.Span));
        }

        var now = _timeProvider.GetUtcNow();
        OutgoingNotification? raw = null;
        OutgoingNotification? waterline = null;
        foreach (var (worker, binding) in targets)
        {
            var subscription = worker.Subscription;
            var subject = binding.Format == WatchFormat.Waterline ? data?["record"] : data;
            if (!subscription.IsOpenAt(now) || !binding.Filter.Matches(subject))
            {
                continue;
            }

            var notification = binding.Format == WatchFormat.Waterline
                ? waterline ??= NotificationGenerator.Generate(delivery, data, WatchFormat.Waterline, now)
                : raw ??= NotificationGenerator.Generate(delivery, data, WatchFormat.Raw, now);
            worker.Enqueue(notification);
        }

        return true;
    }

    private async Task DisableAsync(Subscription subscription, string reason)
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

    private readonly record struct Target(SubscriptionWorker Worker, TopicBinding Binding);
}
