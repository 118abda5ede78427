using System.Threading.Channels;
using Bridge.Webhooks;

namespace Bridge.Subscriptions;

/// <summary>
/// One subscription's deliveries: a bounded queue drained by one loop, so a slow or dead target delays only
/// itself. The loop spaces deliveries by the subscription's <c>rate</c> (events wait, they are not dropped,
/// until the queue is full: then new ones are dropped and counted), and disables the subscription after
/// <see cref="WebhookOptions.DisableAfterFailures"/> consecutive given-up deliveries.
/// </summary>
internal sealed class SubscriptionWorker
{
    private readonly Channel<OutgoingNotification> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly INotificationEmitter _emitter;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Func<Subscription, string, Task> _disable;
    private readonly ILogger _logger;
    private Task _loop = Task.CompletedTask;
    private long _delivered;
    private long _givenUp;
    private long _dropped;

    public SubscriptionWorker(Subscription subscription, INotificationEmitter emitter, WebhookOptions options, TimeProvider timeProvider,
        Func<Subscription, string, Task> disable, ILogger logger)
    {
        Subscription = subscription;
        _emitter = emitter;
        _options = options;
        _timeProvider = timeProvider;
        _disable = disable;
        _logger = logger;
        _queue = Channel.CreateBounded<OutgoingNotification>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public Subscription Subscription { get; private set; }

    public long Delivered => Interlocked.Read(ref _delivered);

    public long GivenUp => Interlocked.Read(ref _givenUp);

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Start() => _loop = RunAsync();

    /// <summary>A refreshed copy of the subscription (same id and target) replaces the one the loop reads.</summary>
    public void Update(Subscription subscription) => Subscription = subscription;

    /// <summary>Never blocks: a full queue drops the notification for this subscription only.</summary>
    public void Enqueue(OutgoingNotification notification)
    {
        if (!_queue.Writer.TryWrite(notification))
        {
            var dropped = Interlocked.Increment(ref _dropped);
            SubscriptionsLog.QueueFull(_logger, Subscription.Id, _options.QueueCapacity, dropped);
        }
    }

    public async Task StopAsync(TimeSpan drain)
    {
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(drain, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stopping.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        var token = _stopping.Token;
        var consecutiveFailures = 0;
        DateTimeOffset? lastStart = null;
        try
        {
            await foreach (var notification in _queue.Reader.ReadAllAsync(token))
            {
                if (Subscription.Rate is { } rate && lastStart is { } last)
                {
                    var wait = last + rate - _timeProvider.GetUtcNow();
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _timeProvider, token);
                    }
                }

                lastStart = _timeProvider.GetUtcNow();
                if (await _emitter.EmitAsync(Subscription, notification, token))
                {
                    consecutiveFailures = 0;
                    Interlocked.Increment(ref _delivered);
                    continue;
                }

                consecutiveFailures++;
                var givenUp = Interlocked.Increment(ref _givenUp);
                SubscriptionsLog.DeliveryGivenUp(_logger, Subscription.Id, notification.Id, consecutiveFailures, givenUp);
                if (consecutiveFailures >= _options.DisableAfterFailures)
                {
                    var reason = $"{consecutiveFailures} consecutive deliveries to {Subscription.SendTo} were given up";
                    await _disable(Subscription, reason);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped: what is still queued is not delivered by this instance.
        }
    }
}
