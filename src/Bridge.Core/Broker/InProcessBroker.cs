using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Bridge.Observability;

namespace Bridge.Broker;

/// <summary>
/// The broker of the embedded mode (no <c>Bridge:RabbitMq:Uri</c>): publishing calls the matching
/// subscribers synchronously, in process, with RabbitMQ's topic semantics. Nothing leaves the process.
/// </summary>
internal sealed partial class InProcessBroker(ILogger<InProcessBroker> logger, BridgeMetrics? metrics = null) : IBroker
{
    private static readonly DependencyStatus Ready = new(true, "in-process broker");

    // RabbitMQ declares these in every virtual host; in process they exist from the start as well.
    private static readonly string[] PredeclaredExchanges = ["amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.topic"];

    private readonly SubscriptionIndex _index = new(logger);

    // In process an exchange "exists" once the bridge itself has used it (subscribed, consumed or published
    // with declaration), as on RabbitMQ where those operations declare it. Names are never removed: RabbitMQ's
    // durable exchanges outlive their bindings too.
    private readonly ConcurrentDictionary<string, bool> _exchanges = new(PredeclaredExchanges.Select(static e => KeyValuePair.Create(e, true)), StringComparer.Ordinal);

    public DependencyStatus Status => Ready;

    /// <summary>The live subscriptions, for diagnostics and tests.</summary>
    public SubscriptionIndex Index => _index;

    /// <summary>In process a subscription is bound the moment it is registered: the returned handle is always bound.</summary>
    public ValueTask<IBrokerSubscription> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var registration = _index.Add(exchange, bindingKey, handler);
        _exchanges.TryAdd(exchange, true);
        return ValueTask.FromResult<IBrokerSubscription>(new IndexSubscriptionHandle(_index, registration.Subscriber));
    }

    public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(routingKey, nameof(routingKey));
        cancellationToken.ThrowIfCancellationRequested();
        _exchanges.TryAdd(exchange, true);
        Dispatch(exchange, routingKey, body);
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishToExistingAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(routingKey, nameof(routingKey));
        cancellationToken.ThrowIfCancellationRequested();
        if (!_exchanges.ContainsKey(exchange))
        {
            throw new ExchangeNotFoundException(exchange);
        }

        Dispatch(exchange, routingKey, body);
        return ValueTask.CompletedTask;
    }

    private void Dispatch(string exchange, string routingKey, ReadOnlyMemory<byte> body)
    {
        // Like the RabbitMQ broker, every publish gets an id that stays with it (webhook ids derive from it). In
        // process the publisher's span is the producer: its context travels with the message as AMQP headers would carry it.
        var delivery = new BrokerDelivery(exchange, routingKey, body, Activity.Current?.Context ?? default, Stopwatch.GetTimestamp())
        {
            MessageId = Guid.NewGuid().ToString("N"),
        };
        metrics?.BrokerMessageReceived(exchange);
        using (BridgeTracing.StartProcess(exchange, routingKey, delivery.TraceContext))
        {
            _index.Dispatch(delivery);
        }
    }

    /// <summary>
    /// In process there is one instance, so a "shared" queue is a bounded in-memory queue drained by one loop
    /// (one message at a time, in order: what a single active consumer gives on RabbitMQ). Refused messages are
    /// kept (the newest <see cref="DeadLetterCapacity"/>) in <see cref="DeadLetters"/>.
    /// </summary>
    public ValueTask<IQueueConsumer> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(handler);
        cancellationToken.ThrowIfCancellationRequested();
        var consumer = new InProcessQueue(queue, handler, this, logger);
        var registration = _index.Add(exchange, bindingKey, consumer.Enqueue);
        _exchanges.TryAdd(exchange, true);
        consumer.Start(new IndexSubscriptionHandle(_index, registration.Subscriber));
        return ValueTask.FromResult<IQueueConsumer>(consumer);
    }

    /// <summary>In process a queue lives exactly as long as its consumer, so there is nothing left to delete.</summary>
    public ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        return ValueTask.FromResult(true);
    }

    public const int DeadLetterCapacity = 1000;

    private readonly ConcurrentQueue<(string Queue, BrokerDelivery Delivery, string Reason)> _deadLetters = new();

    /// <summary>Messages refused by queue handlers, oldest first, with why (the in-process stand-in for <c>&lt;queue&gt;.dead-letter</c>).</summary>
    public IReadOnlyList<(string Queue, BrokerDelivery Delivery, string Reason)> DeadLetters => [.. _deadLetters];

    private void DeadLetter(string queue, BrokerDelivery delivery, string reason)
    {
        _deadLetters.Enqueue((queue, delivery, reason));
        while (_deadLetters.Count > DeadLetterCapacity && _deadLetters.TryDequeue(out _))
        {
        }
    }

    private sealed partial class InProcessQueue(string name, QueueHandler handler, InProcessBroker broker, ILogger logger) : IQueueConsumer
    {
        private readonly Channel<BrokerDelivery> _pending =
            Channel.CreateBounded<BrokerDelivery>(new BoundedChannelOptions(100_000)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });

        private readonly CancellationTokenSource _stopping = new();
        private IAsyncDisposable? _subscription;
        private Task _loop = Task.CompletedTask;
        private int _disposed;

        public void Start(IAsyncDisposable subscription)
        {
            _subscription = subscription;
            _loop = RunAsync();
        }

        public void Enqueue(in BrokerDelivery delivery)
        {
            // The publisher's buffer is not ours to keep.
            var copy = delivery with { Body = delivery.Body.ToArray() };
            if (!_pending.Writer.TryWrite(copy))
            {
                QueueFull(logger, name);
                broker.DeadLetter(name, copy, "the in-process queue was full");
            }
        }

        public async Task StopAsync(CancellationToken drainDeadline)
        {
            if (Interlocked.Exchange(ref _subscription, null) is { } subscription)
            {
                await subscription.DisposeAsync();
            }

            // What is queued in memory has nowhere else to go in process: it is worked off until the deadline.
            _pending.Writer.TryComplete();
            await _loop.WaitAsync(drainDeadline).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await _stopping.CancelAsync();
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            using (var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            {
                await StopAsync(drain.Token);
            }

            _stopping.Dispose();
        }

        private async Task RunAsync()
        {
            await Task.Yield();
            await foreach (var delivery in _pending.Reader.ReadAllAsync(_stopping.Token))
            {
                var verdict = await QueueHandlerRunner.RunAsync(handler, delivery, name, logger, _stopping.Token);
                if (verdict.Outcome == QueueOutcome.Abandoned)
                {
                    return;
                }

                if (verdict.Outcome == QueueOutcome.Refused)
                {
                    broker.DeadLetter(name, delivery, verdict.Reason);
                }
            }
        }

        [LoggerMessage(EventId = 1040, EventName = "InProcessQueueFull", Level = LogLevel.Error,
            Message = "In-process queue {Queue} is full: the message is dead-lettered")]
        private static partial void QueueFull(ILogger logger, string queue);
    }

    private sealed class IndexSubscriptionHandle(SubscriptionIndex index, SubscriptionIndex.Subscriber subscriber) : IBrokerSubscription
    {
        public bool IsBound => !subscriber.IsRemoved;

        public string? Problem => subscriber.IsRemoved ? "unsubscribed" : null;

        public ValueTask DisposeAsync()
        {
            index.Remove(subscriber);
            return ValueTask.CompletedTask;
        }
    }
}
